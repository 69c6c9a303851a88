//! Prometheus metrics. Every stage emits with the `metrics` crate's macros,
//! which do nothing until [`install`] puts the Prometheus recorder in place
//! (`sqlsynth worker` and `sqlsynth scheduler` do; `sqlsynth run` stays quiet).
//! [`render`] produces the text exposition format that `/metrics` on
//! `metrics.listen` serves (see [`crate::worker::health`]).
//!
//! The names are a contract with dashboards and alerts; [`names`] lists them
//! all and [`install`] describes each one (help text and unit). Durations are
//! histograms in seconds with [`DURATION_BUCKETS`]; every other metric is a
//! counter (`_total`) or a gauge. Labels only ever take values from small
//! fixed sets or configured source names, never ids or messages.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ::metrics::{Gauge, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::db::SourcePool;

/// The metric names, exactly as they are exported.
pub mod names {
    /// Counter, label `status` = ok | partial | failed | reused: one per job delivery the worker finished.
    pub const JOBS_TOTAL: &str = "sqlsynth_jobs_total";
    /// Counter, labels `status` (ok | failed | unanswered) and `synthesizer` (pinned | cache | offline | llm | none).
    pub const QUESTIONS_TOTAL: &str = "sqlsynth_questions_total";
    /// Histogram (seconds), label `stage` = schema | synthesis | guard | execution | write | report | job.
    pub const STAGE_DURATION_SECONDS: &str = "sqlsynth_stage_duration_seconds";
    /// Counter, labels `cache` (schema | answer), `level` (memory | redis | disk), `result` (hit | miss).
    pub const CACHE_REQUESTS_TOTAL: &str = "sqlsynth_cache_requests_total";
    /// Counter, label `outcome` = ok | error.
    pub const LLM_CALLS_TOTAL: &str = "sqlsynth_llm_calls_total";
    /// Counter: LLM calls retried after a transient error.
    pub const LLM_RETRIES_TOTAL: &str = "sqlsynth_llm_retries_total";
    /// Counter, label `kind` = prompt | completion | cached.
    pub const LLM_TOKENS_TOTAL: &str = "sqlsynth_llm_tokens_total";
    /// Gauge, label `source`: queries executing now.
    pub const QUERIES_IN_FLIGHT: &str = "sqlsynth_queries_in_flight";
    /// Gauge, labels `source` and `state` = idle | busy: connections of the source's pool.
    pub const POOL_CONNECTIONS: &str = "sqlsynth_pool_connections";
    /// Gauge: job deliveries this worker is handling now.
    pub const JOBS_IN_FLIGHT: &str = "sqlsynth_jobs_in_flight";
    /// Counter: deliveries the broker marked as redelivered (or with `x-delivery-count` > 0).
    pub const REDELIVERIES_TOTAL: &str = "sqlsynth_redeliveries_total";
    /// Counter, label `reason` = malformed | max_deliveries: messages sent to the dead-letter queue.
    pub const DEAD_LETTERS_TOTAL: &str = "sqlsynth_dead_letters_total";

    /// Every name above.
    pub const ALL: &[&str] = &[
        JOBS_TOTAL,
        QUESTIONS_TOTAL,
        STAGE_DURATION_SECONDS,
        CACHE_REQUESTS_TOTAL,
        LLM_CALLS_TOTAL,
        LLM_RETRIES_TOTAL,
        LLM_TOKENS_TOTAL,
        QUERIES_IN_FLIGHT,
        POOL_CONNECTIONS,
        JOBS_IN_FLIGHT,
        REDELIVERIES_TOTAL,
        DEAD_LETTERS_TOTAL,
    ];
}

/// Histogram buckets (seconds) for every `*_seconds` metric: a guard check
/// takes well under a millisecond, a large export or an LLM call minutes.
pub const DURATION_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// The `Content-Type` of [`render`]'s output (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot install the Prometheus recorder: {0}")]
    Build(#[from] BuildError),
    #[error("cannot start the metrics upkeep thread: {0}")]
    Upkeep(std::io::Error),
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static INSTALL: Mutex<()> = Mutex::new(());
/// Pools whose connections `/metrics` reports, by source name.
static POOLS: Mutex<BTreeMap<String, SourcePool>> = Mutex::new(BTreeMap::new());

/// Installs the Prometheus recorder as the process's global recorder (once;
/// later calls return the same handle), describes every metric, and starts
/// the upkeep thread. Fails if another recorder was installed first.
pub fn install() -> Result<&'static PrometheusHandle, MetricsError> {
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(handle) = HANDLE.get() {
        return Ok(handle);
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), DURATION_BUCKETS)?
        .install_recorder()?;
    let handle = HANDLE.get_or_init(|| handle);
    describe();
    std::thread::Builder::new()
        .name("sqlsynth-metrics-upkeep".into())
        .spawn(|| {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                if let Some(handle) = HANDLE.get() {
                    handle.run_upkeep();
                }
            }
        })
        .map_err(MetricsError::Upkeep)?;
    Ok(handle)
}

/// True once [`install`] succeeded in this process.
pub fn is_installed() -> bool {
    HANDLE.get().is_some()
}

/// The current exposition text, or `None` when no recorder is installed.
/// Pool gauges are sampled now, so they are exact at scrape time.
pub fn render() -> Option<String> {
    let handle = HANDLE.get()?;
    sample_pools();
    Some(handle.render())
}

/// Reports `pool`'s connections as `sqlsynth_pool_connections{source}` from
/// now on (replacing an earlier pool of the same source). Does nothing when
/// no recorder is installed, so `sqlsynth run` keeps no extra references.
pub fn watch_pool(source: &str, pool: &SourcePool) {
    if !is_installed() {
        return;
    }
    POOLS.lock().unwrap_or_else(|e| e.into_inner()).insert(source.to_string(), pool.clone());
}

fn sample_pools() {
    let pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    for (source, pool) in pools.iter() {
        let (size, idle, closed) = match pool {
            SourcePool::Sqlite(p) => (p.size(), p.num_idle(), p.is_closed()),
            SourcePool::Postgres(p) => (p.size(), p.num_idle(), p.is_closed()),
            SourcePool::MySql(p) => (p.size(), p.num_idle(), p.is_closed()),
        };
        let (idle, busy) = if closed { (0, 0) } else { (idle as u32, size.saturating_sub(idle as u32)) };
        gauge!(names::POOL_CONNECTIONS, "source" => source.clone(), "state" => "idle").set(idle);
        gauge!(names::POOL_CONNECTIONS, "source" => source.clone(), "state" => "busy").set(busy);
    }
}

/// A gauge raised by one while this value lives (jobs or queries in flight);
/// lowered on drop, so an early return, an error or an aborted task cannot leak it.
#[must_use = "the gauge goes back down when this is dropped"]
pub struct InFlightGauge(Gauge);

impl InFlightGauge {
    pub fn enter(gauge: Gauge) -> InFlightGauge {
        gauge.increment(1.0);
        InFlightGauge(gauge)
    }
}

impl Drop for InFlightGauge {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

fn describe() {
    use names::*;
    describe_counter!(
        JOBS_TOTAL,
        Unit::Count,
        "Job deliveries finished, by status: ok (every question ok), partial (some failed or unanswered), \
         failed (job-level failure: requeued or dead-lettered), reused (manifest already existed)."
    );
    describe_counter!(QUESTIONS_TOTAL, Unit::Count, "Questions answered, by status and by synthesizer.");
    describe_histogram!(
        STAGE_DURATION_SECONDS,
        Unit::Seconds,
        "Time spent per stage (schema, synthesis, guard, execution, write, report) and per job end to end (job)."
    );
    describe_counter!(
        CACHE_REQUESTS_TOTAL,
        Unit::Count,
        "Cache lookups by cache (schema, answer), level (memory, redis, disk) and result (hit, miss)."
    );
    describe_counter!(LLM_CALLS_TOTAL, Unit::Count, "LLM chat completion calls by outcome (ok, error).");
    describe_counter!(LLM_RETRIES_TOTAL, Unit::Count, "LLM calls retried after a transient error.");
    describe_counter!(LLM_TOKENS_TOTAL, Unit::Count, "LLM tokens by kind (prompt, completion, cached).");
    describe_gauge!(QUERIES_IN_FLIGHT, Unit::Count, "Queries executing now, per source.");
    describe_gauge!(POOL_CONNECTIONS, Unit::Count, "Connections of each source's pool, by state (idle, busy).");
    describe_gauge!(JOBS_IN_FLIGHT, Unit::Count, "Job deliveries this worker is handling now.");
    describe_counter!(
        REDELIVERIES_TOTAL,
        Unit::Count,
        "Job deliveries the broker marked as redelivered or that carry x-delivery-count > 0."
    );
    describe_counter!(
        DEAD_LETTERS_TOTAL,
        Unit::Count,
        "Messages sent to the dead-letter queue, by reason (malformed, max_deliveries)."
    );
}

/// Starts the worker's series with a small fixed label set at zero, so
/// `rate()` and `increase()` see the first event and dashboards show 0
/// rather than nothing. Called by `sqlsynth worker` after [`install`].
pub fn register_worker_series() {
    use names::*;
    for status in ["ok", "partial", "failed", "reused"] {
        counter!(JOBS_TOTAL, "status" => status).increment(0);
    }
    for reason in ["malformed", "max_deliveries"] {
        counter!(DEAD_LETTERS_TOTAL, "reason" => reason).increment(0);
    }
    counter!(REDELIVERIES_TOTAL).increment(0);
    gauge!(JOBS_IN_FLIGHT).set(0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_goes_back_down_on_drop() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        ::metrics::with_local_recorder(&recorder, || {
            let outer = InFlightGauge::enter(gauge!("t_in_flight"));
            {
                let _inner = InFlightGauge::enter(gauge!("t_in_flight"));
                assert!(handle.render().contains("t_in_flight 2\n"), "{}", handle.render());
            }
            assert!(handle.render().contains("t_in_flight 1\n"));
            drop(outer);
            assert!(handle.render().contains("t_in_flight 0\n"));
        });
    }

    #[test]
    fn histograms_have_the_duration_buckets_and_worker_series_start_at_zero() {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), DURATION_BUCKETS)
            .unwrap()
            .build_recorder();
        let handle = recorder.handle();
        ::metrics::with_local_recorder(&recorder, || {
            describe();
            register_worker_series();
            ::metrics::histogram!(names::STAGE_DURATION_SECONDS, "stage" => "job").record(0.2);
        });
        let text = handle.render();
        assert!(text.contains("# TYPE sqlsynth_stage_duration_seconds histogram"), "{text}");
        assert!(text.contains("sqlsynth_stage_duration_seconds_bucket{stage=\"job\",le=\"0.25\"} 1"), "{text}");
        assert!(text.contains("sqlsynth_stage_duration_seconds_bucket{stage=\"job\",le=\"0.1\"} 0"), "{text}");
        assert!(text.contains("sqlsynth_jobs_total{status=\"partial\"} 0"), "{text}");
        assert!(text.contains("sqlsynth_dead_letters_total{reason=\"malformed\"} 0"), "{text}");
        assert!(text.contains("sqlsynth_jobs_in_flight 0"), "{text}");
    }

    #[test]
    fn every_metric_is_described() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // A described name is rendered (with its help line) once it has a value.
        ::metrics::with_local_recorder(&recorder, || {
            describe();
            for name in names::ALL {
                gauge!(*name).set(1.0);
            }
        });
        let text = handle.render();
        for name in names::ALL {
            assert!(text.contains(&format!("# HELP {name} ")), "{name} has no description:\n{text}");
        }
    }
}
