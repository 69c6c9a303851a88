//! `report.html`: one self-contained page per job, for the people who asked
//! the questions, written beside the manifest (DESIGN.md section 3).
//!
//! ```text
//!  manifest ──> per question: first rows read back ──> chart chosen ──> inline SVG ─┐
//!  (this run)   from its Parquet file (head.rs)        (chart.rs)       (svg.rs)    ├─> page (html.rs) ─> report.html
//!  earlier run ─> its manifest and first rows ───────> what changed (compare.rs) ───┘
//! ```
//!
//! Invariants:
//! * The page needs nothing else: CSS inline, charts inline SVG, no script,
//!   no font or image to fetch. Every text from a manifest or a database is
//!   escaped ([`html::esc`]); the page carries a Content-Security-Policy
//!   that forbids scripts too.
//! * What the page shows is what was written: rows are read back from the
//!   answer files, at most `output.report_rows` per answer ([`head`]: the
//!   footer, then only the pages holding those rows), so a page costs the
//!   same for 50 rows or 50 million.
//! * Publication follows the sink's rules: a run publishes the report
//!   atomically just before the manifest, which stays the last write, both
//!   made durable together ([`JobOutput::write_manifest_after`]); `sqlsynth
//!   report` republishes it alone ([`write_report`]).
//! * Building a page never fails: an answer or an earlier run that cannot be
//!   read is said on the page. Only failing to write it fails a job, as
//!   failing to write the manifest would.
//! * The earlier run is the latest earlier tick of the same schedule (job ids
//!   `<schedule>-<tick>`, [`crate::job::parse_scheduled_job_id`]) that has a
//!   manifest under the same output root, or the run `sqlsynth report
//!   --compare` names.
//!
//! [`head`]: crate::sink::head

use std::io;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use crate::job::parse_scheduled_job_id;
use crate::sink::head::AnswerHead;
use crate::sink::manifest::{MANIFEST_FILE, Manifest, QuestionRecord, Status};
use crate::sink::output::JobOutput;

pub mod chart;
pub mod compare;
pub mod format;
pub mod frame;
pub mod html;
pub mod sql;
pub mod svg;

use chart::Chart;
use compare::{Comparison, Side};
use frame::Frame;

/// The report's file name inside the job's directory or prefix.
pub const REPORT_FILE: &str = "report.html";
/// Rows read from each answer for its table and chart, unless configured.
pub const DEFAULT_REPORT_ROWS: usize = 500;
/// The most `output.report_rows` may be.
pub const MAX_REPORT_ROWS: usize = 100_000;
/// Answer files read at once.
const READS_IN_FLIGHT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{location}: no manifest there, so no finished job to report on")]
    NoManifest { location: String },
    #[error("{location}: cannot read the manifest: {message}")]
    ReadManifest { location: String, message: String },
    #[error("{root}: cannot list the earlier runs of schedule {schedule}: {message}")]
    ListRuns { root: String, schedule: String, message: String },
    #[error("{location}: cannot write the report: {message}")]
    Write { location: String, message: String },
}

/// What the report compares the job with.
#[derive(Debug)]
pub enum Compare {
    /// The previous run of the job's schedule under the same output root, if
    /// the job is a scheduled one and such a run finished.
    PreviousRun,
    /// This run (`sqlsynth report --compare`).
    With(Box<Run>),
}

/// A finished job: where it is, and its manifest.
#[derive(Debug)]
pub struct Run {
    pub output: JobOutput,
    pub manifest: Manifest,
}

/// How a report is built.
#[derive(Debug)]
pub struct ReportOptions {
    /// Rows read from each answer (`output.report_rows`).
    pub rows: usize,
    pub compare: Compare,
}

/// The run a page compares with, or why there is none.
#[derive(Debug)]
pub enum Baseline {
    Run(Box<Run>),
    /// The job id is not `<schedule>-<tick>`.
    NotScheduled,
    /// No earlier tick of this schedule finished under this output root.
    FirstRun {
        schedule: String,
    },
    /// Looking for the earlier run failed.
    Unavailable(String),
}

/// Everything the page shows about one question.
#[derive(Debug)]
pub struct Section<'a> {
    pub record: &'a QuestionRecord,
    /// Its first rows and chart; `None` when it has no answer file, an error
    /// when the file could not be read.
    pub answer: Option<Result<Answer, String>>,
    /// What changed since the baseline run; `None` without one.
    pub comparison: Option<Comparison>,
}

/// An answer's first rows and the chart they get.
#[derive(Debug)]
pub struct Answer {
    pub frame: Frame,
    pub chart: Chart,
}

/// The whole page's content.
#[derive(Debug)]
pub struct Page<'a> {
    pub manifest: &'a Manifest,
    /// The job's directory or prefix.
    pub location: String,
    pub baseline: Baseline,
    /// Ids of the questions the baseline run asked and this one does not.
    pub dropped: Vec<String>,
    pub sections: Vec<Section<'a>>,
    /// Rows read per answer.
    pub rows: usize,
}

/// Builds the page of a finished job and publishes it as `report.html` in
/// the job's directory or prefix, durably (`sqlsynth report`).
pub async fn write_report(output: &JobOutput, manifest: &Manifest, options: ReportOptions) -> Result<(), ReportError> {
    let page = build_report(output, manifest, options).await;
    output.publish(REPORT_FILE, page).await.map_err(|e| ReportError::Write {
        location: output.location_of(REPORT_FILE),
        message: crate::secret::redact(&e.to_string()),
    })
}

/// The page of a finished job, as bytes. Never fails: an answer or an
/// earlier run that cannot be read is said on the page.
pub async fn build_report(output: &JobOutput, manifest: &Manifest, options: ReportOptions) -> Vec<u8> {
    let rows = options.rows;
    let baseline = match options.compare {
        Compare::With(run) => Baseline::Run(run),
        Compare::PreviousRun => match previous_run(output).await {
            Ok(Some(run)) => Baseline::Run(Box::new(run)),
            Ok(None) => match parse_scheduled_job_id(output.job_id()) {
                Some((schedule, _)) => Baseline::FirstRun { schedule: schedule.to_string() },
                None => Baseline::NotScheduled,
            },
            Err(e) => Baseline::Unavailable(e.to_string()),
        },
    };
    let earlier = match &baseline {
        Baseline::Run(run) => Some(run.as_ref()),
        _ => None,
    };
    let mut sections = Vec::with_capacity(manifest.questions.len());
    for chunk in manifest.questions.chunks(READS_IN_FLIGHT) {
        sections.extend(join_all(chunk.iter().map(|record| section(output, record, earlier, rows))).await);
    }
    let dropped = earlier
        .map(|run| {
            let asked = |id: &str| manifest.questions.iter().any(|q| q.id == id);
            run.manifest.questions.iter().filter(|q| !asked(&q.id)).map(|q| q.id.clone()).collect()
        })
        .unwrap_or_default();
    let page = Page { manifest, location: output.location(), baseline, dropped, sections, rows };
    html::render(&page).into_bytes()
}

/// One question's section: its answer read back, and the comparison with the earlier run.
async fn section<'a>(
    output: &JobOutput,
    record: &'a QuestionRecord,
    earlier: Option<&Run>,
    rows: usize,
) -> Section<'a> {
    let answer = read_frame(output, record, rows).await.map(|read| {
        read.map(|frame| {
            let chart = chart::choose(&frame);
            Answer { frame, chart }
        })
    });
    let Some(run) = earlier else {
        return Section { record, answer, comparison: None };
    };
    let before_record = run.manifest.questions.iter().find(|q| q.id == record.id);
    let now_answer = answer.as_ref().and_then(|a| a.as_ref().ok());
    let chart = now_answer.map_or(&Chart::Table, |a| &a.chart);
    // The earlier rows matter only to compare values, which a table alone does not.
    let before = match before_record {
        Some(before) if *chart != Chart::Table => read_frame(&run.output, before, rows).await,
        _ => None,
    };
    let (before_frame, before_error) = match &before {
        Some(Ok(frame)) => (Some(frame), None),
        Some(Err(e)) => (None, Some(e.as_str())),
        None => (None, None),
    };
    let now = Side { record, frame: now_answer.map(|a| &a.frame) };
    let before = before_record.map(|record| Side { record, frame: before_frame });
    let comparison = compare::compare(now, before, before_error, chart);
    Section { record, answer, comparison: Some(comparison) }
}

/// The first `rows` rows of a question's answer file; `None` when it has none.
async fn read_frame(output: &JobOutput, record: &QuestionRecord, rows: usize) -> Option<Result<Frame, String>> {
    let file = record.file.as_deref().filter(|_| record.status == Status::Ok)?;
    let read = output.read_answer_head(file, rows).await.map_err(|e| e.to_string());
    Some(read.and_then(|head: AnswerHead| {
        Frame::from_batches(&head.schema, &head.batches).map_err(|e| format!("{}: {e}", output.location_of(file)))
    }))
}

/// The latest earlier run of the same schedule under the same output root
/// that finished (has a manifest); `None` for a job that is not scheduled.
pub async fn previous_run(output: &JobOutput) -> Result<Option<Run>, ReportError> {
    let Some((schedule, tick)) = parse_scheduled_job_id(output.job_id()) else {
        return Ok(None);
    };
    let root = output.root();
    let listed = root.job_ids(&format!("{schedule}-")).await.map_err(|e| ReportError::ListRuns {
        root: root.location().to_string(),
        schedule: schedule.to_string(),
        message: crate::secret::redact(&e.to_string()),
    })?;
    let mut earlier: Vec<(DateTime<Utc>, String)> = listed
        .into_iter()
        .filter_map(|id| {
            let (name, at) = parse_scheduled_job_id(&id)?;
            (name == schedule && at < tick).then_some((at, id))
        })
        .collect();
    earlier.sort_by_key(|run| std::cmp::Reverse(run.0));
    for (_, id) in earlier {
        let job = root.job(&id);
        if let Some(manifest) = read_manifest(&job).await? {
            return Ok(Some(Run { output: job, manifest }));
        }
    }
    Ok(None)
}

/// A job's manifest, `None` when it has none (not finished).
pub async fn read_manifest(job: &JobOutput) -> Result<Option<Manifest>, ReportError> {
    job.read_manifest().await.map_err(|e: io::Error| ReportError::ReadManifest {
        location: job.location_of(MANIFEST_FILE),
        message: crate::secret::redact(&e.to_string()),
    })
}

/// A finished job's run, or [`ReportError::NoManifest`].
pub async fn finished_run(job: JobOutput) -> Result<Run, ReportError> {
    match read_manifest(&job).await? {
        Some(manifest) => Ok(Run { output: job, manifest }),
        None => Err(ReportError::NoManifest { location: job.location() }),
    }
}
