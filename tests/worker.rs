//! The RabbitMQ worker end to end, against the real broker on 127.0.0.1:5672
//! (`AMQP_URL` overrides it) and the real binary: publish -> worker -> Parquet,
//! manifest and result message; malformed and poison jobs dead-lettered with
//! the reason header; kill -9 mid-job; broker restart while idle and busy;
//! SIGTERM drain. Every test uses its own queue and exchange names, so tests
//! run in parallel; the broker-restart test takes the broker exclusively.

mod common;

use common::worker_process::{DEADLINE, WorkerProcess, publish_to_queue};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use serde_json::Value;
use sqlsynth::config::Settings;
use sqlsynth::source::amqp::{ATTEMPTS_HEADER, ERROR_HEADER, Topology, header_string, publish_confirmed};

/// Tests share the broker (read); the restart test owns it (write).
static BROKER: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo_db() -> String {
    format!("sqlite://{}", repo().join("jobs/demo/chinook.sqlite").display())
}

/// A slow pinned query: counts to `n` with a recursive CTE on SQLite.
fn slow_sql(n: u64) -> String {
    format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {n}) SELECT COUNT(*) AS c FROM n")
}

/// One test's world: names, a work directory with its config, a broker connection.
struct Fixture {
    name: String,
    dir: tempfile::TempDir,
    connection: Connection,
    channel: Channel,
    topology: Topology,
    /// A durable queue bound to the results exchange with `#`: every result.
    results_queue: String,
}

impl Fixture {
    async fn new(test: &str, queue_extra: &str, extra: &str) -> Option<Fixture> {
        let connection = match Connection::connect(&amqp_url(), ConnectionProperties::default()).await {
            Ok(c) => c,
            Err(e) => return common::service_missing("RabbitMQ", e),
        };
        let name = format!("t.{test}.{}.{}", std::process::id(), fastrand::u32(..));
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "[sources.chinook]\nurl = \"{db}\"\n\n[sources.music]\nurl = \"{db}\"\n\n\
             [sources.broken]\nurl = \"sqlite:///nonexistent-sqlsynth/dir/x.sqlite\"\n\n\
             [exec]\nstatement_timeout_ms = 300000\n\n\
             [queue]\nurl = \"{url}\"\njobs_queue = \"{name}.jobs\"\nresults_exchange = \"{name}.results\"\n{queue_extra}\n\n\
             [output]\nroot = \"out\"\n\n{extra}",
            db = demo_db(),
            url = amqp_url(),
        );
        std::fs::write(dir.path().join("sqlsynth.toml"), config).unwrap();
        let settings = Settings::load(Some(&dir.path().join("sqlsynth.toml"))).unwrap();
        let topology = Topology::new(&settings.queue).unwrap();
        let channel = connection.create_channel().await.unwrap();
        topology.declare(&connection).await.unwrap();
        let results_queue = format!("{name}.all-results");
        declare_results_queue(&channel, &results_queue, &topology.results_exchange).await;
        Some(Fixture { name, dir, connection, channel, topology, results_queue })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn job_dir(&self, job_id: &str) -> PathBuf {
        self.path().join("out").join(job_id)
    }

    fn write_job(&self, job: &Value) -> PathBuf {
        let path = self.path().join(format!("{}.json", job["job_id"].as_str().unwrap()));
        std::fs::write(&path, serde_json::to_vec(job).unwrap()).unwrap();
        path
    }

    /// Publishes raw bytes to the jobs queue (persistent, confirmed), as any client could.
    async fn publish_raw(&self, body: &[u8]) {
        publish_to_queue(&self.connection, &self.topology.jobs_queue, body).await;
    }

    fn worker(&self, label: &str, env: &[(&str, &str)]) -> WorkerProcess {
        WorkerProcess::start(self.path(), label, env)
    }

    async fn message_count(&self, queue: &str) -> u32 {
        let channel = self.connection.create_channel().await.unwrap();
        let options = QueueDeclareOptions { passive: true, ..Default::default() };
        let count = channel.queue_declare(queue.into(), options, FieldTable::default()).await.unwrap().message_count();
        let _ = channel.close(200, "ok".into()).await;
        count
    }

    /// Waits (generous deadline) until `queue` holds `n` ready messages.
    async fn wait_for_count(&self, queue: &str, n: u32) {
        let start = Instant::now();
        loop {
            let count = self.message_count(queue).await;
            if count == n {
                return;
            }
            assert!(start.elapsed() < DEADLINE, "queue {queue} has {count} messages, expected {n}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Takes every message from `queue` (acking them).
    async fn drain(&self, queue: &str) -> Vec<lapin::message::Delivery> {
        let mut out = Vec::new();
        while let Some(message) = self.channel.basic_get(queue.into(), BasicGetOptions { no_ack: true }).await.unwrap()
        {
            out.push(message.delivery);
        }
        out
    }

    /// Waits for the result message of `job_id` (and returns every result taken meanwhile).
    async fn wait_for_results(&self, expected: usize) -> Vec<lapin::message::Delivery> {
        self.wait_for_count(&self.results_queue, expected as u32).await;
        self.drain(&self.results_queue).await
    }

    async fn cleanup(self) {
        let channel = match self.connection.create_channel().await {
            Ok(c) => c,
            Err(_) => return,
        };
        let topology = &self.topology;
        for queue in [&topology.jobs_queue, &topology.dead_queue, &topology.retry_queue, &self.results_queue] {
            let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
        }
        let _ = channel.exchange_delete(self.topology.results_exchange.as_str().into(), Default::default()).await;
        let _ = self.connection.close(200, "done".into()).await;
        let _ = self.name;
    }
}

async fn declare_results_queue(channel: &Channel, queue: &str, exchange: &str) {
    let options = QueueDeclareOptions { durable: true, ..Default::default() };
    channel.queue_declare(queue.into(), options, FieldTable::default()).await.unwrap();
    channel
        .queue_bind(queue.into(), exchange.into(), "#".into(), QueueBindOptions::default(), FieldTable::default())
        .await
        .unwrap();
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn manifest(dir: &Path) -> Value {
    common::schema::manifest_at(&dir.join("manifest.json"))
}

async fn wait_for_file(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < DEADLINE, "{} never appeared", path.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_job_on_two_sources_ends_as_parquet_a_manifest_and_one_result() {
    let _shared = BROKER.read().await;
    let Some(fx) = Fixture::new("e2e", "", "").await else { return };
    let mut worker = fx.worker("worker", &[]);
    let job = serde_json::json!({"job_id": "two-sources", "questions": [
        {"id": "genres", "source": "chinook", "question": "How many genres are there?", "sql": "SELECT COUNT(*) AS n FROM Genre"},
        {"id": "media", "source": "music", "question": "How many media types are there?", "sql": "SELECT COUNT(*) AS n FROM MediaType"},
    ]});
    let job_path = fx.write_job(&job);
    worker.wait_ready().await;
    assert_eq!(worker.status("/healthz").as_deref(), Some("HTTP/1.1 200 OK"));
    let publish = tokio::task::spawn_blocking({
        let dir = fx.path().to_path_buf();
        move || {
            Command::new(env!("CARGO_BIN_EXE_sqlsynth"))
                .current_dir(&dir)
                .args(["publish", job_path.to_str().unwrap(), "--wait", "--timeout", "120"])
                .env_remove("SQLSYNTH_CONFIG")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&publish.stdout);
    assert_eq!(publish.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&publish.stderr));
    assert!(stdout.contains("2 ok, 0 failed, 0 unanswered"), "{stdout}");

    let dir = fx.job_dir("two-sources");
    assert_eq!(files_in(&dir), ["genres.parquet", "manifest.json", "media.parquet", "report.html"]);
    let m = manifest(&dir);
    assert_eq!(m["stats"]["ok"], 2);
    let genres = dir.join("genres.parquet");
    let media = dir.join("media.parquet");
    if let Some(tables) = common::pyarrow::read(&[genres.clone(), media.clone()], &[]) {
        assert_eq!(tables[genres.to_str().unwrap()]["rows"], serde_json::json!([["25.00"]]));
        assert_eq!(tables[media.to_str().unwrap()]["rows"], serde_json::json!([["5.00"]]));
        assert_eq!(tables[media.to_str().unwrap()]["metadata"]["sqlsynth.source"], "music");
    }

    let results = fx.wait_for_results(1).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].routing_key.as_str(), "two-sources");
    assert_eq!(results[0].properties.delivery_mode(), &Some(2));
    let body = common::schema::manifest_from(&results[0].data, "the result message");
    assert_eq!(body, m, "the result message is the manifest");
    assert_eq!(fx.message_count(&fx.topology.jobs_queue).await, 0);
    assert_eq!(fx.message_count(&fx.topology.dead_queue).await, 0);

    // Redelivery of a finished job: not run again, result republished.
    fx.publish_raw(&serde_json::to_vec(&job).unwrap()).await;
    let again = fx.wait_for_results(1).await;
    assert_eq!(serde_json::from_slice::<Value>(&again[0].data).unwrap(), m);
    worker.wait_for_log("manifest exists; job already done").await;
    drop(worker);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_poison_jobs_are_dead_lettered_with_the_reason_and_good_jobs_still_complete() {
    let _shared = BROKER.read().await;
    let Some(fx) = Fixture::new("dead", "max_deliveries = 2\nretry_delay_ms = 200", "").await else { return };
    fx.publish_raw(b"this is not json").await;
    fx.publish_raw(b"[1, 2]").await;
    fx.publish_raw(br#"{"job_id":"x","questions":[{"id":"q","source":"sales","question":"?"}]}"#).await;
    let poison = serde_json::json!({"job_id": "poison", "questions": [
        {"id": "q", "source": "broken", "question": "anything", "sql": "SELECT 1"}]});
    fx.publish_raw(&serde_json::to_vec(&poison).unwrap()).await;
    let good = serde_json::json!({"job_id": "good", "questions": [
        {"id": "q", "source": "chinook", "question": "count", "sql": "SELECT COUNT(*) AS n FROM Artist"}]});
    fx.publish_raw(&serde_json::to_vec(&good).unwrap()).await;
    let mut worker = fx.worker("worker", &[]);

    let results = fx.wait_for_results(1).await;
    assert_eq!(results[0].routing_key.as_str(), "good");
    fx.wait_for_count(&fx.topology.dead_queue, 4).await;
    let dead = fx.drain(&fx.topology.dead_queue).await;
    let reasons: Vec<String> =
        dead.iter().map(|d| header_string(&d.properties, ERROR_HEADER).unwrap_or_default()).collect();
    assert!(reasons.iter().any(|r| r.contains("malformed job") && r.contains("not valid JSON")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("source 'sales' is not configured")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("a JSON array") && r.contains("must be one job object")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("gave up after 2 deliveries") && r.contains("does not exist")),
        "{reasons:?}"
    );
    assert!(dead.iter().any(|d| d.data == b"this is not json"), "the original body is kept");
    assert_eq!(fx.message_count(&fx.topology.jobs_queue).await, 0);
    assert!(!fx.job_dir("poison").join("manifest.json").exists());
    assert_eq!(manifest(&fx.job_dir("good"))["stats"]["ok"], 1);
    assert!(worker.child.try_wait().unwrap().is_none(), "the worker keeps going");
    worker.wait_ready().await;
    assert_eq!(worker.log().matches("rejecting a malformed job").count(), 3, "logged once each");
    drop(worker);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_is_killed_mid_way_completes_once_on_another_worker() {
    let _shared = BROKER.read().await;
    let Some(fx) = Fixture::new("kill9", "", "").await else { return };
    let job = serde_json::json!({"job_id": "slow", "questions": [
        {"id": "fast", "source": "chinook", "question": "count", "sql": "SELECT COUNT(*) AS n FROM Track"},
        {"id": "slow", "source": "chinook", "question": "count", "sql": slow_sql(5_000_000)}]});
    fx.publish_raw(&serde_json::to_vec(&job).unwrap()).await;
    let dir = fx.job_dir("slow");
    let mut first = fx.worker("first", &[]);
    wait_for_file(&dir.join("fast.parquet")).await;
    assert!(!dir.join("manifest.json").exists(), "the slow question is still running");
    first.signal(libc::SIGKILL);
    first.wait_exit().await;

    let mut second = fx.worker("second", &[]);
    wait_for_file(&dir.join("manifest.json")).await;
    let results = fx.wait_for_results(1).await;
    assert_eq!(results.len(), 1);
    second.wait_for_log("answer file exists; not run again").await;
    let m = manifest(&dir);
    assert_eq!(m["stats"]["ok"], 2);
    assert_eq!(
        files_in(&dir),
        ["fast.parquet", "manifest.json", "report.html", "slow.parquet"],
        "no partial or duplicate files"
    );
    // Nothing left to redeliver: the job finished exactly once.
    assert_eq!(fx.message_count(&fx.topology.jobs_queue).await, 0);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fx.message_count(&fx.results_queue).await, 0, "no second result");
    assert_eq!(second.log().matches("job finished").count(), 1);
    drop(second);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_started_with_a_changed_delivery_limit_consumes_and_names_the_argument_that_differs() {
    let _shared = BROKER.read().await;
    // The fixture declares the queues with the default delivery limit (5).
    let Some(fx) = Fixture::new("drift", "", "").await else { return };
    let mut worker = fx.worker("worker", &[("SQLSYNTH__QUEUE__MAX_DELIVERIES", "7")]);
    worker.wait_ready().await;
    let job = serde_json::json!({"job_id": "after-drift", "questions": [
        {"id": "q", "source": "chinook", "question": "count", "sql": "SELECT COUNT(*) AS n FROM Genre"}]});
    fx.publish_raw(&serde_json::to_vec(&job).unwrap()).await;
    let results = fx.wait_for_results(1).await;
    assert_eq!(results[0].routing_key.as_str(), "after-drift");
    let log = worker.log();
    assert!(log.contains("x-delivery-limit") && log.contains("using it as it is"), "{log}");
    assert!(log.contains("rabbitmqctl delete_queue"), "says what to do: {log}");
    assert!(!log.contains("reconnecting"), "no retry loop: {log}");
    drop(worker);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeliveries_after_a_job_failure_back_off_before_the_job_is_dead_lettered() {
    let _shared = BROKER.read().await;
    let Some(fx) = Fixture::new("backoff", "max_deliveries = 3\nretry_delay_ms = 400", "").await else { return };
    let mut worker = fx.worker("worker", &[]);
    worker.wait_ready().await;
    let poison = serde_json::json!({"job_id": "poison", "questions": [
        {"id": "q", "source": "broken", "question": "anything", "sql": "SELECT 1"}]});
    let started = Instant::now();
    fx.publish_raw(&serde_json::to_vec(&poison).unwrap()).await;
    fx.wait_for_count(&fx.topology.dead_queue, 1).await;
    let elapsed = started.elapsed();
    // Two redeliveries, waiting at least 200 ms and 400 ms (half their ceilings); before, all three took ~10 ms.
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    let dead = fx.drain(&fx.topology.dead_queue).await;
    let reason = header_string(&dead[0].properties, ERROR_HEADER).unwrap();
    assert!(reason.contains("gave up after 3 deliveries") && reason.contains("does not exist"), "{reason}");
    let log = worker.log();
    assert_eq!(log.matches("job failed; retrying later").count(), 2, "{log}");
    assert!(log.contains("retry_in_ms="), "{log}");
    assert_eq!(fx.message_count(&fx.topology.jobs_queue).await, 0);
    assert_eq!(fx.message_count(&fx.topology.retry_queue).await, 0);

    // A job already delivered `max_deliveries` times (its workers died running it) is not run again.
    let channel = sqlsynth::source::amqp::confirm_channel(&fx.connection).await.unwrap();
    let mut headers = FieldTable::default();
    headers.insert(ATTEMPTS_HEADER.into(), lapin::types::AMQPValue::LongLongInt(3));
    let properties = lapin::BasicProperties::default().with_delivery_mode(2).with_headers(headers);
    let crashed = serde_json::json!({"job_id": "crashed", "questions": [
        {"id": "q", "source": "chinook", "question": "count", "sql": "SELECT COUNT(*) AS n FROM Album"}]});
    let body = serde_json::to_vec(&crashed).unwrap();
    publish_confirmed(&channel, "", &fx.topology.jobs_queue, &body, properties).await.unwrap();
    fx.wait_for_count(&fx.topology.dead_queue, 1).await;
    let dead = fx.drain(&fx.topology.dead_queue).await;
    let reason = header_string(&dead[0].properties, ERROR_HEADER).unwrap();
    assert!(reason.contains("gave up after 3 deliveries") && reason.contains("stopped while running it"), "{reason}");
    assert!(!fx.job_dir("crashed").exists(), "not run");

    // Unless it is finished: then its result still goes out.
    let done = serde_json::json!({"job_id": "done", "questions": [
        {"id": "q", "source": "chinook", "question": "count", "sql": "SELECT COUNT(*) AS n FROM Genre"}]});
    let body = serde_json::to_vec(&done).unwrap();
    fx.publish_raw(&body).await;
    assert_eq!(fx.wait_for_results(1).await[0].routing_key.as_str(), "done");
    let mut headers = FieldTable::default();
    headers.insert(ATTEMPTS_HEADER.into(), lapin::types::AMQPValue::LongLongInt(3));
    let properties = lapin::BasicProperties::default().with_delivery_mode(2).with_headers(headers);
    publish_confirmed(&channel, "", &fx.topology.jobs_queue, &body, properties).await.unwrap();
    assert_eq!(fx.wait_for_results(1).await[0].routing_key.as_str(), "done");
    assert_eq!(fx.message_count(&fx.topology.dead_queue).await, 0);
    drop(worker);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_value_fails_its_question_while_the_worker_and_its_other_jobs_carry_on() {
    let _shared = BROKER.read().await;
    let Some(_pg) = common::postgres().await else { return };
    let pg = format!("[sources.pg]\nurl = \"{}\"\n", common::postgres_url());
    let Some(fx) = Fixture::new("huge", "", &pg).await else { return };
    // 30 values of 10 MB (300 MB) against a 40 MB answer bound, in 8 MB batches.
    let mut worker = fx.worker(
        "worker",
        &[("SQLSYNTH__EXEC__MAX_ANSWER_BYTES", "40000000"), ("SQLSYNTH__EXEC__BATCH_BYTES", "8000000")],
    );
    let huge = serde_json::json!({"job_id": "huge", "questions": [
        {"id": "one", "source": "pg", "question": "one", "sql": "SELECT 1 AS one"},
        {"id": "huge", "source": "pg", "question": "huge",
         "sql": "SELECT repeat('x', 10000000) AS x FROM generate_series(1, 30) AS g"}]});
    let other = serde_json::json!({"job_id": "other", "questions": [
        {"id": "q", "source": "chinook", "question": "count", "sql": "SELECT COUNT(*) AS n FROM Album"}]});
    fx.publish_raw(&serde_json::to_vec(&huge).unwrap()).await;
    fx.publish_raw(&serde_json::to_vec(&other).unwrap()).await;
    let results = fx.wait_for_results(2).await;
    let mut keys: Vec<&str> = results.iter().map(|r| r.routing_key.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["huge", "other"]);
    let m = manifest(&fx.job_dir("huge"));
    assert_eq!((m["stats"]["ok"].as_u64(), m["stats"]["failed"].as_u64()), (Some(1), Some(1)), "{m}");
    let error = m["questions"][1]["error"].as_str().unwrap();
    assert!(error.contains("exec.max_answer_bytes (40000000 bytes)"), "{error}");
    assert!(!fx.job_dir("huge").join("huge.parquet").exists());
    assert_eq!(manifest(&fx.job_dir("other"))["stats"]["ok"], 1);
    assert!(worker.child.try_wait().unwrap().is_none(), "the worker is still running");
    worker.wait_ready().await;
    drop(worker);
    fx.cleanup().await;
}

/// Starts the broker again however the test ends.
struct BrokerRestartGuard;

impl Drop for BrokerRestartGuard {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl").arg("start_app").output();
    }
}

async fn restart_broker() {
    let guard = BrokerRestartGuard;
    let stop = Command::new("rabbitmqctl").arg("stop_app").output().expect("rabbitmqctl runs");
    assert!(stop.status.success(), "{}", String::from_utf8_lossy(&stop.stderr));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start = Command::new("rabbitmqctl").arg("start_app").output().expect("rabbitmqctl runs");
    assert!(start.status.success(), "{}", String::from_utf8_lossy(&start.stderr));
    let _ = Command::new("rabbitmqctl").args(["await_startup", "--timeout", "60"]).output();
    drop(guard);
}

async fn reconnect(fx: &mut Fixture) {
    let start = Instant::now();
    loop {
        if let Ok(connection) = Connection::connect(&amqp_url(), ConnectionProperties::default()).await
            && let Ok(channel) = connection.create_channel().await
        {
            fx.connection = connection;
            fx.channel = channel;
            return;
        }
        assert!(start.elapsed() < DEADLINE, "the broker did not come back");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_while_idle_and_while_busy_loses_no_job() {
    if Command::new("rabbitmqctl").arg("status").output().map(|o| !o.status.success()).unwrap_or(true) {
        common::service_missing::<()>("rabbitmqctl", "cannot manage the local broker");
        return;
    }
    let _exclusive = BROKER.write().await;
    let Some(mut fx) = Fixture::new("restart", "", "").await else { return };
    let mut worker = fx.worker("worker", &[]);
    worker.wait_ready().await;

    // Idle.
    restart_broker().await;
    reconnect(&mut fx).await;
    worker.wait_ready().await;
    let quick = serde_json::json!({"job_id": "after-idle-restart", "questions": [
        {"id": "q", "source": "chinook", "question": "count", "sql": "SELECT COUNT(*) AS n FROM Album"}]});
    fx.publish_raw(&serde_json::to_vec(&quick).unwrap()).await;
    let results = fx.wait_for_results(1).await;
    assert_eq!(results[0].routing_key.as_str(), "after-idle-restart");

    // Busy.
    let slow = serde_json::json!({"job_id": "busy-restart", "questions": [
        {"id": "slow", "source": "chinook", "question": "count", "sql": slow_sql(20_000_000)}]});
    fx.publish_raw(&serde_json::to_vec(&slow).unwrap()).await;
    worker.wait_for_log("job received job_id=busy-restart").await;
    restart_broker().await;
    reconnect(&mut fx).await;
    let results = fx.wait_for_results(1).await;
    assert_eq!(results[0].routing_key.as_str(), "busy-restart");
    assert_eq!(manifest(&fx.job_dir("busy-restart"))["stats"]["ok"], 1);
    assert_eq!(files_in(&fx.job_dir("busy-restart")), ["manifest.json", "report.html", "slow.parquet"]);
    worker.wait_ready().await;
    fx.wait_for_count(&fx.topology.jobs_queue, 0).await;
    assert!(worker.log().contains("reconnecting"), "{}", worker.log());
    assert_eq!(worker.log().matches("job finished job_id=busy-restart").count(), 1, "ran once");
    // The restart hit the job in flight: its result or ack could not be sent, the
    // broker redelivered it, and the redelivery found the manifest.
    worker.wait_for_log("manifest exists; job already done job_id=busy-restart").await;
    drop(worker);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_job_in_flight_finish_then_exits_zero() {
    let _shared = BROKER.read().await;
    let Some(fx) = Fixture::new("drain", "drain_timeout_ms = 300000", "").await else { return };
    let job = serde_json::json!({"job_id": "drained", "questions": [
        {"id": "slow", "source": "chinook", "question": "count", "sql": slow_sql(2_000_000)}]});
    fx.publish_raw(&serde_json::to_vec(&job).unwrap()).await;
    let mut worker = fx.worker("worker", &[]);
    worker.wait_for_log("job received job_id=drained").await;
    worker.signal(libc::SIGTERM);
    let status = worker.wait_exit().await;
    assert_eq!(status.code(), Some(0), "{}", worker.log());
    assert_eq!(manifest(&fx.job_dir("drained"))["stats"]["ok"], 1);
    let results = fx.wait_for_results(1).await;
    assert_eq!(results[0].routing_key.as_str(), "drained");
    assert_eq!(fx.message_count(&fx.topology.jobs_queue).await, 0);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_past_the_drain_timeout_requeues_the_job_and_exits_zero() {
    let _shared = BROKER.read().await;
    let Some(fx) = Fixture::new("requeue", "drain_timeout_ms = 200", "").await else { return };
    let job = serde_json::json!({"job_id": "requeued", "questions": [
        {"id": "slow", "source": "chinook", "question": "count", "sql": slow_sql(50_000_000)}]});
    fx.publish_raw(&serde_json::to_vec(&job).unwrap()).await;
    let mut worker = fx.worker("worker", &[]);
    worker.wait_for_log("job received job_id=requeued").await;
    worker.signal(libc::SIGTERM);
    let status = worker.wait_exit().await;
    assert_eq!(status.code(), Some(0), "{}", worker.log());
    assert!(worker.log().contains("requeueing the jobs still running"), "{}", worker.log());
    assert!(!fx.job_dir("requeued").join("manifest.json").exists());
    fx.wait_for_count(&fx.topology.jobs_queue, 1).await;
    assert_eq!(fx.message_count(&fx.results_queue).await, 0);
    fx.cleanup().await;
}
