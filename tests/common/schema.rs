//! The contracts in `schemas/` and `deploy/` checked by other people's
//! validators, through tests/validate.py: Python `jsonschema` for the JSON
//! Schemas and the Compose specification, `kubernetes-validate` for
//! Kubernetes objects. Without them the checks are skipped, like a missing
//! service: a failure under `CI=true` (`.ci/run` installs them).
//!
//! Tests that read a manifest the product wrote read it with
//! [`manifest_at`] or [`manifest_from`], which fail the test unless the
//! manifest validates against `schemas/manifest.schema.json`; jobs the
//! product publishes (the scheduler's) are checked with [`assert_valid`].

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `schemas/<name>`.
pub fn schema(name: &str) -> PathBuf {
    repo().join("schemas").join(name)
}

/// Why the Python `modules` cannot be imported here, if they cannot (probed once per list).
fn unavailable(modules: &str) -> Option<String> {
    static PROBES: OnceLock<Mutex<HashMap<String, Option<String>>>> = OnceLock::new();
    let mut probes = PROBES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    probes
        .entry(modules.to_string())
        .or_insert_with(|| match Command::new("python3").args(["-c", &format!("import {modules}")]).output() {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(String::from_utf8_lossy(&o.stderr).trim().lines().last().unwrap_or_default().to_string()),
            Err(e) => Some(format!("python3: {e}")),
        })
        .clone()
}

/// The whole report of `tests/validate.py COMMAND ARGS...` (`stdin` fed to
/// it), or `None` (skip) when the Python packages it needs are missing.
pub fn run(command: &str, args: &[&Path], stdin: Option<&[u8]>) -> Option<Value> {
    let (modules, packages) = match command {
        "k8s" => ("jsonschema, yaml, kubernetes_validate", "pip install jsonschema pyyaml kubernetes-validate"),
        _ => ("jsonschema, yaml", "pip install jsonschema pyyaml"),
    };
    if let Some(why) = unavailable(modules) {
        return super::service_missing(&format!("Python {modules} ({packages})"), why);
    }
    let mut child = Command::new("python3")
        .arg(repo().join("tests/validate.py"))
        .arg(command)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "tests/validate.py {command} failed: {}", String::from_utf8_lossy(&output.stderr));
    Some(serde_json::from_slice(&output.stdout).expect("tests/validate.py prints JSON"))
}

/// File (or `FILE#N` document) -> the validator's errors, empty when valid;
/// `None` (skip) without the validators.
pub fn errors(command: &str, args: &[&Path]) -> Option<HashMap<String, Vec<String>>> {
    let report = run(command, args, None)?;
    Some(serde_json::from_value(report["files"].clone()).expect("files: errors"))
}

/// The errors of one JSON document (bytes) against `schemas/<schema_name>`;
/// `None` (skip) without `jsonschema`.
pub fn json_errors(schema_name: &str, json: &[u8]) -> Option<Vec<String>> {
    let report = run("json", &[&schema(schema_name), Path::new("-")], Some(json))?;
    Some(serde_json::from_value(report["files"]["-"].clone()).expect("errors of stdin"))
}

/// Fails the test unless `json` (`origin` names where it came from)
/// validates against `schemas/<schema_name>`; skips without `jsonschema`.
pub fn assert_valid(schema_name: &str, json: &[u8], origin: &str) {
    if let Some(errors) = json_errors(schema_name, json) {
        assert!(errors.is_empty(), "{origin} does not match schemas/{schema_name}: {errors:#?}");
    }
}

/// A manifest the product wrote (`origin` names where it came from), parsed,
/// after failing the test unless it validates against `schemas/manifest.schema.json`.
pub fn manifest_from(bytes: &[u8], origin: &str) -> Value {
    assert_valid("manifest.schema.json", bytes, origin);
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{origin}: {e}"))
}

/// The manifest at `path`, checked like [`manifest_from`].
pub fn manifest_at(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    manifest_from(&bytes, &path.display().to_string())
}
