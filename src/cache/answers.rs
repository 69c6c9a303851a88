//! The synthesized-SQL cache: key (source, schema fingerprint, normalized
//! question), value the SQL, the synthesizer that produced it and its
//! restatement of the question, if it made one (entries stored before
//! restatements existed read as having none).
//!
//! - Only offline and LLM answers are stored, and the pipeline stores one only
//!   after it ran successfully: failed answers are never cached.
//! - An offline answer carries the synthesizer's revision
//!   ([`OFFLINE_REVISION`]); one stored by another revision (or before
//!   revisions were stored) is a miss, so a new build reads the question anew.
//! - [`normalize_question`] folds harmless variants but keeps every literal,
//!   number, date and column word, so "customers in France" never hits the
//!   entry of "customers in Germany".
//! - Entries carry their full key inside the checked envelope
//!   ([`super::entry`]); one whose source, fingerprint or normalized question
//!   differs from what was asked, or whose synthesizer is not `offline`/`llm`,
//!   is ignored.
//! - The golden pairs of a source (`[[sources.NAME.examples]]`, reviewed SQL)
//!   seed the memory level under the source's current fingerprint whenever
//!   its schema is loaded or re-validated ([`AnswerCache::seed`]); they are
//!   configuration, so every worker has them and they never go to Redis or disk.
//! - A changed schema makes the old fingerprint's answers unreachable, and
//!   [`AnswerCache::invalidate_fingerprint`] deletes them from every level
//!   (Redis keeps a set of them per fingerprint, disk a directory).
//!
//! Redis keys: `<prefix>:v1:answer:<source>:<fingerprint>:<sha256(normalized)>`
//! and the set `<prefix>:v1:answers:<source>:<fingerprint>`; disk:
//! `<cache.dir>/answers/<source>/<fingerprint>/<sha256>.json`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use super::disk::DiskLevel;
use super::entry::{self, digest, now_ms};
use super::shared::SharedRedis;
use super::{Level, record};
use crate::config::GoldenExample;
use crate::synth::SynthesizerKind;
use crate::synth::normalize::normalize_question;
use crate::synth::offline::OFFLINE_REVISION;

const KIND: &str = "answer";

/// An answer found in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedAnswer {
    pub sql: String,
    /// Which synthesizer produced it originally (`Offline` or `Llm`), or
    /// `Pinned` for a golden pair from the configuration.
    pub synthesizer: SynthesizerKind,
    /// How that synthesizer restated the question, if it did.
    pub restatement: Option<String>,
}

/// What is stored: the whole key again, so a misplaced entry is recognised.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    source: String,
    fingerprint: String,
    question: String,
    sql: String,
    synthesizer: String,
    /// Absent from entries written before restatements, and when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    restatement: Option<String>,
    /// The offline synthesizer's revision that produced an offline answer
    /// (absent from LLM answers and from entries written before revisions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revision: Option<String>,
}

/// Cheap to clone; all clones share the levels.
#[derive(Clone)]
pub struct AnswerCache {
    inner: Arc<Inner>,
}

struct Inner {
    memory: moka::future::Cache<String, CachedAnswer>,
    redis: Option<Arc<SharedRedis>>,
    disk: DiskLevel,
    prefix: String,
    ttl: Option<Duration>,
}

/// Where one answer lives at each level.
struct Keys {
    normalized: String,
    memory: String,
    redis: String,
    index: String,
    /// None when the names are not safe path components (the disk level is then skipped).
    disk: Option<PathBuf>,
}

impl AnswerCache {
    pub(crate) fn new(
        memory_entries: u64,
        redis: Option<Arc<SharedRedis>>,
        disk: DiskLevel,
        prefix: &str,
        ttl: Option<Duration>,
    ) -> Self {
        let mut memory = moka::future::Cache::builder().max_capacity(memory_entries).support_invalidation_closures();
        if let Some(ttl) = ttl {
            memory = memory.time_to_live(ttl);
        }
        let inner = Inner { memory: memory.build(), redis, disk, prefix: prefix.to_string(), ttl };
        AnswerCache { inner: Arc::new(inner) }
    }

    fn keys(&self, source: &str, fingerprint: &str, question: &str) -> Keys {
        let normalized = normalize_question(question);
        let hash = digest(&normalized);
        let prefix = &self.inner.prefix;
        Keys {
            memory: format!("{source}\u{0}{fingerprint}\u{0}{normalized}"),
            redis: format!("{prefix}:v{}:answer:{source}:{fingerprint}:{hash}", entry::VERSION),
            index: answer_index(prefix, source, fingerprint),
            disk: safe_names(source, fingerprint).then(|| answer_dir(source, fingerprint).join(format!("{hash}.json"))),
            normalized,
        }
    }

    /// The cached answer for `question` on this schema, if any level has a valid one.
    pub async fn get(&self, source: &str, fingerprint: &str, question: &str) -> Option<CachedAnswer> {
        let keys = self.keys(source, fingerprint, question);
        if let Some(found) = self.inner.memory.get(&keys.memory).await {
            record(KIND, Level::Memory, true);
            return Some(found);
        }
        record(KIND, Level::Memory, false);
        if let Some(redis) = &self.inner.redis {
            let bytes: Result<Option<Vec<u8>>, _> = redis.cmd(redis::cmd("GET").arg(&keys.redis)).await;
            if let Ok(bytes) = bytes {
                let found = bytes.and_then(|b| self.decode(&keys, &b, Level::Redis));
                record(KIND, Level::Redis, found.is_some());
                if let Some(found) = found {
                    self.inner.memory.insert(keys.memory, found.clone()).await;
                    return Some(found);
                }
            }
        }
        let found = match &keys.disk {
            Some(path) => self.inner.disk.read(path).await.and_then(|bytes| self.decode(&keys, &bytes, Level::Disk)),
            None => None,
        };
        record(KIND, Level::Disk, found.is_some());
        let found = found?;
        self.inner.memory.insert(keys.memory.clone(), found.clone()).await;
        if let Some(redis) = &self.inner.redis {
            self.store_in_redis(redis, &keys, &found).await;
        }
        Some(found)
    }

    /// Stores an answer that ran successfully, with its synthesizer's
    /// restatement of the question. Only `Offline` and `Llm` answers are kept.
    pub async fn put(
        &self,
        source: &str,
        fingerprint: &str,
        question: &str,
        sql: &str,
        synthesizer: SynthesizerKind,
        restatement: Option<&str>,
    ) {
        if !matches!(synthesizer, SynthesizerKind::Offline | SynthesizerKind::Llm) || sql.trim().is_empty() {
            debug!(synthesizer = synthesizer.name(), "not cached: only synthesized answers are");
            return;
        }
        let keys = self.keys(source, fingerprint, question);
        let answer = CachedAnswer { sql: sql.to_string(), synthesizer, restatement: restatement.map(str::to_string) };
        self.inner.memory.insert(keys.memory.clone(), answer.clone()).await;
        if let Some(redis) = &self.inner.redis {
            self.store_in_redis(redis, &keys, &answer).await;
        }
        if let Some(path) = &keys.disk {
            let body = self.body(source, fingerprint, &keys, &answer);
            self.inner.disk.write(path, entry::seal(KIND, &keys.redis, &body)).await;
        }
    }

    /// Puts a source's golden (question, SQL) pairs in the memory level for this
    /// schema; a golden pair wins over a synthesized answer to the same question.
    pub async fn seed(&self, source: &str, fingerprint: &str, pairs: &[GoldenExample]) {
        for pair in pairs {
            let keys = self.keys(source, fingerprint, &pair.question);
            let answer =
                CachedAnswer { sql: pair.sql.clone(), synthesizer: SynthesizerKind::Pinned, restatement: None };
            self.inner.memory.insert(keys.memory, answer).await;
        }
    }

    /// Deletes every answer stored for `fingerprint` of `source`, at every level.
    pub async fn invalidate_fingerprint(&self, source: &str, fingerprint: &str) {
        let memory_prefix = format!("{source}\u{0}{fingerprint}\u{0}");
        if let Err(e) = self.inner.memory.invalidate_entries_if(move |key, _| key.starts_with(&memory_prefix)) {
            warn!(error = %e, "cannot invalidate answers in memory");
        }
        if let Some(redis) = &self.inner.redis {
            let index = answer_index(&self.inner.prefix, source, fingerprint);
            let members: Result<Vec<String>, _> = redis.cmd(redis::cmd("SMEMBERS").arg(&index)).await;
            if let Ok(members) = members {
                let mut pipe = redis::pipe();
                pipe.del(&index).ignore();
                for key in members.iter().filter(|k| k.starts_with(&format!("{}:", self.inner.prefix))) {
                    pipe.del(key).ignore();
                }
                let _: Result<(), _> = redis.pipe(&pipe).await;
            }
        }
        if safe_names(source, fingerprint) {
            self.inner.disk.remove_dir(&answer_dir(source, fingerprint)).await;
        }
    }

    async fn store_in_redis(&self, redis: &SharedRedis, keys: &Keys, answer: &CachedAnswer) {
        let (source, fingerprint) = split_memory_key(&keys.memory);
        let body = self.body(source, fingerprint, keys, answer);
        let sealed = entry::seal(KIND, &keys.redis, &body);
        let mut pipe = redis::pipe();
        let mut set = redis::cmd("SET");
        set.arg(&keys.redis).arg(sealed);
        if let Some(ttl) = self.inner.ttl {
            set.arg("PX").arg(ttl.as_millis() as u64);
        }
        pipe.add_command(set).ignore();
        pipe.sadd(&keys.index, &keys.redis).ignore();
        if let Some(ttl) = self.inner.ttl {
            pipe.pexpire(&keys.index, ttl.as_millis() as i64).ignore();
        }
        let _: Result<(), _> = redis.pipe(pipe.atomic()).await;
    }

    fn body(&self, source: &str, fingerprint: &str, keys: &Keys, answer: &CachedAnswer) -> AnswerBody {
        AnswerBody {
            source: source.to_string(),
            fingerprint: fingerprint.to_string(),
            question: keys.normalized.clone(),
            sql: answer.sql.clone(),
            synthesizer: answer.synthesizer.name().to_string(),
            restatement: answer.restatement.clone(),
            revision: (answer.synthesizer == SynthesizerKind::Offline).then(|| OFFLINE_REVISION.to_string()),
        }
    }

    /// Opens an entry and checks that it answers exactly this key; anything else is ignored with a warning.
    fn decode(&self, keys: &Keys, bytes: &[u8], level: Level) -> Option<CachedAnswer> {
        let refuse = |reason: String| {
            warn!(level = level.name(), key = %keys.redis, %reason, "ignoring an invalid cached answer");
            None
        };
        let opened = match entry::open::<AnswerBody>(KIND, &keys.redis, bytes) {
            Ok(opened) => opened,
            Err(e) => return refuse(e.to_string()),
        };
        if let Some(ttl) = self.inner.ttl
            && now_ms().saturating_sub(opened.stored_at_ms) > ttl.as_millis() as i64
        {
            return None;
        }
        let body = opened.value;
        let (source, fingerprint) = split_memory_key(&keys.memory);
        if body.source != source || body.fingerprint != fingerprint || body.question != keys.normalized {
            return refuse("stored for another source, schema or question".into());
        }
        let synthesizer = match body.synthesizer.as_str() {
            "offline" if body.revision.as_deref() != Some(OFFLINE_REVISION) => {
                debug!(level = level.name(), key = %keys.redis, "cached offline answer from another revision: synthesized again");
                return None;
            }
            "offline" => SynthesizerKind::Offline,
            "llm" => SynthesizerKind::Llm,
            other => return refuse(format!("synthesizer {other:?} is never cached")),
        };
        if body.sql.trim().is_empty() {
            return refuse("empty SQL".into());
        }
        Some(CachedAnswer { sql: body.sql, synthesizer, restatement: body.restatement })
    }
}

fn answer_index(prefix: &str, source: &str, fingerprint: &str) -> String {
    format!("{prefix}:v{}:answers:{source}:{fingerprint}", entry::VERSION)
}

/// Source names are validated ids and fingerprints hex, so both are safe path components.
fn safe_names(source: &str, fingerprint: &str) -> bool {
    crate::job::is_valid_id(source) && !fingerprint.is_empty() && fingerprint.bytes().all(|b| b.is_ascii_hexdigit())
}

fn answer_dir(source: &str, fingerprint: &str) -> PathBuf {
    PathBuf::from("answers").join(source).join(fingerprint)
}

/// (source, fingerprint) back out of a memory key.
fn split_memory_key(key: &str) -> (&str, &str) {
    let mut parts = key.splitn(3, '\u{0}');
    (parts.next().unwrap_or_default(), parts.next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_written_before_restatements_still_open() {
        let old = serde_json::json!({
            "source": "chinook", "fingerprint": "ab", "question": "customers", "sql": "SELECT 1", "synthesizer": "offline"
        });
        let sealed = entry::seal(KIND, "k", &old);
        let opened = entry::open::<AnswerBody>(KIND, "k", &sealed).expect("an old entry opens");
        assert_eq!(opened.value.restatement, None);
    }

    #[test]
    fn a_restatement_is_stored_only_when_there_is_one() {
        let body = |restatement: Option<&str>| AnswerBody {
            source: "chinook".into(),
            fingerprint: "ab".into(),
            question: "customers".into(),
            sql: "SELECT 1".into(),
            synthesizer: "offline".into(),
            restatement: restatement.map(str::to_string),
            revision: Some(OFFLINE_REVISION.into()),
        };
        let without = serde_json::to_value(body(None)).unwrap();
        assert!(without.get("restatement").is_none(), "entries without one look like older entries: {without}");
        let sealed = entry::seal(KIND, "k", &body(Some("count of customers")));
        let opened = entry::open::<AnswerBody>(KIND, "k", &sealed).unwrap();
        assert_eq!(opened.value.restatement.as_deref(), Some("count of customers"));
    }

    #[test]
    fn an_offline_answer_from_another_revision_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AnswerCache::new(10, None, DiskLevel::new(dir.path().to_path_buf()), "p", None);
        let keys = cache.keys("chinook", "ab", "How many customers?");
        let sealed = |synthesizer: &str, revision: Option<&str>| {
            let body = AnswerBody {
                source: "chinook".into(),
                fingerprint: "ab".into(),
                question: keys.normalized.clone(),
                sql: "SELECT 1".into(),
                synthesizer: synthesizer.into(),
                restatement: None,
                revision: revision.map(str::to_string),
            };
            entry::seal(KIND, &keys.redis, &body)
        };
        let open = |bytes: Vec<u8>| cache.decode(&keys, &bytes, Level::Disk);
        assert!(open(sealed("offline", Some(OFFLINE_REVISION))).is_some());
        assert!(open(sealed("offline", Some("0.0.1+r0"))).is_none(), "an older reading is synthesized again");
        assert!(open(sealed("offline", None)).is_none(), "entries from before revisions are synthesized again");
        assert!(open(sealed("llm", None)).is_some(), "LLM answers do not depend on the offline revision");
    }
}
