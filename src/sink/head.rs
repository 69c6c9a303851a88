//! Reading the first rows of a written answer back, cheaply, from a local
//! file or an object in a store: what a report shows is what was written.
//!
//! However large the file, a head reads its footer (with the offset index,
//! when the file has one), then only the pages of the first row groups that
//! hold the first `limit` rows: a row selection of those rows, applied to
//! just the row groups needed, so the reader fetches and decodes
//! those pages and nothing else. A local file is read by the synchronous
//! reader on one blocking thread ([`read_local_head`]: a file's many small
//! reads would each be a thread hop through `tokio::fs`); an object by the
//! asynchronous reader with ranged GETs ([`read_object_head`]).

use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use bytes::Bytes;
use futures_util::TryStreamExt;
use futures_util::future::{BoxFuture, FutureExt};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::{
    ArrowReaderBuilder, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::reader::ChunkReader;

use super::parquet::SinkError;

/// Batches read at most at once.
const BATCH_ROWS: usize = 8192;

/// The first rows of an answer file.
#[derive(Debug, Clone)]
pub struct AnswerHead {
    pub schema: SchemaRef,
    /// Rows in the whole file (from its footer).
    pub total_rows: u64,
    /// The first `min(limit, total_rows)` rows.
    pub batches: Vec<RecordBatch>,
}

impl AnswerHead {
    /// Rows read (at most the limit asked for).
    pub fn rows_read(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// Reads the first `limit` rows of a local Parquet file, on a blocking thread.
pub async fn read_local_head(path: &Path, limit: usize) -> Result<AnswerHead, SinkError> {
    let target = path.display().to_string();
    let path = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        let file = File::open(&path).map_err(|source| SinkError::Io { target: path.display().to_string(), source })?;
        read_head_blocking(file, limit, &path.display().to_string())
    });
    read.await.unwrap_or_else(|_| Err(SinkError::Panicked { target }))
}

/// Reads the first `limit` rows of a Parquet object with ranged GETs.
pub async fn read_object_head(
    store: &Arc<dyn ObjectStore>,
    location: &ObjectPath,
    display: &str,
    limit: usize,
) -> Result<AnswerHead, SinkError> {
    let reader = ObjectReader::open(store, location, display).await?;
    read_head(reader, limit, display).await
}

/// What to read for the first rows of a file.
struct Head {
    row_groups: Vec<usize>,
    selection: RowSelection,
    rows: usize,
}

impl Head {
    /// The leading row groups holding the first `limit` rows, and those rows;
    /// `None` when there is nothing to read.
    fn plan(metadata: &ParquetMetaData, limit: usize) -> Option<Head> {
        let total = usize::try_from(metadata.file_metadata().num_rows().max(0)).unwrap_or(usize::MAX);
        let rows = limit.min(total);
        if rows == 0 {
            return None;
        }
        let mut row_groups = Vec::new();
        let mut covered = 0usize;
        for (index, group) in metadata.row_groups().iter().enumerate() {
            if covered >= rows {
                break;
            }
            row_groups.push(index);
            covered += group.num_rows().max(0) as usize;
        }
        let mut selectors = vec![RowSelector::select(rows)];
        if covered > rows {
            selectors.push(RowSelector::skip(covered - rows));
        }
        Some(Head { row_groups, selection: RowSelection::from(selectors), rows })
    }

    /// `builder`, synchronous or not, reading these rows only.
    fn apply<T>(self, builder: ArrowReaderBuilder<T>) -> ArrowReaderBuilder<T> {
        builder
            .with_row_groups(self.row_groups)
            .with_row_selection(self.selection)
            .with_limit(self.rows)
            .with_batch_size(self.rows.min(BATCH_ROWS))
    }
}

/// Footers are read with the offset index, which locates each page.
fn options() -> ArrowReaderOptions {
    ArrowReaderOptions::new().with_offset_index_policy(PageIndexPolicy::Optional)
}

fn total_rows(metadata: &ArrowReaderMetadata) -> u64 {
    metadata.metadata().file_metadata().num_rows().max(0) as u64
}

/// The first `limit` rows of the Parquet data `input` holds (named `target`
/// in errors), read synchronously: call it on a blocking thread.
pub fn read_head_blocking<R: ChunkReader + 'static>(
    input: R,
    limit: usize,
    target: &str,
) -> Result<AnswerHead, SinkError> {
    let parquet_err = |source| SinkError::Parquet { target: target.to_string(), source };
    let metadata = ArrowReaderMetadata::load(&input, options()).map_err(parquet_err)?;
    let (schema, total_rows) = (metadata.schema().clone(), total_rows(&metadata));
    let Some(head) = Head::plan(metadata.metadata(), limit) else {
        return Ok(AnswerHead { schema, total_rows, batches: Vec::new() });
    };
    let reader =
        head.apply(ParquetRecordBatchReaderBuilder::new_with_metadata(input, metadata)).build().map_err(parquet_err)?;
    let batches = reader
        .collect::<Result<Vec<_>, ArrowError>>()
        .map_err(|e| parquet_err(ParquetError::ArrowError(e.to_string())))?;
    Ok(AnswerHead { schema, total_rows, batches })
}

/// The first `limit` rows of the Parquet data `input` holds (named `target` in errors).
pub async fn read_head<R>(mut input: R, limit: usize, target: &str) -> Result<AnswerHead, SinkError>
where
    R: AsyncFileReader + Unpin + Send + 'static,
{
    let parquet_err = |source| SinkError::Parquet { target: target.to_string(), source };
    let metadata = ArrowReaderMetadata::load_async(&mut input, options()).await.map_err(parquet_err)?;
    let (schema, total_rows) = (metadata.schema().clone(), total_rows(&metadata));
    let Some(head) = Head::plan(metadata.metadata(), limit) else {
        return Ok(AnswerHead { schema, total_rows, batches: Vec::new() });
    };
    let stream =
        head.apply(ParquetRecordBatchStreamBuilder::new_with_metadata(input, metadata)).build().map_err(parquet_err)?;
    let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(parquet_err)?;
    Ok(AnswerHead { schema, total_rows, batches })
}

/// A Parquet object read with ranged GETs (its size known from one HEAD).
pub struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    location: ObjectPath,
    size: u64,
}

impl ObjectReader {
    /// Opens `location` (named `display` in errors): one HEAD for its size.
    pub async fn open(
        store: &Arc<dyn ObjectStore>,
        location: &ObjectPath,
        display: &str,
    ) -> Result<ObjectReader, SinkError> {
        let size =
            store.head(location).await.map_err(|source| SinkError::Store { target: display.to_string(), source })?.size;
        Ok(ObjectReader { store: store.clone(), location: location.clone(), size })
    }
}

fn external(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for ObjectReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move { self.store.get_range(&self.location, range).await.map_err(external) }.boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move { self.store.get_ranges(&self.location, &ranges).await.map_err(external) }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let reader = ParquetMetaDataReader::new().with_arrow_reader_options(options);
            Ok(Arc::new(reader.load_and_finish(self, size).await?))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::sync::Mutex;

    use arrow_array::{Array, Int64Array};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::Length;

    use super::*;

    /// Serves a file from memory and counts the bytes the reader takes.
    #[derive(Clone)]
    struct Counting {
        data: Bytes,
        fetched: Arc<Mutex<u64>>,
    }

    impl Counting {
        fn new(data: &Bytes) -> Counting {
            Counting { data: data.clone(), fetched: Arc::default() }
        }

        fn count(&self, bytes: usize) {
            *self.fetched.lock().unwrap() += bytes as u64;
        }

        fn fetched(&self) -> u64 {
            *self.fetched.lock().unwrap()
        }
    }

    impl AsyncFileReader for Counting {
        fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
            self.count((range.end - range.start) as usize);
            let bytes = self.data.slice(range.start as usize..range.end as usize);
            async move { Ok(bytes) }.boxed()
        }

        fn get_metadata<'a>(
            &'a mut self,
            options: Option<&'a ArrowReaderOptions>,
        ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
            async move {
                let size = self.data.len() as u64;
                let reader = ParquetMetaDataReader::new().with_arrow_reader_options(options);
                Ok(Arc::new(reader.load_and_finish(self, size).await?))
            }
            .boxed()
        }
    }

    impl Length for Counting {
        fn len(&self) -> u64 {
            self.data.len() as u64
        }
    }

    /// What the synchronous reader reads through, counted as it reads.
    struct CountingRead {
        rest: Bytes,
        source: Counting,
    }

    impl Read for CountingRead {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.rest.len());
            buf[..n].copy_from_slice(&self.rest.split_to(n));
            self.source.count(n);
            Ok(n)
        }
    }

    impl ChunkReader for Counting {
        type T = CountingRead;

        fn get_read(&self, start: u64) -> parquet::errors::Result<CountingRead> {
            Ok(CountingRead { rest: self.data.slice(start as usize..), source: self.clone() })
        }

        fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
            self.count(length);
            Ok(self.data.slice(start as usize..start as usize + length))
        }
    }

    /// A file of `rows` sequential integers in row groups of `group_rows`.
    fn file(rows: i64, group_rows: usize) -> Bytes {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group_rows))
            .set_dictionary_enabled(false)
            .build();
        let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(properties)).unwrap();
        for start in (0..rows).step_by(65_536) {
            let values: Vec<i64> = (start..(start + 65_536).min(rows)).collect();
            writer
                .write(&RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(values))]).unwrap())
                .unwrap();
        }
        Bytes::from(writer.into_inner().unwrap())
    }

    fn values(head: &AnswerHead) -> Vec<i64> {
        head.batches
            .iter()
            .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec())
            .collect()
    }

    /// The head of `data` read both ways, which must agree, and the bytes each read.
    async fn both_ways(data: &Bytes, limit: usize) -> (AnswerHead, u64, u64) {
        let (asynchronous, synchronous) = (Counting::new(data), Counting::new(data));
        let read_async = read_head(asynchronous.clone(), limit, "f").await.unwrap();
        let read_sync = read_head_blocking(synchronous.clone(), limit, "f").unwrap();
        assert_eq!(values(&read_async), values(&read_sync));
        assert_eq!(read_async.total_rows, read_sync.total_rows);
        (read_sync, asynchronous.fetched(), synchronous.fetched())
    }

    #[tokio::test]
    async fn the_head_of_a_large_file_reads_a_small_part_of_it() {
        let data = file(2_000_000, 500_000);
        let size = data.len() as u64;
        let (head, fetched_async, fetched_sync) = both_ways(&data, 100).await;
        assert_eq!(head.total_rows, 2_000_000);
        assert_eq!(values(&head), (0..100).collect::<Vec<_>>());
        for fetched in [fetched_async, fetched_sync] {
            assert!(fetched * 20 < size, "read {fetched} of {size} bytes for 100 rows");
        }
    }

    #[tokio::test]
    async fn a_head_crossing_row_groups_and_one_beyond_the_end_are_exact() {
        let data = file(1_000, 300);
        let (head, ..) = both_ways(&data, 650).await;
        assert_eq!(values(&head), (0..650).collect::<Vec<_>>());
        assert_eq!(head.rows_read(), 650);
        let (all, ..) = both_ways(&data, 5_000).await;
        assert_eq!(values(&all), (0..1_000).collect::<Vec<_>>());
        let (none, ..) = both_ways(&data, 0).await;
        assert_eq!((none.total_rows, none.rows_read(), none.schema.fields().len()), (1_000, 0, 1));
    }

    #[tokio::test]
    async fn a_local_file_reads_back_and_one_that_is_not_parquet_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q1.parquet");
        std::fs::write(&path, file(1_000, 300)).unwrap();
        assert_eq!(values(&read_local_head(&path, 10).await.unwrap()), (0..10).collect::<Vec<_>>());
        std::fs::write(&path, b"not parquet at all").unwrap();
        let error = read_local_head(&path, 10).await.unwrap_err();
        assert!(error.to_string().starts_with(&path.display().to_string()), "{error}");
        let missing = read_local_head(&dir.path().join("none.parquet"), 10).await.unwrap_err();
        assert!(matches!(missing, SinkError::Io { .. }), "{missing}");
    }
}
