//! The three SQL dialects sqlsynth speaks, and the few facts every stage needs
//! about them: how a source URL names one, how identifiers are quoted, and
//! which `sqlparser` dialect parses its SQL (never the generic one).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A database family. MariaDB is served by [`Dialect::MySql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    /// The dialect a source URL's scheme names, if it names one we support.
    pub fn from_url(url: &str) -> Option<Dialect> {
        let scheme = url.split_once("://")?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            _ => None,
        }
    }

    /// Quotes an identifier so that any name, keyword or not, reads back exactly.
    pub fn quote_ident(self, name: &str) -> String {
        match self {
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
            Dialect::Sqlite | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// Quotes a string literal for this dialect.
    pub fn quote_str(self, value: &str) -> String {
        match self {
            Dialect::MySql => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''")),
            Dialect::Sqlite | Dialect::Postgres => format!("'{}'", value.replace('\'', "''")),
        }
    }

    /// The `sqlparser` dialect that parses this database's SQL.
    pub fn parser_dialect(self) -> Box<dyn sqlparser::dialect::Dialect> {
        match self {
            Dialect::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
            Dialect::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
            Dialect::MySql => Box::new(sqlparser::dialect::MySqlDialect {}),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes_name_their_dialect() {
        assert_eq!(Dialect::from_url("sqlite://a.db"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::from_url("postgresql://h/db"), Some(Dialect::Postgres));
        assert_eq!(Dialect::from_url("MARIADB://h/db"), Some(Dialect::MySql));
        assert_eq!(Dialect::from_url("oracle://h/db"), None);
        assert_eq!(Dialect::from_url("no scheme"), None);
    }

    #[test]
    fn quoting_escapes_the_quote_character() {
        assert_eq!(Dialect::Postgres.quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::MySql.quote_ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Sqlite.quote_str("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::MySql.quote_str("a\\'"), "'a\\\\'''");
    }
}
