//! [`ReadOnlyGuard`]: the gate every piece of SQL passes before it runs.
//!
//! SQL from the synthesizer, the cache or a job's pinned `sql` is untrusted
//! input. The guard accepts exactly one read-only query and returns the SQL to
//! execute, in six steps:
//!
//! 1. [`lexical`](super::lexical): reject MySQL executable comments and
//!    clauses that write files or take locks, before parsing.
//! 2. Parse in the source's own dialect (never the generic one); exactly one
//!    statement, so nothing stacked after a `;` reaches a driver that would run it.
//! 3. [`tree`](super::tree): walk the whole tree; only queries, no writes,
//!    locks or `INTO`, only allowlisted functions.
//! 4. Read off what the query uses ([`uses`](super::uses)): tables, columns
//!    and literal values, before the row cap adds a limit of its own.
//! 5. Apply the row cap, if one is set ([`row_cap`](super::row_cap)).
//! 6. Render the statement back to text and parse that again.
//!
//! Invariants: the returned SQL is the rendering of the checked tree, not the
//! input text, so nothing hidden in a comment reaches the database; and it
//! parses back to the very tree that was checked, so a rendering quirk (say, a
//! MySQL backslash escape) can never turn a checked string literal into code.
//! String literals are parsed without unescaping so they render exactly as
//! written. The guard does not limit cost: the executor's statement timeout
//! and row cap do.

use sqlparser::ast::Statement;
use sqlparser::parser::{Parser, ParserError, ParserOptions};

use super::uses::{SqlUses, sql_uses};
use super::{lexical, row_cap, tree};
use crate::dialect::Dialect;

/// Checks SQL for one source's dialect. Cheap to create and to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOnlyGuard {
    dialect: Dialect,
    row_cap: Option<u64>,
}

/// SQL the guard accepted: the text to execute, and what it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardedSql {
    /// The accepted statement rendered from its parse tree, without comments
    /// or a trailing semicolon.
    pub sql: String,
    /// The tables, columns and literal values of the statement as written
    /// (the row cap's limit is not among them).
    pub uses: SqlUses,
}

/// Why the guard refused a piece of SQL.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rejected by guard: {reason}")]
pub struct GuardError {
    /// A short, specific reason, e.g. "function pg_sleep is not allowed: it can stall the server".
    pub reason: String,
}

impl GuardError {
    pub(super) fn new(reason: impl Into<String>) -> Self {
        GuardError { reason: reason.into() }
    }
}

impl ReadOnlyGuard {
    pub fn new(dialect: Dialect) -> Self {
        ReadOnlyGuard { dialect, row_cap: None }
    }

    /// Limits the accepted query to at most `cap` rows (see the `row_cap` module).
    pub fn with_row_cap(self, cap: u64) -> Self {
        ReadOnlyGuard { row_cap: Some(cap), ..self }
    }

    /// Accepts exactly one read-only query; returns the SQL to execute.
    pub fn check(&self, sql: &str) -> Result<GuardedSql, GuardError> {
        lexical::check_text(self.dialect, sql)?;
        let mut statement = self.parse_one(sql)?;
        tree::check_read_only(self.dialect, &statement)?;
        let uses = sql_uses(&statement);
        let mut wrap_with = None;
        if let Some(cap) = self.row_cap
            && row_cap::cap_rows(&mut statement, cap) == row_cap::Capped::NeedsWrapping
        {
            wrap_with = Some(cap);
        }
        let rendered = statement.to_string();
        match parse(self.dialect, &rendered) {
            Ok(again) if again == [statement] => Ok(GuardedSql {
                sql: wrap_with.map_or_else(|| rendered.clone(), |cap| row_cap::wrap(&rendered, cap)),
                uses,
            }),
            _ => Err(GuardError::new(format!(
                "the query does not read back the same once rendered for {}",
                self.dialect
            ))),
        }
    }

    /// Parses `sql` and insists on exactly one statement.
    fn parse_one(&self, sql: &str) -> Result<Statement, GuardError> {
        let mut statements = parse(self.dialect, sql).map_err(|e| GuardError::new(e.to_string()))?;
        match statements.len() {
            1 => Ok(statements.remove(0)),
            0 => Err(GuardError::new("empty SQL: no statement found")),
            n => Err(GuardError::new(format!("only one statement is allowed (found {n})"))),
        }
    }
}

/// Parses in the source's dialect, keeping string literals exactly as written.
pub(super) fn parse(dialect: Dialect, sql: &str) -> Result<Vec<Statement>, ParserError> {
    let parser_dialect = dialect.parser_dialect();
    let options =
        ParserOptions::new().with_trailing_commas(parser_dialect.supports_trailing_commas()).with_unescape(false);
    Parser::new(&*parser_dialect).with_options(options).try_with_sql(sql)?.parse_statements()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_drops_comments_and_the_trailing_semicolon() {
        let guard = ReadOnlyGuard::new(Dialect::Sqlite);
        assert_eq!(guard.check("SELECT 1 -- DROP TABLE t\n;").unwrap().sql, "SELECT 1");
        assert_eq!(guard.check("/* note */ SELECT /* a */ 2").unwrap().sql, "SELECT 2");
    }

    #[test]
    fn literals_render_as_written() {
        let guard = ReadOnlyGuard::new(Dialect::MySql);
        let sql = r#"SELECT 'C:\\temp\\' AS path, 'it''s' AS a, 'S\_o%' AS b, "double" AS c"#;
        assert_eq!(guard.check(sql).unwrap().sql, sql);
    }

    #[test]
    fn uses_are_read_before_the_row_cap_adds_its_limit() {
        let guarded = ReadOnlyGuard::new(Dialect::Sqlite).with_row_cap(1001).check("SELECT Name FROM Genre").unwrap();
        assert_eq!(guarded.sql, "SELECT Name FROM Genre LIMIT 1001");
        assert_eq!(guarded.uses.tables, ["Genre"]);
        assert_eq!(guarded.uses.columns, ["Genre.Name"]);
        assert!(guarded.uses.values.is_empty(), "{:?}", guarded.uses.values);
        let wrapped = ReadOnlyGuard::new(Dialect::Postgres).with_row_cap(11).check("SELECT a FROM t LIMIT (SELECT 5)");
        assert_eq!(wrapped.unwrap().uses.columns, ["t.a"], "the wrapping subquery is not a table");
    }

    #[test]
    fn the_error_names_the_guard() {
        let error = ReadOnlyGuard::new(Dialect::Postgres).check("DELETE FROM t").unwrap_err();
        assert_eq!(error.to_string(), "rejected by guard: DELETE is not a read-only query");
    }
}
