//! The contracts other programs rely on, checked by other people's tools
//! (tests/validate.py: Python `jsonschema`, `kubernetes-validate`):
//!
//! * `schemas/job.schema.json` and the code agree: every job file in `jobs/`
//!   validates and parses; jobs the code rejects are rejected by the schema
//!   too, except the rules a schema cannot say (unique ids, configured
//!   sources, duplicate keys), which are listed here as such.
//! * `schemas/manifest.schema.json` describes every shape of manifest the
//!   command line writes (answered, pinned, cached, resumed, truncated,
//!   failed by the guard and by the database, abstained), and manifests the
//!   code refuses to read are refused by the schema. (Every other test reads
//!   the manifests it makes through `common::schema`, which validates them.)
//! * The client examples (`examples/publish.py`, `examples/node/publish.mjs`)
//!   validate, publish and receive a result through the real broker and a
//!   real `sqlsynth worker` on queue names of their own.
//! * `deploy/k8s` validates against the Kubernetes OpenAPI schemas and KEDA's
//!   CRDs, `deploy/compose.yaml` against the Compose specification, and each
//!   validator rejects a broken copy (so a pass means something).
//! * The image: `deploy/build-image-offline.sh` builds the Dockerfile's
//!   runtime stage with buildah around this binary and runs the example job
//!   in it (README "The image" says what differs from a registry build).
//!
//! (`jobs/` holds the job files; `evals/*.json` are eval case files, another
//! format, not jobs.)

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::schema::{self, repo};
use common::worker_process::WorkerProcess;
use serde_json::{Value, json};
use sqlsynth::job::Job;
use sqlsynth::sink::manifest::{Manifest, Status};
use sqlsynth::synth::SynthesizerKind;

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn demo_db() -> String {
    format!("sqlite://{}", repo().join("jobs/demo/chinook.sqlite").display())
}

/// Writes `(name, bytes)` files into `dir` and returns their paths, in order.
fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect()
}

/// The schema's errors for each file, by path, or `None` (skip).
fn schema_errors(schema_name: &str, files: &[PathBuf]) -> Option<HashMap<String, Vec<String>>> {
    let schema = schema::schema(schema_name);
    let mut args: Vec<&Path> = vec![&schema];
    args.extend(files.iter().map(PathBuf::as_path));
    schema::errors("json", &args)
}

#[test]
fn the_schemas_are_json_schema_2020_12_and_agree_on_ids() {
    let files = [schema::schema("job.schema.json"), schema::schema("manifest.schema.json")];
    let Some(report) = schema::errors("check-schema", &[&files[0], &files[1]]) else { return };
    for file in &files {
        assert_eq!(report[&file.display().to_string()], Vec::<String>::new(), "{}", file.display());
    }
    let read = |path: &Path| serde_json::from_slice::<Value>(&std::fs::read(path).unwrap()).unwrap();
    let (job, manifest) = (read(&files[0]), read(&files[1]));
    assert_eq!(job["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(manifest["$schema"], job["$schema"]);
    let rule = |schema: &Value| {
        let mut id = schema["$defs"]["id"].clone();
        id.as_object_mut().unwrap().remove("description");
        id
    };
    assert_eq!(rule(&job), rule(&manifest), "one id rule in both schemas");

    assert_eq!(job["properties"]["questions"]["maxItems"], json!(sqlsynth::job::MAX_QUESTIONS));

    // The manifest's enums are the code's (the matches fail to compile when a variant is added).
    let question = &manifest["$defs"]["question"]["properties"];
    let statuses = [Status::Ok, Status::Failed, Status::Unanswered].map(|s| match s {
        Status::Ok | Status::Failed | Status::Unanswered => json!(s.name()),
    });
    assert_eq!(question["status"]["enum"], json!(statuses));
    use SynthesizerKind::*;
    let kinds = [Pinned, Cache, Offline, Llm].map(|k| match k {
        Pinned | Cache | Offline | Llm => json!(k.name()),
    });
    let mut synthesizers = kinds.to_vec();
    synthesizers.push(Value::Null);
    assert_eq!(question["synthesizer"]["enum"], json!(synthesizers));
}

#[test]
fn every_job_file_validates_and_parses() {
    let mut jobs: Vec<PathBuf> = std::fs::read_dir(repo().join("jobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    jobs.sort();
    assert!(jobs.len() >= 2, "jobs/ holds the example and nightly jobs");
    for path in &jobs {
        let bytes = std::fs::read(path).unwrap();
        Job::parse(&bytes, |_| true).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let Some(report) = schema_errors("job.schema.json", &jobs) else { return };
    for path in &jobs {
        assert_eq!(report[&path.display().to_string()], Vec::<String>::new(), "{}", path.display());
    }
}

/// A job of `questions` with id `j`.
fn job_of(questions: Value) -> Value {
    json!({"job_id": "j", "questions": questions})
}

fn question() -> Value {
    json!({"id": "q", "source": "chinook", "question": "How many tracks are there?"})
}

/// `question()` with `key` set to `value` (`None`: removed).
fn question_with(key: &str, value: Option<Value>) -> Value {
    let mut q = question();
    match value {
        Some(v) => q[key] = v,
        None => drop(q.as_object_mut().unwrap().remove(key)),
    }
    q
}

#[test]
fn jobs_the_code_rejects_the_schema_rejects_too() {
    let long = "x".repeat(129);
    let mut bad: Vec<(&str, Value)> = vec![
        ("not an object", json!(["job"])),
        ("null", Value::Null),
        ("no job_id", json!({"questions": [question()]})),
        ("no questions", json!({"job_id": "j"})),
        ("questions not a list", json!({"job_id": "j", "questions": question()})),
        ("no question at all", job_of(json!([]))),
        ("unknown top-level field", json!({"job_id": "j", "priority": 1, "questions": [question()]})),
        ("unknown question field", job_of(json!([question_with("url", Some(json!("postgres://x")))]))),
        ("question not an object", job_of(json!(["How many tracks?"]))),
        ("question without id", job_of(json!([question_with("id", None)]))),
        ("question without source", job_of(json!([question_with("source", None)]))),
        ("question without text", job_of(json!([question_with("question", None)]))),
        ("empty text, no sql", job_of(json!([question_with("question", Some(json!("")))]))),
        ("blank text, no sql", job_of(json!([question_with("question", Some(json!(" \t\u{a0}\n")))]))),
        ("blank text, null sql", {
            let mut q = question_with("question", Some(json!("  ")));
            q["sql"] = Value::Null;
            job_of(json!([q]))
        }),
        ("sql not text", job_of(json!([question_with("sql", Some(json!(1)))]))),
        ("source not text", job_of(json!([question_with("source", Some(json!({"url": "sqlite://x"})))]))),
        ("too many questions", {
            let questions: Vec<Value> =
                (0..10_001).map(|i| question_with("id", Some(json!(format!("q{i}"))))).collect();
            job_of(Value::Array(questions))
        }),
    ];
    let bad_ids = [json!(""), json!("."), json!(".hidden"), json!("../etc"), json!("a/b"), json!("a\\b")];
    let more_ids = [json!("a b"), json!("é"), json!("q\n"), json!(long), json!(7), Value::Null];
    for id in bad_ids.iter().chain(&more_ids) {
        bad.push(("bad job_id", json!({"job_id": id, "questions": [question()]})));
        bad.push(("bad question id", job_of(json!([question_with("id", Some(id.clone()))]))));
    }
    // Accepted by both, at the edges of the rules.
    let good: Vec<(&str, Value)> = vec![
        (
            "128-character ids",
            json!({"job_id": "j".repeat(128), "questions": [question_with("id", Some(json!("q".repeat(128))))]}),
        ),
        ("ids starting with - or _", json!({"job_id": "-j", "questions": [question_with("id", Some(json!("_q.1")))]})),
        (
            "pinned sql, empty text",
            job_of(json!([{"id": "q", "source": "chinook", "question": "", "sql": "SELECT 1"}])),
        ),
        ("null sql", job_of(json!([question_with("sql", Some(Value::Null))]))),
        ("10,000 questions", {
            let questions: Vec<Value> =
                (0..10_000).map(|i| question_with("id", Some(json!(format!("q{i}"))))).collect();
            job_of(Value::Array(questions))
        }),
    ];
    // Rules only the code can check: a schema cannot say them.
    let code_only: Vec<(&str, Vec<u8>)> = vec![
        ("duplicate question ids", serde_json::to_vec(&job_of(json!([question(), question()]))).unwrap()),
        (
            "unconfigured source",
            serde_json::to_vec(&job_of(json!([question_with("source", Some(json!("sales")))]))).unwrap(),
        ),
        (
            "duplicate key",
            br#"{"job_id":"j","job_id":"k","questions":[{"id":"q","source":"chinook","question":"?"}]}"#.to_vec(),
        ),
    ];

    let parse = |bytes: &[u8]| Job::parse(bytes, |source| source == "chinook");
    let dir = tempfile::tempdir().unwrap();
    let named = |prefix: &str, cases: &[(&str, Value)]| -> Vec<(String, Vec<u8>)> {
        cases
            .iter()
            .enumerate()
            .map(|(i, (_, job))| (format!("{prefix}{i}.json"), serde_json::to_vec(job).unwrap()))
            .collect()
    };
    let bad_files = named("bad", &bad);
    let good_files = named("good", &good);
    let code_only_files: Vec<(String, Vec<u8>)> =
        code_only.iter().enumerate().map(|(i, (_, bytes))| (format!("code-only{i}.json"), bytes.clone())).collect();
    for ((what, _), (_, bytes)) in bad.iter().zip(&bad_files) {
        assert!(parse(bytes).is_err(), "the code accepts a bad job ({what})");
    }
    for ((what, _), (_, bytes)) in good.iter().zip(&good_files) {
        parse(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    for ((what, _), (_, bytes)) in code_only.iter().zip(&code_only_files) {
        assert!(parse(bytes).is_err(), "the code accepts a bad job ({what})");
    }

    let bad_paths = write_all(dir.path(), &bad_files);
    let good_paths = write_all(dir.path(), &good_files);
    let code_only_paths = write_all(dir.path(), &code_only_files);
    let all: Vec<PathBuf> = bad_paths.iter().chain(&good_paths).chain(&code_only_paths).cloned().collect();
    let Some(report) = schema_errors("job.schema.json", &all) else { return };
    let errors = |path: &PathBuf| &report[&path.display().to_string()];
    for ((what, job), path) in bad.iter().zip(&bad_paths) {
        let shown = job.to_string();
        assert!(!errors(path).is_empty(), "the schema accepts a job the code rejects ({what}): {:.200}", shown);
    }
    for ((what, _), path) in good.iter().zip(&good_paths) {
        assert_eq!(errors(path), &Vec::<String>::new(), "{what}");
    }
    for ((what, _), path) in code_only.iter().zip(&code_only_paths) {
        assert_eq!(errors(path), &Vec::<String>::new(), "{what}: the schema now says it; move it to the bad jobs");
    }
}

/// A work directory for `sqlsynth run` on the demo database.
fn run_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("[sources.chinook]\nurl = \"{}\"\nmax_connections = 4\n", demo_db());
    std::fs::write(dir.path().join("sqlsynth.toml"), config).unwrap();
    dir
}

/// `sqlsynth run JOB --out OUT` in `dir`; returns the exit code.
fn run(dir: &Path, job: &Path, out: &str, env: &[(&str, &str)]) -> i32 {
    let output = Command::new(env!("CARGO_BIN_EXE_sqlsynth"))
        .current_dir(dir)
        .args(["run", job.to_str().unwrap(), "--out", out])
        .env_remove("SQLSYNTH_CONFIG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    let code = output.status.code().expect("exited");
    assert!(code == 0 || code == 1, "{}", text(&output));
    code
}

#[test]
fn every_shape_of_manifest_the_command_line_writes_validates() {
    let dir = run_dir();
    let example = repo().join("jobs/example.json");
    let mixed = dir.path().join("mixed.json");
    std::fs::write(
        &mixed,
        serde_json::to_vec(&json!({"job_id": "mixed", "questions": [
            {"id": "answered", "source": "chinook", "question": "How many tracks are there?"},
            {"id": "pinned", "source": "chinook", "question": "", "sql": "SELECT COUNT(*) AS n FROM Genre"},
            {"id": "many_rows", "source": "chinook", "question": "pinned", "sql": "SELECT TrackId, Name FROM Track"},
            {"id": "guarded", "source": "chinook", "question": "pinned", "sql": "DELETE FROM Track"},
            {"id": "broken", "source": "chinook", "question": "pinned", "sql": "SELECT * FROM NoSuchTable"},
            {"id": "abstained", "source": "chinook", "question": "What will the weather be in Paris tomorrow?"}
        ]}))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(run(dir.path(), &example, "out", &[]), 0);
    // Truncated answers: at most 5 rows each.
    assert_eq!(run(dir.path(), &mixed, "out", &[("SQLSYNTH__EXEC__MAX_ROWS", "5")]), 1);
    // Cached answers: the same questions again, into another output root.
    assert_eq!(run(dir.path(), &example, "again", &[]), 0);
    // Resumed answers: the manifest and one answer lost; the others are read back from their files.
    let resumed = dir.path().join("again/example");
    std::fs::remove_file(resumed.join("manifest.json")).unwrap();
    let first = schema::manifest_at(&dir.path().join("out/example/manifest.json"));
    let lost = first["questions"][0]["file"].as_str().unwrap();
    std::fs::remove_file(resumed.join(lost)).unwrap();
    assert_eq!(run(dir.path(), &example, "again", &[]), 0);

    let mut statuses = BTreeSet::new();
    let mut synthesizers = BTreeSet::new();
    let mut truncated = 0;
    for path in ["out/example", "out/mixed", "again/example"] {
        let manifest = schema::manifest_at(&dir.path().join(path).join("manifest.json"));
        for q in manifest["questions"].as_array().unwrap() {
            statuses.insert(q["status"].as_str().unwrap().to_string());
            synthesizers.insert(q["synthesizer"].as_str().unwrap_or("none").to_string());
            truncated += usize::from(q["truncated"] == true);
        }
    }
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(statuses, set(&["failed", "ok", "unanswered"]), "every status was written and validated");
    assert!(synthesizers.is_superset(&set(&["cache", "offline", "pinned", "none"])), "{synthesizers:?}");
    assert!(truncated >= 1, "a truncated answer was written and validated");

    // The other way round: manifests the code refuses to read, the schema refuses too.
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/mixed/manifest.json")).unwrap()).unwrap();
    let mutate = |change: &dyn Fn(&mut Value)| {
        let mut m = written.clone();
        change(&mut m);
        serde_json::to_vec(&m).unwrap()
    };
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("unknown field", mutate(&|m| m["x_not_a_field"] = json!(1))),
        ("unknown question field", mutate(&|m| m["questions"][0]["x_not_a_field"] = json!("x"))),
        ("unknown stats field", mutate(&|m| m["stats"]["x_not_a_field"] = json!(1))),
        ("unknown status", mutate(&|m| m["questions"][0]["status"] = json!("done"))),
        ("negative rows", mutate(&|m| m["questions"][0]["rows"] = json!(-1))),
        ("rows as text", mutate(&|m| m["questions"][0]["rows"] = json!("5"))),
        ("no truncated", mutate(&|m| drop(m["questions"][0].as_object_mut().unwrap().remove("truncated")))),
        ("no stats.ok", mutate(&|m| drop(m["stats"].as_object_mut().unwrap().remove("ok")))),
        ("not a timestamp", mutate(&|m| m["started_at"] = json!("yesterday"))),
        (
            "column without type",
            mutate(&|m| drop(m["questions"][0]["columns"][0].as_object_mut().unwrap().remove("type"))),
        ),
    ];
    // Manifests written before `interpretation` and `stats.cached_tokens` existed: both read them.
    let old = mutate(&|m| {
        for q in m["questions"].as_array_mut().unwrap() {
            q.as_object_mut().unwrap().remove("interpretation");
        }
        m["stats"].as_object_mut().unwrap().remove("cached_tokens");
    });
    for (what, bytes) in &refused {
        assert!(Manifest::from_bytes(bytes, what).is_err(), "the code reads a broken manifest ({what})");
    }
    Manifest::from_bytes(&old, "old manifest").unwrap();
    let mut files: Vec<(String, Vec<u8>)> =
        refused.iter().enumerate().map(|(i, (_, bytes))| (format!("refused{i}.json"), bytes.clone())).collect();
    files.push(("old.json".into(), old));
    let paths = write_all(dir.path(), &files);
    let Some(report) = schema_errors("manifest.schema.json", &paths) else { return };
    for ((what, _), path) in refused.iter().zip(&paths) {
        assert!(!report[&path.display().to_string()].is_empty(), "the schema accepts a broken manifest ({what})");
    }
    assert_eq!(report[&paths.last().unwrap().display().to_string()], Vec::<String>::new(), "an old manifest");
}

/// Why the client examples cannot run here, if they cannot: `Some(reason)`.
fn example_missing(command: &str, probe: &[&str], dir: &Path) -> Option<String> {
    match Command::new(command).args(probe).current_dir(dir).output() {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(String::from_utf8_lossy(&o.stderr).trim().lines().last().unwrap_or_default().to_string()),
        Err(e) => Some(format!("{command}: {e}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_examples_publish_a_job_and_receive_its_result_from_a_real_worker() {
    let amqp_url = std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let connection = match lapin::Connection::connect(&amqp_url, lapin::ConnectionProperties::default()).await {
        Ok(c) => c,
        Err(e) => return common::service_missing("RabbitMQ", e).unwrap_or(()),
    };
    let python = example_missing("python3", &["-c", "import pika, jsonschema"], &repo());
    if let Some(why) = python {
        return common::service_missing("Python pika and jsonschema (pip install pika jsonschema)", why).unwrap_or(());
    }
    let node_dir = repo().join("examples/node");
    let node = example_missing("node", &["-e", "require.resolve('amqplib'); require.resolve('ajv')"], &node_dir);
    let node = node.or_else(|| (!node_dir.join("node_modules").is_dir()).then(|| "no node_modules".to_string()));
    if let Some(why) = node {
        let what = "Node.js with examples/node/node_modules (cd examples/node && npm ci)";
        return common::service_missing(what, why).unwrap_or(());
    }

    let name = format!("t.examples.{}.{}", std::process::id(), fastrand::u32(..));
    let (jobs_queue, results_exchange) = (format!("{name}.jobs"), format!("{name}.results"));
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[sources.chinook]\nurl = \"{}\"\n\n[queue]\nurl = \"{amqp_url}\"\njobs_queue = \"{jobs_queue}\"\n\
         results_exchange = \"{results_exchange}\"\n\n[output]\nroot = \"out\"\n",
        demo_db()
    );
    std::fs::write(dir.path().join("sqlsynth.toml"), config).unwrap();
    let mut worker = WorkerProcess::start(dir.path(), "worker", &[]);
    worker.wait_ready().await;

    let example: Value = serde_json::from_slice(&std::fs::read(repo().join("jobs/example.json")).unwrap()).unwrap();
    let clients: [(&str, Vec<PathBuf>); 2] =
        [("python3", vec![repo().join("examples/publish.py")]), ("node", vec![node_dir.join("publish.mjs")])];
    for (program, script) in &clients {
        let client = |job: &Path| {
            let output = Command::new(program)
                .args(script)
                .arg(job)
                .args(["--timeout", "120"])
                .env("AMQP_URL", &amqp_url)
                .env("SQLSYNTH_JOBS_QUEUE", &jobs_queue)
                .env("SQLSYNTH_RESULTS_EXCHANGE", &results_exchange)
                .output()
                .unwrap();
            (output.status.code(), text(&output), output.stdout)
        };
        // A job the schema refuses is never published.
        let bad = dir.path().join(format!("bad-{program}.json"));
        std::fs::write(&bad, br#"{"job_id":"../escape","questions":[{"id":"q","source":"chinook","question":"?"}]}"#)
            .unwrap();
        let (code, shown, _) = client(&bad);
        assert_eq!(code, Some(2), "{program}: {shown}");
        assert!(shown.contains("is not a valid job") && shown.contains("/job_id"), "{program}: {shown}");

        let job_id = format!("example-{program}");
        let mut job = example.clone();
        job["job_id"] = json!(job_id);
        let path = dir.path().join(format!("{job_id}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&job).unwrap()).unwrap();
        let (code, shown, stdout) = client(&path);
        assert_eq!(code, Some(0), "{program}: {shown}\nworker log:\n{}", worker.log());
        let received = schema::manifest_from(&stdout, &format!("the result {program} printed"));
        let written = schema::manifest_at(&dir.path().join("out").join(&job_id).join("manifest.json"));
        assert_eq!(received, written, "{program}: the result is the manifest on disk");
        assert_eq!(received["job_id"], json!(job_id));
        assert_eq!(received["stats"]["ok"], json!(example["questions"].as_array().unwrap().len()));
    }
    drop(worker);
    if let Ok(channel) = connection.create_channel().await {
        for queue in [jobs_queue.clone(), format!("{jobs_queue}.dead")] {
            let _ = channel.queue_delete(queue.as_str().into(), Default::default()).await;
        }
        let _ = channel.exchange_delete(results_exchange.as_str().into(), Default::default()).await;
    }
    let _ = connection.close(200, "done".into()).await;
}

/// Every file under `deploy/k8s`, sorted.
fn k8s_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(repo().join("deploy/k8s")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn deploy_files_validate_against_kubernetes_keda_and_compose_schemas() {
    let files = k8s_files();
    let args: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let Some(report) = schema::run("k8s", &args, None) else { return };
    let version = report["kubernetes_version"].as_str().unwrap();
    assert!(version.starts_with("1."), "{version}");
    let k8s: HashMap<String, Vec<String>> = serde_json::from_value(report["files"].clone()).unwrap();
    assert!(k8s.len() >= files.len(), "{k8s:?}");
    for (document, errors) in &k8s {
        assert_eq!(errors, &Vec::<String>::new(), "{document} against Kubernetes {version} / KEDA");
    }
    let compose = repo().join("deploy/compose.yaml");
    let Some(report) = schema::errors("compose", &[&compose]) else { return };
    assert_eq!(report.len(), 1);
    for (document, errors) in &report {
        assert_eq!(errors, &Vec::<String>::new(), "{document} against the Compose specification");
    }
}

#[test]
fn the_deploy_validators_reject_broken_copies() {
    let dir = tempfile::tempdir().unwrap();
    let broken = |file: &str, from: &str, to: &str| -> PathBuf {
        let text = std::fs::read_to_string(repo().join("deploy").join(file)).unwrap();
        assert!(text.contains(from), "{file} no longer says {from:?}; pick another breakage");
        let path = dir.path().join(format!("{}-{}.yaml", file.replace('/', "_"), fastrand::u32(..)));
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        path
    };
    let k8s = [
        broken("k8s/worker.yaml", "containerPort: 9464", "containerPort: metrics-port"),
        broken("k8s/worker.yaml", "readOnly: true", "readOnly: true\n              readonly: true"),
        broken("k8s/worker-scaledobject.yaml", "minReplicaCount: 1", "minReplicaCount: one"),
        broken("k8s/worker-scaledobject.yaml", "pollingInterval: 15", "pollingIntervall: 15"),
        broken("k8s/worker-scaledobject.yaml", "- parameter: host", "- parametre: host"),
    ];
    let args: Vec<&Path> = k8s.iter().map(PathBuf::as_path).collect();
    let Some(report) = schema::errors("k8s", &args) else { return };
    for path in &k8s {
        let documents: Vec<&Vec<String>> =
            report.iter().filter(|(k, _)| k.starts_with(&path.display().to_string())).map(|(_, v)| v).collect();
        assert!(documents.iter().any(|errors| !errors.is_empty()), "{} passes: {report:#?}", path.display());
    }
    let compose = broken("compose.yaml", "condition: service_healthy", "condition: service_happy");
    let Some(report) = schema::errors("compose", &[&compose]) else { return };
    assert!(report.values().any(|errors| !errors.is_empty()), "a broken compose file passes");
}

#[test]
fn the_image_builds_with_buildah_and_runs_the_example_job_as_its_user() {
    for (tool, probe) in [("buildah", "--version"), ("debootstrap", "--version")] {
        if let Some(why) = example_missing(tool, &[probe], &repo()) {
            return common::service_missing(&format!("{tool} (apt-get install buildah debootstrap)"), why)
                .unwrap_or(());
        }
    }
    let output = Command::new(repo().join("deploy/build-image-offline.sh"))
        .env("SQLSYNTH_BINARY", env!("CARGO_BIN_EXE_sqlsynth"))
        .output()
        .expect("the script runs");
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    let example: Value = serde_json::from_slice(&std::fs::read(repo().join("jobs/example.json")).unwrap()).unwrap();
    let answered = format!("{} ok, 0 failed, 0 unanswered", example["questions"].as_array().unwrap().len());
    assert!(shown.contains(&answered), "{shown}");
    assert!(shown.contains("ran the example job as uid 10001"), "{shown}");
}
