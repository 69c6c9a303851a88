//! The shared caches against the real Redis on 127.0.0.1:6379 (`REDIS_URL`
//! overrides it) and SQLite copies of the demo database: cross-worker
//! sharing, invalidation on a schema change, literal safety, corrupt and
//! foreign entries, a Redis that is down or stopped mid-run. Every test uses
//! its own key prefix and cache directories; the stop/start test takes Redis
//! exclusively (the others share it).

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use sqlsynth::cache::{Caches, Level};
use sqlsynth::config::Settings;
use sqlsynth::job::Job;
use sqlsynth::pipeline::Pipeline;
use sqlsynth::synth::SynthesizerKind;
use sqlsynth::synth::normalize::normalize_question;
use sqlsynth::synth::offline::OfflineSynthesizer;
use sqlx::Connection;

/// Tests share Redis (read); the stop/start test owns it (write).
static REDIS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());
/// The exact command that brings the local Redis back after the stop test.
const REDIS_START: &[&str] = &[
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
];

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A Redis connection, or None (skip outside CI, panic under CI=true).
async fn redis() -> Option<redis::aio::MultiplexedConnection> {
    match connect_redis().await {
        Ok(connection) => Some(connection),
        Err(e) => common::service_missing("Redis", e),
    }
}

async fn connect_redis() -> Result<redis::aio::MultiplexedConnection, String> {
    let client = redis::Client::open(redis_url()).unwrap();
    match tokio::time::timeout(Duration::from_secs(5), client.get_multiplexed_async_connection()).await {
        Ok(Ok(mut connection)) => {
            let pong: Result<String, _> = redis::cmd("PING").query_async(&mut connection).await;
            pong.map(|_| connection).map_err(|e| e.to_string())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("connection timed out".into()),
    }
}

/// One test's world: a copy of the demo database, a unique Redis key prefix, a work directory.
struct World {
    dir: tempfile::TempDir,
    db: PathBuf,
    prefix: String,
}

impl World {
    fn new(test: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("chinook.sqlite");
        std::fs::copy(repo().join("jobs/demo/chinook.sqlite"), &db).unwrap();
        World { dir, db, prefix: format!("sqlsynth-test-{test}-{}-{:08x}", std::process::id(), fastrand::u32(..)) }
    }

    /// Settings of one "worker": its own cache directory (`worker`), the shared Redis at `redis`.
    fn settings(&self, worker: &str, redis: Option<&str>, extra: &str) -> Settings {
        let redis_line = redis.map(|url| format!("redis_url = \"{url}\"\n")).unwrap_or_default();
        let text = format!(
            "[sources.chinook]\nurl = \"sqlite://{}\"\n[cache]\n{redis_line}dir = \"{}\"\nkey_prefix = \"{}\"\n{extra}\n[output]\nroot = \"{}\"\n",
            self.db.display(),
            self.dir.path().join(format!("cache-{worker}")).display(),
            self.prefix,
            self.dir.path().join(format!("out-{worker}")).display(),
        );
        Settings::from_toml(&text, "test", None, &[]).unwrap()
    }

    fn pipeline(&self, worker: &str, redis: Option<&str>, extra: &str) -> Pipeline {
        Pipeline::new(Arc::new(self.settings(worker, redis, extra)))
    }

    /// Runs DDL on the database copy (the pipelines open it read-only).
    async fn alter(&self, sql: &str) {
        let mut connection = sqlx::SqliteConnection::connect(&format!("sqlite://{}", self.db.display())).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
        connection.close().await.unwrap();
    }

    fn out(&self, worker: &str) -> PathBuf {
        self.dir.path().join(format!("out-{worker}"))
    }

    async fn cleanup(&self, connection: &mut redis::aio::MultiplexedConnection) {
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.prefix)).query_async(connection).await.unwrap_or_default();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL").arg(keys).query_async(connection).await.unwrap();
        }
    }
}

fn nightly() -> Job {
    let bytes = std::fs::read(repo().join("jobs/nightly.json")).unwrap();
    Job::parse(&bytes, |s| s == "chinook").unwrap()
}

fn synthesized(job: &Job) -> usize {
    job.questions.iter().filter(|q| q.sql.is_none()).count()
}

#[tokio::test]
async fn answers_one_worker_stored_are_found_by_another() {
    let _shared = REDIS.read().await;
    let Some(mut connection) = redis().await else { return };
    let world = World::new("share");
    let url = redis_url();
    let first = Caches::new(&world.settings("a", Some(&url), ""));
    let second = Caches::new(&world.settings("b", Some(&url), ""));
    let fingerprint = "ab".repeat(32);
    let sql = "SELECT BillingCountry, COUNT(*) FROM Invoice GROUP BY BillingCountry";
    let restatement = Some("count of invoices per billing country");
    first
        .answers
        .put("chinook", &fingerprint, "How many invoices per country?", sql, SynthesizerKind::Offline, restatement)
        .await;

    let found = second.answers.get("chinook", &fingerprint, "how many invoices per country").await.unwrap();
    assert_eq!(found.sql, sql);
    assert_eq!(found.synthesizer, SynthesizerKind::Offline);
    assert_eq!(found.restatement.as_deref(), restatement, "the restatement travels with the answer");
    // The second worker has nothing on its own disk: the hit came through Redis.
    assert!(!world.dir.path().join("cache-b/answers").exists());
    assert!(second.answers.get("chinook", &"cd".repeat(32), "How many invoices per country?").await.is_none());
    assert!(second.answers.get("other", &fingerprint, "How many invoices per country?").await.is_none());
    // Pinned and cached answers are never stored.
    first.answers.put("chinook", &fingerprint, "pinned one", "SELECT 1", SynthesizerKind::Pinned, None).await;
    assert!(second.answers.get("chinook", &fingerprint, "pinned one").await.is_none());
    world.cleanup(&mut connection).await;
}

#[tokio::test]
async fn a_second_worker_answers_from_what_the_first_synthesized() {
    let _shared = REDIS.read().await;
    let Some(mut connection) = redis().await else { return };
    let world = World::new("pipelines");
    let url = redis_url();
    let job = nightly();
    let first = world.pipeline("a", Some(&url), "");
    let outcome = first.run_job(&job, &world.out("a"), &ProgressBar::hidden()).await.unwrap();
    assert!(outcome.manifest.all_ok(), "{:?}", outcome.manifest.questions);
    first.close().await;

    let second = world.pipeline("b", Some(&url), "");
    // The schema comes from Redis: the second worker's disk level is empty before it runs.
    let pool = second.executor().pool("chinook").await.unwrap();
    assert!(second.caches().schemas.read_level("chinook", Level::Disk, pool).await.is_none());
    assert!(second.caches().schemas.read_level("chinook", Level::Redis, pool).await.is_some());
    let outcome = second.run_job(&job, &world.out("b"), &ProgressBar::hidden()).await.unwrap();
    second.close().await;
    assert!(outcome.manifest.all_ok());
    let from_cache = outcome.manifest.questions.iter().filter(|q| q.synthesizer.as_deref() == Some("cache")).count();
    let synthesizers: Vec<_> = outcome.manifest.questions.iter().map(|q| q.synthesizer.clone()).collect();
    assert_eq!(from_cache, synthesized(&job), "{synthesizers:?}");
    assert_eq!(outcome.manifest.stats.cache_hits as usize, from_cache);
    world.cleanup(&mut connection).await;
}

#[tokio::test]
async fn a_changed_schema_is_detected_and_its_answers_dropped() {
    let _shared = REDIS.read().await;
    let Some(mut connection) = redis().await else { return };
    let world = World::new("change");
    let url = redis_url();
    // `a` caches the schema and an answer under its fingerprint.
    let a = world.pipeline("a", Some(&url), "");
    let old = a.schema("chinook").await.unwrap();
    let question = "How many customers are there in each country?";
    a.caches().answers.put("chinook", &old.fingerprint, question, "SELECT 1", SynthesizerKind::Offline, None).await;
    a.close().await;

    world.alter("ALTER TABLE Customer ADD COLUMN LoyaltyTier TEXT").await;
    // Within the TTL, another worker trusts the shared entry: the old schema, without the column.
    let b = world.pipeline("b", Some(&url), "");
    let cached = b.schema("chinook").await.unwrap();
    assert_eq!(cached.fingerprint, old.fingerprint);
    b.close().await;

    // A worker whose entry is due for re-validation (TTL 0) sees the change.
    let c = world.pipeline("c", Some(&url), "schema_ttl_ms = 0");
    let new = c.schema("chinook").await.unwrap();
    assert_ne!(new.fingerprint, old.fingerprint);
    assert!(new.table("Customer").unwrap().column("LoyaltyTier").is_some());
    let pool = c.executor().pool("chinook").await.unwrap();
    let shared = c.caches().schemas.read_level("chinook", Level::Redis, pool).await.unwrap();
    assert_eq!(shared.fingerprint, new.fingerprint, "the new schema replaced the shared entry");
    c.close().await;
    // The answer derived from the old schema is gone from Redis (a fresh worker with no disk entry misses it).
    let fresh = Caches::new(&world.settings("d", Some(&url), ""));
    assert!(fresh.answers.get("chinook", &old.fingerprint, question).await.is_none());

    // A dropped table is detected too, and the schema without it is what workers get.
    world.alter("DROP TABLE PlaylistTrack").await;
    let e = world.pipeline("e", Some(&url), "schema_ttl_ms = 0");
    let dropped = e.schema("chinook").await.unwrap();
    assert!(dropped.table("PlaylistTrack").is_none());
    assert_ne!(dropped.fingerprint, new.fingerprint);
    e.close().await;
    world.cleanup(&mut connection).await;
}

/// Re-validation compares the structure-only fingerprint with the cached
/// schema's: on every engine, an unchanged database must give the same one.
#[tokio::test]
async fn the_structure_only_fingerprint_matches_a_full_introspection_on_every_engine() {
    use common::chinook::{chinook_mysql, chinook_postgres, chinook_sqlite_url};
    use sqlsynth::config::SourceSettings;
    use sqlsynth::db::SourcePool;
    use sqlsynth::dialect::Dialect;
    use sqlsynth::plan::introspect::{fingerprint, introspect};
    let mut urls = vec![chinook_sqlite_url()];
    urls.extend(chinook_postgres().await);
    urls.extend(chinook_mysql().await);
    for url in urls {
        let settings = SourceSettings {
            acquire_timeout_ms: 30_000,
            name: "chinook".into(),
            dialect: Dialect::from_url(&url).unwrap(),
            url: sqlsynth::secret::SecretUrl::new(url.clone()),
            max_connections: 2,
            glossary: Default::default(),
            examples: Vec::new(),
            value_index_limit: sqlsynth::plan::values::DEFAULT_VALUE_INDEX_LIMIT,
        };
        let pool = SourcePool::connect(&settings).await.unwrap();
        let full = introspect("chinook", &pool).await.unwrap();
        assert!(full.tables.len() >= 11, "{}", settings.dialect);
        assert_eq!(fingerprint("chinook", &pool).await.unwrap(), full.fingerprint, "{}", settings.dialect);
        pool.close().await;
    }
}

#[tokio::test]
async fn answers_never_cross_a_literal_difference() {
    let _shared = REDIS.read().await;
    let Some(mut connection) = redis().await else { return };
    let world = World::new("literals");
    let caches = Caches::new(&world.settings("a", Some(&redis_url()), ""));
    let other = Caches::new(&world.settings("b", Some(&redis_url()), ""));
    let fingerprint = "ef".repeat(32);
    let pairs = [
        ("Customers in France", "Customers in Germany"),
        ("Top 5 artists by number of tracks", "Top 10 artists by number of tracks"),
        ("How many invoices were issued in 2023?", "How many invoices were issued in 2024?"),
        ("Invoices on 2023-01-05", "Invoices on 2023-05-01"),
        ("Average invoice total by billing country", "Average invoice total by billing city"),
        ("Customers named 'Smith'", "Customers named 'Smyth'"),
    ];
    for (stored, asked) in pairs {
        caches
            .answers
            .put("chinook", &fingerprint, stored, &format!("SELECT '{stored}'"), SynthesizerKind::Llm, None)
            .await;
        assert!(other.answers.get("chinook", &fingerprint, asked).await.is_none(), "{asked:?} hit {stored:?}");
        assert!(caches.answers.get("chinook", &fingerprint, asked).await.is_none(), "{asked:?} hit {stored:?}");
        // ...while a harmless variant of the stored question does hit.
        let variant = format!("  {}?", stored.to_uppercase().replace("'SMITH'", "'Smith'"));
        assert!(other.answers.get("chinook", &fingerprint, &variant).await.is_some(), "{variant:?}");
    }
    world.cleanup(&mut connection).await;
}

#[tokio::test]
async fn golden_pairs_from_the_config_seed_the_answer_cache() {
    let world = World::new("golden");
    let golden = "[[sources.chinook.examples]]\nquestion = \"Which track sold best?\"\n\
                  sql = \"SELECT TrackId, SUM(Quantity) AS sold FROM InvoiceLine GROUP BY TrackId ORDER BY sold DESC LIMIT 1\"\n";
    let pipeline = world.pipeline("a", None, golden);
    let schema = pipeline.schema("chinook").await.unwrap();
    let answers = &pipeline.caches().answers;
    let found = answers.get("chinook", &schema.fingerprint, "which track sold best").await.unwrap();
    assert_eq!(found.synthesizer, SynthesizerKind::Pinned);
    assert!(found.sql.starts_with("SELECT TrackId"));
    assert!(answers.get("chinook", &schema.fingerprint, "Which album sold best?").await.is_none());
    pipeline.close().await;
    // Configuration, not shared state: nothing went to disk.
    assert!(!world.dir.path().join("cache-a/answers").exists());
}

/// The folds of `normalize_question` are harmless for the offline synthesizer:
/// two questions with one key get the same SQL (or both abstain).
#[tokio::test]
async fn questions_sharing_a_key_get_the_same_offline_sql() {
    let world = World::new("fold");
    let pipeline = world.pipeline("a", None, "");
    let schema = pipeline.schema("chinook").await.unwrap();
    let synthesizer = OfflineSynthesizer::new(&schema, &Default::default(), 0.6);
    let pairs = [
        ("Number of tracks per media type", "How many tracks per media type?"),
        ("List all customers from Brazil", "Customers from Brazil"),
        ("What are the 10 longest tracks?", "Show me the 10 longest tracks"),
        ("What is the total revenue per year?", "total revenue per year"),
        ("How many customers are there in each country?", "how many customer are there in each countries"),
        ("Top 3 artists by number of tracks", "Top 3 artist by the number of tracks"),
        ("How many invoices were issued in 2023?", "Please, how many invoices were issued in 2023"),
        ("What is the average unit price of tracks in the Jazz genre?", "average unit price of tracks in Jazz genre"),
    ];
    for (a, b) in pairs {
        assert_eq!(normalize_question(a), normalize_question(b), "{a:?} / {b:?}");
        let (sql_a, sql_b) = (synthesizer.synthesize(a), synthesizer.synthesize(b));
        assert_eq!(sql_a.as_ref().map(|s| &s.sql).ok(), sql_b.as_ref().map(|s| &s.sql).ok(), "{a:?} / {b:?}");
        assert!(sql_a.is_ok(), "{a:?} should be answerable");
    }
    pipeline.close().await;
}

#[tokio::test]
async fn corrupt_or_foreign_redis_entries_are_ignored() {
    let _shared = REDIS.read().await;
    let Some(mut connection) = redis().await else { return };
    let world = World::new("corrupt");
    let url = redis_url();
    let writer = Caches::new(&world.settings("a", Some(&url), ""));
    let fingerprint = "12".repeat(32);
    let sql = "SELECT COUNT(*) FROM Customer";
    writer.answers.put("chinook", &fingerprint, "How many customers?", sql, SynthesizerKind::Offline, None).await;
    writer
        .answers
        .put("chinook", &fingerprint, "How many albums?", "SELECT COUNT(*) FROM Album", SynthesizerKind::Offline, None)
        .await;
    let key_of = |question: &str| {
        let hash = sqlsynth::cache::entry::digest(&normalize_question(question));
        format!("{}:v1:answer:chinook:{fingerprint}:{hash}", world.prefix)
    };
    let customers = key_of("How many customers?");
    let albums = key_of("How many albums?");
    let good: Vec<u8> = redis::cmd("GET").arg(&customers).query_async(&mut connection).await.unwrap();
    let album_entry: Vec<u8> = redis::cmd("GET").arg(&albums).query_async(&mut connection).await.unwrap();
    let tampered = String::from_utf8(good.clone()).unwrap().replace("FROM Customer", "FROM Employee");
    let foreign_synthesizer = {
        let value: serde_json::Value = serde_json::from_slice(&good).unwrap();
        let body = value["body"].as_str().unwrap().replace("\"offline\"", "\"pinned\"");
        let digest = sqlsynth::cache::entry::digest(&body);
        let mut value = value.clone();
        value["body"] = body.into();
        value["sha256"] = digest.into();
        serde_json::to_vec(&value).unwrap()
    };
    let bad_entries: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"DROP TABLE Customer".to_vec()),
        ("another format", br#"{"sql":"DELETE FROM Customer","synthesizer":"offline"}"#.to_vec()),
        ("checksum mismatch", tampered.into_bytes()),
        ("another key's entry", album_entry),
        ("a synthesizer that is never cached", foreign_synthesizer),
        ("truncated", good[..good.len() / 2].to_vec()),
    ];
    for (what, bytes) in bad_entries {
        let _: () = redis::cmd("SET").arg(&customers).arg(bytes).query_async(&mut connection).await.unwrap();
        // A reader with its own (empty) memory and disk sees only the bad Redis entry.
        let reader = Caches::new(&world.settings(&format!("r{}", fastrand::u32(..)), Some(&url), ""));
        assert_eq!(reader.answers.get("chinook", &fingerprint, "How many customers?").await, None, "{what}");
    }

    // A corrupt schema entry is ignored too: the worker introspects, and overwrites it.
    let pipeline = world.pipeline("s", Some(&url), "");
    let schema_key = format!("{}:v1:schema:chinook", world.prefix);
    let _: () =
        redis::cmd("SET").arg(&schema_key).arg("{\"format\":\"x\"}").query_async(&mut connection).await.unwrap();
    let schema = pipeline.schema("chinook").await.unwrap();
    assert!(schema.table("Customer").is_some());
    let pool = pipeline.executor().pool("chinook").await.unwrap();
    assert!(pipeline.caches().schemas.read_level("chinook", Level::Redis, pool).await.is_some());
    pipeline.close().await;
    world.cleanup(&mut connection).await;
}

#[tokio::test]
async fn jobs_complete_on_memory_and_disk_when_redis_is_unreachable() {
    let world = World::new("down");
    // Nothing listens on port 1.
    let dead = "redis://127.0.0.1:1";
    let job = nightly();
    let first = world.pipeline("a", Some(dead), "");
    let outcome = first.run_job(&job, &world.out("a"), &ProgressBar::hidden()).await.unwrap();
    assert!(outcome.manifest.all_ok(), "{:?}", outcome.manifest.questions);
    assert!(!first.caches().redis().unwrap().is_up());
    first.close().await;
    // A restarted worker on the same machine finds schema and answers on disk.
    let second = world.pipeline("a", Some(dead), "");
    let pool = second.executor().pool("chinook").await.unwrap();
    assert!(second.caches().schemas.read_level("chinook", Level::Disk, pool).await.is_some());
    let outcome = second.run_job(&job, &world.out("again"), &ProgressBar::hidden()).await.unwrap();
    second.close().await;
    assert!(outcome.manifest.all_ok());
    let from_cache = outcome.manifest.questions.iter().filter(|q| q.synthesizer.as_deref() == Some("cache")).count();
    let synthesizers: Vec<_> = outcome.manifest.questions.iter().map(|q| q.synthesizer.clone()).collect();
    assert_eq!(from_cache, synthesized(&job), "{synthesizers:?}");
}

/// Redis stopped in the middle of a run: the job completes; when Redis is
/// back, the same cache uses it again.
#[tokio::test]
async fn redis_stopped_mid_run_then_back() {
    let _exclusive = REDIS.write().await;
    let Some(mut connection) = redis().await else { return };
    if redis_url() != "redis://127.0.0.1:6379" {
        eprintln!("SKIPPED: REDIS_URL points elsewhere; this test stops and starts the local Redis only");
        return;
    }
    let world = World::new("stop");
    let url = redis_url();
    let pipeline = world.pipeline("a", Some(&url), "");
    let fingerprint = pipeline.schema("chinook").await.unwrap().fingerprint.clone();
    assert!(pipeline.caches().redis().unwrap().is_up());

    let job = nightly();
    let stop = async {
        let _: Result<(), _> = redis::cmd("SHUTDOWN").arg("NOSAVE").query_async(&mut connection).await;
        Instant::now()
    };
    // The job starts; Redis goes away while it runs.
    let (out, progress) = (world.out("a"), ProgressBar::hidden());
    let (outcome, stopped) = tokio::join!(pipeline.run_job(&job, &out, &progress), stop);
    let caches = pipeline.caches();
    caches
        .answers
        .put("chinook", &fingerprint, "Customers in Norway", "SELECT 1", SynthesizerKind::Offline, None)
        .await;
    let during = caches.answers.get("chinook", &fingerprint, "customers in norway").await;
    let was_down = !caches.redis().unwrap().is_up();

    let status = std::process::Command::new("redis-server").args(REDIS_START).status().expect("redis-server runs");
    assert!(status.success());
    let mut back = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if connect_redis().await.is_ok() {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "Redis did not come back");
    eprintln!("Redis was down for {} ms", stopped.elapsed().as_millis());

    let outcome = outcome.unwrap();
    assert!(outcome.manifest.all_ok(), "{:?}", outcome.manifest.questions);
    assert!(was_down);
    assert!(during.is_some(), "memory and disk keep working while Redis is down");
    // The breaker probes again within seconds; a store then reaches Redis.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !caches.redis().unwrap().is_up() && Instant::now() < deadline {
        caches
            .answers
            .put("chinook", &fingerprint, "Customers in Chile", "SELECT 2", SynthesizerKind::Offline, None)
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(caches.redis().unwrap().is_up());
    let reader = Caches::new(&world.settings("b", Some(&url), ""));
    assert!(reader.answers.get("chinook", &fingerprint, "customers in chile").await.is_some());
    pipeline.close().await;
    let mut connection = redis().await.unwrap();
    world.cleanup(&mut connection).await;
}
