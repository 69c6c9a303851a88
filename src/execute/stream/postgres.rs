//! PostgreSQL: the binary COPY path ([`stream_postgres`]), the
//! prepared-statement path it is tested against ([`stream_postgres_rows`]),
//! the column metadata both take from the prepared statement, and how a
//! value of either is read.

use sqlx::postgres::{PgColumn, PgConnection, PgValueFormat};

use super::*;
use crate::execute::pg_copy::{BinaryCopyReader, CopyTuple};
use crate::execute::types::PgType;

/// Streams a PostgreSQL query through `COPY (<sql>) TO STDOUT (FORMAT binary)`.
///
/// The statement is prepared first for its column metadata (names, types, and
/// the `numeric(p,s)` typmods of `postgres_columns`); the rows then arrive as
/// one binary COPY stream that `BinaryCopyReader` splits into tuples, each
/// value decoded by the same [`PgType::decode`] as in [`stream_postgres_rows`],
/// without sqlx's per-row machinery. The results of both are identical.
///
/// `sql` must be one query (SELECT, WITH, VALUES or a set operation), as the
/// guard guarantees: it is wrapped as `COPY (<sql>)`, which PostgreSQL accepts
/// for queries only. The prepare step refuses anything that is not a single
/// statement; a statement without result columns takes the row path, which
/// reports what the server says about it.
///
/// Whatever happens (`max_rows` reached, a value that does not decode, a closed
/// sink), the COPY is read to its end before returning, so the connection can
/// run the next statement; a truncated query therefore costs the rows the
/// server still sends (one, with the guard's `LIMIT max_rows + 1`). A server
/// error mid-stream, the statement timeout included, is a
/// [`StreamError::Database`] carrying the server's message and code.
pub async fn stream_postgres(
    conn: &mut PgConnection,
    sql: &str,
    limits: &StreamLimits,
    tx: &Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    let columns = postgres_columns(conn, sql).await?;
    if columns.is_empty() {
        return fetch_postgres_rows(conn, sql, columns, limits, tx).await;
    }
    let mut batch = BatchBuilder::new::<CopyTuple>(columns, limits.batch_rows.max(1))?;
    let mut reader = BinaryCopyReader::new(batch.columns.len());
    let mut chunks = conn.copy_out_raw(&copy_statement(sql)).await?;
    let read = read_copy(&mut chunks, &mut reader, &mut batch, limits, tx).await;
    // Always run the COPY to its end: until then the connection cannot take another statement.
    let mut drained = Ok(());
    while let Some(chunk) = chunks.next().await {
        if let Err(e) = chunk {
            drained = Err(StreamError::Database(e));
        }
    }
    let (rows, truncated) = read?;
    drained?;
    Ok(StreamSummary { rows, truncated, schema: batch.schema })
}

/// Streams a PostgreSQL query as prepared-statement rows, the way every other
/// dialect does: the reference [`stream_postgres`] is tested against.
pub async fn stream_postgres_rows(
    conn: &mut PgConnection,
    sql: &str,
    limits: &StreamLimits,
    tx: &Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    let columns = postgres_columns(conn, sql).await?;
    fetch_postgres_rows(conn, sql, columns, limits, tx).await
}

/// Runs `sql` as a prepared query and streams its rows as `columns`.
async fn fetch_postgres_rows(
    conn: &mut PgConnection,
    sql: &str,
    columns: Vec<(String, PgType)>,
    limits: &StreamLimits,
    tx: &Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    drive(sqlx::query(sql).fetch(&mut *conn), limits, tx, |_| Ok(columns)).await
}

/// The output columns of a PostgreSQL query, from its prepared statement.
/// `numeric(p,s)` columns that come straight from a table get their precision
/// and scale from one `pg_attribute` lookup.
async fn postgres_columns(conn: &mut PgConnection, sql: &str) -> Result<Vec<(String, PgType)>, StreamError> {
    let statement = (&mut *conn).prepare(sql).await?;
    let typmods = numeric_typmods(conn, statement.columns()).await?;
    statement
        .columns()
        .iter()
        .zip(typmods)
        .map(|(column, typmod)| named(column, PgType::of(column.type_info(), typmod)))
        .collect()
}

/// `sql` as a binary COPY statement. The newlines end any trailing line comment
/// before the closing parenthesis; a trailing semicolon, which prepare accepts
/// but a COPY subquery does not, is dropped.
fn copy_statement(sql: &str) -> String {
    let query = sql.trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    format!("COPY (\n{query}\n) TO STDOUT (FORMAT binary)")
}

/// Reads the COPY stream into batches until its trailer, or until a tuple past
/// `max_rows` shows the result is truncated. Returns the rows appended and
/// whether it was truncated; the caller drains whatever is left of the stream.
async fn read_copy<C: AsRef<[u8]>>(
    chunks: &mut (impl Stream<Item = Result<C, sqlx::Error>> + Unpin),
    reader: &mut BinaryCopyReader,
    batch: &mut BatchBuilder<PgType>,
    limits: &StreamLimits,
    tx: &Sender<RecordBatch>,
) -> Result<(u64, bool), StreamError> {
    let mut rows = 0u64;
    let mut bytes = 0u64;
    let mut sent_any = false;
    let mut truncated = false;
    'stream: while let Some(chunk) = chunks.try_next().await? {
        reader.push(chunk.as_ref());
        // A value still arriving counts: one huge value fails before it is whole.
        limits.check_bytes(bytes + reader.buffered() as u64)?;
        while let Some(tuple) = reader.next_tuple().map_err(|e| sqlx::Error::Protocol(e.to_string()))? {
            if rows >= limits.max_rows {
                truncated = true;
                break 'stream;
            }
            if limits.full(batch) {
                send(tx, batch.finish()?).await?;
                sent_any = true;
            }
            bytes += batch.append(&tuple)? as u64;
            limits.check_bytes(bytes)?;
            rows += 1;
        }
    }
    if !truncated && !reader.is_finished() {
        return Err(sqlx::Error::Protocol("the COPY stream ended before its trailer".into()).into());
    }
    if batch.rows > 0 || !sent_any {
        send(tx, batch.finish()?).await?;
    }
    Ok((rows, truncated))
}

/// The `atttypmod` of every column that is a table's `numeric` column, in column order.
async fn numeric_typmods(conn: &mut PgConnection, columns: &[PgColumn]) -> Result<Vec<Option<i32>>, sqlx::Error> {
    let origin = |column: &PgColumn| -> Option<(i64, i16)> {
        if column.type_info().name() != "NUMERIC" {
            return None;
        }
        Some((i64::from(column.relation_id()?.0), column.relation_attribute_no()?))
    };
    let (relations, attributes): (Vec<i64>, Vec<i16>) = columns.iter().filter_map(origin).unzip();
    if relations.is_empty() {
        return Ok(vec![None; columns.len()]);
    }
    let found: Vec<(i64, i16, i32)> = sqlx::query_as(
        "SELECT a.attrelid::int8, a.attnum, a.atttypmod \
         FROM pg_catalog.pg_attribute a \
         JOIN unnest($1::int8[], $2::int2[]) AS wanted(rel, att) ON a.attrelid = wanted.rel::oid AND a.attnum = wanted.att",
    )
    .bind(relations)
    .bind(attributes)
    .fetch_all(&mut *conn)
    .await?;
    Ok(columns
        .iter()
        .map(|column| {
            let (relation, attribute) = origin(column)?;
            found.iter().find(|(r, a, _)| *r == relation && *a == attribute).map(|(_, _, typmod)| *typmod)
        })
        .collect())
}

impl ReadCell<PgRow> for PgType {
    fn arrow(self) -> ArrowType {
        PgType::arrow(self)
    }

    fn read<'r>(self, row: &'r PgRow, index: usize, scratch: &'r mut String) -> Result<Cell<'r>, String> {
        let value = row.try_get_raw(index).map_err(|e| e.to_string())?;
        if value.is_null() {
            return Ok(Cell::Null);
        }
        if value.format() != PgValueFormat::Binary {
            return Err("value arrived in text format; only prepared queries are supported".into());
        }
        self.decode(value.as_bytes().map_err(|e| e.to_string())?, scratch)
    }
}

impl<'t> ReadCell<CopyTuple<'t>> for PgType {
    fn arrow(self) -> ArrowType {
        PgType::arrow(self)
    }

    #[inline]
    fn read<'r>(self, tuple: &'r CopyTuple<'t>, index: usize, scratch: &'r mut String) -> Result<Cell<'r>, String> {
        match tuple.get(index) {
            Some(raw) => self.decode(raw, scratch),
            None => Ok(Cell::Null),
        }
    }
}
