//! The `sqlsynth` command line: the edge where raw arguments and configuration
//! are validated once, errors are printed with their whole chain (secrets
//! removed), and outcomes become exit codes: 0 all questions ok, 1 the job ran
//! but some questions failed or were unanswered, 2 bad input or configuration.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use sqlsynth::config::{LogFormat, Settings};
use sqlsynth::job::Job;
use sqlsynth::pipeline::{JobOutcome, Pipeline};
use sqlsynth::plan::schema::DatabaseSchema;
use sqlsynth::secret::redact;
use sqlsynth::sink::manifest::{Manifest, Status};
use sqlsynth::sink::output::OutputLocation;
use sqlsynth::synth::offline::OfflineSynthesizer;

#[derive(Debug, Parser)]
#[command(name = "sqlsynth", version, about = "Natural-language questions to SQL to Parquet, safely.")]
struct Cli {
    /// Configuration file (else $SQLSYNTH_CONFIG, else ./sqlsynth.toml, else the embedded demo default).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_name = "text|json")]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Process one job file locally (no broker needed).
    Run {
        /// The job file (JSON, see README "Job format").
        job: PathBuf,
        /// Output root, a directory or a store URL (s3://bucket/prefix); the job
        /// writes into OUT/<job_id>/ (default: output.root).
        #[arg(long, value_name = "DIR|URL")]
        out: Option<String>,
    },
    /// (Re)build a finished job's report.html from its manifest and answer files.
    Report {
        /// The job's directory or prefix: OUT_DIR/JOB_ID (or s3://bucket/prefix/JOB_ID).
        #[arg(value_name = "OUT_DIR/JOB_ID")]
        job: String,
        /// Compare with this finished run instead of the schedule's previous one.
        #[arg(long, value_name = "OUT_DIR/OTHER_JOB_ID")]
        compare: Option<String>,
    },
    /// Print how a question was understood, its SQL and a preview of its answer.
    Ask {
        question: String,
        #[arg(long, value_name = "NAME")]
        source: String,
        /// Rows to preview.
        #[arg(long, default_value_t = 20)]
        rows: u64,
    },
    /// Print a source's introspected schema.
    Schema {
        #[arg(long, value_name = "NAME")]
        source: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure the offline synthesizer against gold SQL (execution accuracy).
    Eval {
        /// The eval set: {"cases": [{"id", "question", "gold_sql", "tier"}]}; see evals/README.md.
        set: PathBuf,
        #[arg(long, value_name = "NAME")]
        source: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Consume jobs from RabbitMQ until SIGTERM or SIGINT (/healthz, /readyz, /metrics on metrics.listen).
    Worker,
    /// Publish a job to the jobs queue (publisher confirms); --wait prints its result.
    Publish {
        /// The job file (JSON); validated before anything is published.
        job: PathBuf,
        /// Wait for the job's result message and print its summary.
        #[arg(long)]
        wait: bool,
        /// With --wait: give up after this many seconds (exit 1).
        #[arg(long, value_name = "SECS", requires = "wait")]
        timeout: Option<u64>,
    },
    /// Run the cron schedules: publish scheduled jobs, warm caches (needs Redis; until SIGTERM or SIGINT).
    Scheduler {
        /// The schedules file.
        #[arg(long, value_name = "FILE", default_value = sqlsynth::scheduler::schedules::DEFAULT_PATH)]
        schedules: PathBuf,
    },
    /// Warm the caches now: refresh schemas, pre-synthesize the questions of scheduled jobs.
    Warm {
        /// Only this source (default: every configured source).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// The schedules file whose jobs are pre-synthesized (default jobs/schedules.toml, if present).
        #[arg(long, value_name = "FILE")]
        schedules: Option<PathBuf>,
    },
}

/// The log format in force once logging is set up.
static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// glibc keeps freed memory at the top of its heaps up to `M_TRIM_THRESHOLD`,
/// and raises that threshold (up to 64 MiB) each time a large buffer is freed.
/// An export frees batches and Parquet pages of several MiB all the time, so
/// the memory held but unused grew with the export's length (5M rows peaked
/// 35% above 500k). A fixed 1 MiB threshold gives it back: 5M rows peak
/// within 8% of 500k, no slower (issue 13; `benches/README.md`).
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}

/// An error that means "bad input or configuration" (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BadInput(String);

fn main() -> ExitCode {
    return_freed_memory();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            let chain: Vec<String> = error.chain().map(|e| e.to_string()).collect();
            let message = redact(&chain.join(": "));
            // With JSON logs every stderr line stays a JSON object.
            if LOG_FORMAT.get() == Some(&LogFormat::Json) {
                tracing::error!(error = %message, "command failed");
            } else {
                eprintln!("error: {message}");
            }
            if error.chain().any(|e| e.is::<BadInput>()) { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| BadInput(e.to_string()))?;
    let log_format = match cli.log_format.as_deref() {
        Some(value) => {
            LogFormat::parse(value).ok_or_else(|| BadInput(format!("--log-format: `{value}` is not text or json")))?
        }
        None => settings.log_format.unwrap_or(LogFormat::Text),
    };
    let interactive = std::io::stderr().is_terminal() && log_format == LogFormat::Text;
    // On a terminal the progress bar tells the story; logs stay for warnings.
    sqlsynth::logging::init(log_format, if interactive { "warn" } else { "info" });
    let _ = LOG_FORMAT.set(log_format);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Run { job, out } => run_job_file(settings, &job, out, interactive).await,
            Command::Report { job, compare } => report(settings, &job, compare.as_deref()).await,
            Command::Ask { question, source, rows } => ask(settings, &question, &source, rows).await,
            Command::Schema { source, json } => schema(settings, &source, json).await,
            Command::Worker => worker(settings).await,
            Command::Publish { job, wait, timeout } => publish(settings, &job, wait, timeout).await,
            Command::Eval { set, source, json } => eval(settings, &set, &source, json).await,
            Command::Scheduler { schedules } => scheduler(settings, &schedules).await,
            Command::Warm { source, schedules } => warm(settings, source, schedules).await,
        }
    })
}

async fn run_job_file(
    settings: Settings,
    path: &Path,
    out: Option<String>,
    interactive: bool,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(path).map_err(|e| BadInput(format!("cannot read job file {}: {e}", path.display())))?;
    let job = Job::parse(&bytes, |s| settings.source(s).is_some())
        .map_err(|e| BadInput(format!("job file {}: {e}", path.display())))?;
    let out_root = match out {
        Some(out) => OutputLocation::parse(&out).map_err(|e| BadInput(format!("--out: {e}")))?,
        None => settings.output.root.clone(),
    };
    let pipeline = Pipeline::new(Arc::new(settings));
    let progress = progress_bar(job.questions.len() as u64, interactive);
    let result = pipeline.run_job(&job, &out_root, &progress).await;
    progress.finish_and_clear();
    pipeline.close().await;
    let outcome = result.map_err(|e| BadInput(e.to_string()))?;
    print_summary(&outcome);
    Ok(if outcome.manifest.all_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn progress_bar(len: u64, interactive: bool) -> ProgressBar {
    if !interactive {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} questions")
            .expect("the template is valid"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn print_summary(outcome: &JobOutcome) {
    let manifest: &Manifest = &outcome.manifest;
    if outcome.reused {
        println!("job {} was already done; its manifest is unchanged", manifest.job_id);
    }
    println!("{:<16} {:<44} {:<10} {:>9} {:<11} {:>7}", "id", "question", "status", "rows", "synthesizer", "ms");
    for q in &manifest.questions {
        println!(
            "{:<16} {:<44} {:<10} {:>9} {:<11} {:>7}",
            clip(&q.id, 16),
            clip(&q.question, 44),
            q.status.name(),
            q.rows,
            q.synthesizer.as_deref().unwrap_or("-"),
            q.elapsed_ms
        );
    }
    for q in manifest.questions.iter().filter(|q| q.status != Status::Ok) {
        println!("{}: {}", q.id, q.error.as_deref().unwrap_or(""));
    }
    let s = &manifest.stats;
    println!(
        "{} ok, {} failed, {} unanswered -> {}/{}",
        s.ok,
        s.failed,
        s.unanswered,
        outcome.location,
        sqlsynth::sink::manifest::MANIFEST_FILE
    );
}

/// `text` on one line: line breaks become spaces.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn clip(text: &str, width: usize) -> String {
    let one_line = one_line(text);
    if one_line.chars().count() <= width {
        one_line
    } else {
        let mut clipped: String = one_line.chars().take(width - 1).collect();
        clipped.push('…');
        clipped
    }
}

/// `sqlsynth report`: exit 0 once the page is written, 2 when the job (or the
/// one to compare with) has no manifest or cannot be read.
async fn report(settings: Settings, job: &str, compare: Option<&str>) -> anyhow::Result<ExitCode> {
    use sqlsynth::sink::report::{self, Compare, REPORT_FILE, ReportOptions};
    let finished = |path: &str, what: &'static str| {
        let job = job_output(path).map_err(|e| BadInput(format!("{what}: {e}")))?;
        anyhow::Ok(async move { report::finished_run(job).await.map_err(|e| BadInput(e.to_string())) })
    };
    let run = finished(job, "OUT_DIR/JOB_ID")?.await?;
    let compare = match compare {
        Some(other) => Compare::With(Box::new(finished(other, "--compare")?.await?)),
        None => Compare::PreviousRun,
    };
    let options = ReportOptions { rows: settings.output.report_rows, compare };
    report::write_report(&run.output, &run.manifest, options).await?;
    println!("{}", run.output.location_of(REPORT_FILE));
    Ok(ExitCode::SUCCESS)
}

/// The job at `OUT_DIR/JOB_ID`: its output root is everything before the last `/`.
fn job_output(path: &str) -> Result<sqlsynth::sink::output::JobOutput, String> {
    let path = path.trim_end_matches('/');
    let (root, job_id) = path.rsplit_once('/').unwrap_or((".", path));
    if !sqlsynth::job::is_valid_id(job_id) {
        return Err(format!("`{job_id}` is not a job id (1-128 of [A-Za-z0-9._-], not starting with '.')"));
    }
    let root = if root.is_empty() { "/" } else { root };
    let location = OutputLocation::parse(root)?;
    let root = sqlsynth::sink::output::OutputRoot::open(&location)?;
    Ok(Arc::new(root).job(job_id))
}

async fn ask(mut settings: Settings, question: &str, source: &str, rows: u64) -> anyhow::Result<ExitCode> {
    if settings.source(source).is_none() {
        bail!(BadInput(format!("source '{source}' is not configured")));
    }
    // The same path as a job (cache, offline, LLM with repair, guard, limits),
    // as a one-question job written to a scratch directory with the preview's row cap.
    settings.exec.max_rows = rows.max(1);
    settings.output.report = false;
    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let job = Job {
        job_id: "ask".into(),
        questions: vec![sqlsynth::job::Question {
            id: "answer".into(),
            source: source.to_string(),
            question: question.to_string(),
            sql: None,
        }],
    };
    let pipeline = Pipeline::new(Arc::new(settings));
    let outcome = pipeline.run_job(&job, scratch.path(), &ProgressBar::hidden()).await;
    pipeline.close().await;
    let outcome = outcome.map_err(|e| BadInput(e.to_string()))?;
    let record = &outcome.manifest.questions[0];
    if let Some(sql) = &record.sql {
        // How the question was understood, as SQL comments: the block still pastes as SQL.
        println!("-- synthesizer: {}", record.synthesizer.as_deref().unwrap_or("-"));
        if let Some(interpretation) = &record.interpretation {
            if let Some(restatement) = &interpretation.restatement {
                println!("-- understood as: {}", one_line(restatement));
            }
            println!("-- uses: {}", one_line(&interpretation.uses_line()));
        }
        println!("{sql}\n");
    }
    if record.status != Status::Ok {
        println!("{}: {}", record.status.name(), record.error.as_deref().unwrap_or(""));
        return Ok(ExitCode::from(1));
    }
    let file = scratch.path().join("ask").join(record.file.as_deref().expect("an ok answer has a file"));
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).context("cannot open the answer")?,
    )
    .and_then(|builder| builder.build())
    .context("cannot read the answer")?;
    let batches = reader.collect::<Result<Vec<_>, _>>().context("cannot read the answer")?;
    println!("{}", arrow_cast::pretty::pretty_format_batches(&batches).context("cannot format the preview")?);
    let more = if record.truncated { format!(" (first {rows}; more rows exist)") } else { String::new() };
    println!("{} rows{more}", record.rows);
    Ok(ExitCode::SUCCESS)
}

/// `sqlsynth eval`: exit 0 when the run completed (the report holds the numbers), 2 for bad input.
async fn eval(settings: Settings, path: &Path, source: &str, json: bool) -> anyhow::Result<ExitCode> {
    use sqlsynth::eval::{CaseStatus, EvalSet, Tier, run_eval};
    if settings.source(source).is_none() {
        bail!(BadInput(format!("source '{source}' is not configured")));
    }
    let bytes = std::fs::read(path).map_err(|e| BadInput(format!("cannot read eval set {}: {e}", path.display())))?;
    let set = EvalSet::parse(&bytes).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let pipeline = Pipeline::new(Arc::new(settings));
    let schema = pipeline.schema(source).await.map_err(|e| BadInput(e.to_string()))?;
    let settings = pipeline.settings();
    let glossary = &settings.source(source).expect("checked above").glossary;
    let synthesizer = OfflineSynthesizer::new(&schema, glossary, settings.synth.min_confidence);
    let report = run_eval(&pipeline, source, &set, &synthesizer).await;
    pipeline.close().await;
    let report = report.map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).context("cannot serialize the report")?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<10} {:<7} {:<7} reason", "id", "status", "correct", "tier");
    for case in &report.cases {
        let status = if case.status == CaseStatus::Answered { "answered" } else { "abstained" };
        let correct = if case.correct { "yes" } else { "no" };
        let tier = case.tier.map_or("refuse", Tier::name);
        println!("{:<24} {:<10} {:<7} {:<7} {}", clip(&case.id, 24), status, correct, tier, clip(&case.reason, 100));
    }
    println!(
        "{} cases on {} ({}): {} answered, {} correct, coverage {:.1}%, precision {:.1}%",
        report.total,
        report.source,
        report.dialect,
        report.answered,
        report.correct,
        report.coverage * 100.0,
        report.precision * 100.0
    );
    for tier in Tier::ALL {
        let totals = report.tiers.get(tier);
        if totals.total > 0 {
            println!(
                "  {}: {} cases, {} answered, {} correct, coverage {:.1}%, precision {:.1}%",
                tier.name(),
                totals.total,
                totals.answered,
                totals.correct,
                totals.coverage * 100.0,
                totals.precision * 100.0
            );
        }
    }
    if report.refusals.total > 0 {
        println!(
            "refusals: {} cases, {} refused ({:.1}%)",
            report.refusals.total,
            report.refusals.refused,
            report.refusals.rate * 100.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `sqlsynth worker`: consume until SIGTERM/SIGINT, drain, exit 0.
async fn worker(settings: Settings) -> anyhow::Result<ExitCode> {
    use sqlsynth::worker::{Worker, health, shutdown_on_signals};
    sqlsynth::metrics::install().context("cannot start the metrics")?;
    sqlsynth::metrics::register_worker_series();
    let settings = Arc::new(settings);
    let worker = Worker::new(settings.clone()).map_err(|e| BadInput(e.to_string()))?;
    let shutdown = shutdown_on_signals().context("cannot install the signal handlers")?;
    let listen = &settings.metrics.listen;
    health::serve(listen, worker.readiness())
        .await
        .with_context(|| format!("metrics.listen {listen}: cannot serve the health and metrics endpoints"))?;
    worker.run(shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// `sqlsynth publish`: validate locally, publish with confirms, optionally wait for the result.
async fn publish(settings: Settings, path: &Path, wait: bool, timeout: Option<u64>) -> anyhow::Result<ExitCode> {
    use futures_util::StreamExt;
    use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
    use lapin::types::FieldTable;
    use sqlsynth::source::amqp;

    let bytes = std::fs::read(path).map_err(|e| BadInput(format!("cannot read job file {}: {e}", path.display())))?;
    let job = Job::parse(&bytes, |s| settings.source(s).is_some())
        .map_err(|e| BadInput(format!("job file {}: {e}", path.display())))?;
    let topology = amqp::Topology::new(&settings.queue).map_err(|e| BadInput(e.to_string()))?;
    let connection = amqp::connect(&settings.queue, "publish").await.context("cannot connect to the broker")?;
    topology.declare(&connection).await.context("cannot declare the queue topology")?;
    let channel = amqp::confirm_channel(&connection).await.context("cannot open a channel")?;
    // Subscribe to the result before publishing, so it cannot be missed.
    let mut results = None;
    if wait {
        let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..QueueDeclareOptions::default() };
        let queue = channel.queue_declare("".into(), options, FieldTable::default()).await?;
        channel
            .queue_bind(
                queue.name().clone(),
                topology.results_exchange.as_str().into(),
                job.job_id.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .context("cannot bind the result queue")?;
        let options = BasicConsumeOptions { no_ack: true, exclusive: true, ..BasicConsumeOptions::default() };
        let tag = format!("sqlsynth-publish-{}", std::process::id());
        results = Some(
            channel.basic_consume(queue.name().clone(), tag.as_str().into(), options, FieldTable::default()).await?,
        );
    }
    amqp::publish_confirmed(&channel, "", &topology.jobs_queue, &bytes, amqp::persistent_json(&job.job_id))
        .await
        .with_context(|| format!("job {} was not published", job.job_id))?;
    println!("published job {} ({} questions) to {}", job.job_id, job.questions.len(), topology.jobs_queue);
    let Some(mut results) = results else {
        let _ = connection.close(200, "done".into()).await;
        return Ok(ExitCode::SUCCESS);
    };
    eprintln!("waiting for the result of job {}", job.job_id);
    let next = async {
        loop {
            match results.next().await {
                Some(Ok(delivery)) => match serde_json::from_slice::<Manifest>(&delivery.data) {
                    Ok(manifest) => {
                        let reused = matches!(
                            delivery
                                .properties
                                .headers()
                                .as_ref()
                                .and_then(|h| h.inner().get(sqlsynth::worker::REUSED_HEADER).cloned()),
                            Some(lapin::types::AMQPValue::Boolean(true))
                        );
                        return Ok(Some((manifest, reused)));
                    }
                    Err(e) => eprintln!("ignoring a result message that is not a manifest: {e}"),
                },
                Some(Err(e)) => {
                    return Err(anyhow::Error::from(e).context("lost the broker while waiting for the result"));
                }
                None => return Ok(None),
            }
        }
    };
    let received = match timeout {
        Some(secs) => tokio::time::timeout(Duration::from_secs(secs), next).await.unwrap_or(Ok(None))?,
        None => next.await?,
    };
    let _ = connection.close(200, "done".into()).await;
    let Some((manifest, reused)) = received else {
        eprintln!("no result for job {} (timed out or the broker cancelled the wait)", job.job_id);
        return Ok(ExitCode::from(1));
    };
    let location = settings.output.root.job_location(&manifest.job_id);
    let outcome = JobOutcome { manifest, location, reused };
    print_summary(&outcome);
    Ok(if outcome.manifest.all_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `sqlsynth scheduler`: run the schedules until SIGTERM/SIGINT, exit 0.
async fn scheduler(settings: Settings, path: &Path) -> anyhow::Result<ExitCode> {
    use sqlsynth::scheduler::{Scheduler, Schedules};
    use sqlsynth::worker::health;
    sqlsynth::metrics::install().context("cannot start the metrics")?;
    let schedules = Schedules::load(path, &settings).map_err(|e| BadInput(e.to_string()))?;
    let listen = settings.metrics.listen.clone();
    let scheduler = Scheduler::new(Arc::new(settings), schedules).await.map_err(|e| BadInput(e.to_string()))?;
    let shutdown = sqlsynth::worker::shutdown_on_signals().context("cannot install the signal handlers")?;
    // Ready while it can publish: the broker reached, the topology declared (Scheduler::readiness).
    health::serve(&listen, scheduler.readiness())
        .await
        .with_context(|| format!("metrics.listen {listen}: cannot serve the health and metrics endpoints"))?;
    scheduler.run(shutdown).await;
    Ok(ExitCode::SUCCESS)
}

/// `sqlsynth warm`: exit 0 when every question warmed is answered, 1 when some are not, 2 for bad input.
async fn warm(settings: Settings, source: Option<String>, schedules: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    use sqlsynth::scheduler::{Schedules, schedules::DEFAULT_PATH, warm};
    let sources: Vec<String> = match source {
        Some(name) if settings.source(&name).is_none() => {
            bail!(BadInput(format!("source '{name}' is not configured")))
        }
        Some(name) => vec![name],
        None => settings.sources.keys().cloned().collect(),
    };
    let path = schedules.or_else(|| Some(PathBuf::from(DEFAULT_PATH)).filter(|p| p.is_file()));
    let jobs = match &path {
        Some(path) => Schedules::load(path, &settings)
            .and_then(|s| s.publish_jobs(&settings))
            .map_err(|e| BadInput(e.to_string()))?,
        None => Vec::new(),
    };
    let report = warm::warm(&settings, &sources, &jobs).await.context("warming failed")?;
    println!(
        "warmed {} source(s): schemas refreshed; {} scheduled question(s): {} answered and cached ({} were cached already), {} not answerable",
        report.sources.len(),
        report.questions,
        report.answered,
        report.from_cache,
        report.missed
    );
    Ok(if report.missed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

async fn schema(settings: Settings, source: &str, json: bool) -> anyhow::Result<ExitCode> {
    if settings.source(source).is_none() {
        bail!(BadInput(format!("source '{source}' is not configured")));
    }
    let pipeline = Pipeline::new(Arc::new(settings));
    let schema = pipeline.schema(source).await.map_err(|e| BadInput(e.to_string()))?;
    pipeline.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(schema.as_ref()).context("cannot serialize the schema")?);
    } else {
        print_schema(&schema);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_schema(schema: &DatabaseSchema) {
    println!(
        "source {} ({}), {} tables, fingerprint {}",
        schema.source,
        schema.dialect,
        schema.tables.len(),
        &schema.fingerprint[..12]
    );
    for table in &schema.tables {
        let rows = table.approx_rows.map(|r| format!("~{r} rows")).unwrap_or_else(|| "rows unknown".into());
        println!("\n{} ({rows})", table.name);
        for column in &table.columns {
            let key = if table.primary_key.contains(&column.name) { " PK" } else { "" };
            let null = if column.nullable { "" } else { " NOT NULL" };
            let samples = if column.sample_values.is_empty() {
                String::new()
            } else {
                let shown: Vec<&str> = column.sample_values.iter().take(6).map(String::as_str).collect();
                let more = if column.sample_values.len() > 6 { ", ..." } else { "" };
                format!("  e.g. {}{more}", shown.join(", "))
            };
            println!("  {:<24} {}{null}{key}{samples}", column.name, column.data_type);
        }
        for fk in &table.foreign_keys {
            println!(
                "  FK ({}) -> {}({})",
                fk.columns.join(", "),
                fk.referenced_table,
                fk.referenced_columns.join(", ")
            );
        }
    }
}
