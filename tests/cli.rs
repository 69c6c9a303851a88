//! The command line end to end, as a user runs it: the example job on the
//! bundled SQLite demo, the same job on PostgreSQL and MariaDB with the same
//! answers, bad job files, idempotent re-runs, resume after interruption, one
//! bad question among good ones, every answer's interpretation (tables,
//! columns and values matching its SQL), and secrets that never reach any output.
//! Parquet files are read back with pyarrow.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CANARY: &str = "canary-Pw-7f3a91";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example_job() -> PathBuf {
    repo().join("jobs/example.json")
}

/// A work directory with a config naming the given sources.
fn workdir(sources: &[(&str, String)], extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::new();
    for (name, url) in sources {
        config.push_str(&format!("[sources.{name}]\nurl = \"{url}\"\nmax_connections = 4\n\n"));
    }
    config.push_str(extra);
    std::fs::write(dir.path().join("sqlsynth.toml"), config).unwrap();
    dir
}

fn sqlsynth(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sqlsynth"));
    command.current_dir(dir).args(args).env_remove("SQLSYNTH_CONFIG").env_remove("RUST_LOG").env_remove("SQLSYNTH_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn manifest(dir: &Path, job_id: &str) -> Value {
    common::schema::manifest_at(&dir.join("out").join(job_id).join("manifest.json"))
}

/// Runs the example job in `dir` (config there) and returns question id ->
/// pyarrow rows; `None` (skip) without pyarrow.
fn run_example(dir: &Path, source_override: Option<&str>) -> Option<Vec<(String, Value)>> {
    let job_path = match source_override {
        None => example_job(),
        Some(source) => {
            let mut job: Value = serde_json::from_slice(&std::fs::read(example_job()).unwrap()).unwrap();
            for q in job["questions"].as_array_mut().unwrap() {
                q["source"] = Value::from(source);
            }
            let path = dir.join("job.json");
            std::fs::write(&path, serde_json::to_vec(&job).unwrap()).unwrap();
            path
        }
    };
    let output = sqlsynth(dir, &["run", job_path.to_str().unwrap(), "--out", "out"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let job_id = serde_json::from_slice::<Value>(&std::fs::read(&job_path).unwrap()).unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest = manifest(dir, &job_id);
    assert_interpretations_match_sql(&manifest);
    let job_dir = dir.join("out").join(&job_id);
    let files: Vec<PathBuf> =
        manifest["questions"].as_array().unwrap().iter().map(|q| job_dir.join(q["file"].as_str().unwrap())).collect();
    let read = common::pyarrow::read(&files, &[])?;
    let rows = manifest["questions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&files)
        .map(|(q, f)| {
            let seen = &read[f.to_str().unwrap()];
            assert_eq!(seen["num_rows"], q["rows"], "{}", q["id"]);
            let names: Vec<&Value> = q["columns"].as_array().unwrap().iter().map(|c| &c["name"]).collect();
            assert_eq!(seen["columns"].as_array().unwrap().iter().collect::<Vec<_>>(), names, "{}", q["id"]);
            assert_eq!(seen["metadata"]["sqlsynth.sql"], q["sql"]);
            (q["id"].as_str().unwrap().to_string(), seen["rows"].clone())
        })
        .collect();
    Some(rows)
}

fn sqlite_url() -> String {
    format!("sqlite://{}", repo().join("jobs/demo/chinook.sqlite").display())
}

#[test]
fn example_job_answers_every_question_on_the_demo_database() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let Some(answers) = run_example(dir.path(), None) else { return };
    let job: Value = serde_json::from_slice(&std::fs::read(example_job()).unwrap()).unwrap();
    let questions = job["questions"].as_array().unwrap();
    assert!(questions.len() >= 12);
    assert!(questions.iter().any(|q| q.get("sql").is_some()), "the example pins some SQL");
    assert_eq!(answers.len(), questions.len());
    let manifest = manifest(dir.path(), job["job_id"].as_str().unwrap());
    assert_eq!(manifest["stats"]["ok"], questions.len());
    for q in manifest["questions"].as_array().unwrap() {
        assert_eq!(q["status"], "ok", "{q}");
        assert!(q["rows"].as_u64().unwrap() > 0, "{q}");
        let expected = if q["synthesizer"] == "pinned" { "pinned" } else { "offline" };
        assert_eq!(q["synthesizer"], expected);
    }
    // Nothing but the answers, the report and the manifest is left in the job directory.
    let job_dir = dir.path().join("out").join(job["job_id"].as_str().unwrap());
    let leftovers: Vec<String> = std::fs::read_dir(&job_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json" && n != "report.html" && !n.ends_with(".parquet"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(job_dir.join("report.html").is_file());
}

/// The `"T"."c"` column references and the `FROM "T"` / `JOIN "T"` tables
/// of SQL that quotes every name (with `"` or a backtick) and uses no alias,
/// as the offline synthesizer writes it, read off the text: an oracle that
/// knows nothing of the guard.
fn quoted_references(sql: &str) -> (Vec<String>, Vec<String>) {
    #[derive(PartialEq)]
    enum Token {
        Name(String),
        Word(String),
        Dot,
    }
    let mut tokens = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' | '\'' => {
                let text: String = chars.by_ref().take_while(|&d| d != c).collect();
                if c != '\'' {
                    tokens.push(Token::Name(text));
                }
            }
            '.' => tokens.push(Token::Dot),
            c if c.is_ascii_alphabetic() => {
                let mut word = c.to_string();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_alphanumeric() || **d == '_') {
                    word.push(d);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            _ => {}
        }
    }
    let (mut tables, mut columns) = (Vec::new(), Vec::new());
    let push_new = |list: &mut Vec<String>, item: String| {
        if !list.contains(&item) {
            list.push(item);
        }
    };
    for (n, token) in tokens.iter().enumerate() {
        let next = |k: usize| tokens.get(n + k);
        match (token, next(1), next(2)) {
            (Token::Word(keyword), Some(Token::Name(table)), _) if keyword == "FROM" || keyword == "JOIN" => {
                push_new(&mut tables, table.clone())
            }
            (Token::Name(table), Some(Token::Dot), Some(Token::Name(column))) => {
                push_new(&mut columns, format!("{table}.{column}"))
            }
            _ => {}
        }
    }
    (tables, columns)
}

/// Every answered question of a manifest carries an interpretation whose
/// tables and columns are those its SQL names: exactly, for the offline
/// synthesizer's SQL (see [`quoted_references`]); for pinned SQL, every
/// column belongs to a table it reads.
fn assert_interpretations_match_sql(manifest: &Value) {
    for q in manifest["questions"].as_array().unwrap() {
        let interpretation = &q["interpretation"];
        let keys: Vec<&String> = interpretation.as_object().unwrap_or_else(|| panic!("{q}")).keys().collect();
        assert_eq!(keys, ["columns", "restatement", "tables", "values"], "{q}");
        let sql = q["sql"].as_str().unwrap();
        let names = |key: &str| -> Vec<String> {
            let mut names: Vec<String> =
                interpretation[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            names.sort();
            names
        };
        let (tables, columns) = (names("tables"), names("columns"));
        assert!(!tables.is_empty(), "{q}");
        if q["synthesizer"] == "offline" {
            let (mut expected_tables, mut expected_columns) = quoted_references(sql);
            expected_tables.sort();
            expected_columns.sort();
            assert!(!expected_columns.is_empty(), "the oracle reads {sql}");
            assert_eq!(tables, expected_tables, "{}: {sql}", q["id"]);
            assert_eq!(columns, expected_columns, "{}: {sql}", q["id"]);
        }
        for column in &columns {
            let table = column.split('.').next().unwrap();
            assert!(tables.iter().any(|t| t == table), "{}: {column} is not of a table it reads", q["id"]);
        }
    }
}

#[test]
fn every_answer_says_how_its_question_was_understood() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let output = sqlsynth(dir.path(), &["run", example_job().to_str().unwrap(), "--out", "out"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let manifest = manifest(dir.path(), "example");
    assert_interpretations_match_sql(&manifest);
    let by_id = |id: &str| manifest["questions"].as_array().unwrap().iter().find(|q| q["id"] == id).unwrap().clone();
    let interpretation = |id: &str| by_id(id)["interpretation"].clone();
    assert_eq!(interpretation("brazilian_customers")["values"], serde_json::json!(["Brazil"]));
    assert_eq!(interpretation("invoices_2023")["values"], serde_json::json!(["2023-01-01", "2024-01-01"]));
    assert_eq!(interpretation("top_artists_by_tracks")["values"], serde_json::json!([3]));
    assert_eq!(interpretation("big_albums")["values"], serde_json::json!([20]));
    assert_eq!(interpretation("revenue_per_year")["values"], serde_json::json!([]), "strftime's format is no value");
    // Pinned SQL is read the same way, unqualified names included.
    assert_eq!(by_id("all_time_revenue")["synthesizer"], "pinned");
    assert_eq!(
        interpretation("all_time_revenue"),
        serde_json::json!({"restatement": null, "tables": ["Invoice"], "columns": ["Invoice.Total"], "values": []})
    );
    assert_eq!(interpretation("playlist_count")["tables"], serde_json::json!(["Playlist"]));
}

#[test]
fn cached_answers_carry_their_interpretation_and_failures_have_none() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let job = r#"{"job_id":"JOB","questions":[
        {"id":"rock","source":"chinook","question":"How many tracks are there in the Rock genre?"},
        {"id":"broken","source":"chinook","question":"pinned","sql":"SELECT Nope FROM Genre"},
        {"id":"weather","source":"chinook","question":"What will the weather be in Paris tomorrow?"}]}"#;
    let mut records = Vec::new();
    for job_id in ["first", "second"] {
        std::fs::write(dir.path().join("job.json"), job.replace("JOB", job_id)).unwrap();
        let output = sqlsynth(dir.path(), &["run", "job.json", "--out", "out"], &[]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        records.push(manifest(dir.path(), job_id)["questions"].clone());
    }
    let (first, second) = (&records[0], &records[1]);
    assert_eq!(first[0]["synthesizer"], "offline");
    assert_eq!(second[0]["synthesizer"], "cache");
    assert_eq!(first[0]["interpretation"], second[0]["interpretation"]);
    assert_eq!(second[0]["interpretation"]["tables"], serde_json::json!(["Track", "Genre"]));
    assert_eq!(second[0]["interpretation"]["values"], serde_json::json!(["Rock"]));
    for q in [&second[1], &second[2]] {
        assert_ne!(q["status"], "ok");
        assert_eq!(q["interpretation"], Value::Null, "{q}");
    }
}

#[test]
fn a_manifest_written_before_interpretations_is_still_a_finished_job() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let output = sqlsynth(dir.path(), &["run", example_job().to_str().unwrap(), "--out", "out"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let path = dir.path().join("out/example/manifest.json");
    let mut old = manifest(dir.path(), "example");
    for q in old["questions"].as_array_mut().unwrap() {
        q.as_object_mut().unwrap().remove("interpretation").expect("the new manifest has one");
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&old).unwrap()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let output = sqlsynth(dir.path(), &["run", example_job().to_str().unwrap(), "--out", "out"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("already done"), "{}", text(&output));
    assert_eq!(std::fs::read(&path).unwrap(), before, "the old manifest is left as it was");
}

#[test]
fn rerunning_a_finished_job_does_no_work() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    run_example(dir.path(), None);
    let job_id = "example";
    let manifest_path = dir.path().join("out").join(job_id).join("manifest.json");
    let before = std::fs::read(&manifest_path).unwrap();
    let files_before = modified_times(&dir.path().join("out").join(job_id));
    let output = sqlsynth(dir.path(), &["run", example_job().to_str().unwrap(), "--out", "out"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("already done"), "{}", text(&output));
    assert_eq!(std::fs::read(&manifest_path).unwrap(), before);
    assert_eq!(modified_times(&dir.path().join("out").join(job_id)), files_before);
}

fn modified_times(dir: &Path) -> Vec<(String, std::time::SystemTime)> {
    let mut times: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().modified().unwrap())
        })
        .collect();
    times.sort();
    times
}

#[test]
fn an_interrupted_job_resumes_without_rerunning_finished_questions() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let Some(first) = run_example(dir.path(), None) else { return };
    let job_dir = dir.path().join("out").join("example");
    let complete = manifest(dir.path(), "example");
    // Simulate a crash: no manifest, one answer never written, a partial temp file left behind.
    std::fs::remove_file(job_dir.join("manifest.json")).unwrap();
    let missing = first[1].0.clone();
    std::fs::remove_file(job_dir.join(format!("{missing}.parquet"))).unwrap();
    // The crash was long ago: its temp file is stale (a fresh one could be another worker's).
    let stale = job_dir.join(format!(".{missing}.parquet.tmp-1-0000beef"));
    std::fs::write(&stale, b"partial").unwrap();
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(long_ago).unwrap();
    // Answers are kept; the report (written just before the manifest) is built again.
    let kept_before: Vec<_> =
        modified_times(&job_dir).into_iter().filter(|(n, _)| !n.starts_with('.') && n != "report.html").collect();

    let Some(second) = run_example(dir.path(), None) else { return };
    assert_eq!(first, second, "same answers after resuming");
    let after = modified_times(&job_dir);
    for (name, time) in &kept_before {
        let now = after.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(&now.1, time, "{name} was rewritten");
    }
    assert!(after.iter().all(|(n, _)| !n.starts_with('.')), "temp file left: {after:?}");
    let resumed = manifest(dir.path(), "example");
    for (a, b) in complete["questions"].as_array().unwrap().iter().zip(resumed["questions"].as_array().unwrap()) {
        // The interpretation comes back the same, from the footer or with the cached answer.
        for key in ["id", "status", "sql", "interpretation", "rows", "truncated", "columns", "file"] {
            assert_eq!(a[key], b[key], "{key} of {}", a["id"]);
        }
        // The one question answered again gets its synthesized SQL from the answer cache.
        let synthesizer = if a["id"] == missing.as_str() && a["synthesizer"] == "offline" { "cache" } else { "" };
        let expected = if synthesizer.is_empty() { &a["synthesizer"] } else { &Value::from(synthesizer) };
        assert_eq!(&b["synthesizer"], expected, "synthesizer of {}", a["id"]);
    }
}

#[test]
fn ask_prints_the_sql_and_a_capped_preview_and_exits_1_when_unanswered() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let question = "How many customers are there in each country?";
    let asked = sqlsynth(dir.path(), &["ask", question, "--source", "chinook", "--rows", "3"], &[]);
    assert_eq!(asked.status.code(), Some(0), "{}", text(&asked));
    let stdout = String::from_utf8_lossy(&asked.stdout);
    // How the question was understood comes before the SQL, as SQL comments.
    assert!(
        stdout.starts_with(
            "-- synthesizer: offline\n-- understood as: count of customer per Customer.Country\n\
             -- uses: tables Customer; columns Customer.Country\nSELECT "
        ),
        "{stdout}"
    );
    assert!(stdout.contains("| USA "), "the preview shows the largest group first: {stdout}");
    assert!(stdout.contains("3 rows (first 3; more rows exist)"), "{stdout}");
    let rows = stdout.lines().filter(|l| l.starts_with("| ") && !l.contains("Country")).count();
    assert_eq!(rows, 3, "the preview holds --rows rows: {stdout}");

    // The second time the same question comes from the answer cache.
    let again = sqlsynth(dir.path(), &["ask", question, "--source", "chinook", "--rows", "3"], &[]);
    assert!(
        String::from_utf8_lossy(&again.stdout).starts_with(
            "-- synthesizer: cache\n-- understood as: count of customer per Customer.Country\n\
                 -- uses: tables Customer; columns Customer.Country\n"
        ),
        "{}",
        text(&again)
    );

    let unanswered = sqlsynth(dir.path(), &["ask", "What is the meaning of life?", "--source", "chinook"], &[]);
    assert_eq!(unanswered.status.code(), Some(1), "{}", text(&unanswered));
    assert!(
        String::from_utf8_lossy(&unanswered.stdout).starts_with("unanswered: synthesis: "),
        "{}",
        text(&unanswered)
    );
    let unknown = sqlsynth(dir.path(), &["ask", question, "--source", "nope"], &[]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(!dir.path().join("out").exists(), "ask writes no output of its own");
}

#[test]
fn bad_job_files_exit_2_and_write_nothing() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let q = |id: &str| format!(r#"{{"id":"{id}","source":"chinook","question":"How many tracks are there?"}}"#);
    let too_many: Vec<String> = (0..10_001).map(|i| q(&format!("q{i}"))).collect();
    let cases: Vec<(String, &str)> = vec![
        ("not json at all".into(), "not valid JSON"),
        (format!(r#"{{"job_id":"../evil","questions":[{}]}}"#, q("q1")), "job_id"),
        (format!(r#"{{"job_id":"j","questions":[{}]}}"#, q("a/b")), "question #0"),
        (format!(r#"{{"job_id":"j","questions":[{},{}]}}"#, q("q1"), q("q1")), "more than once"),
        (
            r#"{"job_id":"j","questions":[{"id":"q","source":"sales","question":"x"}]}"#.into(),
            "source 'sales' is not configured",
        ),
        (
            r#"{"job_id":"j","questions":[{"id":"q","source":"chinook","question":"x","url":"sqlite://x"}]}"#.into(),
            "unknown field `url`",
        ),
        (r#"{"job_id":"j","questions":[]}"#.into(), "no questions"),
        (format!(r#"{{"job_id":"j","questions":[{}]}}"#, too_many.join(",")), "limit is 10000"),
        (format!(r#"{{"job_id":"j","questions":[{}],"pad":"{}"}}"#, q("q"), "x".repeat(17 << 20)), "16 MiB"),
    ];
    for (json, expected) in cases {
        std::fs::write(dir.path().join("bad.json"), &json).unwrap();
        let output = sqlsynth(dir.path(), &["run", "bad.json", "--out", "out"], &[]);
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(2), "{expected}: {shown}");
        assert!(shown.contains(expected), "expected {expected:?} in: {shown}");
        assert!(!dir.path().join("out").exists(), "{expected}: something was written");
    }
    let output = sqlsynth(dir.path(), &["run", "missing.json"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("missing.json"));
}

#[test]
fn one_bad_question_never_sinks_its_batch() {
    let dir = workdir(&[("chinook", sqlite_url())], "");
    let job = r#"{"job_id":"mixed","questions":[
        {"id":"good","source":"chinook","question":"How many tracks are there?"},
        {"id":"hostile","source":"chinook","question":"pinned","sql":"SELECT 1; ATTACH DATABASE '/tmp/x.db' AS x"},
        {"id":"broken","source":"chinook","question":"pinned","sql":"SELECT * FROM NoSuchTable"},
        {"id":"weather","source":"chinook","question":"What will the weather be in Paris tomorrow?"},
        {"id":"also_good","source":"chinook","question":"pinned","sql":"SELECT COUNT(*) AS n FROM Genre"}]}"#;
    std::fs::write(dir.path().join("mixed.json"), job).unwrap();
    let output = sqlsynth(dir.path(), &["run", "mixed.json", "--out", "out"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let m = manifest(dir.path(), "mixed");
    let by_id = |id: &str| m["questions"].as_array().unwrap().iter().find(|q| q["id"] == id).unwrap().clone();
    assert_eq!(by_id("good")["status"], "ok");
    assert_eq!(by_id("also_good")["rows"], 1);
    let hostile = by_id("hostile");
    assert_eq!(hostile["status"], "failed");
    assert!(hostile["error"].as_str().unwrap().starts_with("guard:"), "{hostile}");
    let broken = by_id("broken");
    assert_eq!(broken["status"], "failed");
    assert!(broken["error"].as_str().unwrap().starts_with("execution:"), "{broken}");
    assert!(broken["error"].as_str().unwrap().contains("NoSuchTable"), "{broken}");
    let weather = by_id("weather");
    assert_eq!(weather["status"], "unanswered");
    assert!(weather["error"].as_str().unwrap().starts_with("synthesis:"), "{weather}");
    assert_eq!(m["stats"]["ok"], 2);
    assert_eq!(m["stats"]["failed"], 2);
    assert_eq!(m["stats"]["unanswered"], 1);
    assert!(!dir.path().join("out/mixed/hostile.parquet").exists());
    assert!(!std::path::Path::new("/tmp/x.db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_job_gives_the_same_answers_on_sqlite_postgres_and_mariadb() {
    let Some(pg) = common::chinook::chinook_postgres().await else { return };
    let Some(my) = common::chinook::chinook_mysql().await else { return };
    let dir = workdir(&[("chinook", sqlite_url()), ("chinook_pg", pg), ("chinook_my", my)], "");
    let path = dir.path().to_path_buf();
    let answers = tokio::task::spawn_blocking(move || {
        Some((
            run_example(&path, None)?,
            run_example(&path, Some("chinook_pg"))?,
            run_example(&path, Some("chinook_my"))?,
        ))
    })
    .await
    .unwrap();
    let Some((lite, postgres, maria)) = answers else { return };
    for ((a, b), c) in lite.iter().zip(&postgres).zip(&maria) {
        assert_eq!(a.1, b.1, "question {}: SQLite and PostgreSQL differ", a.0);
        assert_eq!(a.1, c.1, "question {}: SQLite and MariaDB differ", a.0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_output_logs_or_manifests() {
    let Some(pg_admin) = common::postgres().await else { return };
    let Some(my_admin) = common::mysql().await else { return };
    let Some(pg_chinook) = common::chinook::chinook_postgres().await else { return };
    let Some(_) = common::chinook::chinook_mysql().await else { return };
    drop(pg_admin);
    // A MariaDB account whose password is the canary, and PostgreSQL (trust auth) given the canary too.
    sqlx::raw_sql(&format!(
        "CREATE USER IF NOT EXISTS 'sqlsynth_canary'@'%' IDENTIFIED BY '{CANARY}';
         CREATE USER IF NOT EXISTS 'sqlsynth_canary'@'localhost' IDENTIFIED BY '{CANARY}';
         GRANT SELECT ON sqlsynth_chinook.* TO 'sqlsynth_canary'@'%';
         GRANT SELECT ON sqlsynth_chinook.* TO 'sqlsynth_canary'@'localhost';"
    ))
    .execute(&my_admin)
    .await
    .unwrap();
    let pg_url = pg_chinook.replacen("postgres://postgres@", &format!("postgres://postgres:{CANARY}@"), 1);
    assert!(pg_url.contains(CANARY), "{pg_url}");
    let my_url = "mysql://sqlsynth_canary:${MY_PASSWORD}@127.0.0.1:3306/sqlsynth_chinook".to_string();
    let wrong = "mysql://sqlsynth_canary:wrong-Pw-1234@127.0.0.1:3306/sqlsynth_chinook".to_string();
    let dir = workdir(&[("pg", pg_url), ("my", my_url), ("bad", wrong)], "");
    let job = r#"{"job_id":"secret","questions":[
        {"id":"p1","source":"pg","question":"How many customers are there in each country?"},
        {"id":"m1","source":"my","question":"How many customers are there in each country?"},
        {"id":"p2","source":"pg","question":"pinned","sql":"SELECT nope FROM nowhere"}]}"#;
    std::fs::write(dir.path().join("job.json"), job).unwrap();
    let env = [("MY_PASSWORD", CANARY), ("SQLSYNTH_LOG", "trace")];
    let mut everything = String::new();
    for format in ["text", "json"] {
        std::fs::remove_dir_all(dir.path().join("out")).ok();
        let output = sqlsynth(dir.path(), &["--log-format", format, "run", "job.json", "--out", "out"], &env);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        everything.push_str(&text(&output));
        let written = std::fs::read_to_string(dir.path().join("out/secret/manifest.json")).unwrap();
        let records: Value = serde_json::from_str(&written).unwrap();
        for q in records["questions"].as_array().unwrap().iter().filter(|q| q["status"] == "ok") {
            assert!(q["interpretation"]["tables"].as_array().is_some_and(|t| !t.is_empty()), "{q}");
        }
        everything.push_str(&written);
    }
    // A source whose password is wrong: the error names the source, not the password.
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"job_id":"b","questions":[{"id":"q","source":"bad","question":"How many customers?"}]}"#,
    )
    .unwrap();
    let output = sqlsynth(dir.path(), &["run", "bad.json", "--out", "out"], &env);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("source 'bad'"), "{}", text(&output));
    everything.push_str(&text(&output));
    let output = sqlsynth(dir.path(), &["schema", "--source", "my"], &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    everything.push_str(&text(&output));

    assert!(everything.contains("sqlsynth"), "the runs produced output");
    assert!(!everything.contains(CANARY), "the canary password leaked");
    assert!(!everything.contains("wrong-Pw-1234"), "the wrong password leaked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_killed_mid_query_is_retried_and_the_answer_completes() {
    let Some(admin) = common::postgres().await else { return };
    let marker = format!("{}", 20_000_000 + std::process::id() % 1000);
    let dir = workdir(&[("pg", common::postgres_url())], "[exec]\nmax_retries = 3\nstatement_timeout_ms = 120000\n");
    let job = format!(
        r#"{{"job_id":"retry","questions":[{{"id":"slow","source":"pg","question":"pinned",
            "sql":"SELECT COUNT(*) AS n FROM generate_series(1, {marker})"}}]}}"#
    );
    std::fs::write(dir.path().join("job.json"), job).unwrap();
    let path = dir.path().to_path_buf();
    let run = tokio::task::spawn_blocking(move || sqlsynth(&path, &["run", "job.json", "--out", "out"], &[]));
    // Kill the backend running the query once, as a failover or a restart would.
    let pattern = format!("%generate_series(1, {marker})%");
    let mut killed = false;
    for _ in 0..600 {
        let terminated: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'sqlsynth' AND query LIKE $1 AND state = 'active'",
        )
        .bind(&pattern)
        .fetch_all(&admin)
        .await
        .unwrap();
        if terminated.iter().any(|t| *t) {
            killed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let output = run.await.unwrap();
    assert!(killed, "the query was never seen running");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("transient error; retrying"), "{}", text(&output));
    let m = manifest(dir.path(), "retry");
    assert_eq!(m["questions"][0]["status"], "ok");
    assert_eq!(m["questions"][0]["rows"], 1);
    let Some(read) = common::pyarrow::read(&[dir.path().join("out/retry/slow.parquet")], &[]) else { return };
    let rows = &read[dir.path().join("out/retry/slow.parquet").to_str().unwrap()]["rows"];
    assert_eq!(rows[0][0], format!("{marker}.00"));
}
