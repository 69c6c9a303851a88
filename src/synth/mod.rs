//! Synthesis: turning a question into SQL for one schema group. The offline
//! synthesizer (no network) answers what it is confident about and abstains
//! with a reason otherwise; the LLM synthesizer ([`llm`]) answers the rest of
//! a group in batched calls; pinned SQL from the job skips synthesis entirely.

pub mod llm;
pub mod normalize;
pub mod offline;

use serde::Serialize;

/// Which path produced a question's SQL; recorded in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SynthesizerKind {
    Pinned,
    Cache,
    Offline,
    Llm,
}

impl SynthesizerKind {
    pub fn name(self) -> &'static str {
        match self {
            SynthesizerKind::Pinned => "pinned",
            SynthesizerKind::Cache => "cache",
            SynthesizerKind::Offline => "offline",
            SynthesizerKind::Llm => "llm",
        }
    }
}

/// SQL a synthesizer proposes for one question, before the guard sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlAnswer {
    pub sql: String,
    pub synthesizer: SynthesizerKind,
    /// 0.0 ..= 1.0; pinned SQL is 1.0.
    pub confidence: f32,
    /// A plain-English restatement of how the question was read ("count of
    /// customers where country is 'Brazil'"), made from the parsed frame by the
    /// offline synthesizer; `None` for synthesizers that do not parse the question.
    pub restatement: Option<String>,
}

/// A synthesizer declined to answer; `reason` names the word or concept it could not map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abstention {
    pub reason: String,
}

impl std::fmt::Display for Abstention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}
