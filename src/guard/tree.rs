//! The walk over a parsed statement that decides whether it only reads.
//!
//! sqlparser's `Visitor` reaches every node: nested statements (a data-modifying
//! CTE is a `DELETE` statement inside a query), every query (CTEs, derived
//! tables, subqueries in any expression), every `SELECT`, every table factor
//! (table functions such as `generate_series`), every table name and every
//! expression (projections, `WHERE`, `HAVING`, `ORDER BY`, function
//! arguments, `CASE`, window specifications). The first offending node ends
//! the walk with its reason.
//!
//! MySQL string literals get one more check: a quote escaped with a backslash
//! (`'it\'s'`) ends the literal early on a server in `NO_BACKSLASH_ESCAPES`
//! mode, turning the rest of the "string" into code the walk never saw. Such
//! literals are refused (`'it''s'` says the same in every mode), so every
//! literal ends where the server ends it.
//!
//! Invariant: every node kind that can write, lock, leave the query or call a
//! function is checked here; [`super::functions`] and [`super::relations`]
//! hold the name lists.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, ObjectName, Query, Select, SetExpr, Statement, TableFactor, Value, ValueWithSpan, Visit,
    Visitor,
};

use super::GuardError;
use super::functions::check_function;
use super::relations::check_relation;
use crate::dialect::Dialect;

/// Accepts a statement whose every node only reads, or gives the first reason it does not.
pub(super) fn check_read_only(dialect: Dialect, statement: &Statement) -> Result<(), GuardError> {
    match statement.visit(&mut ReadOnlyVisitor { dialect }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(rejection) => Err(rejection),
    }
}

struct ReadOnlyVisitor {
    dialect: Dialect,
}

impl Visitor for ReadOnlyVisitor {
    type Break = GuardError;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<GuardError> {
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            other => reject(format!("{} is not a read-only query", statement_kind(other))),
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<GuardError> {
        if let Some(lock) = query.locks.first() {
            return reject(format!("locking clause {lock} is not allowed"));
        }
        // sqlparser builds these only for other dialects; refuse them should a later version parse them in ours.
        if query.for_clause.is_some()
            || query.settings.is_some()
            || query.format_clause.is_some()
            || !query.pipe_operators.is_empty()
        {
            return reject(format!("this query clause is not supported in {}", self.dialect));
        }
        reject_table_shorthand(&query.body)
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<GuardError> {
        if select.into.is_some() {
            return reject("SELECT ... INTO writes a table");
        }
        if !select.optimizer_hints.is_empty() {
            return reject("optimizer hint /*+ ... */ is not allowed");
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<GuardError> {
        match factor {
            TableFactor::Table { name, args: Some(_), .. } | TableFactor::Function { name, .. } => {
                verdict(check_function(self.dialect, name))
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<GuardError> {
        verdict(check_relation(self.dialect, relation))
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<GuardError> {
        match expr {
            Expr::Function(function) => verdict(check_function(self.dialect, &function.name)),
            Expr::BinaryOp { op: BinaryOperator::Assignment, .. } => {
                reject("variable assignment := is not allowed: it changes session state")
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_value(&mut self, value: &ValueWithSpan) -> ControlFlow<GuardError> {
        if self.dialect != Dialect::MySql {
            return ControlFlow::Continue(());
        }
        let escaped_quote = match &value.value {
            Value::SingleQuotedString(raw) | Value::NationalStringLiteral(raw) => has_backslash_escaped(raw, '\''),
            Value::DoubleQuotedString(raw) => has_backslash_escaped(raw, '"'),
            _ => false,
        };
        if escaped_quote {
            return reject(
                "MySQL string literal with a backslash-escaped quote is not allowed: double the quote instead",
            );
        }
        ControlFlow::Continue(())
    }
}

/// Whether the raw text of a literal holds `quote` escaped by a backslash (an
/// odd run of backslashes before it; `\\'` is an escaped backslash and a quote).
fn has_backslash_escaped(raw: &str, quote: char) -> bool {
    let mut backslashes = 0;
    for c in raw.chars() {
        if c == quote && backslashes % 2 == 1 {
            return true;
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
    }
    false
}

/// `TABLE t` escapes the table-name checks (sqlparser keeps its name as plain
/// text), and a query never needs it: `SELECT * FROM t` says the same.
fn reject_table_shorthand(body: &SetExpr) -> ControlFlow<GuardError> {
    match body {
        SetExpr::Table(_) => reject("TABLE shorthand is not allowed: write SELECT * FROM"),
        SetExpr::SetOperation { left, right, .. } => {
            reject_table_shorthand(left)?;
            reject_table_shorthand(right)
        }
        _ => ControlFlow::Continue(()),
    }
}

/// The leading keyword of a statement (`DELETE`, `PRAGMA`, `EXPLAIN`), for a rejection.
fn statement_kind(statement: &Statement) -> String {
    let rendered = statement.to_string();
    match rendered.split_whitespace().next() {
        Some(word) if word.chars().all(|c| c.is_ascii_alphabetic()) => word.to_ascii_uppercase(),
        _ => "this statement".to_string(),
    }
}

fn reject(reason: impl Into<String>) -> ControlFlow<GuardError> {
    ControlFlow::Break(GuardError::new(reason))
}

fn verdict(check: Result<(), GuardError>) -> ControlFlow<GuardError> {
    match check {
        Ok(()) => ControlFlow::Continue(()),
        Err(rejection) => ControlFlow::Break(rejection),
    }
}

#[cfg(test)]
mod tests {
    use super::super::read_only::parse;
    use super::*;

    fn walk(dialect: Dialect, sql: &str) -> Result<(), String> {
        let statements = parse(dialect, sql).expect("test SQL parses");
        assert_eq!(statements.len(), 1);
        check_read_only(dialect, &statements[0]).map_err(|e| e.reason)
    }

    #[test]
    fn statement_kind_is_the_leading_keyword() {
        let statements = parse(Dialect::Sqlite, "pragma foo = 1").unwrap();
        assert_eq!(statement_kind(&statements[0]), "PRAGMA");
    }

    #[test]
    fn functions_are_found_wherever_they_hide() {
        let hiding_places = [
            "SELECT (SELECT max(x) FROM (SELECT pg_sleep(1) AS x) d)",
            "WITH c AS (SELECT 1 AS a) SELECT a FROM c WHERE a IN (SELECT pg_sleep(1))",
            "SELECT 1 FROM t GROUP BY a HAVING count(*) > pg_sleep(1)",
            "SELECT 1 FROM t ORDER BY pg_sleep(1)",
            "SELECT CASE WHEN a THEN 1 ELSE pg_sleep(1) END FROM t",
            "SELECT lower(upper(pg_sleep(1)::text))",
            "SELECT rank() OVER (PARTITION BY pg_sleep(1) ORDER BY a) FROM t",
            "SELECT 1 FROM a JOIN b ON a.id = b.id AND pg_sleep(1) IS NULL",
            "SELECT * FROM t, LATERAL pg_sleep(1) s",
            "SELECT * FROM pg_sleep(1)",
            "SELECT 1 UNION SELECT pg_sleep(1)",
            "VALUES (1), (pg_sleep(1))",
        ];
        for sql in hiding_places {
            let reason = walk(Dialect::Postgres, sql).expect_err(sql);
            assert!(reason.contains("pg_sleep"), "{sql}: {reason}");
        }
    }

    #[test]
    fn table_functions_are_checked_like_calls() {
        assert_eq!(walk(Dialect::Postgres, "SELECT g FROM generate_series(1, 10) AS g"), Ok(()));
        assert_eq!(walk(Dialect::Sqlite, "SELECT value FROM json_each('[1, 2]')"), Ok(()));
        let reason = walk(Dialect::Sqlite, "SELECT * FROM pragma_table_info('t')").unwrap_err();
        assert!(reason.contains("pragma_table_info is not on the allowlist"), "{reason}");
    }

    #[test]
    fn backslash_escaped_quotes_are_told_from_escaped_backslashes() {
        assert!(has_backslash_escaped(r"it\'s", '\''));
        assert!(has_backslash_escaped(r"a\\\'b", '\''));
        assert!(!has_backslash_escaped(r"a\\''b", '\''));
        assert!(!has_backslash_escaped(r"C:\temp\", '\''));
        assert!(!has_backslash_escaped(r#"say \"hi\""#, '\''));
        assert!(walk(Dialect::MySql, r"SELECT 'it\'s'").unwrap_err().contains("backslash-escaped quote"));
        assert_eq!(walk(Dialect::Postgres, r"SELECT E'it\'s'"), Ok(()));
    }

    #[test]
    fn nested_writes_are_found() {
        let reason = walk(Dialect::Postgres, "SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) x");
        assert_eq!(reason, Err("DELETE is not a read-only query".to_string()));
    }
}
