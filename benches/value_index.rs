//! Value index figures: schema load with the index for a source holding
//! 1,000,000 distinct text values (SQLite and PostgreSQL), its memory, its
//! size, lookups per second, and the offline synthesizer's questions per
//! second on Chinook with the index loaded.
//!
//! Schema load is measured in a fresh child process (this binary again, with
//! `SQLSYNTH_BENCH_CHILD` set), which reports its own peak RSS (`VmHWM`;
//! `wait4`'s `ru_maxrss` would count the parent's memory before `exec`): once with the
//! index disabled (`value_index_limit = 0`: catalog, counts and sampling
//! only), once with it; the difference is what the index costs. Wall time is
//! the child's own clock around `introspect_with`, so process start-up is not
//! counted.
//!
//! ```text
//! cargo bench --bench value_index                        # 1,000,000 values; SQLite, and PostgreSQL when reachable
//! SQLSYNTH_BENCH_VALUES=200000 cargo bench --bench value_index
//! SQLSYNTH_BENCH_ONLY=synth cargo bench --bench value_index   # one part: sqlite, postgres, lookups or synth
//! ```
//! The generated SQLite file is kept under the target directory, the
//! PostgreSQL table `sqlsynth_bench_values_<n>` in `POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); both are made once.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlsynth::config::SourceSettings;
use sqlsynth::db::SourcePool;
use sqlsynth::dialect::Dialect;
use sqlsynth::plan::introspect::{IntrospectOptions, introspect_with};
use sqlsynth::plan::values::{ValueIndex, value_key};
use sqlsynth::secret::SecretUrl;
use sqlsynth::synth::offline::OfflineSynthesizer;

const CHILD: &str = "SQLSYNTH_BENCH_CHILD";

fn postgres_url() -> String {
    std::env::var("POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn count() -> usize {
    std::env::var("SQLSYNTH_BENCH_VALUES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

fn wanted(part: &str) -> bool {
    std::env::var("SQLSYNTH_BENCH_ONLY").map_or(true, |only| only.split(',').any(|o| o == part))
}

/// `n` distinct person-like names ("Kalomir Vestrand", some accented, some in
/// upper case), the same every run.
fn names(n: usize) -> Vec<String> {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mir", "ves", "tran", "de", "ri", "an", "el", "sa", "mo", "na", "tor", "bel", "li", "ra", "gon",
        "fi", "ne", "ul", "ha", "sen", "co", "bra", "vi", "da", "ru", "me", "jo", "ta", "ken", "os", "zi", "pe", "lin",
        "ar", "go", "she", "wa", "tu",
    ];
    let mut rng = fastrand::Rng::with_seed(11);
    let word = |rng: &mut fastrand::Rng, min: usize, max: usize| {
        let mut w: String = (0..rng.usize(min..=max)).map(|_| SYLLABLES[rng.usize(..SYLLABLES.len())]).collect();
        if rng.u8(..10) == 0 {
            w = w.replacen('e', "é", 1).replacen('o', "ö", 1);
        }
        let mut chars = w.chars();
        let first = chars.next().expect("a syllable").to_uppercase().collect::<String>();
        first + chars.as_str()
    };
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut name = format!("{} {}", word(&mut rng, 1, 3), word(&mut rng, 2, 3));
        if rng.u8(..20) == 0 {
            name = name.to_uppercase();
        }
        if seen.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

fn source(url: &str, limit: usize) -> SourceSettings {
    SourceSettings {
        acquire_timeout_ms: 30_000,
        name: "bench".into(),
        dialect: Dialect::from_url(url).expect("a supported URL"),
        url: SecretUrl::new(url),
        max_connections: 4,
        glossary: BTreeMap::new(),
        examples: Vec::new(),
        value_index_limit: limit,
    }
}

async fn ensure_sqlite(n: usize) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        std::env::current_exe().expect("exe").parent().and_then(Path::parent).expect("target dir").to_path_buf()
    });
    let path = target.join(format!("sqlsynth_bench_values_{n}.sqlite"));
    if path.exists() {
        return path;
    }
    eprintln!("creating {} ...", path.display());
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let url = format!("sqlite://{}?mode=rwc", partial.display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("create the SQLite file");
    sqlx::query("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let countries = ["United States", "New South Wales", "Brazil", "France", "Deutschland", "São Tomé"];
    let mut tx = pool.begin().await.unwrap();
    for (chunk_index, chunk) in names(n).chunks(300).enumerate() {
        let placeholders = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        let sql = format!("INSERT INTO person (id, name, country) VALUES {placeholders}");
        let mut query = sqlx::query(&sql);
        for (i, name) in chunk.iter().enumerate() {
            let id = (chunk_index * 300 + i) as i64;
            query = query.bind(id).bind(name).bind(countries[id as usize % countries.len()]);
        }
        query.execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
    std::fs::rename(&partial, &path).unwrap();
    path
}

fn psql(sql: &str) -> Option<String> {
    let output = Command::new("psql").args([&postgres_url(), "-X", "-q", "-t", "-A", "-c", sql]).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// A database holding only the bench table, so that introspection reads nothing else.
fn ensure_postgres(n: usize) -> Option<String> {
    let database = format!("sqlsynth_bench_values_{n}");
    if psql("SELECT 1").is_none() {
        eprintln!("SKIPPED PostgreSQL: not reachable at {}", postgres_url());
        return None;
    }
    if psql(&format!("SELECT 1 FROM pg_database WHERE datname = '{database}'")).as_deref() != Some("1") {
        psql(&format!("CREATE DATABASE {database}"))?;
    }
    let mut url = url::Url::parse(&postgres_url()).ok()?;
    url.set_path(&database);
    let url = url.to_string();
    let psql_db = |sql: &str| {
        let output = Command::new("psql").args([&url, "-X", "-q", "-t", "-A", "-c", sql]).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    if psql_db("SELECT COUNT(*) FROM person").and_then(|c| c.parse::<usize>().ok()) == Some(n) {
        return Some(url);
    }
    eprintln!("loading {n} names into {database}.person ...");
    psql_db(
        "DROP TABLE IF EXISTS person; CREATE TABLE person (id bigint PRIMARY KEY, name text NOT NULL, country text NOT NULL)",
    )?;
    let mut copy = Command::new("psql")
        .args([&url, "-X", "-q", "-c", "\\copy person (id, name, country) FROM STDIN"])
        .stdin(Stdio::piped())
        .spawn()
        .ok()?;
    {
        let countries = ["United States", "New South Wales", "Brazil", "France", "Deutschland", "São Tomé"];
        let mut stdin = std::io::BufWriter::new(copy.stdin.take().expect("stdin"));
        for (id, name) in names(n).iter().enumerate() {
            writeln!(stdin, "{id}\t{name}\t{}", countries[id % countries.len()]).ok()?;
        }
    }
    copy.wait().ok()?.success().then_some(())?;
    psql_db("ANALYZE person")?;
    Some(url)
}

/// Runs this binary as a child that loads the schema once; returns its
/// report line: its peak RSS in MiB (`VmHWM`), then the figures.
fn measure_child(url: &str, limit: usize) -> String {
    let output = Command::new(std::env::current_exe().expect("exe"))
        .env(CHILD, format!("{limit} {url}"))
        .stderr(Stdio::inherit())
        .output()
        .expect("the child runs");
    assert!(output.status.success(), "the child failed");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The child: one schema load, then what the cache would store and reload.
async fn child(spec: &str) {
    if std::env::var_os("SQLSYNTH_BENCH_LOG").is_some() {
        tracing_subscriber::fmt().with_env_filter("sqlsynth=debug").with_writer(std::io::stderr).init();
    }
    let (limit, url) = spec.split_once(' ').expect("limit and URL");
    let limit: usize = limit.parse().expect("a limit");
    let pool = SourcePool::connect(&source(url, limit)).await.expect("connect");
    let started = Instant::now();
    let schema = introspect_with("bench", &pool, &IntrospectOptions { value_index_limit: limit }).await.unwrap();
    let load = started.elapsed();
    let started = Instant::now();
    let bytes = schema.values.to_bytes();
    let serialize = started.elapsed();
    let started = Instant::now();
    let back = ValueIndex::from_bytes(&bytes).expect("reads back");
    let deserialize = started.elapsed();
    assert_eq!(back.len(), schema.values.len());
    // The high-water mark of this process's own memory (`ru_maxrss` would include the parent's before exec).
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let hwm_kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    println!(
        "{:.0} | load {:.3} s, {} values in {} columns, {:.1} MiB stored; to_bytes {:.1} ms, from_bytes {:.1} ms",
        hwm_kib / 1024.0,
        load.as_secs_f64(),
        schema.values.len(),
        schema.values.columns().len(),
        bytes.len() as f64 / (1024.0 * 1024.0),
        serialize.as_secs_f64() * 1e3,
        deserialize.as_secs_f64() * 1e3
    );
}

fn schema_load(engine: &str, url: &str, n: usize) {
    println!("| {engine} | index off | {} |", measure_child(url, 0));
    for round in 0..2 {
        println!("| {engine} | index on (run {}) | {} |", round + 1, measure_child(url, n + 100));
    }
}

async fn lookups(url: &str, n: usize) {
    let pool = SourcePool::connect(&source(url, n + 100)).await.expect("connect");
    let schema =
        introspect_with("bench", &pool, &IntrospectOptions { value_index_limit: n + 100 }).await.expect("introspect");
    let index = &schema.values;
    let all = names(n);
    let mut rng = fastrand::Rng::with_seed(5);
    let keys: Vec<String> = (0..200_000).map(|_| value_key(&all[rng.usize(..all.len())])).collect();
    let started = Instant::now();
    let hits: usize = keys.iter().map(|k| index.lookup_key(k).len()).sum();
    let present = started.elapsed();
    assert!(hits >= keys.len(), "every generated name is indexed");
    let misses: Vec<String> = keys.iter().map(|k| format!("{k}x")).collect();
    let started = Instant::now();
    let found: usize = misses.iter().map(|k| index.lookup_key(k).len()).sum();
    let absent = started.elapsed();
    assert_eq!(found, 0);
    let questions: Vec<String> = (0..20_000)
        .map(|i| {
            format!("How many albums did {} sell in New South Wales during {}?", all[i * 37 % all.len()], 2000 + i % 20)
        })
        .collect();
    let started = Instant::now();
    let mentions: usize = questions.iter().map(|q| index.find_mentions(q).len()).sum();
    let scanned = started.elapsed();
    let per_second = |count: usize, d: Duration| count as f64 / d.as_secs_f64();
    println!(
        "lookups: {:.2} M/s present ({} keys), {:.2} M/s absent; find_mentions: {:.0} questions/s ({:.1} us each, {} mentions)",
        per_second(keys.len(), present) / 1e6,
        keys.len(),
        per_second(misses.len(), absent) / 1e6,
        per_second(questions.len(), scanned),
        scanned.as_secs_f64() * 1e6 / questions.len() as f64,
        mentions
    );
}

#[derive(serde::Deserialize)]
struct Eval {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    question: String,
}

async fn synth() {
    let repo = env!("CARGO_MANIFEST_DIR");
    let url = format!("sqlite://{repo}/jobs/demo/chinook.sqlite");
    let pool = SourcePool::connect(&source(&url, 200_000)).await.expect("connect");
    let started = Instant::now();
    let schema = introspect_with("chinook", &pool, &IntrospectOptions::default()).await.expect("introspect");
    println!(
        "Chinook schema load with the index: {:.1} ms, {} values in {} columns, max {} words, {} KiB held",
        started.elapsed().as_secs_f64() * 1e3,
        schema.values.len(),
        schema.values.columns().len(),
        schema.values.max_words(),
        schema.values.heap_bytes() / 1024
    );
    let eval: Eval =
        serde_json::from_str(&std::fs::read_to_string(format!("{repo}/evals/chinook.sqlite.json")).unwrap()).unwrap();
    let questions: Vec<&str> = eval.cases.iter().map(|c| c.question.as_str()).collect();
    let started = Instant::now();
    let synthesizer = OfflineSynthesizer::new(&schema, &BTreeMap::new(), 0.6);
    let build = started.elapsed();
    let answered = questions.iter().filter(|q| synthesizer.synthesize(q).is_ok()).count();
    let mut asked = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        for question in &questions {
            std::hint::black_box(synthesizer.synthesize(question).is_ok());
        }
        asked += questions.len();
    }
    let elapsed = started.elapsed();
    println!(
        "offline synthesizer on Chinook with the index loaded: built in {:.2} ms; {} eval questions ({answered} answered); \
         {:.0} questions/s, {:.1} us per question",
        build.as_secs_f64() * 1e3,
        questions.len(),
        asked as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / asked as f64
    );
}

#[tokio::main]
async fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    let n = count();
    if wanted("sqlite") || wanted("lookups") {
        let path = ensure_sqlite(n).await;
        let url = format!("sqlite://{}", path.display());
        if wanted("sqlite") {
            println!("| engine | run | peak RSS MiB | schema load |");
            schema_load("SQLite", &url, n);
        }
        if wanted("lookups") {
            lookups(&url, n).await;
        }
    }
    if wanted("postgres")
        && let Some(url) = ensure_postgres(n)
    {
        schema_load("PostgreSQL", &url, n);
    }
    if wanted("synth") {
        synth().await;
    }
}
