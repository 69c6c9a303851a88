//! PostgreSQL catalog reader: three `pg_catalog` queries (relations, columns,
//! key constraints) whatever the number of tables.
//!
//! Facts particular to PostgreSQL:
//! - Relations read: tables, partitioned tables (not their partitions), views,
//!   materialized views and foreign tables, in every schema the connection may
//!   use (`USAGE`) that it may `SELECT` from, except `pg_*` and
//!   `information_schema` schemas and objects owned by extensions.
//! - Naming: a relation of `current_schema()` keeps its bare name, any other is
//!   `schema.table` (see the module doc of `introspect`).
//! - Types as `format_type` spells them (`character varying(200)`,
//!   `numeric(10,2)`, `timestamp without time zone`, an enum's type name); a
//!   column holds text when its type (or a domain's base type) is in the string
//!   category or is an enum.
//! - Row counts are `reltuples`, the planner's estimate (exact right after
//!   `ANALYZE`); `-1` (never analysed) and views are unknown.
//! - Keys come from `pg_constraint` in key order (without the copies that
//!   partitioning makes); a foreign key to a relation the connection cannot
//!   read is left out.

use sqlx::PgPool;

use super::{Catalog, FoundColumn, FoundTable, IntrospectError, KeyColumn, failed};
use crate::dialect::Dialect;

const RELATIONS_SQL: &str = r"
SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind IN ('v', 'm'),
       CASE WHEN c.relkind = 'v' OR c.reltuples < 0 THEN NULL ELSE c.reltuples::int8 END,
       COALESCE(n.nspname = current_schema(), false)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
  AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

const COLUMNS_SQL: &str = r"
SELECT a.attrelid::int8, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       COALESCE(base.typcategory, t.typcategory) = 'S' OR COALESCE(base.typtype, t.typtype) = 'e'
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type base ON t.typtype = 'd' AND base.oid = t.typbasetype
WHERE a.attrelid::int8 = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum";

const KEYS_SQL: &str = r"
SELECT con.conrelid::int8, con.oid::int8, con.contype = 'p', con.confrelid::int8, a.attname::text,
       COALESCE(r.attname::text, '')
FROM pg_catalog.pg_constraint con
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, referenced_attnum, position)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
LEFT JOIN pg_catalog.pg_attribute r ON r.attrelid = con.confrelid AND r.attnum = k.referenced_attnum
WHERE con.contype IN ('p', 'f') AND con.conparentid = 0 AND con.conrelid::int8 = ANY($1)
ORDER BY con.conrelid, con.oid, k.position";

/// (relation oid, schema, name, is view, reltuples or NULL, in the current schema).
type RelationRow = (i64, String, String, bool, Option<i64>, bool);
/// (relation oid, column, type, nullable, holds text).
type ColumnRow = (i64, String, String, bool, bool);
/// (relation oid, constraint oid, is primary key, referenced oid, column, referenced column).
type KeyRow = (i64, i64, bool, i64, String, String);

pub(super) async fn read_tables(source_name: &str, pool: &PgPool) -> Result<Vec<FoundTable>, IntrospectError> {
    let relations: Vec<RelationRow> =
        sqlx::query_as(RELATIONS_SQL).fetch_all(pool).await.map_err(failed(source_name, "listing tables"))?;
    let oids: Vec<i64> = relations.iter().map(|r| r.0).collect();
    let columns: Vec<ColumnRow> = sqlx::query_as(COLUMNS_SQL)
        .bind(&oids)
        .fetch_all(pool)
        .await
        .map_err(failed(source_name, "reading columns"))?;
    let keys: Vec<KeyRow> =
        sqlx::query_as(KEYS_SQL).bind(&oids).fetch_all(pool).await.map_err(failed(source_name, "reading keys"))?;

    let mut catalog = Catalog::new();
    for (oid, schema, name, is_view, reltuples, in_current_schema) in relations {
        let table = FoundTable {
            name: if in_current_schema { name.clone() } else { format!("{schema}.{name}") },
            from_sql: format!("{}.{}", Dialect::Postgres.quote_ident(&schema), Dialect::Postgres.quote_ident(&name)),
            is_view,
            columns: Vec::new(),
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
            approx_rows: reltuples.and_then(|n| u64::try_from(n).ok()),
        };
        catalog.add_table(oid, table);
    }
    for (oid, column, data_type, nullable, holds_text) in columns {
        catalog.add_column(&oid, FoundColumn::new(column, data_type, nullable, holds_text));
    }
    catalog.add_keys(keys.into_iter().map(|(oid, constraint, is_primary, parent, column, parent_column)| {
        let key_column = if is_primary {
            KeyColumn::Primary { column }
        } else {
            KeyColumn::Foreign { constraint, column, parent, parent_column }
        };
        (oid, key_column)
    }));
    Ok(catalog.into_tables())
}
