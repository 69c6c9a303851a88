//! A real headless Chromium opening report pages: the DOM it built
//! (`--dump-dom`), the console messages it logged (`--enable-logging=stderr`,
//! where every console call and every CSP violation appears as a `CONSOLE`
//! line), and screenshots. Without Chromium the checks are skipped, like a
//! missing service: a failure under `CI=true` (`.ci/run` installs Debian's
//! `chromium`). `CHROMIUM` overrides the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long one Chromium run may take before the test gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// The Chromium binary, or why there is none (probed once).
fn binary() -> Result<PathBuf, String> {
    static PROBE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let candidates = match std::env::var("CHROMIUM") {
                Ok(path) => vec![path],
                Err(_) => ["chromium", "chromium-browser", "google-chrome"].map(String::from).to_vec(),
            };
            for candidate in &candidates {
                if let Ok(output) = Command::new(candidate).arg("--version").output()
                    && output.status.success()
                {
                    return Ok(PathBuf::from(candidate));
                }
            }
            Err(format!("none of {candidates:?} runs"))
        })
        .clone()
}

/// What Chromium made of a page.
pub struct Loaded {
    /// The DOM after loading, serialized.
    pub dom: String,
    /// The console messages (and CSP violations) Chromium logged.
    pub console: Vec<String>,
}

/// Opens `page` in headless Chromium; `None` (skip) without Chromium outside CI.
pub fn load(page: &Path) -> Option<Loaded> {
    let output = run(page, &["--dump-dom", "--enable-logging=stderr", "--v=0"])?;
    let console = output.1.lines().filter(|line| line.contains("CONSOLE")).map(str::to_string).collect();
    Some(Loaded { dom: output.0, console })
}

/// Writes a screenshot of `page` at `width` x `height` CSS pixels to `png`;
/// `None` (skip) without Chromium outside CI.
pub fn screenshot(page: &Path, png: &Path, width: u32, height: u32) -> Option<()> {
    let window = format!("--window-size={width},{height}");
    let target = format!("--screenshot={}", png.display());
    run(page, &["--hide-scrollbars", &window, &target])?;
    let bytes = std::fs::read(png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", png.display());
    Some(())
}

/// Runs Chromium on `page` with `args`: (stdout, stderr).
fn run(page: &Path, args: &[&str]) -> Option<(String, String)> {
    let binary = match binary() {
        Ok(binary) => binary,
        Err(why) => return super::service_missing("Chromium (apt-get install chromium)", why),
    };
    let profile = tempfile::tempdir().unwrap();
    let stdout = tempfile::NamedTempFile::new().unwrap();
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(&binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdin(Stdio::null())
        .stdout(stdout.reopen().unwrap())
        .stderr(stderr.reopen().unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish with {} within {RUN_LIMIT:?}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (std::fs::read_to_string(stdout.path()).unwrap(), std::fs::read_to_string(stderr.path()).unwrap());
    assert!(status.success(), "Chromium failed on {}: {err}", page.display());
    Some((out, err))
}
