//! The HTTP side: one chat-completions call to any OpenAI-compatible
//! endpoint, with a request timeout, retries on 429, 5xx, timeouts and
//! connection errors (exponential backoff with jitter, or the server's
//! `Retry-After` when it sends one), and a circuit breaker so that a dead
//! endpoint fails calls at once instead of stalling every job behind retries.
//!
//! Replies are requested with a JSON-schema `response_format`; an endpoint
//! that rejects it (HTTP 400 naming `response_format`) is asked for a plain
//! JSON object from then on.
//!
//! The API key is exposed only when the `Authorization` header is built, and
//! the header is marked sensitive. Every error text passes through
//! [`redact`] and carries no URL.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::Serialize;
use serde_json::Value;
use tracing::{debug, warn};

use crate::backoff::retry_delay;
use crate::config::SynthSettings;
use crate::metrics::names::LLM_RETRIES_TOTAL;
use crate::secret::{SecretString, redact};

use super::prompt::ChatMessage;

/// The longest `Retry-After` honoured; a server asking for more is waited on this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How much of an error response's body an error message quotes.
const BODY_EXCERPT: usize = 300;

#[derive(Debug, Clone, thiserror::Error)]
pub enum LlmError {
    #[error(
        "the LLM endpoint failed {failures} times in a row; its circuit breaker is open for another {retry_in_ms} ms"
    )]
    CircuitOpen { failures: u32, retry_in_ms: u64 },
    #[error("the LLM endpoint answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the LLM request timed out after {0} ms")]
    Timeout(u64),
    #[error("the LLM request failed: {0}")]
    Transport(String),
    #[error("the LLM reply is not a chat completion: {0}")]
    Malformed(String),
    #[error("cannot set up the LLM client: {0}")]
    Setup(String),
}

/// Token usage of one call, as the provider reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// `usage.prompt_tokens_details.cached_tokens`, when reported.
    pub cached_tokens: u64,
}

/// The assistant's reply to one call.
#[derive(Debug, Clone)]
pub struct Completion {
    pub content: String,
    pub usage: Usage,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    temperature: f32,
    response_format: &'a Value,
    // Last, so that the shared messages are a byte-identical prefix of every body.
    messages: &'a [ChatMessage],
}

/// A chat-completions client for one endpoint; shared by every job of the process.
pub struct LlmClient {
    http: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<SecretString>,
    temperature: f32,
    max_retries: u32,
    timeout: Duration,
    response_format: Value,
    /// False once the endpoint rejected the JSON-schema `response_format`
    /// (some servers only know `json_object`); the prompt spells out the shape anyway.
    json_schema: AtomicBool,
    breaker: CircuitBreaker,
}

impl LlmClient {
    pub fn new(settings: &SynthSettings) -> Result<LlmClient, LlmError> {
        let timeout = Duration::from_millis(settings.request_timeout_ms);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| LlmError::Setup(describe(&e)))?;
        Ok(LlmClient {
            http,
            url: format!("{}/chat/completions", settings.base_url.trim_end_matches('/')),
            model: settings.model.clone(),
            api_key: settings.api_key.clone(),
            temperature: settings.temperature,
            max_retries: settings.max_retries,
            timeout,
            response_format: answers_format(),
            json_schema: AtomicBool::new(true),
            breaker: CircuitBreaker::new(
                settings.breaker_failures,
                Duration::from_millis(settings.breaker_cooldown_ms),
            ),
        })
    }

    /// One chat completion, retried on transient failures.
    pub async fn complete(&self, messages: &[ChatMessage]) -> Result<Completion, LlmError> {
        let body = |format: &Value| {
            let request =
                ChatRequest { model: &self.model, temperature: self.temperature, response_format: format, messages };
            serde_json::to_vec(&request).map_err(|e| LlmError::Setup(e.to_string()))
        };
        let json_object = serde_json::json!({"type": "json_object"});
        let mut attempt = 0;
        loop {
            let schema = self.json_schema.load(Ordering::Relaxed);
            let body = body(if schema { &self.response_format } else { &json_object })?;
            self.breaker.admit()?;
            let (error, retry_after) = match self.send(&body).await {
                Ok(completion) => {
                    self.breaker.succeeded();
                    return Ok(completion);
                }
                Err(Attempt::Final(LlmError::Status { status: 400, body }))
                    if schema && body.to_ascii_lowercase().contains("response_format") =>
                {
                    // An endpoint without JSON-schema output: plain JSON mode from now on.
                    self.breaker.succeeded();
                    warn!(error = %body, "the endpoint rejects JSON-schema output; asking for a JSON object instead");
                    self.json_schema.store(false, Ordering::Relaxed);
                    continue;
                }
                Err(Attempt::Final(error)) => {
                    // The endpoint is alive (it answered); only a bad request or key fails this way.
                    self.breaker.succeeded();
                    return Err(error);
                }
                Err(Attempt::RateLimited(error, retry_after)) => {
                    self.breaker.released();
                    (error, retry_after)
                }
                Err(Attempt::Unavailable(error, retry_after)) => {
                    self.breaker.failed();
                    (error, retry_after)
                }
            };
            if attempt >= self.max_retries {
                return Err(error);
            }
            let delay = retry_after.map(|d| d.min(MAX_RETRY_AFTER)).unwrap_or_else(|| retry_delay(attempt));
            warn!(attempt, delay_ms = delay.as_millis() as u64, error = %error, "LLM call failed; retrying");
            metrics::counter!(LLM_RETRIES_TOTAL).increment(1);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send(&self, body: &[u8]) -> Result<Completion, Attempt> {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(key) = &self.api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                .map_err(|_| Attempt::Final(LlmError::Setup("the API key is not a valid header value".into())))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let response = self
            .http
            .post(&self.url)
            .headers(headers)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let text = response.text().await.map_err(|e| self.transport(&e))?;
        if status.is_success() {
            debug!(bytes = text.len(), "LLM reply received");
            return parse_completion(&text).map_err(Attempt::Final);
        }
        let error = LlmError::Status { status: status.as_u16(), body: excerpt(&text) };
        if status == StatusCode::TOO_MANY_REQUESTS {
            Err(Attempt::RateLimited(error, retry_after))
        } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
            Err(Attempt::Unavailable(error, retry_after))
        } else {
            Err(Attempt::Final(error))
        }
    }

    fn transport(&self, e: &reqwest::Error) -> Attempt {
        let error = if e.is_timeout() {
            LlmError::Timeout(self.timeout.as_millis() as u64)
        } else {
            LlmError::Transport(describe(e))
        };
        Attempt::Unavailable(error, None)
    }
}

/// How one HTTP attempt failed, and so whether and how to retry it.
enum Attempt {
    /// Not worth retrying (a 4xx other than 429, an unreadable reply).
    Final(LlmError),
    /// 429: retry after the server's delay; the endpoint is alive.
    RateLimited(LlmError, Option<Duration>),
    /// 5xx, timeout or connection error: retry, and count toward the circuit breaker.
    Unavailable(LlmError, Option<Duration>),
}

/// An error's text and its causes, without the URL, with secrets redacted.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<endpoint>");
    }
    redact(&text)
}

fn excerpt(body: &str) -> String {
    let mut text: String = body.chars().take(BODY_EXCERPT).collect();
    if text.len() < body.len() {
        text.push('…');
    }
    redact(&text)
}

/// `Retry-After` as seconds (`"2"`, `"0.5"`) or an HTTP date.
fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// `choices[0].message.content` and the usage of a chat-completions reply.
fn parse_completion(text: &str) -> Result<Completion, LlmError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LlmError::Malformed(format!("not JSON ({e})")))?;
    let content = value
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| LlmError::Malformed("no choices[0].message.content".into()))?
        .to_string();
    let number = |path: &str| value.pointer(path).and_then(Value::as_u64).unwrap_or(0);
    let usage = Usage {
        prompt_tokens: number("/usage/prompt_tokens"),
        completion_tokens: number("/usage/completion_tokens"),
        cached_tokens: number("/usage/prompt_tokens_details/cached_tokens"),
    };
    Ok(Completion { content, usage })
}

/// The `response_format` every call asks for: `{"answers": [{"id", "sql"}]}`.
fn answers_format() -> Value {
    serde_json::json!({
        "type": "json_schema",
        "json_schema": {
            "name": "sql_answers",
            "strict": true,
            "schema": {
                "type": "object",
                "properties": {
                    "answers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"id": {"type": "string"}, "sql": {"type": "string"}},
                            "required": ["id", "sql"],
                            "additionalProperties": false
                        }
                    }
                },
                "required": ["answers"],
                "additionalProperties": false
            }
        }
    })
}

/// Closed until `threshold` consecutive failures; then open (calls fail at
/// once) for `cooldown`; then half-open: one trial call goes through, and
/// its outcome closes or reopens the circuit.
struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

impl CircuitBreaker {
    fn new(threshold: u32, cooldown: Duration) -> CircuitBreaker {
        CircuitBreaker { threshold, cooldown, state: Mutex::new(BreakerState::default()) }
    }

    fn admit(&self) -> Result<(), LlmError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(until) = state.open_until else { return Ok(()) };
        let now = Instant::now();
        if now < until || state.trial_in_flight {
            let retry_in_ms = until.saturating_duration_since(now).as_millis() as u64;
            return Err(LlmError::CircuitOpen { failures: state.consecutive_failures, retry_in_ms });
        }
        state.trial_in_flight = true;
        Ok(())
    }

    fn succeeded(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = BreakerState::default();
    }

    /// An attempt that says nothing about the endpoint's health (rate limited).
    fn released(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.trial_in_flight = false;
    }

    fn failed(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.consecutive_failures += 1;
        state.trial_in_flight = false;
        if state.consecutive_failures >= self.threshold {
            if state.open_until.is_none_or(|until| until <= Instant::now()) {
                warn!(
                    failures = state.consecutive_failures,
                    cooldown_ms = self.cooldown.as_millis() as u64,
                    "LLM endpoint keeps failing; circuit breaker open"
                );
            }
            state.open_until = Some(Instant::now() + self.cooldown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_the_threshold_and_lets_one_trial_through_after_the_cooldown() {
        let breaker = CircuitBreaker::new(2, Duration::from_millis(30));
        breaker.admit().unwrap();
        breaker.failed();
        breaker.admit().unwrap();
        breaker.failed();
        assert!(matches!(breaker.admit(), Err(LlmError::CircuitOpen { failures: 2, .. })));
        std::thread::sleep(Duration::from_millis(40));
        breaker.admit().expect("one trial after the cooldown");
        assert!(breaker.admit().is_err(), "only one trial at a time");
        breaker.succeeded();
        breaker.admit().unwrap();
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(&HeaderValue::from_static("2")), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("0.25")), Some(Duration::from_millis(250)));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT")), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }

    #[test]
    fn completions_yield_content_and_usage() {
        let reply = r#"{"choices":[{"message":{"role":"assistant","content":"{\"answers\":[]}"}}],
            "usage":{"prompt_tokens":1200,"completion_tokens":40,"prompt_tokens_details":{"cached_tokens":1024}}}"#;
        let completion = parse_completion(reply).unwrap();
        assert_eq!(completion.content, r#"{"answers":[]}"#);
        assert_eq!(completion.usage, Usage { prompt_tokens: 1200, completion_tokens: 40, cached_tokens: 1024 });
        assert!(matches!(parse_completion("{}"), Err(LlmError::Malformed(_))));
    }
}
