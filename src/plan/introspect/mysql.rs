//! MySQL/MariaDB catalog reader: `information_schema` for the connection's
//! current database (`DATABASE()`), three queries whatever its size.
//!
//! Facts particular to MySQL:
//! - Every catalog string is read through `CAST(... AS CHAR)`: some MySQL and
//!   MariaDB versions return `information_schema` columns as binary strings.
//! - Relations read: base tables, system-versioned tables and views (MariaDB
//!   sequences are not tables and are left out).
//! - Types as `COLUMN_TYPE` spells them (`varchar(200)`, `int(11)`,
//!   `decimal(10,2)`, `enum('a','b')`); a column holds text when its
//!   `DATA_TYPE` is a character or enum type (`set` values are combinations,
//!   not words).
//! - Row counts are `TABLE_ROWS`: exact for MyISAM, an estimate for InnoDB
//!   (refreshed by `ANALYZE TABLE`); unknown for views.
//! - Keys come from `KEY_COLUMN_USAGE` in `ORDINAL_POSITION` order; a foreign
//!   key into another database is left out.

use sqlx::MySqlPool;

use super::{Catalog, FoundColumn, FoundTable, IntrospectError, KeyColumn, failed};
use crate::dialect::Dialect;

const CURRENT_DATABASE_SQL: &str = "SELECT CAST(DATABASE() AS CHAR)";

const TABLES_SQL: &str = r"
SELECT CAST(TABLE_NAME AS CHAR), TABLE_TYPE = 'VIEW', CAST(TABLE_ROWS AS SIGNED)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')";

const COLUMNS_SQL: &str = r"
SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR),
       IS_NULLABLE = 'YES', CAST(DATA_TYPE AS CHAR)
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, ORDINAL_POSITION";

const KEYS_SQL: &str = r"
SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR),
       CAST(REFERENCED_TABLE_NAME AS CHAR), CAST(REFERENCED_COLUMN_NAME AS CHAR)
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = DATABASE()
  AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_SCHEMA = TABLE_SCHEMA)
ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION";

/// MySQL names every primary key `PRIMARY`.
const PRIMARY_KEY_NAME: &str = "PRIMARY";

/// `DATA_TYPE`s whose values are text.
const TEXT_DATA_TYPES: &[&str] =
    &["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "nchar", "nvarchar"];

/// (table, is view, TABLE_ROWS).
type TableRow = (String, bool, Option<i64>);
/// (table, column, COLUMN_TYPE, nullable, DATA_TYPE).
type ColumnRow = (String, String, String, bool, String);
/// (table, constraint, column, referenced table, referenced column); the last two NULL for the primary key.
type KeyRow = (String, String, String, Option<String>, Option<String>);

pub(super) async fn read_tables(source_name: &str, pool: &MySqlPool) -> Result<Vec<FoundTable>, IntrospectError> {
    let database: Option<String> = sqlx::query_scalar(CURRENT_DATABASE_SQL)
        .fetch_one(pool)
        .await
        .map_err(failed(source_name, "reading the current database"))?;
    if database.is_none() {
        return Err(IntrospectError::NoDatabase { source_name: source_name.to_string() });
    }
    let listed: Vec<TableRow> =
        sqlx::query_as(TABLES_SQL).fetch_all(pool).await.map_err(failed(source_name, "listing tables"))?;
    let columns: Vec<ColumnRow> =
        sqlx::query_as(COLUMNS_SQL).fetch_all(pool).await.map_err(failed(source_name, "reading columns"))?;
    let keys: Vec<KeyRow> =
        sqlx::query_as(KEYS_SQL).fetch_all(pool).await.map_err(failed(source_name, "reading keys"))?;

    let mut catalog = Catalog::new();
    for (name, is_view, table_rows) in listed {
        let table = FoundTable {
            from_sql: Dialect::MySql.quote_ident(&name),
            name: name.clone(),
            is_view,
            columns: Vec::new(),
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
            approx_rows: table_rows.filter(|_| !is_view).and_then(|n| u64::try_from(n).ok()),
        };
        catalog.add_table(name, table);
    }
    for (table, column, column_type, nullable, data_type) in columns {
        let holds_text = TEXT_DATA_TYPES.contains(&data_type.to_ascii_lowercase().as_str());
        catalog.add_column(&table, FoundColumn::new(column, column_type, nullable, holds_text));
    }
    catalog.add_keys(keys.into_iter().filter_map(|(table, constraint, column, parent, parent_column)| {
        let key_column = match (parent, parent_column) {
            (Some(parent), Some(parent_column)) => KeyColumn::Foreign { constraint, column, parent, parent_column },
            _ if constraint == PRIMARY_KEY_NAME => KeyColumn::Primary { column },
            _ => return None,
        };
        Some((table, key_column))
    }));
    Ok(catalog.into_tables())
}
