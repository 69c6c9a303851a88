//! Output to object storage against a real S3-compatible server on loopback
//! (moto's server, which `.ci/run` starts): the same layout and guarantees as
//! a local directory (DESIGN.md section 3), read back with pyarrow's own S3
//! client; the report read back from the stored answers, compared with the
//! previous tick found by listing the store, and rebuilt by `sqlsynth report`;
//! idempotent re-runs; resume after a lost answer; a result large enough for
//! a multipart upload; and a missing bucket as a clear job-level error with
//! no secret in it.
//!
//! `S3_ENDPOINT` overrides the server (default http://127.0.0.1:5000).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use serde_json::Value;

const SECRET: &str = "s3-canary-Secret-5d2e";

fn endpoint() -> String {
    std::env::var("S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:5000".into())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT", endpoint()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "sqlsynth-test".into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// A fresh bucket on the server, or `None` (skip) when no server answers outside CI.
async fn bucket(test: &str) -> Option<(String, Arc<dyn ObjectStore>)> {
    let name = format!("sqlsynth-{test}-{}", fastrand::u32(..)).replace('_', "-");
    let created = reqwest::Client::new().put(format!("{}/{name}", endpoint())).send().await;
    match created {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => panic!("creating bucket {name}: HTTP {}", response.status()),
        Err(e) => return common::service_missing("the S3 server (moto)", e),
    }
    let store = AmazonS3Builder::new()
        .with_endpoint(endpoint())
        .with_allow_http(true)
        .with_bucket_name(&name)
        .with_access_key_id("sqlsynth-test")
        .with_secret_access_key(SECRET)
        .with_region("us-east-1")
        .build()
        .unwrap();
    Some((name, Arc::new(store)))
}

fn workdir(sources: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sqlsynth.toml"), sources).unwrap();
    dir
}

fn demo_sources() -> String {
    format!("[sources.chinook]\nurl = \"sqlite://{}\"\n", repo().join("jobs/demo/chinook.sqlite").display())
}

fn sqlsynth(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sqlsynth"));
    command.current_dir(dir).args(args).env_remove("SQLSYNTH_CONFIG").env("SQLSYNTH_LOG", "debug");
    for (key, value) in aws_env() {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

async fn object_names(store: &dyn ObjectStore, prefix: &str) -> Vec<String> {
    use futures_util::TryStreamExt;
    let mut names: Vec<String> = store
        .list(Some(&ObjectPath::from(prefix)))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .unwrap();
    names.sort();
    names
}

async fn manifest(store: &dyn ObjectStore, key: &str) -> Value {
    let bytes = store.get(&ObjectPath::from(key)).await.unwrap().bytes().await.unwrap();
    common::schema::manifest_from(&bytes, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_written_to_s3_has_the_local_layout_and_reads_back_the_same_in_pyarrow() {
    let Some((bucket, store)) = bucket("layout").await else { return };
    let dir = workdir(&demo_sources());
    let job = repo().join("jobs/example.json");
    let root = format!("s3://{bucket}/reports/nightly");

    let remote = sqlsynth(dir.path(), &["run", job.to_str().unwrap(), "--out", &root]);
    assert_eq!(remote.status.code(), Some(0), "{}", text(&remote));
    let local = sqlsynth(dir.path(), &["run", job.to_str().unwrap(), "--out", "local"]);
    assert_eq!(local.status.code(), Some(0), "{}", text(&local));

    let mut local_names: Vec<String> = std::fs::read_dir(dir.path().join("local/example"))
        .unwrap()
        .map(|e| format!("reports/nightly/example/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    local_names.sort();
    assert_eq!(object_names(store.as_ref(), "reports/nightly").await, local_names, "same files, no temporaries");

    let manifest = manifest(store.as_ref(), "reports/nightly/example/manifest.json").await;
    assert_eq!(manifest["stats"]["ok"], 22);
    let files: Vec<&str> =
        manifest["questions"].as_array().unwrap().iter().map(|q| q["file"].as_str().unwrap()).collect();
    let remote_urls: Vec<String> = files.iter().map(|f| format!("{root}/example/{f}")).collect();
    let local_paths: Vec<String> =
        files.iter().map(|f| dir.path().join("local/example").join(f).display().to_string()).collect();
    let Some(remote_read) = common::pyarrow::read(&remote_urls, &aws_env()) else { return };
    let Some(local_read) = common::pyarrow::read(&local_paths, &[]) else { return };
    for ((question, url), path) in manifest["questions"].as_array().unwrap().iter().zip(&remote_urls).zip(&local_paths)
    {
        let (seen, expected) = (&remote_read[url], &local_read[path]);
        assert_eq!(seen["num_rows"], question["rows"], "{url}");
        assert_eq!(seen["rows"], expected["rows"], "{url}: the same rows as the local file");
        assert_eq!(seen["types"], expected["types"], "{url}");
        assert_eq!(seen["metadata"]["sqlsynth.sql"], question["sql"], "{url}");
    }
    assert!(!text(&remote).contains(SECRET), "the secret key leaked into the output");
    // The report, read back from the store's answers, draws what the local one draws.
    let remote_page = object_text(store.as_ref(), "reports/nightly/example/report.html").await;
    let local_page = std::fs::read_to_string(dir.path().join("local/example/report.html")).unwrap();
    for mark in ["<section class=\"question", "<svg class=\"chart\"", "<rect class=\"bar", "<polyline", "<td"] {
        assert_eq!(remote_page.matches(mark).count(), local_page.matches(mark).count(), "{mark}");
    }
    assert!(remote_page.matches("<svg class=\"chart\"").count() >= 10);
}

async fn object_text(store: &dyn ObjectStore, key: &str) -> String {
    let bytes = store.get(&ObjectPath::from(key)).await.unwrap().bytes().await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_run_in_a_store_finds_the_previous_tick_and_its_report_can_be_rebuilt() {
    let Some((bucket, store)) = bucket("report").await else { return };
    let dir = workdir(&demo_sources());
    let root = format!("s3://{bucket}/out");
    for (job_id, sql) in [
        ("nightly-20261126T010000Z", "SELECT COUNT(*) AS genres FROM Genre"),
        ("nightly-20261127T010000Z", "SELECT COUNT(*) + 1 AS genres FROM Genre"),
    ] {
        let job = serde_json::json!({"job_id": job_id, "questions": [
            {"id": "genres", "source": "chinook", "question": "How many genres?", "sql": sql}]});
        std::fs::write(dir.path().join("job.json"), job.to_string()).unwrap();
        let run = sqlsynth(dir.path(), &["run", "job.json", "--out", &root]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    }
    let key = "out/nightly-20261127T010000Z/report.html";
    let page = object_text(store.as_ref(), key).await;
    assert!(page.contains("Changes are since <strong>nightly-20261126T010000Z</strong>"), "{page}");
    assert!(page.contains("<strong>+1 (+4.0%)</strong> from 25 to 26."), "{page}");
    assert!(page.contains("The SQL changed."), "{page}");

    store.delete(&ObjectPath::from(key)).await.unwrap();
    let rebuilt = sqlsynth(dir.path(), &["report", &format!("{root}/nightly-20261127T010000Z")]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", text(&rebuilt));
    assert_eq!(object_text(store.as_ref(), key).await, page, "the same page, rebuilt from the store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_runs_reuse_the_manifest_and_a_lost_answer_is_the_only_one_written_again() {
    let Some((bucket, store)) = bucket("resume").await else { return };
    let dir = workdir(&demo_sources());
    let job = repo().join("jobs/example.json");
    let root = format!("s3://{bucket}/out");
    let first = sqlsynth(dir.path(), &["run", job.to_str().unwrap(), "--out", &root]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let manifest_key = ObjectPath::from("out/example/manifest.json");
    let before = store.head(&manifest_key).await.unwrap();

    // Redelivery: the manifest exists, nothing runs, nothing is rewritten.
    let again = sqlsynth(dir.path(), &["run", job.to_str().unwrap(), "--out", &root]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("already done"), "{}", text(&again));
    assert_eq!(store.head(&manifest_key).await.unwrap().e_tag, before.e_tag);

    // A crash before the manifest: it and one answer are gone; the rest stay.
    let lost = ObjectPath::from("out/example/genre_count.parquet");
    let kept = ObjectPath::from("out/example/customers_per_country.parquet");
    let kept_before = store.head(&kept).await.unwrap();
    store.delete(&manifest_key).await.unwrap();
    store.delete(&lost).await.unwrap();
    let resumed = sqlsynth(dir.path(), &["run", job.to_str().unwrap(), "--out", &root]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    assert!(store.head(&lost).await.is_ok(), "the lost answer was written again");
    assert_eq!(store.head(&kept).await.unwrap().e_tag, kept_before.e_tag, "a finished answer is not rewritten");
    let manifest = manifest(store.as_ref(), "out/example/manifest.json").await;
    assert_eq!(manifest["stats"]["ok"], 22);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_larger_than_one_part_streams_as_a_multipart_upload() {
    let Some((bucket, store)) = bucket("multipart").await else { return };
    let Some(_) = common::postgres().await else { return };
    let dir = workdir(&format!("[sources.pg]\nurl = \"{}\"\n", common::postgres_url()));
    let rows = 600_000;
    let job = serde_json::json!({"job_id": "big", "questions": [{"id": "q1", "source": "pg", "question": "big",
        "sql": format!("SELECT g AS n, md5(g::text) AS h1, md5((g * 7)::text) AS h2 FROM generate_series(1, {rows}) AS g")}]});
    std::fs::write(dir.path().join("big.json"), job.to_string()).unwrap();
    let root = format!("s3://{bucket}/x");
    let run = sqlsynth(dir.path(), &["run", "big.json", "--out", &root]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    let answer = store.head(&ObjectPath::from("x/big/q1.parquet")).await.unwrap();
    let part = sqlsynth::sink::parquet::OBJECT_PART_BYTES as u64;
    assert!(answer.size > part, "{} bytes fit in one part; make the result bigger", answer.size);
    assert_eq!(manifest(store.as_ref(), "x/big/manifest.json").await["questions"][0]["rows"], rows);
    let Some(read) = common::pyarrow::read(&[format!("{root}/big/q1.parquet")], &aws_env()) else { return };
    assert_eq!(read[format!("{root}/big/q1.parquet")]["num_rows"], rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_is_a_job_level_error_that_names_it_and_leaks_no_secret() {
    let Some(_) = bucket("probe").await else { return };
    let dir = workdir(&demo_sources());
    let job = repo().join("jobs/example.json");
    let root = format!("s3://sqlsynth-no-such-bucket-{}/out", fastrand::u32(..));
    let run = sqlsynth(dir.path(), &["run", job.to_str().unwrap(), "--out", &root]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let output = text(&run);
    assert!(output.contains("sqlsynth-no-such-bucket-"), "the error names the location: {output}");
    assert!(!output.contains(SECRET), "the secret key leaked: {output}");
}
