//! Cache figures: schema lookup latency at each level (memory, Redis, disk)
//! and the answer-cache hit rate of the nightly job after warming.
//!
//! Lookup latency is one [`SchemaStore`](sqlsynth::cache::SchemaStore) lookup
//! of the demo schema (11 tables, sampled values; about 11 KB as stored):
//! memory is the whole `get` on a fresh entry; Redis and disk are a read of
//! that level alone, including the envelope checks (checksum, key, fingerprint
//! recomputed) and JSON decoding, which is what a cold worker pays before the
//! entry lands in memory.
//!
//! The hit rate: `warm` (the scheduler's warm action) over `jobs/nightly.json`,
//! then the nightly job on a "worker" with a cold memory and its own empty
//! disk directory, so every hit comes through Redis.
//!
//! ```text
//! cargo bench --bench cache            # SQLSYNTH_BENCH_LOOKUPS=N changes the number of lookups
//! ```
//! Needs Redis on 127.0.0.1:6379 (`REDIS_URL` overrides); skips without it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use sqlsynth::cache::Level;
use sqlsynth::config::Settings;
use sqlsynth::job::Job;
use sqlsynth::pipeline::Pipeline;
use sqlsynth::scheduler::warm;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn settings(dir: &std::path::Path, cache: &str, prefix: &str) -> Settings {
    let repo = env!("CARGO_MANIFEST_DIR");
    let text = format!(
        "[sources.chinook]\nurl = \"sqlite://{repo}/jobs/demo/chinook.sqlite\"\n[cache]\nredis_url = \"{}\"\n\
         dir = \"{}\"\nkey_prefix = \"{prefix}\"\n",
        redis_url(),
        dir.join(cache).display()
    );
    Settings::from_toml(&text, "bench", None, &[]).expect("bench settings")
}

/// Mean, median and 99th percentile, in microseconds.
fn summary(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = samples.iter().map(|d| us(*d)).sum::<f64>() / samples.len() as f64;
    (mean, us(samples[samples.len() / 2]), us(samples[samples.len() * 99 / 100]))
}

async fn time<F, Fut, T>(n: usize, mut lookup: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let found = lookup().await;
        samples.push(started.elapsed());
        assert!(found.is_some(), "the lookup missed");
    }
    samples
}

#[tokio::main]
async fn main() {
    let client = redis::Client::open(redis_url()).expect("REDIS_URL");
    let mut connection = match client.get_multiplexed_async_connection().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: Redis is not reachable ({e})");
            return;
        }
    };
    let lookups: usize = std::env::var("SQLSYNTH_BENCH_LOOKUPS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = format!("sqlsynth-bench-{}", std::process::id());

    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), "a", &prefix)));
    let schema = pipeline.schema("chinook").await.expect("demo schema");
    let stored = std::fs::metadata(dir.path().join("a/schemas/chinook.json")).map(|m| m.len()).unwrap_or(0);
    println!("schema: {} tables, {stored} bytes stored", schema.tables.len());
    let pool = pipeline.executor().pool("chinook").await.expect("pool");
    let store = &pipeline.caches().schemas;
    println!("| level | lookups | mean us | p50 us | p99 us |");
    println!("|---|---:|---:|---:|---:|");
    for (level, n) in [(Level::Memory, lookups * 10), (Level::Redis, lookups), (Level::Disk, lookups)] {
        // Warm-up, then measure.
        let _ = time(n / 10, || store.read_level("chinook", level, pool)).await;
        let samples = match level {
            Level::Memory => time(n, || async { store.get("chinook", pool).await.ok() }).await,
            _ => time(n, || store.read_level("chinook", level, pool)).await,
        };
        let (mean, p50, p99) = summary(samples);
        println!("| {} | {n} | {mean:.1} | {p50:.1} | {p99:.1} |", level.name());
    }
    pipeline.close().await;

    let job_bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/jobs/nightly.json")).expect("nightly job");
    let job = Job::parse(&job_bytes, |s| s == "chinook").expect("nightly job parses");
    let synthesized = job.questions.iter().filter(|q| q.sql.is_none()).count();
    let cold = Pipeline::new(Arc::new(settings(dir.path(), "cold", &format!("{prefix}-cold"))));
    let started = Instant::now();
    let outcome = cold.run_job(&job, &dir.path().join("out-cold"), &ProgressBar::hidden()).await.expect("cold run");
    let cold_ms = started.elapsed().as_secs_f64() * 1e3;
    cold.close().await;
    assert!(outcome.manifest.all_ok());

    let started = Instant::now();
    let report = warm::warm(&settings(dir.path(), "warmer", &prefix), &["chinook".into()], std::slice::from_ref(&job))
        .await
        .expect("warm");
    let warm_ms = started.elapsed().as_secs_f64() * 1e3;
    let worker = Pipeline::new(Arc::new(settings(dir.path(), "worker", &prefix)));
    let started = Instant::now();
    let outcome = worker.run_job(&job, &dir.path().join("out"), &ProgressBar::hidden()).await.expect("nightly run");
    let warmed_ms = started.elapsed().as_secs_f64() * 1e3;
    worker.close().await;
    let hits = outcome.manifest.questions.iter().filter(|q| q.synthesizer.as_deref() == Some("cache")).count();
    println!(
        "\nwarming: {} questions, {} answered, {warm_ms:.0} ms (schema refresh included)",
        report.questions, report.answered
    );
    println!(
        "nightly after warming: {hits}/{synthesized} synthesized questions from the cache = {:.0}% hit rate; \
         job {warmed_ms:.0} ms (cold, no cache: {cold_ms:.0} ms)",
        100.0 * hits as f64 / synthesized as f64
    );

    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut connection).await.unwrap_or_default();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL").arg(keys).query_async(&mut connection).await.expect("cleanup");
    }
}
