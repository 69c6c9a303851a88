//! The introspected shape of one source's database: tables, columns, keys,
//! approximate sizes, sampled values and the value index. Every synthesizer
//! reads this model; introspection (see `introspect`) fills it. The
//! fingerprint covers structure only (names, types, nullability, keys), never
//! row counts, samples or indexed values, so it changes exactly when a cached
//! answer may stop being valid.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dialect::Dialect;
use crate::plan::values::ValueIndex;

/// The schema of one configured source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseSchema {
    /// The configured source name (not a URL).
    pub source: String,
    pub dialect: Dialect,
    /// Tables and views, sorted by name.
    pub tables: Vec<Table>,
    /// Hex SHA-256 over the structure; see [`DatabaseSchema::compute_fingerprint`].
    pub fingerprint: String,
    /// Distinct values of name-like text columns, for value linking (empty
    /// when none was built). Not part of the fingerprint, and not serialized
    /// with the schema: the schema cache stores it beside the schema, in its
    /// own compact form.
    #[serde(skip)]
    pub values: Arc<ValueIndex>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// Columns in their declared order.
    pub columns: Vec<Column>,
    /// Primary-key column names, in key order (empty when there is none).
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Approximate row count from the catalog (or an exact count for SQLite).
    pub approx_rows: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The declared type as the database spells it, e.g. `NVARCHAR(40)`, `numeric(10,2)`.
    pub data_type: String,
    pub nullable: bool,
    /// Distinct values of a low-cardinality text column (at most a few dozen),
    /// for value linking; empty for other columns.
    #[serde(default)]
    pub sample_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// Columns of this table, in order.
    pub columns: Vec<String>,
    pub referenced_table: String,
    /// Columns of the referenced table, matching `columns` position by position.
    pub referenced_columns: Vec<String>,
}

impl DatabaseSchema {
    /// Builds a schema from introspected tables: sorts them and computes the fingerprint.
    pub fn new(source: impl Into<String>, dialect: Dialect, mut tables: Vec<Table>) -> Self {
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        let mut schema = DatabaseSchema {
            source: source.into(),
            dialect,
            tables,
            fingerprint: String::new(),
            values: Arc::default(),
        };
        schema.fingerprint = schema.compute_fingerprint();
        schema
    }

    /// The same schema with `values` as its value index.
    pub fn with_values(mut self, values: ValueIndex) -> Self {
        self.values = Arc::new(values);
        self
    }

    /// SHA-256 over dialect, table names, columns (name, type, nullability) and keys.
    pub fn compute_fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.dialect.name().as_bytes());
        for table in &self.tables {
            hasher.update(b"\x00T");
            hasher.update(table.name.as_bytes());
            for column in &table.columns {
                hasher.update(b"\x00C");
                hasher.update(column.name.as_bytes());
                hasher.update(b"\x01");
                hasher.update(column.data_type.to_ascii_lowercase().as_bytes());
                hasher.update(if column.nullable { b"\x01N" } else { b"\x01R" });
            }
            hasher.update(b"\x00P");
            hasher.update(table.primary_key.join("\x01").as_bytes());
            for fk in &table.foreign_keys {
                hasher.update(b"\x00F");
                hasher.update(fk.columns.join("\x01").as_bytes());
                hasher.update(b"\x02");
                hasher.update(fk.referenced_table.as_bytes());
                hasher.update(b"\x02");
                hasher.update(fk.referenced_columns.join("\x01").as_bytes());
            }
        }
        hex::encode(hasher.finalize())
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name == name)
            .or_else(|| self.tables.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .or_else(|| self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, cols: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: (*c).into(),
                    data_type: "integer".into(),
                    nullable: false,
                    sample_values: vec![],
                })
                .collect(),
            primary_key: vec![cols[0].into()],
            foreign_keys: vec![],
            approx_rows: Some(1),
        }
    }

    #[test]
    fn fingerprint_ignores_order_counts_samples_and_values_but_not_structure() {
        let a = DatabaseSchema::new("s", Dialect::Sqlite, vec![table("b", &["id"]), table("a", &["id", "x"])]);
        let mut reordered = vec![table("a", &["id", "x"]), table("b", &["id"])];
        reordered[0].approx_rows = Some(99);
        reordered[0].columns[1].sample_values = vec!["v".into()];
        let mut values = crate::plan::values::ValueIndexBuilder::new(10);
        values.begin_column("a", "x");
        values.offer("Jimi Hendrix");
        let b = DatabaseSchema::new("s", Dialect::Sqlite, reordered).with_values(values.finish());
        assert_eq!(b.values.len(), 1);
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(b.compute_fingerprint(), b.fingerprint);

        let added = DatabaseSchema::new("s", Dialect::Sqlite, vec![table("a", &["id", "x", "y"]), table("b", &["id"])]);
        assert_ne!(a.fingerprint, added.fingerprint);
        let dropped = DatabaseSchema::new("s", Dialect::Sqlite, vec![table("a", &["id", "x"])]);
        assert_ne!(a.fingerprint, dropped.fingerprint);
    }
}
