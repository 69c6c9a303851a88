//! The disk level: one file per entry under `cache.dir`, written atomically
//! (temporary name, rename; see [`crate::sink::atomic::write_file`]), so a
//! second process never reads a partial entry. Not fsynced: an entry a power
//! loss empties fails its checksum and is ignored (see `entry`), like any
//! other miss. It survives restarts and
//! Redis outages. Paths are built by the caches from validated names (source
//! names are job-style ids, everything else is hex), never from raw text.
//! I/O errors are logged once (the cache then works without this level) and
//! never fail a job.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::warn;

use crate::sink::atomic;

#[derive(Clone)]
pub struct DiskLevel {
    root: Arc<PathBuf>,
    warned: Arc<AtomicBool>,
}

impl DiskLevel {
    pub fn new(root: PathBuf) -> Self {
        DiskLevel { root: Arc::new(root), warned: Arc::new(AtomicBool::new(false)) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The bytes at `relative`, or `None` when absent or unreadable.
    pub async fn read(&self, relative: &Path) -> Option<Vec<u8>> {
        match tokio::fs::read(self.root.join(relative)).await {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.warn_once(relative, &e);
                None
            }
        }
    }

    /// Writes `bytes` at `relative` atomically, creating directories as needed.
    pub async fn write(&self, relative: &Path, bytes: Vec<u8>) {
        let path = self.root.join(relative);
        let result = tokio::task::spawn_blocking(move || {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            atomic::write_file(&path, &bytes)
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = result {
            self.warn_once(relative, &e);
        }
    }

    /// Removes the file at `relative` (absent is fine).
    pub async fn remove(&self, relative: &Path) {
        let _ = tokio::fs::remove_file(self.root.join(relative)).await;
    }

    /// Removes the directory at `relative` and everything in it (absent is fine).
    pub async fn remove_dir(&self, relative: &Path) {
        let _ = tokio::fs::remove_dir_all(self.root.join(relative)).await;
    }

    fn warn_once(&self, relative: &Path, error: &std::io::Error) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            warn!(dir = %self.root.display(), file = %relative.display(), %error,
                  "disk cache unavailable; continuing without it (further errors not logged)");
        }
    }
}
