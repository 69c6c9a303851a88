//! The job model (DESIGN.md section 2) and its validation. A job that passes
//! [`Job::parse`] has safe ids (they become file names), unique question ids,
//! and only sources this worker has configured; anything else is a
//! [`JobError`] naming the problem, and nothing is run or written.
//!
//! A scheduled job's id is `<schedule>-<tick in UTC, YYYYMMDDTHHMMSSZ>`
//! ([`scheduled_job_id`]); [`parse_scheduled_job_id`] reads one back, which is
//! how a report finds the previous run of the same schedule.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// Jobs larger than this (bytes of JSON) are rejected before parsing.
pub const MAX_JOB_BYTES: usize = 16 * 1024 * 1024;
/// Jobs with more questions than this are rejected.
pub const MAX_QUESTIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub job_id: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub source: String,
    pub question: String,
    /// Pinned, reviewed SQL: skips synthesis, still guarded and limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JobError {
    #[error("job is {size} bytes; the limit is {MAX_JOB_BYTES} bytes (16 MiB)")]
    TooLarge { size: usize },
    #[error("job is not valid JSON of the job format: {0}")]
    Malformed(String),
    #[error("job_id {0:?} is invalid: use 1-128 characters of [A-Za-z0-9._-], not starting with '.'")]
    BadJobId(String),
    #[error("job {job_id} has no questions")]
    Empty { job_id: String },
    #[error("job {job_id} has {count} questions; the limit is {MAX_QUESTIONS}")]
    TooManyQuestions { job_id: String, count: usize },
    #[error("question #{index}: id {id:?} is invalid: use 1-128 characters of [A-Za-z0-9._-], not starting with '.'")]
    BadQuestionId { index: usize, id: String },
    #[error("question {id}: the id is used more than once in the job")]
    DuplicateId { id: String },
    #[error("question {id}: source '{source_name}' is not configured")]
    UnknownSource { id: String, source_name: String },
    #[error("question {id}: the question text is empty")]
    EmptyQuestion { id: String },
}

/// True for 1-128 characters of `[A-Za-z0-9._-]` not starting with `.`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The format of the tick in a scheduled job's id (UTC); ids of one schedule
/// sort by tick as text.
const TICK_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// The length of a formatted tick.
const TICK_LEN: usize = "YYYYMMDDTHHMMSSZ".len();

/// The id of a scheduled job: `<schedule>-<tick in UTC as YYYYMMDDTHHMMSSZ>`,
/// the same for every scheduler handling this tick.
pub fn scheduled_job_id(schedule: &str, tick: DateTime<Utc>) -> String {
    format!("{schedule}-{}", tick.format(TICK_FORMAT))
}

/// The schedule name and tick of a scheduled job's id, `None` for any other id.
pub fn parse_scheduled_job_id(job_id: &str) -> Option<(&str, DateTime<Utc>)> {
    let split = job_id.len().checked_sub(TICK_LEN + 1)?;
    let (schedule, tick) = (job_id.get(..split)?, job_id.get(split + 1..)?);
    if schedule.is_empty() || job_id.as_bytes()[split] != b'-' {
        return None;
    }
    let tick = NaiveDateTime::parse_from_str(tick, TICK_FORMAT).ok()?.and_utc();
    Some((schedule, tick))
}

impl Job {
    /// Parses and validates a job; `is_source` says whether a source name is configured.
    pub fn parse(bytes: &[u8], is_source: impl Fn(&str) -> bool) -> Result<Job, JobError> {
        if bytes.len() > MAX_JOB_BYTES {
            return Err(JobError::TooLarge { size: bytes.len() });
        }
        // serde would read a struct from an array, field by field, and complain about its first element.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|&b| b != b'{') {
            let kind = match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(serde_json::Value::Array(_)) => "a JSON array",
                Ok(serde_json::Value::String(_)) => "a JSON string",
                Ok(serde_json::Value::Number(_)) => "a JSON number",
                Ok(serde_json::Value::Bool(_)) => "a JSON boolean",
                Ok(_) => "JSON null",
                Err(e) => return Err(JobError::Malformed(e.to_string())),
            };
            return Err(JobError::Malformed(format!(
                "the body is {kind}; it must be one job object, {{\"job_id\": ..., \"questions\": [...]}}"
            )));
        }
        let job: Job = serde_json::from_slice(bytes).map_err(|e| JobError::Malformed(e.to_string()))?;
        job.validate(is_source)?;
        Ok(job)
    }

    pub fn validate(&self, is_source: impl Fn(&str) -> bool) -> Result<(), JobError> {
        if !is_valid_id(&self.job_id) {
            return Err(JobError::BadJobId(self.job_id.clone()));
        }
        if self.questions.is_empty() {
            return Err(JobError::Empty { job_id: self.job_id.clone() });
        }
        if self.questions.len() > MAX_QUESTIONS {
            return Err(JobError::TooManyQuestions { job_id: self.job_id.clone(), count: self.questions.len() });
        }
        let mut seen = HashSet::with_capacity(self.questions.len());
        for (index, q) in self.questions.iter().enumerate() {
            if !is_valid_id(&q.id) {
                return Err(JobError::BadQuestionId { index, id: q.id.clone() });
            }
            if !seen.insert(q.id.as_str()) {
                return Err(JobError::DuplicateId { id: q.id.clone() });
            }
            if !is_source(&q.source) {
                return Err(JobError::UnknownSource { id: q.id.clone(), source_name: q.source.clone() });
            }
            if q.question.trim().is_empty() && q.sql.is_none() {
                return Err(JobError::EmptyQuestion { id: q.id.clone() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Job, JobError> {
        Job::parse(json.as_bytes(), |s| s == "chinook")
    }

    #[test]
    fn a_good_job_parses() {
        let job = parse(
            r#"{"job_id":"n-1","questions":[{"id":"q1","source":"chinook","question":"How many tracks?"},
            {"id":"q2","source":"chinook","question":"pinned","sql":"SELECT 1"}]}"#,
        )
        .unwrap();
        assert_eq!(job.questions.len(), 2);
        assert_eq!(job.questions[1].sql.as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn a_body_that_is_not_an_object_says_it_must_be_a_job_object() {
        for (body, kind) in [("[1, 2]", "a JSON array"), (" \"job\"", "a JSON string"), ("7", "a JSON number")] {
            let err = parse(body).unwrap_err().to_string();
            assert!(err.contains(kind) && err.contains("must be one job object"), "{body}: {err}");
        }
        assert!(parse("[1, ").unwrap_err().to_string().contains("not valid JSON"));
    }

    #[test]
    fn ids_that_could_escape_the_output_directory_are_rejected() {
        for bad in ["../etc", ".hidden", "a/b", "a\\b", "", "é", &"x".repeat(129)] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
        for good in ["q1", "nightly-2026-11-26", "a.b_c", &"x".repeat(128)] {
            assert!(is_valid_id(good), "{good:?}");
        }
        let err = parse(r#"{"job_id":"../x","questions":[{"id":"q","source":"chinook","question":"?"}]}"#).unwrap_err();
        assert!(matches!(err, JobError::BadJobId(_)));
        let err = parse(r#"{"job_id":"j","questions":[{"id":"../q","source":"chinook","question":"?"}]}"#).unwrap_err();
        assert!(err.to_string().contains("question #0"), "{err}");
    }

    #[test]
    fn each_defect_has_its_own_error() {
        let dup = parse(
            r#"{"job_id":"j","questions":[{"id":"q","source":"chinook","question":"a"},{"id":"q","source":"chinook","question":"b"}]}"#,
        );
        assert_eq!(dup.unwrap_err(), JobError::DuplicateId { id: "q".into() });
        let unknown = parse(r#"{"job_id":"j","questions":[{"id":"q","source":"sales","question":"a"}]}"#).unwrap_err();
        assert_eq!(unknown.to_string(), "question q: source 'sales' is not configured");
        let empty = parse(r#"{"job_id":"j","questions":[]}"#).unwrap_err();
        assert!(matches!(empty, JobError::Empty { .. }));
        let field =
            parse(r#"{"job_id":"j","questions":[{"id":"q","source":"chinook","question":"a","url":"postgres://x"}]}"#)
                .unwrap_err();
        assert!(field.to_string().contains("unknown field `url`"), "{field}");
        let top = parse(r#"{"job_id":"j","priority":1,"questions":[]}"#).unwrap_err();
        assert!(top.to_string().contains("unknown field `priority`"), "{top}");
        assert!(matches!(parse("not json").unwrap_err(), JobError::Malformed(_)));
    }

    #[test]
    fn scheduled_job_ids_read_back_into_their_schedule_and_tick() {
        let tick = DateTime::parse_from_rfc3339("2026-11-26T01:00:00Z").unwrap().with_timezone(&Utc);
        let id = scheduled_job_id("nightly-report", tick);
        assert_eq!(id, "nightly-report-20261126T010000Z");
        assert!(is_valid_id(&id));
        assert_eq!(parse_scheduled_job_id(&id), Some(("nightly-report", tick)));
        for other in ["example", "nightly-2026-11-26", "-20261126T010000Z", "n_20261126T010000Z", "n-20261399T010000Z"]
        {
            assert_eq!(parse_scheduled_job_id(other), None, "{other}");
        }
    }

    #[test]
    fn oversize_jobs_are_rejected_before_parsing() {
        let big = vec![b' '; MAX_JOB_BYTES + 1];
        assert!(matches!(Job::parse(&big, |_| true), Err(JobError::TooLarge { .. })));
        let questions: Vec<String> =
            (0..=MAX_QUESTIONS).map(|i| format!(r#"{{"id":"q{i}","source":"chinook","question":"a"}}"#)).collect();
        let json = format!(r#"{{"job_id":"j","questions":[{}]}}"#, questions.join(","));
        assert!(matches!(parse(&json), Err(JobError::TooManyQuestions { .. })));
    }
}
