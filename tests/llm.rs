//! LLM synthesis end to end against a local OpenAI-compatible server
//! (tests/common/fake_llm.rs) and the bundled Chinook SQLite database:
//! what is sent (one call per 20 questions, a byte-identical shared prefix,
//! ids verbatim, a pruned schema, the key only in the Authorization header),
//! what is written (manifest statistics and tokens, `synthesizer = "llm"`,
//! Parquet files), repair rounds, retries with `Retry-After`, the circuit
//! breaker, single flight, and no secret in any log line.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::fake_llm::{Asked, FakeLlm, Recorded, Reply, dead_endpoint};
use indicatif::ProgressBar;
use serde_json::Value;
use sqlsynth::config::Settings;
use sqlsynth::job::{Job, Question};
use sqlsynth::pipeline::Pipeline;
use sqlsynth::sink::manifest::{Manifest, Status};

const KEY_VAR: &str = "SQLSYNTH_TEST_LLM_KEY";
const KEY: &str = "sk-canary-Key-5d8e21";

fn chinook_url() -> String {
    format!("sqlite://{}/jobs/demo/chinook.sqlite", env!("CARGO_MANIFEST_DIR"))
}

/// A config for Chinook and the LLM at `base_url`; `synth` adds `[synth]` keys.
fn config_text(dir: &Path, base_url: &str, synth: &str) -> String {
    format!(
        "[sources.chinook]\nurl = \"{}\"\nmax_connections = 4\n\n\
         [synth]\nprovider = \"openai\"\nbase_url = \"{base_url}\"\napi_key_env = \"{KEY_VAR}\"\n{synth}\n\n\
         [cache]\ndir = \"{}\"\n",
        chinook_url(),
        dir.join("cache").display()
    )
}

fn settings(dir: &Path, base_url: &str, synth: &str) -> Settings {
    let env = vec![(KEY_VAR.to_string(), KEY.to_string())];
    Settings::from_toml(&config_text(dir, base_url, synth), "llm-test.toml", None, &env).expect("valid config")
}

/// A question, the SQL the fake LLM answers it with, and the id it carries.
struct Case {
    id: String,
    question: String,
    sql: String,
}

fn case(id: &str, question: &str, sql: &str) -> Case {
    Case { id: id.into(), question: question.into(), sql: sql.into() }
}

fn job(job_id: &str, cases: &[Case]) -> Job {
    Job {
        job_id: job_id.into(),
        questions: cases
            .iter()
            .map(|c| Question { id: c.id.clone(), source: "chinook".into(), question: c.question.clone(), sql: None })
            .collect(),
    }
}

/// Answers every asked question with its case's SQL (looked up by question text).
fn answer_from(cases: &[Case]) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let by_question: HashMap<String, String> = cases.iter().map(|c| (c.question.clone(), c.sql.clone())).collect();
    move |request: &Recorded| {
        Reply::answer_each(request, |asked: &Asked| {
            by_question.get(&asked.question).cloned().unwrap_or_else(|| "SELECT 'unknown question' AS q".into())
        })
    }
}

const GENRES: [&str; 20] = [
    "Rock",
    "Jazz",
    "Metal",
    "Blues",
    "Latin",
    "Reggae",
    "Pop",
    "Soundtrack",
    "Bossa Nova",
    "Easy Listening",
    "World",
    "Electronica/Dance",
    "Hip Hop/Rap",
    "Science Fiction",
    "Drama",
    "Comedy",
    "Alternative",
    "Opera",
    "Heavy Metal",
    "R&B/Soul",
];

/// Twenty questions about tracks per genre, with ids that exercise every allowed character.
fn genre_cases() -> Vec<Case> {
    GENRES
        .iter()
        .enumerate()
        .map(|(i, genre)| Case {
            id: format!("Genre_{i}.count-v1"),
            question: format!("How many tracks are there in the {genre} genre?"),
            sql: format!(
                "SELECT COUNT(*) AS tracks FROM Track JOIN Genre ON Genre.GenreId = Track.GenreId WHERE Genre.Name = '{genre}'"
            ),
        })
        .collect()
}

async fn run(pipeline: &Pipeline, job: &Job, out: &Path) -> Manifest {
    let outcome = pipeline.run_job(job, out, &ProgressBar::hidden()).await.expect("the job runs");
    outcome.manifest
}

#[tokio::test]
async fn twenty_questions_make_one_call_with_a_pruned_schema_and_ids_verbatim() {
    let cases = genre_cases();
    let fake = FakeLlm::start(answer_from(&cases)).await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false")));
    let manifest = run(&pipeline, &job("twenty", &cases), &dir.path().join("out")).await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "20 questions of one group make one call");
    let request = &requests[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.headers.get("authorization").map(String::as_str), Some(format!("Bearer {KEY}").as_str()));
    assert!(!request.body.contains(KEY), "the key travels only in the header");
    let asked: Vec<String> = request.questions().into_iter().map(|q| q.id).collect();
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    assert_eq!(asked, ids, "ids are sent verbatim, in job order");
    let body = request.json();
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["schema"]["required"][0], "answers");
    let context = request.message(1);
    assert!(context.contains(r#"TABLE "Track""#) && context.contains(r#"TABLE "Genre""#), "{context}");
    assert!(!context.contains(r#"TABLE "Employee""#), "unrelated tables are pruned: {context}");
    assert!(GENRES.iter().all(|g| context.contains(&format!("'{g}'"))), "the genres asked about are shown: {context}");

    assert_eq!(manifest.stats.ok, 20, "{:#?}", manifest.questions);
    assert_eq!(manifest.stats.llm_calls, 1);
    assert_eq!(manifest.stats.prompt_tokens, request.usage.0);
    assert_eq!(manifest.stats.completion_tokens, request.usage.1);
    for (record, case) in manifest.questions.iter().zip(&cases) {
        assert_eq!(record.id, case.id);
        assert_eq!(record.synthesizer.as_deref(), Some("llm"));
        assert_eq!(record.sql.as_deref(), Some(case.sql.as_str()));
        assert_eq!(record.rows, 1);
        assert!(dir.path().join("out/twenty").join(record.file.as_ref().unwrap()).is_file());
    }
    let columns: Vec<&str> = manifest.questions[0].columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, vec!["tracks"]);
}

#[tokio::test]
async fn calls_of_a_group_share_a_byte_identical_prefix_and_report_cached_tokens() {
    let cases: Vec<Case> = (1..=45)
        .map(|n| Case {
            id: format!("long{n}"),
            question: format!("How many tracks are longer than {n} minutes?"),
            sql: format!("SELECT COUNT(*) AS tracks FROM Track WHERE Milliseconds > {}", n * 60_000),
        })
        .collect();
    let fake = FakeLlm::start(answer_from(&cases)).await;
    let dir = tempfile::tempdir().unwrap();
    let synth = "fast_path = false\nmax_questions_per_call = 20\nmax_calls_in_flight = 1";
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, synth)));
    let manifest = run(&pipeline, &job("prefix", &cases), &dir.path().join("out")).await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "45 questions at 20 per call");
    let mut sizes: Vec<usize> = requests.iter().map(|r| r.questions().len()).collect();
    sizes.sort();
    assert_eq!(sizes, vec![5, 20, 20]);
    let context = requests[0].message(1);
    let context_json = serde_json::to_string(&context).unwrap();
    for pair in requests.windows(2) {
        let (a, b) = (pair[0].body.as_bytes(), pair[1].body.as_bytes());
        let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let prefix = String::from_utf8_lossy(&a[..common]);
        assert!(prefix.contains(&context_json), "the shared context is inside the common byte prefix");
        assert_eq!(pair[1].message(0), pair[0].message(0));
    }
    assert_eq!(manifest.stats.ok, 45);
    assert_eq!(manifest.stats.llm_calls, 3);
    let reported = |f: fn(&(u64, u64, u64)) -> u64| requests.iter().map(|r| f(&r.usage)).sum::<u64>();
    assert_eq!(manifest.stats.prompt_tokens, reported(|u| u.0));
    assert_eq!(manifest.stats.cached_tokens, reported(|u| u.2));
    assert!(manifest.stats.cached_tokens > 0, "the fake reports the repeated prefix as cached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_jobs_whose_tables_one_context_covers_send_that_same_context() {
    let wide = vec![
        case(
            "a1",
            "How many albums does each artist have?",
            "SELECT ArtistId, COUNT(*) AS albums FROM Album GROUP BY ArtistId",
        ),
        case(
            "a2",
            "How many tracks are on each album?",
            "SELECT AlbumId, COUNT(*) AS tracks FROM Track GROUP BY AlbumId",
        ),
    ];
    let narrow = vec![case("b1", "How many albums are there?", "SELECT COUNT(*) AS albums FROM Album")];
    let narrow_alone = vec![case("c1", "How many albums exist?", "SELECT COUNT(*) AS n FROM Album")];
    let all: Vec<Case> =
        wide.iter().chain(&narrow).chain(&narrow_alone).map(|c| case(&c.id, &c.question, &c.sql)).collect();
    let answer = answer_from(&all);
    // The wide job's call is answered only after the narrow job has asked, so
    // its context is in use while the narrow job plans: an order, not a race.
    let fake = FakeLlm::start(move |request: &Recorded| {
        let reply = answer(request);
        if request.questions().iter().any(|q| q.id == "a1") { Reply::AfterRequests(2, Box::new(reply)) } else { reply }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false")));
    let out = dir.path().join("out");
    let (wide_job, narrow_job) = (job("wide", &wide), job("narrow", &narrow));
    let wide_run = run(&pipeline, &wide_job, &out);
    let narrow_run = async {
        while fake.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        run(&pipeline, &narrow_job, &out).await
    };
    let (wide_manifest, narrow_manifest) = tokio::join!(wide_run, narrow_run);
    assert_eq!((wide_manifest.stats.ok, narrow_manifest.stats.ok), (2, 1));

    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one call per job: ids are only unique within a job");
    let context_of = |id: &str| {
        let request = requests.iter().find(|r| r.questions().iter().any(|q| q.id == id)).expect("asked");
        (request.message(0), request.message(1))
    };
    assert_eq!(context_of("b1"), context_of("a1"), "the narrow job sent the wide job's context, byte for byte");
    assert!(context_of("a1").1.contains("TABLE \"Track\""), "the shared context shows the wide job's tables");

    // Alone, a job on the same table gets its own, smaller context.
    let alone = run(&pipeline, &job("narrow-alone", &narrow_alone), &out).await;
    assert_eq!(alone.stats.llm_calls, 1);
    let requests = fake.requests();
    let own = requests.iter().find(|r| r.questions().iter().any(|q| q.id == "c1")).expect("asked");
    let own = own.message(1);
    assert!(own.contains("TABLE \"Album\"") && !own.contains("TABLE \"Track\""), "pruned to its own tables:\n{own}");
}

#[tokio::test]
async fn failed_sql_goes_back_with_its_error_and_is_repaired_in_one_batch() {
    let cases = vec![
        case("bad_column", "How many invoices are there?", "SELECT COUNT(*) AS invoices FROM Invoice"),
        case("writes", "How many artists are there?", "SELECT COUNT(*) AS artists FROM Artist"),
        case("fine", "How many albums are there?", "SELECT COUNT(*) AS albums FROM Album"),
    ];
    let good = answer_from(&cases);
    let fake = FakeLlm::start(move |request: &Recorded| {
        if request.index > 0 {
            return good(request);
        }
        Reply::answer_each(request, |asked| match asked.id.as_str() {
            "bad_column" => "SELECT COUNT(NoSuchColumn) AS invoices FROM Invoice".into(),
            "writes" => "DELETE FROM Artist".into(),
            _ => "SELECT COUNT(*) AS albums FROM Album".into(),
        })
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false")));
    let manifest = run(&pipeline, &job("repair", &cases), &dir.path().join("out")).await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one call, then one repair call for both failures");
    let repairs = requests[1].questions();
    assert_eq!(repairs.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(), vec!["bad_column", "writes"]);
    let bad = &repairs[0];
    assert_eq!(bad.previous_sql.as_deref(), Some("SELECT COUNT(NoSuchColumn) AS invoices FROM Invoice"));
    let error = bad.error.as_deref().unwrap();
    assert!(error.starts_with("execution:") && error.contains("NoSuchColumn"), "{error}");
    assert!(repairs[1].error.as_deref().unwrap().starts_with("guard:"), "{:?}", repairs[1]);
    assert_eq!(requests[1].message(1), requests[0].message(1), "repairs reuse the group's prefix");

    assert_eq!(manifest.stats.ok, 3, "{:#?}", manifest.questions);
    assert_eq!(manifest.stats.llm_calls, 2);
    let record = manifest.questions.iter().find(|r| r.id == "writes").unwrap();
    assert_eq!(record.sql.as_deref(), Some("SELECT COUNT(*) AS artists FROM Artist"));
    assert_eq!(record.synthesizer.as_deref(), Some("llm"));
    // The interpretation is read off the SQL that ran (the repair), and an LLM restates nothing.
    let interpretation = record.interpretation.as_ref().expect("an answered question is interpreted");
    assert_eq!(
        (interpretation.restatement.as_deref(), interpretation.tables.as_slice()),
        (None, &["Artist".to_string()][..])
    );
    let bad = manifest.questions.iter().find(|r| r.id == "bad_column").unwrap();
    assert_eq!(bad.interpretation.as_ref().map(|i| i.columns.clone()), Some(vec![]), "COUNT(*) names no column");
}

#[tokio::test]
async fn sql_that_stays_broken_fails_with_the_last_error_after_the_repair_budget() {
    let fake = FakeLlm::start(|request: &Recorded| {
        Reply::answer_each(request, |_| format!("SELECT Missing{} FROM Track", request.index))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline =
        Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false\nmax_repair_attempts = 2")));
    let cases = [case("broken", "Show track names", "")];
    let manifest = run(&pipeline, &job("broken", &cases), &dir.path().join("out")).await;
    assert_eq!(fake.requests().len(), 3, "the first answer and two repairs");
    let record = &manifest.questions[0];
    assert_eq!(record.status, Status::Failed);
    assert_eq!(record.sql.as_deref(), Some("SELECT Missing2 FROM Track"));
    assert!(record.error.as_deref().unwrap().contains("Missing2"), "{:?}", record.error);
    assert!(!dir.path().join("out/broken/broken.parquet").exists());
}

#[tokio::test]
async fn missing_extra_and_malformed_answers_fail_only_their_own_question() {
    let cases = vec![
        case("ok1", "How many albums are there?", "SELECT COUNT(*) AS albums FROM Album"),
        case("missing", "How many artists are there?", "SELECT COUNT(*) AS artists FROM Artist"),
        case("garbled", "How many genres are there?", "SELECT COUNT(*) AS genres FROM Genre"),
    ];
    let good = answer_from(&cases);
    let fake = FakeLlm::start(move |request: &Recorded| match request.index {
        0 => Reply::Content(
            r#"{"answers": [{"id": "ok1", "sql": "SELECT COUNT(*) AS albums FROM Album"},
                {"id": "not-asked", "sql": "SELECT 1"}, {"id": "garbled", "sql": 42}]}"#
                .into(),
        ),
        1 => Reply::Content("{\"answers\": [{\"id\": \"missing\", \"sql\": ".into()),
        _ => good(request),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline =
        Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false\nmax_repair_attempts = 2")));
    let manifest = run(&pipeline, &job("partial", &cases), &dir.path().join("out")).await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "the answered question is never asked again");
    for again in &requests[1..] {
        let ids: Vec<String> = again.questions().into_iter().map(|q| q.id).collect();
        assert_eq!(ids, vec!["missing", "garbled"]);
        assert!(again.questions().iter().all(|q| q.previous_sql.is_none()), "nothing to repair, only to ask");
    }
    assert_eq!(manifest.stats.ok, 3, "{:#?}", manifest.questions);

    // With no rounds left, the same replies fail exactly the two questions
    // (a fresh directory: the answer cache of the first run would answer them).
    let fake = FakeLlm::start(|_: &Recorded| {
        Reply::Content(r#"{"answers": [{"id": "ok1", "sql": "SELECT COUNT(*) AS albums FROM Album"}]}"#.into())
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline =
        Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false\nmax_repair_attempts = 0")));
    let manifest = run(&pipeline, &job("partial-final", &cases), &dir.path().join("out")).await;
    let status: Vec<Status> = manifest.questions.iter().map(|r| r.status).collect();
    assert_eq!(status, vec![Status::Ok, Status::Failed, Status::Failed]);
    assert!(manifest.questions[1].error.as_deref().unwrap().starts_with("synthesis:"));
}

#[tokio::test]
async fn rate_limits_server_errors_and_timeouts_are_retried() {
    let cases = vec![case("albums", "How many albums are there?", "SELECT COUNT(*) AS albums FROM Album")];
    let good = answer_from(&cases);
    let fake = FakeLlm::start(move |request: &Recorded| match request.index {
        0 => Reply::Status { code: 429, retry_after: Some("1".into()), body: r#"{"error": "slow down"}"#.into() },
        1 => Reply::Status { code: 503, retry_after: None, body: "overloaded".into() },
        2 => Reply::Hang(Duration::from_secs(5)),
        _ => good(request),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let synth = "fast_path = false\nmax_retries = 3\nrequest_timeout_ms = 400";
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, synth)));
    let manifest = run(&pipeline, &job("retries", &cases), &dir.path().join("out")).await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 4, "429, 503 and a timeout, then the answer");
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(950), "Retry-After: 1 was honoured (waited {waited:?})");
    assert!(requests.windows(2).all(|p| p[0].body == p[1].body), "a retry resends the same request");
    assert_eq!(manifest.stats.ok, 1, "{:#?}", manifest.questions);
    assert_eq!(manifest.stats.llm_calls, 1, "retries are one logical call");
}

#[tokio::test]
async fn an_endpoint_without_json_schema_output_is_asked_for_a_json_object() {
    let cases = vec![case("albums", "How many albums are there?", "SELECT COUNT(*) AS albums FROM Album")];
    let good = answer_from(&cases);
    let fake = FakeLlm::start(move |request: &Recorded| {
        if request.json()["response_format"]["type"] == "json_schema" {
            Reply::Status { code: 400, retry_after: None, body: "unsupported response_format type".into() }
        } else {
            good(request)
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false")));
    let manifest = run(&pipeline, &job("plain-json", &cases), &dir.path().join("out")).await;
    let formats: Vec<Value> = fake.requests().iter().map(|r| r.json()["response_format"]["type"].clone()).collect();
    assert_eq!(formats, vec![Value::from("json_schema"), Value::from("json_object")]);
    assert_eq!(manifest.stats.ok, 1, "{:#?}", manifest.questions);
}

#[tokio::test]
async fn a_dead_endpoint_fails_questions_fast_and_the_manifest_is_still_written() {
    let base_url = dead_endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let synth = "fast_path = false\nmax_retries = 1\nbreaker_failures = 2\nbreaker_cooldown_ms = 60000\n\
                 max_questions_per_call = 2\nmax_calls_in_flight = 1";
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &base_url, synth)));
    let mut job = job(
        "dead",
        &(0..8).map(|i| case(&format!("q{i}"), &format!("How many tracks have {i} bytes?"), "")).collect::<Vec<_>>(),
    );
    job.questions.push(Question {
        id: "pinned".into(),
        source: "chinook".into(),
        question: "How many playlists?".into(),
        sql: Some("SELECT COUNT(*) AS playlists FROM Playlist".into()),
    });
    let manifest = run(&pipeline, &job, &dir.path().join("out")).await;

    assert!(dir.path().join("out/dead/manifest.json").is_file());
    assert_eq!(manifest.stats.ok, 1, "the pinned question is unaffected");
    assert_eq!(manifest.stats.failed, 8);
    assert_eq!(manifest.stats.llm_calls, 0);
    let errors: Vec<&str> = manifest.questions.iter().filter_map(|r| r.error.as_deref()).collect();
    assert!(errors.iter().all(|e| e.starts_with("synthesis:")), "{errors:?}");
    let open = errors.iter().filter(|e| e.contains("circuit breaker is open")).count();
    assert!(open >= 6, "after the first call's failures the breaker fails the rest at once: {errors:?}");
    assert!(errors.iter().all(|e| !e.contains("127.0.0.1")), "no endpoint URL in errors: {errors:?}");
}

#[tokio::test]
async fn identical_questions_are_synthesized_once_and_offline_answers_skip_the_llm() {
    let cases = vec![
        case("a", "Which tracks would suit a wedding?", ""),
        case("b", "which tracks   would suit a wedding", ""),
        case("c", "Which TRACKS would suit a wedding?!", ""),
        case("offline", "How many customers are there in each country?", ""),
    ];
    let fake = FakeLlm::start(|request: &Recorded| {
        Reply::answer_each(request, |_| "SELECT COUNT(*) AS n FROM Track WHERE UnitPrice > 1".into())
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = true")));
    let manifest = run(&pipeline, &job("dedup", &cases), &dir.path().join("out")).await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let asked = requests[0].questions();
    assert_eq!(asked.len(), 1, "three phrasings of one question are asked once: {asked:?}");
    assert!(asked[0].question.contains("wedding"));
    let by_id = |id: &str| manifest.questions.iter().find(|r| r.id == id).unwrap();
    for id in ["a", "b", "c"] {
        assert_eq!(by_id(id).status, Status::Ok);
        assert_eq!(by_id(id).synthesizer.as_deref(), Some("llm"));
    }
    assert_eq!(by_id("offline").synthesizer.as_deref(), Some("offline"), "the fast path answered it");
    assert_eq!(manifest.stats.llm_calls, 1);
}

#[tokio::test]
async fn concurrent_jobs_asking_the_same_question_share_one_call() {
    let sql = "SELECT COUNT(*) AS n FROM Track WHERE UnitPrice > 1";
    let fake = FakeLlm::start(move |request: &Recorded| {
        // Long enough for the second job to reach synthesis while the first job's call is out.
        Reply::Delayed(Duration::from_secs(2), Box::new(Reply::answer_each(request, |_| sql.into())))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Arc::new(settings(dir.path(), &fake.base_url, "fast_path = false")));
    let cases = [case("q", "How many tracks cost more than a dollar?", sql)];
    let (one, two) = (job("one", &cases), job("two", &cases));
    let out = dir.path().join("out");
    let (a, b) = tokio::join!(run(&pipeline, &one, &out), run(&pipeline, &two, &out));
    assert_eq!(fake.requests().len(), 1, "single flight across jobs in flight together");
    assert_eq!((a.stats.ok, b.stats.ok), (1, 1));
    assert_eq!(a.stats.llm_calls + b.stats.llm_calls, 1, "the call is counted once, by the job that made it");
}

/// Runs the CLI in `dir` and returns (exit code, stdout + stderr).
fn sqlsynth(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sqlsynth"));
    command.current_dir(dir).args(args).env_remove("SQLSYNTH_CONFIG").env_remove(KEY_VAR);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("the binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_reaches_no_log_line_even_when_the_endpoint_echoes_it() {
    let cases = genre_cases();
    let good = answer_from(&cases[..3]);
    // A misbehaving endpoint that echoes the Authorization header in its error body.
    let fake = FakeLlm::start(move |request: &Recorded| match request.index {
        0 => Reply::Status {
            code: 500,
            retry_after: Some("0".into()),
            body: format!("internal error for {}", request.headers.get("authorization").cloned().unwrap_or_default()),
        },
        _ => good(request),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sqlsynth.toml"), config_text(dir.path(), &fake.base_url, "fast_path = false"))
        .unwrap();
    let job_path = dir.path().join("job.json");
    let job = job("secret", &cases[..3]);
    std::fs::write(
        &job_path,
        serde_json::to_vec(&serde_json::json!({
            "job_id": job.job_id,
            "questions": job.questions,
        }))
        .unwrap(),
    )
    .unwrap();
    let workdir: PathBuf = dir.path().to_path_buf();
    let (code, text) = tokio::task::spawn_blocking(move || {
        sqlsynth(
            &workdir,
            &["--log-format", "json", "run", "job.json", "--out", "out"],
            &[(KEY_VAR, KEY), ("SQLSYNTH_LOG", "trace"), ("RUST_LOG", "trace")],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("LLM call failed; retrying"), "trace logs were on: {text}");
    assert!(!text.contains(KEY), "the API key leaked into the output");
    assert!(!text.contains(&KEY[3..]), "part of the API key leaked into the output");
    assert_eq!(fake.requests().len(), 2);
    assert!(fake.requests().iter().all(|r| r.headers["authorization"] == format!("Bearer {KEY}")));
    let manifest = common::schema::manifest_at(&dir.path().join("out/secret/manifest.json"));
    assert_eq!(manifest["stats"]["llm_calls"], 1);
    assert_eq!(manifest["questions"][0]["synthesizer"], "llm");
}

#[test]
fn provider_openai_without_a_key_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sqlsynth.toml"), config_text(dir.path(), "http://127.0.0.1:9/v1", "")).unwrap();
    std::fs::write(
        dir.path().join("job.json"),
        r#"{"job_id": "nokey", "questions": [{"id": "q", "source": "chinook", "question": "How many albums?"}]}"#,
    )
    .unwrap();
    let (code, text) = sqlsynth(dir.path(), &["run", "job.json", "--out", "out"], &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(KEY_VAR) && text.contains("synth.api_key_env"), "{text}");
    assert!(!dir.path().join("out").exists());
}
