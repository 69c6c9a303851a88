//! The job manifest (DESIGN.md section 3): one record per question, job
//! statistics, written last and atomically. Its presence means the job is
//! done, so re-running a job whose manifest exists does no work.
//!
//! Every answered question's record carries an [`Interpretation`]: how the
//! question was read, in plain English when the synthesizer parsed it, and
//! the tables, columns and literal values its SQL uses. Fields added to the
//! contract later (`interpretation`, `stats.cached_tokens`) have defaults, so
//! manifests written before them still read.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::guard::{Literal, SqlUses};
use crate::secret::redact;

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
    /// How the question was understood; present exactly when `status` is
    /// `ok` (null otherwise, and absent from manifests written before it existed).
    #[serde(default)]
    pub interpretation: Option<Interpretation>,
    pub rows: u64,
    pub truncated: bool,
    pub columns: Vec<ColumnRecord>,
    /// The Parquet file name, relative to the job directory.
    pub file: Option<String>,
    pub elapsed_ms: u64,
    /// Which stage failed and why (`synthesis: ...`, `guard: ...`, `execution: ...`).
    pub error: Option<String>,
}

/// How a question was understood, for a reader who does not read SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interpretation {
    /// A plain-English restatement made from the parsed question ("count of
    /// customers where country is 'Brazil'"); null when the synthesizer did
    /// not parse it (LLM, pinned SQL, answers cached before restatements).
    #[serde(default)]
    pub restatement: Option<String>,
    /// The real tables the SQL reads (never aliases or CTE names).
    pub tables: Vec<String>,
    /// `table.column`, `table.*` for a star, or a bare `column` when the SQL
    /// does not say which of several tables holds it.
    pub columns: Vec<String>,
    /// The SQL's literal values, in order, once each: strings (dates too) as
    /// JSON strings, booleans as booleans, numbers as JSON numbers (as their
    /// SQL text, a string, when no JSON number says them exactly).
    pub values: Vec<Value>,
}

impl Interpretation {
    /// The interpretation of an answer: its synthesizer's restatement and
    /// what the guard read off its SQL. No configured secret survives in it.
    pub fn new(restatement: Option<&str>, uses: &SqlUses) -> Interpretation {
        let values = uses
            .values
            .iter()
            .map(|literal| match literal {
                Literal::Text(text) => Value::String(redact(text)),
                Literal::Number(number) => {
                    exact_number(number).map_or_else(|| Value::String(redact(number)), Value::Number)
                }
                Literal::Boolean(b) => Value::Bool(*b),
            })
            .collect();
        let redacted = |names: &[String]| names.iter().map(|name| redact(name)).collect();
        Interpretation {
            restatement: restatement.map(redact),
            tables: redacted(&uses.tables),
            columns: redacted(&uses.columns),
            values,
        }
    }

    /// The values as SQL would write them: text quoted (`'Brazil'`), numbers
    /// and booleans as they are.
    pub fn value_texts(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|value| match value {
                Value::String(text) => format!("'{text}'"),
                other => other.to_string(),
            })
            .collect()
    }

    /// What the SQL uses, on one line: `tables Customer; columns
    /// Customer.Country; values 'Brazil', 2023` (empty parts left out).
    pub fn uses_line(&self) -> String {
        let values = self.value_texts();
        let parts: Vec<String> = [("tables", &self.tables), ("columns", &self.columns), ("values", &values)]
            .into_iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(label, items)| format!("{label} {}", items.join(", ")))
            .collect();
        if parts.is_empty() { "no tables, columns or values".to_string() } else { parts.join("; ") }
    }
}

/// A JSON number saying exactly what the SQL number says, if there is one
/// (`19.90` is 19.9; `1e400` and 30-digit numbers stay text).
fn exact_number(text: &str) -> Option<serde_json::Number> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n.into());
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(n.into());
    }
    let number = serde_json::Number::from_f64(text.parse().ok()?)?;
    (plain_decimal(text)? == plain_decimal(&number.to_string())?).then_some(number)
}

/// A decimal without exponent in one spelling: no leading zeros before the
/// point but one, no trailing zeros after it, no point without decimals.
fn plain_decimal(text: &str) -> Option<String> {
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return None;
    }
    let (sign, digits) = text.strip_prefix('-').map_or(("", text), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    Some(if fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction}") })
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
    /// Chat-completion calls this job made (a call answers many questions).
    pub llm_calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Prompt tokens the provider reported as served from its prompt cache
    /// (absent from manifests written before it existed).
    #[serde(default)]
    pub cached_tokens: u64,
    pub cache_hits: u64,
}

/// LLM usage of one job, as the manifest's statistics report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LlmUsage {
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
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

    /// These statistics with the job's LLM usage.
    pub fn with_llm_usage(mut self, usage: LlmUsage) -> Stats {
        self.llm_calls = usage.calls;
        self.prompt_tokens = usage.prompt_tokens;
        self.completion_tokens = usage.completion_tokens;
        self.cached_tokens = usage.cached_tokens;
        self
    }
}

/// What older versions wrote as a `failed` question's error when the cause
/// was a fault that passes (they recorded it as final; this version retries).
const TRANSIENT_ERRORS: &[&str] = &[
    "pool timed out while waiting for an open connection",
    "error communicating with database",
    "connection refused",
    "connection reset",
    "broken pipe",
    "terminating connection due to administrator command",
    "server closed the connection unexpectedly",
    "no space left on device",
    "disk quota exceeded",
    "os error 28",
    "cannot connect",
];

impl QuestionRecord {
    /// True for a `failed` record whose error is a transient fault (a
    /// connection lost or refused, a pool timeout, a full disk): written by an
    /// older version, it is not final, and a re-run answers the question again.
    pub fn failed_transiently(&self) -> bool {
        self.status == Status::Failed
            && self.error.as_deref().is_some_and(|error| {
                let error = error.to_ascii_lowercase();
                TRANSIENT_ERRORS.iter().any(|pattern| error.contains(pattern))
            })
    }
}

impl Manifest {
    /// True when every question was answered.
    pub fn all_ok(&self) -> bool {
        self.stats.failed == 0 && self.stats.unanswered == 0
    }

    /// The manifest as written: pretty JSON and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a manifest always serializes");
        json.push(b'\n');
        json
    }

    /// Parses a manifest read from `location` (named in the error).
    pub fn from_bytes(bytes: &[u8], location: &str) -> std::io::Result<Manifest> {
        serde_json::from_slice(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{location}: {e}")))
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
            interpretation: (status == Status::Ok)
                .then(|| Interpretation::new(Some("count of things"), &SqlUses::default())),
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
        let records = vec![record("q1", Status::Ok), record("q2", Status::Unanswered)];
        let manifest = Manifest {
            job_id: "j".into(),
            started_at: DateTime::parse_from_rfc3339("2026-11-26T02:00:00Z").unwrap().with_timezone(&Utc),
            finished_at: DateTime::parse_from_rfc3339("2026-11-26T02:00:03Z").unwrap().with_timezone(&Utc),
            stats: Stats::tally(&records),
            questions: records,
        };
        let bytes = manifest.to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["started_at"], "2026-11-26T02:00:00Z");
        assert_eq!(json["questions"][0]["columns"][0]["type"], "Int64");
        assert_eq!(json["questions"][1]["status"], "unanswered");
        assert_eq!(json["questions"][0]["interpretation"]["restatement"], "count of things");
        assert_eq!(json["questions"][1]["interpretation"], Value::Null);
        assert_eq!(json["stats"]["ok"], 1);
        assert_eq!(json["stats"]["unanswered"], 1);
        assert_eq!(json["stats"]["cached_tokens"], 0);
        assert_eq!(Manifest::from_bytes(&bytes, "m").unwrap(), manifest);
        assert!(!manifest.all_ok());
    }

    #[test]
    fn llm_usage_lands_in_the_stats_and_old_manifests_still_read() {
        let usage = LlmUsage { calls: 2, prompt_tokens: 900, completion_tokens: 80, cached_tokens: 512 };
        let stats = Stats::tally(&[record("q1", Status::Ok)]).with_llm_usage(usage);
        assert_eq!((stats.ok, stats.llm_calls, stats.prompt_tokens, stats.cached_tokens), (1, 2, 900, 512));
        let old = r#"{"ok":1,"failed":0,"unanswered":0,"llm_calls":0,"prompt_tokens":0,"completion_tokens":0,"cache_hits":0}"#;
        assert_eq!(serde_json::from_str::<Stats>(old).unwrap().cached_tokens, 0);
    }

    #[test]
    fn interpretations_serialize_with_typed_values_and_read_back() {
        let uses = SqlUses {
            tables: vec!["Customer".into()],
            columns: vec!["Customer.Country".into()],
            values: vec![
                Literal::Text("Brazil".into()),
                Literal::Number("2023".into()),
                Literal::Number("-19.90".into()),
                Literal::Number("1e400".into()),
                Literal::Number("123456789012345678901234567890".into()),
                Literal::Boolean(true),
            ],
        };
        let interpretation = Interpretation::new(Some("customers where country is 'Brazil'"), &uses);
        let json = serde_json::to_value(&interpretation).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "restatement": "customers where country is 'Brazil'",
                "tables": ["Customer"], "columns": ["Customer.Country"],
                "values": ["Brazil", 2023, -19.9, "1e400", "123456789012345678901234567890", true]
            })
        );
        assert_eq!(serde_json::from_value::<Interpretation>(json).unwrap(), interpretation);
        assert_eq!(
            interpretation.uses_line(),
            "tables Customer; columns Customer.Country; values 'Brazil', 2023, -19.9, '1e400', \
             '123456789012345678901234567890', true"
        );
        let none = Interpretation::new(None, &SqlUses::default());
        assert_eq!(serde_json::to_value(&none).unwrap()["restatement"], Value::Null);
        assert_eq!(none.uses_line(), "no tables, columns or values");
    }

    #[test]
    fn no_configured_secret_survives_in_an_interpretation() {
        crate::secret::register("interp-canary-91ab");
        let uses = SqlUses {
            tables: vec!["t".into()],
            columns: vec!["t.a".into()],
            values: vec![Literal::Text("x interp-canary-91ab y".into())],
        };
        let json = serde_json::to_string(&Interpretation::new(Some("a interp-canary-91ab"), &uses)).unwrap();
        assert!(!json.contains("interp-canary-91ab"), "{json}");
        assert!(json.contains("x *** y"), "{json}");
    }

    #[test]
    fn numbers_become_json_numbers_only_when_exact() {
        for (sql, json) in [("0.5", "0.5"), (".5", "0.5"), ("100.00", "100.0"), ("007", "7"), ("19.99", "19.99")] {
            assert_eq!(exact_number(sql).map(|n| n.to_string()).as_deref(), Some(json), "{sql}");
        }
        for sql in ["1e3", "0.1234567890123456789", "99999999999999999999"] {
            assert_eq!(exact_number(sql), None, "{sql}");
        }
    }

    #[test]
    fn records_written_before_interpretations_still_read() {
        let mut json = serde_json::to_value(record("q1", Status::Ok)).unwrap();
        json.as_object_mut().unwrap().remove("interpretation");
        let old: QuestionRecord = serde_json::from_value(json).unwrap();
        assert_eq!(old.interpretation, None);
        let without_restatement = r#"{"tables":["Genre"],"columns":[],"values":[]}"#;
        let read: Interpretation = serde_json::from_str(without_restatement).unwrap();
        assert_eq!(read.restatement, None);
    }

    #[test]
    fn a_corrupt_manifest_is_an_error_naming_where_it_was_read() {
        let error = Manifest::from_bytes(b"{not json", "out/j/manifest.json").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        assert!(error.to_string().starts_with("out/j/manifest.json: "), "{error}");
    }
}
