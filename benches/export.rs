//! Export benchmark (issue: batch pipeline): rows per second and peak RSS of
//! `sqlsynth run` exporting a PostgreSQL table to Parquet through a
//! pinned-SQL job, at 500,000 and 5,000,000 rows, beside ConnectorX with
//! pyarrow on the same table when `connectorx` is installed, and the time
//! PostgreSQL alone needs to COPY the rows out. Two tables per size: `mixed`
//! (seven columns of mixed types) and `hicard` (issue 13: a text column with
//! 50,000 distinct values and an md5 column, whose memory must stay flat).
//!
//! Run: `cargo bench --bench export` (PostgreSQL at POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/test). BENCH_ROWS=500000,5000000 picks
//! the sizes. The tables `sqlsynth_bench_export_<rows>` are created once and reused.
//! Each measurement is a fresh child process, so its peak RSS is its own.
//!
//! When an S3-compatible server answers at S3_ENDPOINT (default
//! http://127.0.0.1:5000, moto's server as `.ci/run` starts it), the same export
//! also runs with `--out s3://sqlsynth-bench/...`: a streaming multipart upload.

#[path = "common/s3.rs"]
mod s3;

use std::path::Path;
use std::process::Command;

use s3::{S3_BUCKET, s3_endpoint};
use std::time::{Duration, Instant};

/// The tables exported, by kind.
const KINDS: [&str; 2] = ["mixed", "hicard"];

/// One table per kind and size, so every export scans exactly the rows it writes.
fn table(kind: &str, rows: u64) -> String {
    match kind {
        "mixed" => format!("sqlsynth_bench_export_{rows}"),
        _ => format!("sqlsynth_bench_{kind}_{rows}"),
    }
}

fn postgres_url() -> String {
    std::env::var("POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs a command to completion and returns (wall time, peak RSS in MiB, success).
fn measure(command: &mut Command) -> (Duration, f64, bool) {
    let started = Instant::now();
    // Reaped by wait4 below, which also reports the child's own peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().expect("the command starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 writes a whole one.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child and the pointers are valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let elapsed = started.elapsed();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (elapsed, usage.ru_maxrss as f64 / 1024.0, ok)
}

fn psql(sql: &str) -> String {
    let output =
        Command::new("psql").args([&postgres_url(), "-X", "-q", "-t", "-A", "-c", sql]).output().expect("psql runs");
    assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn ensure_table(kind: &str, rows: u64) {
    let table = table(kind, rows);
    let exists = psql(&format!("SELECT to_regclass('{table}') IS NOT NULL")) == "t";
    let existing =
        if exists { psql(&format!("SELECT COUNT(*) FROM {table}")).parse::<i64>().unwrap_or(-1) } else { -1 };
    if existing >= rows as i64 {
        return;
    }
    eprintln!("creating {table} with {rows} rows ...");
    if kind == "hicard" {
        psql(&format!(
            "DROP TABLE IF EXISTS {table};
             CREATE TABLE {table} AS
             SELECT i::bigint AS id,
                    'customer-' || (abs(hashint4(i)::bigint) % 50000) AS name,
                    md5(i::text) AS digest
             FROM generate_series(1, {rows}) AS i;
             ANALYZE {table};"
        ));
        return;
    }
    psql(&format!(
        "DROP TABLE IF EXISTS {table};
         CREATE TABLE {table} AS
         SELECT i::bigint AS id,
                (i % 1000)::integer AS quantity,
                ((i % 100000) / 100.0)::numeric(12,2) AS price,
                (i * 0.5)::double precision AS score,
                (i % 2 = 0) AS active,
                TIMESTAMP '2020-01-01' + (i || ' seconds')::interval AS created_at,
                CASE WHEN i % 10 = 0 THEN NULL ELSE 'item-' || (i % 5000) END AS label
         FROM generate_series(1, {rows}) AS i;
         ANALYZE {table};"
    ));
}

fn main() {
    let sizes: Vec<u64> = std::env::var("BENCH_ROWS")
        .unwrap_or_else(|_| "500000,5000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("BENCH_ROWS is a list of numbers"))
        .collect();
    let largest = *sizes.iter().max().unwrap();
    for &rows in &sizes {
        for kind in KINDS {
            ensure_table(kind, rows);
        }
    }
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("sqlsynth.toml"),
        format!(
            "[sources.bench]\nurl = \"{}\"\nmax_connections = 2\n[exec]\nmax_rows = 100000000\nstatement_timeout_ms = 600000\n",
            postgres_url()
        ),
    )
    .unwrap();

    println!("| table | rows | tool | seconds | rows/s | peak RSS MiB |");
    println!("|---|---:|---|---:|---:|---:|");
    for (kind, &rows) in KINDS.iter().flat_map(|kind| sizes.iter().map(move |rows| (*kind, rows))) {
        let report = |rows, tool: &str, elapsed, rss| report(kind, rows, tool, elapsed, rss);
        let sql = format!("SELECT * FROM {}", table(kind, rows));
        let job_id = format!("export-{kind}-{rows}");
        let job = serde_json::json!({"job_id": job_id, "questions": [{"id": "all", "source": "bench", "question": "export", "sql": sql}]});
        let job_path = work.path().join(format!("{job_id}.json"));
        std::fs::write(&job_path, job.to_string()).unwrap();
        let _ = std::fs::remove_dir_all(work.path().join("out"));
        let (elapsed, rss, ok) = measure(
            Command::new(env!("CARGO_BIN_EXE_sqlsynth"))
                .current_dir(work.path())
                .args(["run", job_path.to_str().unwrap(), "--out", "out"])
                .stdout(std::process::Stdio::null()),
        );
        assert!(ok, "sqlsynth run failed");
        let size = std::fs::metadata(work.path().join("out").join(&job_id).join("all.parquet")).unwrap().len();
        report(rows, "sqlsynth", elapsed, rss);
        eprintln!("  parquet file: {:.1} MiB", size as f64 / (1 << 20) as f64);

        if let Some(endpoint) = s3_endpoint() {
            let mut command = Command::new(env!("CARGO_BIN_EXE_sqlsynth"));
            command
                .current_dir(work.path())
                .args(["run", job_path.to_str().unwrap(), "--out", &format!("s3://{S3_BUCKET}/{}", fastrand::u32(..))])
                .envs([
                    ("AWS_ENDPOINT", endpoint.as_str()),
                    ("AWS_ALLOW_HTTP", "true"),
                    ("AWS_ACCESS_KEY_ID", "bench"),
                    ("AWS_SECRET_ACCESS_KEY", "bench"),
                    ("AWS_REGION", "us-east-1"),
                ])
                .stdout(std::process::Stdio::null());
            let (elapsed, rss, ok) = measure(&mut command);
            assert!(ok, "sqlsynth run to S3 failed");
            report(rows, "sqlsynth -> S3 (moto server on loopback)", elapsed, rss);
        }

        let (elapsed, rss, ok) = measure(
            Command::new("psql")
                .args([&postgres_url(), "-X", "-q", "-c", &format!("\\copy ({sql}) TO '/dev/null'")])
                .stdout(std::process::Stdio::null()),
        );
        if ok {
            report(rows, "PostgreSQL COPY to /dev/null (server + psql)", elapsed, rss);
        }

        if connectorx_available() {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/connectorx_export.py");
            let out = work.path().join("cx.parquet");
            let (elapsed, rss, ok) = measure(
                Command::new("python3")
                    .arg(&script)
                    .args([&postgres_url(), &sql, out.to_str().unwrap()])
                    .stdout(std::process::Stdio::null()),
            );
            if ok {
                report(rows, "ConnectorX + pyarrow (zstd)", elapsed, rss);
            }
        } else if rows == largest {
            eprintln!("  (pip install connectorx pyarrow to compare with ConnectorX)");
        }
    }
}

fn connectorx_available() -> bool {
    Command::new("python3").args(["-c", "import connectorx, pyarrow"]).status().map(|s| s.success()).unwrap_or(false)
}

fn report(kind: &str, rows: u64, tool: &str, elapsed: Duration, rss_mib: f64) {
    let secs = elapsed.as_secs_f64();
    println!("| {kind} | {rows} | {tool} | {secs:.2} | {:.0} | {rss_mib:.0} |", rows as f64 / secs);
}
