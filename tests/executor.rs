//! The executor's limits against the real databases: statement timeouts, the
//! row cap, read-only transactions as the second line of defence when the
//! guard is bypassed, and pool hygiene (a session change never reaches the
//! next query). Queries here bypass the guard on purpose by building
//! `GuardedSql` directly.

mod common;

use arrow_array::RecordBatch;
use sqlsynth::config::Settings;
use sqlsynth::dialect::Dialect;
use sqlsynth::execute::stream::StreamSummary;
use sqlsynth::execute::{ExecError, Executor};
use sqlsynth::guard::{GuardedSql, ReadOnlyGuard};

fn executor(url: &str, extra: &str) -> Executor {
    let toml = format!("[sources.db]\nurl = \"{url}\"\nmax_connections = 1\n{extra}");
    let settings = Settings::from_toml(&toml, "test", None, &[]).expect("valid test config");
    Executor::new(&settings.sources, settings.exec)
}

async fn run(executor: &Executor, sql: &str) -> (Result<StreamSummary, ExecError>, Vec<RecordBatch>) {
    executor.run_collect("db", &GuardedSql { sql: sql.to_string(), uses: Default::default() }).await
}

/// Runs SQL the way the pipeline does: through the guard with the row cap.
async fn run_guarded(
    executor: &Executor,
    dialect: Dialect,
    sql: &str,
) -> (Result<StreamSummary, ExecError>, Vec<RecordBatch>) {
    let cap = executor.settings().max_rows + 1;
    let guarded = ReadOnlyGuard::new(dialect).with_row_cap(cap).check(sql).expect("the guard accepts this query");
    run(executor, &guarded.sql).await
}

fn first_string(batches: &[RecordBatch]) -> String {
    let batch = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    arrow_cast::display::array_value_to_string(batch.column(0), 0).unwrap()
}

fn sqlite_url() -> String {
    format!("sqlite://{}/jobs/demo/chinook.sqlite", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn row_cap_truncates_and_says_so() {
    let exec = executor(&sqlite_url(), "[exec]\nmax_rows = 100\nbatch_rows = 32\n");
    let (result, batches) = run_guarded(&exec, Dialect::Sqlite, "SELECT TrackId FROM Track").await;
    let summary = result.unwrap();
    assert_eq!(summary.rows, 100);
    assert!(summary.truncated);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 100);
    assert!(batches.iter().all(|b| b.num_rows() <= 32));

    let (result, _) = run_guarded(&exec, Dialect::Sqlite, "SELECT GenreId FROM Genre").await;
    let summary = result.unwrap();
    assert_eq!((summary.rows, summary.truncated), (25, false));
}

#[tokio::test]
async fn sqlite_runaway_query_is_interrupted_at_the_timeout() {
    let exec = executor(&sqlite_url(), "[exec]\nstatement_timeout_ms = 300\n");
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n";
    let (result, _) = run(&exec, sql).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ExecError::Timeout { timeout_ms: 300 }), "{err}");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    // The connection is usable afterwards and the handler is gone.
    let (result, batches) = run(&exec, "SELECT COUNT(*) FROM Artist").await;
    result.unwrap();
    assert_eq!(first_string(&batches), "275");
}

#[tokio::test]
async fn sqlite_cannot_write_even_without_the_guard() {
    let exec = executor(&sqlite_url(), "");
    for sql in ["DELETE FROM Genre", "CREATE TABLE x(a)", "INSERT INTO Genre (Name) VALUES ('x')"] {
        let (result, _) = run(&exec, sql).await;
        let err = result.unwrap_err().to_string();
        assert!(err.contains("readonly") || err.contains("read-only") || err.contains("query_only"), "{sql}: {err}");
    }
    let (_, batches) = run(&exec, "SELECT COUNT(*) FROM Genre").await;
    assert_eq!(first_string(&batches), "25");
}

#[tokio::test]
async fn postgres_timeout_row_cap_read_only_and_hygiene() {
    let Some(_) = common::postgres().await else { return };
    let exec = executor(&common::postgres_url(), "[exec]\nstatement_timeout_ms = 400\nmax_rows = 1000\n");

    let (result, _) = run(&exec, "SELECT COUNT(*) FROM generate_series(1, 10000000000::bigint)").await;
    let err = result.unwrap_err();
    assert!(matches!(err, ExecError::Timeout { .. }), "{err}");

    // The cap reaches the server as a LIMIT, so a runaway result stops there.
    let cross = "SELECT a, b FROM generate_series(1, 100000) a CROSS JOIN generate_series(1, 100000) b";
    let (result, _) = run_guarded(&exec, Dialect::Postgres, cross).await;
    let summary = result.unwrap();
    assert_eq!((summary.rows, summary.truncated), (1000, true));

    let (result, _) = run(&exec, "CREATE TABLE sqlsynth_should_not_exist (a int)").await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("read-only transaction"), "{err}");

    // A session-level change made by one query is gone for the next one
    // (one connection in the pool, so the next query gets the same session).
    let (result, _) = run(&exec, "SELECT set_config('search_path', 'pg_temp', false)").await;
    result.unwrap();
    let (_, batches) = run(&exec, "SELECT current_setting('search_path')").await;
    assert_eq!(first_string(&batches), "\"$user\", public");
    let (result, _) = run(&exec, "SELECT 1 AS locked FROM (SELECT pg_advisory_lock(4242)) AS l").await;
    result.unwrap();
    let (_, batches) = run(&exec, "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242").await;
    assert_eq!(first_string(&batches), "0");
    // And the statement timeout set for one query does not linger either.
    let (_, batches) = run(&exec, "SELECT current_setting('statement_timeout')").await;
    assert_eq!(first_string(&batches), "400ms");
}

#[tokio::test]
async fn mariadb_timeout_row_cap_read_only_and_hygiene() {
    let Some(_) = common::mysql().await else { return };
    let exec = executor(&common::mysql_url(), "[exec]\nstatement_timeout_ms = 400\nmax_rows = 1000\n");

    let heavy =
        "SELECT COUNT(*) FROM information_schema.COLUMNS a, information_schema.COLUMNS b, information_schema.COLUMNS c";
    let (result, _) = run(&exec, heavy).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ExecError::Timeout { .. }), "{err}");

    let cross = "SELECT a.COLUMN_NAME FROM information_schema.COLUMNS a, information_schema.COLUMNS b";
    let (result, _) = run_guarded(&exec, Dialect::MySql, cross).await;
    let summary = result.unwrap();
    assert_eq!((summary.rows, summary.truncated), (1000, true));

    let (result, _) = run(&exec, "CREATE TABLE sqlsynth_should_not_exist (a int)").await;
    // DDL commits implicitly in MySQL, so this one must be stopped by the
    // read-only transaction before it runs.
    let err = result.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("read only") || err.contains("READ ONLY"), "{err}");

    // Whether or not the stream accepts a non-query, the change must not survive.
    let _ = run(&exec, "SET SESSION sql_mode = 'ANSI_QUOTES'").await;
    let (_, batches) = run(&exec, "SELECT @@SESSION.sql_mode LIKE '%ANSI_QUOTES%'").await;
    assert_eq!(first_string(&batches), "0");
}
