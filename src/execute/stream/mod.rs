//! Streams the rows of one guarded query into Arrow record batches.
//!
//! ```text
//!  prepare (column metadata) -> fetch rows -> first batch: choose column types (types.rs)
//!                                          -> decode each row into per-column Arrow builders
//!                                          -> every batch_rows rows: RecordBatch -> channel -> Parquet writer
//!
//!  PostgreSQL: prepare (column metadata, types chosen) -> COPY (<sql>) TO STDOUT (FORMAT binary)
//!              -> pg_copy.rs splits the chunks into tuples -> the same decoders and builders as above
//! ```
//!
//! Invariants:
//! * Column types come from the result metadata, chosen once per result before
//!   any value is decoded ([`super::types`]); each value then takes one typed
//!   decoder straight into its column's builder. Only the first batch of rows is
//!   held before decoding (SQLite and MySQL need its values to settle a type);
//!   every later row is decoded as it arrives. Memory per query is therefore
//!   bounded by `batch_rows`, whatever the total row count.
//! * At least one batch is always sent (an empty batch carrying the schema when
//!   there are no rows), so the sink can always write a file.
//! * At most `max_rows` rows are read; `truncated` says whether another existed.
//! * The caller owns the transaction and the statement timeout; this module only
//!   runs the query, always with binary values: as a prepared statement, or for
//!   PostgreSQL as a binary COPY of the query (same values, less per-row work;
//!   [`stream_postgres_rows`] keeps the prepared-statement path). Rows become
//!   Arrow arrays in `batch.rs`.
//! * [`StreamError::is_transient`] is the one place that decides what may be retried.
//!
//! Files: this one holds the limits, the common loop and MySQL and SQLite;
//! `postgres` the binary COPY path and its prepared-statement reference.

use std::pin::pin;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_util::{Stream, StreamExt, TryStreamExt};
use sqlx::mysql::{MySql, MySqlColumn, MySqlConnection, MySqlRow};
use sqlx::postgres::PgRow;
use sqlx::sqlite::{SqliteColumn, SqliteConnection, SqliteRow};
use sqlx::{Column, Decode, Executor as _, Row, Statement, TypeInfo, ValueRef};
use tokio::sync::mpsc::Sender;

use super::batch::{BatchBuilder, ReadCell};
pub use super::error::StreamError;
use super::types::{ArrowType, Cell, MySqlType, SqliteType};

mod postgres;

pub use postgres::{stream_postgres, stream_postgres_rows};

/// How much of a result to read, and in what batch size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Rows read at most; the result is `truncated` when more existed.
    pub max_rows: u64,
    /// Rows per Arrow batch (a value of 0 is treated as 1).
    pub batch_rows: usize,
    /// Bytes of values per Arrow batch: a batch is sent when it holds
    /// `batch_rows` rows or this many bytes, whichever comes first.
    pub batch_bytes: usize,
    /// Bytes of values in the whole answer; past it the query fails with
    /// [`StreamError::TooLarge`] (a value still arriving counts too).
    pub max_bytes: u64,
}

/// Default bytes per batch (`exec.batch_bytes`).
pub const DEFAULT_BATCH_BYTES: usize = 64 << 20;
/// Default bytes per answer (`exec.max_answer_bytes`).
pub const DEFAULT_MAX_ANSWER_BYTES: u64 = 1 << 30;

impl StreamLimits {
    /// Limits by rows, with the default byte bounds.
    pub const fn rows(max_rows: u64, batch_rows: usize) -> StreamLimits {
        StreamLimits { max_rows, batch_rows, batch_bytes: DEFAULT_BATCH_BYTES, max_bytes: DEFAULT_MAX_ANSWER_BYTES }
    }

    /// Whether `batch` is full, by rows or bytes.
    fn full<T>(&self, batch: &BatchBuilder<T>) -> bool {
        batch.rows >= self.batch_rows.max(1) || batch.bytes >= self.batch_bytes.max(1)
    }

    /// Fails once `bytes` (the answer so far) passes `max_bytes`.
    fn check_bytes(&self, bytes: u64) -> Result<(), StreamError> {
        if bytes > self.max_bytes {
            return Err(StreamError::TooLarge { limit: self.max_bytes });
        }
        Ok(())
    }
}

/// What a finished stream produced.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    pub rows: u64,
    pub truncated: bool,
    pub schema: SchemaRef,
}

/// Streams a MySQL or MariaDB query.
pub async fn stream_mysql(
    conn: &mut MySqlConnection,
    sql: &str,
    limits: &StreamLimits,
    tx: &Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    let prepared: Vec<MySqlColumn> = (&mut *conn).prepare(sql).await?.columns().to_vec();
    let rows = sqlx::query(sql).fetch(&mut *conn);
    drive(rows, limits, tx, |first: &[MySqlRow]| {
        // The rows' own metadata (from the execution) when there are rows.
        let columns = first.first().map_or(prepared.as_slice(), |row| row.columns());
        columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                let values = first.iter().filter_map(move |row| mysql_raw(row, index).ok().flatten());
                named(column, MySqlType::of(column.type_info(), values))
            })
            .collect()
    })
    .await
}

/// Streams a SQLite query. Expression columns are typed from the first batch.
pub async fn stream_sqlite(
    conn: &mut SqliteConnection,
    sql: &str,
    limits: &StreamLimits,
    tx: &Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    let prepared: Vec<SqliteColumn> = (&mut *conn).prepare(sql).await?.columns().to_vec();
    let rows = sqlx::query(sql).fetch(&mut *conn);
    drive(rows, limits, tx, |first: &[SqliteRow]| {
        let columns = first.first().map_or(prepared.as_slice(), |row| row.columns());
        columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                let values = first.iter().filter_map(move |row| row.try_get_raw(index).ok());
                named(column, Ok(SqliteType::of(column.type_info(), values)))
            })
            .collect()
    })
    .await
}

/// A column's name with its type from the table, or the table's refusal naming the column.
fn named<C: Column, T>(column: &C, ty: Result<T, String>) -> Result<(String, T), StreamError> {
    match ty {
        Ok(ty) => Ok((column.name().to_string(), ty)),
        Err(message) => Err(StreamError::Unsupported { column: column.name().to_string(), message }),
    }
}

/// The raw binary-protocol bytes of a MySQL value, `None` for NULL.
fn mysql_raw(row: &MySqlRow, index: usize) -> Result<Option<&[u8]>, String> {
    let value = row.try_get_raw(index).map_err(|e| e.to_string())?;
    if value.is_null() {
        return Ok(None);
    }
    <&[u8] as Decode<MySql>>::decode(value).map(Some).map_err(|e| e.to_string())
}

impl ReadCell<MySqlRow> for MySqlType {
    fn arrow(self) -> ArrowType {
        MySqlType::arrow(self)
    }

    fn read<'r>(self, row: &'r MySqlRow, index: usize, _scratch: &'r mut String) -> Result<Cell<'r>, String> {
        match mysql_raw(row, index)? {
            Some(raw) => self.decode(raw),
            None => Ok(Cell::Null),
        }
    }
}

impl ReadCell<SqliteRow> for SqliteType {
    fn arrow(self) -> ArrowType {
        SqliteType::arrow(self)
    }

    fn read<'r>(self, row: &'r SqliteRow, index: usize, scratch: &'r mut String) -> Result<Cell<'r>, String> {
        self.decode(row.try_get_raw(index).map_err(|e| e.to_string())?, scratch)
    }
}

/// The common loop: buffer the first batch, let `plan` choose the column types
/// from it (and the metadata it closes over), then decode every row into
/// builders and send a batch every `batch_rows` rows.
async fn drive<R, T, S, P>(
    rows: S,
    limits: &StreamLimits,
    tx: &Sender<RecordBatch>,
    plan: P,
) -> Result<StreamSummary, StreamError>
where
    R: RowSize,
    S: Stream<Item = Result<R, sqlx::Error>>,
    T: ReadCell<R>,
    P: FnOnce(&[R]) -> Result<Vec<(String, T)>, StreamError>,
{
    let batch_rows = limits.batch_rows.max(1);
    let first_target = usize::try_from(limits.max_rows).unwrap_or(usize::MAX).min(batch_rows);
    let mut rows = pin!(rows);

    // The first batch is bounded by bytes as well: its rows are held raw until typed.
    let mut first = Vec::with_capacity(first_target.min(4_096));
    let mut first_bytes = 0usize;
    let mut exhausted = false;
    while first.len() < first_target && first_bytes < limits.batch_bytes.max(1) {
        match rows.try_next().await? {
            Some(row) => {
                first_bytes += R::size(&row);
                limits.check_bytes(first_bytes as u64)?;
                first.push(row);
            }
            None => {
                exhausted = true;
                break;
            }
        }
    }

    let mut batch = BatchBuilder::new(plan(&first)?, batch_rows)?;
    let mut bytes = 0u64;
    for row in &first {
        bytes += batch.append(row)? as u64;
    }
    drop(first);
    let mut count = batch.rows as u64;
    let mut sent_any = false;

    while !exhausted && count < limits.max_rows {
        if limits.full(&batch) {
            send(tx, batch.finish()?).await?;
            sent_any = true;
        }
        match rows.try_next().await? {
            Some(row) => {
                bytes += batch.append(&row)? as u64;
                limits.check_bytes(bytes)?;
                count += 1;
            }
            None => exhausted = true,
        }
    }
    let truncated = !exhausted && rows.try_next().await?.is_some();
    if batch.rows > 0 || !sent_any {
        send(tx, batch.finish()?).await?;
    }
    Ok(StreamSummary { rows: count, truncated, schema: batch.schema })
}

/// The bytes of a fetched row's values, as the database sent them.
trait RowSize {
    fn size(&self) -> usize;
}

impl RowSize for PgRow {
    fn size(&self) -> usize {
        (0..self.len())
            .filter_map(|i| self.try_get_raw(i).ok())
            .filter_map(|value| <&[u8] as Decode<sqlx::Postgres>>::decode(value).ok())
            .map(<[u8]>::len)
            .sum()
    }
}

impl RowSize for MySqlRow {
    fn size(&self) -> usize {
        (0..self.len()).map(|i| mysql_raw(self, i).ok().flatten().map_or(0, <[u8]>::len)).sum()
    }
}

impl RowSize for SqliteRow {
    /// Text and blobs by their length, read without converting (a conversion
    /// would change the value's storage class, which typing reads); other values 8.
    fn size(&self) -> usize {
        (0..self.len())
            .filter_map(|i| self.try_get_raw(i).ok())
            .filter(|value| !value.is_null())
            .map(|value| match value.type_info().name() {
                "TEXT" => <&str as Decode<sqlx::Sqlite>>::decode(value).map_or(0, str::len),
                "BLOB" => <&[u8] as Decode<sqlx::Sqlite>>::decode(value).map_or(0, <[u8]>::len),
                _ => 8,
            })
            .sum()
    }
}

async fn send(tx: &Sender<RecordBatch>, batch: RecordBatch) -> Result<(), StreamError> {
    tx.send(batch).await.map_err(|_| StreamError::SinkClosed)
}

#[cfg(test)]
mod tests {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
    use arrow_schema::{DataType, Schema, TimeUnit};
    use sqlx::{Connection, SqliteConnection};
    use tokio::sync::mpsc;

    use super::*;

    async fn sqlite() -> SqliteConnection {
        SqliteConnection::connect("sqlite::memory:").await.unwrap()
    }

    /// Runs `sql` and returns the summary and every batch sent.
    async fn run(
        conn: &mut SqliteConnection,
        sql: &str,
        max_rows: u64,
        batch_rows: usize,
    ) -> (Result<StreamSummary, StreamError>, Vec<RecordBatch>) {
        run_with(conn, sql, &StreamLimits::rows(max_rows, batch_rows)).await
    }

    async fn run_with(
        conn: &mut SqliteConnection,
        sql: &str,
        limits: &StreamLimits,
    ) -> (Result<StreamSummary, StreamError>, Vec<RecordBatch>) {
        let (tx, mut rx) = mpsc::channel(1024);
        let summary = stream_sqlite(conn, sql, limits, &tx).await;
        drop(tx);
        let mut batches = Vec::new();
        while let Some(batch) = rx.recv().await {
            batches.push(batch);
        }
        (summary, batches)
    }

    fn types(schema: &Schema) -> Vec<DataType> {
        schema.fields().iter().map(|f| f.data_type().clone()).collect()
    }

    #[tokio::test]
    async fn sqlite_expression_columns_are_inferred_over_the_whole_first_batch() {
        let mut conn = sqlite().await;
        // The mixed column is an integer in the first row and text in the last:
        // only looking at the whole batch gets it right.
        let sql = "SELECT column1 AS ints, column2 AS nums, column3 AS mixed, column4 AS txt, column5 AS blobs, column6 AS empty \
                   FROM (VALUES (1, 1, 1, 'a', x'00ff', NULL), (NULL, 2.5, NULL, NULL, NULL, NULL), (3, 3, 'three', 'c', x'01', NULL))";
        let (summary, batches) = run(&mut conn, sql, 100, 10).await;
        let summary = summary.unwrap();
        assert_eq!((summary.rows, summary.truncated, batches.len()), (3, false, 1));
        assert_eq!(
            types(&summary.schema),
            [DataType::Int64, DataType::Float64, DataType::Utf8, DataType::Utf8, DataType::Binary, DataType::Utf8]
        );
        let batch = &batches[0];
        assert_eq!(batch.column(0).as_primitive::<Int64Type>().iter().collect::<Vec<_>>(), [Some(1), None, Some(3)]);
        assert_eq!(batch.column(1).as_primitive::<Float64Type>().values().to_vec(), [1.0, 2.5, 3.0]);
        assert_eq!(batch.column(2).as_string::<i32>().iter().collect::<Vec<_>>(), [Some("1"), None, Some("three")]);
        assert_eq!(batch.column(4).as_binary::<i32>().value(0), [0x00, 0xff]);
        assert_eq!(batch.column(5).null_count(), 3);
    }

    #[tokio::test]
    async fn a_later_value_that_contradicts_the_first_batch_names_the_column() {
        let mut conn = sqlite().await;
        let sql = "SELECT column1 AS amount FROM (VALUES (1), (2), ('n/a'))";
        let (summary, _) = run(&mut conn, sql, 100, 2).await;
        match summary {
            Err(StreamError::Unsupported { column, message }) => {
                assert_eq!(column, "amount");
                assert!(message.contains("Text") && message.contains("first batch"), "{message}");
            }
            other => panic!("expected an Unsupported error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn declared_types_hold_when_the_first_batch_agrees() {
        let mut conn = sqlite().await;
        conn.execute(
            "CREATE TABLE t (id INTEGER, name TEXT, amount REAL, at DATETIME, price DECIMAL(10,2), flag BOOLEAN, day DATE, note DATETIME);
             INSERT INTO t VALUES (1, 'a', 2, '2024-02-29 13:14:15.5', 12, 1, '2024-02-29', 'soon'),
                                  (2, NULL, NULL, NULL, 3.25, 0, NULL, NULL);",
        )
        .await
        .unwrap();
        let (summary, batches) = run(&mut conn, "SELECT * FROM t", 100, 10).await;
        let summary = summary.unwrap();
        let micros = TimeUnit::Microsecond;
        assert_eq!(
            types(&summary.schema),
            [
                DataType::Int64,
                DataType::Utf8,
                DataType::Float64,
                DataType::Timestamp(micros, None),
                DataType::Float64, // NUMERIC affinity: inferred from 12 and 3.25
                DataType::Boolean,
                DataType::Date32,
                DataType::Utf8, // declared DATETIME, but 'soon' is no datetime
            ]
        );
        let at = batches[0].column(3).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(at.value(0), 1_709_212_455_500_000);
        assert!(at.is_null(1));
    }

    #[tokio::test]
    async fn zero_rows_still_send_one_empty_batch_with_the_schema() {
        let mut conn = sqlite().await;
        conn.execute("CREATE TABLE t (id INTEGER, name TEXT, at DATETIME)").await.unwrap();
        let (summary, batches) = run(&mut conn, "SELECT id, name, at, id + 1 AS next FROM t", 100, 10).await;
        let summary = summary.unwrap();
        assert_eq!((summary.rows, summary.truncated, batches.len()), (0, false, 1));
        assert_eq!(batches[0].num_rows(), 0);
        assert_eq!(batches[0].schema(), summary.schema);
        let micros = TimeUnit::Microsecond;
        assert_eq!(
            types(&summary.schema),
            [DataType::Int64, DataType::Utf8, DataType::Timestamp(micros, None), DataType::Utf8]
        );
    }

    #[tokio::test]
    async fn max_rows_truncates_and_batches_are_bounded() {
        let mut conn = sqlite().await;
        let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n";
        let sizes = |batches: &[RecordBatch]| batches.iter().map(RecordBatch::num_rows).collect::<Vec<_>>();

        let (summary, batches) = run(&mut conn, sql, 5, 2).await;
        let summary = summary.unwrap();
        assert_eq!((summary.rows, summary.truncated), (5, true));
        assert_eq!(sizes(&batches), [2, 2, 1]);

        let (summary, batches) = run(&mut conn, sql, 10, 4).await;
        let summary = summary.unwrap();
        assert_eq!((summary.rows, summary.truncated), (10, false), "exactly max_rows rows is not truncated");
        assert_eq!(sizes(&batches), [4, 4, 2]);

        let (summary, batches) = run(&mut conn, sql, 0, 4).await;
        let summary = summary.unwrap();
        assert_eq!((summary.rows, summary.truncated), (0, true));
        assert_eq!(sizes(&batches), [0]);
    }

    #[tokio::test]
    async fn a_closed_sink_stops_the_stream() {
        let mut conn = sqlite().await;
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let limits = StreamLimits::rows(10, 10);
        let result = stream_sqlite(&mut conn, "SELECT 1 AS one", &limits, &tx).await;
        assert!(matches!(result, Err(StreamError::SinkClosed)), "{result:?}");
    }

    #[tokio::test]
    async fn database_errors_are_reported_and_classified() {
        let mut conn = sqlite().await;
        let (result, _) = run(&mut conn, "SELECT * FROM no_such_table", 10, 10).await;
        let error = result.unwrap_err();
        assert!(matches!(error, StreamError::Database(_)) && !error.is_transient(), "{error:?}");
        assert!(StreamError::Database(sqlx::Error::PoolTimedOut).is_transient());
        assert!(StreamError::Database(sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into())).is_transient());
        assert!(!StreamError::SinkClosed.is_transient());
    }

    #[tokio::test]
    async fn a_busy_sqlite_database_is_transient() {
        use sqlx::sqlite::SqliteConnectOptions;
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("busy.db"))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete)
            .busy_timeout(std::time::Duration::ZERO);
        let mut writer = SqliteConnection::connect_with(&options).await.unwrap();
        writer.execute("CREATE TABLE t (id INTEGER)").await.unwrap();
        let mut reader = SqliteConnection::connect_with(&options).await.unwrap();
        writer.execute("BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);").await.unwrap();
        let (result, _) = run(&mut reader, "SELECT id FROM t", 10, 10).await;
        let error = result.unwrap_err();
        assert!(error.is_transient(), "{error:?}");
    }

    #[tokio::test]
    async fn batches_are_bounded_by_bytes_and_answers_by_max_bytes() {
        let mut conn = sqlite().await;
        // 100 rows of 1,000 characters each (100 kB).
        let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) \
                   SELECT i, printf('%.1000c', 'x') AS t FROM n";
        let limits = StreamLimits { max_rows: 1_000, batch_rows: 1_000, batch_bytes: 10_000, max_bytes: 1 << 20 };
        let (summary, batches) = run_with(&mut conn, sql, &limits).await;
        assert_eq!(summary.unwrap().rows, 100);
        assert!(batches.len() >= 10, "{} batches", batches.len());
        // A batch closes once it reaches the bound: at most one row past it.
        assert!(
            batches.iter().all(|b| b.num_rows() <= 10),
            "{:?}",
            batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>()
        );
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 100);

        let limits = StreamLimits { max_bytes: 50_000, ..limits };
        let (summary, _) = run_with(&mut conn, sql, &limits).await;
        let error = summary.unwrap_err();
        assert!(matches!(error, StreamError::TooLarge { limit: 50_000 }), "{error}");
        assert!(error.to_string().contains("exec.max_answer_bytes"), "{error}");
        assert!(!error.is_transient());
    }
}
