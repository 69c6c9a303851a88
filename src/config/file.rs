//! From configuration text to [`Settings`]: the file's raw shape (serde,
//! every section defaulted, unknown keys rejected), the
//! `SQLSYNTH__SECTION__KEY` overrides applied to it, `${VAR}` expansion, and
//! the one validation that turns it into typed settings, naming the key of
//! anything wrong.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::dialect::Dialect;
use crate::execute::stream::{DEFAULT_BATCH_BYTES, DEFAULT_MAX_ANSWER_BYTES};
use crate::plan::values::{DEFAULT_VALUE_INDEX_LIMIT, MAX_VALUE_INDEX_LIMIT};
use crate::secret::{SecretString, SecretUrl};
use crate::sink::output::OutputLocation;
use crate::sink::report::{DEFAULT_REPORT_ROWS, MAX_REPORT_ROWS};

use super::{
    CacheSettings, ConfigError, ENV_PREFIX, ExecSettings, GoldenExample, LogFormat, MetricsSettings, OutputSettings,
    Provider, QueueSettings, SchedulerSettings, Settings, SourceSettings, SynthSettings,
};

/// Parses `text` (named `origin` in errors), applies `env`'s overrides and validates.
pub(super) fn parse(
    text: &str,
    origin: &str,
    base_dir: &Path,
    env: &[(String, String)],
) -> Result<Settings, ConfigError> {
    let parse_error =
        |e: toml::de::Error| ConfigError::Parse { path: origin.to_string(), message: e.message().to_string() };
    let mut value: toml::Table = text.parse().map_err(parse_error)?;
    apply_env_overrides(&mut value, env)?;
    let raw: RawConfig = toml::Value::Table(value).try_into().map_err(parse_error)?;
    validate(raw, base_dir, env)
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), message: message.into() }
}

// ---- raw, as written in the file --------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    synth: RawSynth,
    #[serde(default)]
    exec: RawExec,
    #[serde(default)]
    cache: RawCache,
    #[serde(default)]
    queue: RawQueue,
    #[serde(default)]
    scheduler: RawScheduler,
    #[serde(default)]
    output: RawOutput,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    log: RawLog,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    url: String,
    #[serde(default = "default_max_connections")]
    max_connections: u32,
    /// Longest wait for a connection.
    #[serde(default = "default_acquire_timeout_ms")]
    acquire_timeout_ms: u64,
    /// Extra words that name a table or column: `"client" = "Customer"`.
    #[serde(default)]
    glossary: BTreeMap<String, String>,
    /// Golden question/SQL pairs shown to the LLM in this source's prompt context.
    #[serde(default)]
    examples: Vec<RawExample>,
    /// Most values in the source's value index; 0 builds none.
    #[serde(default = "default_value_index_limit")]
    value_index_limit: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    question: String,
    sql: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSynth {
    provider: String,
    base_url: String,
    model: String,
    api_key_env: String,
    fast_path: bool,
    max_questions_per_call: u32,
    max_repair_attempts: u32,
    min_confidence: f32,
    max_calls_in_flight: u32,
    request_timeout_ms: u64,
    max_retries: u32,
    prompt_budget_tokens: u32,
    breaker_failures: u32,
    breaker_cooldown_ms: u64,
    temperature: f32,
}

impl Default for RawSynth {
    fn default() -> Self {
        RawSynth {
            provider: "offline".into(),
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            fast_path: true,
            max_questions_per_call: 20,
            max_repair_attempts: 2,
            min_confidence: 0.6,
            max_calls_in_flight: 8,
            request_timeout_ms: 60_000,
            max_retries: 4,
            prompt_budget_tokens: 6_000,
            breaker_failures: 5,
            breaker_cooldown_ms: 30_000,
            temperature: 0.0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawExec {
    max_concurrency: u32,
    statement_timeout_ms: u64,
    max_rows: u64,
    batch_rows: u32,
    batch_bytes: u64,
    max_answer_bytes: u64,
    max_retries: u32,
}

impl Default for RawExec {
    fn default() -> Self {
        RawExec {
            max_concurrency: 16,
            statement_timeout_ms: 30_000,
            max_rows: 1_000_000,
            batch_rows: 65_536,
            batch_bytes: DEFAULT_BATCH_BYTES as u64,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            max_retries: 3,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCache {
    redis_url: Option<String>,
    dir: String,
    memory_entries: u64,
    schema_ttl_ms: u64,
    answer_ttl_secs: u64,
    redis_timeout_ms: u64,
    key_prefix: String,
}

impl Default for RawCache {
    fn default() -> Self {
        RawCache {
            redis_url: None,
            dir: ".sqlsynth/cache".into(),
            memory_entries: 10_000,
            schema_ttl_ms: 60_000,
            answer_ttl_secs: 30 * 24 * 3600,
            redis_timeout_ms: 200,
            key_prefix: "sqlsynth".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawScheduler {
    grace_ms: u64,
    lock_ttl_ms: u64,
}

impl Default for RawScheduler {
    fn default() -> Self {
        RawScheduler { grace_ms: 3_600_000, lock_ttl_ms: 7 * 24 * 3_600_000 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawQueue {
    url: String,
    jobs_queue: String,
    results_exchange: String,
    prefetch: u16,
    max_deliveries: u32,
    retry_delay_ms: u64,
    retry_delay_max_ms: u64,
    drain_timeout_ms: u64,
    require_results_route: bool,
}

impl Default for RawQueue {
    fn default() -> Self {
        RawQueue {
            url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            jobs_queue: "sqlsynth.jobs".into(),
            results_exchange: "sqlsynth.results".into(),
            prefetch: 4,
            max_deliveries: 5,
            retry_delay_ms: 10_000,
            retry_delay_max_ms: 300_000,
            drain_timeout_ms: 30_000,
            require_results_route: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawOutput {
    root: String,
    report: bool,
    report_rows: u64,
}

impl Default for RawOutput {
    fn default() -> Self {
        RawOutput { root: "out".into(), report: true, report_rows: DEFAULT_REPORT_ROWS as u64 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawMetrics {
    listen: String,
}

impl Default for RawMetrics {
    fn default() -> Self {
        RawMetrics { listen: "127.0.0.1:9464".into() }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLog {
    format: Option<String>,
}

fn default_max_connections() -> u32 {
    8
}

fn default_acquire_timeout_ms() -> u64 {
    30_000
}

fn default_value_index_limit() -> i64 {
    DEFAULT_VALUE_INDEX_LIMIT as i64
}

/// `SQLSYNTH__EXEC__MAX_ROWS=10` sets `exec.max_rows = 10`; values parse as TOML
/// scalars (numbers, booleans) and fall back to strings.
fn apply_env_overrides(table: &mut toml::Table, env: &[(String, String)]) -> Result<(), ConfigError> {
    for (name, raw_value) in env {
        let Some(path) = name.strip_prefix(ENV_PREFIX) else { continue };
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        if keys.iter().any(String::is_empty) || keys.len() < 2 {
            return Err(invalid(name, "an override must look like SQLSYNTH__SECTION__KEY"));
        }
        let value = parse_scalar(raw_value);
        let mut node = &mut *table;
        for key in &keys[..keys.len() - 1] {
            let entry = node.entry(key.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry.as_table_mut().ok_or_else(|| invalid(name, format!("`{key}` is not a section")))?;
        }
        node.insert(keys[keys.len() - 1].clone(), value);
    }
    Ok(())
}

fn parse_scalar(raw: &str) -> toml::Value {
    if let Ok(v) = raw.parse::<i64>() {
        return toml::Value::Integer(v);
    }
    if let Ok(v) = raw.parse::<f64>() {
        return toml::Value::Float(v);
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_string()),
    }
}

/// Expands `${VAR}` from `env`; a missing variable is an error naming the key and variable.
fn expand_vars(key: &str, value: &str, env: &[(String, String)]) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| invalid(key, "unterminated `${` in value"))?;
        let var = &after[..end];
        let found = env
            .iter()
            .find(|(k, _)| k == var)
            .ok_or_else(|| invalid(key, format!("environment variable `{var}` is not set")))?;
        out.push_str(&found.1);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn validate(raw: RawConfig, base_dir: &Path, env: &[(String, String)]) -> Result<Settings, ConfigError> {
    let mut sources = BTreeMap::new();
    for (name, source) in raw.sources {
        let key = format!("sources.{name}.url");
        if !crate::job::is_valid_id(&name) {
            return Err(invalid(format!("sources.{name}"), "source names are 1-128 characters of [A-Za-z0-9._-]"));
        }
        let expanded = expand_vars(&key, &source.url, env)?;
        let dialect = Dialect::from_url(&expanded).ok_or_else(|| {
            invalid(&key, "the URL must start with sqlite://, postgres://, postgresql://, mysql:// or mariadb://")
        })?;
        let url = match dialect {
            Dialect::Sqlite => anchor_sqlite_path(&expanded, base_dir),
            Dialect::MySql if expanded.starts_with("mariadb://") => expanded.replacen("mariadb://", "mysql://", 1),
            _ => expanded,
        };
        if source.max_connections == 0 {
            return Err(invalid(format!("sources.{name}.max_connections"), "must be at least 1"));
        }
        if source.acquire_timeout_ms == 0 {
            return Err(invalid(format!("sources.{name}.acquire_timeout_ms"), "must be at least 1"));
        }
        if !(0..=MAX_VALUE_INDEX_LIMIT as i64).contains(&source.value_index_limit) {
            return Err(invalid(
                format!("sources.{name}.value_index_limit"),
                format!("must be from 0 (no value index) to {MAX_VALUE_INDEX_LIMIT}"),
            ));
        }
        let glossary = source.glossary.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect();
        let mut examples = Vec::with_capacity(source.examples.len());
        for (i, example) in source.examples.into_iter().enumerate() {
            for (field, value) in [("question", &example.question), ("sql", &example.sql)] {
                if value.trim().is_empty() {
                    return Err(invalid(format!("sources.{name}.examples[{i}].{field}"), "must not be empty"));
                }
            }
            examples.push(GoldenExample { question: example.question, sql: example.sql });
        }
        sources.insert(
            name.clone(),
            SourceSettings {
                name,
                dialect,
                url: SecretUrl::new(url),
                max_connections: source.max_connections,
                acquire_timeout_ms: source.acquire_timeout_ms,
                glossary,
                examples,
                value_index_limit: source.value_index_limit as usize,
            },
        );
    }

    let provider = match raw.synth.provider.as_str() {
        "offline" => Provider::Offline,
        "openai" => Provider::OpenAi,
        other => {
            return Err(invalid("synth.provider", format!("unknown provider `{other}` (expected offline or openai)")));
        }
    };
    let api_key = env.iter().find(|(k, _)| *k == raw.synth.api_key_env).map(|(_, v)| SecretString::new(v.clone()));
    if provider == Provider::OpenAi && api_key.is_none() {
        return Err(invalid(
            "synth.api_key_env",
            format!("provider openai needs the API key in `{}`, which is not set", raw.synth.api_key_env),
        ));
    }
    if !(0.0..=1.0).contains(&raw.synth.min_confidence) {
        return Err(invalid("synth.min_confidence", "must be between 0 and 1"));
    }
    if raw.synth.max_questions_per_call == 0 {
        return Err(invalid("synth.max_questions_per_call", "must be at least 1"));
    }
    for (key, value) in [
        ("synth.max_calls_in_flight", u64::from(raw.synth.max_calls_in_flight)),
        ("synth.request_timeout_ms", raw.synth.request_timeout_ms),
        ("synth.breaker_failures", u64::from(raw.synth.breaker_failures)),
    ] {
        if value == 0 {
            return Err(invalid(key, "must be at least 1"));
        }
    }
    if raw.synth.prompt_budget_tokens < 500 {
        return Err(invalid("synth.prompt_budget_tokens", "must be at least 500"));
    }
    if !(0.0..=2.0).contains(&raw.synth.temperature) {
        return Err(invalid("synth.temperature", "must be between 0 and 2"));
    }
    if provider == Provider::OpenAi
        && !raw.synth.base_url.starts_with("http://")
        && !raw.synth.base_url.starts_with("https://")
    {
        return Err(invalid("synth.base_url", "must start with http:// or https://"));
    }
    let synth = SynthSettings {
        provider,
        base_url: raw.synth.base_url,
        model: raw.synth.model,
        api_key_env: raw.synth.api_key_env,
        api_key,
        fast_path: raw.synth.fast_path,
        max_questions_per_call: raw.synth.max_questions_per_call,
        max_repair_attempts: raw.synth.max_repair_attempts,
        min_confidence: raw.synth.min_confidence,
        max_calls_in_flight: raw.synth.max_calls_in_flight as usize,
        request_timeout_ms: raw.synth.request_timeout_ms,
        max_retries: raw.synth.max_retries,
        prompt_budget_tokens: raw.synth.prompt_budget_tokens as usize,
        breaker_failures: raw.synth.breaker_failures,
        breaker_cooldown_ms: raw.synth.breaker_cooldown_ms,
        temperature: raw.synth.temperature,
    };

    if raw.exec.max_concurrency == 0 {
        return Err(invalid("exec.max_concurrency", "must be at least 1"));
    }
    if raw.exec.statement_timeout_ms == 0 {
        return Err(invalid("exec.statement_timeout_ms", "must be at least 1"));
    }
    if raw.exec.max_rows == 0 {
        return Err(invalid("exec.max_rows", "must be at least 1"));
    }
    if raw.exec.batch_rows == 0 {
        return Err(invalid("exec.batch_rows", "must be at least 1"));
    }
    // Arrow's text and binary arrays address their data with 32-bit offsets.
    if !(1..=1 << 30).contains(&raw.exec.batch_bytes) {
        return Err(invalid("exec.batch_bytes", "must be from 1 to 1073741824 (1 GiB)"));
    }
    if raw.exec.max_answer_bytes == 0 {
        return Err(invalid("exec.max_answer_bytes", "must be at least 1"));
    }
    let exec = ExecSettings {
        max_concurrency: raw.exec.max_concurrency as usize,
        statement_timeout_ms: raw.exec.statement_timeout_ms,
        max_rows: raw.exec.max_rows,
        batch_rows: raw.exec.batch_rows as usize,
        batch_bytes: raw.exec.batch_bytes as usize,
        max_answer_bytes: raw.exec.max_answer_bytes,
        max_retries: raw.exec.max_retries,
    };

    let redis_url = match raw.cache.redis_url {
        Some(url) if !url.is_empty() => Some(SecretUrl::new(expand_vars("cache.redis_url", &url, env)?)),
        _ => None,
    };
    if let Some(url) = &redis_url {
        redis::Client::open(url.expose()).map_err(|e| {
            invalid("cache.redis_url", format!("not a Redis URL: {}", crate::secret::redact(&e.to_string())))
        })?;
    }
    if raw.cache.memory_entries == 0 {
        return Err(invalid("cache.memory_entries", "must be at least 1"));
    }
    if raw.cache.redis_timeout_ms == 0 {
        return Err(invalid("cache.redis_timeout_ms", "must be at least 1"));
    }
    let prefix_ok = |p: &str| !p.is_empty() && p.len() <= 64 && p.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if !prefix_ok(&raw.cache.key_prefix) {
        return Err(invalid("cache.key_prefix", "must be 1-64 printable ASCII characters without `:` or spaces"));
    }
    let cache = CacheSettings {
        redis_url,
        dir: base_dir.join(raw.cache.dir),
        memory_entries: raw.cache.memory_entries,
        schema_ttl_ms: raw.cache.schema_ttl_ms,
        answer_ttl_secs: raw.cache.answer_ttl_secs,
        redis_timeout_ms: raw.cache.redis_timeout_ms,
        key_prefix: raw.cache.key_prefix,
    };
    if raw.scheduler.lock_ttl_ms <= raw.scheduler.grace_ms {
        return Err(invalid(
            "scheduler.lock_ttl_ms",
            "must be longer than scheduler.grace_ms (a lock must outlive the window in which its tick can be caught up)",
        ));
    }
    let scheduler = SchedulerSettings { grace_ms: raw.scheduler.grace_ms, lock_ttl_ms: raw.scheduler.lock_ttl_ms };
    if raw.queue.prefetch == 0 {
        return Err(invalid("queue.prefetch", "must be at least 1"));
    }
    let queue = QueueSettings {
        url: SecretUrl::new(expand_vars("queue.url", &raw.queue.url, env)?),
        jobs_queue: raw.queue.jobs_queue,
        results_exchange: raw.queue.results_exchange,
        prefetch: raw.queue.prefetch,
        max_deliveries: raw.queue.max_deliveries,
        retry_delay_ms: raw.queue.retry_delay_ms,
        retry_delay_max_ms: raw.queue.retry_delay_max_ms.max(raw.queue.retry_delay_ms),
        drain_timeout_ms: raw.queue.drain_timeout_ms,
        require_results_route: raw.queue.require_results_route,
    };
    if !(1..=MAX_REPORT_ROWS as u64).contains(&raw.output.report_rows) {
        return Err(invalid("output.report_rows", format!("must be between 1 and {MAX_REPORT_ROWS}")));
    }
    let output = OutputSettings {
        root: OutputLocation::parse(&raw.output.root).map_err(|message| invalid("output.root", message))?,
        report: raw.output.report,
        report_rows: raw.output.report_rows as usize,
    };
    let log_format = match raw.log.format.as_deref() {
        None => None,
        Some(v) => {
            Some(LogFormat::parse(v).ok_or_else(|| invalid("log.format", format!("`{v}` is not text or json")))?)
        }
    };
    Ok(Settings {
        sources,
        synth,
        exec,
        cache,
        queue,
        scheduler,
        output,
        metrics: MetricsSettings { listen: raw.metrics.listen },
        log_format,
    })
}

/// Makes a relative `sqlite://path` relative to the config file's directory.
fn anchor_sqlite_path(url: &str, base_dir: &Path) -> String {
    let rest = &url["sqlite://".len()..];
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() || path.starts_with('/') || path == ":memory:" || base_dir == Path::new(".") {
        return url.to_string();
    }
    let anchored = base_dir.join(path);
    match query {
        Some(q) => format!("sqlite://{}?{q}", anchored.display()),
        None => format!("sqlite://{}", anchored.display()),
    }
}
