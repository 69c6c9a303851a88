//! Shared, safe caches (DESIGN.md section 7): schemas ([`SchemaStore`]) and
//! synthesized SQL ([`AnswerCache`]), each in three levels.
//!
//! | level | what | shared by | survives |
//! |---|---|---|---|
//! | memory | moka, bounded by `cache.memory_entries` per cache | one process | nothing |
//! | Redis | `cache.redis_url` (optional), keys under `cache.key_prefix` | every worker | restarts |
//! | disk | files under `cache.dir`, written atomically | one machine | restarts, Redis outages |
//!
//! A lookup tries memory, then Redis, then disk, and copies what it finds into
//! the faster levels; a store writes all three. Every Redis and disk entry is
//! a checked envelope ([`entry`]): a corrupt or foreign entry is a miss, never
//! SQL to run. Redis is optional and may fail at any time ([`shared`]): each
//! operation is bounded by `cache.redis_timeout_ms`, an outage is logged once
//! and its end once, and meanwhile memory and disk carry on; no cache failure
//! ever fails a job.
//!
//! Every lookup counts `sqlsynth_cache_requests_total{cache,level,result}`
//! (cache = schema|answer, level = memory|redis|disk, result = hit|miss).

pub mod answers;
pub mod disk;
pub mod entry;
pub mod schemas;
pub mod shared;

use std::sync::Arc;
use std::time::Duration;

pub use answers::{AnswerCache, CachedAnswer};
pub use schemas::SchemaStore;
pub use shared::{RedisUnavailable, SharedRedis};

use crate::config::Settings;
use disk::DiskLevel;

/// A cache level, for metrics and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Memory,
    Redis,
    Disk,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Memory => "memory",
            Level::Redis => "redis",
            Level::Disk => "disk",
        }
    }
}

/// Counts one lookup at one level.
pub(crate) fn record(cache: &'static str, level: Level, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    ::metrics::counter!(crate::metrics::names::CACHE_REQUESTS_TOTAL, "cache" => cache, "level" => level.name(), "result" => result)
        .increment(1);
}

/// The caches of one process (one per [`crate::pipeline::Pipeline`]).
pub struct Caches {
    pub schemas: SchemaStore,
    pub answers: AnswerCache,
    redis: Option<Arc<SharedRedis>>,
}

impl Caches {
    /// Builds the levels from `[cache]`; nothing connects until the first lookup.
    pub fn new(settings: &Settings) -> Self {
        let cache = &settings.cache;
        let redis = cache
            .redis_url
            .clone()
            .map(|url| Arc::new(SharedRedis::new(url, Duration::from_millis(cache.redis_timeout_ms))));
        let disk = DiskLevel::new(cache.dir.clone());
        let answer_ttl = (cache.answer_ttl_secs > 0).then(|| Duration::from_secs(cache.answer_ttl_secs));
        let answers =
            AnswerCache::new(cache.memory_entries, redis.clone(), disk.clone(), &cache.key_prefix, answer_ttl);
        let schemas = SchemaStore::new(
            cache.memory_entries,
            redis.clone(),
            disk,
            &cache.key_prefix,
            Duration::from_millis(cache.schema_ttl_ms),
            answers.clone(),
            &settings.sources,
        );
        Caches { schemas, answers, redis }
    }

    /// The Redis level, when one is configured.
    pub fn redis(&self) -> Option<&Arc<SharedRedis>> {
        self.redis.as_ref()
    }
}
