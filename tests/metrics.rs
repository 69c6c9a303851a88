//! Metrics and logs of the real binary.
//!
//! * A `sqlsynth worker` on its own queues of the real RabbitMQ runs a good
//!   job, the same job again, a job with a failing question, a malformed
//!   message and a job whose source is unreachable; `/metrics` must count each
//!   outcome exactly, and the exposition must pass `promtool check metrics`
//!   (required under `CI=true`; `.ci/run` installs it).
//! * `sqlsynth run --log-format json` at debug level: every stderr line is a
//!   JSON object, question lines carry the job and question spans, and no line
//!   (nor stdout) holds the configured database password or API key.

mod common;

use common::worker_process::{WorkerProcess, publish_to_queue};

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use lapin::options::QueueDeleteOptions;
use lapin::{Connection, ConnectionProperties};
use serde_json::Value;
use sqlsynth::config::Settings;
use sqlsynth::metrics::names;
use sqlsynth::source::amqp::Topology;
use sqlsynth::worker::health::{HEALTHZ_PATH, METRICS_PATH};

fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn demo_db() -> String {
    format!("sqlite://{}", Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/demo/chinook.sqlite").display())
}

/// One sample of the exposition: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition (our label values never contain `,` or `"`).
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("bad labels: {line}"));
                let labels = body
                    .split(',')
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("bad label: {line}"));
                        (k.to_string(), v.trim_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
            None => (series.to_string(), BTreeMap::new()),
        };
        samples.push(Sample { name, labels, value });
    }
    samples
}

/// The sum of the samples named `name` whose labels include `labels`; `None` when there is none.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

/// What only these tests ask of a worker: its metrics.
impl WorkerProcess {
    /// The `/metrics` body, after checking the status line and content type.
    fn scrape(&self) -> String {
        let response = self.get(METRICS_PATH).expect("the metrics listener answers");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(head.contains("content-type: text/plain; version=0.0.4"), "{head}");
        body.to_string()
    }

    /// Scrapes until `done` holds for the parsed samples; returns the text of that scrape.
    async fn wait_for_metrics(&mut self, what: &str, done: impl Fn(&[Sample]) -> bool) -> String {
        self.wait_until(&format!("showed {what} in its metrics"), |w| done(&parse_exposition(&w.scrape()))).await;
        self.scrape()
    }
}

/// `promtool check metrics` on `text`: required under CI, skipped (with a message) elsewhere.
fn promtool_check(text: &str) {
    let spawned = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            common::service_missing::<()>("promtool (apt-get install prometheus)", e);
            return;
        }
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}\n--- exposition:\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_counts_every_outcome_on_metrics_in_a_promtool_valid_exposition() {
    let connection = match Connection::connect(&amqp_url(), ConnectionProperties::default()).await {
        Ok(c) => c,
        Err(e) => {
            common::service_missing::<()>("RabbitMQ", e);
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let name = format!("t.metrics.{}.{}", std::process::id(), fastrand::u32(..));
    let config = format!(
        "[sources.chinook]\nurl = \"{db}\"\n\n[sources.broken]\nurl = \"sqlite:///nonexistent-sqlsynth/dir/x.sqlite\"\n\n\
         [queue]\nurl = \"{url}\"\njobs_queue = \"{name}.jobs\"\nresults_exchange = \"{name}.results\"\nmax_deliveries = 2\n\n\
         [output]\nroot = \"out\"\n",
        db = demo_db(),
        url = amqp_url(),
    );
    std::fs::write(dir.path().join("sqlsynth.toml"), config).unwrap();
    let settings = Settings::load(Some(&dir.path().join("sqlsynth.toml"))).unwrap();
    let topology = Topology::new(&settings.queue).unwrap();
    let channel = connection.create_channel().await.unwrap();
    topology.declare(&connection).await.unwrap();
    let queue = topology.jobs_queue.clone();

    let mut worker = WorkerProcess::start(dir.path(), "worker", &[]);
    worker.wait_ready().await;
    assert!(worker.get(HEALTHZ_PATH).unwrap().starts_with("HTTP/1.1 200 OK"));
    let before = parse_exposition(&worker.scrape());
    assert_eq!(value(&before, names::JOBS_TOTAL, &[("status", "ok")]), Some(0.0), "known series start at zero");
    assert_eq!(value(&before, names::DEAD_LETTERS_TOTAL, &[("reason", "malformed")]), Some(0.0));
    assert_eq!(value(&before, names::JOBS_IN_FLIGHT, &[]), Some(0.0));

    // A job whose questions all succeed, then the same job again (reused).
    let good = serde_json::json!({"job_id": "good", "questions": [
        {"id": "genres", "source": "chinook", "question": "How many genres?", "sql": "SELECT COUNT(*) AS n FROM Genre"},
        {"id": "media", "source": "chinook", "question": "How many media types?", "sql": "SELECT COUNT(*) AS n FROM MediaType"},
    ]});
    publish_to_queue(&connection, &queue, &serde_json::to_vec(&good).unwrap()).await;
    worker.wait_for_metrics("one ok job", |s| value(s, names::JOBS_TOTAL, &[("status", "ok")]) == Some(1.0)).await;
    publish_to_queue(&connection, &queue, &serde_json::to_vec(&good).unwrap()).await;
    worker
        .wait_for_metrics("one reused job", |s| value(s, names::JOBS_TOTAL, &[("status", "reused")]) == Some(1.0))
        .await;
    // One question fails at execution: the job is partial.
    let partial = serde_json::json!({"job_id": "partial", "questions": [
        {"id": "ok", "source": "chinook", "question": "How many artists?", "sql": "SELECT COUNT(*) AS n FROM Artist"},
        {"id": "bad", "source": "chinook", "question": "Broken", "sql": "SELECT nope FROM Artist"},
    ]});
    publish_to_queue(&connection, &queue, &serde_json::to_vec(&partial).unwrap()).await;
    worker
        .wait_for_metrics("one partial job", |s| value(s, names::JOBS_TOTAL, &[("status", "partial")]) == Some(1.0))
        .await;
    // Not a job at all, then a job whose source cannot be opened (requeued once, then dead-lettered).
    publish_to_queue(&connection, &queue, b"this is not json").await;
    let poison = serde_json::json!({"job_id": "poison", "questions": [
        {"id": "q", "source": "broken", "question": "anything", "sql": "SELECT 1"}]});
    publish_to_queue(&connection, &queue, &serde_json::to_vec(&poison).unwrap()).await;
    let text = worker
        .wait_for_metrics("both dead letters, nothing in flight", |s| {
            // The in-flight gauge drops last, when the dead-lettering task ends.
            value(s, names::DEAD_LETTERS_TOTAL, &[("reason", "malformed")]) == Some(1.0)
                && value(s, names::DEAD_LETTERS_TOTAL, &[("reason", "max_deliveries")]) == Some(1.0)
                && value(s, names::JOBS_IN_FLIGHT, &[]) == Some(0.0)
        })
        .await;
    let s = parse_exposition(&text);

    // Jobs: one per delivery, by how it ended; the poison job failed on both deliveries.
    assert_eq!(value(&s, names::JOBS_TOTAL, &[("status", "ok")]), Some(1.0), "{text}");
    assert_eq!(value(&s, names::JOBS_TOTAL, &[("status", "reused")]), Some(1.0), "{text}");
    assert_eq!(value(&s, names::JOBS_TOTAL, &[("status", "partial")]), Some(1.0), "{text}");
    assert_eq!(value(&s, names::JOBS_TOTAL, &[("status", "failed")]), Some(2.0), "{text}");
    assert_eq!(value(&s, names::REDELIVERIES_TOTAL, &[]), Some(1.0), "the poison job came back once: {text}");
    assert_eq!(value(&s, names::JOBS_IN_FLIGHT, &[]), Some(0.0), "{text}");

    // Questions: 2 + 1 ok and 1 failed were run (the reused job ran nothing).
    let questions = |status| value(&s, names::QUESTIONS_TOTAL, &[("status", status), ("synthesizer", "pinned")]);
    assert_eq!(questions("ok"), Some(3.0), "{text}");
    assert_eq!(questions("failed"), Some(1.0), "{text}");

    // Durations: end to end per job that ran (good, partial), and the stages the questions went through.
    let count = |stage| value(&s, &format!("{}_count", names::STAGE_DURATION_SECONDS), &[("stage", stage)]);
    assert_eq!(count("job"), Some(2.0), "{text}");
    for stage in ["guard", "execution", "write"] {
        assert!(count(stage).is_some_and(|n| n >= 3.0), "stage {stage} has no observations:\n{text}");
    }
    let inf = value(&s, &format!("{}_bucket", names::STAGE_DURATION_SECONDS), &[("stage", "job"), ("le", "+Inf")]);
    assert_eq!(inf, Some(2.0), "{text}");

    // Execution: nothing in flight now; the chinook pool holds idle connections, none busy.
    assert_eq!(value(&s, names::QUERIES_IN_FLIGHT, &[("source", "chinook")]), Some(0.0), "{text}");
    let pool = |state| value(&s, names::POOL_CONNECTIONS, &[("source", "chinook"), ("state", state)]);
    assert!(pool("idle").is_some_and(|n| n >= 1.0), "{text}");
    assert_eq!(pool("busy"), Some(0.0), "{text}");

    for metric in [names::JOBS_TOTAL, names::STAGE_DURATION_SECONDS, names::POOL_CONNECTIONS] {
        assert!(text.contains(&format!("# HELP {metric} ")), "{metric} is described:\n{text}");
    }
    promtool_check(&text);

    drop(worker);
    for queue in [&topology.jobs_queue, &topology.dead_queue, &topology.retry_queue] {
        let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
    }
    let _ = channel.exchange_delete(topology.results_exchange.as_str().into(), Default::default()).await;
    let _ = connection.close(200, "done".into()).await;
}

#[test]
fn json_logs_at_debug_level_are_json_lines_with_job_and_question_spans_and_no_secret() {
    const DB_PASSWORD: &str = "canary-db-pw-7f3a9c";
    const API_KEY: &str = "sk-canary-api-key-51d2e8";
    let dir = tempfile::tempdir().unwrap();
    // `vault` names a database that does not exist on the local PostgreSQL (or,
    // without PostgreSQL, a closed port): the second job below cannot connect.
    let config = format!(
        "[sources.chinook]\nurl = \"{db}\"\n\n[sources.vault]\nurl = \"postgres://postgres:${{VAULT_PASSWORD}}@127.0.0.1:5432/sqlsynth_no_such_db\"\n\n\
         [synth]\napi_key_env = \"SQLSYNTH_TEST_CANARY_KEY\"\n\n[output]\nroot = \"out\"\n",
        db = demo_db()
    );
    std::fs::write(dir.path().join("sqlsynth.toml"), config).unwrap();
    let job = serde_json::json!({"job_id": "logged", "questions": [
        {"id": "pinned", "source": "chinook", "question": "How many genres?", "sql": "SELECT COUNT(*) AS n FROM Genre"},
        {"id": "synthesized", "source": "chinook", "question": "How many customers are there in each country?"},
        {"id": "broken", "source": "chinook", "question": "Broken", "sql": "SELECT nope FROM Artist"},
    ]});
    std::fs::write(dir.path().join("logged.json"), serde_json::to_vec(&job).unwrap()).unwrap();
    let unreachable = serde_json::json!({"job_id": "unreachable", "questions": [
        {"id": "q", "source": "vault", "question": "anything", "sql": "SELECT 1"}]});
    std::fs::write(dir.path().join("unreachable.json"), serde_json::to_vec(&unreachable).unwrap()).unwrap();

    let run = |job_file: &str| {
        Command::new(env!("CARGO_BIN_EXE_sqlsynth"))
            .current_dir(dir.path())
            .args(["--log-format", "json", "run", job_file])
            .env_remove("SQLSYNTH_CONFIG")
            .env_remove("RUST_LOG")
            .env("SQLSYNTH_LOG", "debug")
            .env("VAULT_PASSWORD", DB_PASSWORD)
            .env("SQLSYNTH_TEST_CANARY_KEY", API_KEY)
            .output()
            .unwrap()
    };
    let logged = run("logged.json");
    let failed = run("unreachable.json");
    assert_eq!(logged.status.code(), Some(1), "one question fails: {}", String::from_utf8_lossy(&logged.stderr));
    assert_eq!(failed.status.code(), Some(2), "the source is unreachable: {}", String::from_utf8_lossy(&failed.stderr));

    let mut question_lines = BTreeMap::<String, usize>::new();
    for output in [&logged, &failed] {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        for text in [&stdout, &stderr] {
            assert!(!text.contains(DB_PASSWORD) && !text.contains(API_KEY), "a secret leaked:\n{text}");
        }
        for line in stderr.lines() {
            let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(event["level"].is_string() && event["timestamp"].is_string(), "{line}");
            let spans = event["spans"].as_array().cloned().unwrap_or_default();
            let Some(question) = spans.iter().find(|s| s["name"] == "question") else { continue };
            let job = spans.iter().find(|s| s["name"] == "job").unwrap_or_else(|| panic!("no job span: {line}"));
            assert_eq!(job["job_id"], "logged", "{line}");
            assert_eq!(question["source"], "chinook", "{line}");
            let id = question["question_id"].as_str().unwrap_or_else(|| panic!("no question_id: {line}"));
            *question_lines.entry(id.to_string()).or_default() += 1;
        }
    }
    assert!(String::from_utf8_lossy(&logged.stderr).contains("\"level\":\"DEBUG\""), "debug logging is on");
    let ids: Vec<&str> = question_lines.keys().map(String::as_str).collect();
    assert_eq!(ids, ["broken", "pinned", "synthesized"], "every question logs inside its span");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("cannot connect"), "the failure is logged as JSON:\n{stderr}");
}

#[test]
fn logs_are_plain_text_off_a_terminal_and_json_when_the_configuration_asks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sqlsynth.toml"), format!("[sources.chinook]\nurl = \"{}\"\n", demo_db())).unwrap();
    let job = serde_json::json!({"job_id": "formats", "questions": [
        {"id": "genres", "source": "chinook", "question": "How many genres?", "sql": "SELECT COUNT(*) AS n FROM Genre"}]});
    std::fs::write(dir.path().join("job.json"), serde_json::to_vec(&job).unwrap()).unwrap();
    let run = |out: &str, env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sqlsynth"));
        command
            .current_dir(dir.path())
            .args(["run", "job.json", "--out", out])
            .env_remove("SQLSYNTH_CONFIG")
            .env_remove("RUST_LOG")
            .env_remove("SQLSYNTH_LOG");
        for (k, v) in env {
            command.env(k, v);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stderr).unwrap()
    };

    // Default: text, no colour codes when stderr is not a terminal, spans inline.
    let text = run("text", &[]);
    assert!(!text.contains('\u{1b}'), "no ANSI escapes off a terminal:\n{text}");
    let done =
        text.lines().find(|l| l.contains("question done")).unwrap_or_else(|| panic!("no question line:\n{text}"));
    assert!(
        done.contains("job{job_id=formats}") && done.contains("question{question_id=genres source=chinook}"),
        "{done}"
    );
    assert!(text.lines().all(|l| serde_json::from_str::<Value>(l).is_err()), "text, not JSON:\n{text}");

    // `[log] format = "json"` (here through its environment override) without the flag.
    let json = run("json", &[("SQLSYNTH__LOG__FORMAT", "json")]);
    assert!(json.lines().count() > 0);
    for line in json.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(json.contains("\"message\":\"question done\""), "{json}");
}
