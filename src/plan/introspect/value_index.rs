//! Reads the value index ([`ValueIndex`]) of a source at schema load: the
//! distinct values of its name-like text columns, whatever their cardinality.
//!
//! The columns. A column is read when
//! - it is a sampling candidate (see `sampling`): a text column of a table (not
//!   a view), not part of a key, whose name does not mark contact details or
//!   credentials;
//! - its name does not mark an audit trail or free text (`created_by`,
//!   `last_update`, `description`, `notes`...: [`SKIPPED_NAME_WORDS`]);
//! - its table is not known to have more than [`MAX_SCANNED_ROWS`] rows (a fact
//!   table's text columns are codes and statuses, which sampling covers, and
//!   reading them would cost a scan of the whole table).
//!
//! Tables are read by name and columns in declared order. On PostgreSQL and
//! MySQL, one streamed query per column: `SELECT DISTINCT` of its non-empty
//! values, limited to one value more than the index has room for, or, when
//! the table's row count (the catalog's estimate) is within that room, the
//! plain values (cheaper: no hash aggregate, which spills for a million values
//! and took half of PostgreSQL's time), repeats being dropped by the builder and
//! more than [`MAX_SCANNED_ROWS`] rows leaving the column out. On SQLite,
//! whose `DISTINCT` sorts through a temporary B-tree (about 3 s for a million
//! values, against 0.1 s for the plain scan) and whose driver hands rows over
//! one by one from a worker thread (about 1 us each), the plain values are
//! read in chunks of [`SQLITE_CHUNK_ROWS`] rows by rowid, each chunk one JSON
//! array (`json_group_array`), repeats being dropped by the builder; a table
//! without rowids is read row by row instead, and a column with more than
//! [`MAX_SCANNED_ROWS`] rows is left out. A SQLite column whose first rows
//! sampling found to hold few values (a country, a status) is read with
//! `DISTINCT` after all: its B-tree stays small, and a million rows are not
//! handed over one by one. The builder keeps or drops each
//! column whole ([`ValueIndexBuilder`]), so the cap is deterministic: the
//! columns that come first fill the index, and a column that does not fit in
//! what is left is left out (an info line names it), while later, smaller
//! columns may still fit. No query starts after [`INDEX_BUDGET`]; a failing
//! query is logged and costs only its column. Like samples, the index enriches
//! a schema and never fails it.
//!
//! Cost: one query per column read; values are held once, in the builder's
//! arena, then sorted and compiled into the FST.

use std::borrow::Cow;
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::FoundTable;
use super::sampling::{is_sampling_candidate, name_words};
use crate::db::SourcePool;
use crate::dialect::Dialect;
use crate::plan::values::{ColumnOutcome, ValueIndex, ValueIndexBuilder};
use crate::secret::redact;

/// A table known to hold more rows than this is not read.
const MAX_SCANNED_ROWS: u64 = 5_000_000;
/// Rows per chunk when SQLite values are read as JSON arrays.
const SQLITE_CHUNK_ROWS: usize = 65_536;
/// No column query starts once this much time has passed.
const INDEX_BUDGET: Duration = Duration::from_secs(30);
/// Words in a column name that mark an audit trail or free text, not names.
const SKIPPED_NAME_WORDS: &[&str] = &[
    "created",
    "updated",
    "modified",
    "deleted",
    "inserted",
    "changed",
    "update",
    "description",
    "comment",
    "comments",
    "note",
    "notes",
    "remark",
    "remarks",
    "body",
    "content",
    "summary",
    "message",
    "bio",
    "json",
    "xml",
    "html",
];

/// One column to read: its table's and its own position.
#[derive(Debug, Clone, PartialEq)]
struct IndexTarget {
    table: usize,
    column: usize,
}

/// Builds the value index of `tables` holding at most `limit` values (0: an empty index).
pub(super) async fn build(source_name: &str, pool: &SourcePool, tables: &[FoundTable], limit: usize) -> ValueIndex {
    let started = Instant::now();
    if limit == 0 {
        return ValueIndex::default();
    }
    let targets = plan_index(tables);
    let deadline = started + INDEX_BUDGET;
    let mut builder = ValueIndexBuilder::new(limit);
    let mut left_out: Vec<String> = Vec::new();
    let mut not_started = 0;
    for target in targets {
        if Instant::now() >= deadline {
            not_started += 1;
            continue;
        }
        let table = &tables[target.table];
        let column = &table.columns[target.column].column;
        let room = builder.room();
        builder.begin_column(&table.name, &column.name);
        // DISTINCT bounds what a large table sends; a table that fits in the room is cheaper read plainly.
        let distinct = table.approx_rows.is_none_or(|rows| rows > room as u64);
        let few_values = !column.sample_values.is_empty();
        match read_column(pool, &table.from_sql, &column.name, room, (distinct, few_values), &mut builder).await {
            Ok(true) => {}
            Ok(false) => {
                builder.abandon_column();
                left_out.push(format!("{}.{} (more than {MAX_SCANNED_ROWS} rows)", table.name, column.name));
                continue;
            }
            Err(error) => {
                warn!(
                    source = source_name,
                    table = %table.name,
                    column = %column.name,
                    error = %redact(&error.to_string()),
                    "cannot read column values for the value index; continuing without them"
                );
                builder.abandon_column();
                continue;
            }
        }
        let outcome = builder.end_column();
        debug!(source = source_name, table = %table.name, column = %column.name, ?outcome, "value index column");
        if outcome == ColumnOutcome::TooMany {
            left_out.push(format!("{}.{} (more than {room} values)", table.name, column.name));
        }
    }
    if !left_out.is_empty() {
        info!(
            source = source_name,
            limit,
            columns = left_out.len(),
            left_out = %left_out.join(", "),
            "value index full: these columns did not fit and are left out whole (raise sources.<name>.value_index_limit to include them)"
        );
    }
    if not_started > 0 {
        warn!(
            source = source_name,
            not_started,
            budget_s = INDEX_BUDGET.as_secs(),
            "value index budget exhausted; some columns were not read"
        );
    }
    let read_ms = started.elapsed().as_millis() as u64;
    let index = builder.finish();
    debug!(
        source = source_name,
        values = index.len(),
        columns = index.columns().len(),
        heap_bytes = index.heap_bytes(),
        read_ms,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "value index built"
    );
    index
}

/// The columns to read (see the module doc), tables by name, columns in declared order.
fn plan_index(tables: &[FoundTable]) -> Vec<IndexTarget> {
    let mut targets = Vec::new();
    for (table_index, table) in tables.iter().enumerate() {
        if table.approx_rows.is_some_and(|rows| rows > MAX_SCANNED_ROWS) {
            continue;
        }
        for (column_index, column) in table.columns.iter().enumerate() {
            if is_sampling_candidate(table, column)
                && !name_words(&column.column.name).iter().any(|w| SKIPPED_NAME_WORDS.contains(&w.as_str()))
            {
                targets.push(IndexTarget { table: table_index, column: column_index });
            }
        }
    }
    targets
}

/// The non-empty values of one column, as text: with `distinct`, distinct
/// and at most `room + 1` of them; without, at most [`MAX_SCANNED_ROWS`] + 1
/// rows, repeats included.
fn column_query(dialect: Dialect, from_sql: &str, column: &str, room: usize, distinct: bool) -> String {
    let column = dialect.quote_ident(column);
    let text_type = if dialect == Dialect::MySql { "CHAR" } else { "TEXT" };
    let (distinct, limit) = if distinct { ("DISTINCT ", room as u64 + 1) } else { ("", MAX_SCANNED_ROWS + 1) };
    format!(
        "SELECT {distinct}CAST({column} AS {text_type}) FROM {from_sql} \
         WHERE {column} IS NOT NULL AND CAST({column} AS {text_type}) <> '' LIMIT {limit}"
    )
}

/// Reads one column into the builder's open column (see the module doc);
/// false when the column has more than [`MAX_SCANNED_ROWS`] rows. `distinct`:
/// whether a distinct query bounds what a large table sends; `few_values`:
/// whether sampling found few values in the first rows, so SQLite's DISTINCT
/// (a temporary B-tree of those few) is cheaper than handing every row over.
async fn read_column(
    pool: &SourcePool,
    from_sql: &str,
    column: &str,
    room: usize,
    (distinct, few_values): (bool, bool),
    builder: &mut ValueIndexBuilder,
) -> Result<bool, sqlx::Error> {
    if let SourcePool::Sqlite(_) = pool
        && few_values
    {
        return read_values(pool, &column_query(Dialect::Sqlite, from_sql, column, room, true), true, builder).await;
    }
    if let SourcePool::Sqlite(sqlite) = pool {
        match read_sqlite_chunks(sqlite, &sqlite_chunk_query(from_sql, column), builder).await {
            Ok(complete) => return Ok(complete),
            Err(error) => {
                debug!(%from_sql, column, error = %redact(&error.to_string()), "reading by rowid chunks failed; reading row by row");
                builder.restart_column();
            }
        }
    }
    let distinct = distinct && pool.dialect() != Dialect::Sqlite;
    read_values(pool, &column_query(pool.dialect(), from_sql, column, room, distinct), distinct, builder).await
}

/// One chunk of a SQLite column: the last rowid read and the values as a JSON array.
fn sqlite_chunk_query(from_sql: &str, column: &str) -> String {
    let column = Dialect::Sqlite.quote_ident(column);
    format!(
        "SELECT max(r), json_group_array(v) FROM (SELECT rowid AS r, CAST({column} AS TEXT) AS v FROM {from_sql} \
         WHERE rowid > ?1 AND {column} IS NOT NULL AND CAST({column} AS TEXT) <> '' ORDER BY rowid LIMIT {SQLITE_CHUNK_ROWS})"
    )
}

/// Reads a SQLite column chunk by chunk; false when it has more than
/// [`MAX_SCANNED_ROWS`] rows. The next chunk is queried (on SQLite's worker
/// thread) while this one is offered to the builder (on this one).
async fn read_sqlite_chunks(
    pool: &sqlx::SqlitePool,
    sql: &str,
    builder: &mut ValueIndexBuilder,
) -> Result<bool, sqlx::Error> {
    let fetch = |after: i64| {
        let (pool, sql) = (pool.clone(), sql.to_string());
        tokio::spawn(async move {
            sqlx::query_as::<_, (Option<i64>, String)>(&sql).bind(after).persistent(false).fetch_one(&pool).await
        })
    };
    let mut next = fetch(i64::MIN);
    let mut read: u64 = 0;
    loop {
        let (last, json) = next.await.map_err(|e| sqlx::Error::Protocol(format!("a chunk reader failed: {e}")))??;
        let Some(last) = last else { return Ok(true) };
        next = fetch(last);
        // Borrowed from the JSON text when no value has an escape (no copy per value), else owned.
        let values: Vec<Cow<'_, str>> = match serde_json::from_str::<Vec<&str>>(&json) {
            Ok(borrowed) => borrowed.into_iter().map(Cow::Borrowed).collect(),
            Err(_) => serde_json::from_str::<Vec<String>>(&json)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?
                .into_iter()
                .map(Cow::Owned)
                .collect(),
        };
        read += values.len() as u64;
        if read > MAX_SCANNED_ROWS {
            return Ok(false);
        }
        for value in &values {
            if !builder.offer(value) {
                next.abort();
                return Ok(true);
            }
        }
    }
}

/// Streams one query's values into the builder's open column, stopping once
/// it is over the room; false when a query without `distinct` returns more
/// than [`MAX_SCANNED_ROWS`] rows (a distinct one is bounded by the room).
async fn read_values(
    pool: &SourcePool,
    sql: &str,
    distinct: bool,
    builder: &mut ValueIndexBuilder,
) -> Result<bool, sqlx::Error> {
    let max_rows = if distinct { u64::MAX } else { MAX_SCANNED_ROWS };
    macro_rules! stream_into {
        ($pool:expr) => {{
            let mut rows = sqlx::query_scalar::<_, Option<String>>(sql).persistent(false).fetch($pool);
            let mut read: u64 = 0;
            while let Some(value) = rows.try_next().await? {
                read += 1;
                if read > max_rows {
                    return Ok(false);
                }
                if let Some(value) = value
                    && !builder.offer(&value)
                {
                    break;
                }
            }
            Ok(true)
        }};
    }
    match pool {
        SourcePool::Sqlite(pool) => stream_into!(pool),
        SourcePool::Postgres(pool) => stream_into!(pool),
        SourcePool::MySql(pool) => stream_into!(pool),
    }
}

#[cfg(test)]
mod tests {
    use super::super::FoundColumn;
    use super::*;

    fn table(name: &str, rows: Option<u64>, columns: &[&str]) -> FoundTable {
        FoundTable {
            name: name.into(),
            from_sql: Dialect::Sqlite.quote_ident(name),
            is_view: false,
            columns: columns
                .iter()
                .map(|c| FoundColumn::new(c.to_string(), "TEXT".into(), true, !c.starts_with("n_")))
                .collect(),
            primary_key: vec!["Code".into()],
            foreign_keys: vec![],
            approx_rows: rows,
        }
    }

    fn planned(tables: &[FoundTable]) -> Vec<String> {
        plan_index(tables)
            .iter()
            .map(|t| format!("{}.{}", tables[t.table].name, tables[t.table].columns[t.column].column.name))
            .collect()
    }

    #[test]
    fn name_like_text_columns_of_tables_that_are_not_huge_are_read() {
        let columns =
            ["Code", "Name", "Title", "n_Price", "Email", "created_by", "LastUpdate", "Description", "LastName"];
        let tables = [
            table("Artist", Some(275), &columns),
            table("Events", Some(MAX_SCANNED_ROWS + 1), &["Name"]),
            table("Unknown", None, &["Name"]),
        ];
        assert_eq!(planned(&tables), ["Artist.Name", "Artist.Title", "Artist.LastName", "Unknown.Name"]);
    }

    #[test]
    fn the_query_is_non_empty_and_limited_and_distinct_where_that_is_cheap() {
        assert_eq!(
            column_query(Dialect::Postgres, "\"s\".\"artist\"", "name", 10, true),
            "SELECT DISTINCT CAST(\"name\" AS TEXT) FROM \"s\".\"artist\" \
             WHERE \"name\" IS NOT NULL AND CAST(\"name\" AS TEXT) <> '' LIMIT 11"
        );
        assert!(
            column_query(Dialect::MySql, "`Artist`", "Name", 1, true)
                .starts_with("SELECT DISTINCT CAST(`Name` AS CHAR)")
        );
        let sqlite = column_query(Dialect::Sqlite, "\"Artist\"", "Name", 1, false);
        assert!(sqlite.starts_with("SELECT CAST(\"Name\" AS TEXT)"), "{sqlite}");
        assert!(sqlite.ends_with(&format!("LIMIT {}", MAX_SCANNED_ROWS + 1)), "{sqlite}");
        let chunk = sqlite_chunk_query("\"Artist\"", "Name");
        assert!(chunk.contains("json_group_array(v)") && chunk.contains("rowid > ?1"), "{chunk}");
        assert!(chunk.ends_with(&format!("ORDER BY rowid LIMIT {SQLITE_CHUNK_ROWS})")), "{chunk}");
    }
}
