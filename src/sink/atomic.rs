//! Publishing files atomically: write to a temporary name in the same
//! directory, make it durable, rename over the final name, make the rename
//! durable. A reader sees either no file or the whole file, never a partial
//! one, and a crash leaves at most a temporary file that the next run ignores.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::durable::Durability;

/// A temporary name beside `final_path`: hidden, and unique per process and call.
pub fn temp_path_for(final_path: &Path) -> PathBuf {
    let name = final_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let unique = format!(".{name}.tmp-{}-{:08x}", std::process::id(), fastrand::u32(..));
    final_path.with_file_name(unique)
}

/// True for names made by [`temp_path_for`].
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Writes `bytes` to `final_path` atomically but not durably: readers see the
/// old file or the whole new one, but after a power loss the file may be
/// missing or empty. Only for data whose readers verify it and can do
/// without it (the disk cache's checksummed entries); job output goes through
/// [`write_file_durably`].
pub fn write_file(final_path: &Path, bytes: &[u8]) -> io::Result<()> {
    with_temp(final_path, bytes, |temp| std::fs::rename(temp, final_path))
}

/// Writes `bytes` to `final_path` atomically, and returns once the file, its
/// rename, and every earlier rename in its directory are durable, as is the
/// directory's own entry under the durability root (group commit, see
/// [`Durability`]).
pub async fn write_file_durably(final_path: &Path, bytes: &[u8], durability: &Durability) -> io::Result<()> {
    write_files_durably(&[(final_path, bytes)], durability).await
}

/// Publishes `files`, all in one directory, in their order, the last one
/// last: every file before the last is atomically in place and durable before
/// the last one appears, and the call returns once the last one's rename is
/// durable too. Two durability rounds in all, however many files: the
/// earlier files are renamed into place first and made durable by the round
/// that makes the last one's temporary file durable. (A crash before the last
/// rename leaves the earlier files visible without the last one, which is
/// how the manifest, last, marks a job done.)
pub async fn write_files_durably(files: &[(&Path, &[u8])], durability: &Durability) -> io::Result<()> {
    let Some(((final_path, bytes), earlier)) = files.split_last() else { return Ok(()) };
    for (path, bytes) in earlier {
        write_file(path, bytes)?;
    }
    let temp = with_temp(final_path, bytes, |temp| Ok(temp.to_path_buf()))?;
    let dir = parent_of(final_path);
    let published = async {
        let mut covered: Vec<&Path> = earlier.iter().map(|(path, _)| *path).collect();
        covered.extend([temp.as_path(), dir]);
        durability.sync(&covered).await?;
        std::fs::rename(&temp, final_path)?;
        durability.sync(&[dir, durability.root()]).await
    }
    .await;
    if published.is_err() && temp.exists() {
        let _ = std::fs::remove_file(&temp);
    }
    published
}

/// Writes `bytes` to a new temporary file beside `final_path`, closes it and
/// runs `then` on its path; removes the temporary file if anything fails.
fn with_temp<T>(final_path: &Path, bytes: &[u8], then: impl FnOnce(&Path) -> io::Result<T>) -> io::Result<T> {
    let temp = temp_path_for(final_path);
    let result = (|| {
        OpenOptions::new().write(true).create_new(true).open(&temp)?.write_all(bytes)?;
        then(&temp)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Removes temporary files left in `dir` by a run that crashed: those not
/// modified for `idle_for`. A younger one may belong to another worker running
/// the same job right now (at-least-once delivery allows that), so it stays.
pub fn remove_stale_temps(dir: &Path, idle_for: Duration) -> io::Result<()> {
    let now = SystemTime::now();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !is_temp_name(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let modified = entry.metadata()?.modified()?;
        if now.duration_since(modified).is_ok_and(|idle| idle >= idle_for) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_file_replaces_whole_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        write_file(&path, b"first").unwrap();
        write_file(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("manifest.json")]);
    }

    #[tokio::test]
    async fn files_published_together_are_all_durable_with_the_last_and_leave_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let durability = Durability::per_file(dir.path());
        let (report, manifest) = (dir.path().join("report.html"), dir.path().join("manifest.json"));
        write_files_durably(&[(&report, b"<html>"), (&manifest, b"{}")], &durability).await.unwrap();
        assert_eq!(
            (std::fs::read(&report).unwrap(), std::fs::read(&manifest).unwrap()),
            (b"<html>".to_vec(), b"{}".to_vec())
        );
        let mut names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["manifest.json", "report.html"]);
        // A failure on the last file leaves the earlier ones, not the last one nor a temporary file.
        let missing = dir.path().join("gone/manifest.json");
        let error = write_files_durably(&[(&report, b"<p>"), (&missing, b"{}")], &durability).await;
        assert!(error.is_err());
        assert_eq!(std::fs::read(&report).unwrap(), b"<p>");
    }

    #[test]
    fn stale_temps_are_removed_and_live_ones_and_finished_files_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = temp_path_for(&dir.path().join("q1.parquet"));
        std::fs::write(&stale, b"partial").unwrap();
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options().write(true).open(&stale).unwrap().set_modified(hour_ago).unwrap();
        let live = temp_path_for(&dir.path().join("q3.parquet"));
        std::fs::write(&live, b"being written").unwrap();
        std::fs::write(dir.path().join("q2.parquet"), b"done").unwrap();
        remove_stale_temps(dir.path(), Duration::from_secs(600)).unwrap();
        assert!(!stale.exists());
        assert!(live.exists());
        assert!(dir.path().join("q2.parquet").exists());
    }
}
