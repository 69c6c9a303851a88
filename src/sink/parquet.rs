//! The streaming Parquet writer: one file per answer, encoded on a blocking
//! thread while the query is still fetching.
//!
//! ```text
//!  stream (async) --RecordBatch--> bounded channel (2) --> writer thread: ArrowWriter -> destination
//!  handle.commit(metadata) -------------------------------> footer key/values, close, publish
//! ```
//!
//! A [`Destination`] is a local file or an object in a store:
//! * local: rows go to a temporary file in the target directory; commit makes
//!   it durable ([`Durability::sync`], group commit) and renames it (the rename
//!   becomes durable with the manifest's publication);
//! * object store: rows stream out as a multipart upload (parts of
//!   [`OBJECT_PART_BYTES`], a few in flight); the object appears, whole, only
//!   when the upload completes at commit.
//!
//! Invariants:
//! * No reader ever sees a partial file. [`ParquetWriterHandle::abort`],
//!   dropping the handle, a failed write, or a panic remove the temporary file
//!   or abort the upload.
//! * Memory is flat: the channel holds at most [`CHANNEL_BATCHES`] batches, a
//!   row group is flushed once its estimated encoded size reaches
//!   [`ROW_GROUP_BYTES`] (or [`ROW_GROUP_ROWS`] rows), and an upload buffers at
//!   most [`OBJECT_PARTS_IN_FLIGHT`] parts.
//! * The file's schema is the first batch's; every batch of a stream carries the
//!   same one. A stream of only empty batches still gives a valid file (schema,
//!   zero rows).
//! * zstd level 1: the fastest level, most of zstd's ratio on columnar data, and
//!   it keeps encoding from becoming the bottleneck of an export.
//! * The footer keeps `ARROW:schema` (written by `ArrowWriter`) and gains the
//!   commit's key/value pairs; [`read_footer`] reads them back to resume a job.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use object_store::ObjectStore;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, ParquetMetaData};
use parquet::file::properties::WriterProperties;
use tokio::io::AsyncWriteExt;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::atomic::temp_path_for;
use super::durable::Durability;
use super::head::ObjectReader;

/// Batches in flight between the query and the encoder.
pub const CHANNEL_BATCHES: usize = 2;
/// Estimated encoded (compressed) size at which a row group is flushed. The
/// row group being written is held in memory, so this bounds an export's
/// memory whatever its length: at 32 MiB, tables whose rows compress to ~20
/// bytes reached the 1 Mi-row cap first and a 5M-row export peaked 23% above
/// a 500k-row one (issue 13); at 8 MiB both peak alike.
pub const ROW_GROUP_BYTES: usize = 8 * 1024 * 1024;
/// Rows at which a row group is flushed whatever its size.
pub const ROW_GROUP_ROWS: usize = 1024 * 1024;
/// zstd compression level (1 = fastest).
pub const ZSTD_LEVEL: i32 = 1;
/// Size of one part of a multipart upload (S3's minimum is 5 MiB).
pub const OBJECT_PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts of one upload in flight at once.
pub const OBJECT_PARTS_IN_FLIGHT: usize = 4;
/// The footer key under which `ArrowWriter` stores the Arrow schema.
const ARROW_SCHEMA_KEY: &str = "ARROW:schema";

/// Where one answer's Parquet file goes.
#[derive(Clone)]
pub enum Destination {
    /// A local file, published by durable temp + rename.
    Local { path: PathBuf, durability: Arc<Durability> },
    /// An object, published by completing a multipart upload.
    Object { store: Arc<dyn ObjectStore>, location: ObjectPath, display: String },
}

impl Destination {
    /// How errors and logs name it: the local path or the object's URL.
    pub fn display(&self) -> String {
        match self {
            Destination::Local { path, .. } => path.display().to_string(),
            Destination::Object { display, .. } => display.clone(),
        }
    }
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// A published Parquet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    /// The local path or object URL.
    pub location: String,
    pub rows: u64,
    pub bytes: u64,
}

/// What a finished file's footer says.
#[derive(Debug, Clone)]
pub struct FileFooter {
    pub rows: u64,
    pub schema: SchemaRef,
    /// The footer's key/value pairs, without `ARROW:schema`.
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("{target}: {source}")]
    Io { target: String, source: io::Error },
    #[error("{target}: {source}")]
    Parquet { target: String, source: ParquetError },
    #[error("{target}: {source}")]
    Store { target: String, source: object_store::Error },
    #[error("{target}: the query sent no batch, so there is no schema to write")]
    NoBatches { target: String },
    #[error("{target}: the write was aborted")]
    Aborted { target: String },
    #[error("{target}: the writer thread panicked")]
    Panicked { target: String },
}

impl SinkError {
    /// True when the cause passes by itself: a full disk or quota, an I/O
    /// error of the network kind, an object store that did not answer.
    pub fn is_transient(&self) -> bool {
        match self {
            SinkError::Io { source, .. } => io_is_transient(source),
            SinkError::Parquet { source: ParquetError::External(e), .. } => {
                e.downcast_ref::<io::Error>().is_some_and(io_is_transient)
            }
            SinkError::Store { source, .. } => store_is_transient(source),
            _ => false,
        }
    }
}

/// ENOSPC, EDQUOT, the network kinds of I/O error, and an object store's
/// transient failure carried inside an I/O error (a multipart upload's writes).
pub fn io_is_transient(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    if let Some(store) = e.get_ref().and_then(|inner| inner.downcast_ref::<object_store::Error>()) {
        return store_is_transient(store);
    }
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
        || matches!(
            e.kind(),
            StorageFull | ConnectionRefused | ConnectionReset | ConnectionAborted | BrokenPipe | TimedOut | Interrupted
        )
}

/// An object store error that a later attempt may not meet: anything but a
/// refusal of the request itself (missing, invalid, forbidden, unsupported).
fn store_is_transient(e: &object_store::Error) -> bool {
    !matches!(
        e,
        object_store::Error::NotFound { .. }
            | object_store::Error::InvalidPath { .. }
            | object_store::Error::NotSupported { .. }
            | object_store::Error::AlreadyExists { .. }
            | object_store::Error::Precondition { .. }
            | object_store::Error::NotImplemented
            | object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. }
            | object_store::Error::UnknownConfigurationKey { .. }
    )
}

/// Controls one file being written; see [`spawn_parquet_writer`].
#[derive(Debug)]
pub struct ParquetWriterHandle {
    destination: Destination,
    /// Sends the footer metadata (commit); dropping it means abort.
    commit: Option<oneshot::Sender<Vec<(String, String)>>>,
    worker: Option<JoinHandle<Result<Closed, SinkError>>>,
}

/// A fully written file, not yet published (local) or already complete (object).
#[derive(Debug)]
enum Closed {
    Temp { temp: TempFile, rows: u64 },
    Uploaded { rows: u64, bytes: u64 },
}

/// Spawns a blocking writer thread that encodes batches as they arrive
/// (overlapping fetch and encode). Must be called within a Tokio runtime.
pub fn spawn_parquet_writer(destination: Destination) -> (mpsc::Sender<RecordBatch>, ParquetWriterHandle) {
    let (batches_tx, batches_rx) = mpsc::channel(CHANNEL_BATCHES);
    let (commit_tx, commit_rx) = oneshot::channel();
    let runtime = Handle::current();
    let target = destination.clone();
    let worker = tokio::task::spawn_blocking(move || write_file(&target, batches_rx, commit_rx, &runtime));
    (batches_tx, ParquetWriterHandle { destination, commit: Some(commit_tx), worker: Some(worker) })
}

impl ParquetWriterHandle {
    /// Call after the query stream finished OK and the batch sender was dropped:
    /// adds the key/value metadata to the footer, closes the writer and
    /// publishes the file (see the module doc for what that means per destination).
    pub async fn commit(mut self, metadata: Vec<(String, String)>) -> Result<WrittenFile, SinkError> {
        if let Some(commit) = self.commit.take() {
            // If the thread already ended (a failed write), its result says why.
            let _ = commit.send(metadata);
        }
        let location = self.destination.display();
        match (self.join().await?, &self.destination) {
            (Closed::Temp { mut temp, rows }, Destination::Local { path, durability }) => {
                let io_err = |source| SinkError::Io { target: location.clone(), source };
                durability.sync(&[&temp.path]).await.map_err(io_err)?;
                std::fs::rename(&temp.path, path).map_err(io_err)?;
                temp.published = true;
                let bytes = std::fs::metadata(path).map_err(io_err)?.len();
                Ok(WrittenFile { location, rows, bytes })
            }
            (Closed::Uploaded { rows, bytes }, _) => Ok(WrittenFile { location, rows, bytes }),
            (Closed::Temp { .. }, Destination::Object { .. }) => {
                unreachable!("objects are never written to temp files")
            }
        }
    }

    /// Discards the temporary file or upload (also what happens if the handle
    /// is dropped without commit). Returns the writer's own failure, if it
    /// failed before the abort (which is why a query sees its channel closed).
    pub async fn abort(mut self) -> Option<SinkError> {
        self.commit.take();
        match self.join().await {
            Err(SinkError::Aborted { .. }) | Ok(_) => None,
            Err(e) => Some(e),
        }
    }

    async fn join(&mut self) -> Result<Closed, SinkError> {
        let worker = self.worker.take().expect("a handle is joined once, by commit or abort");
        match worker.await {
            Ok(result) => result,
            Err(_) => Err(SinkError::Panicked { target: self.destination.display() }),
        }
    }
}

/// Reads a finished local file's footer: row count, Arrow schema and
/// key/value metadata (used to resume a job without re-running the query).
pub fn read_footer(path: &std::path::Path) -> Result<FileFooter, SinkError> {
    let target = path.display().to_string();
    let file = File::open(path).map_err(|source| SinkError::Io { target: target.clone(), source })?;
    let reader = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
        .map_err(|source| SinkError::Parquet { target, source })?;
    Ok(footer_of(reader.metadata(), reader.schema().clone()))
}

/// Reads an object's footer with ranged reads (the 8-byte tail, then the
/// metadata), never the whole object.
pub async fn read_object_footer(
    store: &Arc<dyn ObjectStore>,
    location: &ObjectPath,
    display: &str,
) -> Result<FileFooter, SinkError> {
    let mut reader = ObjectReader::open(store, location, display).await?;
    let metadata = ArrowReaderMetadata::load_async(&mut reader, ArrowReaderOptions::default())
        .await
        .map_err(|source| SinkError::Parquet { target: display.to_string(), source })?;
    Ok(footer_of(metadata.metadata(), metadata.schema().clone()))
}

fn footer_of(metadata: &ParquetMetaData, schema: SchemaRef) -> FileFooter {
    let file_metadata = metadata.file_metadata();
    let pairs = file_metadata
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key != ARROW_SCHEMA_KEY)
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect();
    FileFooter { rows: file_metadata.num_rows().max(0) as u64, schema, metadata: pairs }
}

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level")))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// The temporary file; removed on drop unless it was published.
#[derive(Debug)]
struct TempFile {
    path: PathBuf,
    published: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A multipart upload seen as a blocking `Write` from the writer thread.
/// Dropped without [`ObjectWrite::complete`], it aborts the upload.
struct ObjectWrite {
    upload: Option<BufWriter>,
    runtime: Handle,
    bytes: u64,
}

impl ObjectWrite {
    fn new(store: Arc<dyn ObjectStore>, location: ObjectPath, runtime: &Handle) -> Self {
        let upload =
            BufWriter::with_capacity(store, location, OBJECT_PART_BYTES).with_max_concurrency(OBJECT_PARTS_IN_FLIGHT);
        ObjectWrite { upload: Some(upload), runtime: runtime.clone(), bytes: 0 }
    }

    /// Uploads what is buffered and completes the upload: the object appears now.
    fn complete(mut self) -> io::Result<u64> {
        let mut upload = self.upload.take().expect("completed once");
        self.runtime.block_on(upload.shutdown())?;
        Ok(self.bytes)
    }
}

impl Write for ObjectWrite {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let upload = self.upload.as_mut().expect("not completed");
        self.runtime.block_on(upload.write_all(buf))?;
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Parts go out as they fill; completing the upload is `complete`'s job.
        Ok(())
    }
}

impl Drop for ObjectWrite {
    fn drop(&mut self) {
        if let Some(mut upload) = self.upload.take() {
            let _ = self.runtime.block_on(upload.abort());
        }
    }
}

/// The open output of the writer thread.
enum Sink {
    Temp(TempFile, Box<ArrowWriter<File>>),
    Object(Box<ArrowWriter<ObjectWrite>>),
}

impl Sink {
    fn open(destination: &Destination, schema: SchemaRef, runtime: &Handle) -> Result<Sink, SinkError> {
        let target = destination.display();
        let parquet_err = |source| SinkError::Parquet { target: target.clone(), source };
        match destination {
            Destination::Local { path, .. } => {
                let temp = TempFile { path: temp_path_for(path), published: false };
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&temp.path)
                    .map_err(|source| SinkError::Io { target: target.clone(), source })?;
                let writer = ArrowWriter::try_new(file, schema, Some(writer_properties())).map_err(parquet_err)?;
                Ok(Sink::Temp(temp, Box::new(writer)))
            }
            Destination::Object { store, location, .. } => {
                let upload = ObjectWrite::new(store.clone(), location.clone(), runtime);
                let writer = ArrowWriter::try_new(upload, schema, Some(writer_properties())).map_err(parquet_err)?;
                Ok(Sink::Object(Box::new(writer)))
            }
        }
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        match self {
            Sink::Temp(_, writer) => writer.write(batch),
            Sink::Object(writer) => writer.write(batch),
        }
    }

    fn append_key_value_metadata(&mut self, pair: KeyValue) {
        match self {
            Sink::Temp(_, writer) => writer.append_key_value_metadata(pair),
            Sink::Object(writer) => writer.append_key_value_metadata(pair),
        }
    }

    /// Writes the footer; a local file is handed to the kernel (commit makes it
    /// durable), an upload is completed.
    fn close(self, rows: u64, target: &str) -> Result<Closed, SinkError> {
        let parquet_err = |source| SinkError::Parquet { target: target.to_string(), source };
        let io_err = |source| SinkError::Io { target: target.to_string(), source };
        match self {
            Sink::Temp(temp, writer) => {
                drop(writer.into_inner().map_err(parquet_err)?);
                Ok(Closed::Temp { temp, rows })
            }
            Sink::Object(writer) => {
                let bytes = writer.into_inner().map_err(parquet_err)?.complete().map_err(io_err)?;
                Ok(Closed::Uploaded { rows, bytes })
            }
        }
    }
}

/// What the writer thread waits for next.
enum Event {
    Batch(RecordBatch),
    BatchesDone,
    Commit(Vec<(String, String)>),
    Abort,
}

/// The writer thread: encodes batches until the channel closes, then commits
/// or aborts as the handle says. An abort is noticed even while batches are
/// still arriving; the receiver is dropped on return, which stops the stream.
fn write_file(
    destination: &Destination,
    mut batches: mpsc::Receiver<RecordBatch>,
    mut commit: oneshot::Receiver<Vec<(String, String)>>,
    runtime: &Handle,
) -> Result<Closed, SinkError> {
    let target = destination.display();
    let parquet_err = |source| SinkError::Parquet { target: target.clone(), source };
    let mut open: Option<Sink> = None;
    let mut rows: u64 = 0;
    let mut metadata: Option<Vec<(String, String)>> = None;

    loop {
        let event = runtime.block_on(async {
            if metadata.is_some() {
                return batches.recv().await.map_or(Event::BatchesDone, Event::Batch);
            }
            tokio::select! {
                biased;
                m = &mut commit => m.map_or(Event::Abort, Event::Commit),
                b = batches.recv() => b.map_or(Event::BatchesDone, Event::Batch),
            }
        });
        match event {
            Event::Batch(batch) => {
                if open.is_none() {
                    open = Some(Sink::open(destination, batch.schema(), runtime)?);
                }
                open.as_mut().expect("opened above").write(&batch).map_err(parquet_err)?;
                rows += batch.num_rows() as u64;
            }
            Event::Commit(m) => metadata = Some(m),
            Event::Abort => return Err(SinkError::Aborted { target }),
            Event::BatchesDone => break,
        }
    }

    let metadata = match metadata {
        Some(m) => m,
        None => runtime.block_on(commit).map_err(|_| SinkError::Aborted { target: target.clone() })?,
    };
    let Some(mut sink) = open else {
        return Err(SinkError::NoBatches { target });
    };
    for (key, value) in metadata {
        sink.append_key_value_metadata(KeyValue::new(key, value));
    }
    sink.close(rows, &target)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use std::path::Path;

    use super::*;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true), Field::new("name", DataType::Utf8, true)]))
    }

    fn batch(ids: &[Option<i64>]) -> RecordBatch {
        let names: Vec<Option<String>> = ids.iter().map(|id| id.map(|i| format!("n{i}"))).collect();
        RecordBatch::try_new(
            schema(),
            vec![Arc::new(Int64Array::from(ids.to_vec())), Arc::new(StringArray::from(names))],
        )
        .unwrap()
    }

    fn local(path: impl Into<PathBuf>) -> Destination {
        let path = path.into();
        let durability = Arc::new(Durability::new(path.parent().unwrap()));
        Destination::Local { path, durability }
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn commit_publishes_rows_and_footer_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q1.parquet");
        let (tx, handle) = spawn_parquet_writer(local(path.clone()));
        tx.send(batch(&[Some(1), None, Some(3)])).await.unwrap();
        tx.send(batch(&[Some(4)])).await.unwrap();
        drop(tx);
        let written = handle.commit(vec![("sqlsynth.sql".into(), "SELECT 1".into())]).await.unwrap();
        assert_eq!((written.location, written.rows), (path.display().to_string(), 4));
        assert_eq!(written.bytes, std::fs::metadata(&path).unwrap().len());
        assert_eq!(names_in(dir.path()), vec!["q1.parquet"]);

        let footer = read_footer(&path).unwrap();
        assert_eq!(footer.rows, 4);
        assert_eq!(footer.schema.fields(), schema().fields());
        assert_eq!(footer.metadata.get("sqlsynth.sql").map(String::as_str), Some("SELECT 1"));
        assert!(!footer.metadata.contains_key(ARROW_SCHEMA_KEY));

        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let compression = reader.metadata().row_group(0).column(0).compression();
        assert!(matches!(compression, Compression::ZSTD(_)), "{compression:?}");
        let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let ids: Vec<Option<i64>> = batches
            .iter()
            .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().iter().collect::<Vec<_>>())
            .collect();
        assert_eq!(ids, vec![Some(1), None, Some(3), Some(4)]);
    }

    #[tokio::test]
    async fn zero_rows_make_a_valid_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        let (tx, handle) = spawn_parquet_writer(local(path.clone()));
        tx.send(RecordBatch::new_empty(schema())).await.unwrap();
        drop(tx);
        let written = handle.commit(Vec::new()).await.unwrap();
        assert_eq!(written.rows, 0);
        let footer = read_footer(&path).unwrap();
        assert_eq!((footer.rows, footer.schema.fields().len()), (0, 2));
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.schema().fields(), schema().fields());
    }

    #[tokio::test]
    async fn no_batch_at_all_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, handle) = spawn_parquet_writer(local(dir.path().join("q.parquet")));
        drop(tx);
        assert!(matches!(handle.commit(Vec::new()).await, Err(SinkError::NoBatches { .. })));
        assert!(names_in(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn abort_removes_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, handle) = spawn_parquet_writer(local(dir.path().join("q.parquet")));
        tx.send(batch(&[Some(1)])).await.unwrap();
        drop(tx);
        handle.abort().await;
        assert!(names_in(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_dropped_handle_leaves_no_file_and_stops_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, handle) = spawn_parquet_writer(local(dir.path().join("q.parquet")));
        tx.send(batch(&[Some(1)])).await.unwrap();
        drop(handle);
        // The writer notices the abort while the sender is still open, removes its
        // temporary file, then drops the receiver: `closed` returns only after that.
        tx.closed().await;
        assert!(tx.send(batch(&[Some(2)])).await.is_err());
        assert!(names_in(dir.path()).is_empty());
    }

    #[test]
    fn full_disks_and_unavailable_stores_are_transient_refusals_are_not() {
        let io = |source: io::Error| SinkError::Io { target: "t".into(), source };
        assert!(io(io::Error::from_raw_os_error(libc::ENOSPC)).is_transient());
        assert!(io(io::Error::from(io::ErrorKind::ConnectionRefused)).is_transient());
        assert!(!io(io::Error::from(io::ErrorKind::PermissionDenied)).is_transient());
        let store = |e: object_store::Error| io(io::Error::from(e));
        let down = object_store::Error::Generic { store: "S3", source: "connection refused".into() };
        assert!(store(down).is_transient());
        let denied = object_store::Error::PermissionDenied { path: "p".into(), source: "no".into() };
        assert!(!store(denied).is_transient());
        let full = ParquetError::External(Box::new(io::Error::from_raw_os_error(libc::ENOSPC)));
        assert!(SinkError::Parquet { target: "t".into(), source: full }.is_transient());
    }

    #[tokio::test]
    async fn large_streams_flush_several_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.parquet");
        let (tx, handle) = spawn_parquet_writer(local(path.clone()));
        let ids: Vec<Option<i64>> = (0..65_536).map(Some).collect();
        let total = ROW_GROUP_ROWS as u64 + 3 * 65_536;
        for _ in 0..total / 65_536 {
            tx.send(batch(&ids)).await.unwrap();
        }
        drop(tx);
        assert_eq!(handle.commit(Vec::new()).await.unwrap().rows, total);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        assert!(reader.metadata().num_row_groups() >= 2);
        assert_eq!(read_footer(&path).unwrap().rows, total);
    }
}
