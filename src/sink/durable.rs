//! Making finished writes durable, shared by every job writing under one
//! output root: group commit.
//!
//! A job of one small answer used to pay four or five fsyncs (answer file,
//! manifest file, job directory, output root), each a device cache flush, one
//! after the other. With many jobs in flight the device spent its time
//! flushing. [`Durability::sync`] instead makes durable *everything* written
//! under the root before the call, with one `syncfs(2)` for all the callers
//! that arrive while the previous round runs:
//!
//! ```text
//!  job A: write temp ─ sync ──────────┐            ┌─ rename
//!  job B: write temp ─── sync ────────┤ syncfs #n  ├─ rename      (one flush for A, B, C)
//!  job C: write temp ───── sync ──────┘            └─ rename
//! ```
//!
//! Invariants:
//! * a call returns `Ok` only after a round that *started after the call* has
//!   finished without error, so every write, rename and creation the caller
//!   completed before calling is on stable storage (`syncfs` writes back all
//!   dirty data and metadata of the filesystem and flushes the device cache);
//! * one round runs at a time; callers waiting behind it share the next one;
//! * a round's I/O error is returned to every caller that round covers (the
//!   kernel reports a writeback error once per open file description, and the
//!   root stays open, so the round that observes it is the one that reports it);
//! * where `syncfs` does not exist (not Linux), or for a root on another
//!   filesystem than its files (don't do that), [`Durability::per_file`]
//!   fsyncs the given paths one by one instead: same guarantee, no grouping.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

/// Durability for every write under one output root; share one per root.
#[derive(Debug)]
pub struct Durability {
    root: PathBuf,
    strategy: Strategy,
    /// Rounds started so far; only incremented while `rounds` is locked.
    started: AtomicU64,
    rounds: Mutex<Rounds>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// One `syncfs` per round, shared by all callers.
    GroupCommit,
    /// `fsync` of each path the caller names.
    PerFile,
}

#[derive(Debug, Default)]
struct Rounds {
    /// The root, opened on the first round and kept open (see the module doc on errors).
    root: Option<Arc<File>>,
    finished: u64,
    /// The outcome of round `finished`.
    outcome: Option<(io::ErrorKind, String)>,
}

impl Durability {
    /// Group commit where the platform has `syncfs` (Linux), else per-file fsync.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let strategy = if cfg!(target_os = "linux") { Strategy::GroupCommit } else { Strategy::PerFile };
        Self::with_strategy(root.into(), strategy)
    }

    /// Always fsyncs each path given to [`Durability::sync`], one by one.
    pub fn per_file(root: impl Into<PathBuf>) -> Self {
        Self::with_strategy(root.into(), Strategy::PerFile)
    }

    fn with_strategy(root: PathBuf, strategy: Strategy) -> Self {
        Durability { root, strategy, started: AtomicU64::new(0), rounds: Mutex::new(Rounds::default()) }
    }

    /// The output root this instance covers.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Returns once everything the caller wrote under the root before calling
    /// is durable. `paths` are the files and directories the caller changed
    /// (new or renamed files and the directories holding them); the
    /// group-commit strategy covers them, and all others, with one round.
    pub async fn sync(&self, paths: &[&Path]) -> io::Result<()> {
        match self.strategy {
            Strategy::PerFile => {
                let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
                blocking(move || paths.iter().try_for_each(|path| File::open(path)?.sync_all())).await
            }
            Strategy::GroupCommit => self.group_commit().await,
        }
    }

    async fn group_commit(&self) -> io::Result<()> {
        // A round already running may have started before the caller's writes:
        // only a round that starts after this line covers them.
        let needed = self.started.load(Ordering::SeqCst) + 1;
        let mut rounds = self.rounds.lock().await;
        if rounds.finished >= needed {
            return match &rounds.outcome {
                None => Ok(()),
                Some((kind, message)) => Err(io::Error::new(*kind, message.clone())),
            };
        }
        let round = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let root = match &rounds.root {
            Some(root) => root.clone(),
            None => {
                let root = Arc::new(File::open(&self.root)?);
                rounds.root = Some(root.clone());
                root
            }
        };
        let result = blocking(move || syncfs(&root)).await;
        rounds.finished = round;
        rounds.outcome = result.as_ref().err().map(|e| (e.kind(), e.to_string()));
        result
    }
}

async fn blocking(work: impl FnOnce() -> io::Result<()> + Send + 'static) -> io::Result<()> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| Err(io::Error::other(format!("sync task failed: {e}"))))
}

#[cfg(target_os = "linux")]
fn syncfs(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is owned by `file`, which outlives the call.
    if unsafe { libc::syncfs(file.as_raw_fd()) } == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

#[cfg(not(target_os = "linux"))]
fn syncfs(_: &File) -> io::Result<()> {
    unreachable!("group commit is only chosen on Linux")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_rounds_and_each_waits_for_one_that_started_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let durability = Arc::new(Durability::new(dir.path()));
        let callers: Vec<_> = (0..32)
            .map(|i| {
                let durability = durability.clone();
                let path = dir.path().join(format!("f{i}"));
                tokio::spawn(async move {
                    std::fs::write(&path, b"x").unwrap();
                    let before = durability.started.load(Ordering::SeqCst);
                    durability.sync(&[&path]).await.unwrap();
                    let finished = durability.rounds.lock().await.finished;
                    assert!(finished > before, "returned before a round that started after the call finished");
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        // On this single-threaded runtime the 31 callers that arrive while the
        // first round runs all share the second one.
        let rounds = durability.started.load(Ordering::SeqCst);
        assert_eq!(rounds, 2, "32 callers should share two rounds");
    }

    #[tokio::test]
    async fn per_file_fsyncs_the_named_paths_and_reports_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let durability = Durability::per_file(dir.path());
        let file = dir.path().join("a");
        std::fs::write(&file, b"x").unwrap();
        durability.sync(&[&file, dir.path()]).await.unwrap();
        let missing = dir.path().join("gone");
        let error = durability.sync(&[&missing]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_root_that_cannot_be_opened_is_an_error_not_a_silent_success() {
        let dir = tempfile::tempdir().unwrap();
        let durability = Durability::new(dir.path().join("missing-root"));
        assert!(durability.sync(&[]).await.is_err());
    }
}
