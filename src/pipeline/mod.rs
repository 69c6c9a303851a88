//! The one place that wires the stages together: job -> plan -> synthesize ->
//! guard -> execute -> sink. Every other module knows only the stages before
//! it.
//!
//! Synthesis per source group: pinned SQL first; then the answer cache (SQL
//! that a synthesizer produced for the same normalized question on a schema
//! with the same fingerprint, and that executed successfully; recorded as
//! `cache`); then the offline fast path
//! (always with provider `offline`; with `openai` when `synth.fast_path` is
//! on, an abstention then goes to the LLM); then the LLM for the rest of the
//! group, in batched calls sharing one prompt prefix ([`crate::synth::llm`]).
//! Pinned and offline answers execute while the LLM works. LLM SQL that the
//! guard rejects or the database errors on (not transiently) goes back with
//! the error, batched per group, up to `synth.max_repair_attempts` rounds;
//! after that the question is `failed` with the last error.
//!
//! Guarantees of [`Pipeline::run_job`]:
//! * a job whose manifest exists is not run again; its manifest is returned,
//!   unless it records transient failures (written by older versions): then
//!   just those questions run again and the manifest is rewritten;
//! * a question whose Parquet file exists is not executed again: its record
//!   is rebuilt from the file's footer (resume after a crash);
//! * one question's final failure (synthesis, guard, the database refusing
//!   its SQL, a timeout, an answer too large) is recorded in its record and
//!   never affects the others;
//! * the report page (`output.report`) is written once every question has a
//!   record, compared with the schedule's previous run; the manifest is
//!   written after it, last, atomically, and only when every question has a record; job-level faults (a source that cannot be reached, an output
//!   directory that cannot be written) write nothing and return an error, so
//!   a queue can redeliver the job; so does a question whose execution or
//!   write meets a transient fault (connection lost or refused, pool timeout,
//!   disk full, store unavailable) after its quick retries, so no final
//!   record ever says `failed` for a fault that passes (the answer files
//!   already written stay, and the next run skips them); an LLM that cannot be reached is not a job
//!   fault: its questions fail (fast, once the circuit breaker opens) and the
//!   manifest is written;
//! * the manifest's statistics count the LLM calls and tokens this job used;
//! * every answered question's record carries its interpretation: the
//!   synthesizer's restatement (kept with a cached answer) and what the
//!   guard read off the SQL that ran (rebuilt the same way on resume).
//!
//! Files: this one routes questions and assembles the job; `execution` runs
//! one answer; `llm_rounds` the LLM's batched rounds and repairs; `resume`
//! rebuilds records from files already written.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::join_all;
use indicatif::ProgressBar;
use tokio::sync::Semaphore;
use tracing::{Instrument, Span, info, info_span, warn};

use crate::backoff::retry_delay;
use crate::cache::Caches;
use crate::config::{Provider, Settings};
use crate::db::ConnectError;
use crate::execute::stream::StreamError;
use crate::execute::{ExecError, Executor};
use crate::guard::ReadOnlyGuard;
use crate::job::{Job, Question};
use crate::metrics::names::{QUESTIONS_TOTAL, STAGE_DURATION_SECONDS};
use crate::plan::introspect::IntrospectError;
use crate::plan::schema::DatabaseSchema;
use crate::plan::{SchemaGroup, group_by_source};
use crate::secret::redact;
use crate::sink::manifest::{ColumnRecord, Interpretation, LlmUsage, Manifest, QuestionRecord, Stats, Status};
use crate::sink::output::{JobOutput, OutputLocation, OutputRoot};
use crate::sink::parquet::spawn_parquet_writer;
use crate::sink::report::{Compare, REPORT_FILE, ReportOptions, build_report};
use crate::synth::llm::{JobUsage, LlmSynthesizer};
use crate::synth::offline::OfflineSynthesizer;
use crate::synth::{SqlAnswer, SynthesizerKind};

mod execution;
mod llm_rounds;
mod resume;

pub use resume::{column_records, footer_keys};
use resume::{footer_metadata, resumed};

/// Questions of a group whose resume and cache lookups run at once.
const LOOKUPS_IN_FLIGHT: usize = 32;

/// A fault of the whole job: nothing was written; running it again later may succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
    #[error("output {location}: {message}")]
    Output { location: String, message: String },
    /// A question met a fault that passes (connection lost or refused, pool
    /// timeout, disk full, object store unavailable) after its quick retries.
    /// Such a failure is never final: the job is run again later, and only the
    /// questions without an answer file run.
    #[error(
        "question {question}: {message} (a transient fault: nothing final was recorded; a later run of the job answers what is left)"
    )]
    Transient { question: String, message: String },
}

/// What running a job produced.
#[derive(Debug)]
pub struct JobOutcome {
    pub manifest: Manifest,
    /// The job's directory or object prefix (`<output root>/<job_id>`).
    pub location: String,
    /// True when the manifest already existed and nothing was run.
    pub reused: bool,
}

/// Runs jobs against the configured sources. Cheap to share: one per process.
pub struct Pipeline {
    settings: Arc<Settings>,
    executor: Arc<Executor>,
    caches: Caches,
    /// The LLM synthesizer (provider `openai`), created on first use and shared by every job.
    llm: OnceLock<Result<Arc<LlmSynthesizer>, String>>,
    /// One open output root per location (a store client, or a local root with
    /// its group-commit durability), shared by every job writing there.
    outputs: std::sync::Mutex<HashMap<OutputLocation, Arc<OutputRoot>>>,
}

/// What every question of one source group shares.
struct GroupContext {
    source: String,
    guard: ReadOnlyGuard,
    /// Answers the fast path and links questions to tables for the LLM's prompt.
    synthesizer: Option<OfflineSynthesizer>,
    schema: Option<Arc<DatabaseSchema>>,
}

/// What every question of one job run shares.
struct JobRun<'a> {
    output: &'a JobOutput,
    progress: &'a ProgressBar,
    /// Questions of this job executing at once (each holds a Parquet writer).
    writers: Semaphore,
    usage: JobUsage,
    /// The first question that failed for a transient reason: the job then ends without a manifest.
    interrupted: std::sync::Mutex<Option<(String, String)>>,
    /// Final records of a previous run's manifest (all but its transient failures): not run again.
    kept: HashMap<String, QuestionRecord>,
}

/// One question on its way through the stages.
struct Work<'a> {
    index: usize,
    question: &'a Question,
    started: Instant,
    span: Span,
}

/// Where a question's answer comes from.
enum Route {
    /// A previous run wrote its file: the record is rebuilt from the footer.
    Resumed(Box<QuestionRecord>),
    Ready(SqlAnswer),
    Llm,
    Unanswered(String),
}

/// A guarded, executed and written answer.
struct Written {
    interpretation: Interpretation,
    rows: u64,
    truncated: bool,
    columns: Vec<ColumnRecord>,
    file: String,
}

/// Why an answer did not run: `stage: reason`, whether the LLM may repair
/// it, and whether the cause passes by itself (then no record is final).
struct Rejection {
    message: String,
    repairable: bool,
    transient: bool,
}

/// How a question ended.
enum Outcome {
    Answered(Written),
    Failed(String),
    /// Failed for a transient reason: the job must run again, not record it.
    Interrupted(String),
    Unanswered(String),
}

impl From<Result<Written, Rejection>> for Outcome {
    fn from(result: Result<Written, Rejection>) -> Outcome {
        match result {
            Ok(written) => Outcome::Answered(written),
            Err(rejection) if rejection.transient => Outcome::Interrupted(rejection.message),
            Err(rejection) => Outcome::Failed(rejection.message),
        }
    }
}

impl Pipeline {
    pub fn new(settings: Arc<Settings>) -> Self {
        let executor = Arc::new(Executor::new(&settings.sources, settings.exec.clone()));
        let caches = Caches::new(&settings);
        Pipeline { settings, executor, caches, llm: OnceLock::new(), outputs: Default::default() }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// The caches (schemas, synthesized SQL) this pipeline reads and fills.
    pub fn caches(&self) -> &Caches {
        &self.caches
    }

    /// The schema of a source, from the schema cache (memory, Redis, disk),
    /// re-validated against the database once `cache.schema_ttl_ms` old.
    pub async fn schema(&self, source: &str) -> Result<Arc<DatabaseSchema>, JobFailure> {
        let pool = self.executor.pool(source).await?;
        Ok(self.caches.schemas.get(source, pool).await?)
    }

    /// True when `job`'s manifest exists and is final (it records no
    /// transient failure): [`Pipeline::run_job`] would only return it.
    pub async fn is_done(&self, job: &Job, out: impl Into<OutputLocation>) -> bool {
        let Ok(root) = self.output(&out.into()) else { return false };
        match root.job(&job.job_id).read_manifest().await {
            Ok(Some(manifest)) => !manifest.questions.iter().any(QuestionRecord::failed_transiently),
            _ => false,
        }
    }

    /// Runs `job`, writing into `<out>/<job_id>/` (a local directory or an
    /// object store prefix). `progress` advances once per question.
    pub async fn run_job(
        &self,
        job: &Job,
        out: impl Into<OutputLocation>,
        progress: &ProgressBar,
    ) -> Result<JobOutcome, JobFailure> {
        let out = out.into();
        let output = self.output(&out)?.job(&job.job_id);
        let output_error =
            |e: std::io::Error| JobFailure::Output { location: output.location(), message: e.to_string() };
        let mut kept = HashMap::new();
        if let Some(manifest) = output.read_manifest().await.map_err(output_error)? {
            let transient = manifest.questions.iter().filter(|q| q.failed_transiently()).count();
            if transient == 0 {
                info!(job_id = %job.job_id, "manifest exists; job already done");
                progress.inc(job.questions.len() as u64);
                return Ok(JobOutcome { manifest, location: output.location(), reused: true });
            }
            // An older version recorded transient failures as final: answer just those again.
            warn!(job_id = %job.job_id, questions = transient,
                  "the manifest records transient failures; answering those questions again");
            kept =
                manifest.questions.into_iter().filter(|q| !q.failed_transiently()).map(|q| (q.id.clone(), q)).collect();
        }
        output.prepare(self.stale_temp_age()).map_err(output_error)?;
        let started_at = Utc::now();
        let span = info_span!("job", job_id = %job.job_id);
        let (records, llm_usage) = self.answer_all(job, &output, kept, progress).instrument(span).await?;
        let manifest = Manifest {
            job_id: job.job_id.clone(),
            started_at,
            finished_at: Utc::now(),
            stats: Stats::tally(&records).with_llm_usage(llm_usage),
            questions: records,
        };
        // The report (when on) goes out with the manifest, before it: both durable in one go.
        let mut companions = Vec::new();
        if self.settings.output.report {
            let started = Instant::now();
            let options = ReportOptions { rows: self.settings.output.report_rows, compare: Compare::PreviousRun };
            companions.push((REPORT_FILE, build_report(&output, &manifest, options).await));
            observe_stage("report", started);
        }
        output.write_manifest_after(&manifest, companions).await.map_err(output_error)?;
        info!(job_id = %job.job_id, ok = manifest.stats.ok, failed = manifest.stats.failed,
              unanswered = manifest.stats.unanswered, "job finished");
        Ok(JobOutcome { manifest, location: output.location(), reused: false })
    }

    async fn answer_all(
        &self,
        job: &Job,
        output: &JobOutput,
        kept: HashMap<String, QuestionRecord>,
        progress: &ProgressBar,
    ) -> Result<(Vec<QuestionRecord>, LlmUsage), JobFailure> {
        let groups = group_by_source(job);
        let mut contexts = Vec::with_capacity(groups.len());
        for group in &groups {
            let pool = self.executor.pool(group.source).await?;
            let (schema, synthesizer) = if group.needs_schema() {
                let started = Instant::now();
                let schema = self.caches.schemas.get(group.source, pool).await?;
                observe_stage("schema", started);
                let source = self.settings.source(group.source).expect("validated jobs name configured sources");
                let synthesizer =
                    OfflineSynthesizer::new(&schema, &source.glossary, self.settings.synth.min_confidence);
                (Some(schema), Some(synthesizer))
            } else {
                (None, None)
            };
            contexts.push(GroupContext {
                source: group.source.to_string(),
                guard: ReadOnlyGuard::new(pool.dialect()).with_row_cap(self.settings.exec.max_rows + 1),
                synthesizer,
                schema,
            });
        }

        // At most `max_concurrency` questions of this job executing at once
        // (each holds a Parquet writer); the executor's permits bound queries across jobs.
        let run = JobRun {
            output,
            progress,
            writers: Semaphore::new(self.settings.exec.max_concurrency),
            usage: JobUsage::new(),
            interrupted: Default::default(),
            kept,
        };
        let answered =
            join_all(groups.iter().zip(&contexts).map(|(group, context)| self.answer_group(group, context, &run)))
                .await;
        if let Some((question, message)) = run.interrupted.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(JobFailure::Transient { question, message });
        }
        let mut records: Vec<Option<QuestionRecord>> = vec![None; job.questions.len()];
        for (index, record) in answered.into_iter().flatten() {
            records[index] = Some(record);
        }
        let records = records.into_iter().map(|r| r.expect("every question yields a record")).collect();
        Ok((records, run.usage.totals()))
    }

    /// Answers every question of one source group; never fails: every failure
    /// becomes a record's status. Pinned and offline answers run while the
    /// LLM works on the rest of the group.
    async fn answer_group(
        &self,
        group: &SchemaGroup<'_>,
        context: &GroupContext,
        run: &JobRun<'_>,
    ) -> Vec<(usize, QuestionRecord)> {
        // Resume and cache lookups are I/O (a footer, Redis, disk): a few at once.
        let mut routed = Vec::with_capacity(group.questions.len());
        for chunk in group.questions.chunks(LOOKUPS_IN_FLIGHT) {
            routed.extend(join_all(chunk.iter().map(|&(i, question)| self.route(i, question, context, run))).await);
        }
        let mut done = Vec::new();
        let mut ready = Vec::new();
        let mut for_llm = Vec::new();
        for (work, route) in routed {
            let index = work.index;
            match route {
                Route::Resumed(record) => {
                    run.progress.inc(1);
                    done.push((index, *record));
                }
                Route::Ready(answer) => ready.push((work, answer)),
                Route::Llm => for_llm.push(work),
                Route::Unanswered(reason) => {
                    let record = self.finish(&work, run, None, Outcome::Unanswered(format!("synthesis: {reason}")));
                    done.push((index, record));
                }
            }
        }
        let direct = join_all(ready.into_iter().map(|(work, answer)| async move {
            let outcome = self.run_answer(&work, &answer, context, run).await;
            if outcome.is_ok() {
                self.remember(work.question, context, &answer).await;
            }
            (work.index, self.finish(&work, run, Some(&answer), outcome.into()))
        }));
        let (direct, from_llm) = futures_util::future::join(direct, self.answer_with_llm(for_llm, context, run)).await;
        done.extend(direct);
        done.extend(from_llm);
        done
    }

    /// A question's work, and where its answer comes from: a file a previous
    /// run finished, the answer cache, pinned SQL, the offline synthesizer, or the LLM.
    async fn route<'q>(
        &self,
        index: usize,
        question: &'q Question,
        context: &GroupContext,
        run: &JobRun<'_>,
    ) -> (Work<'q>, Route) {
        let span = info_span!("question", question_id = %question.id, source = %question.source);
        let work = Work { index, question, started: Instant::now(), span };
        let route = async {
            if let Some(record) = run.kept.get(&question.id) {
                return Route::Resumed(Box::new(record.clone()));
            }
            if let Some(record) = resumed(question, run.output, &context.guard).await {
                return Route::Resumed(Box::new(record));
            }
            match self.cached_answer(question, context).await {
                Some(answer) => Route::Ready(answer),
                None => self.first_answer(question, context),
            }
        };
        let route = route.instrument(work.span.clone()).await;
        (work, route)
    }

    /// SQL the answer cache holds for an unpinned question on this schema
    /// (keyed by its fingerprint and the normalized question): synthesized
    /// before, and executed successfully then.
    async fn cached_answer(&self, question: &Question, context: &GroupContext) -> Option<SqlAnswer> {
        if question.sql.is_some() {
            return None;
        }
        let schema = context.schema.as_ref()?;
        let cached = self.caches.answers.get(&context.source, &schema.fingerprint, &question.question).await?;
        info!(first_by = cached.synthesizer.name(), "answer cache hit");
        Some(SqlAnswer {
            sql: cached.sql,
            synthesizer: SynthesizerKind::Cache,
            confidence: 1.0,
            restatement: cached.restatement,
        })
    }

    /// Caches SQL a synthesizer produced, with its restatement, once it has
    /// executed successfully (the cache itself keeps only offline and LLM answers).
    async fn remember(&self, question: &Question, context: &GroupContext, answer: &SqlAnswer) {
        if let Some(schema) = &context.schema {
            let (source, fingerprint, restatement) =
                (&context.source, &schema.fingerprint, answer.restatement.as_deref());
            let answers = &self.caches.answers;
            answers.put(source, fingerprint, &question.question, &answer.sql, answer.synthesizer, restatement).await;
        }
    }

    /// Pinned SQL, or the offline fast path's answer, or the decision to ask the LLM.
    fn first_answer(&self, question: &Question, context: &GroupContext) -> Route {
        if let Some(sql) = &question.sql {
            return Route::Ready(SqlAnswer {
                sql: sql.clone(),
                synthesizer: SynthesizerKind::Pinned,
                confidence: 1.0,
                restatement: None,
            });
        }
        let llm = self.settings.synth.provider == Provider::OpenAi;
        if llm && !self.settings.synth.fast_path {
            return Route::Llm;
        }
        let synthesizer = context.synthesizer.as_ref().expect("groups with unpinned questions have a synthesizer");
        let started = Instant::now();
        let answer = synthesizer.synthesize(&question.question);
        observe_stage("synthesis", started);
        match answer {
            Ok(answer) => Route::Ready(answer),
            Err(abstention) if llm => {
                info!(reason = %abstention, "offline synthesizer abstained; asking the LLM");
                Route::Llm
            }
            Err(abstention) => Route::Unanswered(abstention.to_string()),
        }
    }

    /// The question's record, logged, counted and reported to the progress bar.
    fn finish(
        &self,
        work: &Work<'_>,
        run: &JobRun<'_>,
        answer: Option<&SqlAnswer>,
        outcome: Outcome,
    ) -> QuestionRecord {
        let question = work.question;
        let mut record = QuestionRecord {
            id: question.id.clone(),
            source: question.source.clone(),
            question: question.question.clone(),
            status: Status::Failed,
            sql: answer.map(|a| a.sql.clone()),
            synthesizer: answer.map(|a| a.synthesizer.name().to_string()),
            interpretation: None,
            rows: 0,
            truncated: false,
            columns: Vec::new(),
            file: None,
            elapsed_ms: work.started.elapsed().as_millis() as u64,
            error: None,
        };
        match outcome {
            Outcome::Answered(written) => {
                record.status = Status::Ok;
                record.interpretation = Some(written.interpretation);
                record.rows = written.rows;
                record.truncated = written.truncated;
                record.columns = written.columns;
                record.file = Some(written.file);
            }
            Outcome::Failed(error) => record.error = Some(redact(&error)),
            Outcome::Interrupted(error) => {
                let error = redact(&error);
                work.span.in_scope(|| warn!(error = %error, "transient failure; the job will run again"));
                let mut interrupted = run.interrupted.lock().unwrap_or_else(|e| e.into_inner());
                interrupted.get_or_insert_with(|| (question.id.clone(), error.clone()));
                record.error = Some(error);
            }
            Outcome::Unanswered(reason) => {
                record.status = Status::Unanswered;
                record.error = Some(redact(&reason));
            }
        }
        let synthesizer = record.synthesizer.clone().unwrap_or_else(|| "none".into());
        metrics::counter!(QUESTIONS_TOTAL, "status" => record.status.name(), "synthesizer" => synthesizer).increment(1);
        work.span.in_scope(|| {
            info!(status = record.status.name(), rows = record.rows, elapsed_ms = record.elapsed_ms, "question done")
        });
        run.progress.inc(1);
        record
    }

    /// The open output root for `location`, shared by every job writing there.
    fn output(&self, location: &OutputLocation) -> Result<Arc<OutputRoot>, JobFailure> {
        let mut by_location = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(root) = by_location.get(location) {
            return Ok(root.clone());
        }
        let root = OutputRoot::open(location)
            .map_err(|message| JobFailure::Output { location: location.to_string(), message })?;
        Ok(by_location.entry(location.clone()).or_insert(Arc::new(root)).clone())
    }

    /// How long a temporary answer file must sit untouched before a run may
    /// delete it as a crash's leftover: longer than any live query can keep it idle.
    fn stale_temp_age(&self) -> Duration {
        Duration::from_millis(self.settings.exec.statement_timeout_ms) + Duration::from_secs(600)
    }

    pub async fn close(&self) {
        self.executor.close().await;
    }
}

fn observe_stage(stage: &'static str, started: Instant) {
    metrics::histogram!(STAGE_DURATION_SECONDS, "stage" => stage).record(started.elapsed().as_secs_f64());
}
