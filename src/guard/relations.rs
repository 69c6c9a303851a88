//! Tables and schemas a guarded query may not read, because they hold
//! credentials or server internals rather than the data a report asks about.
//!
//! This is defence in depth: the database role a source connects with should
//! not be able to read them either. Invariants: names compare
//! case-insensitively; PostgreSQL catalog tables are matched by their last
//! part (they resolve unqualified through `pg_catalog`); a MySQL system schema
//! is matched by the schema part of a qualified name.

use sqlparser::ast::ObjectName;

use super::GuardError;
use crate::dialect::Dialect;

/// PostgreSQL catalog tables and views that expose credentials or server files.
const POSTGRES_SENSITIVE_TABLES: &[&str] = &[
    "pg_authid",
    "pg_shadow",
    "pg_user_mapping",
    "pg_user_mappings",
    "pg_hba_file_rules",
    "pg_ident_file_mappings",
    "pg_file_settings",
    "pg_largeobject",
];

/// MySQL/MariaDB schemas that hold accounts, grants and other sessions' SQL.
const MYSQL_SENSITIVE_SCHEMAS: &[&str] = &["mysql", "performance_schema"];

/// Accepts a reference to the table `name` in `dialect`, or says why not.
pub(super) fn check_relation(dialect: Dialect, name: &ObjectName) -> Result<(), GuardError> {
    let parts: Vec<String> =
        name.0.iter().map(|part| part.as_ident().map_or_else(String::new, |i| i.value.to_ascii_lowercase())).collect();
    let denied = match (dialect, parts.as_slice()) {
        (Dialect::Postgres, [.., table]) => POSTGRES_SENSITIVE_TABLES.contains(&table.as_str()),
        (Dialect::MySql, [schema, _, ..]) => MYSQL_SENSITIVE_SCHEMAS.contains(&schema.as_str()),
        _ => false,
    };
    if denied {
        Err(GuardError::new(format!("table {name} is not allowed: it exposes credentials or server internals")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::ast::{Ident, ObjectNamePart};

    use super::*;

    fn name(parts: &[&str]) -> ObjectName {
        ObjectName(parts.iter().map(|p| ObjectNamePart::Identifier(Ident::new(*p))).collect())
    }

    #[test]
    fn postgres_credential_tables_are_denied_qualified_or_not() {
        assert!(check_relation(Dialect::Postgres, &name(&["pg_shadow"])).is_err());
        assert!(check_relation(Dialect::Postgres, &name(&["pg_catalog", "PG_AUTHID"])).is_err());
        assert!(check_relation(Dialect::Postgres, &name(&["invoice"])).is_ok());
    }

    #[test]
    fn mysql_system_schemas_are_denied_but_a_table_named_user_is_fine() {
        assert!(check_relation(Dialect::MySql, &name(&["mysql", "user"])).is_err());
        assert!(check_relation(Dialect::MySql, &name(&["MySQL", "db"])).is_err());
        assert!(check_relation(Dialect::MySql, &name(&["user"])).is_ok());
        assert!(check_relation(Dialect::Sqlite, &name(&["sqlite_master"])).is_ok());
    }
}
