//! The Redis level, shared by every worker: one lazily connected
//! [`ConnectionManager`] per process, every operation bounded by
//! `cache.redis_timeout_ms`, and a breaker that keeps an outage cheap.
//!
//! Outage behaviour: the first failed or timed-out operation logs one warning
//! and opens the breaker; while it is open, operations fail at once without
//! touching the network (callers fall back to memory and disk). After a
//! backoff (250 ms doubling to 5 s) one operation probes again; the first one
//! that succeeds logs one recovery line and closes the breaker. The
//! connection manager itself reconnects; nothing here ever fails a job.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, Pipeline};
use tokio::sync::OnceCell;
use tracing::{info, warn};

use crate::backoff::Backoff;
use crate::secret::{SecretUrl, redact};

/// Why a Redis operation did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RedisUnavailable {
    #[error("no Redis is configured (cache.redis_url)")]
    NotConfigured,
    #[error("Redis is down (retrying in the background)")]
    Down,
    #[error("Redis did not answer within {0} ms")]
    Timeout(u64),
    #[error("Redis: {0}")]
    Failed(String),
}

/// Pauses between two probes while Redis is down: 250 ms doubling to 5 s.
const PROBE_BACKOFF: Backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));

/// A Redis connection with timeouts and a breaker; cheap to share behind an `Arc`.
pub struct SharedRedis {
    url: SecretUrl,
    timeout: Duration,
    manager: OnceCell<ConnectionManager>,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    /// When the current outage started (None while healthy).
    down_since: Option<Instant>,
    /// Consecutive failures in the current outage.
    failures: u32,
    /// No operation is attempted before this instant.
    next_probe: Option<Instant>,
}

impl SharedRedis {
    /// No I/O happens here: the connection is opened by the first operation.
    pub fn new(url: SecretUrl, timeout: Duration) -> Self {
        SharedRedis { url, timeout, manager: OnceCell::new(), health: Mutex::new(Health::default()) }
    }

    /// True while the breaker is closed (the last operation succeeded or none failed yet).
    pub fn is_up(&self) -> bool {
        self.health.lock().expect("health lock").down_since.is_none()
    }

    /// Runs one command.
    pub async fn cmd<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisUnavailable> {
        let mut connection = self.connection().await?;
        self.finish(tokio::time::timeout(self.timeout, cmd.query_async(&mut connection)).await)
    }

    /// Runs a pipeline (atomic when built with `.atomic()`).
    pub async fn pipe<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T, RedisUnavailable> {
        let mut connection = self.connection().await?;
        self.finish(tokio::time::timeout(self.timeout, pipe.query_async(&mut connection)).await)
    }

    /// `PING`, bypassing the breaker: for start-up checks that must know now.
    pub async fn ping(&self) -> Result<(), RedisUnavailable> {
        self.health.lock().expect("health lock").next_probe = None;
        let _: String = self.cmd(&redis::cmd("PING")).await?;
        Ok(())
    }

    async fn connection(&self) -> Result<ConnectionManager, RedisUnavailable> {
        {
            let health = self.health.lock().expect("health lock");
            if health.next_probe.is_some_and(|at| Instant::now() < at) {
                return Err(RedisUnavailable::Down);
            }
        }
        let manager = self
            .manager
            .get_or_try_init(|| async {
                let client = redis::Client::open(self.url.expose())
                    .map_err(|e| RedisUnavailable::Failed(redact(&e.to_string())))?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(0);
                ConnectionManager::new_lazy_with_config(client, config)
                    .map_err(|e| RedisUnavailable::Failed(redact(&e.to_string())))
            })
            .await;
        match manager {
            Ok(manager) => Ok(manager.clone()),
            Err(e) => Err(self.failed(e)),
        }
    }

    fn finish<T>(
        &self,
        result: Result<redis::RedisResult<T>, tokio::time::error::Elapsed>,
    ) -> Result<T, RedisUnavailable> {
        match result {
            Ok(Ok(value)) => {
                self.succeeded();
                Ok(value)
            }
            Ok(Err(e)) => Err(self.failed(RedisUnavailable::Failed(redact(&e.to_string())))),
            Err(_) => Err(self.failed(RedisUnavailable::Timeout(self.timeout.as_millis() as u64))),
        }
    }

    fn succeeded(&self) {
        let mut health = self.health.lock().expect("health lock");
        if let Some(since) = health.down_since.take() {
            info!(url = %self.url, outage_ms = since.elapsed().as_millis() as u64, "Redis is back; shared caches resume");
        }
        health.failures = 0;
        health.next_probe = None;
    }

    fn failed(&self, error: RedisUnavailable) -> RedisUnavailable {
        let mut health = self.health.lock().expect("health lock");
        if health.down_since.is_none() {
            health.down_since = Some(Instant::now());
            warn!(url = %self.url, error = %error, "Redis is unavailable; caches continue on memory and disk");
        }
        let delay = PROBE_BACKOFF.ceiling(health.failures);
        health.failures = health.failures.saturating_add(1);
        health.next_probe = Some(Instant::now() + delay);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dead_redis_fails_fast_after_the_first_attempt() {
        // Nothing listens on port 1; the first attempt fails, the next is refused by the breaker.
        let redis = SharedRedis::new(SecretUrl::new("redis://127.0.0.1:1"), Duration::from_millis(200));
        let first: Result<Option<String>, _> = redis.cmd(redis::cmd("GET").arg("k")).await;
        assert!(first.is_err());
        assert!(!redis.is_up());
        let second: Result<Option<String>, _> = redis.cmd(redis::cmd("GET").arg("k")).await;
        assert!(matches!(second, Err(RedisUnavailable::Down)), "{second:?}");
    }
}
