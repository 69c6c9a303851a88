//! The cost of metrics and tracing on end-to-end throughput: the same jobs
//! (pinned SQL on the bundled SQLite demo) through an in-process [`Pipeline`],
//! with the Prometheus recorder installed, `/metrics` rendered every second
//! and info-level JSON logs written to a file ("on"), against no recorder and
//! no subscriber at all ("off").
//!
//! Each measurement is a fresh child process (a global recorder cannot be
//! removed once installed), alternating off/on and on/off over the rounds so
//! that drift on the machine hits both modes alike. Throughput counts
//! questions per second over all jobs, after one warm-up job (pool and schema).
//!
//! ```text
//! cargo bench --bench overhead
//! SQLSYNTH_BENCH_ROUNDS=10 SQLSYNTH_BENCH_JOBS=400 SQLSYNTH_BENCH_QUESTIONS=20 cargo bench --bench overhead
//! SQLSYNTH_BENCH_DIR=/var/tmp cargo bench --bench overhead     # output on disk instead of /dev/shm
//! SQLSYNTH_BENCH_MODES=off,metrics cargo bench --bench overhead # one half alone (or off,logs)
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use indicatif::ProgressBar;
use sqlsynth::config::{LogFormat, Settings};
use sqlsynth::job::Job;
use sqlsynth::pipeline::Pipeline;

const MODE_VAR: &str = "SQLSYNTH_OVERHEAD_MODE";
/// Jobs in flight at once, like a worker's prefetch.
const JOBS_IN_FLIGHT: usize = 4;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Where outputs go: tmpfs by default, so that fsync does not drown the
/// (CPU-only) cost being measured; that makes the overhead look larger, not smaller.
fn scratch_root() -> PathBuf {
    std::env::var_os("SQLSYNTH_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|| {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() }
    })
}

fn job(id: usize, questions: usize) -> Job {
    let sql = [
        "SELECT COUNT(*) AS n FROM Genre",
        "SELECT g.Name AS genre, COUNT(*) AS tracks FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name",
        "SELECT BillingCountry AS country, SUM(Total) AS revenue FROM Invoice GROUP BY BillingCountry",
        "SELECT Name FROM Artist ORDER BY Name LIMIT 20",
    ];
    let questions: Vec<serde_json::Value> = (0..questions)
        .map(|q| {
            serde_json::json!({"id": format!("q{q}"), "source": "chinook", "question": "pinned",
                               "sql": sql[q % sql.len()]})
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({"job_id": format!("job-{id}"), "questions": questions})).unwrap();
    Job::parse(&body, |s| s == "chinook").unwrap()
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// One measurement in this process: prints `questions_per_second=<f64>` and
/// `cpu_us_per_question=<f64>` (CPU time is less disturbed by other load on the machine).
fn child(mode: &str) {
    let jobs = env_or("SQLSYNTH_BENCH_JOBS", 200);
    let questions = env_or("SQLSYNTH_BENCH_QUESTIONS", 20);
    let on = mode != "off";
    if mode == "on" || mode == "metrics" {
        sqlsynth::metrics::install().expect("the recorder installs");
    }
    if mode == "on" || mode == "logs" {
        // stderr is a file the parent opened: JSON lines at info, as a worker writes them.
        sqlsynth::logging::init(LogFormat::Json, "info");
    }
    let out = tempfile::tempdir_in(scratch_root()).unwrap();
    let config = format!(
        "[sources.chinook]\nurl = \"sqlite://{}\"\nmax_connections = 8\n\n[exec]\nmax_concurrency = 16\n",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/demo/chinook.sqlite").display()
    );
    let settings = Settings::from_toml(&config, "bench", None, &[]).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let pipeline = Pipeline::new(Arc::new(settings));
        let hidden = ProgressBar::hidden();
        pipeline.run_job(&job(usize::MAX, 2), out.path(), &hidden).await.unwrap();
        let scraper = on.then(|| {
            tokio::spawn(async {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    std::hint::black_box(sqlsynth::metrics::render());
                }
            })
        });
        let started = Instant::now();
        let cpu_before = cpu_time();
        let ok = futures_util::stream::iter(0..jobs)
            .map(|i| {
                let (pipeline, hidden, root) = (&pipeline, &hidden, out.path());
                async move { pipeline.run_job(&job(i, questions), root, hidden).await.unwrap().manifest.stats.ok }
            })
            .buffer_unordered(JOBS_IN_FLIGHT)
            .fold(0usize, |sum, ok| async move { sum + ok as usize })
            .await;
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = (cpu_time() - cpu_before).as_secs_f64();
        assert_eq!(ok, jobs * questions, "every question succeeded");
        if let Some(scraper) = scraper {
            scraper.abort();
            if let Some(text) = sqlsynth::metrics::render() {
                assert!(text.contains("sqlsynth_questions_total"), "the recorder saw the questions");
            }
        }
        pipeline.close().await;
        println!("questions_per_second={}", ok as f64 / elapsed);
        println!("cpu_us_per_question={}", cpu * 1e6 / ok as f64);
    });
}

/// One child run: (questions per second, CPU microseconds per question, log lines).
fn measure(mode: &str, logs: &Path) -> (f64, f64, u64) {
    let log = logs.join(format!("{mode}-{}.log", fastrand::u32(..)));
    let output = Command::new(std::env::current_exe().unwrap())
        .env(MODE_VAR, mode)
        .env_remove("SQLSYNTH_LOG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{mode} run failed: {stdout}\n{}", std::fs::read_to_string(&log).unwrap());
    let figure = |key: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} from the {mode} run: {stdout}"))
    };
    let log_lines = std::fs::read_to_string(&log).unwrap().lines().count() as u64;
    (figure("questions_per_second="), figure("cpu_us_per_question="), log_lines)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

fn main() {
    if let Ok(mode) = std::env::var(MODE_VAR) {
        child(&mode);
        return;
    }
    let rounds = env_or("SQLSYNTH_BENCH_ROUNDS", 6);
    let logs = tempfile::tempdir().unwrap();
    println!(
        "metrics+tracing overhead: {} jobs x {} pinned questions, {JOBS_IN_FLIGHT} jobs in flight, output under {}, {rounds} rounds",
        env_or("SQLSYNTH_BENCH_JOBS", 200),
        env_or("SQLSYNTH_BENCH_QUESTIONS", 20),
        scratch_root().display()
    );
    let (mut off, mut on, mut log_lines) = (Vec::new(), Vec::new(), 0);
    let (mut cpu_off, mut cpu_on) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let modes: Vec<String> = std::env::var("SQLSYNTH_BENCH_MODES")
            .unwrap_or_else(|_| "off,on".into())
            .split(',')
            .map(str::to_string)
            .collect();
        let mut order = modes.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        let mut figures = Vec::new();
        for mode in &order {
            let (rate, cpu, lines) = measure(mode, logs.path());
            if mode != "off" {
                on.push(rate);
                cpu_on.push(cpu);
                log_lines = lines;
            } else {
                off.push(rate);
                cpu_off.push(cpu);
            }
            figures.push(format!("{mode} {rate:.0} q/s {cpu:.0} us CPU/q"));
        }
        println!("round {}: {}", round + 1, figures.join(", "));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mean_off, mean_on) = (mean(&off), mean(&on));
    let (median_off, median_on) = (median(&mut off), median(&mut on));
    println!("off: median {median_off:.0} q/s, mean {mean_off:.0} q/s");
    println!("on:  median {median_on:.0} q/s, mean {mean_on:.0} q/s ({log_lines} JSON log lines per run)");
    println!(
        "throughput overhead: {:.1}% (medians), {:.1}% (means)",
        (1.0 - median_on / median_off) * 100.0,
        (1.0 - mean_on / mean_off) * 100.0
    );
    let (cpu_off, cpu_on) = (median(&mut cpu_off), median(&mut cpu_on));
    println!(
        "CPU per question: off {cpu_off:.0} us, on {cpu_on:.0} us (medians): {:+.1}%",
        (cpu_on / cpu_off - 1.0) * 100.0
    );
}
