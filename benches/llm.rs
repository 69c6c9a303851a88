//! LLM synthesis: calls and prompt tokens per question against the naive
//! strategy (one call per question carrying the whole schema), and wall time
//! with a simulated 300 ms per call, for a 200-question job over the bundled
//! Chinook database and over a generated SQLite schema of 320 tables.
//!
//! The endpoint is the tests' fake OpenAI-compatible server, sleeping
//! `SQLSYNTH_BENCH_LATENCY_MS` (default 300) before each reply and answering
//! every question with working SQL, so the whole pipeline runs: prompt,
//! batched calls, guard, execution, Parquet, manifest. Every question goes to
//! the LLM (`fast_path = false`): the offline fast path would only lower the
//! figures. Tokens are counted with the pipeline's tokenizer (o200k_base) on
//! the request bodies the server received; the naive prompt is built with the
//! same builder from the whole schema plus one question.
//!
//! ```text
//! cargo bench --bench llm
//! SQLSYNTH_BENCH_QUESTIONS=400 SQLSYNTH_BENCH_LATENCY_MS=500 cargo bench --bench llm
//! ```

#[path = "../tests/common/fake_llm.rs"]
mod fake_llm;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_llm::{FakeLlm, Recorded, Reply};
use indicatif::ProgressBar;
use sqlsynth::config::Settings;
use sqlsynth::job::{Job, Question};
use sqlsynth::pipeline::Pipeline;
use sqlsynth::synth::llm::prompt::questions_message;
use sqlsynth::synth::llm::{GroupPrompt, LlmRequest, count_tokens};
use sqlx::{Connection, Row};

const KEY_VAR: &str = "SQLSYNTH_BENCH_LLM_KEY";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `count` distinct (question, SQL) pairs about Chinook, from its own values.
async fn chinook_questions(url: &str, count: usize) -> Vec<(String, String)> {
    let mut conn = sqlx::SqliteConnection::connect(url).await.expect("open Chinook");
    let mut column = async |sql: &str| -> Vec<String> {
        sqlx::query(sql).fetch_all(&mut conn).await.unwrap().iter().map(|r| r.get::<String, _>(0)).collect()
    };
    let genres = column("SELECT Name FROM Genre ORDER BY GenreId").await;
    let countries = column("SELECT DISTINCT Country FROM Customer ORDER BY 1").await;
    let artists = column("SELECT Name FROM Artist ORDER BY ArtistId LIMIT 60").await;
    let albums = column("SELECT Title FROM Album ORDER BY AlbumId LIMIT 60").await;
    let mut out = Vec::new();
    for g in &genres {
        out.push((
            format!("How many tracks are there in the {g} genre?"),
            format!("SELECT COUNT(*) AS tracks FROM Track JOIN Genre USING (GenreId) WHERE Genre.Name = {}", quote(g)),
        ));
    }
    for c in &countries {
        out.push((
            format!("How many customers live in {c}?"),
            format!("SELECT COUNT(*) AS customers FROM Customer WHERE Country = {}", quote(c)),
        ));
        out.push((
            format!("What is the total revenue from invoices billed to {c}?"),
            format!("SELECT SUM(Total) AS revenue FROM Invoice WHERE BillingCountry = {}", quote(c)),
        ));
    }
    for a in &artists {
        out.push((
            format!("How many albums does {a} have?"),
            format!(
                "SELECT COUNT(*) AS albums FROM Album JOIN Artist USING (ArtistId) WHERE Artist.Name = {}",
                quote(a)
            ),
        ));
    }
    for a in &albums {
        out.push((
            format!("List the tracks on the album {a}"),
            format!("SELECT Track.Name FROM Track JOIN Album USING (AlbumId) WHERE Album.Title = {}", quote(a)),
        ));
    }
    for n in 1.. {
        if out.len() >= count {
            break;
        }
        out.push((
            format!("Which playlists contain more than {n} tracks?"),
            format!(
                "SELECT Playlist.Name FROM Playlist JOIN PlaylistTrack USING (PlaylistId) \
                 GROUP BY Playlist.PlaylistId HAVING COUNT(*) > {n}"
            ),
        ));
    }
    out.truncate(count);
    out
}

const AREAS: [&str; 40] = [
    "billing",
    "shipping",
    "warehouse",
    "retail",
    "wholesale",
    "marketing",
    "payroll",
    "support",
    "catalog",
    "loyalty",
    "rental",
    "lending",
    "insurance",
    "clinic",
    "pharmacy",
    "school",
    "library",
    "museum",
    "hotel",
    "airline",
    "rail",
    "ferry",
    "parking",
    "energy",
    "water",
    "telecom",
    "media",
    "gaming",
    "fitness",
    "catering",
    "farming",
    "fishery",
    "mining",
    "forestry",
    "printing",
    "textile",
    "furniture",
    "jewelry",
    "bakery",
    "brewery",
];

/// Eight related tables per area: 320 tables, each with a dozen columns and a few rows.
async fn generate_wide_schema(path: &Path) -> String {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("create the wide database");
    let mut ddl = String::from("BEGIN;\n");
    let extra = "region TEXT, channel TEXT, priority INTEGER, score REAL, tags TEXT, notes TEXT, \
                 created_at TEXT NOT NULL, updated_at TEXT";
    for area in AREAS {
        let t = |entity: &str| format!("{area}_{entity}");
        let tables = [
            (t("customer"), format!("id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, status TEXT, {extra}")),
            (t("supplier"), format!("id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT, {extra}")),
            (
                t("product"),
                format!(
                    "id INTEGER PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(10,2), supplier_id INTEGER REFERENCES {}(id), {extra}",
                    t("supplier")
                ),
            ),
            (
                t("order"),
                format!(
                    "id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES {}(id), status TEXT, \
                     ordered_at TEXT, {extra}",
                    t("customer")
                ),
            ),
            (
                t("order_line"),
                format!(
                    "id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES \"{}\"(id), product_id INTEGER \
                     REFERENCES {}(id), quantity INTEGER, unit_price NUMERIC(10,2), {extra}",
                    t("order"),
                    t("product")
                ),
            ),
            (
                t("invoice"),
                format!(
                    "id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES \"{}\"(id), amount NUMERIC(10,2), \
                     issued_at TEXT, {extra}",
                    t("order")
                ),
            ),
            (
                t("payment"),
                format!(
                    "id INTEGER PRIMARY KEY, invoice_id INTEGER REFERENCES {}(id), amount NUMERIC(10,2), method TEXT, \
                     paid_at TEXT, {extra}",
                    t("invoice")
                ),
            ),
            (t("employee"), format!("id INTEGER PRIMARY KEY, name TEXT NOT NULL, title TEXT, hired_at TEXT, {extra}")),
        ];
        for (name, columns) in &tables {
            ddl.push_str(&format!("CREATE TABLE \"{name}\" ({columns});\n"));
        }
        let now = "'2026-01-01'";
        for i in 1..=5 {
            let status = ["open", "shipped", "cancelled"][i % 3];
            ddl.push_str(&format!(
                "INSERT INTO {area}_customer (id, name, status, created_at) VALUES ({i}, 'c{i}', '{status}', {now});\n\
                 INSERT INTO {area}_supplier (id, name, country, created_at) VALUES ({i}, 's{i}', 'NL', {now});\n\
                 INSERT INTO {area}_product (id, name, price, supplier_id, created_at) VALUES ({i}, 'p{i}', {i}.5, {i}, {now});\n\
                 INSERT INTO \"{area}_order\" (id, customer_id, status, created_at) VALUES ({i}, {i}, '{status}', {now});\n\
                 INSERT INTO {area}_order_line (id, order_id, product_id, quantity, unit_price, created_at) VALUES ({i}, {i}, {i}, 2, {i}.5, {now});\n\
                 INSERT INTO {area}_invoice (id, order_id, amount, created_at) VALUES ({i}, {i}, {i}0, {now});\n\
                 INSERT INTO {area}_payment (id, invoice_id, amount, method, created_at) VALUES ({i}, {i}, {i}0, 'card', {now});\n\
                 INSERT INTO {area}_employee (id, name, title, created_at) VALUES ({i}, 'e{i}', 'clerk', {now});\n"
            ));
        }
    }
    ddl.push_str("COMMIT;\n");
    sqlx::raw_sql(&ddl).execute(&mut conn).await.expect("create the wide schema");
    conn.close().await.unwrap();
    format!("sqlite://{}", path.display())
}

/// `count` distinct questions about a few areas of the wide schema (a report
/// rarely spans a whole 320-table database).
fn wide_questions(count: usize, areas: usize) -> Vec<(String, String)> {
    let templates: [(&str, &str); 5] = [
        ("How many {a} orders have status {v}?", "SELECT COUNT(*) AS n FROM \"{a}_order\" WHERE status = {v}"),
        ("How many {a} customers have status {v}?", "SELECT COUNT(*) AS n FROM {a}_customer WHERE status = {v}"),
        (
            "Total {a} invoice amount for orders with status {v}",
            "SELECT SUM(i.amount) AS total FROM {a}_invoice i JOIN \"{a}_order\" o ON o.id = i.order_id WHERE o.status = {v}",
        ),
        (
            "{a} payments for customers with status {v}",
            "SELECT p.* FROM {a}_payment p JOIN {a}_invoice i ON i.id = p.invoice_id JOIN \"{a}_order\" o ON o.id = i.order_id \
             JOIN {a}_customer c ON c.id = o.customer_id WHERE c.status = {v}",
        ),
        (
            "{a} order lines of products priced above {n}",
            "SELECT l.* FROM {a}_order_line l JOIN {a}_product p ON p.id = l.product_id WHERE p.price > {n}",
        ),
    ];
    let mut out = Vec::new();
    let mut n = 0;
    while out.len() < count {
        let area = AREAS[n % areas];
        let (question, sql) = templates[(n / areas) % templates.len()];
        let round = n / (areas * templates.len());
        let value = ["open", "shipped", "cancelled"][round % 3];
        let number = (round + 1).to_string();
        let fill = |text: &str, v: &str| text.replace("{a}", area).replace("{n}", &number).replace("{v}", v);
        let question = format!("{} (variant {round})", fill(question, value));
        out.push((question, fill(sql, &quote(value))));
        n += 1;
    }
    out
}

struct Figures {
    calls: usize,
    prompt_tokens: usize,
    naive_tokens: usize,
    questions: usize,
    ok: u64,
    cold: Duration,
    warm: Duration,
    tables_shown: String,
}

async fn measure(name: &str, url: &str, questions: &[(String, String)], latency: Duration, work: &Path) -> Figures {
    let sql_of: HashMap<String, String> = questions.iter().cloned().collect();
    let fake = FakeLlm::start(move |request: &Recorded| {
        let reply = Reply::answer_each(request, |asked| sql_of.get(&asked.question).cloned().unwrap_or_default());
        Reply::Delayed(latency, Box::new(reply))
    })
    .await;
    // Each pipeline gets its own empty cache directory: answers cached by one
    // run must not answer the next one's questions.
    let settings_with_cache = |cache: &str| {
        let config = format!(
            "[sources.{name}]\nurl = \"{url}\"\nmax_connections = 4\n\n[synth]\nprovider = \"openai\"\n\
             base_url = \"{}\"\napi_key_env = \"{KEY_VAR}\"\nfast_path = false\n\n[cache]\ndir = \"{}\"\n",
            fake.base_url,
            work.join(format!("cache-{name}-{cache}")).display()
        );
        let env = vec![(KEY_VAR.to_string(), "sk-bench".to_string())];
        Arc::new(Settings::from_toml(&config, "bench.toml", None, &env).expect("valid config"))
    };
    let settings = settings_with_cache("cold");
    let job = |id: &str| Job {
        job_id: id.into(),
        questions: questions
            .iter()
            .enumerate()
            .map(|(i, (q, _))| Question { id: format!("q{i}"), source: name.into(), question: q.clone(), sql: None })
            .collect(),
    };

    // Cold: a fresh pipeline (introspection included). Warm: another fresh
    // pipeline whose schema is loaded before the clock starts, with an empty
    // answer cache of its own, and a new job id (nothing reused).
    let cold_pipeline = Pipeline::new(settings.clone());
    let started = Instant::now();
    let cold = cold_pipeline.run_job(&job("cold"), &work.join(format!("out-{name}")), &ProgressBar::hidden()).await;
    let cold_time = started.elapsed();
    cold.expect("the cold job runs");
    cold_pipeline.close().await;
    let cold_requests = fake.requests().len();
    let pipeline = Pipeline::new(settings_with_cache("warm"));
    pipeline.schema(name).await.expect("the schema loads");
    let started = Instant::now();
    let outcome = pipeline
        .run_job(&job("warm"), &work.join(format!("out-{name}")), &ProgressBar::hidden())
        .await
        .expect("the warm job runs");
    let warm_time = started.elapsed();
    pipeline.close().await;

    let requests: Vec<Recorded> = fake.requests().into_iter().skip(cold_requests).collect();
    let prompt_tokens: usize =
        requests.iter().map(|r| (0..3).map(|m| count_tokens(&r.message(m))).sum::<usize>()).sum();
    let schema = pipeline.schema(name).await.expect("schema");
    let examples = &settings.source(name).unwrap().examples;
    let whole = GroupPrompt::whole_schema(&schema, examples);
    let naive_tokens: usize = questions
        .iter()
        .enumerate()
        .map(|(i, (q, _))| {
            let request = LlmRequest { id: format!("q{i}"), question: q.clone(), previous: None };
            whole.tokens + count_tokens(&questions_message(&[request]))
        })
        .sum();
    let mut contexts: Vec<String> = requests.iter().map(|r| r.message(1)).collect();
    contexts.sort();
    contexts.dedup();
    let shown: Vec<String> = contexts
        .iter()
        .map(|c| {
            c.lines()
                .next()
                .unwrap_or_default()
                .split("; ")
                .nth(1)
                .unwrap_or_default()
                .trim_end_matches("):")
                .to_string()
        })
        .collect();
    Figures {
        calls: requests.len(),
        prompt_tokens,
        naive_tokens,
        questions: questions.len(),
        ok: outcome.manifest.stats.ok,
        cold: cold_time,
        warm: warm_time,
        tables_shown: format!("{} shared prefix(es): {}", contexts.len(), shown.join(", ")),
    }
}

fn report(name: &str, f: &Figures) {
    let per_question = f.prompt_tokens as f64 / f.questions as f64;
    let naive = f.naive_tokens as f64 / f.questions as f64;
    println!("\n== {name}: {} questions, {} ok", f.questions, f.ok);
    println!("   prompts: {}", f.tables_shown);
    println!(
        "   grouped: {} calls ({:.3} per question), {} prompt tokens ({per_question:.0} per question)",
        f.calls,
        f.calls as f64 / f.questions as f64,
        f.prompt_tokens
    );
    println!(
        "   naive:   {} calls (1 per question), {} prompt tokens ({naive:.0} per question)",
        f.questions, f.naive_tokens
    );
    println!("   prompt tokens per question: {:.1}x fewer than naive", naive / per_question);
    println!(
        "   wall time: {:.2} s warm (schema known), {:.2} s cold (introspection included)",
        f.warm.as_secs_f64(),
        f.cold.as_secs_f64()
    );
}

fn main() {
    let questions = env_or("SQLSYNTH_BENCH_QUESTIONS", 200);
    let latency = Duration::from_millis(env_or("SQLSYNTH_BENCH_LATENCY_MS", 300) as u64);
    let areas = env_or("SQLSYNTH_BENCH_AREAS", 5);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let work = tempfile::tempdir().unwrap();
        println!("LLM synthesis: {questions} questions, {} ms per call, defaults otherwise", latency.as_millis());

        let chinook = format!("sqlite://{}/jobs/demo/chinook.sqlite", env!("CARGO_MANIFEST_DIR"));
        let chinook_qs = chinook_questions(&format!("{chinook}?mode=ro"), questions).await;
        let figures = measure("chinook", &chinook, &chinook_qs, latency, work.path()).await;
        report("Chinook (11 tables)", &figures);

        let wide = generate_wide_schema(&work.path().join("wide.sqlite")).await;
        let wide_qs = wide_questions(questions, areas);
        let figures = measure("wide", &wide, &wide_qs, latency, work.path()).await;
        report(&format!("generated schema (320 tables; questions about {areas} areas)"), &figures);
    });
}
