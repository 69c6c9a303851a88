//! The LLM part of a source group: the group's shared prompts, batched calls
//! through the process's [`LlmSynthesizer`], then guard and execution, and
//! repair rounds for SQL that failed. Every LLM answer of the pipeline comes
//! through [`Pipeline::llm_sql`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::join_all;
use tracing::{Instrument, info, info_span, warn};

use super::{GroupContext, JobRun, Outcome, Pipeline, Work, observe_stage};
use crate::secret::redact;
use crate::sink::manifest::QuestionRecord;
use crate::synth::llm::{FailedAttempt, GroupPrompt, JobUsage, LlmAnswer, LlmFailure, LlmRequest, LlmSynthesizer};
use crate::synth::{SqlAnswer, SynthesizerKind};

impl Pipeline {
    /// The LLM part of a group: one shared prompt (or the fewest that fit the
    /// budget, see [`GroupPrompt::plan`]), batched calls, then guard
    /// and execution; SQL the guard rejects or the database errors on goes
    /// back with the error for repair, batched, up to `max_repair_attempts`
    /// rounds. A question whose answer was missing from a reply is asked
    /// again in the next round.
    pub(super) async fn answer_with_llm(
        &self,
        works: Vec<Work<'_>>,
        context: &GroupContext,
        run: &JobRun<'_>,
    ) -> Vec<(usize, QuestionRecord)> {
        if works.is_empty() {
            return Vec::new();
        }
        let llm = match self.llm() {
            Ok(llm) => llm,
            Err(e) => {
                let message = format!("synthesis: {e}");
                return works
                    .iter()
                    .map(|w| (w.index, self.finish(w, run, None, Outcome::Failed(message.clone()))))
                    .collect();
            }
        };
        let schema = context.schema.as_ref().expect("groups with unpinned questions have a schema");
        let synthesizer = context.synthesizer.as_ref().expect("groups with unpinned questions have a synthesizer");
        let source = self.settings.source(&context.source).expect("validated jobs name configured sources");
        let questions: Vec<&str> = works.iter().map(|w| w.question.question.as_str()).collect();
        let budget = self.settings.synth.prompt_budget_tokens;
        // One shared prompt for the group, unless its tables do not fit the budget
        // together; a context another job in flight already sends is reused.
        let parts = GroupPrompt::plan(schema, synthesizer, &source.examples, &questions, budget);
        let mut part_of = vec![0; works.len()];
        let mut prompts = Vec::with_capacity(parts.len());
        for (n, part) in parts.into_iter().enumerate() {
            info!(source = %context.source, questions = part.questions.len(), tables = part.prompt.tables.len(),
                  of_tables = schema.tables.len(), prompt_tokens = part.prompt.tokens, "LLM prompt built");
            for &q in &part.questions {
                part_of[q] = n;
            }
            prompts.push(llm.share_context(&schema.fingerprint, part.prompt));
        }

        let max_repairs = self.settings.synth.max_repair_attempts;
        let mut done = Vec::new();
        let mut pending: Vec<(Work<'_>, Option<FailedAttempt>, usize)> =
            works.into_iter().zip(part_of).map(|(w, part)| (w, None, part)).collect();
        for round in 0..=max_repairs {
            if pending.is_empty() {
                break;
            }
            let again = round < max_repairs;
            let mut requests: Vec<Vec<LlmRequest>> = vec![Vec::new(); prompts.len()];
            for (work, previous, part) in &pending {
                requests[*part].push(LlmRequest {
                    id: work.question.id.clone(),
                    question: work.question.question.clone(),
                    previous: previous.clone(),
                });
            }
            let asked = prompts.iter().zip(&requests).filter(|(_, requests)| !requests.is_empty());
            let mut answers: HashMap<String, LlmAnswer> =
                join_all(asked.map(|(prompt, requests)| self.llm_sql(&llm, prompt, requests, &run.usage)))
                    .await
                    .into_iter()
                    .flatten()
                    .collect();
            let mut next = Vec::new();
            let mut to_run = Vec::new();
            for (work, previous, part) in pending {
                let answer = answers.remove(&work.question.id).unwrap_or_else(|| {
                    Err(LlmFailure { message: "no answer came back for this question".into(), retryable: true })
                });
                match answer {
                    Ok(sql) => {
                        let answer =
                            SqlAnswer { sql, synthesizer: SynthesizerKind::Llm, confidence: 1.0, restatement: None };
                        to_run.push((work, answer, part))
                    }
                    Err(failure) if failure.retryable && again => {
                        work.span.in_scope(|| warn!(error = %failure.message, "no usable LLM answer; asking again"));
                        next.push((work, previous, part));
                    }
                    Err(failure) => {
                        let record =
                            self.finish(&work, run, None, Outcome::Failed(format!("synthesis: {}", failure.message)));
                        done.push((work.index, record));
                    }
                }
            }
            let ran = join_all(to_run.into_iter().map(|(work, answer, part)| async move {
                let outcome = self.run_answer(&work, &answer, context, run).await;
                if outcome.is_ok() {
                    self.remember(work.question, context, &answer).await;
                }
                (work, answer, part, outcome)
            }))
            .await;
            for (work, answer, part, outcome) in ran {
                match outcome {
                    Err(rejection) if rejection.repairable && again => {
                        work.span.in_scope(
                            || info!(error = %rejection.message, "LLM SQL failed; sending it back for repair"),
                        );
                        next.push((work, Some(FailedAttempt { sql: answer.sql, error: rejection.message }), part));
                    }
                    outcome => {
                        let record = self.finish(&work, run, Some(&answer), outcome.into());
                        done.push((work.index, record));
                    }
                }
            }
            pending = next;
        }
        done
    }

    /// SQL from the LLM for these questions of one group (one shared prompt),
    /// by question id. Requests with `previous` set are repairs. Every LLM
    /// answer of the pipeline comes through here; the answer cache is looked
    /// up before (see [`Pipeline::cached_answer`]) and filled after a
    /// successful execution ([`Pipeline::remember`]).
    async fn llm_sql(
        &self,
        llm: &LlmSynthesizer,
        prompt: &GroupPrompt,
        requests: &[LlmRequest],
        usage: &JobUsage,
    ) -> HashMap<String, LlmAnswer> {
        let started = Instant::now();
        let span = info_span!("llm", source = %prompt.source, questions = requests.len());
        let answers = llm.answer(prompt, requests, usage).instrument(span).await;
        observe_stage("synthesis", started);
        answers
    }

    /// The process's LLM synthesizer, created on first use.
    fn llm(&self) -> Result<Arc<LlmSynthesizer>, String> {
        self.llm
            .get_or_init(|| LlmSynthesizer::new(&self.settings.synth).map(Arc::new).map_err(|e| redact(&e.to_string())))
            .clone()
    }
}
