//! Batching: a group's requests become as few calls as possible. Identical
//! requests in flight at once (same source, normalized question and previous
//! SQL; in one job or across the worker's jobs) are asked once and every
//! asker gets the answer (single flight). The rest go in chunks of
//! `max_questions_per_call`, at most `max_calls_in_flight` calls at once in
//! the whole process. Replies are parsed answer by answer.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use futures_util::future::join_all;
use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tracing::{info, warn};

use crate::config::SynthSettings;
use crate::metrics::names::{LLM_CALLS_TOTAL, LLM_TOKENS_TOTAL};
use crate::sink::manifest::LlmUsage;
use crate::synth::normalize::normalize_question;

use super::client::{LlmClient, LlmError, Usage};
use super::{GroupPrompt, LlmRequest};

/// Why the LLM gave no SQL for one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmFailure {
    pub message: String,
    /// True when asking again may help (the reply lacked or garbled this
    /// answer); false when the call itself failed after its retries.
    pub retryable: bool,
}

/// SQL for one request, or why there is none.
pub type LlmAnswer = Result<String, LlmFailure>;

/// LLM usage on behalf of one job (calls it led; single-flight followers pay nothing).
#[derive(Debug, Default)]
pub struct JobUsage {
    calls: AtomicU64,
    prompt_tokens: AtomicU64,
    completion_tokens: AtomicU64,
    cached_tokens: AtomicU64,
}

impl JobUsage {
    pub fn new() -> JobUsage {
        JobUsage::default()
    }

    fn add(&self, usage: &Usage) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.prompt_tokens.fetch_add(usage.prompt_tokens, Ordering::Relaxed);
        self.completion_tokens.fetch_add(usage.completion_tokens, Ordering::Relaxed);
        self.cached_tokens.fetch_add(usage.cached_tokens, Ordering::Relaxed);
    }

    pub fn totals(&self) -> LlmUsage {
        LlmUsage {
            calls: self.calls.load(Ordering::Relaxed),
            prompt_tokens: self.prompt_tokens.load(Ordering::Relaxed),
            completion_tokens: self.completion_tokens.load(Ordering::Relaxed),
            cached_tokens: self.cached_tokens.load(Ordering::Relaxed),
        }
    }
}

/// (source, normalized question, SQL being repaired)
type FlightKey = (String, String, Option<String>);

/// In-flight requests: key -> (the leader's serial, where its answer will appear).
type FlightTable = Mutex<HashMap<FlightKey, (u64, watch::Receiver<Option<LlmAnswer>>)>>;

/// A request this caller leads: its answer is published to every follower;
/// dropping it (answered or abandoned) frees the key.
struct Flight<'a> {
    request: &'a LlmRequest,
    key: FlightKey,
    serial: u64,
    sender: watch::Sender<Option<LlmAnswer>>,
    table: &'a FlightTable,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if table.get(&self.key).is_some_and(|(serial, _)| *serial == self.serial) {
            table.remove(&self.key);
        }
    }
}

/// The LLM synthesizer of a process: one client, one bound on calls in
/// flight, one single-flight table and the shared contexts of the jobs in
/// flight, shared by every job.
pub struct LlmSynthesizer {
    client: LlmClient,
    calls: Semaphore,
    max_per_call: usize,
    flights: FlightTable,
    serial: AtomicU64,
    contexts: LiveContexts,
}

/// Contexts in use by jobs in flight, per (source, schema fingerprint); held
/// weakly, so a context lives exactly as long as some job uses it.
type LiveContexts = Mutex<HashMap<(String, String), Vec<Weak<GroupPrompt>>>>;

impl LlmSynthesizer {
    pub fn new(settings: &SynthSettings) -> Result<LlmSynthesizer, LlmError> {
        Ok(LlmSynthesizer {
            client: LlmClient::new(settings)?,
            calls: Semaphore::new(settings.max_calls_in_flight),
            max_per_call: settings.max_questions_per_call as usize,
            flights: Mutex::new(HashMap::new()),
            serial: AtomicU64::new(0),
            contexts: Mutex::new(HashMap::new()),
        })
    }

    /// The context a group's calls send: a context already in use by another
    /// job in flight on the same schema when it shows every table `prompt`
    /// needs (so concurrent jobs send one byte-identical prefix and share the
    /// provider's prompt cache), else `prompt` itself, now shared in turn.
    /// The caller keeps the returned context for as long as it makes calls.
    pub fn share_context(&self, fingerprint: &str, prompt: GroupPrompt) -> Arc<GroupPrompt> {
        let mut contexts = self.contexts.lock().unwrap_or_else(|e| e.into_inner());
        contexts.retain(|_, live| {
            live.retain(|context| context.strong_count() > 0);
            !live.is_empty()
        });
        let live = contexts.entry((prompt.source.clone(), fingerprint.to_string())).or_default();
        let covering = live.iter().filter_map(Weak::upgrade).find(|context| {
            context.system == prompt.system && prompt.tables.iter().all(|table| context.tables.contains(table))
        });
        if let Some(context) = covering {
            info!(source = %prompt.source, tables = prompt.tables.len(), shared_tables = context.tables.len(),
                  "sharing the context of a job in flight");
            return context;
        }
        let prompt = Arc::new(prompt);
        live.push(Arc::downgrade(&prompt));
        prompt
    }

    /// SQL for each request (by id), asked with `prompt`'s shared prefix.
    /// Usage of the calls made is added to `usage`.
    pub async fn answer(
        &self,
        prompt: &GroupPrompt,
        requests: &[LlmRequest],
        usage: &JobUsage,
    ) -> HashMap<String, LlmAnswer> {
        let mut leaders: Vec<Flight<'_>> = Vec::new();
        let mut followers: Vec<(&LlmRequest, watch::Receiver<Option<LlmAnswer>>)> = Vec::new();
        {
            let mut table = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            for request in requests {
                let key = (
                    prompt.source.clone(),
                    normalize_question(&request.question),
                    request.previous.as_ref().map(|p| p.sql.clone()),
                );
                match table.get(&key) {
                    Some((_, receiver)) => followers.push((request, receiver.clone())),
                    None => {
                        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
                        let (sender, receiver) = watch::channel(None);
                        table.insert(key.clone(), (serial, receiver));
                        leaders.push(Flight { request, key, serial, sender, table: &self.flights });
                    }
                }
            }
        }
        if !followers.is_empty() {
            info!(asked = requests.len(), shared = followers.len(), "identical questions in flight are asked once");
        }
        let calls = join_all(leaders.chunks(self.max_per_call).map(|chunk| self.call(prompt, chunk, usage)));
        let waits = join_all(followers.into_iter().map(|(request, mut receiver)| async move {
            let answer = match receiver.wait_for(Option::is_some).await {
                Ok(answer) => answer.clone().expect("waited for an answer"),
                Err(_) => Err(LlmFailure {
                    message: "the identical question asked at the same time was abandoned".into(),
                    retryable: true,
                }),
            };
            (request.id.clone(), answer)
        }));
        let (led, followed) = futures_util::future::join(calls, waits).await;
        led.into_iter().flatten().chain(followed).collect()
    }

    /// One call for `chunk`; publishes each answer to the chunk's followers.
    async fn call(&self, prompt: &GroupPrompt, chunk: &[Flight<'_>], usage: &JobUsage) -> Vec<(String, LlmAnswer)> {
        let requests: Vec<LlmRequest> = chunk.iter().map(|flight| flight.request.clone()).collect();
        let messages = prompt.messages(&requests);
        let result = {
            let _permit = self.calls.acquire().await.expect("the semaphore is never closed");
            self.client.complete(&messages).await
        };
        let answers: Vec<(String, LlmAnswer)> = match result {
            Ok(completion) => {
                usage.add(&completion.usage);
                metrics::counter!(LLM_CALLS_TOTAL, "outcome" => "ok").increment(1);
                for (kind, n) in [
                    ("prompt", completion.usage.prompt_tokens),
                    ("completion", completion.usage.completion_tokens),
                    ("cached", completion.usage.cached_tokens),
                ] {
                    metrics::counter!(LLM_TOKENS_TOTAL, "kind" => kind).increment(n);
                }
                let ids: Vec<&str> = requests.iter().map(|r| r.id.as_str()).collect();
                let parsed = parse_answers(&completion.content, &ids);
                info!(
                    questions = requests.len(),
                    answered = parsed.as_ref().map_or(0, HashMap::len),
                    prompt_tokens = completion.usage.prompt_tokens,
                    cached_tokens = completion.usage.cached_tokens,
                    completion_tokens = completion.usage.completion_tokens,
                    "LLM call done"
                );
                requests
                    .iter()
                    .map(|r| {
                        let answer = match &parsed {
                            Ok(answers) => answers.get(&r.id).cloned().ok_or_else(|| LlmFailure {
                                message: "the reply had no usable answer for this question's id".into(),
                                retryable: true,
                            }),
                            Err(problem) => Err(LlmFailure { message: problem.clone(), retryable: true }),
                        };
                        (r.id.clone(), answer)
                    })
                    .collect()
            }
            Err(error) => {
                metrics::counter!(LLM_CALLS_TOTAL, "outcome" => "error").increment(1);
                warn!(questions = requests.len(), %error, "LLM call failed");
                let failure = LlmFailure { message: error.to_string(), retryable: false };
                requests.iter().map(|r| (r.id.clone(), Err(failure.clone()))).collect()
            }
        };
        for (flight, (_, answer)) in chunk.iter().zip(&answers) {
            flight.sender.send_replace(Some(answer.clone()));
        }
        answers
    }
}

/// The answers of a reply, by id, for the ids that were asked. The reply
/// should be `{"answers": [{"id", "sql"}]}`; a bare array and a fenced code
/// block are accepted too. Entries without a string id that was asked or
/// without SQL are skipped (their questions fail alone); an error means no
/// answer could be read at all.
pub(crate) fn parse_answers(content: &str, asked: &[&str]) -> Result<HashMap<String, String>, String> {
    let text = strip_fence(content.trim());
    let value: Value = serde_json::from_str(text).map_err(|e| format!("the reply is not valid JSON ({e})"))?;
    let entries = match &value {
        Value::Array(entries) => entries,
        Value::Object(object) => match object.get("answers") {
            Some(Value::Array(entries)) => entries,
            _ => return Err("the reply has no `answers` array".into()),
        },
        _ => return Err("the reply is not a JSON object".into()),
    };
    let asked: HashSet<&str> = asked.iter().copied().collect();
    let mut answers = HashMap::new();
    for entry in entries {
        let id = match entry.get("id") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                warn!("an answer without an id was ignored");
                continue;
            }
        };
        if !asked.contains(id.as_str()) {
            warn!(id = %id, "an answer for an id that was not asked was ignored");
            continue;
        }
        match entry.get("sql").and_then(Value::as_str).map(str::trim) {
            Some(sql) if !sql.is_empty() => {
                answers.entry(id).or_insert_with(|| sql.to_string());
            }
            _ => warn!(id = %id, "an answer without SQL was ignored"),
        }
    }
    Ok(answers)
}

/// The inside of a ```` ```json ... ``` ```` fence, if the text is one.
fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else { return text };
    let rest = rest.split_once('\n').map_or("", |(_, body)| body);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_stands_alone() {
        let reply = r#"{"answers": [
            {"id": "q1", "sql": "SELECT 1"},
            {"id": "q2"},
            {"id": "zz", "sql": "SELECT 3"},
            {"sql": "SELECT 4"},
            {"id": "q1", "sql": "SELECT 5"}
        ]}"#;
        let answers = parse_answers(reply, &["q1", "q2", "q3"]).unwrap();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers["q1"], "SELECT 1");
    }

    #[test]
    fn fences_and_bare_arrays_are_read_and_garbage_is_an_error() {
        let fenced = "```json\n{\"answers\": [{\"id\": \"a.b-c_1\", \"sql\": \"SELECT 2\"}]}\n```";
        assert_eq!(parse_answers(fenced, &["a.b-c_1"]).unwrap()["a.b-c_1"], "SELECT 2");
        assert_eq!(parse_answers(r#"[{"id": "q", "sql": "SELECT 1"}]"#, &["q"]).unwrap().len(), 1);
        assert!(parse_answers("{\"answers\": [", &["q"]).is_err());
        assert!(parse_answers("{\"sql\": \"SELECT 1\"}", &["q"]).is_err());
    }
}
