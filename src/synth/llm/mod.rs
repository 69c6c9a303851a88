//! The LLM synthesizer: questions the offline fast path does not answer go,
//! a whole schema group at a time, to any OpenAI-compatible chat-completions
//! endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM).
//!
//! ```text
//!  group's questions -> prompt (shared prefix: rules, pruned schema, examples)
//!                    -> batch (single flight, chunks of max_questions_per_call,
//!                       max_calls_in_flight) -> client (timeout, retries,
//!                       circuit breaker) -> {"answers": [{"id", "sql"}]}
//! ```
//!
//! * [`prompt`] builds the group's shared prefix once; every call of the
//!   group (repairs included) sends it byte for byte, so providers' prompt
//!   caches apply, and only the questions vary. Jobs in flight together on one
//!   schema share one prefix too ([`LlmSynthesizer::share_context`]): a group
//!   whose tables a live context already shows sends that context.
//! * `batch` ([`LlmSynthesizer`]) answers a list of [`LlmRequest`]s: identical
//!   (source, normalized question, previous SQL) in flight at once, in one
//!   job or across jobs, are asked once; the rest go in chunks, several calls
//!   at a time under a process-wide bound. A reply is parsed per answer: a
//!   missing, extra or malformed answer fails only its own question.
//! * `client` ([`LlmClient`]) makes one call: retries with backoff and
//!   jitter on 429, 5xx and timeouts, honouring `Retry-After`; a circuit
//!   breaker fails calls at once while the endpoint is down.
//!
//! Repair (sending SQL that the guard or the database rejected back with the
//! error) is driven by the pipeline, which knows the guard and the database:
//! it calls [`LlmSynthesizer::answer`] again with [`FailedAttempt`]s.

mod batch;
mod client;
pub mod prompt;

pub use batch::{JobUsage, LlmAnswer, LlmFailure, LlmSynthesizer};
pub use client::{Completion, LlmClient, LlmError, Usage};
pub use prompt::{GroupPrompt, PromptPart, count_tokens};

/// One question for the LLM; `previous` is set when it is a repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmRequest {
    /// The job's question id, sent verbatim; the reply names it.
    pub id: String,
    pub question: String,
    pub previous: Option<FailedAttempt>,
}

/// SQL that failed and why, sent back for repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedAttempt {
    pub sql: String,
    pub error: String,
}
