//! Reading the first rows of a written answer back, cheaply, from a local
//! file or an object in a store: what a report shows is what was written.
//!
//! However large the file, [`read_head`] reads its footer (with the offset
//! index, when the file has one), then only the pages of the first row groups
//! that hold the first `limit` rows: a row selection of those rows, applied to
//! just the row groups needed, so the reader fetches (ranged GETs from a
//! store) and decodes those pages and nothing else.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use futures_util::TryStreamExt;
use futures_util::future::{BoxFuture, FutureExt};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

use super::parquet::SinkError;

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

/// Reads the first `limit` rows of a local Parquet file.
pub async fn read_local_head(path: &Path, limit: usize) -> Result<AnswerHead, SinkError> {
    let target = path.display().to_string();
    let file = tokio::fs::File::open(path).await.map_err(|source| SinkError::Io { target: target.clone(), source })?;
    read_head(file, limit, &target).await
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

/// The first `limit` rows of the Parquet data `input` holds (named `target` in errors).
pub async fn read_head<R>(mut input: R, limit: usize, target: &str) -> Result<AnswerHead, SinkError>
where
    R: AsyncFileReader + Unpin + Send + 'static,
{
    let parquet_err = |source| SinkError::Parquet { target: target.to_string(), source };
    let options = ArrowReaderOptions::new().with_offset_index_policy(PageIndexPolicy::Optional);
    let metadata = ArrowReaderMetadata::load_async(&mut input, options).await.map_err(parquet_err)?;
    let schema = metadata.schema().clone();
    let total_rows = metadata.metadata().file_metadata().num_rows().max(0) as u64;
    let wanted = limit.min(usize::try_from(total_rows).unwrap_or(usize::MAX));
    if wanted == 0 {
        return Ok(AnswerHead { schema, total_rows, batches: Vec::new() });
    }
    let (row_groups, covered) = first_row_groups(metadata.metadata(), wanted);
    let mut selectors = vec![RowSelector::select(wanted)];
    if covered > wanted {
        selectors.push(RowSelector::skip(covered - wanted));
    }
    let stream = ParquetRecordBatchStreamBuilder::new_with_metadata(input, metadata)
        .with_row_groups(row_groups)
        .with_row_selection(RowSelection::from(selectors))
        .with_limit(wanted)
        .with_batch_size(wanted.min(8192))
        .build()
        .map_err(parquet_err)?;
    let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(parquet_err)?;
    Ok(AnswerHead { schema, total_rows, batches })
}

/// The leading row groups that hold the first `rows` rows, and how many rows they hold.
fn first_row_groups(metadata: &ParquetMetaData, rows: usize) -> (Vec<usize>, usize) {
    let mut groups = Vec::new();
    let mut covered = 0usize;
    for (index, group) in metadata.row_groups().iter().enumerate() {
        if covered >= rows {
            break;
        }
        groups.push(index);
        covered += group.num_rows().max(0) as usize;
    }
    (groups, covered)
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
    use std::sync::Mutex;

    use arrow_array::{Array, Int64Array};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// Serves a file from memory and counts the bytes the reader asked for.
    struct Counting {
        data: Bytes,
        fetched: Arc<Mutex<u64>>,
    }

    impl AsyncFileReader for Counting {
        fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
            *self.fetched.lock().unwrap() += range.end - range.start;
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

    #[tokio::test]
    async fn the_head_of_a_large_file_reads_a_small_part_of_it() {
        let data = file(2_000_000, 500_000);
        let fetched = Arc::new(Mutex::new(0));
        let size = data.len() as u64;
        let head = read_head(Counting { data, fetched: fetched.clone() }, 100, "big").await.unwrap();
        assert_eq!(head.total_rows, 2_000_000);
        assert_eq!(values(&head), (0..100).collect::<Vec<_>>());
        let fetched = *fetched.lock().unwrap();
        assert!(fetched * 20 < size, "read {fetched} of {size} bytes for 100 rows");
    }

    #[tokio::test]
    async fn a_head_crossing_row_groups_and_one_beyond_the_end_are_exact() {
        let data = file(1_000, 300);
        let fetched = Arc::new(Mutex::new(0));
        let head = read_head(Counting { data: data.clone(), fetched: fetched.clone() }, 650, "f").await.unwrap();
        assert_eq!(values(&head), (0..650).collect::<Vec<_>>());
        assert_eq!(head.rows_read(), 650);
        let all = read_head(Counting { data: data.clone(), fetched: fetched.clone() }, 5_000, "f").await.unwrap();
        assert_eq!(values(&all), (0..1_000).collect::<Vec<_>>());
        let none = read_head(Counting { data, fetched }, 0, "f").await.unwrap();
        assert_eq!((none.total_rows, none.rows_read(), none.schema.fields().len()), (1_000, 0, 1));
    }

    #[tokio::test]
    async fn a_local_file_that_is_not_parquet_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q1.parquet");
        std::fs::write(&path, b"not parquet at all").unwrap();
        let error = read_local_head(&path, 10).await.unwrap_err();
        assert!(error.to_string().starts_with(&path.display().to_string()), "{error}");
        let missing = read_local_head(&dir.path().join("none.parquet"), 10).await.unwrap_err();
        assert!(matches!(missing, SinkError::Io { .. }), "{missing}");
    }
}
