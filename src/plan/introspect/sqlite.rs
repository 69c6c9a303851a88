//! SQLite catalog reader: `sqlite_master` for tables and views, the
//! table-valued pragmas `pragma_table_info` and `pragma_foreign_key_list` for
//! columns and keys (they work on the read-only, `query_only` pool).
//!
//! Facts particular to SQLite:
//! - The declared type is kept verbatim (`NVARCHAR(40)`, or empty for an
//!   untyped column); a column holds text when SQLite gives it TEXT affinity.
//! - A primary-key column counts as not nullable even without `NOT NULL`.
//! - A foreign key may omit its referenced columns (it then means the parent's
//!   primary key) and may spell the parent in another case: both are resolved
//!   against the tables read. A key whose parent does not exist is dropped.
//! - Row counts come from `sqlite_stat1` when `ANALYZE` has filled it;
//!   otherwise they are counted exactly, reading at most
//!   [`MAX_COUNTED_ROWS`] + 1 rows: a larger table with no statistics has an
//!   unknown count. Views are never counted.

use std::collections::HashMap;

use sqlx::SqlitePool;

use super::{FoundColumn, FoundTable, IntrospectError, failed, group_foreign_keys};
use crate::dialect::Dialect;
use crate::plan::schema::ForeignKey;

/// Most rows read to count a table that has no statistics.
const MAX_COUNTED_ROWS: u64 = 1_000_000;

const TABLES_SQL: &str = r"SELECT name, type = 'view' FROM sqlite_master
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name";
const COLUMNS_SQL: &str = r#"SELECT name, type, "notnull", pk FROM pragma_table_info(?1) ORDER BY cid"#;
const FOREIGN_KEYS_SQL: &str =
    r#"SELECT id, seq, "table", "from", "to" FROM pragma_foreign_key_list(?1) ORDER BY id, seq"#;
const HAS_STATISTICS_SQL: &str =
    "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1')";
const STATISTICS_SQL: &str = "SELECT tbl, stat FROM sqlite_stat1";

/// Reads the catalog; without `with_counts`, tables without statistics have an
/// unknown row count instead of being counted (the structure-only mode).
pub(super) async fn read_tables(
    source_name: &str,
    pool: &SqlitePool,
    with_counts: bool,
) -> Result<Vec<FoundTable>, IntrospectError> {
    let listed: Vec<(String, bool)> =
        sqlx::query_as(TABLES_SQL).fetch_all(pool).await.map_err(failed(source_name, "listing tables"))?;
    let statistics = if with_counts { read_statistics(source_name, pool).await? } else { None };

    let mut tables = Vec::with_capacity(listed.len());
    for (name, is_view) in listed {
        let step = format!("reading the columns of '{name}'");
        let column_rows: Vec<(String, Option<String>, bool, i64)> =
            sqlx::query_as(COLUMNS_SQL).bind(&name).fetch_all(pool).await.map_err(failed(source_name, &step))?;
        let mut primary_key: Vec<(i64, String)> =
            column_rows.iter().filter(|(_, _, _, pk)| *pk > 0).map(|(c, _, _, pk)| (*pk, c.clone())).collect();
        primary_key.sort();
        let columns = column_rows
            .into_iter()
            .map(|(column, declared, not_null, pk)| {
                let declared = declared.unwrap_or_default();
                let holds_text = has_text_affinity(&declared);
                FoundColumn::new(column, declared, !not_null && pk == 0, holds_text)
            })
            .collect();
        let approx_rows = match (is_view, statistics.as_ref().and_then(|s| s.get(&name))) {
            (true, _) => None,
            (false, Some(&analysed)) => Some(analysed),
            (false, None) if with_counts => count_rows(source_name, pool, &name).await?,
            (false, None) => None,
        };
        tables.push(FoundTable {
            from_sql: Dialect::Sqlite.quote_ident(&name),
            name,
            is_view,
            columns,
            primary_key: primary_key.into_iter().map(|(_, c)| c).collect(),
            foreign_keys: Vec::new(),
            approx_rows,
        });
    }

    // Foreign keys last: resolving them needs every table's name and primary key.
    for index in 0..tables.len() {
        let step = format!("reading the foreign keys of '{}'", tables[index].name);
        let declared: Vec<DeclaredKeyColumn> = sqlx::query_as(FOREIGN_KEYS_SQL)
            .bind(&tables[index].name)
            .fetch_all(pool)
            .await
            .map_err(failed(source_name, &step))?;
        tables[index].foreign_keys = resolve_foreign_keys(declared, &tables);
    }
    Ok(tables)
}

/// One `pragma_foreign_key_list` row: key id, position, parent as spelled, column, parent column if named.
type DeclaredKeyColumn = (i64, i64, String, String, Option<String>);

/// Groups declared key columns into foreign keys, naming each parent as the
/// table is actually named and filling omitted parent columns from its primary
/// key; a key whose parent (or parent column) cannot be found is dropped.
fn resolve_foreign_keys(declared: Vec<DeclaredKeyColumn>, tables: &[FoundTable]) -> Vec<ForeignKey> {
    let mut resolved = Vec::with_capacity(declared.len());
    let mut unresolvable = Vec::new();
    for row in &declared {
        match resolve_key_column(row, tables) {
            Some(column) => resolved.push(column),
            None => unresolvable.push(row.0),
        }
    }
    resolved.retain(|(id, ..)| !unresolvable.contains(id));
    group_foreign_keys(resolved)
}

/// (key id, column, parent table, parent column) with names resolved, if they resolve.
fn resolve_key_column(
    (id, position, parent, column, parent_column): &DeclaredKeyColumn,
    tables: &[FoundTable],
) -> Option<(i64, String, String, String)> {
    let parent = tables.iter().find(|t| t.name.eq_ignore_ascii_case(parent))?;
    let parent_column = match parent_column {
        Some(named) => named.clone(),
        None => parent.primary_key.get(usize::try_from(*position).ok()?)?.clone(),
    };
    Some((*id, column.clone(), parent.name.clone(), parent_column))
}

/// SQLite's affinity rule for a declared type: INT wins, then CHAR, CLOB or TEXT mean text.
fn has_text_affinity(declared_type: &str) -> bool {
    let upper = declared_type.to_ascii_uppercase();
    !upper.contains("INT") && ["CHAR", "CLOB", "TEXT"].iter().any(|word| upper.contains(word))
}

/// Row counts per table from `sqlite_stat1`, or `None` when the database was never analysed.
async fn read_statistics(
    source_name: &str,
    pool: &SqlitePool,
) -> Result<Option<HashMap<String, u64>>, IntrospectError> {
    let step = "reading sqlite_stat1";
    let present: bool =
        sqlx::query_scalar(HAS_STATISTICS_SQL).fetch_one(pool).await.map_err(failed(source_name, step))?;
    if !present {
        return Ok(None);
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as(STATISTICS_SQL).fetch_all(pool).await.map_err(failed(source_name, step))?;
    let mut counts: HashMap<String, u64> = HashMap::new();
    for (table, stat) in rows {
        // The first number of every row (table or index) is the table's row count.
        if let Some(rows) = stat.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()) {
            let entry = counts.entry(table).or_default();
            *entry = (*entry).max(rows);
        }
    }
    Ok(Some(counts))
}

/// Exact row count reading at most [`MAX_COUNTED_ROWS`] + 1 rows; `None` beyond that.
async fn count_rows(source_name: &str, pool: &SqlitePool, table: &str) -> Result<Option<u64>, IntrospectError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT {})",
        Dialect::Sqlite.quote_ident(table),
        MAX_COUNTED_ROWS + 1
    );
    let step = format!("counting the rows of '{table}'");
    let count: i64 = sqlx::query_scalar(&sql).fetch_one(pool).await.map_err(failed(source_name, &step))?;
    Ok(u64::try_from(count).ok().filter(|&n| n <= MAX_COUNTED_ROWS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_affinity_follows_sqlite_rules() {
        for text in ["NVARCHAR(40)", "text", "CLOB", "character varying(10)", "VARCHAR"] {
            assert!(has_text_affinity(text), "{text}");
        }
        for other in ["INTEGER", "NUMERIC(10,2)", "", "BLOB", "DATETIME", "CHARINT", "REAL"] {
            assert!(!has_text_affinity(other), "{other}");
        }
    }

    fn parent(name: &str, primary_key: &[&str]) -> FoundTable {
        FoundTable {
            name: name.into(),
            from_sql: Dialect::Sqlite.quote_ident(name),
            is_view: false,
            columns: vec![],
            primary_key: primary_key.iter().map(|c| c.to_string()).collect(),
            foreign_keys: vec![],
            approx_rows: None,
        }
    }

    #[test]
    fn foreign_keys_resolve_parent_case_and_implicit_columns() {
        let row = |id: i64, seq: i64, parent: &str, column: &str, parent_column: Option<&str>| {
            (id, seq, parent.to_string(), column.to_string(), parent_column.map(String::from))
        };
        let declared = vec![
            row(0, 0, "album", "AlbumId", None),
            row(1, 0, "Pair", "A", Some("X")),
            row(1, 1, "Pair", "B", None),
            row(2, 0, "Missing", "M", Some("Id")),
            row(3, 0, "Album", "P", None),
            row(3, 1, "Album", "Q", None),
        ];
        let tables = [parent("Album", &["AlbumId"]), parent("Pair", &["X", "Y"])];
        assert_eq!(
            resolve_foreign_keys(declared, &tables),
            vec![
                ForeignKey {
                    columns: vec!["AlbumId".into()],
                    referenced_table: "Album".into(),
                    referenced_columns: vec!["AlbumId".into()],
                },
                ForeignKey {
                    columns: vec!["A".into(), "B".into()],
                    referenced_table: "Pair".into(),
                    referenced_columns: vec!["X".into(), "Y".into()],
                },
            ]
        );
    }
}
