//! The streaming Parquet writer: one file per answer, encoded on a blocking
//! thread while the query is still fetching.
//!
//! ```text
//!  stream (async) --RecordBatch--> bounded channel (2) --> writer thread: ArrowWriter -> .<name>.tmp-<pid>-<rand>
//!  handle.commit(metadata) -------------------------------> footer key/values, close, fsync, rename, fsync dir
//! ```
//!
//! Invariants:
//! * No reader ever sees a partial file: rows go to a temporary file in the
//!   target directory, and only [`ParquetWriterHandle::commit`] publishes it (via
//!   [`super::atomic::publish_without_dir_sync`]; the manifest's publication
//!   fsyncs the directory for all answers at once). [`ParquetWriterHandle::abort`], dropping the
//!   handle, a failed write, or a panic remove the temporary file.
//! * Memory is flat: the channel holds at most [`CHANNEL_BATCHES`] batches, and a
//!   row group is flushed once its estimated encoded size reaches
//!   [`ROW_GROUP_BYTES`] (or [`ROW_GROUP_ROWS`] rows).
//! * The file's schema is the first batch's; every batch of a stream carries the
//!   same one. A stream of only empty batches still gives a valid file (schema,
//!   zero rows).
//! * zstd level 1: the fastest level, most of zstd's ratio on columnar data, and
//!   it keeps encoding from becoming the bottleneck of an export.
//! * The footer keeps `ARROW:schema` (written by `ArrowWriter`) and gains the
//!   commit's key/value pairs; [`read_footer`] reads them back to resume a job.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::atomic::{publish_without_dir_sync, temp_path_for};

/// Batches in flight between the query and the encoder.
pub const CHANNEL_BATCHES: usize = 2;
/// Estimated encoded size at which a row group is flushed.
pub const ROW_GROUP_BYTES: usize = 32 * 1024 * 1024;
/// Rows at which a row group is flushed whatever its size.
pub const ROW_GROUP_ROWS: usize = 1024 * 1024;
/// zstd compression level (1 = fastest).
pub const ZSTD_LEVEL: i32 = 1;
/// The footer key under which `ArrowWriter` stores the Arrow schema.
const ARROW_SCHEMA_KEY: &str = "ARROW:schema";

/// A published Parquet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub path: PathBuf,
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
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Parquet { path: PathBuf, source: ParquetError },
    #[error("{}: the query sent no batch, so there is no schema to write", path.display())]
    NoBatches { path: PathBuf },
    #[error("{}: the write was aborted", path.display())]
    Aborted { path: PathBuf },
    #[error("{}: the writer thread panicked", path.display())]
    Panicked { path: PathBuf },
}

/// Controls one file being written; see [`spawn_parquet_writer`].
#[derive(Debug)]
pub struct ParquetWriterHandle {
    final_path: PathBuf,
    /// Sends the footer metadata (commit); dropping it means abort.
    commit: Option<oneshot::Sender<Vec<(String, String)>>>,
    worker: Option<JoinHandle<Result<WrittenFile, SinkError>>>,
}

/// Spawns a blocking writer thread that encodes batches as they arrive
/// (overlapping fetch and encode). Must be called within a Tokio runtime.
pub fn spawn_parquet_writer(final_path: PathBuf) -> (mpsc::Sender<RecordBatch>, ParquetWriterHandle) {
    let (batches_tx, batches_rx) = mpsc::channel(CHANNEL_BATCHES);
    let (commit_tx, commit_rx) = oneshot::channel();
    let runtime = Handle::current();
    let path = final_path.clone();
    let worker = tokio::task::spawn_blocking(move || write_file(&path, batches_rx, commit_rx, &runtime));
    (batches_tx, ParquetWriterHandle { final_path, commit: Some(commit_tx), worker: Some(worker) })
}

impl ParquetWriterHandle {
    /// Call after the query stream finished OK and the batch sender was dropped:
    /// adds the key/value metadata to the footer, closes the writer, fsyncs the
    /// file, renames tmp -> final, fsyncs the directory.
    pub async fn commit(mut self, metadata: Vec<(String, String)>) -> Result<WrittenFile, SinkError> {
        if let Some(commit) = self.commit.take() {
            // If the thread already ended (a failed write), its result says why.
            let _ = commit.send(metadata);
        }
        self.join().await
    }

    /// Discards the temporary file (also what happens if the handle is dropped without commit).
    pub async fn abort(mut self) {
        self.commit.take();
        let _ = self.join().await;
    }

    async fn join(&mut self) -> Result<WrittenFile, SinkError> {
        let worker = self.worker.take().expect("a handle is joined once, by commit or abort");
        match worker.await {
            Ok(result) => result,
            Err(_) => Err(SinkError::Panicked { path: self.final_path.clone() }),
        }
    }
}

/// Reads a finished file's footer: row count, Arrow schema and key/value
/// metadata (used to resume a job without re-running the query).
pub fn read_footer(path: &Path) -> Result<FileFooter, SinkError> {
    let file = File::open(path).map_err(|source| SinkError::Io { path: path.to_path_buf(), source })?;
    let reader = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
        .map_err(|source| SinkError::Parquet { path: path.to_path_buf(), source })?;
    let file_metadata = reader.metadata().file_metadata();
    let metadata = file_metadata
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key != ARROW_SCHEMA_KEY)
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect();
    Ok(FileFooter { rows: file_metadata.num_rows().max(0) as u64, schema: reader.schema().clone(), metadata })
}

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level")))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// The temporary file; removed on drop unless it was published.
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
    final_path: &Path,
    mut batches: mpsc::Receiver<RecordBatch>,
    mut commit: oneshot::Receiver<Vec<(String, String)>>,
    runtime: &Handle,
) -> Result<WrittenFile, SinkError> {
    let io_err = |source| SinkError::Io { path: final_path.to_path_buf(), source };
    let parquet_err = |source| SinkError::Parquet { path: final_path.to_path_buf(), source };
    let mut open: Option<(TempFile, ArrowWriter<File>)> = None;
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
                    let temp = TempFile { path: temp_path_for(final_path), published: false };
                    let file = OpenOptions::new().write(true).create_new(true).open(&temp.path).map_err(io_err)?;
                    let writer =
                        ArrowWriter::try_new(file, batch.schema(), Some(writer_properties())).map_err(parquet_err)?;
                    open = Some((temp, writer));
                }
                let (_, writer) = open.as_mut().expect("opened above");
                writer.write(&batch).map_err(parquet_err)?;
                rows += batch.num_rows() as u64;
            }
            Event::Commit(m) => metadata = Some(m),
            Event::Abort => return Err(SinkError::Aborted { path: final_path.to_path_buf() }),
            Event::BatchesDone => break,
        }
    }

    let metadata = match metadata {
        Some(m) => m,
        None => runtime.block_on(commit).map_err(|_| SinkError::Aborted { path: final_path.to_path_buf() })?,
    };
    let Some((mut temp, mut writer)) = open else {
        return Err(SinkError::NoBatches { path: final_path.to_path_buf() });
    };
    for (key, value) in metadata {
        writer.append_key_value_metadata(KeyValue::new(key, value));
    }
    // Writes the footer and flushes the writer's buffer; then fsync and rename.
    drop(writer.into_inner().map_err(parquet_err)?);
    publish_without_dir_sync(&temp.path, final_path).map_err(io_err)?;
    temp.published = true;
    let bytes = std::fs::metadata(final_path).map_err(io_err)?.len();
    Ok(WrittenFile { path: final_path.to_path_buf(), rows, bytes })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

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
        let (tx, handle) = spawn_parquet_writer(path.clone());
        tx.send(batch(&[Some(1), None, Some(3)])).await.unwrap();
        tx.send(batch(&[Some(4)])).await.unwrap();
        drop(tx);
        let written = handle.commit(vec![("sqlsynth.sql".into(), "SELECT 1".into())]).await.unwrap();
        assert_eq!((written.path.as_path(), written.rows), (path.as_path(), 4));
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
        let (tx, handle) = spawn_parquet_writer(path.clone());
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
        let (tx, handle) = spawn_parquet_writer(dir.path().join("q.parquet"));
        drop(tx);
        assert!(matches!(handle.commit(Vec::new()).await, Err(SinkError::NoBatches { .. })));
        assert!(names_in(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn abort_removes_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, handle) = spawn_parquet_writer(dir.path().join("q.parquet"));
        tx.send(batch(&[Some(1)])).await.unwrap();
        drop(tx);
        handle.abort().await;
        assert!(names_in(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_dropped_handle_leaves_no_file_and_stops_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, handle) = spawn_parquet_writer(dir.path().join("q.parquet"));
        tx.send(batch(&[Some(1)])).await.unwrap();
        drop(handle);
        // The writer notices the abort while the sender is still open, removes its
        // temporary file, then drops the receiver: `closed` returns only after that.
        tx.closed().await;
        assert!(tx.send(batch(&[Some(2)])).await.is_err());
        assert!(names_in(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn large_streams_flush_several_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.parquet");
        let (tx, handle) = spawn_parquet_writer(path.clone());
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
