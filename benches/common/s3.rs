//! The S3-compatible server the export and report benches include when one
//! answers on loopback (moto's, `python3 -m moto.server -p 5000`).

use std::process::Command;

/// The bucket the benches write to.
pub const S3_BUCKET: &str = "sqlsynth-bench";

/// The S3 endpoint, with the bench bucket created, when a server answers there.
pub fn s3_endpoint() -> Option<String> {
    let endpoint = std::env::var("S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:5000".into());
    let created = Command::new("curl")
        .args(["-s", "-f", "-o", "/dev/null", "-X", "PUT", &format!("{endpoint}/{S3_BUCKET}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !created {
        eprintln!("  (no S3 server at {endpoint}: start `python3 -m moto.server -p 5000` to include S3)");
    }
    created.then_some(endpoint)
}
