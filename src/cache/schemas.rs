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
//! The value index ([`crate::plan::values`]) travels beside the schema, in a
//! binary entry of its own (raw FST bytes: JSON would triple them), tagged
//! with the fingerprint of the schema it was built with. It is written before
//! the schema, so a reader that finds a new schema finds its index too. A
//! stored index is attached only when its tag is the schema's fingerprint and
//! it was built with the source's `value_index_limit`; a schema whose index is
//! missing, stale or unreadable (an entry written before indexes existed, an
//! evicted Redis key, a changed limit) counts as incomplete and is
//! introspected again in full, once, like a changed schema (its answers are
//! kept when the fingerprint is unchanged). With `value_index_limit = 0` no
//! index is read or written. Renewing an entry's timestamp rewrites only the
//! schema.
//!
//! Redis keys `<prefix>:v1:schema:<source>` and `<prefix>:v1:values:<source>`;
//! disk `<cache.dir>/schemas/<source>.json` and `<source>.values`.

use std::collections::{BTreeMap, HashMap};
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
use crate::config::{GoldenExample, SourceSettings};
use crate::db::SourcePool;
use crate::plan::introspect::IntrospectOptions;
use crate::plan::introspect::{self, IntrospectError};
use crate::plan::schema::DatabaseSchema;
use crate::plan::values::{DEFAULT_VALUE_INDEX_LIMIT, ValueIndex};

const KIND: &str = "schema";
const VALUES_KIND: &str = "values";

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
    /// `value_index_limit` by source, from the configuration.
    value_index_limits: HashMap<String, usize>,
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
        sources: &BTreeMap<String, SourceSettings>,
    ) -> Self {
        let golden = sources.iter().map(|(name, source)| (name.clone(), source.examples.clone())).collect();
        let value_index_limits =
            sources.iter().map(|(name, source)| (name.clone(), source.value_index_limit)).collect();
        SchemaStore {
            memory: moka::future::Cache::builder().max_capacity(memory_entries).build(),
            redis,
            disk,
            prefix: prefix.to_string(),
            ttl,
            answers,
            golden,
            value_index_limits,
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
            (Some(a), Some(b)) => {
                Some(if b.validated_at_ms > a.validated_at_ms && self.is_complete(source, &b) { b } else { a })
            }
            (a, b) => a.or(b),
        };
        match newest {
            Some(entry) if !self.is_complete(source, &entry) => {
                info!(
                    source,
                    fingerprint = &entry.schema.fingerprint[..12],
                    "cached schema has no usable value index; introspecting again"
                );
                self.replace(source, Some(&entry.schema.fingerprint), pool).await
            }
            Some(entry) if self.is_fresh(&entry) => {
                self.memory.insert(source.to_string(), entry.clone()).await;
                self.seed(source, &entry.schema).await;
                Ok(entry.schema)
            }
            Some(entry) => {
                let current = introspect::fingerprint(source, pool).await?;
                if current == entry.schema.fingerprint {
                    let renewed = Entry { schema: entry.schema, validated_at_ms: now_ms() };
                    self.store(source, &renewed, false).await;
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
        let options = IntrospectOptions { value_index_limit: self.index_limit(source) };
        let schema = introspect::introspect_with(source, pool, &options).await?;
        let entry = Entry { schema: Arc::new(schema), validated_at_ms: now_ms() };
        self.store(source, &entry, true).await;
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

    fn index_limit(&self, source: &str) -> usize {
        self.value_index_limits.get(source).copied().unwrap_or(DEFAULT_VALUE_INDEX_LIMIT)
    }

    /// Whether the entry carries the value index this source is configured for (none when disabled).
    fn is_complete(&self, source: &str, entry: &Entry) -> bool {
        let limit = self.index_limit(source);
        limit == 0 || entry.schema.values.limit() == limit
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

    fn values_key(&self, source: &str) -> String {
        format!("{}:v{}:values:{source}", self.prefix, entry::VERSION)
    }

    fn disk_path(source: &str, extension: &str) -> Option<PathBuf> {
        crate::job::is_valid_id(source).then(|| PathBuf::from("schemas").join(format!("{source}.{extension}")))
    }

    /// Redis, then disk (which refills Redis when it answers); a level counts
    /// as a hit only with a complete entry, but an incomplete one is still
    /// returned when no level has better (the caller then introspects again).
    async fn read_shared(&self, source: &str, pool: &SourcePool) -> Option<Entry> {
        let mut incomplete = None;
        if self.redis.is_some() {
            match self.read_redis(source, pool).await {
                Some(entry) if self.is_complete(source, &entry) => {
                    record(KIND, Level::Redis, true);
                    return Some(entry);
                }
                partial => incomplete = partial,
            }
            record(KIND, Level::Redis, false);
        }
        let disk = self.read_disk(source, pool).await;
        let complete = disk.as_ref().is_some_and(|e| self.is_complete(source, e));
        record(KIND, Level::Disk, complete);
        match disk {
            Some(entry) if complete => {
                self.store_redis(source, &entry, true).await;
                Some(entry)
            }
            disk => incomplete.or(disk),
        }
    }

    async fn read_redis(&self, source: &str, pool: &SourcePool) -> Option<Entry> {
        let redis = self.redis.as_ref()?;
        let key = self.redis_key(source);
        let (schema, values) = if self.index_limit(source) > 0 {
            let mut found: Vec<Option<Vec<u8>>> =
                redis.cmd(redis::cmd("MGET").arg(&key).arg(self.values_key(source))).await.ok()?;
            let values = found.pop().flatten();
            (found.pop().flatten()?, values)
        } else {
            let schema: Option<Vec<u8>> = redis.cmd(redis::cmd("GET").arg(&key)).await.ok()?;
            (schema?, None)
        };
        self.decode(source, &key, &schema, values.as_deref(), pool, Level::Redis)
    }

    async fn read_disk(&self, source: &str, pool: &SourcePool) -> Option<Entry> {
        let schema = self.disk.read(&Self::disk_path(source, "json")?).await?;
        let values = match self.index_limit(source) {
            0 => None,
            _ => self.disk.read(&Self::disk_path(source, "values")?).await,
        };
        self.decode(source, &self.redis_key(source), &schema, values.as_deref(), pool, Level::Disk)
    }

    fn decode(
        &self,
        source: &str,
        key: &str,
        bytes: &[u8],
        values: Option<&[u8]>,
        pool: &SourcePool,
        level: Level,
    ) -> Option<Entry> {
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
        let schema = match values.and_then(|bytes| self.decode_values(source, &schema, bytes, level)) {
            Some(index) => schema.with_values(index),
            None => schema,
        };
        Some(Entry { schema: Arc::new(schema), validated_at_ms: stored.validated_at_ms })
    }

    /// The stored value index, when it belongs to `schema` and was built with this source's limit.
    fn decode_values(&self, source: &str, schema: &DatabaseSchema, bytes: &[u8], level: Level) -> Option<ValueIndex> {
        let opened = match entry::open_binary(VALUES_KIND, &self.values_key(source), bytes) {
            Ok(opened) => opened,
            Err(e) => {
                warn!(source, level = level.name(), reason = %e, "ignoring an invalid cached value index");
                return None;
            }
        };
        if opened.tag != schema.fingerprint {
            return None;
        }
        match ValueIndex::from_bytes(opened.body) {
            Ok(index) if index.limit() == self.index_limit(source) => Some(index),
            Ok(_) => None,
            Err(e) => {
                warn!(source, level = level.name(), reason = %e, "ignoring an invalid cached value index");
                None
            }
        }
    }

    /// Writes the entry at every level; `with_values` also writes its value
    /// index (first, so that the schema is never newer than its index).
    async fn store(&self, source: &str, entry: &Entry, with_values: bool) {
        self.memory.insert(source.to_string(), entry.clone()).await;
        self.store_redis(source, entry, with_values).await;
        if with_values
            && let Some(values) = self.seal_values(source, entry)
            && let Some(path) = Self::disk_path(source, "values")
        {
            self.disk.write(&path, values).await;
        }
        if let Some(path) = Self::disk_path(source, "json") {
            self.disk.write(&path, self.seal(source, entry)).await;
        }
    }

    async fn store_redis(&self, source: &str, entry: &Entry, with_values: bool) {
        if let Some(redis) = &self.redis {
            let mut pipe = redis::pipe();
            if with_values && let Some(values) = self.seal_values(source, entry) {
                pipe.cmd("SET").arg(self.values_key(source)).arg(values).ignore();
            }
            pipe.cmd("SET").arg(self.redis_key(source)).arg(self.seal(source, entry)).ignore();
            let _: Result<(), _> = redis.pipe(&pipe).await;
        }
    }

    /// The entry's value index as stored, or None when the source builds none.
    fn seal_values(&self, source: &str, entry: &Entry) -> Option<Vec<u8>> {
        let values = &entry.schema.values;
        (values.limit() > 0).then(|| {
            entry::seal_binary(VALUES_KIND, &self.values_key(source), &entry.schema.fingerprint, &values.to_bytes())
        })
    }

    fn seal(&self, source: &str, entry: &Entry) -> Vec<u8> {
        let stored = StoredSchemaRef { schema: &entry.schema, validated_at_ms: entry.validated_at_ms };
        entry::seal(KIND, &self.redis_key(source), &stored)
    }
}
