//! `sqlsynth eval` end to end, as a user runs it: every eval set kept in
//! `evals/` on SQLite and PostgreSQL (Chinook, HR and Customer Orders on
//! MariaDB too), with what the offline synthesizer must meet on each: for
//! Chinook and the clinic coverage >= 0.85 and precision >= 0.97; for the
//! tiered sets (HR, Customer Orders) the targets of issue #11 per tier
//! ([`targets`]); bad input exits 2; the questions are identical across a
//! set's dialects; and the runner works with any synthesizer (closures
//! here), so an answer that is the gold SQL scores 100% and one that always
//! abstains scores 0%.
//!
//! PostgreSQL and MariaDB tests skip outside CI when the server is missing and fail under
//! `CI=true` (see `common`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::Value;
use sqlsynth::config::Settings;
use sqlsynth::eval::{CaseStatus, EvalSet, Tier, run_eval};
use sqlsynth::pipeline::Pipeline;
use sqlsynth::synth::{Abstention, SqlAnswer, SynthesizerKind};

const MIN_COVERAGE: f64 = 0.85;
const MIN_PRECISION: f64 = 0.97;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chinook_sqlite_url() -> String {
    common::chinook::chinook_sqlite_url()
}

/// A work directory with a config naming one source.
fn workdir(source: &str, url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), source, url);
    dir
}

fn write_config(dir: &Path, source: &str, url: &str) {
    std::fs::write(dir.join("sqlsynth.toml"), format!("[sources.{source}]\nurl = \"{url}\"\nmax_connections = 4\n"))
        .unwrap();
}

fn sqlsynth(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqlsynth"))
        .current_dir(dir)
        .args(args)
        .env_remove("SQLSYNTH_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("SQLSYNTH_LOG")
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Runs `sqlsynth eval SET --source NAME --json` and returns the report.
fn eval_json(dir: &Path, set: &str, source: &str) -> Value {
    let path = repo().join("evals").join(set); // an absolute `set` stays as it is
    let output = sqlsynth(dir, &["eval", path.to_str().unwrap(), "--source", source, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)))
}

/// [`eval_json`] off the async runtime (the binary runs for seconds); the
/// work directory lives until the run ends.
async fn eval_json_in_background(dir: tempfile::TempDir, set: &'static str, source: &'static str) -> Value {
    tokio::task::spawn_blocking(move || eval_json(dir.path(), set, source)).await.unwrap()
}

/// Asserts the targets and that the report adds up; prints the misses for whoever reads the log.
fn assert_targets(report: &Value, min_cases: usize) {
    let cases = report["cases"].as_array().unwrap();
    let total = report["total"].as_u64().unwrap() as usize;
    let answered = cases.iter().filter(|c| c["status"] == "answered").count();
    let correct = cases.iter().filter(|c| c["correct"] == true).count();
    assert_eq!(total, cases.len());
    assert!(total >= min_cases, "{total} cases, want at least {min_cases}");
    assert_eq!(report["answered"].as_u64().unwrap() as usize, answered);
    assert_eq!(report["correct"].as_u64().unwrap() as usize, correct);
    for case in cases.iter().filter(|c| c["correct"] != true) {
        eprintln!("{} {}: {} | {}", case["id"], case["status"], case["reason"], case["sql"]);
    }
    let (coverage, precision) = (report["coverage"].as_f64().unwrap(), report["precision"].as_f64().unwrap());
    eprintln!("{} ({}): coverage {coverage:.3}, precision {precision:.3}", report["source"], report["dialect"]);
    assert!((coverage - answered as f64 / total as f64).abs() < 1e-9);
    assert!(coverage >= MIN_COVERAGE, "coverage {coverage:.3} < {MIN_COVERAGE}");
    assert!(precision >= MIN_PRECISION, "precision {precision:.3} < {MIN_PRECISION}");
}

/// Issue #11's targets for the tiered sets, on every dialect.
mod targets {
    /// Simple and medium cases together.
    pub const SIMPLE_MEDIUM_COVERAGE: f64 = 0.90;
    pub const SIMPLE_MEDIUM_PRECISION: f64 = 0.97;
    pub const HARD_COVERAGE: f64 = 0.50;
    pub const HARD_PRECISION: f64 = 0.95;
    /// Refusal cases on which the synthesizer abstains.
    pub const REFUSALS: f64 = 1.0;
}

/// Answered and correct over some tiers of a report: (total, answered, correct).
fn tier_counts(report: &Value, tiers: &[&str]) -> (u64, u64, u64) {
    tiers.iter().fold((0, 0, 0), |(t, a, c), tier| {
        let totals = &report["tiers"][tier];
        (
            t + totals["total"].as_u64().unwrap(),
            a + totals["answered"].as_u64().unwrap(),
            c + totals["correct"].as_u64().unwrap(),
        )
    })
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Checks that a tiered report adds up, prints every figure against its
/// target (and the misses), and asserts the targets. The set must have at
/// least `min_cases` cases with gold SQL, `min_hard` of them hard, and
/// `min_refusals` refusal cases.
fn assert_tiered(report: &Value, min_cases: usize, min_hard: u64, min_refusals: u64) {
    let cases = report["cases"].as_array().unwrap();
    let answerable: Vec<&Value> = cases.iter().filter(|c| c["expect"] == "answer").collect();
    let refusals: Vec<&Value> = cases.iter().filter(|c| c["expect"] == "refuse").collect();
    assert_eq!(answerable.len() + refusals.len(), cases.len());
    let total = report["total"].as_u64().unwrap();
    assert_eq!(total as usize, answerable.len());
    assert!(total as usize >= min_cases, "{total} cases with gold SQL, want at least {min_cases}");
    assert_eq!(tier_counts(report, &["simple", "medium", "hard"]).0, total);
    for tier in ["simple", "medium", "hard"] {
        let of_tier: Vec<&&Value> = answerable.iter().filter(|c| c["tier"] == tier).collect();
        let totals = &report["tiers"][tier];
        assert_eq!(totals["total"].as_u64().unwrap() as usize, of_tier.len(), "{tier}");
        assert_eq!(
            totals["answered"].as_u64().unwrap() as usize,
            of_tier.iter().filter(|c| c["status"] == "answered").count(),
            "{tier}"
        );
        assert_eq!(
            totals["correct"].as_u64().unwrap() as usize,
            of_tier.iter().filter(|c| c["correct"] == true).count()
        );
    }
    let refused = refusals.iter().filter(|c| c["status"] == "abstained").count();
    assert!(refusals.iter().all(|c| (c["status"] == "abstained") == (c["correct"] == true)));
    assert_eq!(report["refusals"]["total"].as_u64().unwrap() as usize, refusals.len());
    assert_eq!(report["refusals"]["refused"].as_u64().unwrap() as usize, refused);

    for case in cases.iter().filter(|c| c["correct"] != true) {
        eprintln!("{} [{}] {}: {} | {}", case["id"], case["tier"], case["status"], case["reason"], case["sql"]);
    }
    let (sm_total, sm_answered, sm_correct) = tier_counts(report, &["simple", "medium"]);
    let (hard_total, hard_answered, hard_correct) = tier_counts(report, &["hard"]);
    assert!(hard_total >= min_hard, "{hard_total} hard cases, want at least {min_hard}");
    assert!(refusals.len() as u64 >= min_refusals, "{} refusal cases, want at least {min_refusals}", refusals.len());
    let refusal_total = refusals.len() as u64;
    // (name, numerator, denominator, target)
    let figures = [
        ("simple+medium coverage", sm_answered, sm_total, targets::SIMPLE_MEDIUM_COVERAGE),
        ("simple+medium precision", sm_correct, sm_answered, targets::SIMPLE_MEDIUM_PRECISION),
        ("hard coverage", hard_answered, hard_total, targets::HARD_COVERAGE),
        ("hard precision", hard_correct, hard_answered, targets::HARD_PRECISION),
        ("refusals", refused as u64, refusal_total, targets::REFUSALS),
    ];
    assert!((report["refusals"]["rate"].as_f64().unwrap() - ratio(refused as u64, refusal_total)).abs() < 1e-9);
    let (source, dialect) = (report["source"].as_str().unwrap(), report["dialect"].as_str().unwrap());
    for (name, part, whole, target) in figures {
        let value = ratio(part, whole);
        let mark = if value + 1e-9 >= target { "meets the target" } else { "BELOW TARGET" };
        eprintln!("{source} ({dialect}) {name}: {part}/{whole} = {value:.3} (target {target}: {mark})");
    }
    for (name, part, whole, target) in figures {
        let value = ratio(part, whole);
        assert!(whole > 0, "{source} ({dialect}) {name}: nothing to measure");
        assert!(value + 1e-9 >= target, "{source} ({dialect}) {name} {value:.3} is below its target {target}");
    }
}

async fn run_tiered_on_sqlite(fixture: &'static common::samples::Fixture, set: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let url = fixture.sqlite(dir.path()).await;
    write_config(dir.path(), fixture.name, &url);
    let report = eval_json_in_background(dir, set, fixture.name).await;
    assert_eq!(report["dialect"], "sqlite");
    assert_tiered(&report, 40, 10, 5);
}

async fn run_tiered(url: String, fixture: &'static common::samples::Fixture, set: &'static str, dialect: &str) {
    let dir = workdir(fixture.name, &url);
    let report = eval_json_in_background(dir, set, fixture.name).await;
    assert_eq!(report["dialect"], dialect);
    assert_tiered(&report, 40, 10, 5);
}

#[tokio::test]
async fn hr_meets_its_targets_on_sqlite() {
    run_tiered_on_sqlite(&common::samples::HR, "hr.json").await;
}

#[tokio::test]
async fn hr_meets_its_targets_on_postgres() {
    let Some(url) = common::samples::HR.postgres().await else { return };
    run_tiered(url, &common::samples::HR, "hr.json", "postgres").await;
}

#[tokio::test]
async fn hr_meets_its_targets_on_mariadb() {
    let Some(url) = common::samples::HR.mysql().await else { return };
    run_tiered(url, &common::samples::HR, "hr.json", "mysql").await;
}

#[tokio::test]
async fn customer_orders_meets_its_targets_on_sqlite() {
    run_tiered_on_sqlite(&common::samples::CUSTOMER_ORDERS, "customer_orders.json").await;
}

#[tokio::test]
async fn customer_orders_meets_its_targets_on_postgres() {
    let fixture = &common::samples::CUSTOMER_ORDERS;
    let Some(url) = fixture.postgres().await else { return };
    run_tiered(url, fixture, "customer_orders.json", "postgres").await;
}

#[tokio::test]
async fn customer_orders_meets_its_targets_on_mariadb() {
    let fixture = &common::samples::CUSTOMER_ORDERS;
    let Some(url) = fixture.mysql().await else { return };
    run_tiered(url, fixture, "customer_orders.json", "mysql").await;
}

fn questions(set: &str) -> Vec<(String, String)> {
    let set = EvalSet::parse(&std::fs::read(repo().join("evals").join(set)).unwrap()).unwrap();
    set.cases.into_iter().map(|c| (c.id, c.question)).collect()
}

#[test]
fn chinook_meets_the_targets_on_sqlite() {
    let dir = workdir("chinook", &chinook_sqlite_url());
    assert_targets(&eval_json(dir.path(), "chinook.sqlite.json", "chinook"), 80);
}

#[tokio::test]
async fn chinook_meets_the_targets_on_postgres() {
    let Some(url) = common::chinook::chinook_postgres().await else { return };
    let dir = workdir("chinook", &url);
    let report = eval_json_in_background(dir, "chinook.postgres.json", "chinook").await;
    assert_eq!(report["dialect"], "postgres");
    assert_targets(&report, 80);
}

#[tokio::test]
async fn chinook_meets_the_targets_on_mariadb() {
    let Some(url) = common::chinook::chinook_mysql().await else { return };
    let dir = workdir("chinook", &url);
    let report = eval_json_in_background(dir, "chinook.mysql.json", "chinook").await;
    assert_eq!(report["dialect"], "mysql");
    assert_targets(&report, 80);
}

#[tokio::test]
async fn clinic_meets_the_targets_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::clinic::clinic_sqlite(dir.path()).await;
    write_config(dir.path(), "clinic", &url);
    let report = eval_json_in_background(dir, "clinic.json", "clinic").await;
    assert_targets(&report, 30);
}

#[tokio::test]
async fn clinic_meets_the_targets_on_postgres() {
    let Some(url) = common::clinic::clinic_postgres().await else { return };
    let dir = workdir("clinic", &url);
    let report = eval_json_in_background(dir, "clinic.json", "clinic").await;
    assert_eq!(report["dialect"], "postgres");
    assert_targets(&report, 30);
}

#[test]
fn a_set_asks_the_same_questions_in_every_dialect() {
    assert_eq!(questions("chinook.sqlite.json"), questions("chinook.postgres.json"));
    assert_eq!(questions("chinook.sqlite.json"), questions("chinook.mysql.json"));
}

#[test]
fn the_table_shows_each_case_and_the_totals() {
    let dir = workdir("chinook", &chinook_sqlite_url());
    let set = dir.path().join("set.json");
    std::fs::write(
        &set,
        r#"{"cases": [
            {"id": "n", "question": "How many genres are there?", "gold_sql": "SELECT COUNT(*) FROM Genre"},
            {"id": "wrong", "question": "How many artists are there?", "gold_sql": "SELECT COUNT(*) FROM Album"},
            {"id": "w", "question": "Delete all invoices", "gold_sql": "SELECT COUNT(*) FROM Invoice"}
        ]}"#,
    )
    .unwrap();
    let output = sqlsynth(dir.path(), &["eval", set.to_str().unwrap(), "--source", "chinook"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = |id: &str| stdout.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap().to_string();
    assert!(line("n").contains("answered") && line("n").contains(" yes "), "{stdout}");
    assert!(line("wrong").contains("answered") && line("wrong").contains(" no "), "{stdout}");
    assert!(line("w").contains("abstained") && line("w").contains("change data"), "{stdout}");
    assert!(stdout.contains("2 answered, 1 correct, coverage 66.7%, precision 50.0%"), "{stdout}");
}

#[test]
fn tiers_and_refusals_are_reported_apart_in_text_and_json() {
    let dir = workdir("chinook", &chinook_sqlite_url());
    let set = dir.path().join("set.json");
    std::fs::write(
        &set,
        r#"{"cases": [
            {"id": "n", "question": "How many genres are there?", "gold_sql": "SELECT COUNT(*) FROM Genre", "tier": "simple"},
            {"id": "m", "question": "How many artists are there?", "gold_sql": "SELECT COUNT(*) FROM Artist"},
            {"id": "h", "question": "What share of revenue comes from the USA?", "gold_sql": "SELECT 1.0 * SUM(CASE WHEN BillingCountry = 'USA' THEN Total ELSE 0 END) / SUM(Total) FROM Invoice", "tier": "hard"},
            {"id": "del", "question": "Delete all invoices", "expect": "refuse"},
            {"id": "ask", "question": "How many albums do we have?", "expect": "refuse"}
        ]}"#,
    )
    .unwrap();
    let path = set.to_str().unwrap();
    let output = sqlsynth(dir.path(), &["eval", path, "--source", "chinook"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = |id: &str| stdout.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap().to_string();
    assert!(
        line("n").contains(" simple ") && line("m").contains(" medium ") && line("h").contains(" hard "),
        "{stdout}"
    );
    assert!(line("del").contains("abstained") && line("del").contains(" yes ") && line("del").contains(" refuse "));
    assert!(line("ask").contains("answered") && line("ask").contains(" no ") && line("ask").contains("should refuse"));
    // The overall line counts the three cases with gold SQL only.
    assert!(stdout.contains("3 cases on chinook (sqlite): "), "{stdout}");
    assert!(stdout.contains("  simple: 1 cases, 1 answered, 1 correct, coverage 100.0%, precision 100.0%"), "{stdout}");
    assert!(stdout.contains("  hard: 1 cases, "), "{stdout}");
    assert!(stdout.contains("refusals: 2 cases, 1 refused (50.0%)"), "{stdout}");

    let report = eval_json(dir.path(), path, "chinook");
    assert_eq!(report["total"], 3);
    assert_eq!(report["tiers"]["simple"]["total"], 1);
    assert_eq!(report["tiers"]["medium"]["correct"], 1);
    assert_eq!(report["tiers"]["hard"]["total"], 1);
    assert_eq!(report["refusals"], serde_json::json!({"total": 2, "refused": 1, "rate": 0.5}));
    let case = |id: &str| report["cases"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!((case("m")["tier"].clone(), case("m")["expect"].clone()), ("medium".into(), "answer".into()));
    assert_eq!((case("del")["tier"].clone(), case("del")["expect"].clone()), (Value::Null, "refuse".into()));
    assert!(case("ask")["sql"].is_string());
}

#[test]
fn bad_input_exits_2() {
    let dir = workdir("chinook", &chinook_sqlite_url());
    let write = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cases = [
        (write("bad.json", "{not json"), "chinook", ""),
        (write("empty.json", r#"{"cases": []}"#), "chinook", "no cases"),
        (
            write("extra.json", r#"{"cases": [{"id": "a", "question": "q", "gold_sql": "SELECT 1", "x": 1}]}"#),
            "chinook",
            "x",
        ),
        (
            write("gold.json", r#"{"cases": [{"id": "g1", "question": "q", "gold_sql": "DELETE FROM Genre"}]}"#),
            "chinook",
            "g1",
        ),
        (
            write("broken.json", r#"{"cases": [{"id": "g2", "question": "q", "gold_sql": "SELECT nope FROM Genre"}]}"#),
            "chinook",
            "g2",
        ),
        (
            write("ok.json", r#"{"cases": [{"id": "a", "question": "q", "gold_sql": "SELECT 1"}]}"#),
            "elsewhere",
            "elsewhere",
        ),
        (dir.path().join("missing.json").to_str().unwrap().to_string(), "chinook", "missing.json"),
        (write("nogold.json", r#"{"cases": [{"id": "ng", "question": "q"}]}"#), "chinook", "no gold_sql"),
        (
            write("tier.json", r#"{"cases": [{"id": "a", "question": "q", "gold_sql": "SELECT 1", "tier": "easy"}]}"#),
            "chinook",
            "easy",
        ),
        (
            write(
                "refusegold.json",
                r#"{"cases": [{"id": "rg", "question": "q", "gold_sql": "SELECT 1", "expect": "refuse"}]}"#,
            ),
            "chinook",
            "rg",
        ),
    ];
    for (path, source, mentions) in cases {
        let output = sqlsynth(dir.path(), &["eval", &path, "--source", source]);
        assert_eq!(output.status.code(), Some(2), "{path}: {}", text(&output));
        assert!(text(&output).contains(mentions), "{path}: {}", text(&output));
    }
}

/// The tiered sets through the library on SQLite: a synthesizer that answers
/// with the gold SQL and declines the refusal cases meets every target, so
/// the targets are reachable and the gold SQL runs; one that answers
/// everything fails every refusal.
#[tokio::test]
async fn an_oracle_meets_every_target_on_the_tiered_sets() {
    for (fixture, file) in
        [(&common::samples::HR, "hr.json"), (&common::samples::CUSTOMER_ORDERS, "customer_orders.json")]
    {
        let dir = tempfile::tempdir().unwrap();
        let url = fixture.sqlite(dir.path()).await;
        let settings =
            Settings::from_toml(&format!("[sources.{}]\nurl = \"{url}\"\n", fixture.name), "test", None, &[]).unwrap();
        let pipeline = Pipeline::new(Arc::new(settings));
        let set = EvalSet::parse(&std::fs::read(repo().join("evals").join(file)).unwrap()).unwrap();
        let gold: std::collections::HashMap<String, Option<String>> =
            set.cases.iter().map(|c| (c.question.clone(), c.gold_sql.clone())).collect();
        let oracle = |question: &str| -> Result<SqlAnswer, Abstention> {
            match &gold[question] {
                Some(sql) => Ok(SqlAnswer {
                    sql: sql.clone(),
                    synthesizer: SynthesizerKind::Llm,
                    confidence: 1.0,
                    restatement: None,
                }),
                None => Err(Abstention { reason: "not a question about the data".into() }),
            }
        };
        let report = run_eval(&pipeline, fixture.name, &set, &oracle).await.unwrap();
        for tier in Tier::ALL {
            let totals = report.tiers.get(tier);
            assert!(totals.total > 0, "{file}: no {} cases", tier.name());
            assert_eq!((totals.coverage, totals.precision), (1.0, 1.0), "{file} {}: {totals:?}", tier.name());
        }
        assert_eq!(report.refusals.rate, 1.0, "{file}");

        let eager = |_: &str| -> Result<SqlAnswer, Abstention> {
            Ok(SqlAnswer {
                sql: "SELECT 1".into(),
                synthesizer: SynthesizerKind::Llm,
                confidence: 1.0,
                restatement: None,
            })
        };
        let report = run_eval(&pipeline, fixture.name, &set, &eager).await.unwrap();
        assert_eq!((report.refusals.refused, report.refusals.rate), (0, 0.0), "{file}");
        assert!(report.refusals.total >= 5, "{file}");
        pipeline.close().await;
    }
}

/// The runner through the library, with closures standing in for other synthesizers.
#[tokio::test]
async fn any_synthesizer_can_be_measured() {
    let settings =
        Settings::from_toml(&format!("[sources.chinook]\nurl = \"{}\"\n", chinook_sqlite_url()), "test", None, &[])
            .unwrap();
    let pipeline = Pipeline::new(Arc::new(settings));
    let set = EvalSet::parse(&std::fs::read(repo().join("evals/chinook.sqlite.json")).unwrap()).unwrap();
    let gold: std::collections::HashMap<String, String> =
        set.cases.iter().filter_map(|c| Some((c.question.clone(), c.gold_sql.clone()?))).collect();
    let oracle = |question: &str| -> Result<SqlAnswer, Abstention> {
        Ok(SqlAnswer {
            sql: gold[question].clone(),
            synthesizer: SynthesizerKind::Llm,
            confidence: 1.0,
            restatement: None,
        })
    };
    let report = run_eval(&pipeline, "chinook", &set, &oracle).await.unwrap();
    assert_eq!(
        (report.answered, report.correct, report.precision, report.coverage),
        (set.cases.len(), set.cases.len(), 1.0, 1.0)
    );

    let shy = |_: &str| -> Result<SqlAnswer, Abstention> { Err(Abstention { reason: "no idea".into() }) };
    let report = run_eval(&pipeline, "chinook", &set, &shy).await.unwrap();
    assert_eq!((report.answered, report.correct, report.coverage, report.precision), (0, 0, 0.0, 0.0));
    assert!(report.cases.iter().all(|c| c.status == CaseStatus::Abstained && c.reason == "no idea"));

    // Same rows in another column order and row order is correct unless the gold orders.
    let reordered = |question: &str| -> Result<SqlAnswer, Abstention> {
        let sql = match question {
            "List all genres" => "SELECT Name, GenreId FROM Genre ORDER BY Name DESC",
            "What are the 5 longest tracks?" => {
                "SELECT Milliseconds, Name, TrackId FROM Track ORDER BY Milliseconds DESC LIMIT 5"
            }
            "What are the 3 shortest tracks?" => {
                "SELECT * FROM (SELECT TrackId, Name, Milliseconds FROM Track ORDER BY Milliseconds LIMIT 3) ORDER BY TrackId DESC"
            }
            _ => return Err(Abstention { reason: "skip".into() }),
        };
        Ok(SqlAnswer { sql: sql.into(), synthesizer: SynthesizerKind::Llm, confidence: 1.0, restatement: None })
    };
    let report = run_eval(&pipeline, "chinook", &set, &reordered).await.unwrap();
    let outcome = |id: &str| report.cases.iter().find(|c| c.id == id).unwrap().clone();
    assert!(outcome("list_genres").correct, "{:?}", outcome("list_genres"));
    assert!(outcome("longest5").correct, "{:?}", outcome("longest5"));
    let shortest = outcome("shortest3");
    assert!(!shortest.correct && shortest.reason.contains("wrong order"), "{shortest:?}");
    pipeline.close().await;
}
