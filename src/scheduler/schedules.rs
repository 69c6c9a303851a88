//! `jobs/schedules.toml`: what `sqlsynth scheduler` runs, and when.
//!
//! ```toml
//! [[schedule]]
//! name = "nightly-report"          # 1-111 characters of [A-Za-z0-9._-]; part of every job id
//! cron = "0 0 2 * * *"             # the cron crate's syntax: sec min hour day-of-month month day-of-week [year]
//! timezone = "Europe/Paris"        # IANA name (chrono-tz); default "UTC"
//! job = "jobs/nightly.json"        # action 1: publish this job file (path relative to the working directory)
//!
//! [[schedule]]
//! name = "warm-chinook"
//! cron = "0 30 1 * * *"
//! warm = ["chinook"]               # action 2: warm the caches of these sources
//! ```
//!
//! Every entry has exactly one action. Everything is checked when the file
//! is loaded (the job files too: they must parse and name configured
//! sources), and an error names the file, the entry and the key.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::Settings;
use crate::job::{Job, is_valid_id};

/// The default location of the schedules file.
pub const DEFAULT_PATH: &str = "jobs/schedules.toml";
/// Longest schedule name: the job id adds `-YYYYMMDDTHHMMSSZ` (17 characters) and must stay within 128.
pub const MAX_NAME_LEN: usize = 128 - 17;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("cannot read schedules file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("schedules file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("schedules file {path}: schedule {entry}: key `{key}`: {message}")]
    Invalid { path: String, entry: String, key: String, message: String },
}

/// What a schedule does at each tick.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Publish this job file, with the tick's job id.
    Publish { job: PathBuf },
    /// Refresh these sources' schemas and pre-synthesize the scheduled jobs' questions on them.
    Warm { sources: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub cron: cron::Schedule,
    pub timezone: Tz,
    pub action: Action,
}

#[derive(Debug, Clone)]
pub struct Schedules {
    /// Where they were read from (for messages).
    pub origin: String,
    pub entries: Vec<Schedule>,
}

impl Schedule {
    /// `<name>-<tick in UTC as YYYYMMDDTHHMMSSZ>`: the same for every scheduler handling this tick.
    pub fn job_id(&self, tick: DateTime<Utc>) -> String {
        crate::job::scheduled_job_id(&self.name, tick)
    }

    /// The latest tick in `(after, until]` and how many ticks that interval holds.
    pub fn latest_tick(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Option<(DateTime<Utc>, usize)> {
        let mut latest = None;
        let mut count = 0;
        for tick in self.cron.after(&after.with_timezone(&self.timezone)) {
            let tick = tick.with_timezone(&Utc);
            if tick > until {
                break;
            }
            latest = Some(tick);
            count += 1;
        }
        latest.map(|tick| (tick, count))
    }

    /// The first tick strictly after `after`.
    pub fn next_tick(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.after(&after.with_timezone(&self.timezone)).next().map(|t| t.with_timezone(&Utc))
    }
}

impl Schedules {
    /// Reads and checks `path` against the configuration.
    pub fn load(path: &Path, settings: &Settings) -> Result<Schedules, ScheduleError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ScheduleError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, &path.display().to_string(), settings)
    }

    /// Parses and checks schedules text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, settings: &Settings) -> Result<Schedules, ScheduleError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ScheduleError::Parse { path: origin.into(), message: e.to_string() })?;
        let invalid = |entry: &str, key: &str, message: String| ScheduleError::Invalid {
            path: origin.into(),
            entry: entry.into(),
            key: key.into(),
            message,
        };
        if let Some(key) = table.keys().find(|k| *k != "schedule") {
            return Err(invalid("-", key, "unknown top-level key; schedules are [[schedule]] tables".into()));
        }
        let raw_entries = match table.get("schedule") {
            None => Vec::new(),
            Some(toml::Value::Array(entries)) => entries.clone(),
            Some(_) => return Err(invalid("-", "schedule", "must be an array of tables: [[schedule]]".into())),
        };
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(raw_entries.len());
        for (index, raw) in raw_entries.iter().enumerate() {
            let position = format!("#{}", index + 1);
            let Some(raw) = raw.as_table() else {
                return Err(invalid(&position, "schedule", "must be a table".into()));
            };
            let string = |entry: &str, key: &str| -> Result<Option<String>, ScheduleError> {
                match raw.get(key) {
                    None => Ok(None),
                    Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                    Some(_) => Err(invalid(entry, key, "must be a string".into())),
                }
            };
            let name = string(&position, "name")?.ok_or_else(|| invalid(&position, "name", "is missing".into()))?;
            if !is_valid_id(&name) || name.len() > MAX_NAME_LEN {
                return Err(invalid(
                    &position,
                    "name",
                    format!("{name:?} must be 1-{MAX_NAME_LEN} characters of [A-Za-z0-9._-], not starting with '.'"),
                ));
            }
            let entry = format!("'{name}'");
            if !seen.insert(name.clone()) {
                return Err(invalid(&entry, "name", "is used by an earlier schedule".into()));
            }
            if let Some(key) = raw.keys().find(|k| !["name", "cron", "timezone", "job", "warm"].contains(&k.as_str())) {
                return Err(invalid(&entry, key, "unknown key (expected name, cron, timezone, job or warm)".into()));
            }
            let cron_text = string(&entry, "cron")?.ok_or_else(|| invalid(&entry, "cron", "is missing".into()))?;
            let cron = cron::Schedule::from_str(&cron_text).map_err(|e| {
                invalid(&entry, "cron", format!("{cron_text:?} is not a cron expression with seconds ({e})"))
            })?;
            let timezone = match string(&entry, "timezone")? {
                None => Tz::UTC,
                Some(zone) => Tz::from_str(&zone)
                    .map_err(|_| invalid(&entry, "timezone", format!("{zone:?} is not an IANA time zone")))?,
            };
            let action = match (raw.get("job"), raw.get("warm")) {
                (Some(_), Some(_)) => {
                    return Err(invalid(&entry, "warm", "a schedule has one action: `job` or `warm`, not both".into()));
                }
                (None, None) => return Err(invalid(&entry, "job", "is missing (or give `warm`)".into())),
                (Some(_), None) => {
                    let job = PathBuf::from(string(&entry, "job")?.unwrap_or_default());
                    load_job(&job, settings).map_err(|message| invalid(&entry, "job", message))?;
                    Action::Publish { job }
                }
                (None, Some(value)) => {
                    let sources: Option<Vec<String>> = value
                        .as_array()
                        .and_then(|items| items.iter().map(|v| v.as_str().map(str::to_string)).collect());
                    let sources =
                        sources.ok_or_else(|| invalid(&entry, "warm", "must be a list of source names".into()))?;
                    if sources.is_empty() {
                        return Err(invalid(&entry, "warm", "names no source".into()));
                    }
                    if let Some(unknown) = sources.iter().find(|s| settings.source(s).is_none()) {
                        return Err(invalid(&entry, "warm", format!("source '{unknown}' is not configured")));
                    }
                    Action::Warm { sources }
                }
            };
            entries.push(Schedule { name, cron, timezone, action });
        }
        Ok(Schedules { origin: origin.into(), entries })
    }

    /// The jobs of every publishing schedule, read now (for warming).
    pub fn publish_jobs(&self, settings: &Settings) -> Result<Vec<Job>, ScheduleError> {
        self.entries
            .iter()
            .filter_map(|schedule| match &schedule.action {
                Action::Publish { job } => Some(load_job(job, settings).map_err(|message| ScheduleError::Invalid {
                    path: self.origin.clone(),
                    entry: format!("'{}'", schedule.name),
                    key: "job".into(),
                    message,
                })),
                Action::Warm { .. } => None,
            })
            .collect()
    }
}

/// Reads and validates a job file against the configured sources.
pub fn load_job(path: &Path, settings: &Settings) -> Result<Job, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read job file {}: {e}", path.display()))?;
    Job::parse(&bytes, |s| settings.source(s).is_some()).map_err(|e| format!("job file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_toml("[sources.chinook]\nurl = \"sqlite://x.db\"\n", "t", None, &[]).unwrap()
    }

    fn parse(text: &str) -> Result<Schedules, ScheduleError> {
        Schedules::parse(text, "s.toml", &settings())
    }

    #[test]
    fn errors_name_the_entry_and_the_key() {
        let cases = [
            ("[[schedule]]\nname = \"a\"\ncron = \"nope\"\nwarm = [\"chinook\"]\n", "'a'", "cron"),
            (
                "[[schedule]]\nname = \"a\"\ncron = \"0 0 2 * * *\"\ntimezone = \"Mars/Olympus\"\nwarm = [\"chinook\"]\n",
                "'a'",
                "timezone",
            ),
            ("[[schedule]]\nname = \"a\"\ncron = \"0 0 2 * * *\"\nwarm = [\"sales\"]\n", "'a'", "warm"),
            ("[[schedule]]\nname = \"a\"\ncron = \"0 0 2 * * *\"\n", "'a'", "job"),
            ("[[schedule]]\nname = \"a\"\ncron = \"0 0 2 * * *\"\njob = \"no/such.json\"\n", "'a'", "job"),
            ("[[schedule]]\nname = \"a\"\ncron = \"0 0 2 * * *\"\nwarm = [\"chinook\"]\nevery = 1\n", "'a'", "every"),
            ("[[schedule]]\nname = \"../x\"\ncron = \"0 0 2 * * *\"\nwarm = [\"chinook\"]\n", "#1", "name"),
            ("[[schedule]]\ncron = \"0 0 2 * * *\"\nwarm = [\"chinook\"]\n", "#1", "name"),
        ];
        for (text, entry, key) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(&format!("schedule {entry}: key `{key}`")), "{text}: {err}");
        }
        let twice = "[[schedule]]\nname = \"a\"\ncron = \"0 0 2 * * *\"\nwarm = [\"chinook\"]\n".repeat(2);
        assert!(parse(&twice).unwrap_err().to_string().contains("earlier schedule"));
    }

    #[test]
    fn ticks_follow_the_time_zone_and_job_ids_use_utc() {
        let text = "[[schedule]]\nname = \"nightly\"\ncron = \"0 0 2 * * *\"\ntimezone = \"Europe/Paris\"\nwarm = [\"chinook\"]\n";
        let schedules = parse(text).unwrap();
        let schedule = &schedules.entries[0];
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 02:00 in Paris in winter is 01:00 UTC.
        assert_eq!(schedule.next_tick(at("2026-11-26T00:00:00Z")), Some(at("2026-11-26T01:00:00Z")));
        let (latest, count) = schedule.latest_tick(at("2026-11-20T00:00:00Z"), at("2026-11-26T12:00:00Z")).unwrap();
        assert_eq!((latest, count), (at("2026-11-26T01:00:00Z"), 7));
        let job_id = schedule.job_id(latest);
        assert_eq!(job_id, "nightly-20261126T010000Z");
        assert!(is_valid_id(&job_id));
        assert!(schedule.latest_tick(at("2026-11-26T01:00:00Z"), at("2026-11-26T12:00:00Z")).is_none());
    }
}
