//! Warming: make the next scheduled run find everything in the caches.
//!
//! For each source: its schema is introspected again in full and stored at
//! every cache level (answers of a changed schema are dropped). Then every
//! question of the given jobs that is on one of those sources and is not
//! pinned runs through a [`Pipeline`] whose settings differ only in
//! `exec.max_rows = 1`, writing into a scratch directory that is deleted
//! afterwards. The pipeline stores every answer that synthesized, passed the
//! guard and executed in the answer cache, so warming caches verified answers
//! only, and the real run (same schema fingerprint, same normalized
//! questions) finds them in Redis or on disk.

use std::path::PathBuf;
use std::sync::Arc;

use indicatif::ProgressBar;
use tracing::info;

use crate::config::Settings;
use crate::job::Job;
use crate::pipeline::{JobFailure, Pipeline};
use crate::sink::manifest::Status;

/// What a warm-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarmReport {
    /// Sources whose schema was refreshed.
    pub sources: Vec<String>,
    /// Questions run to warm the answer cache.
    pub questions: usize,
    /// Of those, answered (and so cached).
    pub answered: usize,
    /// Of those, already in the answer cache.
    pub from_cache: usize,
    /// Of those, unanswered or failed (not cached; the real run will not find them either).
    pub missed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum WarmError {
    #[error("source '{0}' is not configured")]
    UnknownSource(String),
    #[error(transparent)]
    Job(#[from] JobFailure),
    #[error("scratch directory {path}: {message}")]
    Scratch { path: PathBuf, message: String },
}

/// Refreshes the schemas of `sources` and pre-synthesizes the questions of `jobs` on them.
pub async fn warm(settings: &Settings, sources: &[String], jobs: &[Job]) -> Result<WarmReport, WarmError> {
    if let Some(unknown) = sources.iter().find(|s| settings.source(s).is_none()) {
        return Err(WarmError::UnknownSource(unknown.clone()));
    }
    let mut scratch_settings = settings.clone();
    scratch_settings.exec.max_rows = 1;
    // The scratch answers are thrown away: nobody reads a report of them.
    scratch_settings.output.report = false;
    let pipeline = Pipeline::new(Arc::new(scratch_settings));
    let result = warm_with(&pipeline, sources, jobs).await;
    pipeline.close().await;
    result
}

async fn warm_with(pipeline: &Pipeline, sources: &[String], jobs: &[Job]) -> Result<WarmReport, WarmError> {
    let mut report = WarmReport::default();
    for source in sources {
        let pool = pipeline.executor().pool(source).await.map_err(JobFailure::from)?;
        let schema = pipeline.caches().schemas.refresh(source, pool).await.map_err(JobFailure::from)?;
        info!(source, fingerprint = &schema.fingerprint[..12], "schema refreshed");
        report.sources.push(source.clone());
    }
    let scratch_error = |e: std::io::Error| WarmError::Scratch { path: std::env::temp_dir(), message: e.to_string() };
    let scratch = tempfile::Builder::new().prefix("sqlsynth-warm-").tempdir().map_err(scratch_error)?;
    let result = run_questions(pipeline, sources, jobs, scratch.path(), &mut report).await;
    let removed = scratch.close().map_err(scratch_error);
    result?;
    removed?;
    info!(
        sources = report.sources.len(),
        questions = report.questions,
        answered = report.answered,
        from_cache = report.from_cache,
        missed = report.missed,
        "caches warmed"
    );
    Ok(report)
}

async fn run_questions(
    pipeline: &Pipeline,
    sources: &[String],
    jobs: &[Job],
    scratch: &std::path::Path,
    report: &mut WarmReport,
) -> Result<(), WarmError> {
    for (index, job) in jobs.iter().enumerate() {
        let questions: Vec<_> =
            job.questions.iter().filter(|q| q.sql.is_none() && sources.contains(&q.source)).cloned().collect();
        if questions.is_empty() {
            continue;
        }
        let warm_job = Job { job_id: format!("warm-{index}"), questions };
        let outcome = pipeline.run_job(&warm_job, scratch, &ProgressBar::hidden()).await?;
        for record in &outcome.manifest.questions {
            report.questions += 1;
            match record.status {
                Status::Ok => report.answered += 1,
                _ => report.missed += 1,
            }
            if record.synthesizer.as_deref() == Some("cache") {
                report.from_cache += 1;
            }
        }
    }
    Ok(())
}
