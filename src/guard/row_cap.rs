//! The row cap, applied to the accepted query itself so the database stops
//! producing rows at the cap instead of streaming a runaway result that the
//! executor would have to drain. The cap is `max_rows + 1`, so the executor
//! can tell a result that fits from one that was truncated.
//!
//! A literal `LIMIT n` (or MySQL `LIMIT offset, n`) is lowered to the cap when
//! it is larger; a missing limit becomes `LIMIT cap` (keeping any `OFFSET`),
//! which preserves the query's `ORDER BY`. A limit the guard cannot read as a
//! number (an expression, `FETCH FIRST`) is left alone and the query is
//! wrapped instead: `SELECT * FROM (query) AS sqlsynth_capped LIMIT cap`.

use sqlparser::ast::{Expr, LimitClause, Query, Statement, Value, ValueWithSpan};

/// The alias of the wrapping subquery, for the rare query that needs one.
pub const CAPPED_ALIAS: &str = "sqlsynth_capped";

/// How the cap was applied.
#[derive(Debug, PartialEq, Eq)]
pub enum Capped {
    /// The query's own limit now enforces the cap.
    InPlace,
    /// The query must be wrapped (its limit is not a literal number).
    NeedsWrapping,
}

/// Lowers the top-level limit of a query statement to at most `cap` rows.
pub fn cap_rows(statement: &mut Statement, cap: u64) -> Capped {
    match statement {
        Statement::Query(query) => cap_query(query, cap),
        _ => Capped::NeedsWrapping,
    }
}

/// The text of a wrapped, capped query.
pub fn wrap(rendered: &str, cap: u64) -> String {
    format!("SELECT * FROM ({rendered}) AS {CAPPED_ALIAS} LIMIT {cap}")
}

fn cap_query(query: &mut Query, cap: u64) -> Capped {
    if query.fetch.is_some() {
        return Capped::NeedsWrapping;
    }
    match &mut query.limit_clause {
        None => {
            query.limit_clause =
                Some(LimitClause::LimitOffset { limit: Some(number(cap)), offset: None, limit_by: vec![] });
            Capped::InPlace
        }
        Some(LimitClause::LimitOffset { limit, limit_by, .. }) if limit_by.is_empty() => match limit {
            None => {
                *limit = Some(number(cap));
                Capped::InPlace
            }
            Some(expr) => lower(expr, cap),
        },
        Some(LimitClause::OffsetCommaLimit { limit, .. }) => lower(limit, cap),
        Some(_) => Capped::NeedsWrapping,
    }
}

fn lower(limit: &mut Expr, cap: u64) -> Capped {
    match literal(limit) {
        Some(n) if n <= cap => Capped::InPlace,
        Some(_) => {
            *limit = number(cap);
            Capped::InPlace
        }
        None => Capped::NeedsWrapping,
    }
}

fn literal(expr: &Expr) -> Option<u64> {
    match expr {
        Expr::Value(ValueWithSpan { value: Value::Number(n, _), .. }) => n.parse().ok(),
        _ => None,
    }
}

fn number(n: u64) -> Expr {
    Expr::value(Value::Number(n.to_string(), false))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::guard::ReadOnlyGuard;

    fn capped(dialect: Dialect, sql: &str) -> String {
        ReadOnlyGuard::new(dialect).with_row_cap(101).check(sql).unwrap().sql
    }

    #[test]
    fn a_missing_limit_becomes_the_cap_and_keeps_the_order() {
        assert_eq!(capped(Dialect::Sqlite, "SELECT a FROM t ORDER BY a"), "SELECT a FROM t ORDER BY a LIMIT 101");
        assert_eq!(capped(Dialect::Postgres, "SELECT a FROM t OFFSET 5"), "SELECT a FROM t LIMIT 101 OFFSET 5");
    }

    #[test]
    fn larger_limits_are_lowered_and_smaller_ones_kept() {
        assert_eq!(capped(Dialect::Postgres, "SELECT a FROM t LIMIT 5000"), "SELECT a FROM t LIMIT 101");
        assert_eq!(capped(Dialect::Postgres, "SELECT a FROM t LIMIT 7 OFFSET 2"), "SELECT a FROM t LIMIT 7 OFFSET 2");
        assert_eq!(capped(Dialect::MySql, "SELECT a FROM t LIMIT 10, 5000"), "SELECT a FROM t LIMIT 10, 101");
    }

    #[test]
    fn set_operations_and_ctes_are_capped_at_the_top() {
        assert_eq!(
            capped(Dialect::Sqlite, "WITH x AS (SELECT 1 AS a) SELECT a FROM x UNION ALL SELECT 2"),
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x UNION ALL SELECT 2 LIMIT 101"
        );
    }

    #[test]
    fn limits_that_are_not_numbers_are_wrapped() {
        assert_eq!(
            capped(Dialect::Postgres, "SELECT a FROM t FETCH FIRST 5 ROWS ONLY"),
            "SELECT * FROM (SELECT a FROM t FETCH FIRST 5 ROWS ONLY) AS sqlsynth_capped LIMIT 101"
        );
        assert_eq!(
            capped(Dialect::Postgres, "SELECT a FROM t LIMIT (SELECT 5)"),
            "SELECT * FROM (SELECT a FROM t LIMIT (SELECT 5)) AS sqlsynth_capped LIMIT 101"
        );
    }

    #[test]
    fn without_a_cap_the_query_is_unchanged() {
        assert_eq!(ReadOnlyGuard::new(Dialect::Sqlite).check("SELECT a FROM t").unwrap().sql, "SELECT a FROM t");
    }
}
