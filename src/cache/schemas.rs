//! The schema store: a source's [`DatabaseSchema`] in three levels (memory,
//! Redis, disk), loaded at most once at a time per source in this process.
//!
//! Every entry records when its structure was last checked against the
//! database (`validated_at_ms`, wall clock, shared through Redis). An entry
//! younger than `cache.schema_ttl_ms` is used as is. An older one is
//! re-validated with a structure-only introspection
//! ([`introspect::fingerprint`]: catalog only, no sampling, no counting):
//! - same fingerprint: the entry is kept and its timestamp renewed everywhere;
//! - another fingerprint (a column added, a table dropped): the schema is
//!   introspected in full, replaces the entry at every level, and the answers
//!   cached under the old fingerprint are deleted ([`AnswerCache::invalidate_fingerprint`]).
//!
//! Each time a schema enters the memory level (loaded, re-validated or
//! replaced), the source's golden pairs seed the answer cache under its
//! fingerprint ([`AnswerCache::seed`]).
//!
//! A schema read from Redis or disk is used only when it names this source,
//! has the source's dialect and its fingerprint matches its content; anything
//! else is ignored (and overwritten by the next store).
//!
//! Redis key `<prefix>:v1:schema:<source>`; disk `<cache.dir>/schemas/<source>.json`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tracing::{info, warn};

use super::answers::AnswerCache;
use super::disk::DiskLevel;
use super::entry::{self, now_ms};
use super::shared::SharedRedis;
use super::{Level, record};
use crate::config::GoldenExample;
use crate::db::SourcePool;
use crate::plan::introspect::{self, IntrospectError};
use crate::plan::schema::DatabaseSchema;

const KIND: &str = "schema";

#[derive(Clone)]
struct Entry {
    schema: Arc<DatabaseSchema>,
    validated_at_ms: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredSchema {
    schema: DatabaseSchema,
    validated_at_ms: i64,
}

/// [`StoredSchema`] as written, borrowing the schema.
#[derive(Serialize)]
struct StoredSchemaRef<'a> {
    schema: &'a DatabaseSchema,
    validated_at_ms: i64,
}

/// Schemas by source; cheap to share behind the pipeline.
pub struct SchemaStore {
    memory: moka::future::Cache<String, Entry>,
    redis: Option<Arc<SharedRedis>>,
    disk: DiskLevel,
    prefix: String,
    ttl: Duration,
    answers: AnswerCache,
    /// Golden pairs by source, from the configuration.
    golden: HashMap<String, Vec<GoldenExample>>,
    /// One loader per source at a time.
    loading: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl SchemaStore {
    pub(crate) fn new(
        memory_entries: u64,
        redis: Option<Arc<SharedRedis>>,
        disk: DiskLevel,
        prefix: &str,
        ttl: Duration,
        answers: AnswerCache,
        golden: HashMap<String, Vec<GoldenExample>>,
    ) -> Self {
        SchemaStore {
            memory: moka::future::Cache::builder().max_capacity(memory_entries).build(),
            redis,
            disk,
            prefix: prefix.to_string(),
            ttl,
            answers,
            golden,
            loading: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The schema of `source`: from the first level that has a valid entry,
    /// re-validated when older than the TTL, introspected when no level has one.
    pub async fn get(&self, source: &str, pool: &SourcePool) -> Result<Arc<DatabaseSchema>, IntrospectError> {
        if let Some(entry) = self.memory.get(source).await
            && self.is_fresh(&entry)
        {
            record(KIND, Level::Memory, true);
            return Ok(entry.schema);
        }
        record(KIND, Level::Memory, false);
        let lock = self.lock_for(source);
        let _loading = lock.lock().await;
        // Another task may have loaded or re-validated it while this one waited.
        let in_memory = self.memory.get(source).await;
        if let Some(entry) = &in_memory
            && self.is_fresh(entry)
        {
            return Ok(entry.schema.clone());
        }
        let shared = self.read_shared(source, pool).await;
        let newest = match (in_memory, shared) {
            (Some(a), Some(b)) => Some(if b.validated_at_ms > a.validated_at_ms { b } else { a }),
            (a, b) => a.or(b),
        };
        match newest {
            Some(entry) if self.is_fresh(&entry) => {
                self.memory.insert(source.to_string(), entry.clone()).await;
                self.seed(source, &entry.schema).await;
                Ok(entry.schema)
            }
            Some(entry) => {
                let current = introspect::fingerprint(source, pool).await?;
                if current == entry.schema.fingerprint {
                    let renewed = Entry { schema: entry.schema, validated_at_ms: now_ms() };
                    self.store(source, &renewed).await;
                    self.seed(source, &renewed.schema).await;
                    Ok(renewed.schema)
                } else {
                    info!(
                        source,
                        old = &entry.schema.fingerprint[..12],
                        new = &current[..12],
                        "schema changed; introspecting again and dropping answers of the old schema"
                    );
                    self.replace(source, Some(&entry.schema.fingerprint), pool).await
                }
            }
            None => self.replace(source, None, pool).await,
        }
    }

    /// Introspects `source` in full now and stores the result at every level
    /// (warming); answers of a previous, different schema are deleted.
    pub async fn refresh(&self, source: &str, pool: &SourcePool) -> Result<Arc<DatabaseSchema>, IntrospectError> {
        let lock = self.lock_for(source);
        let _loading = lock.lock().await;
        let previous = match self.memory.get(source).await {
            Some(entry) => Some(entry),
            None => self.read_shared(source, pool).await,
        };
        self.replace(source, previous.as_ref().map(|e| e.schema.fingerprint.as_str()), pool).await
    }

    /// Reads one level only, without side effects: for diagnostics and the cache benchmark.
    pub async fn read_level(&self, source: &str, level: Level, pool: &SourcePool) -> Option<Arc<DatabaseSchema>> {
        match level {
            Level::Memory => self.memory.get(source).await.map(|e| e.schema),
            Level::Redis => self.read_redis(source, pool).await.map(|e| e.schema),
            Level::Disk => self.read_disk(source, pool).await.map(|e| e.schema),
        }
    }

    async fn replace(
        &self,
        source: &str,
        previous: Option<&str>,
        pool: &SourcePool,
    ) -> Result<Arc<DatabaseSchema>, IntrospectError> {
        let schema = introspect::introspect(source, pool).await?;
        let entry = Entry { schema: Arc::new(schema), validated_at_ms: now_ms() };
        self.store(source, &entry).await;
        if let Some(previous) = previous
            && previous != entry.schema.fingerprint
        {
            self.answers.invalidate_fingerprint(source, previous).await;
        }
        self.seed(source, &entry.schema).await;
        Ok(entry.schema)
    }

    async fn seed(&self, source: &str, schema: &DatabaseSchema) {
        if let Some(pairs) = self.golden.get(source) {
            self.answers.seed(source, &schema.fingerprint, pairs).await;
        }
    }

    fn is_fresh(&self, entry: &Entry) -> bool {
        now_ms().saturating_sub(entry.validated_at_ms) < self.ttl.as_millis() as i64
    }

    fn lock_for(&self, source: &str) -> Arc<Mutex<()>> {
        self.loading.lock().expect("loading lock").entry(source.to_string()).or_default().clone()
    }

    fn redis_key(&self, source: &str) -> String {
        format!("{}:v{}:schema:{source}", self.prefix, entry::VERSION)
    }

    fn disk_path(source: &str) -> Option<PathBuf> {
        crate::job::is_valid_id(source).then(|| PathBuf::from("schemas").join(format!("{source}.json")))
    }

    /// Redis, then disk (which refills Redis when it answers).
    async fn read_shared(&self, source: &str, pool: &SourcePool) -> Option<Entry> {
        if self.redis.is_some() {
            if let Some(entry) = self.read_redis(source, pool).await {
                record(KIND, Level::Redis, true);
                return Some(entry);
            }
            record(KIND, Level::Redis, false);
        }
        let entry = self.read_disk(source, pool).await;
        record(KIND, Level::Disk, entry.is_some());
        if let Some(entry) = &entry {
            self.store_redis(source, entry).await;
        }
        entry
    }

    async fn read_redis(&self, source: &str, pool: &SourcePool) -> Option<Entry> {
        let redis = self.redis.as_ref()?;
        let key = self.redis_key(source);
        let bytes: Option<Vec<u8>> = redis.cmd(redis::cmd("GET").arg(&key)).await.ok()?;
        let bytes = bytes?;
        self.decode(source, &key, &bytes, pool, Level::Redis)
    }

    async fn read_disk(&self, source: &str, pool: &SourcePool) -> Option<Entry> {
        let bytes = self.disk.read(&Self::disk_path(source)?).await?;
        self.decode(source, &self.redis_key(source), &bytes, pool, Level::Disk)
    }

    fn decode(&self, source: &str, key: &str, bytes: &[u8], pool: &SourcePool, level: Level) -> Option<Entry> {
        let refuse = |reason: String| {
            warn!(source, level = level.name(), %reason, "ignoring an invalid cached schema");
            None
        };
        let stored = match entry::open::<StoredSchema>(KIND, key, bytes) {
            Ok(opened) => opened.value,
            Err(e) => return refuse(e.to_string()),
        };
        let schema = stored.schema;
        if schema.source != source || schema.dialect != pool.dialect() {
            return refuse(format!("stored for source '{}' ({})", schema.source, schema.dialect));
        }
        if schema.compute_fingerprint() != schema.fingerprint {
            return refuse("its fingerprint does not match its content".into());
        }
        Some(Entry { schema: Arc::new(schema), validated_at_ms: stored.validated_at_ms })
    }

    async fn store(&self, source: &str, entry: &Entry) {
        self.memory.insert(source.to_string(), entry.clone()).await;
        self.store_redis(source, entry).await;
        if let Some(path) = Self::disk_path(source) {
            self.disk.write(&path, self.seal(source, entry)).await;
        }
    }

    async fn store_redis(&self, source: &str, entry: &Entry) {
        if let Some(redis) = &self.redis {
            let sealed = self.seal(source, entry);
            let _: Result<(), _> = redis.cmd(redis::cmd("SET").arg(self.redis_key(source)).arg(sealed)).await;
        }
    }

    fn seal(&self, source: &str, entry: &Entry) -> Vec<u8> {
        let stored = StoredSchemaRef { schema: &entry.schema, validated_at_ms: entry.validated_at_ms };
        entry::seal(KIND, &self.redis_key(source), &stored)
    }
}
