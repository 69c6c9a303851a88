//! Where a job's files go: a local directory, or an object store
//! (`s3://bucket/prefix`, `gs://…`, `az://…`), with one layout and the same
//! guarantees (DESIGN.md section 3):
//!
//! | guarantee                         | local directory                         | object store                           |
//! |-----------------------------------|-----------------------------------------|----------------------------------------|
//! | no reader sees a partial answer   | temp file, durable, rename              | multipart upload, visible on complete  |
//! | the manifest comes last           | written after every answer is durable   | PUT after every upload completed       |
//! | the manifest's presence means done| rename of a durable temp, then synced   | a single PUT is atomic                 |
//! | re-runs are idempotent / resume   | manifest read; answer footers read      | same, with ranged GETs of the footers  |
//!
//! Store credentials and endpoints come from the environment the
//! `object_store` crate reads (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, `GOOGLE_*`, `AZURE_*`);
//! secret values are registered for redaction. An upload a crash abandoned
//! stays invisible (never completed); a bucket lifecycle rule should abort
//! incomplete multipart uploads after a day.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

use super::atomic;
use super::durable::Durability;
use super::head::{AnswerHead, read_local_head, read_object_head};
use super::manifest::{MANIFEST_FILE, Manifest};
use super::parquet::{Destination, FileFooter, SinkError, read_footer, read_object_footer};
use crate::secret;

/// URL schemes that name an object store rather than a local path.
const STORE_SCHEMES: [&str; 7] = ["s3", "s3a", "gs", "az", "azure", "abfs", "abfss"];

/// Environment variable prefixes the store clients read their options from.
const STORE_ENV_PREFIXES: [&str; 3] = ["AWS_", "GOOGLE_", "AZURE_"];

/// `output.root` as configured: a local directory or a store URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OutputLocation {
    Local(PathBuf),
    Store(String),
}

impl OutputLocation {
    /// A store URL when it starts with a store scheme (`s3://`…), else a local path.
    pub fn parse(root: &str) -> Result<OutputLocation, String> {
        match root.split_once("://") {
            Some((scheme, rest)) if STORE_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) => {
                if rest.split('/').next().unwrap_or_default().is_empty() {
                    return Err(format!("`{root}` names no bucket or container"));
                }
                Ok(OutputLocation::Store(root.trim_end_matches('/').to_string()))
            }
            Some((scheme, _)) if scheme != "file" => Err(format!(
                "unsupported scheme `{scheme}://` (a local directory, or one of {})",
                STORE_SCHEMES.map(|s| format!("{s}://")).join(", ")
            )),
            Some((_, path)) => Ok(OutputLocation::Local(PathBuf::from(path))),
            None => Ok(OutputLocation::Local(PathBuf::from(root))),
        }
    }
}

impl OutputLocation {
    /// Where the job `job_id` writes, as users see it: `<root>/<job_id>`.
    pub fn job_location(&self, job_id: &str) -> String {
        match self {
            OutputLocation::Local(root) => root.join(job_id).display().to_string(),
            OutputLocation::Store(url) => format!("{url}/{job_id}"),
        }
    }
}

impl From<&Path> for OutputLocation {
    fn from(path: &Path) -> Self {
        OutputLocation::Local(path.to_path_buf())
    }
}

impl From<&PathBuf> for OutputLocation {
    fn from(path: &PathBuf) -> Self {
        OutputLocation::Local(path.clone())
    }
}

impl From<&OutputLocation> for OutputLocation {
    fn from(location: &OutputLocation) -> Self {
        location.clone()
    }
}

impl fmt::Display for OutputLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputLocation::Local(path) => write!(f, "{}", path.display()),
            OutputLocation::Store(url) => f.write_str(url),
        }
    }
}

/// An output root ready to write to; share one per location.
pub struct OutputRoot {
    location: OutputLocation,
    backend: Backend,
}

/// Where the bytes go.
enum Backend {
    Local { root: PathBuf, durability: Arc<Durability> },
    Store { store: Arc<dyn ObjectStore>, prefix: ObjectPath },
}

impl fmt::Debug for OutputRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OutputRoot({})", self.location)
    }
}

impl OutputRoot {
    /// Opens `location`: a local root as is (created on first write), a store
    /// client from the URL plus the environment's store options.
    pub fn open(location: &OutputLocation) -> Result<OutputRoot, String> {
        let backend = match location {
            OutputLocation::Local(root) => {
                Backend::Local { root: root.clone(), durability: Arc::new(Durability::new(root)) }
            }
            OutputLocation::Store(url) => {
                let parsed = url::Url::parse(url).map_err(|e| format!("`{url}`: {e}"))?;
                let options: Vec<(String, String)> = std::env::vars()
                    .filter(|(key, _)| STORE_ENV_PREFIXES.iter().any(|prefix| key.starts_with(prefix)))
                    .inspect(|(key, value)| {
                        if is_secret_option(key) {
                            secret::register(value);
                        }
                    })
                    .map(|(key, value)| (key.to_ascii_lowercase(), value))
                    .collect();
                let (store, prefix) = object_store::parse_url_opts(&parsed, options)
                    .map_err(|e| secret::redact(&format!("`{url}`: {e}")))?;
                Backend::Store { store: Arc::from(store), prefix }
            }
        };
        Ok(OutputRoot { location: location.clone(), backend })
    }

    /// Where this root is, as configured.
    pub fn location(&self) -> &OutputLocation {
        &self.location
    }

    /// The outputs of one job: `<root>/<job_id>/`.
    pub fn job(self: &Arc<Self>, job_id: &str) -> JobOutput {
        JobOutput { root: self.clone(), job_id: job_id.to_string() }
    }

    /// The ids of the jobs under this root whose id starts with `prefix`
    /// (local directories, or object prefixes), in no particular order; none
    /// when the root does not exist yet.
    pub async fn job_ids(&self, prefix: &str) -> io::Result<Vec<String>> {
        let wanted = |name: &str| name.starts_with(prefix) && crate::job::is_valid_id(name);
        match &self.backend {
            Backend::Local { root, .. } => {
                let entries = match std::fs::read_dir(root) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                };
                let mut ids = Vec::new();
                for entry in entries {
                    let entry = entry?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if wanted(&name) && entry.file_type()?.is_dir() {
                        ids.push(name);
                    }
                }
                Ok(ids)
            }
            Backend::Store { store, prefix: root } => {
                let root = Some(root).filter(|p| !p.as_ref().is_empty());
                let listing = store.list_with_delimiter(root).await.map_err(store_error)?;
                Ok(listing
                    .common_prefixes
                    .iter()
                    .filter_map(|p| p.filename().map(str::to_string))
                    .filter(|name| wanted(name))
                    .collect())
            }
        }
    }
}

fn is_secret_option(key: &str) -> bool {
    ["SECRET", "TOKEN", "PASSWORD", "ACCESS_KEY", "SAS", "CREDENTIAL"].iter().any(|word| key.contains(word))
}

/// The files of one job under an output root.
#[derive(Debug, Clone)]
pub struct JobOutput {
    root: Arc<OutputRoot>,
    job_id: String,
}

impl JobOutput {
    /// The job's id (its directory or prefix under the root).
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The output root this job writes under.
    pub fn root(&self) -> &Arc<OutputRoot> {
        &self.root
    }

    /// The job's directory or object prefix, as users see it.
    pub fn location(&self) -> String {
        self.root.location.job_location(&self.job_id)
    }

    /// Where a file of this job is, as users see it.
    pub fn location_of(&self, file_name: &str) -> String {
        format!("{}/{file_name}", self.location())
    }

    fn local_dir(root: &Path, job_id: &str) -> PathBuf {
        root.join(job_id)
    }

    fn object(prefix: &ObjectPath, job_id: &str, file_name: &str) -> ObjectPath {
        prefix.child(job_id).child(file_name)
    }

    /// The manifest, when the job is done. A local manifest that a crashed run
    /// published but never synced is made durable before it is reported.
    pub async fn read_manifest(&self) -> io::Result<Option<Manifest>> {
        let location = self.location_of(MANIFEST_FILE);
        match &self.root.backend {
            Backend::Local { root, durability } => {
                let dir = Self::local_dir(root, &self.job_id);
                match std::fs::read(dir.join(MANIFEST_FILE)) {
                    Ok(bytes) => {
                        let manifest = Manifest::from_bytes(&bytes, &location)?;
                        durability.sync(&[&dir, root]).await?;
                        Ok(Some(manifest))
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Backend::Store { store, prefix } => {
                match store.get(&Self::object(prefix, &self.job_id, MANIFEST_FILE)).await {
                    Ok(result) => {
                        let bytes = result.bytes().await.map_err(store_error)?;
                        Manifest::from_bytes(&bytes, &location).map(Some)
                    }
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(store_error(e)),
                }
            }
        }
    }

    /// Gets the job ready for answers: creates the local directory and removes
    /// temporary files a crashed run left that have been idle for `stale_after`.
    /// Nothing to do in a store (an abandoned upload was never visible).
    pub fn prepare(&self, stale_after: Duration) -> io::Result<()> {
        if let Backend::Local { root, .. } = &self.root.backend {
            let dir = Self::local_dir(root, &self.job_id);
            // The directory's entry becomes durable with the manifest.
            std::fs::create_dir_all(&dir)?;
            atomic::remove_stale_temps(&dir, stale_after)?;
        }
        Ok(())
    }

    /// The footer of an answer a previous run finished, `None` when there is
    /// no such file; an unreadable one is an error (the caller answers again).
    pub async fn existing_answer(&self, file_name: &str) -> Result<Option<FileFooter>, SinkError> {
        match &self.root.backend {
            Backend::Local { root, .. } => {
                let path = Self::local_dir(root, &self.job_id).join(file_name);
                if !path.exists() {
                    return Ok(None);
                }
                read_footer(&path).map(Some)
            }
            Backend::Store { store, prefix } => {
                let location = Self::object(prefix, &self.job_id, file_name);
                match read_object_footer(store, &location, &self.location_of(file_name)).await {
                    Ok(footer) => Ok(Some(footer)),
                    Err(SinkError::Store { source: object_store::Error::NotFound { .. }, .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Removes an answer file that could not be read, so it can be written again.
    pub async fn remove_answer(&self, file_name: &str) {
        match &self.root.backend {
            Backend::Local { root, .. } => {
                let _ = std::fs::remove_file(Self::local_dir(root, &self.job_id).join(file_name));
            }
            Backend::Store { store, prefix } => {
                let _ = store.delete(&Self::object(prefix, &self.job_id, file_name)).await;
            }
        }
    }

    /// Where to stream an answer's Parquet file.
    pub fn answer(&self, file_name: &str) -> Destination {
        match &self.root.backend {
            Backend::Local { root, durability } => Destination::Local {
                path: Self::local_dir(root, &self.job_id).join(file_name),
                durability: durability.clone(),
            },
            Backend::Store { store, prefix } => Destination::Object {
                store: store.clone(),
                location: Self::object(prefix, &self.job_id, file_name),
                display: self.location_of(file_name),
            },
        }
    }

    /// The first `limit` rows of an answer this job wrote (a few ranged
    /// reads, never the whole file).
    pub async fn read_answer_head(&self, file_name: &str, limit: usize) -> Result<AnswerHead, SinkError> {
        match &self.root.backend {
            Backend::Local { root, .. } => {
                read_local_head(&Self::local_dir(root, &self.job_id).join(file_name), limit).await
            }
            Backend::Store { store, prefix } => {
                let location = Self::object(prefix, &self.job_id, file_name);
                read_object_head(store, &location, &self.location_of(file_name), limit).await
            }
        }
    }

    /// Publishes the manifest, last: returns once it (and, locally, every
    /// answer renamed before it) is durable.
    pub async fn write_manifest(&self, manifest: &Manifest) -> io::Result<()> {
        self.write_manifest_after(manifest, Vec::new()).await
    }

    /// Publishes `files` of this job (the report), then the manifest, last:
    /// each file is published whole before the next; returns once all are
    /// durable (locally two rounds of group commit for them all).
    pub async fn write_manifest_after(&self, manifest: &Manifest, files: Vec<(&str, Vec<u8>)>) -> io::Result<()> {
        let mut files = files;
        files.push((MANIFEST_FILE, manifest.to_bytes()));
        self.publish_all(files).await
    }

    /// Publishes a whole small file of this job atomically (locally a durable
    /// temporary file renamed, in a store one PUT); returns once it is durable.
    pub async fn publish(&self, file_name: &str, bytes: Vec<u8>) -> io::Result<()> {
        self.publish_all(vec![(file_name, bytes)]).await
    }

    /// Publishes whole files of this job in order, each visible only whole.
    async fn publish_all(&self, files: Vec<(&str, Vec<u8>)>) -> io::Result<()> {
        match &self.root.backend {
            Backend::Local { root, durability } => {
                let dir = Self::local_dir(root, &self.job_id);
                let paths: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
                let files: Vec<(&Path, &[u8])> =
                    paths.iter().zip(&files).map(|(path, (_, bytes))| (path.as_path(), bytes.as_slice())).collect();
                atomic::write_files_durably(&files, durability).await
            }
            Backend::Store { store, prefix } => {
                for (name, bytes) in files {
                    let location = Self::object(prefix, &self.job_id, name);
                    store.put(&location, PutPayload::from(bytes)).await.map_err(store_error)?;
                }
                Ok(())
            }
        }
    }
}

fn store_error(e: object_store::Error) -> io::Error {
    io::Error::other(secret::redact(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_into_local_paths_and_store_urls() {
        assert_eq!(OutputLocation::parse("out").unwrap(), OutputLocation::Local(PathBuf::from("out")));
        assert_eq!(OutputLocation::parse("/data/out").unwrap(), OutputLocation::Local(PathBuf::from("/data/out")));
        assert_eq!(
            OutputLocation::parse("file:///data/out").unwrap(),
            OutputLocation::Local(PathBuf::from("/data/out"))
        );
        assert_eq!(
            OutputLocation::parse("s3://bucket/reports/").unwrap(),
            OutputLocation::Store("s3://bucket/reports".into())
        );
        assert_eq!(OutputLocation::parse("gs://b").unwrap(), OutputLocation::Store("gs://b".into()));
        let error = OutputLocation::parse("ftp://host/x").unwrap_err();
        assert!(error.contains("unsupported scheme `ftp://`"), "{error}");
        assert!(OutputLocation::parse("s3:///x").unwrap_err().contains("no bucket"));
    }

    #[tokio::test]
    async fn a_local_job_reads_no_manifest_until_one_is_written_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = Arc::new(OutputRoot::open(&OutputLocation::Local(dir.path().to_path_buf())).unwrap());
        let job = root.job("j1");
        assert!(job.read_manifest().await.unwrap().is_none());
        job.prepare(Duration::from_secs(600)).unwrap();
        assert!(job.existing_answer("q1.parquet").await.unwrap().is_none());
        let manifest = Manifest {
            job_id: "j1".into(),
            started_at: chrono::Utc::now(),
            finished_at: chrono::Utc::now(),
            questions: Vec::new(),
            stats: Default::default(),
        };
        job.write_manifest(&manifest).await.unwrap();
        let read = job.read_manifest().await.unwrap().expect("the manifest is there");
        assert_eq!(read.job_id, "j1");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("j1")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(MANIFEST_FILE)]);
        assert_eq!(job.location(), dir.path().join("j1").display().to_string());
    }
}
