//! A plain-English restatement of a resolved query, for the manifest's
//! `interpretation` and `sqlsynth ask`: "count of customer where
//! customer.country is 'Brazil'", "sum of invoice_line.unit_price ×
//! invoice_line.quantity per genre.name, top 5". A reader should be able to
//! tell a wrong reading at a glance without reading the SQL.
//!
//! Invariants: made from the same [`Query`] the SQL is rendered from, so the
//! two cannot disagree; columns are named `table.column` (a role's alias for
//! a second instance of a table), values quoted as in the SQL.

use super::catalog::{Catalog, bare_name};
use super::joins::JoinTree;
use super::render::{Expr, Literal, OrderKey, Predicate, Query, Wrap};
use super::shapes::AggFunc;
use super::vocabulary::{CompareOp, DateUnit};

/// The restatement of `query`.
pub(crate) fn restate(catalog: &Catalog, query: &Query) -> String {
    let words = Words { catalog, tree: &query.from };
    let mut text = words.selection(query);
    if !query.group_by.is_empty() && query.wrap.is_none() {
        text.push_str(&format!(" per {}", words.grouping(&query.group_by)));
    }
    if !query.filters.is_empty() {
        text.push_str(&format!(" where {}", words.conditions(Some(query), &query.filters)));
    }
    if !query.having.is_empty() {
        text.push_str(&format!(" having {}", words.conditions(Some(query), &query.having)));
    }
    if let Some(limit) = query.limit {
        text.push_str(&format!(", top {limit}"));
        if let Some((key, descending)) = query.order_by.first() {
            text.push_str(&format!(
                " by {}{}",
                words.order_key(query, key),
                if *descending { "" } else { " ascending" }
            ));
        }
    }
    match &query.wrap {
        Some(Wrap { func: None, .. }) => format!("count of ({text})"),
        Some(Wrap { func: Some(func), .. }) => {
            let per = words.grouping(&query.group_by);
            format!("{} over each {per} of ({text})", function_word(*func))
        }
        None => text,
    }
}

struct Words<'a> {
    catalog: &'a Catalog,
    tree: &'a JoinTree,
}

impl Words<'_> {
    fn selection(&self, query: &Query) -> String {
        let aggregates: Vec<String> = query
            .outputs
            .iter()
            .filter(|o| is_aggregate(&o.expr))
            .map(|o| self.counted(Some(query), &o.expr))
            .collect();
        if !aggregates.is_empty() {
            return aggregates.join(", ");
        }
        let exprs: Vec<Expr> = query.outputs.iter().map(|o| o.expr.clone()).collect();
        let distinct = if query.distinct { "distinct " } else { "" };
        format!("{distinct}{}", self.columns_by_table(&exprs))
    }

    /// "customer (customer_id, first_name)" per table, other expressions as they are.
    fn columns_by_table(&self, exprs: &[Expr]) -> String {
        let mut parts: Vec<(Option<usize>, Vec<String>)> = Vec::new();
        for expr in exprs {
            match expr {
                Expr::Column { node, column } => {
                    let name = self.catalog.column_name(*column).to_string();
                    match parts.iter_mut().find(|(n, _)| *n == Some(*node)) {
                        Some((_, names)) => names.push(name),
                        None => parts.push((Some(*node), vec![name])),
                    }
                }
                other => parts.push((None, vec![self.expr(other)])),
            }
        }
        let parts: Vec<String> = parts
            .into_iter()
            .map(|(node, names)| match node {
                Some(node) => format!("{} ({})", self.table(node), names.join(", ")),
                None => names.join(", "),
            })
            .collect();
        parts.join(", ")
    }

    /// A group key: the table when every key column is one table's ("per customer"), else the columns.
    fn grouping(&self, exprs: &[Expr]) -> String {
        let nodes: Vec<usize> =
            exprs.iter().filter_map(|e| if let Expr::Column { node, .. } = e { Some(*node) } else { None }).collect();
        if exprs.len() > 1 && nodes.len() == exprs.len() && nodes.iter().all(|n| *n == nodes[0]) {
            return self.table(nodes[0]);
        }
        exprs.iter().map(|e| self.expr(e)).collect::<Vec<_>>().join(", ")
    }

    /// Conditions joined by "and"; a half-open date range reads as its year or month.
    fn conditions(&self, query: Option<&Query>, predicates: &[Predicate]) -> String {
        let mut parts = Vec::new();
        let mut i = 0;
        while i < predicates.len() {
            if let (
                Predicate::Compare(a, CompareOp::Ge, Literal::Date(from)),
                Some(Predicate::Compare(b, CompareOp::Lt, Literal::Date(until))),
            ) = (&predicates[i], predicates.get(i + 1))
                && a == b
            {
                let span = if from.month == 1 && until.month == 1 && until.year == from.year + 1 {
                    format!("in {}", from.year)
                } else if *until == from.next() {
                    format!("in {:04}-{:02}", from.year, from.month)
                } else {
                    format!("from {:04}-{:02} until before {:04}-{:02}", from.year, from.month, until.year, until.month)
                };
                parts.push(format!("{} {span}", self.expr(a)));
                i += 2;
                continue;
            }
            parts.push(self.predicate(query, &predicates[i]));
            i += 1;
        }
        parts.join(" and ")
    }

    fn table(&self, node: usize) -> String {
        let node = &self.tree.nodes[node];
        node.alias.clone().unwrap_or_else(|| bare_name(self.catalog.table_name(node.table)).to_string())
    }

    fn expr(&self, expr: &Expr) -> String {
        match expr {
            Expr::Column { node, column } => format!("{}.{}", self.table(*node), self.catalog.column_name(*column)),
            Expr::Year(inner) => format!("year of {}", self.expr(inner)),
            Expr::Month(inner) => format!("month of {}", self.expr(inner)),
            Expr::CountRows => format!("count of {}", self.table(0)),
            Expr::CountDistinct(inner) => format!("count of distinct {}", self.expr(inner)),
            Expr::Aggregate(AggFunc::Sum, inner) if matches!(**inner, Expr::CaseWhen { value: None, .. }) => {
                let Expr::CaseWhen { conditions, .. } = &**inner else { unreachable!("matched above") };
                format!("count where {}", self.conditions(None, conditions))
            }
            Expr::Aggregate(func, inner) => format!("{} of {}", function_word(*func), self.expr(inner)),
            Expr::Product(a, b) => format!("{} × {}", self.expr(a), self.expr(b)),
            Expr::Ratio(a, b) => format!("{} over {}", self.expr(a), self.expr(b)),
            Expr::CaseWhen { conditions, value } => {
                let counted = value.as_ref().map_or_else(|| "1".to_string(), |v| self.expr(v));
                format!("{counted} where {}", self.conditions(None, conditions))
            }
            Expr::Scaled { expr, multiply, divide } => match (multiply, divide) {
                (1, 1) => self.expr(expr),
                (1, divide) => format!("{} ÷ {divide}", self.expr(expr)),
                (multiply, _) => format!("{} × {multiply}", self.expr(expr)),
            },
        }
    }

    fn predicate(&self, query: Option<&Query>, predicate: &Predicate) -> String {
        let quoted = |values: &[String]| values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
        match predicate {
            Predicate::In(expr, values) if values.len() == 1 => format!("{} is {}", self.expr(expr), quoted(values)),
            Predicate::In(expr, values) => format!("{} is one of {}", self.expr(expr), quoted(values)),
            Predicate::NotIn(expr, values) if values.len() == 1 => {
                format!("{} is not {}", self.expr(expr), quoted(values))
            }
            Predicate::NotIn(expr, values) => format!("{} is none of {}", self.expr(expr), quoted(values)),
            Predicate::Compare(expr, op, literal) => {
                let value = match literal {
                    Literal::Number(n) => format!("{n}"),
                    Literal::AverageOf(inner) => format!("the average {}", self.expr(inner)),
                    Literal::Date(ym) => format!("{:04}-{:02}-01", ym.year, ym.month),
                    Literal::Relative { unit, offset, calendar } => relative_words(*unit, *offset, *calendar),
                    Literal::Expr(other) => self.expr(other),
                    Literal::AverageOfTotals { total, key, tree } => {
                        let inner = Words { catalog: self.catalog, tree };
                        format!("the average of sum of {} per {}", inner.expr(total), inner.expr(key))
                    }
                    Literal::AverageWithin { value, key } => format!(
                        "the average {} of rows with the same {}",
                        self.expr(value),
                        self.catalog.column_name(*key)
                    ),
                };
                format!("{} {} {value}", self.counted(query, expr), op.sql())
            }
            Predicate::NotNull(expr) => format!("{} is not empty", self.expr(expr)),
            Predicate::IsNull(expr) => format!("{} is empty", self.expr(expr)),
            Predicate::Flag(expr, set) => format!("{} is {}", self.expr(expr), if *set { "set" } else { "not set" }),
            Predicate::NotExists(absence) => {
                let inner = Words { catalog: self.catalog, tree: &absence.tree };
                let last = absence.tree.nodes.len() - 1;
                let absent = bare_name(inner.catalog.table_name(absence.tree.nodes[last].table)).to_string();
                format!("no {absent} exists for {}", self.expr(&absence.outer))
            }
        }
    }

    /// A row count in HAVING counts the rows its output names ("city_count"), not the root's.
    fn counted(&self, query: Option<&Query>, expr: &Expr) -> String {
        if *expr == Expr::CountRows
            && let Some(query) = query
            && let Some(alias) = query.outputs.iter().find(|o| o.expr == *expr).and_then(|o| o.alias.as_deref())
            && let Some(counted) = alias.strip_suffix("_count")
        {
            return format!("count of {counted}");
        }
        self.expr(expr)
    }

    fn order_key(&self, query: &Query, key: &OrderKey) -> String {
        match key {
            OrderKey::Expr(expr) | OrderKey::Rounded(expr) => self.counted(Some(query), expr),
            OrderKey::Alias(alias) => query
                .outputs
                .iter()
                .find(|o| o.alias.as_deref() == Some(alias.as_str()))
                .map_or_else(|| alias.clone(), |o| self.counted(Some(query), &o.expr)),
        }
    }
}

fn is_aggregate(expr: &Expr) -> bool {
    matches!(expr, Expr::CountRows | Expr::CountDistinct(_) | Expr::Aggregate(..) | Expr::Ratio(..))
}

fn function_word(func: AggFunc) -> &'static str {
    match func {
        AggFunc::Sum => "sum",
        AggFunc::Avg => "average",
        AggFunc::Min => "minimum",
        AggFunc::Max => "maximum",
    }
}

/// "today", "the start of this month", "30 days before today", "the start of the month 1 month before this one".
fn relative_words(unit: DateUnit, offset: i32, calendar: bool) -> String {
    let name = match unit {
        DateUnit::Day => "day",
        DateUnit::Month => "month",
        DateUnit::Year => "year",
    };
    let base = match (calendar, unit) {
        (true, DateUnit::Month | DateUnit::Year) => format!("the start of this {name}"),
        _ => "today".to_string(),
    };
    let plural = if offset.abs() == 1 { "" } else { "s" };
    match offset {
        0 => base,
        n if n < 0 => format!("{base} minus {} {name}{plural}", -n),
        n => format!("{base} plus {n} {name}{plural}"),
    }
}
