//! `sqlsynth scheduler`: turns `jobs/schedules.toml` ([`schedules`]) into jobs
//! on the queue and keeps the caches warm ([`warm`]).
//!
//! Every tick is handled once, however many schedulers run:
//! - the job id is `<schedule name>-<tick in UTC, YYYYMMDDTHHMMSSZ>`, the same
//!   in every scheduler (and the worker runs a job id once anyway);
//! - before acting, a scheduler takes the tick's lock in Redis,
//!   `SET <prefix>:v1:sched:<name>:<tick> pending:<owner> NX PX 600000`; the
//!   one that gets it publishes (confirmed) or warms, then marks the lock
//!   `done` for `scheduler.lock_ttl_ms`; the others see `pending` (retry
//!   shortly) or `done` (nothing to do). A failed publish releases the lock so
//!   the tick is retried; a scheduler that dies holding it frees it after 10 minutes.
//! - the last handled moment per schedule is kept in Redis
//!   (`<prefix>:v1:sched:<name>:last`). A scheduler that starts (or a schedule
//!   seen for the first time) with no record starts from now: nothing is
//!   published for ticks before it existed. Otherwise every tick after the
//!   record is due: the latest one within `scheduler.grace_ms` of now is
//!   handled once (older missed ticks of the same schedule are coalesced into
//!   it, with a warning), ticks missed beyond the grace period are only logged.
//!
//! The scheduler needs Redis: without `cache.redis_url`, or when Redis does
//! not answer at start, it refuses to start ([`SchedulerError::NoRedis`]).
//! A Redis or broker failure later only delays ticks: they are retried on the
//! next pass while within the grace period.
//!
//! Readiness ([`Scheduler::readiness`], what `/readyz` reports) means the
//! scheduler can publish: it holds a broker connection with the topology
//! declared and its last publish (if any) was confirmed. Each pass re-checks
//! it, reconnecting when needed; a failed publish clears it until a pass
//! reconnects.

pub mod schedules;
pub mod warm;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tokio::sync::{Mutex, watch};
use tracing::{info, warn};

use crate::cache::{RedisUnavailable, SharedRedis};
use crate::config::Settings;
use crate::source::amqp::{self, Topology};
use crate::worker::health::Readiness;
pub use schedules::{Action, Schedule, Schedules};

/// How long a tick's lock stays `pending` if its holder never finishes.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// Longest sleep between two passes (schedules are re-read from Redis at each pass).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Sleep before retrying a tick that failed or that another scheduler is handling.
const RETRY_SLEEP: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("the scheduler needs Redis for its per-tick locks: {0}")]
    NoRedis(String),
    #[error(transparent)]
    Topology(#[from] amqp::TopologyError),
}

/// What happened to one due tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOutcome {
    /// This scheduler published the job.
    Published { job_id: String },
    /// This scheduler warmed the caches.
    Warmed { questions: usize, answered: usize },
    /// Another scheduler already handled this tick.
    HandledElsewhere,
    /// Another scheduler holds the tick's lock right now; retried on the next pass.
    InProgressElsewhere,
    /// Publishing or warming failed; the lock was released and the tick is retried while within grace.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub schedule: String,
    pub tick: DateTime<Utc>,
    pub outcome: TickOutcome,
}

struct Publisher {
    connection: lapin::Connection,
    channel: lapin::Channel,
}

pub struct Scheduler {
    settings: Arc<Settings>,
    schedules: Schedules,
    redis: SharedRedis,
    topology: Topology,
    owner: String,
    publisher: Mutex<Option<Publisher>>,
    ready: Readiness,
}

impl Scheduler {
    /// Checks that Redis answers (the scheduler refuses to run without it) and the queue settings.
    pub async fn new(settings: Arc<Settings>, schedules: Schedules) -> Result<Scheduler, SchedulerError> {
        let url = settings.cache.redis_url.clone().ok_or_else(|| {
            SchedulerError::NoRedis(
                "cache.redis_url is not set; several schedulers must agree on who publishes a tick".into(),
            )
        })?;
        let redis = SharedRedis::new(url.clone(), Duration::from_millis(settings.cache.redis_timeout_ms.max(1000)));
        redis.ping().await.map_err(|e| SchedulerError::NoRedis(format!("{url}: {e}")))?;
        let topology = Topology::new(&settings.queue)?;
        let owner = format!("pid{}-{:08x}", std::process::id(), fastrand::u32(..));
        let ready = Readiness::default();
        Ok(Scheduler { settings, schedules, redis, topology, owner, publisher: Mutex::new(None), ready })
    }

    /// True while the scheduler can publish (see the module doc).
    pub fn readiness(&self) -> Readiness {
        self.ready.clone()
    }

    /// Makes sure a publishing connection is up (connecting if needed) and
    /// sets readiness accordingly.
    pub async fn check_broker(&self) -> Result<(), String> {
        let mut publisher = self.publisher.lock().await;
        self.ensure_publisher(&mut publisher).await
    }

    async fn ensure_publisher(&self, publisher: &mut Option<Publisher>) -> Result<(), String> {
        if publisher.as_ref().is_some_and(|p| p.connection.status().connected() && p.channel.status().connected()) {
            self.ready.set(true);
            return Ok(());
        }
        *publisher = None;
        match self.connect().await {
            Ok(connected) => {
                *publisher = Some(connected);
                self.ready.set(true);
                Ok(())
            }
            Err(e) => {
                self.ready.set(false);
                let error = crate::secret::redact(&e.to_string());
                warn!(error = %error, "cannot reach the broker; not ready");
                Err(format!("cannot reach the broker: {error}"))
            }
        }
    }

    /// Runs passes until `shutdown` turns true (or its sender is dropped).
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        info!(schedules = self.schedules.entries.len(), origin = %self.schedules.origin, "scheduler started");
        while !*shutdown.borrow() {
            let broker = self.check_broker().await;
            let reports = self.run_once(Utc::now()).await;
            let retry = broker.is_err()
                || reports
                    .iter()
                    .any(|r| matches!(r.outcome, TickOutcome::Failed(_) | TickOutcome::InProgressElsewhere));
            let sleep = if retry { RETRY_SLEEP } else { self.until_next_tick(Utc::now()) };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = shutdown.changed() => {}
            }
        }
        self.ready.set(false);
        if let Some(publisher) = self.publisher.lock().await.take() {
            let _ = publisher.connection.close(200, "scheduler stopping".into()).await;
        }
        info!("scheduler stopped");
    }

    /// One pass at `now`: handles each schedule's due tick, if any.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Vec<TickReport> {
        let mut reports = Vec::new();
        for schedule in &self.schedules.entries {
            match self.pass(schedule, now).await {
                Ok(Some(report)) => {
                    info!(schedule = %report.schedule, tick = %report.tick, outcome = ?report.outcome, "tick handled");
                    reports.push(report);
                }
                Ok(None) => {}
                Err(e) => {
                    warn!(schedule = %schedule.name, error = %e, "cannot check the schedule; retrying");
                    reports.push(TickReport {
                        schedule: schedule.name.clone(),
                        tick: now,
                        outcome: TickOutcome::Failed(e.to_string()),
                    });
                }
            }
        }
        reports
    }

    async fn pass(&self, schedule: &Schedule, now: DateTime<Utc>) -> Result<Option<TickReport>, RedisUnavailable> {
        let last_key = self.key(&schedule.name, "last");
        let last: Option<i64> = self.redis.cmd(redis::cmd("GET").arg(&last_key)).await?;
        let Some(last) = last.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) else {
            // First sight of this schedule: start from now.
            let _: Option<String> =
                self.redis.cmd(redis::cmd("SET").arg(&last_key).arg(now.timestamp_millis()).arg("NX")).await?;
            return Ok(None);
        };
        let floor = now - TimeDelta::milliseconds(self.settings.scheduler.grace_ms as i64);
        if last < floor
            && let Some((beyond, count)) = schedule.latest_tick(last, floor)
        {
            warn!(schedule = %schedule.name, missed = count, latest = %beyond,
                  "ticks missed beyond scheduler.grace_ms; not published");
        }
        let Some((tick, count)) = schedule.latest_tick(last.max(floor), now) else {
            self.advance(&last_key, now).await?;
            return Ok(None);
        };
        if count > 1 {
            warn!(schedule = %schedule.name, coalesced = count - 1, %tick, "older missed ticks coalesced into the latest one");
        }
        let outcome = self.handle_tick(schedule, tick).await;
        if matches!(outcome, TickOutcome::Published { .. } | TickOutcome::Warmed { .. } | TickOutcome::HandledElsewhere)
        {
            self.advance(&last_key, now).await?;
        }
        Ok(Some(TickReport { schedule: schedule.name.clone(), tick, outcome }))
    }

    /// Takes the tick's lock, acts, marks it done (or releases it on failure).
    async fn handle_tick(&self, schedule: &Schedule, tick: DateTime<Utc>) -> TickOutcome {
        let lock_key = self.key(&schedule.name, &schedule.job_id(tick)[schedule.name.len() + 1..]);
        let pending = format!("pending:{}", self.owner);
        let mut take = redis::cmd("SET");
        take.arg(&lock_key).arg(&pending).arg("NX").arg("PX").arg(PENDING_TTL.as_millis() as u64);
        match self.redis.cmd::<Option<String>>(&take).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let holder: Result<Option<String>, _> = self.redis.cmd(redis::cmd("GET").arg(&lock_key)).await;
                return match holder {
                    Ok(Some(value)) if value.starts_with("done") => TickOutcome::HandledElsewhere,
                    Ok(_) => TickOutcome::InProgressElsewhere,
                    Err(e) => TickOutcome::Failed(e.to_string()),
                };
            }
            Err(e) => return TickOutcome::Failed(e.to_string()),
        }
        let outcome = match &schedule.action {
            Action::Publish { job } => self.publish(schedule, tick, job).await,
            Action::Warm { sources } => self.warm(sources).await,
        };
        if matches!(outcome, TickOutcome::Failed(_)) {
            // Release only our own lock.
            let release =
                "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
            let _: Result<i64, _> =
                self.redis.cmd(redis::cmd("EVAL").arg(release).arg(1).arg(&lock_key).arg(&pending)).await;
        } else {
            let done = format!("done:{}", self.owner);
            let mut mark = redis::cmd("SET");
            mark.arg(&lock_key).arg(done).arg("PX").arg(self.settings.scheduler.lock_ttl_ms);
            if let Err(e) = self.redis.cmd::<()>(&mark).await {
                warn!(schedule = %schedule.name, %tick, error = %e,
                      "tick handled but not marked done; another scheduler may repeat it (the job id makes that harmless)");
            }
        }
        outcome
    }

    async fn publish(&self, schedule: &Schedule, tick: DateTime<Utc>, path: &std::path::Path) -> TickOutcome {
        let mut job = match schedules::load_job(path, &self.settings) {
            Ok(job) => job,
            Err(message) => return TickOutcome::Failed(message),
        };
        job.job_id = schedule.job_id(tick);
        let body = serde_json::to_vec(&job).expect("jobs serialize");
        let mut publisher = self.publisher.lock().await;
        if let Err(e) = self.ensure_publisher(&mut publisher).await {
            return TickOutcome::Failed(e);
        }
        let channel = &publisher.as_ref().expect("connected above").channel;
        let properties = amqp::persistent_json(&job.job_id);
        match amqp::publish_confirmed(channel, "", &self.topology.jobs_queue, &body, properties).await {
            Ok(()) => TickOutcome::Published { job_id: job.job_id },
            Err(e) => {
                // A broken channel is replaced on the next attempt; until then, not ready.
                *publisher = None;
                self.ready.set(false);
                TickOutcome::Failed(format!("job {} was not published: {e}", job.job_id))
            }
        }
    }

    async fn connect(&self) -> lapin::Result<Publisher> {
        let connection = amqp::connect(&self.settings.queue, "scheduler").await?;
        self.topology.declare(&connection).await?;
        let channel = amqp::confirm_channel(&connection).await?;
        Ok(Publisher { connection, channel })
    }

    async fn warm(&self, sources: &[String]) -> TickOutcome {
        let jobs = match self.schedules.publish_jobs(&self.settings) {
            Ok(jobs) => jobs,
            Err(e) => return TickOutcome::Failed(e.to_string()),
        };
        match warm::warm(&self.settings, sources, &jobs).await {
            Ok(report) => TickOutcome::Warmed { questions: report.questions, answered: report.answered },
            Err(e) => TickOutcome::Failed(crate::secret::redact(&e.to_string())),
        }
    }

    /// Moves the schedule's record forward to `now` (never backwards).
    async fn advance(&self, last_key: &str, now: DateTime<Utc>) -> Result<(), RedisUnavailable> {
        let script = "local c = tonumber(redis.call('GET', KEYS[1])) \
                      if c == nil or c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 0";
        let _: i64 =
            self.redis.cmd(redis::cmd("EVAL").arg(script).arg(1).arg(last_key).arg(now.timestamp_millis())).await?;
        Ok(())
    }

    fn key(&self, schedule: &str, what: &str) -> String {
        format!("{}:v1:sched:{schedule}:{what}", self.settings.cache.key_prefix)
    }

    /// Time until the next tick of any schedule (at most [`MAX_SLEEP`]).
    fn until_next_tick(&self, now: DateTime<Utc>) -> Duration {
        self.schedules
            .entries
            .iter()
            .filter_map(|s| s.next_tick(now))
            .map(|tick| (tick - now).to_std().unwrap_or_default())
            .min()
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP)
            // Wake just after the tick, so that it is due.
            + Duration::from_millis(5)
    }
}
