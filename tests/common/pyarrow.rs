//! pyarrow's view of Parquet files, read the way a user's data stack reads
//! them (tests/read_parquet.py). Without pyarrow the pyarrow checks are
//! skipped, like a missing service: a failure under `CI=true`.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Why pyarrow cannot be used here, if it cannot (probed once).
fn unavailable() -> Option<&'static str> {
    static PROBE: OnceLock<Option<String>> = OnceLock::new();
    PROBE
        .get_or_init(|| match Command::new("python3").args(["-c", "import pyarrow"]).output() {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(String::from_utf8_lossy(&o.stderr).trim().lines().last().unwrap_or_default().to_string()),
            Err(e) => Some(format!("python3: {e}")),
        })
        .as_deref()
}

/// The JSON report of tests/read_parquet.py for `files` (paths or s3:// URLs,
/// `env` configuring its S3 client), keyed by file; `None` (skip) without pyarrow.
pub fn read<F: AsRef<OsStr>>(files: &[F], env: &[(&str, String)]) -> Option<Value> {
    if let Some(why) = unavailable() {
        return super::service_missing("pyarrow (pip install pyarrow)", why);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_parquet.py");
    let output = Command::new("python3")
        .arg(script)
        .args(files)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "pyarrow failed: {}", String::from_utf8_lossy(&output.stderr));
    Some(serde_json::from_slice(&output.stdout).unwrap())
}
