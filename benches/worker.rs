//! Throughput of `sqlsynth worker` through the real RabbitMQ broker: jobs per
//! second for 1-question jobs and for 100-question jobs (pinned SQL on the
//! bundled SQLite demo), with one worker process and with two.
//!
//! Each scenario pre-loads N jobs on its own queue, starts the workers, and
//! times from the moment all of them are ready (`/readyz`) to the last result
//! message, so process start-up is not counted. Every job writes its Parquet
//! files and manifest durably (group commit), publishes its result with
//! confirms, then acks. Work directories are removed only when the bench ends.
//!
//! ```text
//! cargo bench --bench worker                 # all scenarios
//! SQLSYNTH_BENCH_JOBS=20000 cargo bench --bench worker
//! SQLSYNTH_BENCH_PREFETCH=128 cargo bench --bench worker
//! SQLSYNTH_BENCH_ONLY="1-question jobs, 1 worker" cargo bench --bench worker   # scenarios whose name contains this
//! ```
//! Needs RabbitMQ on 127.0.0.1:5672 (`AMQP_URL` overrides); skips without it.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use sqlsynth::config::Settings;
use sqlsynth::source::amqp::Topology;

#[allow(dead_code)]
#[path = "../tests/common/worker_process.rs"]
mod worker_process;
use worker_process::WorkerProcess;

fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Scenario {
    name: &'static str,
    jobs: usize,
    questions: usize,
    workers: usize,
}

fn job(id: usize, questions: usize) -> Vec<u8> {
    let questions: Vec<serde_json::Value> = (0..questions)
        .map(|q| {
            serde_json::json!({"id": format!("q{q}"), "source": "chinook", "question": "How many genres?",
                               "sql": "SELECT COUNT(*) AS n FROM Genre"})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"job_id": format!("job-{id}"), "questions": questions})).unwrap()
}

/// Jobs per second, and the work directory (kept until the end of the whole
/// bench: deleting thousands of files right before the next scenario slows
/// its inode allocation on ext4, see benches/README.md).
async fn run(connection: &Connection, scenario: &Scenario, prefetch: usize) -> (f64, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("bench.{}.{}", std::process::id(), fastrand::u32(..));
    let config = format!(
        "[sources.chinook]\nurl = \"sqlite://{}\"\nmax_connections = 8\n\n[queue]\nurl = \"{}\"\n\
         jobs_queue = \"{name}.jobs\"\nresults_exchange = \"{name}.results\"\nprefetch = {prefetch}\n\n\
         [output]\nroot = \"out\"\n",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/demo/chinook.sqlite").display(),
        amqp_url()
    );
    std::fs::write(dir.path().join("sqlsynth.toml"), config).unwrap();
    let settings = Settings::load(Some(&dir.path().join("sqlsynth.toml"))).unwrap();
    let topology = Topology::new(&settings.queue).unwrap();
    let channel = connection.create_channel().await.unwrap();
    topology.declare(connection).await.unwrap();
    let results = format!("{name}.results-all");
    channel
        .queue_declare(results.as_str().into(), QueueDeclareOptions::default(), FieldTable::default())
        .await
        .unwrap();
    channel
        .queue_bind(
            results.as_str().into(),
            topology.results_exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    channel.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
    for id in 0..scenario.jobs {
        // Dropping the confirm hands it to wait_for_confirms below.
        drop(
            channel
                .basic_publish(
                    "".into(),
                    topology.jobs_queue.as_str().into(),
                    BasicPublishOptions::default(),
                    &job(id, scenario.questions),
                    BasicProperties::default().with_delivery_mode(2),
                )
                .await
                .unwrap(),
        );
    }
    channel.wait_for_confirms().await.unwrap();

    let options = BasicConsumeOptions { no_ack: true, ..BasicConsumeOptions::default() };
    let mut consumer =
        channel.basic_consume(results.as_str().into(), "bench".into(), options, FieldTable::default()).await.unwrap();
    let mut workers: Vec<WorkerProcess> = (0..scenario.workers)
        .map(|i| WorkerProcess::start(dir.path(), &format!("worker-{i}"), &[("SQLSYNTH_LOG", "warn")]))
        .collect();
    // The clock starts once every worker consumes: the first job's latency
    // counts, process start-up does not. (Workers start consuming a moment
    // apart; the first ready one is already working while the clock waits.)
    for worker in &mut workers {
        worker.wait_ready().await;
    }
    let clock = Instant::now();
    let mut received = 0;
    while received < scenario.jobs {
        match tokio::time::timeout(Duration::from_secs(300), consumer.next()).await {
            Ok(Some(Ok(_))) => {
                received += 1;
            }
            other => panic!("results stopped after {received}: {other:?}"),
        }
    }
    let elapsed = clock.elapsed().as_secs_f64();
    for worker in &mut workers {
        worker.signal(libc::SIGTERM);
        worker.wait_exit().await;
    }
    for queue in [&topology.jobs_queue, &topology.dead_queue, &topology.retry_queue, &results] {
        let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
    }
    let _ = channel.exchange_delete(topology.results_exchange.as_str().into(), Default::default()).await;
    let _ = channel.close(200, "done".into()).await;
    (scenario.jobs as f64 / elapsed, dir)
}

#[tokio::main]
async fn main() {
    let connection = match Connection::connect(&amqp_url(), ConnectionProperties::default()).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: RabbitMQ is not reachable ({e})");
            return;
        }
    };
    let small = env_or("SQLSYNTH_BENCH_JOBS", 5000);
    let big = env_or("SQLSYNTH_BENCH_BIG_JOBS", 100);
    let prefetch = env_or("SQLSYNTH_BENCH_PREFETCH", 64);
    let scenarios = [
        Scenario { name: "1-question jobs, 1 worker", jobs: small, questions: 1, workers: 1 },
        Scenario { name: "1-question jobs, 2 workers", jobs: small, questions: 1, workers: 2 },
        Scenario { name: "100-question jobs, 1 worker", jobs: big, questions: 100, workers: 1 },
        Scenario { name: "100-question jobs, 2 workers", jobs: big, questions: 100, workers: 2 },
    ];
    println!("prefetch {prefetch}, pinned SQL on the SQLite demo, fsync on, results confirmed");
    let only = std::env::var("SQLSYNTH_BENCH_ONLY").unwrap_or_default();
    let mut kept = Vec::new();
    for scenario in scenarios.iter().filter(|s| s.name.contains(only.as_str())) {
        let (rate, dir) = run(&connection, scenario, prefetch).await;
        kept.push(dir);
        println!(
            "{:<30} {:>6} jobs  {:>9.1} jobs/s  {:>10.1} questions/s",
            scenario.name,
            scenario.jobs,
            rate,
            rate * scenario.questions as f64
        );
    }
}
