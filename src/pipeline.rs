//! The one place that wires the stages together: job -> plan -> synthesize ->
//! guard -> execute -> sink. Every other module knows only the stages before
//! it.
//!
//! Guarantees of [`Pipeline::run_job`]:
//! * a job whose manifest exists is not run again; its manifest is returned;
//! * a question whose Parquet file exists is not executed again: its record
//!   is rebuilt from the file's footer (resume after a crash);
//! * one question's failure (synthesis, guard, execution) is recorded in its
//!   record and never affects the others;
//! * the manifest is written last, atomically, and only when every question
//!   has a record; job-level faults (a source that cannot be reached, an output
//!   directory that cannot be written) write nothing and return an error, so
//!   a queue can redeliver the job.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use indicatif::ProgressBar;
use tracing::{Instrument, info, info_span, warn};

use crate::config::Settings;
use crate::db::ConnectError;
use crate::execute::{ExecError, Executor, retry_delay};
use crate::guard::ReadOnlyGuard;
use crate::job::{Job, Question};
use crate::plan::introspect::IntrospectError;
use crate::plan::schema::DatabaseSchema;
use crate::plan::{SchemaCache, group_by_source};
use crate::secret::redact;
use crate::sink::atomic;
use crate::sink::manifest::{ColumnRecord, Manifest, QuestionRecord, Stats, Status};
use crate::sink::parquet::{read_footer, spawn_parquet_writer};
use crate::synth::offline::OfflineSynthesizer;
use crate::synth::{SqlAnswer, SynthesizerKind};

/// Keys of the key/value metadata each answer's Parquet footer carries, so a
/// resumed job can rebuild the question's record without re-running it.
pub mod footer_keys {
    pub const QUESTION: &str = "sqlsynth.question";
    pub const SOURCE: &str = "sqlsynth.source";
    pub const SQL: &str = "sqlsynth.sql";
    pub const SYNTHESIZER: &str = "sqlsynth.synthesizer";
    pub const TRUNCATED: &str = "sqlsynth.truncated";
    pub const ELAPSED_MS: &str = "sqlsynth.elapsed_ms";
}

/// A fault of the whole job: nothing was written; running it again later may succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
    #[error("output directory {path}: {message}")]
    Output { path: PathBuf, message: String },
}

/// What running a job produced.
#[derive(Debug)]
pub struct JobOutcome {
    pub manifest: Manifest,
    /// The job directory (`<output root>/<job_id>`).
    pub dir: PathBuf,
    /// True when the manifest already existed and nothing was run.
    pub reused: bool,
}

/// Runs jobs against the configured sources. Cheap to share: one per process.
pub struct Pipeline {
    settings: Arc<Settings>,
    executor: Arc<Executor>,
    schemas: SchemaCache,
}

/// What every question of one source group shares.
struct GroupContext {
    source: String,
    guard: ReadOnlyGuard,
    synthesizer: Option<OfflineSynthesizer>,
}

impl Pipeline {
    pub fn new(settings: Arc<Settings>) -> Self {
        let executor = Arc::new(Executor::new(&settings.sources, settings.exec.clone()));
        Pipeline { settings, executor, schemas: SchemaCache::new() }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// The schema of a source, introspected once and then kept in memory.
    pub async fn schema(&self, source: &str) -> Result<Arc<DatabaseSchema>, JobFailure> {
        let pool = self.executor.pool(source).await?;
        Ok(self.schemas.get(source, pool).await?)
    }

    /// Runs `job`, writing into `<out_root>/<job_id>/`. `progress` advances once per question.
    pub async fn run_job(&self, job: &Job, out_root: &Path, progress: &ProgressBar) -> Result<JobOutcome, JobFailure> {
        let dir = out_root.join(&job.job_id);
        let output_error = |e: std::io::Error| JobFailure::Output { path: dir.clone(), message: e.to_string() };
        if let Some(manifest) = Manifest::read(&dir).map_err(output_error)? {
            info!(job_id = %job.job_id, "manifest exists; job already done");
            progress.inc(job.questions.len() as u64);
            return Ok(JobOutcome { manifest, dir, reused: true });
        }
        std::fs::create_dir_all(&dir).map_err(output_error)?;
        // The job directory's own entry must survive a crash once the manifest does.
        atomic::sync_dir(out_root).map_err(output_error)?;
        atomic::remove_stale_temps(&dir, self.stale_temp_age()).map_err(output_error)?;
        let started_at = Utc::now();
        let span = info_span!("job", job_id = %job.job_id);
        let records = self.answer_all(job, &dir, progress).instrument(span).await?;
        let manifest = Manifest {
            job_id: job.job_id.clone(),
            started_at,
            finished_at: Utc::now(),
            stats: Stats::tally(&records),
            questions: records,
        };
        manifest.write(&dir).map_err(output_error)?;
        info!(job_id = %job.job_id, ok = manifest.stats.ok, failed = manifest.stats.failed,
              unanswered = manifest.stats.unanswered, "job finished");
        Ok(JobOutcome { manifest, dir, reused: false })
    }

    async fn answer_all(
        &self,
        job: &Job,
        dir: &Path,
        progress: &ProgressBar,
    ) -> Result<Vec<QuestionRecord>, JobFailure> {
        let groups = group_by_source(job);
        let mut contexts: HashMap<&str, Arc<GroupContext>> = HashMap::new();
        for group in &groups {
            let pool = self.executor.pool(group.source).await?;
            let synthesizer = if group.needs_schema() {
                let schema = self.schemas.get(group.source, pool).await?;
                let source = self.settings.source(group.source).expect("validated jobs name configured sources");
                Some(OfflineSynthesizer::new(&schema, &source.glossary, self.settings.synth.min_confidence))
            } else {
                None
            };
            let context = GroupContext {
                source: group.source.to_string(),
                guard: ReadOnlyGuard::new(pool.dialect()).with_row_cap(self.settings.exec.max_rows + 1),
                synthesizer,
            };
            contexts.insert(group.source, Arc::new(context));
        }

        // At most `max_concurrency` questions of this job in flight (each holds a
        // Parquet writer); the executor's permits bound queries across jobs.
        let in_flight = self.settings.exec.max_concurrency;
        let mut waiting = job.questions.iter().enumerate();
        let mut running = FuturesUnordered::new();
        let mut records: Vec<Option<QuestionRecord>> = vec![None; job.questions.len()];
        loop {
            while running.len() < in_flight {
                let Some((index, question)) = waiting.next() else { break };
                let context = contexts[question.source.as_str()].clone();
                running.push(self.answer_in_span(index, question, context, dir, progress));
            }
            let Some((index, record)) = running.next().await else { break };
            records[index] = Some(record);
        }
        Ok(records.into_iter().map(|r| r.expect("every question yields a record")).collect())
    }

    /// [`Pipeline::answer`] inside the question's span, reporting progress.
    async fn answer_in_span(
        &self,
        index: usize,
        question: &Question,
        context: Arc<GroupContext>,
        dir: &Path,
        progress: &ProgressBar,
    ) -> (usize, QuestionRecord) {
        let span = info_span!("question", question_id = %question.id, source = %question.source);
        let record = self.answer(question, &context, dir).instrument(span).await;
        progress.inc(1);
        (index, record)
    }

    /// Answers one question; never fails: every failure becomes the record's status.
    async fn answer(&self, question: &Question, context: &GroupContext, dir: &Path) -> QuestionRecord {
        let started = Instant::now();
        let file_name = format!("{}.parquet", question.id);
        let path = dir.join(&file_name);
        if path.exists() {
            match resumed_record(question, &path, &file_name) {
                Some(record) => {
                    info!(status = "ok", "answer file exists; not run again");
                    return record;
                }
                None => {
                    warn!("answer file is unreadable; answering again");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let mut record = QuestionRecord {
            id: question.id.clone(),
            source: question.source.clone(),
            question: question.question.clone(),
            status: Status::Failed,
            sql: None,
            synthesizer: None,
            rows: 0,
            truncated: false,
            columns: Vec::new(),
            file: None,
            elapsed_ms: 0,
            error: None,
        };
        let finish = |mut record: QuestionRecord, status: Status, error: Option<String>| {
            record.status = status;
            record.error = error.map(|e| redact(&e));
            record.elapsed_ms = started.elapsed().as_millis() as u64;
            info!(status = status.name(), rows = record.rows, elapsed_ms = record.elapsed_ms, "question done");
            record
        };

        let answer = match (&question.sql, &context.synthesizer) {
            (Some(sql), _) => SqlAnswer { sql: sql.clone(), synthesizer: SynthesizerKind::Pinned, confidence: 1.0 },
            (None, Some(synthesizer)) => match synthesizer.synthesize(&question.question) {
                Ok(answer) => answer,
                Err(abstention) => return finish(record, Status::Unanswered, Some(format!("synthesis: {abstention}"))),
            },
            (None, None) => unreachable!("groups with unpinned questions always have a synthesizer"),
        };
        record.sql = Some(answer.sql.clone());
        record.synthesizer = Some(answer.synthesizer.name().to_string());

        let guarded = match context.guard.check(&answer.sql) {
            Ok(guarded) => guarded,
            Err(e) => return finish(record, Status::Failed, Some(format!("guard: {}", e.reason))),
        };

        let max_retries = self.settings.exec.max_retries;
        let mut attempt = 0;
        loop {
            let (batches, writer) = spawn_parquet_writer(path.clone());
            // The query streams in its own task: polling it inside the question's
            // span would enter and exit the span for every row.
            let executor = self.executor.clone();
            let (source, sql) = (context.source.clone(), guarded.clone());
            let result = tokio::spawn(async move { executor.run(&source, &sql, &batches).await })
                .await
                .unwrap_or_else(|panic| Err(ExecError::Internal(format!("the query task stopped: {panic}"))));
            match result {
                Ok(summary) => {
                    let elapsed_ms = started.elapsed().as_millis() as u64;
                    let metadata = vec![
                        (footer_keys::QUESTION.to_string(), question.question.clone()),
                        (footer_keys::SOURCE.to_string(), question.source.clone()),
                        (footer_keys::SQL.to_string(), answer.sql.clone()),
                        (footer_keys::SYNTHESIZER.to_string(), answer.synthesizer.name().to_string()),
                        (footer_keys::TRUNCATED.to_string(), summary.truncated.to_string()),
                        (footer_keys::ELAPSED_MS.to_string(), elapsed_ms.to_string()),
                    ];
                    return match writer.commit(metadata).await {
                        Ok(written) => {
                            record.rows = written.rows;
                            record.truncated = summary.truncated;
                            record.columns = column_records(&summary.schema);
                            record.file = Some(file_name);
                            finish(record, Status::Ok, None)
                        }
                        Err(e) => finish(record, Status::Failed, Some(format!("write: {e}"))),
                    };
                }
                Err(e) => {
                    writer.abort().await;
                    if e.is_transient() && attempt < max_retries {
                        let delay = retry_delay(attempt);
                        warn!(attempt, delay_ms = delay.as_millis() as u64, error = %e.public_message(), "transient error; retrying");
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    return finish(record, Status::Failed, Some(execution_error(&e)));
                }
            }
        }
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

fn execution_error(e: &ExecError) -> String {
    format!("execution: {}", e.public_message())
}

/// Column names and Arrow types as the manifest records them.
pub fn column_records(schema: &arrow_schema::Schema) -> Vec<ColumnRecord> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnRecord { name: f.name().clone(), data_type: f.data_type().to_string() })
        .collect()
}

/// Rebuilds the record of a question whose answer file a previous run finished.
fn resumed_record(question: &Question, path: &Path, file_name: &str) -> Option<QuestionRecord> {
    let footer = read_footer(path).ok()?;
    let meta = |key: &str| footer.metadata.get(key).cloned();
    Some(QuestionRecord {
        id: question.id.clone(),
        source: question.source.clone(),
        question: question.question.clone(),
        status: Status::Ok,
        sql: meta(footer_keys::SQL),
        synthesizer: meta(footer_keys::SYNTHESIZER),
        rows: footer.rows,
        truncated: meta(footer_keys::TRUNCATED).as_deref() == Some("true"),
        columns: column_records(&footer.schema),
        file: Some(file_name.to_string()),
        elapsed_ms: meta(footer_keys::ELAPSED_MS).and_then(|v| v.parse().ok()).unwrap_or(0),
        error: None,
    })
}
