//! The job manifest (DESIGN.md section 3): one record per question, job
//! statistics, written last and atomically. Its presence means the job is
//! done, so re-running a job whose manifest exists does no work.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::atomic;

/// The file name of a job's manifest inside its output directory.
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub job_id: String,
    #[serde(with = "rfc3339_seconds")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "rfc3339_seconds")]
    pub finished_at: DateTime<Utc>,
    pub questions: Vec<QuestionRecord>,
    pub stats: Stats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    Unanswered,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Unanswered => "unanswered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionRecord {
    pub id: String,
    pub source: String,
    pub question: String,
    pub status: Status,
    /// The SQL that ran (or was rejected); null when none was produced.
    pub sql: Option<String>,
    /// `pinned` | `cache` | `offline` | `llm`; null when none produced SQL.
    pub synthesizer: Option<String>,
    pub rows: u64,
    pub truncated: bool,
    pub columns: Vec<ColumnRecord>,
    /// The Parquet file name, relative to the job directory.
    pub file: Option<String>,
    pub elapsed_ms: u64,
    /// Which stage failed and why (`synthesis: ...`, `guard: ...`, `execution: ...`).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRecord {
    pub name: String,
    /// The Arrow type, e.g. `Utf8`, `Int64`, `Decimal128(10, 2)`.
    #[serde(rename = "type")]
    pub data_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub ok: u64,
    pub failed: u64,
    pub unanswered: u64,
    pub llm_calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cache_hits: u64,
}

impl Stats {
    /// Counts statuses and cache hits from the records; LLM usage is added by the caller.
    pub fn tally(records: &[QuestionRecord]) -> Stats {
        let mut stats = Stats::default();
        for r in records {
            match r.status {
                Status::Ok => stats.ok += 1,
                Status::Failed => stats.failed += 1,
                Status::Unanswered => stats.unanswered += 1,
            }
            if r.synthesizer.as_deref() == Some("cache") {
                stats.cache_hits += 1;
            }
        }
        stats
    }
}

impl Manifest {
    /// True when every question was answered.
    pub fn all_ok(&self) -> bool {
        self.stats.failed == 0 && self.stats.unanswered == 0
    }

    /// Writes `manifest.json` into `job_dir` atomically.
    pub fn write(&self, job_dir: &Path) -> std::io::Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        json.push(b'\n');
        atomic::write_file(&job_dir.join(MANIFEST_FILE), &json)
    }

    /// Reads the manifest of a finished job, if there is one.
    pub fn read(job_dir: &Path) -> std::io::Result<Option<Manifest>> {
        let path = job_dir.join(MANIFEST_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Timestamps as `2026-11-26T02:00:03Z` (UTC, whole seconds), as the contract shows.
mod rfc3339_seconds {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(serde::de::Error::custom)
    }
}

/// Formats a timestamp the way the manifest does.
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, status: Status) -> QuestionRecord {
        QuestionRecord {
            id: id.into(),
            source: "chinook".into(),
            question: "How many?".into(),
            status,
            sql: Some("SELECT 1".into()),
            synthesizer: Some("offline".into()),
            rows: 1,
            truncated: false,
            columns: vec![ColumnRecord { name: "n".into(), data_type: "Int64".into() }],
            file: Some(format!("{id}.parquet")),
            elapsed_ms: 3,
            error: None,
        }
    }

    #[test]
    fn manifest_round_trips_with_the_contract_field_names() {
        let dir = tempfile::tempdir().unwrap();
        let records = vec![record("q1", Status::Ok), record("q2", Status::Unanswered)];
        let manifest = Manifest {
            job_id: "j".into(),
            started_at: DateTime::parse_from_rfc3339("2026-11-26T02:00:00Z").unwrap().with_timezone(&Utc),
            finished_at: DateTime::parse_from_rfc3339("2026-11-26T02:00:03Z").unwrap().with_timezone(&Utc),
            stats: Stats::tally(&records),
            questions: records,
        };
        manifest.write(dir.path()).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(MANIFEST_FILE)).unwrap()).unwrap();
        assert_eq!(json["started_at"], "2026-11-26T02:00:00Z");
        assert_eq!(json["questions"][0]["columns"][0]["type"], "Int64");
        assert_eq!(json["questions"][1]["status"], "unanswered");
        assert_eq!(json["stats"]["ok"], 1);
        assert_eq!(json["stats"]["unanswered"], 1);
        assert_eq!(Manifest::read(dir.path()).unwrap().unwrap(), manifest);
        assert!(!manifest.all_ok());
    }

    #[test]
    fn a_missing_manifest_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), None);
    }
}
