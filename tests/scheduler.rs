//! `sqlsynth scheduler` and warming against the real Redis (`REDIS_URL`,
//! default redis://127.0.0.1:6379) and RabbitMQ (`AMQP_URL`): two schedulers
//! publish a tick once, missed ticks are caught up within the grace period and
//! not beyond, the scheduler refuses to start without Redis, and a warmed
//! nightly job is answered entirely from the cache. Time is passed in
//! explicitly (`run_once(now)`), so nothing waits for a real tick. Every test
//! has its own key prefix and queue.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use lapin::options::{BasicGetOptions, QueueDeleteOptions};
use lapin::{Connection, ConnectionProperties};
use sqlsynth::config::Settings;
use sqlsynth::job::Job;
use sqlsynth::pipeline::Pipeline;
use sqlsynth::scheduler::{Scheduler, SchedulerError, Schedules, TickOutcome, warm};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

async fn redis() -> Option<redis::aio::MultiplexedConnection> {
    let client = redis::Client::open(redis_url()).unwrap();
    match tokio::time::timeout(Duration::from_secs(5), client.get_multiplexed_async_connection()).await {
        Ok(Ok(connection)) => Some(connection),
        Ok(Err(e)) => common::service_missing("Redis", e),
        Err(_) => common::service_missing("Redis", "connection timed out"),
    }
}

async fn broker() -> Option<Connection> {
    match Connection::connect(&amqp_url(), ConnectionProperties::default()).await {
        Ok(connection) => Some(connection),
        Err(e) => common::service_missing("RabbitMQ", e),
    }
}

/// One test's world: settings with a unique key prefix and jobs queue, a work directory.
struct World {
    dir: tempfile::TempDir,
    name: String,
}

impl World {
    fn new(test: &str) -> World {
        World {
            dir: tempfile::tempdir().unwrap(),
            name: format!("sqlsynth-test-{test}-{}-{:08x}", std::process::id(), fastrand::u32(..)),
        }
    }

    fn settings(&self, redis: Option<&str>, extra: &str) -> Settings {
        let redis_line = redis.map(|url| format!("redis_url = \"{url}\"\n")).unwrap_or_default();
        let text = format!(
            "[sources.chinook]\nurl = \"sqlite://{}\"\n[cache]\n{redis_line}dir = \"{}\"\nkey_prefix = \"{}\"\n\
             [queue]\nurl = \"{}\"\njobs_queue = \"{}\"\nresults_exchange = \"{}.results\"\n[output]\nroot = \"{}\"\n{extra}\n",
            repo().join("jobs/demo/chinook.sqlite").display(),
            self.dir.path().join("cache").display(),
            self.name,
            amqp_url(),
            self.name,
            self.name,
            self.dir.path().join("out").display(),
        );
        Settings::from_toml(&text, "test", None, &[]).unwrap()
    }

    /// A schedules file with one entry publishing the nightly job on `cron`.
    fn schedules(&self, settings: &Settings, cron: &str) -> Schedules {
        let text = format!(
            "[[schedule]]\nname = \"nightly\"\ncron = \"{cron}\"\ntimezone = \"Europe/Paris\"\njob = \"{}\"\n",
            repo().join("jobs/nightly.json").display()
        );
        Schedules::parse(&text, "test", settings).unwrap()
    }

    /// Job ids of the messages waiting on the jobs queue (consumed).
    async fn published(&self, connection: &Connection) -> Vec<String> {
        let channel = connection.create_channel().await.unwrap();
        let mut ids = Vec::new();
        while let Some(message) =
            channel.basic_get(self.name.as_str().into(), BasicGetOptions { no_ack: true }).await.unwrap()
        {
            common::schema::assert_valid("job.schema.json", &message.delivery.data, "a scheduled job");
            let job: Job = serde_json::from_slice(&message.delivery.data).unwrap();
            ids.push(job.job_id);
        }
        ids
    }

    async fn cleanup(&self, connection: &Connection, redis: &mut redis::aio::MultiplexedConnection) {
        let channel = connection.create_channel().await.unwrap();
        for queue in [self.name.clone(), format!("{}.dead", self.name), format!("{}.retry", self.name)] {
            let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
        }
        let _ = channel.exchange_delete(format!("{}.results", self.name).as_str().into(), Default::default()).await;
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.name)).query_async(redis).await.unwrap_or_default();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL").arg(keys).query_async(redis).await.unwrap();
        }
    }
}

#[tokio::test]
async fn two_schedulers_publish_a_tick_once() {
    let Some(mut redis) = redis().await else { return };
    let Some(connection) = broker().await else { return };
    let world = World::new("twice");
    let settings = Arc::new(world.settings(Some(&redis_url()), ""));
    // Every minute, at second 0.
    let schedules = world.schedules(&settings, "0 * * * * *");
    let first = Scheduler::new(settings.clone(), schedules.clone()).await.unwrap();
    let second = Scheduler::new(settings.clone(), schedules).await.unwrap();

    // The first pass ever only records where the schedule starts.
    assert!(first.run_once(at("2026-11-26T01:59:30Z")).await.is_empty());
    let now = at("2026-11-26T02:00:00.500Z");
    let (a, b) = tokio::join!(first.run_once(now), second.run_once(now));
    let outcomes: Vec<TickOutcome> = a.into_iter().chain(b).map(|r| r.outcome).collect();
    let published = outcomes.iter().filter(|o| matches!(o, TickOutcome::Published { .. })).count();
    assert_eq!(published, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            TickOutcome::Published { .. } | TickOutcome::HandledElsewhere | TickOutcome::InProgressElsewhere
        )),
        "{outcomes:?}"
    );
    // Later passes in the same minute find nothing to do, in either scheduler.
    let later = at("2026-11-26T02:00:20Z");
    assert!(first.run_once(later).await.iter().all(|r| !matches!(r.outcome, TickOutcome::Published { .. })));
    assert!(second.run_once(later).await.iter().all(|r| !matches!(r.outcome, TickOutcome::Published { .. })));

    assert_eq!(world.published(&connection).await, vec!["nightly-20261126T020000Z".to_string()]);
    world.cleanup(&connection, &mut redis).await;
}

#[tokio::test]
async fn a_missed_tick_is_caught_up_within_grace_and_not_beyond() {
    let Some(mut redis) = redis().await else { return };
    let Some(connection) = broker().await else { return };
    let world = World::new("missed");
    // Ten minutes of grace; hourly ticks.
    let settings = Arc::new(world.settings(Some(&redis_url()), "[scheduler]\ngrace_ms = 600000\n"));
    let schedules = world.schedules(&settings, "0 0 * * * *");
    let scheduler = Scheduler::new(settings.clone(), schedules.clone()).await.unwrap();
    assert!(scheduler.run_once(at("2026-11-26T00:30:00Z")).await.is_empty());

    // Down from 00:30 until 02:05: 01:00 is beyond the grace period, 02:00 within it.
    let back = Scheduler::new(settings.clone(), schedules.clone()).await.unwrap();
    let reports = back.run_once(at("2026-11-26T02:05:00Z")).await;
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].tick, at("2026-11-26T02:00:00Z"));
    assert_eq!(reports[0].outcome, TickOutcome::Published { job_id: "nightly-20261126T020000Z".into() });
    // Once only: the next pass has nothing to do.
    assert!(back.run_once(at("2026-11-26T02:06:00Z")).await.is_empty());

    // Down again from 02:06 until 03:30: the 03:00 tick is 30 minutes old, beyond grace.
    let late = Scheduler::new(settings.clone(), schedules).await.unwrap();
    assert!(late.run_once(at("2026-11-26T03:30:00Z")).await.is_empty());

    assert_eq!(world.published(&connection).await, vec!["nightly-20261126T020000Z".to_string()]);
    world.cleanup(&connection, &mut redis).await;
}

#[tokio::test]
async fn a_tick_another_scheduler_holds_or_failed_to_publish_is_not_lost() {
    let Some(mut redis) = redis().await else { return };
    let Some(connection) = broker().await else { return };
    let world = World::new("held");
    let settings = Arc::new(world.settings(Some(&redis_url()), ""));
    let schedules = world.schedules(&settings, "0 0 * * * *");
    let scheduler = Scheduler::new(settings.clone(), schedules.clone()).await.unwrap();
    assert!(scheduler.run_once(at("2026-11-26T00:30:00Z")).await.is_empty());
    let lock = format!("{}:v1:sched:nightly:20261126T010000Z", world.name);

    // Another scheduler is publishing the 01:00 tick right now: this one leaves it alone, and retries.
    let _: () = redis::cmd("SET").arg(&lock).arg("pending:other").query_async(&mut redis).await.unwrap();
    let reports = scheduler.run_once(at("2026-11-26T01:00:01Z")).await;
    assert_eq!(reports[0].outcome, TickOutcome::InProgressElsewhere);
    // It finished: the tick counts as handled, and is not published again.
    let _: () = redis::cmd("SET").arg(&lock).arg("done:other").query_async(&mut redis).await.unwrap();
    let reports = scheduler.run_once(at("2026-11-26T01:00:06Z")).await;
    assert_eq!(reports[0].outcome, TickOutcome::HandledElsewhere);
    assert!(scheduler.run_once(at("2026-11-26T01:00:11Z")).await.is_empty());

    // A scheduler whose broker is unreachable fails the 02:00 tick and releases its lock...
    let mut broken = (*settings).clone();
    broken.queue.url = sqlsynth::secret::SecretUrl::new("amqp://guest:guest@127.0.0.1:1/%2f");
    let unlucky = Scheduler::new(Arc::new(broken), schedules).await.unwrap();
    let reports = unlucky.run_once(at("2026-11-26T02:00:01Z")).await;
    assert!(matches!(reports[0].outcome, TickOutcome::Failed(_)), "{reports:?}");
    let held: Option<String> = redis::cmd("GET")
        .arg(format!("{}:v1:sched:nightly:20261126T020000Z", world.name))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(held, None);
    // ...so the next pass of any scheduler publishes it.
    let reports = scheduler.run_once(at("2026-11-26T02:00:06Z")).await;
    assert_eq!(reports[0].outcome, TickOutcome::Published { job_id: "nightly-20261126T020000Z".into() });

    assert_eq!(world.published(&connection).await, vec!["nightly-20261126T020000Z".to_string()]);
    world.cleanup(&connection, &mut redis).await;
}

#[tokio::test]
async fn the_scheduler_refuses_to_start_without_redis() {
    let world = World::new("noredis");
    let settings = world.settings(None, "");
    let schedules = world.schedules(&settings, "0 0 2 * * *");
    let err = Scheduler::new(Arc::new(settings), schedules.clone()).await.err().expect("no Redis configured");
    assert!(matches!(err, SchedulerError::NoRedis(_)));
    assert!(err.to_string().contains("cache.redis_url"), "{err}");
    // Configured but not answering (nothing listens on port 1).
    let settings = world.settings(Some("redis://127.0.0.1:1"), "");
    let err = Scheduler::new(Arc::new(settings), schedules).await.err().expect("Redis unreachable");
    assert!(matches!(err, SchedulerError::NoRedis(_)), "{err}");
}

#[tokio::test]
async fn a_warmed_nightly_job_is_answered_entirely_from_the_cache() {
    let Some(mut redis) = redis().await else { return };
    let Some(connection) = broker().await else { return };
    let world = World::new("warm");
    let settings = world.settings(Some(&redis_url()), "");
    let text = format!(
        "[[schedule]]\nname = \"nightly\"\ncron = \"0 0 2 * * *\"\njob = \"{}\"\n\
         [[schedule]]\nname = \"warm\"\ncron = \"0 30 1 * * *\"\nwarm = [\"chinook\"]\n",
        repo().join("jobs/nightly.json").display()
    );
    let schedules = Schedules::parse(&text, "test", &settings).unwrap();
    let jobs = schedules.publish_jobs(&settings).unwrap();
    let job = jobs[0].clone();
    let synthesized = job.questions.iter().filter(|q| q.sql.is_none()).count();

    // The warm action of the scheduler, at its tick.
    let scheduler = Scheduler::new(Arc::new(settings.clone()), schedules).await.unwrap();
    assert!(scheduler.run_once(at("2026-11-26T00:00:00Z")).await.is_empty());
    let reports = scheduler.run_once(at("2026-11-26T01:30:01Z")).await;
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].outcome, TickOutcome::Warmed { questions: synthesized, answered: synthesized });

    // The nightly run, on a worker with a cold memory and its own disk: every question from the cache.
    let mut worker_settings = settings.clone();
    worker_settings.cache.dir = world.dir.path().join("worker-cache");
    let pipeline = Pipeline::new(Arc::new(worker_settings));
    let outcome = pipeline.run_job(&job, &world.dir.path().join("nightly"), &ProgressBar::hidden()).await.unwrap();
    pipeline.close().await;
    assert!(outcome.manifest.all_ok());
    let from_cache = outcome.manifest.questions.iter().filter(|q| q.synthesizer.as_deref() == Some("cache")).count();
    let synthesizers: Vec<_> = outcome.manifest.questions.iter().map(|q| q.synthesizer.clone()).collect();
    assert_eq!(from_cache, synthesized, "{synthesizers:?}");

    // `sqlsynth warm` again finds everything cached already.
    let report = warm::warm(&settings, &["chinook".to_string()], &jobs).await.unwrap();
    assert_eq!((report.questions, report.from_cache), (synthesized, synthesized));
    world.cleanup(&connection, &mut redis).await;
}

#[tokio::test]
async fn a_scheduler_with_a_changed_delivery_limit_publishes_and_is_ready_only_while_it_can() {
    let Some(mut redis) = redis().await else { return };
    let Some(connection) = broker().await else { return };
    let world = World::new("drift");
    let old = world.settings(Some(&redis_url()), "");
    sqlsynth::source::amqp::Topology::new(&old.queue).unwrap().declare(&connection).await.unwrap();
    let mut changed = old.clone();
    changed.queue.max_deliveries = old.queue.max_deliveries + 4;
    let changed = Arc::new(changed);
    let schedules = world.schedules(&changed, "0 0 * * * *");
    let scheduler = Scheduler::new(changed.clone(), schedules.clone()).await.unwrap();
    assert!(!scheduler.readiness().get(), "not ready before it reached the broker");
    scheduler.check_broker().await.unwrap();
    assert!(scheduler.readiness().get());
    assert!(scheduler.run_once(at("2026-11-26T00:30:00Z")).await.is_empty());
    let reports = scheduler.run_once(at("2026-11-26T01:00:01Z")).await;
    assert_eq!(reports[0].outcome, TickOutcome::Published { job_id: "nightly-20261126T010000Z".into() });
    assert!(scheduler.readiness().get());
    assert_eq!(world.published(&connection).await, vec!["nightly-20261126T010000Z".to_string()]);

    // A broker it cannot reach: not ready, and the tick fails (to be retried) with the cause.
    let mut unreachable = (*changed).clone();
    unreachable.queue.url = sqlsynth::secret::SecretUrl::new("amqp://guest:guest@127.0.0.1:1/%2f");
    let cut_off = Scheduler::new(Arc::new(unreachable), schedules).await.unwrap();
    assert!(cut_off.check_broker().await.is_err());
    assert!(!cut_off.readiness().get());
    let reports = cut_off.run_once(at("2026-11-26T02:00:01Z")).await;
    assert!(
        matches!(&reports[0].outcome, TickOutcome::Failed(e) if e.contains("cannot reach the broker")),
        "{reports:?}"
    );
    assert!(!cut_off.readiness().get());
    world.cleanup(&connection, &mut redis).await;
}
