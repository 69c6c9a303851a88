//! Configuration: `sqlsynth.toml` plus `SQLSYNTH__SECTION__KEY` environment
//! overrides, validated once into typed [`Settings`]. Nothing downstream
//! re-validates. Errors name the offending key, never its secret value.
//!
//! Secrets come only from here: database URLs (held as [`SecretUrl`], with
//! `${VAR}` expanded from the environment) and the LLM API key (read from the
//! variable that `synth.api_key_env` names). Jobs can only name a source.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::dialect::Dialect;
use crate::secret::{SecretString, SecretUrl};
use crate::sink::output::OutputLocation;

mod file;

/// The prefix of environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "SQLSYNTH__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub sources: BTreeMap<String, SourceSettings>,
    pub synth: SynthSettings,
    pub exec: ExecSettings,
    pub cache: CacheSettings,
    pub queue: QueueSettings,
    pub scheduler: SchedulerSettings,
    pub output: OutputSettings,
    pub metrics: MetricsSettings,
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub name: String,
    pub dialect: Dialect,
    pub url: SecretUrl,
    pub max_connections: u32,
    /// Longest wait for a connection (a new one or one from the pool). A host
    /// that refuses or does not resolve fails at once with that cause instead.
    pub acquire_timeout_ms: u64,
    /// Lower-cased word -> table or column name it stands for.
    pub glossary: BTreeMap<String, String>,
    /// Golden question/SQL pairs for the LLM's prompt context (`[[sources.NAME.examples]]`).
    pub examples: Vec<GoldenExample>,
    /// Most values in the source's value index (`crate::plan::values`); 0 builds none.
    pub value_index_limit: usize,
}

/// A reviewed question and its SQL, shown to the LLM as an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenExample {
    pub question: String,
    pub sql: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Offline,
    OpenAi,
}

#[derive(Debug, Clone)]
pub struct SynthSettings {
    pub provider: Provider,
    pub base_url: String,
    pub model: String,
    pub api_key_env: String,
    /// Present when the provider needs it and the variable is set.
    pub api_key: Option<SecretString>,
    pub fast_path: bool,
    pub max_questions_per_call: u32,
    pub max_repair_attempts: u32,
    /// Offline answers scoring below this abstain.
    pub min_confidence: f32,
    /// Chat-completion calls in flight at once, across all jobs of the process.
    pub max_calls_in_flight: usize,
    /// Timeout of one HTTP request to the endpoint.
    pub request_timeout_ms: u64,
    /// Retries of one call after a 429, a 5xx, a timeout or a connection error.
    pub max_retries: u32,
    /// Token budget of a group's shared prompt (instructions, schema, examples).
    pub prompt_budget_tokens: usize,
    /// Consecutive failed requests (5xx, timeouts, connection errors) that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long an open circuit fails calls at once before one trial call is let through.
    pub breaker_cooldown_ms: u64,
    pub temperature: f32,
}

#[derive(Debug, Clone)]
pub struct ExecSettings {
    pub max_concurrency: usize,
    pub statement_timeout_ms: u64,
    pub max_rows: u64,
    /// Rows per Arrow record batch (bounds memory per query in flight).
    pub batch_rows: usize,
    /// Bytes of values per Arrow record batch: a batch ends at `batch_rows` rows or this many bytes.
    pub batch_bytes: usize,
    /// Bytes of values in one answer; a larger answer fails its question (never the process).
    pub max_answer_bytes: u64,
    /// Attempts after the first for transient errors.
    pub max_retries: u32,
}

/// `[cache]`: the shared caches (see `crate::cache`).
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// The shared level (L2); `None` leaves memory and disk.
    pub redis_url: Option<SecretUrl>,
    /// The disk level (L3).
    pub dir: PathBuf,
    /// Most entries the memory level keeps, per cache (schemas, answers).
    pub memory_entries: u64,
    /// A cached schema is re-validated (structure-only fingerprint) once it is this old.
    pub schema_ttl_ms: u64,
    /// Synthesized answers expire this long after they were stored (0: never).
    pub answer_ttl_secs: u64,
    /// Longest wait for one Redis operation; beyond it Redis counts as down.
    pub redis_timeout_ms: u64,
    /// Prefix of every Redis key (`<prefix>:schema:...`), so deployments can share a Redis.
    pub key_prefix: String,
}

/// `[scheduler]`: how `sqlsynth scheduler` treats ticks (see `crate::source::schedule`).
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// A tick missed while no scheduler ran is still handled when at most this old.
    pub grace_ms: u64,
    /// How long the per-tick lock (and so the memory that a tick was handled) lives in Redis.
    pub lock_ttl_ms: u64,
}

#[derive(Debug, Clone)]
pub struct QueueSettings {
    pub url: SecretUrl,
    pub jobs_queue: String,
    pub results_exchange: String,
    pub prefetch: u16,
    pub max_deliveries: u32,
    /// Delay before the first redelivery after a job-level failure; doubles
    /// (with jitter) at each further one. 0 requeues at once.
    pub retry_delay_ms: u64,
    /// Longest redelivery delay.
    pub retry_delay_max_ms: u64,
    /// How long SIGTERM waits for jobs in flight before requeueing them.
    pub drain_timeout_ms: u64,
    /// When true, a result message that no queue is bound for (returned by the
    /// broker) fails the job (requeue); when false it is logged and the job is
    /// acked, the manifest on disk being the durable result.
    pub require_results_route: bool,
}

#[derive(Debug, Clone)]
pub struct OutputSettings {
    /// A local directory or an object store URL (`s3://bucket/prefix`).
    pub root: OutputLocation,
    /// Write `report.html` beside each job's manifest.
    pub report: bool,
    /// Rows read from each answer for its report table and chart.
    pub report_rows: usize,
}

#[derive(Debug, Clone)]
pub struct MetricsSettings {
    pub listen: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    pub fn parse(value: &str) -> Option<LogFormat> {
        match value {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// The configuration used when no file is given and `./sqlsynth.toml` does not
/// exist: the bundled SQLite demo database and the offline synthesizer.
pub const EMBEDDED_DEFAULT: &str = r#"
[sources.chinook]
url = "sqlite://jobs/demo/chinook.sqlite"
max_connections = 4
"#;

impl Settings {
    /// Loads the configuration the CLI contract describes: `explicit` (from
    /// `--config`), else `SQLSYNTH_CONFIG`, else `./sqlsynth.toml`, else the
    /// embedded default; then applies environment overrides.
    pub fn load(explicit: Option<&Path>) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let from_env = std::env::var_os("SQLSYNTH_CONFIG").map(PathBuf::from);
        let path = explicit.map(Path::to_path_buf).or(from_env);
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                Self::from_toml(&text, &path.display().to_string(), path.parent(), &env)
            }
            None => {
                let default = PathBuf::from("sqlsynth.toml");
                if default.is_file() {
                    let text = std::fs::read_to_string(&default)
                        .map_err(|source| ConfigError::Read { path: default.clone(), source })?;
                    Self::from_toml(&text, "sqlsynth.toml", Some(Path::new(".")), &env)
                } else {
                    Self::from_toml(EMBEDDED_DEFAULT, "<embedded default>", Some(Path::new(".")), &env)
                }
            }
        }
    }

    /// Parses and validates configuration text. `base_dir` anchors relative
    /// SQLite paths and directories; `env` supplies overrides and `${VAR}`s.
    pub fn from_toml(
        text: &str,
        origin: &str,
        base_dir: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        file::parse(text, origin, base_dir.unwrap_or(Path::new(".")), env)
    }

    pub fn source(&self, name: &str) -> Option<&SourceSettings> {
        self.sources.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_toml(text, "test.toml", None, &env)
    }

    #[test]
    fn defaults_fill_every_section() {
        let s = load("[sources.demo]\nurl = \"sqlite://x.db\"\n", &[]).unwrap();
        assert_eq!(s.exec.max_concurrency, 16);
        assert_eq!(s.exec.max_rows, 1_000_000);
        assert_eq!(s.queue.jobs_queue, "sqlsynth.jobs");
        assert_eq!(s.synth.provider, Provider::Offline);
        assert_eq!(s.sources["demo"].dialect, Dialect::Sqlite);
        assert_eq!(s.sources["demo"].value_index_limit, 200_000);
    }

    #[test]
    fn the_value_index_limit_is_per_source_and_bounded() {
        let s = load(
            "[sources.a]\nurl = \"sqlite://a.db\"\nvalue_index_limit = 0\n[sources.b]\nurl = \"sqlite://b.db\"\n",
            &[("SQLSYNTH__SOURCES__B__VALUE_INDEX_LIMIT", "1000000")],
        )
        .unwrap();
        assert_eq!((s.sources["a"].value_index_limit, s.sources["b"].value_index_limit), (0, 1_000_000));
        let err = load("[sources.a]\nurl = \"sqlite://a.db\"\nvalue_index_limit = 20000000\n", &[]).unwrap_err();
        assert!(err.to_string().contains("sources.a.value_index_limit"), "{err}");
        let err = load("[sources.a]\nurl = \"sqlite://a.db\"\nvalue_index_limit = -1\n", &[]).unwrap_err();
        assert!(err.to_string().contains("value_index_limit"), "{err}");
    }

    #[test]
    fn fault_settings_have_defaults_and_are_checked_by_name() {
        let s = load("[sources.a]\nurl = \"postgres://h/db\"\n", &[]).unwrap();
        assert_eq!(s.sources["a"].acquire_timeout_ms, 30_000);
        assert_eq!((s.exec.batch_bytes, s.exec.max_answer_bytes), (64 << 20, 1 << 30));
        assert_eq!((s.queue.retry_delay_ms, s.queue.retry_delay_max_ms), (10_000, 300_000));
        let s = load(
            "[sources.a]\nurl = \"postgres://h/db\"\nacquire_timeout_ms = 500\n[queue]\nretry_delay_ms = 0\n",
            &[("SQLSYNTH__EXEC__MAX_ANSWER_BYTES", "1000")],
        )
        .unwrap();
        assert_eq!(
            (s.sources["a"].acquire_timeout_ms, s.exec.max_answer_bytes, s.queue.retry_delay_ms),
            (500, 1000, 0)
        );
        for (text, key) in [
            ("[sources.a]\nurl = \"postgres://h/db\"\nacquire_timeout_ms = 0\n", "sources.a.acquire_timeout_ms"),
            ("[exec]\nbatch_bytes = 0\n", "exec.batch_bytes"),
            ("[exec]\nbatch_bytes = 2000000000\n", "exec.batch_bytes"),
            ("[exec]\nmax_answer_bytes = 0\n", "exec.max_answer_bytes"),
            ("[queue]\nretry_delay = 5\n", "retry_delay"),
        ] {
            let err = load(text, &[]).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn environment_overrides_any_key() {
        let s = load(
            "[sources.demo]\nurl = \"sqlite://x.db\"\n[exec]\nmax_rows = 5\n",
            &[
                ("SQLSYNTH__EXEC__MAX_ROWS", "7"),
                ("SQLSYNTH__OUTPUT__ROOT", "/tmp/o"),
                ("SQLSYNTH__SOURCES__PG__URL", "postgres://h/db"),
            ],
        )
        .unwrap();
        assert_eq!(s.exec.max_rows, 7);
        assert_eq!(s.output.root, OutputLocation::Local(PathBuf::from("/tmp/o")));
        assert_eq!(s.sources["pg"].dialect, Dialect::Postgres);
    }

    #[test]
    fn reports_are_on_by_default_and_their_rows_bounded() {
        let s = load("[sources.a]\nurl = \"sqlite://a.db\"\n", &[]).unwrap();
        assert!(s.output.report);
        assert_eq!(s.output.report_rows, crate::sink::report::DEFAULT_REPORT_ROWS);
        let s = load(
            "[sources.a]\nurl = \"sqlite://a.db\"\n[output]\nreport = false\n",
            &[("SQLSYNTH__OUTPUT__REPORT_ROWS", "20")],
        )
        .unwrap();
        assert_eq!((s.output.report, s.output.report_rows), (false, 20));
        let err = load("[output]\nreport_rows = 0\n", &[]).unwrap_err().to_string();
        assert!(err.contains("output.report_rows"), "{err}");
    }

    #[test]
    fn errors_name_the_key() {
        let err = load("[exec]\nmax_rowz = 1\n", &[]).unwrap_err().to_string();
        assert!(err.contains("max_rowz"), "{err}");
        let err = load("[sources.x]\nurl = \"oracle://h\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("sources.x.url"), "{err}");
        let err = load("[exec]\nmax_concurrency = 0\n", &[]).unwrap_err().to_string();
        assert!(err.contains("exec.max_concurrency"), "{err}");
        let err = load("[synth]\nprovider = \"magic\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("synth.provider"), "{err}");
    }

    #[test]
    fn url_variables_expand_and_stay_secret() {
        let s = load("[sources.pg]\nurl = \"postgres://app:${PGPASS}@h/db\"\n", &[("PGPASS", "canary-pw-42")]).unwrap();
        let url = &s.sources["pg"].url;
        assert!(url.expose().contains("canary-pw-42"));
        assert!(!format!("{s:?}").contains("canary-pw-42"));
        let err = load("[sources.pg]\nurl = \"postgres://app:${NOPE_NOT_SET}@h/db\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("NOPE_NOT_SET") && err.contains("sources.pg.url"), "{err}");
    }

    #[test]
    fn cache_and_scheduler_keys_are_checked_by_name() {
        let s = load("[cache]\nredis_url = \"redis://127.0.0.1:6379\"\nschema_ttl_ms = 5\n", &[]).unwrap();
        assert_eq!(s.cache.schema_ttl_ms, 5);
        assert_eq!(s.cache.key_prefix, "sqlsynth");
        assert!(s.scheduler.lock_ttl_ms > s.scheduler.grace_ms);
        for (text, key) in [
            ("[cache]\nredis_url = \"http://h\"\n", "cache.redis_url"),
            ("[cache]\nmemory_entries = 0\n", "cache.memory_entries"),
            ("[cache]\nkey_prefix = \"a:b\"\n", "cache.key_prefix"),
            ("[cache]\nredis_timeout_ms = 0\n", "cache.redis_timeout_ms"),
            ("[scheduler]\ngrace_ms = 10\nlock_ttl_ms = 10\n", "scheduler.lock_ttl_ms"),
        ] {
            let err = load(text, &[]).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn llm_settings_and_golden_examples_validate_by_key() {
        let text = "[sources.c]\nurl = \"sqlite://x.db\"\n[[sources.c.examples]]\nquestion = \"How many?\"\n\
                    sql = \"SELECT 1\"\n[synth]\nprovider = \"openai\"\napi_key_env = \"K\"\nmax_calls_in_flight = 3\n";
        let s = load(text, &[("K", "sk-test-key")]).unwrap();
        assert_eq!(
            s.sources["c"].examples,
            vec![GoldenExample { question: "How many?".into(), sql: "SELECT 1".into() }]
        );
        assert_eq!((s.synth.max_calls_in_flight, s.synth.max_retries, s.synth.prompt_budget_tokens), (3, 4, 6_000));
        let err =
            load("[sources.c]\nurl = \"sqlite://x.db\"\n[[sources.c.examples]]\nquestion = \"Q\"\nsql = \" \"\n", &[])
                .unwrap_err()
                .to_string();
        assert!(err.contains("sources.c.examples[0].sql"), "{err}");
        let err = load("[synth]\nmax_calls_in_flight = 0\n", &[]).unwrap_err().to_string();
        assert!(err.contains("synth.max_calls_in_flight"), "{err}");
        let err = load("[synth]\nprompt_budget_tokens = 10\n", &[]).unwrap_err().to_string();
        assert!(err.contains("synth.prompt_budget_tokens"), "{err}");
    }

    #[test]
    fn openai_without_key_is_rejected() {
        let err = load("[synth]\nprovider = \"openai\"\napi_key_env = \"SQLSYNTH_TEST_NO_KEY\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SQLSYNTH_TEST_NO_KEY"), "{err}");
    }

    #[test]
    fn relative_sqlite_paths_follow_the_config_file() {
        let env = vec![];
        let s = Settings::from_toml(
            "[sources.d]\nurl = \"sqlite://data/a.db?mode=ro\"\n",
            "t",
            Some(Path::new("/etc/sq")),
            &env,
        )
        .unwrap();
        assert_eq!(s.sources["d"].url.expose(), "sqlite:///etc/sq/data/a.db?mode=ro");
    }
}
