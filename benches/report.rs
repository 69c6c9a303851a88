//! Report benchmark: the time to build `report.html` and its size, for the
//! example job (22 answers on the demo database) and for answers of
//! 5,000,000 rows, from a local directory and, when an S3-compatible server
//! answers, from object storage.
//!
//! Run: `cargo bench --bench report`. BENCH_REPORT_ROWS (default 5000000)
//! sets the rows of the large answers; SQLSYNTH_BENCH_BUILDS (default 7) the
//! builds measured per case (the median and the fastest are printed).
//!
//! The large answers are written with the pipeline's own Parquet writer
//! (zstd, the same row groups), so they are what a 5,000,000-row export
//! writes, without a database to produce them: a wide answer of 7 mixed
//! columns (the table alone), a timestamp and an amount (a line chart), a
//! text and an amount (bars). A build is `build_report` in this process (read
//! the manifest's answers back, choose and draw the charts, write the page in
//! memory); the `sqlsynth report` row is the whole command in a fresh process
//! (start-up, configuration, the atomic write).

#[path = "common/s3.rs"]
mod s3;

use std::path::Path;
use std::process::Command;

use s3::{S3_BUCKET, s3_endpoint};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{
    ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use sqlsynth::pipeline::column_records;
use sqlsynth::sink::head::read_local_head;
use sqlsynth::sink::manifest::{Interpretation, Manifest, QuestionRecord, Stats, Status};
use sqlsynth::sink::output::{JobOutput, OutputLocation, OutputRoot};
use sqlsynth::sink::parquet::spawn_parquet_writer;
use sqlsynth::sink::report::{Compare, DEFAULT_REPORT_ROWS, ReportOptions, build_report};

const BATCH: usize = 65_536;

fn main() {
    let rows: usize = std::env::var("BENCH_REPORT_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000_000);
    let builds: usize = std::env::var("SQLSYNTH_BENCH_BUILDS").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let endpoint = s3_endpoint();
    if let Some(endpoint) = &endpoint {
        for (key, value) in [
            ("AWS_ENDPOINT", endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "bench"),
            ("AWS_SECRET_ACCESS_KEY", "bench"),
            ("AWS_REGION", "us-east-1"),
        ] {
            // SAFETY: no other thread exists yet (the runtime starts below).
            unsafe { std::env::set_var(key, value) };
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let work = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(
        work.path().join("sqlsynth.toml"),
        format!("[sources.chinook]\nurl = \"sqlite://{}\"\n", repo.join("jobs/demo/chinook.sqlite").display()),
    )
    .unwrap();
    let ran = Command::new(env!("CARGO_BIN_EXE_sqlsynth"))
        .current_dir(work.path())
        .args(["run", repo.join("jobs/example.json").to_str().unwrap(), "--out", "out"])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));

    let local = Arc::new(OutputRoot::open(&OutputLocation::Local(work.path().join("out"))).unwrap());
    eprintln!("writing three answers of {rows} rows ...");
    let started = Instant::now();
    let shapes = ["wide", "by_time", "by_customer"];
    let records: Vec<QuestionRecord> = runtime.block_on(async {
        futures_util::future::join_all(shapes.map(|s| write_answer(local.job("large"), s, rows))).await
    });
    eprintln!("  written in {:.1} s", started.elapsed().as_secs_f64());
    runtime.block_on(async {
        publish_manifest(&local.job("large"), records.clone()).await;
        let wide = local.job("large-wide");
        wide.prepare(Duration::from_secs(600)).unwrap();
        std::fs::hard_link(work.path().join("out/large/wide.parquet"), work.path().join("out/large-wide/wide.parquet"))
            .unwrap();
        publish_manifest(&wide, records[..1].to_vec()).await;
    });

    println!(
        "| job | answers | rows per answer | answer files MiB | where | build median ms | fastest ms | page KiB |"
    );
    println!("|---|---:|---:|---:|---|---:|---:|---:|");
    let file_mib = |job: &str| -> f64 {
        let dir = work.path().join("out").join(job);
        let bytes: u64 = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
            .map(|e| e.metadata().unwrap().len())
            .sum();
        bytes as f64 / (1 << 20) as f64
    };
    for (job, label) in [("example", "up to 24"), ("large-wide", "5,000,000"), ("large", "5,000,000")] {
        let label = if job == "example" { label.to_string() } else { rows.to_string() };
        let output = local.job(job);
        let (median, fastest, size, answers) = runtime.block_on(measure(&output, builds));
        println!(
            "| {job} | {answers} | {label} | {:.2} | local | {median:.1} | {fastest:.1} | {:.0} |",
            file_mib(job),
            size as f64 / 1024.0
        );
    }

    // For reference: what reading every row of the wide answer costs, which the page never does.
    let path = work.path().join("out/large-wide/wide.parquet");
    let started = Instant::now();
    let whole = runtime.block_on(read_local_head(&path, usize::MAX)).unwrap();
    eprintln!(
        "  reference: reading all {} rows of large-wide/wide.parquet takes {:.0} ms",
        whole.rows_read(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    drop(whole);

    let mut command_times: Vec<f64> = (0..builds)
        .map(|_| {
            let started = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_sqlsynth"))
                .current_dir(work.path())
                .args(["report", "out/large-wide"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    command_times.sort_by(f64::total_cmp);
    println!(
        "| large-wide: `sqlsynth report out/large-wide` (fresh process) | 1 | {rows} | {:.1} | local | {:.1} | {:.1} | |",
        file_mib("large-wide"),
        command_times[command_times.len() / 2],
        command_times[0]
    );

    if endpoint.is_some() {
        let location = OutputLocation::parse(&format!("s3://{S3_BUCKET}/report-{:08x}", fastrand::u32(..))).unwrap();
        let store = Arc::new(OutputRoot::open(&location).unwrap());
        runtime.block_on(async {
            let job = store.job("large-wide");
            let bytes = std::fs::read(work.path().join("out/large-wide/wide.parquet")).unwrap();
            job.publish("wide.parquet", bytes).await.unwrap();
            publish_manifest(&job, records[..1].to_vec()).await;
            let (median, fastest, size, answers) = measure(&job, builds).await;
            println!(
                "| large-wide | {answers} | {rows} | {:.1} | S3 (moto on loopback) | {median:.1} | {fastest:.1} | {:.0} |",
                file_mib("large-wide"),
                size as f64 / 1024.0
            );
        });
    }
}

/// Builds the page of `job` `builds` times: (median ms, fastest ms, page bytes, answers).
async fn measure(job: &JobOutput, builds: usize) -> (f64, f64, usize, usize) {
    let manifest = job.read_manifest().await.unwrap().expect("the job has a manifest");
    let mut times = Vec::with_capacity(builds);
    let mut size = 0;
    for _ in 0..builds {
        let started = Instant::now();
        let options = ReportOptions { rows: DEFAULT_REPORT_ROWS, compare: Compare::PreviousRun };
        let page = build_report(job, &manifest, options).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        size = page.len();
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], size, manifest.questions.len())
}

fn schema(shape: &str) -> SchemaRef {
    let field = |name: &str, data_type: DataType| Field::new(name, data_type, true);
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, None);
    Arc::new(Schema::new(match shape {
        "wide" => vec![
            field("id", DataType::Int64),
            field("quantity", DataType::Int32),
            field("price", DataType::Decimal128(12, 2)),
            field("score", DataType::Float64),
            field("active", DataType::Boolean),
            field("created_at", timestamp),
            field("label", DataType::Utf8),
        ],
        "by_time" => vec![field("at", timestamp), field("amount", DataType::Float64)],
        _ => vec![field("customer", DataType::Utf8), field("amount", DataType::Float64)],
    }))
}

/// Rows `from..to` of an answer of `shape` (the export bench's table, for `wide`).
fn batch(shape: &str, from: usize, to: usize) -> RecordBatch {
    let ids = || (from..to).map(|i| i as i64 + 1);
    let seconds = |i: i64| 1_577_836_800_000_000 + i * 1_000_000;
    let columns: Vec<ArrayRef> = match shape {
        "wide" => vec![
            Arc::new(Int64Array::from_iter_values(ids())),
            Arc::new(Int32Array::from_iter_values(ids().map(|i| (i % 1000) as i32))),
            Arc::new(
                Decimal128Array::from_iter_values(ids().map(|i| (i % 100_000) as i128))
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
            Arc::new(Float64Array::from_iter_values(ids().map(|i| i as f64 * 0.5))),
            Arc::new(BooleanArray::from_iter(ids().map(|i| Some(i % 2 == 0)))),
            Arc::new(TimestampMicrosecondArray::from_iter_values(ids().map(seconds))),
            Arc::new(StringArray::from_iter(ids().map(|i| (i % 10 != 0).then(|| format!("item-{}", i % 5000))))),
        ],
        "by_time" => vec![
            Arc::new(TimestampMicrosecondArray::from_iter_values(ids().map(|i| seconds(i * 60)))),
            Arc::new(Float64Array::from_iter_values(ids().map(|i| 1000.0 + (i % 97) as f64 * 3.5))),
        ],
        _ => vec![
            Arc::new(StringArray::from_iter_values(ids().map(|i| format!("customer {i}")))),
            Arc::new(Float64Array::from_iter_values(ids().map(|i| ((i * 7919) % 10_007) as f64 / 10.0))),
        ],
    };
    RecordBatch::try_new(schema(shape), columns).unwrap()
}

/// Writes `<shape>.parquet` of `rows` rows into `job` and returns its manifest record.
async fn write_answer(job: JobOutput, shape: &str, rows: usize) -> QuestionRecord {
    job.prepare(Duration::from_secs(600)).unwrap();
    let file = format!("{shape}.parquet");
    let (batches, writer) = spawn_parquet_writer(job.answer(&file));
    let shape_name = shape.to_string();
    let producer = tokio::spawn(async move {
        for from in (0..rows).step_by(BATCH) {
            batches.send(batch(&shape_name, from, (from + BATCH).min(rows))).await.unwrap();
        }
    });
    producer.await.unwrap();
    let written = writer.commit(Vec::new()).await.unwrap();
    let schema = schema(shape);
    QuestionRecord {
        id: shape.to_string(),
        source: "bench".into(),
        question: format!("All {rows} rows ({shape})"),
        status: Status::Ok,
        sql: Some(format!("SELECT * FROM {shape}")),
        synthesizer: Some("pinned".into()),
        interpretation: Some(Interpretation {
            restatement: None,
            tables: vec![shape.to_string()],
            columns: schema.fields().iter().map(|f| format!("{shape}.{}", f.name())).collect(),
            values: Vec::new(),
        }),
        rows: written.rows,
        truncated: false,
        columns: column_records(&schema),
        file: Some(file),
        elapsed_ms: 0,
        error: None,
    }
}

async fn publish_manifest(job: &JobOutput, records: Vec<QuestionRecord>) {
    let now = chrono::Utc::now();
    let manifest = Manifest {
        job_id: job.job_id().to_string(),
        started_at: now,
        finished_at: now,
        stats: Stats::tally(&records),
        questions: records,
    };
    job.write_manifest(&manifest).await.unwrap();
}
