//! `sqlsynth worker`: consume jobs from RabbitMQ, run them through one shared
//! [`Pipeline`], publish each manifest as a result, and only then ack.
//!
//! What happens to a delivery is decided by what went wrong (apalis style):
//!
//! | outcome                                   | action                                                     |
//! |-------------------------------------------|------------------------------------------------------------|
//! | manifest written (or already there)       | publish result (confirmed, mandatory), then ack            |
//! | malformed job (JSON, shape, ids, source)  | dead-letter now, reason in `x-sqlsynth-error`              |
//! | job-level failure (`JobFailure`)          | retry later (below); on delivery `max_deliveries`, dead-letter |
//! | result not confirmed / nacked             | same as a job-level failure (the job is not acked)         |
//! | delivered more than `max_deliveries` times| dead-letter without running (the worker died running it), unless its manifest exists |
//! | result returned (no queue bound)          | ack and warn, unless `queue.require_results_route`         |
//!
//! Retrying later: a copy goes to `<jobs_queue>.retry` with a per-message TTL
//! (`queue.retry_delay_ms` doubling per delivery, with jitter, capped at
//! `queue.retry_delay_max_ms`) and the attempts so far in a header; the
//! broker moves it back to the jobs queue when the TTL passes, and the
//! original is acked once the copy is confirmed. If the copy cannot be
//! published (or `retry_delay_ms = 0`), the original is requeued at once. The
//! delivery cap counts the broker's `x-delivery-count` plus those attempts.
//! A crash between the confirm and the ack leaves two copies of the job,
//! which its idempotent output makes harmless.
//!
//! Dead-lettering *with a reason*: a reject cannot carry headers, so the
//! worker publishes a copy of the message, with the reason header, to
//! `sqlsynth.dlx` (routing key = the jobs queue, so it lands in
//! `<jobs_queue>.dead`) and waits for the confirm, then acks the original. If
//! that publish fails, it rejects the original without requeue, so the broker
//! dead-letters it anyway (without the header). A crash between the confirm
//! and the ack can leave two copies in the dead queue; never zero.
//!
//! Invariants:
//! * an ack is sent only after the manifest is durably written and the result
//!   message is confirmed, or after a copy of the message is confirmed in the
//!   retry or dead-letter queue; an ack lapin reports as not sent means the broker
//!   will redeliver, and redelivery is safe (manifest exists: republish, ack);
//! * one process never runs the same job twice at once (per-job lock), so a
//!   redelivery that arrives while the first run is still going (after a
//!   reconnect) waits for it and then finds the manifest;
//! * a lost connection, a closed channel or a consumer cancelled by the broker
//!   ends the session; the worker reconnects with exponential backoff,
//!   re-declares the topology and re-subscribes with its prefetch;
//! * SIGTERM/SIGINT: cancel the consumer, requeue deliveries not yet started,
//!   wait up to `queue.drain_timeout_ms` for jobs in flight, requeue the rest,
//!   close the connection, exit 0.

pub mod health;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use indicatif::ProgressBar;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Acker, Channel};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::backoff::Backoff;
use crate::config::Settings;
use crate::job::Job;
use crate::metrics::InFlightGauge;
use crate::metrics::names::{
    DEAD_LETTERS_TOTAL, JOBS_IN_FLIGHT, JOBS_TOTAL, REDELIVERIES_TOTAL, STAGE_DURATION_SECONDS,
};
use crate::pipeline::{JobOutcome, Pipeline};
use crate::secret::redact;
use crate::source::amqp::{self, DEAD_LETTER_EXCHANGE, PublishError, Topology};

pub use health::Readiness;

/// Header on result messages: true when the manifest already existed (redelivery).
pub const REUSED_HEADER: &str = "x-sqlsynth-reused";

/// Reconnecting to the broker: 250 ms doubling to 15 s.
const RECONNECT: Backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(15));

/// A consuming worker. One per process; jobs in flight share its pipeline.
pub struct Worker {
    shared: Arc<Shared>,
    readiness: Readiness,
}

/// What every job task needs.
struct Shared {
    settings: Arc<Settings>,
    topology: Topology,
    pipeline: Pipeline,
    locks: JobLocks,
}

/// Why a session with the broker ended.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("the broker cancelled the consumer")]
    ConsumerCancelled,
    #[error("the publishing channel failed")]
    PublishChannel,
}

/// Jobs in flight, with the handles that can requeue them if they must be abandoned.
#[derive(Default)]
struct InFlight {
    tasks: JoinSet<()>,
    ackers: HashMap<tokio::task::Id, Acker>,
}

impl InFlight {
    fn reap(&mut self, joined: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        match joined {
            Ok((id, ())) => {
                self.ackers.remove(&id);
            }
            Err(e) => {
                self.ackers.remove(&e.id());
                if e.is_panic() {
                    error!(error = %e, "a job task panicked; its delivery will be redelivered");
                }
            }
        }
    }

    /// Waits for every job up to `timeout`; requeues (nack) and aborts what is left.
    async fn drain(&mut self, timeout: Duration) {
        if self.tasks.is_empty() {
            return;
        }
        info!(jobs = self.tasks.len(), timeout_ms = timeout.as_millis() as u64, "waiting for jobs in flight");
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.tasks.is_empty() {
            match tokio::time::timeout_at(deadline, self.tasks.join_next_with_id()).await {
                Ok(Some(joined)) => self.reap(joined),
                Ok(None) => break,
                Err(_) => break,
            }
        }
        if self.tasks.is_empty() {
            return;
        }
        warn!(jobs = self.tasks.len(), "drain timeout; requeueing the jobs still running");
        self.tasks.abort_all();
        for (_, acker) in self.ackers.drain() {
            settle("nack", acker.nack(BasicNackOptions { requeue: true, ..BasicNackOptions::default() }).await);
        }
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Worker {
    pub fn new(settings: Arc<Settings>) -> anyhow::Result<Worker> {
        let topology = Topology::new(&settings.queue)?;
        let pipeline = Pipeline::new(settings.clone());
        Ok(Worker {
            shared: Arc::new(Shared { settings, topology, pipeline, locks: JobLocks::default() }),
            readiness: Readiness::default(),
        })
    }

    /// True while connected and consuming (what `/readyz` reports).
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// Consumes until `shutdown` turns true (or its sender is dropped), then drains.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let mut in_flight = InFlight::default();
        let mut failures = 0;
        let settings = &self.shared.settings;
        let drain_timeout = Duration::from_millis(settings.queue.drain_timeout_ms);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let mut consumed = false;
            match self.session(&mut shutdown, &mut in_flight, &mut consumed).await {
                Ok(()) => break,
                Err(e) => {
                    self.readiness.set(false);
                    if consumed {
                        failures = 0;
                    }
                    let delay = RECONNECT.delay(failures);
                    warn!(error = %redact(&e.to_string()), retry_in_ms = delay.as_millis() as u64,
                          jobs_in_flight = in_flight.tasks.len(), "broker session ended; reconnecting");
                    failures += 1;
                    let wait = tokio::time::sleep(delay);
                    tokio::pin!(wait);
                    loop {
                        tokio::select! {
                            _ = &mut wait => break,
                            _ = shutdown.changed() => break,
                            Some(joined) = in_flight.tasks.join_next_with_id(), if !in_flight.tasks.is_empty() => in_flight.reap(joined),
                        }
                    }
                }
            }
        }
        self.readiness.set(false);
        in_flight.drain(drain_timeout).await;
        self.shared.pipeline.close().await;
        info!("worker stopped");
        Ok(())
    }

    /// One connection: declare, subscribe, dispatch deliveries. Returns `Ok`
    /// only for a shutdown (after cancelling the consumer and draining).
    async fn session(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        in_flight: &mut InFlight,
        consumed: &mut bool,
    ) -> Result<(), SessionError> {
        let settings = &self.shared.settings;
        let topology = &self.shared.topology;
        let connection = amqp::connect(&settings.queue, "worker").await?;
        let result = async {
            topology.declare(&connection).await?;
            let publish = amqp::confirm_channel(&connection).await?;
            let consume = connection.create_channel().await?;
            consume.basic_qos(settings.queue.prefetch, BasicQosOptions::default()).await?;
            let tag = format!("sqlsynth-{}-{}", std::process::id(), fastrand::u32(..));
            let mut consumer = consume
                .basic_consume(
                    topology.jobs_queue.as_str().into(),
                    tag.as_str().into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            *consumed = true;
            self.readiness.set(true);
            info!(queue = %topology.jobs_queue, prefetch = settings.queue.prefetch, "consuming");
            let broken = Arc::new(Notify::new());
            loop {
                tokio::select! {
                    biased;
                    _ = shutdown.changed() => break,
                    _ = broken.notified() => return Err(SessionError::PublishChannel),
                    Some(joined) = in_flight.tasks.join_next_with_id(), if !in_flight.tasks.is_empty() => in_flight.reap(joined),
                    next = consumer.next() => match next {
                        Some(Ok(delivery)) => {
                            let acker = delivery.acker.clone();
                            let task = handle_delivery(self.shared.clone(), delivery, publish.clone(), broken.clone());
                            let handle = in_flight.tasks.spawn(task);
                            in_flight.ackers.insert(handle.id(), acker);
                        }
                        Some(Err(e)) => return Err(e.into()),
                        None => return Err(SessionError::ConsumerCancelled),
                    },
                }
            }
            // Shutdown: stop the flow, give back what was delivered but not started.
            self.readiness.set(false);
            info!("shutdown requested; cancelling the consumer");
            if let Err(e) = consume.basic_cancel(tag.as_str().into(), BasicCancelOptions::default()).await {
                warn!(error = %e, "cannot cancel the consumer; closing the channel instead");
            }
            let requeue_unstarted = async {
                while let Some(Ok(delivery)) = consumer.next().await {
                    settle("nack", delivery.acker.nack(BasicNackOptions { requeue: true, ..BasicNackOptions::default() }).await);
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), requeue_unstarted).await;
            in_flight.drain(Duration::from_millis(settings.queue.drain_timeout_ms)).await;
            let _ = consume.close(200, "worker stopping".into()).await;
            let _ = publish.close(200, "worker stopping".into()).await;
            Ok(())
        }
        .await;
        let _ =
            tokio::time::timeout(Duration::from_secs(5), connection.close(200, "sqlsynth worker closing".into())).await;
        result
    }
}

/// Runs one delivery to its end: ack, requeue or dead-letter (see the table above).
async fn handle_delivery(shared: Arc<Shared>, delivery: Delivery, publish: Channel, broken: Arc<Notify>) {
    let settings = &shared.settings;
    let topology = &shared.topology;
    let _in_flight = InFlightGauge::enter(metrics::gauge!(JOBS_IN_FLIGHT));
    let deliveries = amqp::delivery_count(&delivery.properties).saturating_add(1);
    if delivery.redelivered || deliveries > 1 {
        metrics::counter!(REDELIVERIES_TOTAL).increment(1);
    }
    let job = match Job::parse(&delivery.data, |s| settings.source(s).is_some()) {
        Ok(job) => job,
        Err(e) => {
            let reason = format!("malformed job: {e}");
            warn!(delivery_tag = delivery.delivery_tag, bytes = delivery.data.len(), reason = %reason,
                  "rejecting a malformed job to the dead-letter queue");
            metrics::counter!(DEAD_LETTERS_TOTAL, "reason" => "malformed").increment(1);
            dead_letter(&shared, &publish, &delivery, &reason, &broken).await;
            return;
        }
    };
    let job_id = job.job_id.clone();
    // Past the cap, only a finished job (whose result must still go out) runs.
    if deliveries > topology.max_deliveries && !shared.pipeline.is_done(&job, &settings.output.root).await {
        let reason = format!(
            "gave up after {} deliveries: the worker stopped while running it (crashed or was killed)",
            deliveries - 1
        );
        warn!(job_id = %job_id, reason = %reason, "dead-lettering the job");
        metrics::counter!(DEAD_LETTERS_TOTAL, "reason" => "max_deliveries").increment(1);
        dead_letter(&shared, &publish, &delivery, &reason, &broken).await;
        return;
    }
    info!(job_id = %job_id, questions = job.questions.len(), delivery = deliveries, "job received");
    let mut status = "failed";
    let failure = {
        let _running = shared.locks.lock(&job_id).await;
        let started = std::time::Instant::now();
        let run = shared.pipeline.run_job(&job, &settings.output.root, &ProgressBar::hidden()).await;
        if matches!(&run, Ok(outcome) if !outcome.reused) {
            metrics::histogram!(STAGE_DURATION_SECONDS, "stage" => "job").record(started.elapsed());
        }
        match run {
            Ok(outcome) => match publish_result(&shared, &publish, &outcome).await {
                Ok(()) => {
                    status = job_status(&outcome);
                    None
                }
                Err(e) if e.is_unroutable() && !settings.queue.require_results_route => {
                    warn!(job_id = %job_id, exchange = %topology.results_exchange,
                          "no queue is bound for this result; the manifest on disk is the record");
                    status = job_status(&outcome);
                    None
                }
                Err(e) => {
                    if matches!(e, PublishError::Broker(_)) {
                        broken.notify_one();
                    }
                    Some(format!("result not published: {e}"))
                }
            },
            Err(e) => Some(redact(&e.to_string())),
        }
    };
    metrics::counter!(JOBS_TOTAL, "status" => status).increment(1);
    match failure {
        None => {
            settle("ack", delivery.acker.ack(BasicAckOptions::default()).await);
            debug!(job_id = %job_id, "acked");
        }
        Some(reason) if deliveries >= topology.max_deliveries => {
            let reason = format!("gave up after {deliveries} deliveries: {reason}");
            warn!(job_id = %job_id, reason = %reason, "dead-lettering the job");
            metrics::counter!(DEAD_LETTERS_TOTAL, "reason" => "max_deliveries").increment(1);
            dead_letter(&shared, &publish, &delivery, &reason, &broken).await;
        }
        Some(reason) => {
            let queue = &settings.queue;
            let backoff = Backoff::new(
                Duration::from_millis(queue.retry_delay_ms),
                Duration::from_millis(queue.retry_delay_max_ms),
            );
            let delay = backoff.delay(deliveries - 1);
            warn!(job_id = %job_id, delivery = deliveries, max_deliveries = topology.max_deliveries,
                  retry_in_ms = delay.as_millis() as u64, reason = %reason, "job failed; retrying later");
            retry_later(&shared, &publish, &delivery, deliveries, delay, &broken).await;
        }
    }
}

/// Sends a copy to the retry queue, expiring back to the jobs queue after
/// `delay`, then acks the original; requeues the original at once when the
/// delay is zero or the copy is not confirmed.
async fn retry_later(
    shared: &Shared,
    channel: &Channel,
    delivery: &Delivery,
    attempts: u32,
    delay: Duration,
    broken: &Notify,
) {
    if !delay.is_zero() {
        let properties = amqp::for_retry(&delivery.properties, attempts, delay);
        let retry_queue = &shared.topology.retry_queue;
        match amqp::publish_confirmed(channel, "", retry_queue, &delivery.data, properties).await {
            Ok(()) => {
                settle("ack", delivery.acker.ack(BasicAckOptions::default()).await);
                return;
            }
            Err(e) => {
                warn!(error = %e, "cannot park the job in the retry queue; requeueing it at once");
                if matches!(e, PublishError::Broker(_)) {
                    broken.notify_one();
                }
            }
        }
    }
    let requeue = BasicNackOptions { requeue: true, ..BasicNackOptions::default() };
    settle("nack", delivery.acker.nack(requeue).await);
}

/// The `status` label of `sqlsynth_jobs_total` for a job that ran to its manifest.
fn job_status(outcome: &JobOutcome) -> &'static str {
    if outcome.reused {
        "reused"
    } else if outcome.manifest.all_ok() {
        "ok"
    } else {
        "partial"
    }
}

/// Publishes the manifest to the results exchange, routing key = job id.
async fn publish_result(shared: &Shared, channel: &Channel, outcome: &JobOutcome) -> Result<(), PublishError> {
    let body = serde_json::to_vec(&outcome.manifest).expect("a manifest always serializes");
    let mut headers = FieldTable::default();
    headers.insert(REUSED_HEADER.into(), AMQPValue::Boolean(outcome.reused));
    let properties = amqp::persistent_json(&outcome.manifest.job_id).with_headers(headers);
    let job_id = &outcome.manifest.job_id;
    amqp::publish_confirmed(channel, &shared.topology.results_exchange, job_id, &body, properties).await
}

/// Publishes a copy with the reason header to the dead-letter exchange, then
/// acks the original; falls back to a reject without requeue.
async fn dead_letter(shared: &Shared, channel: &Channel, delivery: &Delivery, reason: &str, broken: &Notify) {
    let properties = amqp::with_error_header(&delivery.properties, reason);
    let routing_key = &shared.topology.jobs_queue;
    match amqp::publish_confirmed(channel, DEAD_LETTER_EXCHANGE, routing_key, &delivery.data, properties).await {
        Ok(()) => settle("ack", delivery.acker.ack(BasicAckOptions::default()).await),
        Err(e) => {
            warn!(error = %e, "cannot publish the dead-letter copy; rejecting without requeue instead");
            if matches!(e, PublishError::Broker(_)) {
                broken.notify_one();
            }
            settle("reject", delivery.acker.reject(BasicRejectOptions { requeue: false }).await);
        }
    }
}

/// Logs an ack/nack/reject that did not reach the broker: the broker keeps the
/// message and redelivers it after the channel closes, which is safe.
fn settle(what: &str, result: lapin::Result<bool>) {
    match result {
        Ok(true) => {}
        Ok(false) => warn!(action = what, "not sent: the channel is closed; the message will be redelivered"),
        Err(e) => warn!(action = what, error = %e, "not sent; the message will be redelivered"),
    }
}

/// One lock per job id in flight in this process.
#[derive(Default)]
struct JobLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl JobLocks {
    async fn lock(&self, job_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.retain(|_, lock| Arc::strong_count(lock) > 1);
            map.entry(job_id.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// A receiver that turns true on SIGTERM or SIGINT.
pub fn shutdown_on_signals() -> std::io::Result<watch::Receiver<bool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => info!(signal = "SIGTERM", "stopping"),
            _ = int.recv() => info!(signal = "SIGINT", "stopping"),
        }
        let _ = sender.send(true);
        // Keep the sender alive: a dropped sender also reads as shutdown.
        std::future::pending::<()>().await;
    });
    Ok(receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_job_id_runs_once_at_a_time() {
        let locks = Arc::new(JobLocks::default());
        let first = locks.lock("j1").await;
        let other = locks.lock("j2").await;
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("j1").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(first);
        waiting.await.unwrap();
        drop(other);
    }
}
