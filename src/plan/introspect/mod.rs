//! Schema introspection: reads a source's catalog into a [`DatabaseSchema`].
//!
//! One reader per dialect (`sqlite`, `postgres`, `mysql`) turns its
//! catalog into `FoundTable`s: tables and views, columns in declared order
//! with the type as the database spells it, primary and foreign keys in key
//! order, and approximate row counts. What every dialect shares lives here and
//! in `sampling` and `value_index`: the distinct values of low-cardinality
//! text columns, the value index of name-like text columns
//! ([`crate::plan::values`]), and the normalisation that makes the result
//! deterministic (tables sorted by [`DatabaseSchema::new`], columns in ordinal
//! order, foreign keys and sample values sorted).
//!
//! Which tables, and how they are named:
//! - SQLite: the `main` database, without its internal `sqlite_%` tables.
//! - MySQL/MariaDB: the connection's current database (`DATABASE()`); a URL
//!   that names none is an error rather than an empty schema.
//! - PostgreSQL: every schema the connection may use, except the system
//!   schemas and objects that belong to extensions. Tables of
//!   `current_schema()` (normally `public`) keep their bare name; any other is
//!   named `schema.table`, which is how SQL must refer to it.
//!
//! Cost: the catalog is read with a few queries per source (SQLite: a few per
//! table), whatever the data size; sampling and the value index are bounded
//! separately (see `sampling` and `value_index`). Catalog failures are errors
//! naming the source and the step; a failed sampling or index query only costs
//! that column its samples or indexed values.
//!
//! [`fingerprint`] is the cheap, structure-only mode the schema cache uses to
//! re-validate an entry: the same catalog queries, but no sampling, no value
//! index and no row counting (SQLite would otherwise count every table without statistics).

mod mysql;
mod postgres;
mod sampling;
mod sqlite;
mod value_index;

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Instant;

use tracing::debug;

use crate::db::SourcePool;
use crate::plan::schema::{Column, DatabaseSchema, ForeignKey, Table};
use crate::plan::values::DEFAULT_VALUE_INDEX_LIMIT;
use crate::secret::redact;

/// Why a source's schema could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// A catalog query failed; `step` says which one.
    #[error("source '{source_name}': introspection failed while {step}: {message}")]
    Catalog { source_name: String, step: String, message: String },
    /// The connection has no current database to describe (a MySQL URL without a database).
    #[error("source '{source_name}': the connection has no current database; name one in the source URL")]
    NoDatabase { source_name: String },
}

impl IntrospectError {
    /// A catalog failure, with the driver's message scrubbed of secrets.
    fn catalog(source_name: &str, step: &str, error: &sqlx::Error) -> Self {
        IntrospectError::Catalog {
            source_name: source_name.to_string(),
            step: step.to_string(),
            message: redact(&error.to_string()),
        }
    }
}

/// `map_err` adapter for a catalog query: `.map_err(failed(source, "listing tables"))`.
fn failed<'a>(source_name: &'a str, step: &'a str) -> impl FnOnce(sqlx::Error) -> IntrospectError + 'a {
    move |error| IntrospectError::catalog(source_name, step, &error)
}

/// What a full introspection reads beyond the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntrospectOptions {
    /// Most values in the value index (`sources.<name>.value_index_limit`); 0 builds none.
    pub value_index_limit: usize,
}

impl Default for IntrospectOptions {
    fn default() -> Self {
        IntrospectOptions { value_index_limit: DEFAULT_VALUE_INDEX_LIMIT }
    }
}

/// [`introspect_with`] with the default options (a value index of at most
/// [`DEFAULT_VALUE_INDEX_LIMIT`] values).
pub async fn introspect(source_name: &str, pool: &SourcePool) -> Result<DatabaseSchema, IntrospectError> {
    introspect_with(source_name, pool, &IntrospectOptions::default()).await
}

/// Reads tables (and views), columns (declared type as the database spells it,
/// nullability), primary keys, foreign keys (composite too, in key order),
/// approximate row counts, sample distinct values of low-cardinality text
/// columns, and the value index of name-like text columns (`value_index`).
pub async fn introspect_with(
    source_name: &str,
    pool: &SourcePool,
    options: &IntrospectOptions,
) -> Result<DatabaseSchema, IntrospectError> {
    let started = Instant::now();
    let mut found = read_structure(source_name, pool, true).await?;
    let sampled_columns = sampling::sample_values(source_name, pool, &mut found).await;
    let values = value_index::build(source_name, pool, &found, options.value_index_limit).await;
    let tables: Vec<Table> = found.into_iter().map(FoundTable::into_table).collect();
    debug!(
        source = source_name,
        tables = tables.len(),
        sampled_columns,
        indexed_values = values.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "schema introspected"
    );
    Ok(DatabaseSchema::new(source_name, pool.dialect(), tables).with_values(values))
}

/// The schema fingerprint ([`DatabaseSchema::compute_fingerprint`]) of what
/// [`introspect`] would read now, from the catalog alone: no sampling, no row
/// counting. Equal to the full schema's fingerprint whenever the structure is.
pub async fn fingerprint(source_name: &str, pool: &SourcePool) -> Result<String, IntrospectError> {
    let found = read_structure(source_name, pool, false).await?;
    let tables: Vec<Table> = found.into_iter().map(FoundTable::into_table).collect();
    Ok(DatabaseSchema::new(source_name, pool.dialect(), tables).fingerprint)
}

/// The catalog's tables, sorted by name, without the views that cannot be
/// read; `count_rows` lets SQLite count tables that have no statistics.
async fn read_structure(
    source_name: &str,
    pool: &SourcePool,
    count_rows: bool,
) -> Result<Vec<FoundTable>, IntrospectError> {
    let mut found = match pool {
        SourcePool::Sqlite(pool) => sqlite::read_tables(source_name, pool, count_rows).await?,
        SourcePool::Postgres(pool) => postgres::read_tables(source_name, pool).await?,
        SourcePool::MySql(pool) => mysql::read_tables(source_name, pool).await?,
    };
    // A view whose columns cannot be read (MySQL keeps views over dropped tables) cannot be queried either.
    found.retain(|table| !(table.is_view && table.columns.is_empty()));
    // Sorted before sampling, so that its caps pick the same columns every time.
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// A table or view as a dialect reader found it, before sampling.
#[derive(Debug, Clone, PartialEq)]
struct FoundTable {
    /// The name SQL uses for it (see the module doc for PostgreSQL schemas).
    name: String,
    /// The quoted reference to put after `FROM`, e.g. `"sales"."orders"`.
    from_sql: String,
    /// Views are described but never counted or sampled: reading one can cost an arbitrary query.
    is_view: bool,
    columns: Vec<FoundColumn>,
    primary_key: Vec<String>,
    foreign_keys: Vec<ForeignKey>,
    approx_rows: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
struct FoundColumn {
    column: Column,
    /// Whether the dialect's type system says the column holds text (a sampling candidate).
    holds_text: bool,
}

impl FoundColumn {
    fn new(name: String, data_type: String, nullable: bool, holds_text: bool) -> Self {
        FoundColumn { column: Column { name, data_type, nullable, sample_values: Vec::new() }, holds_text }
    }
}

impl FoundTable {
    /// Whether `column` belongs to the primary key or to any foreign key.
    fn is_key_column(&self, column: &str) -> bool {
        self.primary_key.iter().any(|c| c == column)
            || self.foreign_keys.iter().any(|fk| fk.columns.iter().any(|c| c == column))
    }

    /// The model's table, with foreign keys in a stable order (catalogs list them arbitrarily).
    fn into_table(self) -> Table {
        let mut foreign_keys = self.foreign_keys;
        foreign_keys.sort_by(|a, b| {
            (&a.columns, &a.referenced_table, &a.referenced_columns).cmp(&(
                &b.columns,
                &b.referenced_table,
                &b.referenced_columns,
            ))
        });
        foreign_keys.dedup();
        Table {
            name: self.name,
            columns: self.columns.into_iter().map(|c| c.column).collect(),
            primary_key: self.primary_key,
            foreign_keys,
            approx_rows: self.approx_rows,
        }
    }
}

/// One row of a key constraint as a catalog lists it: constraint by constraint, in key order.
/// `T` names a table (an oid, a name), `C` a constraint.
enum KeyColumn<T, C> {
    Primary { column: String },
    Foreign { constraint: C, column: String, parent: T, parent_column: String },
}

/// Tables being assembled from catalog rows that name their table by `T`.
struct Catalog<T> {
    tables: Vec<FoundTable>,
    index_of: HashMap<T, usize>,
}

impl<T: Hash + Eq> Catalog<T> {
    fn new() -> Self {
        Catalog { tables: Vec::new(), index_of: HashMap::new() }
    }

    fn add_table(&mut self, id: T, table: FoundTable) {
        self.index_of.insert(id, self.tables.len());
        self.tables.push(table);
    }

    /// Appends a column (rows come in ordinal order); a column of an unlisted table is ignored.
    fn add_column(&mut self, table: &T, column: FoundColumn) {
        if let Some(&index) = self.index_of.get(table) {
            self.tables[index].columns.push(column);
        }
    }

    /// Adds key rows; rows of unlisted tables and foreign keys into unlisted tables are ignored.
    fn add_keys<C: PartialEq>(&mut self, rows: impl IntoIterator<Item = (T, KeyColumn<T, C>)>) {
        let mut foreign_key_rows: Vec<Vec<(C, String, String, String)>> = Vec::new();
        foreign_key_rows.resize_with(self.tables.len(), Vec::new);
        for (table, key_column) in rows {
            let Some(&index) = self.index_of.get(&table) else { continue };
            match key_column {
                KeyColumn::Primary { column } => self.tables[index].primary_key.push(column),
                KeyColumn::Foreign { constraint, column, parent, parent_column } => {
                    if let Some(&parent) = self.index_of.get(&parent) {
                        let parent_name = self.tables[parent].name.clone();
                        foreign_key_rows[index].push((constraint, column, parent_name, parent_column));
                    }
                }
            }
        }
        for (table, rows) in self.tables.iter_mut().zip(foreign_key_rows) {
            table.foreign_keys.extend(group_foreign_keys(rows));
        }
    }

    fn into_tables(self) -> Vec<FoundTable> {
        self.tables
    }
}

/// Groups key-column rows, already ordered by constraint and position, into
/// foreign keys: consecutive rows of the same constraint form one key.
fn group_foreign_keys<C: PartialEq>(rows: impl IntoIterator<Item = (C, String, String, String)>) -> Vec<ForeignKey> {
    let mut keys: Vec<(C, ForeignKey)> = Vec::new();
    for (constraint, column, referenced_table, referenced_column) in rows {
        match keys.last_mut() {
            Some((last, fk)) if *last == constraint => {
                fk.columns.push(column);
                fk.referenced_columns.push(referenced_column);
            }
            _ => keys.push((
                constraint,
                ForeignKey { columns: vec![column], referenced_table, referenced_columns: vec![referenced_column] },
            )),
        }
    }
    keys.into_iter().map(|(_, fk)| fk).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fk(columns: &[&str], table: &str, referenced: &[&str]) -> ForeignKey {
        ForeignKey {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            referenced_table: table.into(),
            referenced_columns: referenced.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn consecutive_rows_of_one_constraint_form_one_composite_key() {
        let rows = [
            (1, "b".to_string(), "parent".to_string(), "y".to_string()),
            (1, "a".to_string(), "parent".to_string(), "x".to_string()),
            (2, "c".to_string(), "other".to_string(), "id".to_string()),
        ];
        assert_eq!(
            group_foreign_keys(rows),
            vec![fk(&["b", "a"], "parent", &["y", "x"]), fk(&["c"], "other", &["id"])]
        );
    }

    #[test]
    fn foreign_keys_come_out_sorted_and_key_columns_are_recognised() {
        let found = FoundTable {
            name: "t".into(),
            from_sql: "\"t\"".into(),
            is_view: false,
            columns: vec![],
            primary_key: vec!["id".into()],
            foreign_keys: vec![fk(&["z"], "b", &["id"]), fk(&["a"], "c", &["id"])],
            approx_rows: None,
        };
        assert!(found.is_key_column("id") && found.is_key_column("z") && !found.is_key_column("name"));
        let table = found.into_table();
        assert_eq!(table.foreign_keys, vec![fk(&["a"], "c", &["id"]), fk(&["z"], "b", &["id"])]);
    }

    #[test]
    fn the_catalog_attaches_columns_and_keys_and_ignores_unlisted_tables() {
        let mut catalog = Catalog::new();
        for (id, name) in [(1, "child"), (2, "parent")] {
            let table = FoundTable {
                name: name.into(),
                from_sql: name.into(),
                is_view: false,
                columns: vec![],
                primary_key: vec![],
                foreign_keys: vec![],
                approx_rows: None,
            };
            catalog.add_table(id, table);
        }
        catalog.add_column(&1, FoundColumn::new("a".into(), "int".into(), false, false));
        catalog.add_column(&9, FoundColumn::new("lost".into(), "int".into(), false, false));
        let foreign = |constraint: &str, column: &str, parent: i32, parent_column: &str| KeyColumn::Foreign {
            constraint: constraint.to_string(),
            column: column.into(),
            parent,
            parent_column: parent_column.into(),
        };
        catalog.add_keys([
            (1, KeyColumn::Primary { column: "a".into() }),
            (1, KeyColumn::Primary { column: "b".into() }),
            (1, foreign("fk", "b", 2, "y")),
            (1, foreign("fk", "a", 2, "x")),
            (1, foreign("hidden", "c", 9, "z")),
            (9, KeyColumn::Primary { column: "q".into() }),
        ]);
        let tables = catalog.into_tables();
        assert_eq!(tables[0].columns.len(), 1);
        assert_eq!(tables[0].primary_key, ["a", "b"]);
        assert_eq!(tables[0].foreign_keys, vec![fk(&["b", "a"], "parent", &["y", "x"])]);
        assert!(tables[1].primary_key.is_empty() && tables[1].foreign_keys.is_empty());
    }
}
