//! The type table (DESIGN.md section 9) end to end, per dialect: a table with
//! every mapped type (NULLs in every column, decimals with many digits and
//! negative values, timestamps with and without time zone, ...) goes through
//! the stream and the Parquet writer inside a read-only transaction, and the
//! file is read back twice, with the `parquet` crate and with pyarrow, and
//! compared value by value with what was inserted: decimals as exact strings,
//! temporal values as exact integers (days, microseconds).
//!
//! Also: results much larger than one batch stream with the right row count
//! and truncation. PostgreSQL and MariaDB follow the rule of `tests/common`
//! (skip outside CI when unreachable, fail under CI); tables get unique names
//! and are dropped afterwards because other tests share these databases.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Time64MicrosecondType,
    TimestampMicrosecondType, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use futures_util::FutureExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sqlsynth::execute::stream::{
    StreamError, StreamLimits, StreamSummary, stream_mysql, stream_postgres, stream_postgres_rows, stream_sqlite,
};
use sqlsynth::sink::durable::Durability;
use sqlsynth::sink::parquet::{Destination, read_footer, spawn_parquet_writer};
use sqlx::{Connection, Executor};
use tokio::sync::mpsc;

/// One expected column: name, Arrow type, and the values in the canonical text
/// form of [`canonical_values`].
struct Expected {
    name: &'static str,
    data_type: DataType,
    values: Vec<Option<String>>,
}

fn col(name: &'static str, data_type: DataType, values: &[Option<&str>]) -> Expected {
    Expected { name, data_type, values: values.iter().map(|v| v.map(str::to_string)).collect() }
}

fn micros() -> TimeUnit {
    TimeUnit::Microsecond
}

fn ts(text: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .unwrap()
        .and_utc()
        .timestamp_micros()
        .to_string()
}

fn tstz(text: &str) -> String {
    chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z").unwrap().timestamp_micros().to_string()
}

fn date(text: &str) -> String {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days().to_string()
}

fn time(text: &str) -> String {
    let t = chrono::NaiveTime::parse_from_str(text, "%H:%M:%S%.f").unwrap();
    (t - chrono::NaiveTime::MIN).num_microseconds().unwrap().to_string()
}

/// A fresh name for a table or type; tests run concurrently against shared databases.
fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{:08x}", std::process::id(), fastrand::u32(..))
}

/// pyarrow's spelling of an Arrow type.
fn pyarrow_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Boolean => "bool".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal128(p, s) => format!("decimal128({p}, {s})"),
        DataType::Utf8 => "string".into(),
        DataType::Binary => "binary".into(),
        DataType::Date32 => "date32[day]".into(),
        DataType::Time64(TimeUnit::Microsecond) => "time64[us]".into(),
        DataType::Timestamp(TimeUnit::Microsecond, None) => "timestamp[us]".into(),
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) => format!("timestamp[us, tz={tz}]"),
        other => panic!("no pyarrow spelling for {other}"),
    }
}

/// A column's values as text, the same way the pyarrow script prints them:
/// integers and temporal values as integers (days, microseconds), floats as
/// the shortest round-trip decimal, decimals exactly at their scale, binary as hex.
fn canonical_values(array: &ArrayRef) -> Vec<Option<String>> {
    let n = array.len();
    let text = |i: usize, f: &dyn Fn(usize) -> String| if array.is_null(i) { None } else { Some(f(i)) };
    (0..n)
        .map(|i| match array.data_type() {
            DataType::Boolean => text(i, &|i| array.as_boolean().value(i).to_string()),
            DataType::Int16 => text(i, &|i| array.as_primitive::<Int16Type>().value(i).to_string()),
            DataType::Int32 => text(i, &|i| array.as_primitive::<Int32Type>().value(i).to_string()),
            DataType::Int64 => text(i, &|i| array.as_primitive::<Int64Type>().value(i).to_string()),
            DataType::UInt64 => text(i, &|i| array.as_primitive::<UInt64Type>().value(i).to_string()),
            DataType::Float32 => text(i, &|i| format!("{:?}", f64::from(array.as_primitive::<Float32Type>().value(i)))),
            DataType::Float64 => text(i, &|i| format!("{:?}", array.as_primitive::<Float64Type>().value(i))),
            DataType::Decimal128(_, scale) => {
                text(i, &|i| decimal_text(array.as_primitive::<Decimal128Type>().value(i), *scale as u32))
            }
            DataType::Utf8 => text(i, &|i| array.as_string::<i32>().value(i).to_string()),
            DataType::Binary => text(i, &|i| hex::encode(array.as_binary::<i32>().value(i))),
            DataType::Date32 => text(i, &|i| array.as_primitive::<Date32Type>().value(i).to_string()),
            DataType::Time64(_) => text(i, &|i| array.as_primitive::<Time64MicrosecondType>().value(i).to_string()),
            DataType::Timestamp(..) => {
                text(i, &|i| array.as_primitive::<TimestampMicrosecondType>().value(i).to_string())
            }
            other => panic!("unexpected type {other}"),
        })
        .collect()
}

fn decimal_text(unscaled: i128, scale: u32) -> String {
    let sign = if unscaled < 0 { "-" } else { "" };
    let digits = unscaled.unsigned_abs().to_string();
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let digits = format!("{digits:0>width$}", width = scale as usize + 1);
    let (integer, fraction) = digits.split_at(digits.len() - scale as usize);
    format!("{sign}{integer}.{fraction}")
}

/// One column as a reader saw it; `T` is the reader's notion of a type.
struct ReadColumn<T> {
    name: String,
    data_type: T,
    values: Vec<Option<String>>,
}

/// The columns as the `parquet` crate's Arrow reader sees the file.
fn read_with_parquet_crate(path: &Path) -> Vec<ReadColumn<DataType>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let schema = read_footer(path).unwrap().schema;
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let values = batches.iter().flat_map(|b| canonical_values(b.column(index))).collect();
            ReadColumn { name: field.name().clone(), data_type: field.data_type().clone(), values }
        })
        .collect()
}

const PYARROW_SCRIPT: &str = r#"
import decimal, json, sys
import pyarrow as pa, pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
out = []
for field, column in zip(table.schema, table.columns):
    t = field.type
    if pa.types.is_date32(t):
        raw = column.cast(pa.int32()).to_pylist()
    elif pa.types.is_timestamp(t) or pa.types.is_time64(t):
        raw = column.cast(pa.int64()).to_pylist()
    else:
        raw = column.to_pylist()
    values = []
    for v in raw:
        if v is None: values.append(None)
        elif isinstance(v, bool): values.append("true" if v else "false")
        elif isinstance(v, decimal.Decimal): values.append(format(v, "f"))
        elif isinstance(v, float): values.append(repr(v))
        elif isinstance(v, bytes): values.append(v.hex())
        else: values.append(str(v))
    out.append({"name": field.name, "type": str(t), "values": values})
print(json.dumps(out))
"#;

/// The columns as pyarrow sees the file, with pyarrow's type names. Under CI a
/// missing pyarrow fails the test; elsewhere the pyarrow half is skipped.
fn read_with_pyarrow(path: &Path) -> Option<Vec<ReadColumn<String>>> {
    let output = Command::new("python3").arg("-c").arg(PYARROW_SCRIPT).arg(path).output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => return common::service_missing("pyarrow", String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => return common::service_missing("python3", e),
    };
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let columns = json.as_array().unwrap().iter().map(|c| {
        let values = c["values"].as_array().unwrap().iter().map(|v| v.as_str().map(str::to_string)).collect();
        let text = |key: &str| c[key].as_str().unwrap().to_string();
        ReadColumn { name: text("name"), data_type: text("type"), values }
    });
    Some(columns.collect())
}

/// Checks the file against `expected` with both readers.
fn assert_file_matches(path: &Path, expected: &[Expected]) {
    let rust = read_with_parquet_crate(path);
    fn names<T>(columns: &[ReadColumn<T>]) -> Vec<String> {
        columns.iter().map(|c| c.name.clone()).collect()
    }
    let expected_names: Vec<String> = expected.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names(&rust), expected_names);
    for (got, want) in rust.iter().zip(expected) {
        assert_eq!(got.data_type, want.data_type, "column {}: Arrow type", want.name);
        assert_eq!(got.values, want.values, "column {}: values read by the parquet crate", want.name);
    }
    if let Some(py) = read_with_pyarrow(path) {
        assert_eq!(names(&py), expected_names);
        for (got, want) in py.iter().zip(expected) {
            assert_eq!(got.data_type, pyarrow_type(&want.data_type), "column {}: pyarrow type", want.name);
            assert_eq!(got.values, want.values, "column {}: values read by pyarrow", want.name);
        }
    }
}

/// Runs `body`, then `cleanup` whether or not `body` panicked, then re-raises.
async fn with_cleanup<B, C>(body: B, cleanup: C)
where
    B: Future<Output = ()>,
    C: Future<Output = ()>,
{
    let result = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    cleanup.await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Streams through the Parquet writer: `stream` gets the batch sender.
async fn export<F, Fut>(path: PathBuf, stream: F) -> Result<StreamSummary, StreamError>
where
    F: FnOnce(mpsc::Sender<RecordBatch>) -> Fut,
    Fut: Future<Output = Result<StreamSummary, StreamError>>,
{
    let durability = std::sync::Arc::new(Durability::new(path.parent().unwrap()));
    let (tx, writer) = spawn_parquet_writer(Destination::Local { path: path.clone(), durability });
    let summary = stream(tx).await;
    match &summary {
        Ok(s) => {
            let written = writer.commit(vec![("sqlsynth.test".into(), "yes".into())]).await.unwrap();
            assert_eq!(written.rows, s.rows);
            let footer = read_footer(&path).unwrap();
            assert_eq!(footer.rows, s.rows);
            assert_eq!(footer.metadata.get("sqlsynth.test").map(String::as_str), Some("yes"));
            assert_eq!(footer.schema.fields(), s.schema.fields());
        }
        Err(_) => {
            writer.abort().await;
        }
    }
    summary
}

const LIMITS: StreamLimits = StreamLimits::rows(1_000, 2);

// ------------------------------------------------------------------------------------------
// SQLite
// ------------------------------------------------------------------------------------------

async fn sqlite_file(dir: &Path) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}?mode=rwc", dir.join("types.db").display());
    sqlx::SqliteConnection::connect(&url).await.unwrap()
}

#[tokio::test]
async fn sqlite_types_round_trip_through_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = sqlite_file(dir.path()).await;
    conn.execute(
        "CREATE TABLE types (i INTEGER, big BIGINT, r REAL, d DOUBLE, t TEXT, v VARCHAR(10), b BLOB, flag BOOLEAN,
                             day DATE, at_time TIME, at DATETIME, price DECIMAL(10,2), n NUMERIC);
         INSERT INTO types VALUES
           (42, 9223372036854775807, 1.5, -2.25, 'héllo', 'abc', x'00ff10', 1,
            '2024-02-29', '13:14:15.123456', '2024-02-29 13:14:15.123456', 12.5, 7),
           (-1, -9223372036854775808, 0.1, 1e-3, '', 'z', x'', 0,
            '1900-01-01', '00:00:00', '1969-12-31 23:59:59.999999', 3, -8),
           (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
    )
    .await
    .unwrap();
    let path = dir.path().join("sqlite.parquet");
    let sql = "SELECT *, i * 2 AS doubled, t || '!' AS shout FROM types";
    let summary = export(path.clone(), |tx| async move {
        let mut read = sqlx::Connection::begin(&mut conn).await.unwrap();
        let summary = stream_sqlite(&mut read, sql, &LIMITS, &tx).await;
        read.rollback().await.unwrap();
        summary
    })
    .await
    .unwrap();
    assert_eq!((summary.rows, summary.truncated), (3, false));

    assert_file_matches(
        &path,
        &[
            col("i", DataType::Int64, &[Some("42"), Some("-1"), None]),
            col("big", DataType::Int64, &[Some("9223372036854775807"), Some("-9223372036854775808"), None]),
            col("r", DataType::Float64, &[Some("1.5"), Some("0.1"), None]),
            col("d", DataType::Float64, &[Some("-2.25"), Some("0.001"), None]),
            col("t", DataType::Utf8, &[Some("héllo"), Some(""), None]),
            col("v", DataType::Utf8, &[Some("abc"), Some("z"), None]),
            col("b", DataType::Binary, &[Some("00ff10"), Some(""), None]),
            col("flag", DataType::Boolean, &[Some("true"), Some("false"), None]),
            col("day", DataType::Date32, &[Some(&date("2024-02-29")), Some(&date("1900-01-01")), None]),
            col("at_time", DataType::Time64(micros()), &[Some(&time("13:14:15.123456")), Some("0"), None]),
            col(
                "at",
                DataType::Timestamp(micros(), None),
                &[Some(&ts("2024-02-29 13:14:15.123456")), Some("-1"), None],
            ),
            // NUMERIC affinity: typed from the data of the first batch.
            col("price", DataType::Float64, &[Some("12.5"), Some("3.0"), None]),
            col("n", DataType::Int64, &[Some("7"), Some("-8"), None]),
            col("doubled", DataType::Int64, &[Some("84"), Some("-2"), None]),
            col("shout", DataType::Utf8, &[Some("héllo!"), Some("!"), None]),
        ],
    );
}

// ------------------------------------------------------------------------------------------
// PostgreSQL
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn postgres_types_round_trip_through_parquet() {
    let Some(pool) = common::postgres().await else { return };
    let table = unique("sqlsynth_types");
    let mood = unique("sqlsynth_mood");
    pool.execute(
        format!(
            "CREATE TYPE {mood} AS ENUM ('happy', 'sad');
             CREATE TABLE {table} (
               si smallint, i integer, bi bigint, r real, d double precision,
               n12 numeric(12,2), n38 numeric(38,10), nu numeric,
               t text, vc varchar(20), c char(3), b boolean,
               day date, at_time time, at timestamp, at_tz timestamptz,
               bytes bytea, j json, jb jsonb, u uuid, e {mood});
             INSERT INTO {table} VALUES
               (-32768, 2147483647, -9223372036854775808, 1.5, -2.25,
                1234567890.12, 1234567890123456789012345678.0123456789, 12345.678,
                'héllo', 'abc', 'ab', true,
                '2024-02-29', '13:14:15.123456', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.123456+02',
                '\\x00ff10', '{{\"a\": [1, 2]}}', '{{\"b\": null, \"a\": [1, 2]}}', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'sad'),
               (0, -1, 1, 0.1, 1e-3,
                -0.05, -9999999999999999999999999999.9999999999, -0.5,
                '', '', '', false,
                '1900-01-01', '00:00:00', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00+00',
                '\\x', '[]', '{{}}', '00000000-0000-0000-0000-000000000000', 'happy'),
               (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
        )
        .as_str(),
    )
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postgres.parquet");
    let sql =
        format!("SELECT *, n12 * 2 AS doubled, i::numeric(12,0) AS cast_expr FROM {table} ORDER BY i DESC NULLS LAST");
    let body = async {
        let mut conn = pool.acquire().await.unwrap();
        let summary = export(path.clone(), |tx| async move {
            let mut read = conn.begin_with("BEGIN READ ONLY").await.unwrap();
            let summary = stream_postgres(&mut read, &sql, &LIMITS, &tx).await;
            read.rollback().await.unwrap();
            summary
        })
        .await
        .unwrap();
        assert_eq!((summary.rows, summary.truncated), (3, false));
        assert_file_matches(
            &path,
            &[
                col("si", DataType::Int16, &[Some("-32768"), Some("0"), None]),
                col("i", DataType::Int32, &[Some("2147483647"), Some("-1"), None]),
                col("bi", DataType::Int64, &[Some("-9223372036854775808"), Some("1"), None]),
                col("r", DataType::Float32, &[Some("1.5"), Some(&format!("{:?}", f64::from(0.1f32))), None]),
                col("d", DataType::Float64, &[Some("-2.25"), Some("0.001"), None]),
                col("n12", DataType::Decimal128(12, 2), &[Some("1234567890.12"), Some("-0.05"), None]),
                col(
                    "n38",
                    DataType::Decimal128(38, 10),
                    &[
                        Some("1234567890123456789012345678.0123456789"),
                        Some("-9999999999999999999999999999.9999999999"),
                        None,
                    ],
                ),
                // Unconstrained numeric: Float64 (see types.rs).
                col("nu", DataType::Float64, &[Some("12345.678"), Some("-0.5"), None]),
                col("t", DataType::Utf8, &[Some("héllo"), Some(""), None]),
                col("vc", DataType::Utf8, &[Some("abc"), Some(""), None]),
                col("c", DataType::Utf8, &[Some("ab "), Some("   "), None]),
                col("b", DataType::Boolean, &[Some("true"), Some("false"), None]),
                col("day", DataType::Date32, &[Some(&date("2024-02-29")), Some(&date("1900-01-01")), None]),
                col("at_time", DataType::Time64(micros()), &[Some(&time("13:14:15.123456")), Some("0"), None]),
                col(
                    "at",
                    DataType::Timestamp(micros(), None),
                    &[Some(&ts("2024-02-29 13:14:15.123456")), Some("-1"), None],
                ),
                col(
                    "at_tz",
                    DataType::Timestamp(micros(), Some("UTC".into())),
                    &[Some(&tstz("2024-02-29 13:14:15.123456+02")), Some("0"), None],
                ),
                col("bytes", DataType::Binary, &[Some("00ff10"), Some(""), None]),
                col("j", DataType::Utf8, &[Some("{\"a\": [1, 2]}"), Some("[]"), None]),
                col("jb", DataType::Utf8, &[Some("{\"a\": [1, 2], \"b\": null}"), Some("{}"), None]),
                col(
                    "u",
                    DataType::Utf8,
                    &[Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), Some("00000000-0000-0000-0000-000000000000"), None],
                ),
                col("e", DataType::Utf8, &[Some("sad"), Some("happy"), None]),
                // Expressions have no typmod: unconstrained numeric.
                col("doubled", DataType::Float64, &[Some("2469135780.24"), Some("-0.1"), None]),
                col("cast_expr", DataType::Float64, &[Some("2147483647.0"), Some("-1.0"), None]),
            ],
        );
    };
    with_cleanup(body, async {
        pool.execute(format!("DROP TABLE IF EXISTS {table}; DROP TYPE IF EXISTS {mood}").as_str()).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn postgres_unmapped_types_name_the_column() {
    let Some(pool) = common::postgres().await else { return };
    let mut conn = pool.acquire().await.unwrap();
    let (tx, _rx) = mpsc::channel(4);
    let sql = "SELECT 1 AS ok, interval '1 day' AS span";
    match stream_postgres(&mut conn, sql, &LIMITS, &tx).await {
        Err(StreamError::Unsupported { column, message }) => {
            assert_eq!(column, "span");
            assert!(message.contains("INTERVAL"), "{message}");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let result = stream_postgres(&mut conn, "SELECT 1/0 AS boom", &LIMITS, &tx).await;
    assert!(matches!(&result, Err(e @ StreamError::Database(_)) if !e.is_transient()), "{result:?}");
}

/// Streams `sql` on `conn` with `stream` and returns its result and every batch it sent.
async fn collect_postgres<S>(
    stream: S,
    conn: &mut sqlx::PgConnection,
    sql: &str,
    limits: StreamLimits,
) -> (Result<StreamSummary, StreamError>, Vec<RecordBatch>)
where
    S: for<'c> AsyncFnOnce(
        &'c mut sqlx::PgConnection,
        &'c str,
        &'c StreamLimits,
        &'c mpsc::Sender<RecordBatch>,
    ) -> Result<StreamSummary, StreamError>,
{
    let (tx, mut rx) = mpsc::channel(2);
    let collect = tokio::spawn(async move {
        let mut batches = Vec::new();
        while let Some(batch) = rx.recv().await {
            batches.push(batch);
        }
        batches
    });
    let summary = stream(conn, sql, &limits, &tx).await;
    drop(tx);
    (summary, collect.await.unwrap())
}

/// The binary COPY path (`stream_postgres`) and the prepared-statement row path
/// (`stream_postgres_rows`) give exactly the same batches: every mapped type,
/// NULLs, negative and large decimals, many rows over several batches, with and
/// without truncation.
#[tokio::test]
async fn postgres_copy_and_row_paths_give_identical_batches() {
    let Some(pool) = common::postgres().await else { return };
    let table = unique("sqlsynth_paths");
    let mood = unique("sqlsynth_mood");
    pool.execute(
        format!(
            "CREATE TYPE {mood} AS ENUM ('happy', 'sad', 'meh');
             CREATE TABLE {table} AS
             SELECT i,
               CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 65535 - 32767)::smallint END AS si,
               CASE WHEN i % 11 = 0 THEN NULL ELSE ((i::bigint * 104729 * 31) % 4294967296 - 2147483648)::integer END AS i4,
               CASE WHEN i % 13 = 0 THEN NULL ELSE (i::bigint * 461168601842737) * (1 - 2 * (i % 2)) END AS bi,
               CASE WHEN i % 5 = 0 THEN NULL ELSE (i / 3.0)::real END AS r,
               CASE WHEN i % 3 = 0 THEN NULL ELSE i * -0.001 END::double precision AS d,
               CASE WHEN i % 17 = 0 THEN NULL ELSE ((i::bigint * 7919 * 65537) % 199999999999 - 99999999999) / 100.0 END::numeric(12,2) AS n12,
               CASE WHEN i % 19 = 0 THEN NULL
                    ELSE (i::numeric * 12345678901234567800000 - 9999999999999999999999999999.9999999999 / (i + 1))
               END::numeric(38,10) AS n38,
               CASE WHEN i % 23 = 0 THEN NULL ELSE i::numeric / 7 END AS nu,
               CASE WHEN i % 10 = 0 THEN NULL ELSE 'item-' || i || repeat('é', i % 4) END AS t,
               CASE WHEN i % 9 = 0 THEN NULL ELSE ('v' || i)::varchar(20) END AS vc,
               CASE WHEN i % 8 = 0 THEN NULL ELSE (i % 100)::char(3) END AS c,
               CASE WHEN i % 6 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
               CASE WHEN i % 29 = 0 THEN NULL ELSE DATE '1900-01-01' + i * 3 END AS day,
               CASE WHEN i % 31 = 0 THEN NULL ELSE TIME '00:00' + i * INTERVAL '1.000001 second' END AS at_time,
               CASE WHEN i % 37 = 0 THEN NULL ELSE TIMESTAMP '1969-12-31 23:59:59.999999' + i * INTERVAL '1 hour 1 microsecond' END AS at,
               CASE WHEN i % 41 = 0 THEN NULL ELSE TIMESTAMPTZ '2024-02-29 13:14:15.123456+02' - i * INTERVAL '1 day' END AS at_tz,
               CASE WHEN i % 43 = 0 THEN NULL ELSE int4send(i) || '\\x00ff'::bytea END AS bytes,
               CASE WHEN i % 47 = 0 THEN NULL ELSE json_build_object('i', i, 'neg', -i) END AS j,
               CASE WHEN i % 53 = 0 THEN NULL ELSE jsonb_build_object('i', i, 'list', jsonb_build_array(i, 'x')) END AS jb,
               CASE WHEN i % 59 = 0 THEN NULL ELSE md5(i::text)::uuid END AS u,
               CASE WHEN i % 61 = 0 THEN NULL ELSE (enum_range(NULL::{mood}))[i % 3 + 1] END AS e,
               CASE WHEN i % 67 = 0 THEN NULL ELSE i::oid END AS o
             FROM generate_series(1, 20000) AS i;"
        )
        .as_str(),
    )
    .await
    .unwrap();

    let sql = format!("SELECT *, n12 * 2 AS doubled, -n38 AS negated FROM {table} ORDER BY i");
    let body = async {
        let mut conn = pool.acquire().await.unwrap();
        for (max_rows, rows, truncated) in [(1_000_000, 20_000, false), (12_345, 12_345, true)] {
            let limits = StreamLimits::rows(max_rows, 4_096);
            let mut read = conn.begin_with("BEGIN READ ONLY").await.unwrap();
            let (copy, copy_batches) = collect_postgres(stream_postgres, &mut read, &sql, limits).await;
            let (row, row_batches) = collect_postgres(stream_postgres_rows, &mut read, &sql, limits).await;
            read.rollback().await.unwrap();
            let (copy, row) = (copy.unwrap(), row.unwrap());
            assert_eq!((copy.rows, copy.truncated), (rows, truncated));
            assert_eq!((row.rows, row.truncated), (rows, truncated));
            assert_eq!(copy.schema, row.schema);
            assert_eq!(copy_batches.len(), (rows as usize).div_ceil(4_096));
            assert_eq!(copy_batches.len(), row_batches.len());
            for (index, (copy, row)) in copy_batches.iter().zip(&row_batches).enumerate() {
                assert_eq!(copy, row, "batch {index} of max_rows {max_rows}");
            }
            // Every column holds values and NULLs, so the comparison covers both.
            for column in copy_batches[0].columns().iter().skip(1) {
                assert!(column.null_count() > 0 && column.null_count() < column.len(), "{:?}", column.data_type());
            }
        }
    };
    with_cleanup(body, async {
        pool.execute(format!("DROP TABLE IF EXISTS {table}; DROP TYPE IF EXISTS {mood}").as_str()).await.unwrap();
    })
    .await;
}

/// A COPY stopped early (row cap without a LIMIT, a server error mid-stream, a
/// closed sink) still ends cleanly: the connection runs the next statement.
#[tokio::test]
async fn postgres_copy_stopped_early_leaves_the_connection_usable() {
    let Some(pool) = common::postgres().await else { return };
    let mut conn = pool.acquire().await.unwrap();
    let limits = StreamLimits::rows(10, 4);
    let next_statement_works = async |conn: &mut sqlx::PgConnection| {
        let answer: i32 = sqlx::query_scalar("SELECT 42").fetch_one(conn).await.unwrap();
        assert_eq!(answer, 42);
    };

    let mut read = conn.begin_with("BEGIN READ ONLY").await.unwrap();
    let sql = "SELECT i, 'row ' || i AS label FROM generate_series(1, 100000) AS i";
    let (summary, batches) = collect_postgres(stream_postgres, &mut read, sql, limits).await;
    let summary = summary.unwrap();
    assert_eq!((summary.rows, summary.truncated), (10, true));
    assert_eq!(batches.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), [4, 4, 2]);
    next_statement_works(&mut read).await;

    let (summary, batches) = collect_postgres(stream_postgres, &mut read, "SELECT 1 AS one -- note", limits).await;
    assert_eq!((summary.unwrap().rows, batches.len()), (1, 1), "a trailing line comment");
    let (summary, _) = collect_postgres(stream_postgres, &mut read, "SELECT 1 AS one;", limits).await;
    assert_eq!(summary.unwrap().rows, 1, "a trailing semicolon");

    let empty = "SELECT i FROM generate_series(1, 0) AS i";
    let (summary, batches) = collect_postgres(stream_postgres, &mut read, empty, limits).await;
    let summary = summary.unwrap();
    assert_eq!((summary.rows, summary.truncated, batches.len(), batches[0].num_rows()), (0, false, 1, 0));
    assert_eq!(batches[0].schema(), summary.schema);

    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    let result = stream_postgres(&mut read, sql, &limits, &tx).await;
    assert!(matches!(result, Err(StreamError::SinkClosed)), "{result:?}");
    next_statement_works(&mut read).await;
    read.rollback().await.unwrap();

    // The error comes after rows have been sent: the server's message is kept.
    let mut read = conn.begin_with("BEGIN READ ONLY").await.unwrap();
    let failing = "SELECT 10 / (5000 - i) AS q FROM generate_series(1, 10000) AS i";
    let limits = StreamLimits::rows(1_000_000, 100);
    let (result, batches) = collect_postgres(stream_postgres, &mut read, failing, limits).await;
    match result {
        Err(error @ StreamError::Database(_)) => {
            assert!(error.to_string().contains("division by zero"), "{error}");
            assert!(!error.is_transient());
        }
        other => panic!("expected a database error, got {other:?}"),
    }
    assert!(batches.len() <= 50, "no rows past the failing one: {}", batches.len());
    read.rollback().await.unwrap();
    next_statement_works(&mut conn).await;
}

// ------------------------------------------------------------------------------------------
// MariaDB / MySQL
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn mysql_types_round_trip_through_parquet() {
    let Some(pool) = common::mysql().await else { return };
    let table = unique("sqlsynth_types");
    pool.execute(
        format!(
            "CREATE TABLE {table} (
               ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, i INT, iu INT UNSIGNED,
               bi BIGINT, bu BIGINT UNSIGNED, yr YEAR, f FLOAT, d DOUBLE,
               dec12 DECIMAL(12,2), dec38 DECIMAL(38,10), decu DECIMAL(5,0) UNSIGNED,
               vc VARCHAR(20), c CHAR(3), tx TEXT, vbin VARCHAR(10) COLLATE utf8mb4_bin, e ENUM('happy','sad'), j JSON,
               flag TINYINT(1), day DATE, at_time TIME(6), at DATETIME(6), at_ts TIMESTAMP(6) NULL,
               bl BLOB, vb VARBINARY(8), bits BIT(16))"
        )
        .as_str(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mysql.parquet");
    let body = async {
        pool.execute(
            format!(
                "INSERT INTO {table} VALUES
                 (-128, 255, -32768, 65535, -8388608, 2147483647, 4294967295,
                  -9223372036854775808, 18446744073709551615, 2024, 1.5, -2.25,
                  1234567890.12, 1234567890123456789012345678.0123456789, 99999,
                  'héllo', 'ab', 'long text', 'Bin', 'sad', '{{\"a\": [1, 2]}}',
                  1, '2024-02-29', '13:14:15.123456', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.123456',
                  x'00ff10', x'fffe', b'0000000100000010'),
                 (0, 0, 0, 0, 0, -1, 0, 1, 0, 1901, 0.1, 1e-3,
                  -0.05, -9999999999999999999999999999.9999999999, 0,
                  '', '', '', '', 'happy', '[]',
                  0, '1900-01-01', '00:00:00', '1970-01-01 00:00:00', '1999-12-31 23:59:59.999999',
                  x'', x'80', b'0'),
                 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
            )
            .as_str(),
        )
        .await
        .unwrap();
        let sql = format!("SELECT *, dec12 * 2 AS doubled FROM {table} ORDER BY i DESC");
        let mut conn = pool.acquire().await.unwrap();
        let summary = export(path.clone(), |tx| async move {
            let mut read = conn.begin_with("START TRANSACTION READ ONLY").await.unwrap();
            let summary = stream_mysql(&mut read, &sql, &LIMITS, &tx).await;
            read.rollback().await.unwrap();
            summary
        })
        .await
        .unwrap();
        assert_eq!((summary.rows, summary.truncated), (3, false));
        assert_file_matches(
            &path,
            &[
                col("ti", DataType::Int16, &[Some("-128"), Some("0"), None]),
                col("tu", DataType::Int16, &[Some("255"), Some("0"), None]),
                col("si", DataType::Int16, &[Some("-32768"), Some("0"), None]),
                col("su", DataType::Int32, &[Some("65535"), Some("0"), None]),
                col("mi", DataType::Int32, &[Some("-8388608"), Some("0"), None]),
                col("i", DataType::Int32, &[Some("2147483647"), Some("-1"), None]),
                col("iu", DataType::Int64, &[Some("4294967295"), Some("0"), None]),
                col("bi", DataType::Int64, &[Some("-9223372036854775808"), Some("1"), None]),
                col("bu", DataType::UInt64, &[Some("18446744073709551615"), Some("0"), None]),
                col("yr", DataType::Int16, &[Some("2024"), Some("1901"), None]),
                col("f", DataType::Float32, &[Some("1.5"), Some(&format!("{:?}", f64::from(0.1f32))), None]),
                col("d", DataType::Float64, &[Some("-2.25"), Some("0.001"), None]),
                col("dec12", DataType::Decimal128(12, 2), &[Some("1234567890.12"), Some("-0.05"), None]),
                col(
                    "dec38",
                    DataType::Decimal128(38, 10),
                    &[
                        Some("1234567890123456789012345678.0123456789"),
                        Some("-9999999999999999999999999999.9999999999"),
                        None,
                    ],
                ),
                col("decu", DataType::Decimal128(5, 0), &[Some("99999"), Some("0"), None]),
                col("vc", DataType::Utf8, &[Some("héllo"), Some(""), None]),
                col("c", DataType::Utf8, &[Some("ab"), Some(""), None]),
                col("tx", DataType::Utf8, &[Some("long text"), Some(""), None]),
                // A *_bin collation looks binary on the wire; its values are text.
                col("vbin", DataType::Utf8, &[Some("Bin"), Some(""), None]),
                col("e", DataType::Utf8, &[Some("sad"), Some("happy"), None]),
                col("j", DataType::Utf8, &[Some("{\"a\": [1, 2]}"), Some("[]"), None]),
                // TINYINT(1) is BOOLEAN.
                col("flag", DataType::Boolean, &[Some("true"), Some("false"), None]),
                col("day", DataType::Date32, &[Some(&date("2024-02-29")), Some(&date("1900-01-01")), None]),
                col("at_time", DataType::Time64(micros()), &[Some(&time("13:14:15.123456")), Some("0"), None]),
                col(
                    "at",
                    DataType::Timestamp(micros(), None),
                    &[Some(&ts("2024-02-29 13:14:15.123456")), Some("0"), None],
                ),
                col(
                    "at_ts",
                    DataType::Timestamp(micros(), None),
                    &[Some(&ts("2024-02-29 13:14:15.123456")), Some(&ts("1999-12-31 23:59:59.999999")), None],
                ),
                col("bl", DataType::Binary, &[Some("00ff10"), Some(""), None]),
                col("vb", DataType::Binary, &[Some("fffe"), Some("80"), None]),
                col("bits", DataType::UInt64, &[Some("258"), Some("0"), None]),
                col("doubled", DataType::Decimal128(13, 2), &[Some("2469135780.24"), Some("-0.10"), None]),
            ],
        );
    };
    with_cleanup(body, async {
        pool.execute(format!("DROP TABLE IF EXISTS {table}").as_str()).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn mysql_boolean_column_holding_other_numbers_is_an_error() {
    let Some(pool) = common::mysql().await else { return };
    let mut conn = pool.acquire().await.unwrap();
    let (tx, _rx) = mpsc::channel(4);
    // A TINYINT(1) column holding 2: the error names the column and the way out.
    let table = unique("sqlsynth_flag");
    conn.execute(
        format!("CREATE TEMPORARY TABLE {table} (flag TINYINT(1)); INSERT INTO {table} VALUES (1), (2)").as_str(),
    )
    .await
    .unwrap();
    match stream_mysql(&mut conn, &format!("SELECT flag FROM {table}"), &LIMITS, &tx).await {
        Err(StreamError::Unsupported { column, message }) => {
            assert_eq!(column, "flag");
            assert!(message.contains("CAST"), "{message}");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// Results larger than many batches
// ------------------------------------------------------------------------------------------

const BIG_ROWS: u64 = 200_000;

/// Streams `sql` (ids 1..=BIG_ROWS plus a text column) with small batches,
/// checking batch sizes, the row count, the ids and the file; then again with a
/// `max_rows` below the total, which must truncate.
async fn check_big_result<F, Fut>(dir: &Path, run: F)
where
    F: Fn(StreamLimits, mpsc::Sender<RecordBatch>) -> Fut,
    Fut: Future<Output = Result<StreamSummary, StreamError>>,
{
    const BATCH: usize = 8_192;
    let limits = StreamLimits::rows(1_000_000, BATCH);
    let (tx, mut rx) = mpsc::channel::<RecordBatch>(2);
    let collect = tokio::spawn(async move {
        let (mut batches, mut rows, mut sum, mut max_batch) = (0usize, 0u64, 0i128, 0usize);
        while let Some(batch) = rx.recv().await {
            batches += 1;
            rows += batch.num_rows() as u64;
            max_batch = max_batch.max(batch.num_rows());
            let ids = batch.column(0);
            sum += match ids.data_type() {
                DataType::Int32 => {
                    ids.as_primitive::<Int32Type>().values().iter().map(|v| i128::from(*v)).sum::<i128>()
                }
                DataType::Int64 => {
                    ids.as_primitive::<Int64Type>().values().iter().map(|v| i128::from(*v)).sum::<i128>()
                }
                other => panic!("unexpected id type {other}"),
            };
        }
        (batches, rows, sum, max_batch)
    });
    let summary = run(limits, tx).await.unwrap();
    let (batches, rows, sum, max_batch) = collect.await.unwrap();
    assert_eq!((summary.rows, summary.truncated), (BIG_ROWS, false));
    assert_eq!(rows, BIG_ROWS);
    assert_eq!(batches, (BIG_ROWS as usize).div_ceil(BATCH));
    assert_eq!(max_batch, BATCH);
    assert_eq!(sum, i128::from(BIG_ROWS) * i128::from(BIG_ROWS + 1) / 2);

    let path = dir.join("big.parquet");
    let limits = StreamLimits::rows(150_000, BATCH);
    let summary = export(path.clone(), |tx| run(limits, tx)).await.unwrap();
    assert_eq!((summary.rows, summary.truncated), (150_000, true));
    assert_eq!(read_footer(&path).unwrap().rows, 150_000);
}

#[tokio::test]
async fn sqlite_streams_results_larger_than_many_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = sqlite_file(dir.path()).await;
    let conn = tokio::sync::Mutex::new(&mut conn);
    let sql = format!(
        "WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n WHERE id < {BIG_ROWS}) SELECT id, 'row ' || id AS label FROM n"
    );
    check_big_result(dir.path(), |limits, tx| {
        let sql = sql.clone();
        let conn = &conn;
        async move { stream_sqlite(*conn.lock().await, &sql, &limits, &tx).await }
    })
    .await;
}

#[tokio::test]
async fn postgres_streams_results_larger_than_many_batches() {
    let Some(pool) = common::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let sql = format!("SELECT id, 'row ' || id AS label FROM generate_series(1, {BIG_ROWS}) AS id");
    check_big_result(dir.path(), |limits, tx| {
        let (sql, pool) = (sql.clone(), pool.clone());
        async move {
            let mut conn = pool.acquire().await.unwrap();
            let mut read = conn.begin_with("BEGIN READ ONLY").await.unwrap();
            stream_postgres(&mut read, &sql, &limits, &tx).await
        }
    })
    .await;
}

#[tokio::test]
async fn mysql_streams_results_larger_than_many_batches() {
    let Some(pool) = common::mysql().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let sql = format!(
        "WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n WHERE id < {BIG_ROWS}) SELECT id, CONCAT('row ', id) AS label FROM n"
    );
    check_big_result(dir.path(), |limits, tx| {
        let (sql, pool) = (sql.clone(), pool.clone());
        async move {
            let mut conn = pool.acquire().await.unwrap();
            conn.execute("SET SESSION max_recursive_iterations = 1000000").await.unwrap();
            let mut read = conn.begin_with("START TRANSACTION READ ONLY").await.unwrap();
            stream_mysql(&mut read, &sql, &limits, &tx).await
        }
    })
    .await;
}
