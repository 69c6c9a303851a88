//! Dialect-correct SQL text for a resolved [`Query`].
//!
//! Invariants: every identifier is quoted with [`Dialect::quote_ident`] in the
//! schema's exact spelling and every column is qualified by its table (or the
//! table's alias); every string literal goes through [`Dialect::quote_str`];
//! aliases are quoted too, so a keyword can never break the SQL. Years and
//! months are extracted as integers in all three dialects, and date filters are
//! half-open ranges on the raw column (`col >= '2021-01-01' AND col < '2022-01-01'`),
//! which SQLite's ISO text dates, PostgreSQL and MySQL all compare correctly.

use crate::dialect::Dialect;

use super::catalog::{Catalog, ColumnId};
use super::joins::{JoinTree, NodeId};
use super::shapes::{AggFunc, ComparisonKind, Period, PeriodComparison, YearMonth};
use super::vocabulary::{CompareOp, DateUnit};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Column {
        node: NodeId,
        column: ColumnId,
    },
    Year(Box<Expr>),
    Month(Box<Expr>),
    CountRows,
    CountDistinct(Box<Expr>),
    Aggregate(AggFunc, Box<Expr>),
    Product(Box<Expr>, Box<Expr>),
    /// `a / b` as a fraction (never integer division), NULL when `b` is 0:
    /// "average order value" is the total over the number of orders.
    Ratio(Box<Expr>, Box<Expr>),
    /// `CASE WHEN <conditions> THEN <value, or 1> ELSE 0 END`: counted or
    /// summed only where the conditions hold (two periods in one grouping).
    CaseWhen {
        conditions: Vec<Predicate>,
        value: Option<Box<Expr>>,
    },
    /// `expr * multiply / divide`, one of them 1: a duration in another unit
    /// ("in minutes" of a `Milliseconds` column: `/ 60000.0`).
    Scaled {
        expr: Box<Expr>,
        multiply: u64,
        divide: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Number(f64),
    /// `(SELECT AVG(expr) FROM <its table>)`: the average over every row of the
    /// one table `expr` reads.
    AverageOf(Box<Expr>),
    /// The first day of a month.
    Date(YearMonth),
    /// A day counted from the day the query runs: today (or the start of
    /// this month or year, when `calendar`) plus `offset` units.
    Relative {
        unit: DateUnit,
        offset: i32,
        calendar: bool,
    },
    /// `(SELECT AVG(peer.value) FROM <its table> AS peer WHERE peer.key =
    /// <row>.key)`: the average over the rows sharing the row's `key` (a
    /// foreign key: "the average salary of their department").
    AverageWithin {
        value: Box<Expr>,
        key: ColumnId,
    },
    /// `(SELECT AVG("total") FROM (SELECT SUM(total) AS "total" FROM <tree>
    /// GROUP BY key) AS "totals")`: the average of the per-row totals ("the
    /// average order value" as the average of each order's lines).
    AverageOfTotals {
        total: Box<Expr>,
        key: Box<Expr>,
        tree: Box<JoinTree>,
    },
    /// Another expression of the row: "more than their manager" compares
    /// `employee.salary` with `manager.salary`.
    Expr(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Predicate {
    /// `expr = 'v'`, or `expr IN ('a', 'b')` for several values.
    In(Expr, Vec<String>),
    Compare(Expr, CompareOp, Literal),
    NotNull(Expr),
    IsNull(Expr),
    /// `expr NOT IN ('a', 'b')` ("customers not in Brazil"; rows whose value is NULL are left out too).
    NotIn(Expr, Vec<String>),
    /// `NOT EXISTS (SELECT 1 FROM <tree> WHERE <tree root>.<column> = <outer>)`.
    NotExists(Box<Absence>),
    /// A yes/no column set (`true`) or not: `= TRUE` for a PostgreSQL
    /// boolean, `= 1` for a number or MySQL's `tinyint(1)`; "not set" also
    /// counts NULL as not set.
    Flag(Expr, bool),
}

/// Rows of another table that must not exist for an outer row: the subquery's
/// own join tree, whose root holds the foreign key (`column`) pointing at `outer`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Absence {
    pub tree: JoinTree,
    pub column: ColumnId,
    pub outer: Expr,
}

/// An outer aggregate over the grouped rows of the inner query:
/// `SELECT COUNT(*)` or `SELECT AVG("inner alias")` `AS alias FROM (inner)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wrap {
    /// `None` counts the inner rows.
    pub func: Option<AggFunc>,
    /// The inner output the function applies to.
    pub over: String,
    pub alias: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Output {
    pub expr: Expr,
    /// Result-column name; `None` keeps the column's own name.
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OrderKey {
    Alias(String),
    Expr(Expr),
    /// A sum or average rounded to 6 decimals, so floating-point noise (SQLite
    /// sums REALs) cannot reorder values that are equal in exact arithmetic.
    Rounded(Expr),
}

/// One SELECT statement (optionally counted by an outer query).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub from: JoinTree,
    pub distinct: bool,
    pub outputs: Vec<Output>,
    pub filters: Vec<Predicate>,
    pub group_by: Vec<Expr>,
    pub having: Vec<Predicate>,
    /// Keys and whether each is descending.
    pub order_by: Vec<(OrderKey, bool)>,
    pub limit: Option<u64>,
    /// When set, the statement is an aggregate over this query's rows (see [`Wrap`]).
    pub wrap: Option<Wrap>,
}

/// The SQL text of a query in the catalog's dialect.
pub(crate) fn render(catalog: &Catalog, query: &Query) -> String {
    let writer = Writer { catalog, dialect: catalog.dialect(), tree: &query.from };
    let inner = writer.select(query);
    let quote = |name: &str| writer.dialect.quote_ident(name);
    match &query.wrap {
        Some(Wrap { func: None, alias, .. }) => {
            format!("SELECT COUNT(*) AS {} FROM ({inner}) AS {}", quote(alias), quote("counted"))
        }
        Some(Wrap { func: Some(func), over, alias }) => {
            format!("SELECT {}({}) AS {} FROM ({inner}) AS {}", func.sql(), quote(over), quote(alias), quote("grouped"))
        }
        None => inner,
    }
}

/// `SELECT 100.0 * (part) / (whole) AS "percentage"` (or `1.0 *` for a
/// share): two scalar subqueries, so the part's joins never drop rows from
/// the whole; NULLIF keeps an empty whole from dividing by zero.
pub(crate) fn render_share(catalog: &Catalog, part: &Query, whole: &Query, percent: bool) -> String {
    let (factor, alias) = if percent { ("100.0", "percentage") } else { ("1.0", "share") };
    format!(
        "SELECT {factor} * ({}) / NULLIF(({}), 0) AS {}",
        render(catalog, part),
        render(catalog, whole),
        catalog.dialect().quote_ident(alias)
    )
}

/// `SELECT "country", 1.0 * "total_revenue" / NULLIF((whole), 0) AS "share"
/// FROM (parts) AS "parts" ORDER BY "share" DESC, "country"`: each group's
/// figure over the figure of all groups (or 100 times it for a percentage).
pub(crate) fn render_share_per_group(catalog: &Catalog, parts: &Query, whole: &Query, percent: bool) -> String {
    let quote = |name: &str| catalog.dialect().quote_ident(name);
    let (factor, alias) = if percent { ("100.0", "percentage") } else { ("1.0", "share") };
    let names: Vec<String> = parts
        .outputs
        .iter()
        .map(|o| o.alias.clone().unwrap_or_else(|| output_name(catalog, &o.expr)))
        .map(|name| quote(&name))
        .collect();
    let (figure, groups) = names.split_last().expect("a figure per group");
    let mut inner = parts.clone();
    inner.order_by.clear();
    let groups = groups.join(", ");
    format!(
        "SELECT {groups}, {factor} * {figure} / NULLIF(({}), 0) AS {} FROM ({}) AS {} ORDER BY {} DESC, {groups}",
        render(catalog, whole),
        quote(alias),
        render(catalog, &inner),
        quote("parts"),
        quote(alias)
    )
}

/// The name a database gives an output without an alias: its column's name.
fn output_name(catalog: &Catalog, expr: &Expr) -> String {
    match expr {
        Expr::Column { column, .. } => catalog.column_name(*column).to_string(),
        _ => "value".to_string(),
    }
}

/// One figure over two periods as a single row: `COALESCE((current), 0) -
/// COALESCE((base), 0) AS "change"`, the same as a percentage of the base
/// (NULL when the base is 0), or both figures side by side, each named after
/// its period (`"order_count_2023"`). An empty period's total counts as 0.
pub(crate) fn render_comparison(
    catalog: &Catalog,
    base: &Query,
    current: &Query,
    comparison: &PeriodComparison,
) -> String {
    let quote = |name: &str| catalog.dialect().quote_ident(name);
    let (base_sql, current_sql) = (render(catalog, base), render(catalog, current));
    let difference = format!("COALESCE(({current_sql}), 0) - COALESCE(({base_sql}), 0)");
    match comparison.kind {
        ComparisonKind::Difference => format!("SELECT {difference} AS {}", quote("change")),
        ComparisonKind::PercentChange => {
            format!("SELECT 100.0 * ({difference}) / NULLIF(({base_sql}), 0) AS {}", quote("percent_change"))
        }
        ComparisonKind::SideBySide => {
            let figure = figure_alias(current);
            format!(
                "SELECT ({current_sql}) AS {}, ({base_sql}) AS {}",
                quote(&format!("{figure}_{}", period_label(&comparison.current))),
                quote(&format!("{figure}_{}", period_label(&comparison.base)))
            )
        }
    }
}

/// `SELECT "year", "month", "order_count" - LAG("order_count") OVER (ORDER
/// BY "year", "month") AS "change" FROM (per period) ORDER BY "year",
/// "month"`: each period's figure minus the previous period's that has rows
/// (NULL for the first), or that as a percentage of the previous.
pub(crate) fn render_over_previous(catalog: &Catalog, per_period: &Query, kind: ComparisonKind) -> String {
    let quote = |name: &str| catalog.dialect().quote_ident(name);
    let aliases: Vec<String> = per_period.outputs.iter().filter_map(|o| o.alias.clone()).collect();
    let (figure, periods) = aliases.split_last().expect("a figure per period");
    let order: Vec<String> = periods.iter().map(|p| quote(p)).collect();
    let order = order.join(", ");
    let previous = format!("LAG({}) OVER (ORDER BY {order})", quote(figure));
    let change = match kind {
        ComparisonKind::PercentChange => {
            format!("100.0 * ({} - {previous}) / NULLIF({previous}, 0) AS {}", quote(figure), quote("percent_change"))
        }
        ComparisonKind::Difference | ComparisonKind::SideBySide => {
            format!("{} - {previous} AS {}", quote(figure), quote("change"))
        }
    };
    let mut inner = per_period.clone();
    inner.order_by.clear();
    format!("SELECT {order}, {change} FROM ({}) AS {} ORDER BY {order}", render(catalog, &inner), quote("periods"))
}

/// The name of a single-figure query's result column.
fn figure_alias(query: &Query) -> String {
    match &query.wrap {
        Some(wrap) => wrap.alias.clone(),
        None => query.outputs.last().and_then(|o| o.alias.clone()).unwrap_or_else(|| "value".to_string()),
    }
}

/// "2023", "2022_03", "2022_01_to_2022_03": a period as part of a column name.
fn period_label(period: &Period) -> String {
    let month = |ym: YearMonth| format!("{:04}_{:02}", ym.year, ym.month);
    match (period.from, period.until) {
        (Some(from), Some(until)) if from.month == 1 && until == YearMonth::start_of(from.year + 1) => {
            format!("{:04}", from.year)
        }
        (Some(from), Some(until)) if from.next() == until => month(from),
        (Some(from), Some(until)) => {
            let mut last = from;
            while last.next() < until {
                last = last.next();
            }
            format!("{}_to_{}", month(from), month(last))
        }
        (Some(from), None) => format!("since_{}", month(from)),
        (None, Some(until)) => format!("before_{}", month(until)),
        (None, None) => "all".to_string(),
    }
}

struct Writer<'a> {
    catalog: &'a Catalog,
    dialect: Dialect,
    tree: &'a JoinTree,
}

impl Writer<'_> {
    fn select(&self, query: &Query) -> String {
        let mut sql = String::from("SELECT ");
        if query.distinct {
            sql.push_str("DISTINCT ");
        }
        let outputs: Vec<String> = query
            .outputs
            .iter()
            .map(|o| match &o.alias {
                Some(alias) => format!("{} AS {}", self.expr(&o.expr), self.dialect.quote_ident(alias)),
                None => self.expr(&o.expr),
            })
            .collect();
        sql.push_str(&outputs.join(", "));
        sql.push_str(" FROM ");
        sql.push_str(&self.tables_clause());
        if !query.filters.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.predicates(&query.filters));
        }
        if !query.group_by.is_empty() {
            let keys: Vec<String> = query.group_by.iter().map(|e| self.expr(e)).collect();
            sql.push_str(" GROUP BY ");
            sql.push_str(&keys.join(", "));
        }
        if !query.having.is_empty() {
            sql.push_str(" HAVING ");
            sql.push_str(&self.predicates(&query.having));
        }
        if !query.order_by.is_empty() {
            let keys: Vec<String> = query
                .order_by
                .iter()
                .map(|(key, descending)| {
                    let key = match key {
                        OrderKey::Alias(alias) => self.dialect.quote_ident(alias),
                        OrderKey::Expr(expr) => self.expr(expr),
                        OrderKey::Rounded(expr) => match self.dialect {
                            Dialect::Postgres => format!("ROUND(CAST({} AS NUMERIC), 6)", self.expr(expr)),
                            Dialect::Sqlite | Dialect::MySql => format!("ROUND({}, 6)", self.expr(expr)),
                        },
                    };
                    if *descending { format!("{key} DESC") } else { key }
                })
                .collect();
            sql.push_str(" ORDER BY ");
            sql.push_str(&keys.join(", "));
        }
        if let Some(limit) = query.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        sql
    }

    fn tables_clause(&self) -> String {
        let mut sql = String::new();
        for (id, node) in self.tree.nodes.iter().enumerate() {
            let table = self.table_ident(self.catalog.table_name(node.table));
            let named = match &node.alias {
                Some(alias) => format!("{table} AS {}", self.dialect.quote_ident(alias)),
                None => table,
            };
            match node.step {
                None => sql.push_str(&named),
                Some((parent, edge)) => {
                    let fk = &self.catalog.schema.tables[edge.fk.table].foreign_keys[edge.fk.index];
                    let (holder, referenced) = if edge.toward_referenced { (parent, id) } else { (id, parent) };
                    let conditions: Vec<String> = fk
                        .columns
                        .iter()
                        .zip(&fk.referenced_columns)
                        .map(|(column, referenced_column)| {
                            format!(
                                "{}.{} = {}.{}",
                                self.qualifier(holder),
                                self.dialect.quote_ident(column),
                                self.qualifier(referenced),
                                self.dialect.quote_ident(self.referenced_spelling(referenced, referenced_column))
                            )
                        })
                        .collect();
                    sql.push_str(&format!(" JOIN {named} ON {}", conditions.join(" AND ")));
                }
            }
        }
        sql
    }

    /// The referenced column as the referenced table spells it (catalogs may differ in case).
    fn referenced_spelling<'n>(&'n self, node: NodeId, name: &'n str) -> &'n str {
        let table = &self.catalog.schema.tables[self.tree.nodes[node].table];
        table.column(name).map_or(name, |c| c.name.as_str())
    }

    fn qualifier(&self, node: NodeId) -> String {
        let node = &self.tree.nodes[node];
        match &node.alias {
            Some(alias) => self.dialect.quote_ident(alias),
            None => self.table_ident(self.catalog.table_name(node.table)),
        }
    }

    /// A table name quoted part by part, so PostgreSQL's `schema.table` stays two identifiers.
    fn table_ident(&self, name: &str) -> String {
        match (self.dialect, name.split_once('.')) {
            (Dialect::Postgres, Some((schema, table))) => {
                format!("{}.{}", self.dialect.quote_ident(schema), self.dialect.quote_ident(table))
            }
            _ => self.dialect.quote_ident(name),
        }
    }

    fn predicates(&self, predicates: &[Predicate]) -> String {
        predicates.iter().map(|p| self.predicate(p)).collect::<Vec<_>>().join(" AND ")
    }

    fn predicate(&self, predicate: &Predicate) -> String {
        match predicate {
            Predicate::In(expr, values) => match values.as_slice() {
                [one] => format!("{} = {}", self.expr(expr), self.dialect.quote_str(one)),
                many => {
                    let list: Vec<String> = many.iter().map(|v| self.dialect.quote_str(v)).collect();
                    format!("{} IN ({})", self.expr(expr), list.join(", "))
                }
            },
            Predicate::Compare(expr, op, literal) => {
                format!("{} {} {}", self.expr(expr), op.sql(), self.literal(literal))
            }
            Predicate::NotNull(expr) => format!("{} IS NOT NULL", self.expr(expr)),
            Predicate::IsNull(expr) => format!("{} IS NULL", self.expr(expr)),
            Predicate::NotIn(expr, values) => {
                let list: Vec<String> = values.iter().map(|v| self.dialect.quote_str(v)).collect();
                format!("{} NOT IN ({})", self.expr(expr), list.join(", "))
            }
            Predicate::Flag(expr, set) => {
                let boolean = match expr {
                    Expr::Column { column, .. } => {
                        let table = &self.catalog.schema.tables[column.table];
                        table.columns[column.column].data_type.to_ascii_lowercase().contains("bool")
                    }
                    _ => false,
                };
                let (yes, no) =
                    if boolean && self.dialect == Dialect::Postgres { ("TRUE", "FALSE") } else { ("1", "0") };
                let value = self.expr(expr);
                if *set { format!("{value} = {yes}") } else { format!("({value} = {no} OR {value} IS NULL)") }
            }
            Predicate::NotExists(absence) => {
                let inner = Writer { catalog: self.catalog, dialect: self.dialect, tree: &absence.tree };
                let key = inner.expr(&Expr::Column { node: 0, column: absence.column });
                format!(
                    "NOT EXISTS (SELECT 1 FROM {} WHERE {key} = {})",
                    inner.tables_clause(),
                    self.expr(&absence.outer)
                )
            }
        }
    }

    fn literal(&self, literal: &Literal) -> String {
        match literal {
            Literal::Number(n) => format_number(*n),
            Literal::AverageOf(expr) => {
                let table = match **expr {
                    Expr::Column { column, .. } => column.table,
                    Expr::Product(ref a, _) => match **a {
                        Expr::Column { column, .. } => column.table,
                        _ => 0,
                    },
                    _ => 0,
                };
                let tree = JoinTree::new(table);
                let inner = Writer { catalog: self.catalog, dialect: self.dialect, tree: &tree };
                format!("(SELECT AVG({}) FROM {})", inner.expr(&rebased(expr)), inner.tables_clause())
            }
            Literal::Date(ym) => self.dialect.quote_str(&format!("{:04}-{:02}-01", ym.year, ym.month)),
            Literal::Relative { unit, offset, calendar } => relative_date(self.dialect, *unit, *offset, *calendar),
            Literal::Expr(expr) => self.expr(expr),
            Literal::AverageOfTotals { total, key, tree } => {
                let inner = Writer { catalog: self.catalog, dialect: self.dialect, tree };
                let alias = self.dialect.quote_ident("total");
                format!(
                    "(SELECT AVG({alias}) FROM (SELECT SUM({}) AS {alias} FROM {} GROUP BY {}) AS {})",
                    inner.expr(total),
                    inner.tables_clause(),
                    inner.expr(key),
                    self.dialect.quote_ident("totals")
                )
            }
            Literal::AverageWithin { value, key } => {
                let outer_node = match **value {
                    Expr::Column { node, .. } => node,
                    _ => 0,
                };
                let peer = self.dialect.quote_ident("peer");
                let table = self.table_ident(self.catalog.table_name(key.table));
                let column = |c: ColumnId| self.dialect.quote_ident(self.catalog.column_name(c));
                let inner = match **value {
                    Expr::Column { column: c, .. } => format!("{peer}.{}", column(c)),
                    _ => self.expr(value),
                };
                format!(
                    "(SELECT AVG({inner}) FROM {table} AS {peer} WHERE {peer}.{} = {}.{})",
                    column(*key),
                    self.qualifier(outer_node),
                    column(*key)
                )
            }
        }
    }

    fn expr(&self, expr: &Expr) -> String {
        match expr {
            Expr::Column { node, column } => {
                format!("{}.{}", self.qualifier(*node), self.dialect.quote_ident(self.catalog.column_name(*column)))
            }
            Expr::Year(inner) => self.date_part(inner, "YEAR", "%Y"),
            Expr::Month(inner) => self.date_part(inner, "MONTH", "%m"),
            Expr::CountRows => "COUNT(*)".to_string(),
            Expr::CountDistinct(inner) => format!("COUNT(DISTINCT {})", self.expr(inner)),
            Expr::Aggregate(func, inner) => format!("{}({})", func.sql(), self.expr(inner)),
            Expr::Product(a, b) => format!("{} * {}", self.expr(a), self.expr(b)),
            Expr::Ratio(a, b) => format!("1.0 * {} / NULLIF({}, 0)", self.expr(a), self.expr(b)),
            Expr::CaseWhen { conditions, value } => format!(
                "CASE WHEN {} THEN {} ELSE 0 END",
                self.predicates(conditions),
                value.as_ref().map_or_else(|| "1".to_string(), |v| self.expr(v))
            ),
            Expr::Scaled { expr, multiply, divide } => match (multiply, divide) {
                (1, 1) => self.expr(expr),
                (1, divide) => format!("{} / {divide}.0", self.expr(expr)),
                (multiply, _) => format!("{} * {multiply}", self.expr(expr)),
            },
        }
    }

    /// The year or month of a date as an integer.
    fn date_part(&self, inner: &Expr, part: &str, strftime: &str) -> String {
        let inner = self.expr(inner);
        match self.dialect {
            Dialect::Sqlite => format!("CAST(strftime('{strftime}', {inner}) AS INTEGER)"),
            Dialect::Postgres => format!("CAST(EXTRACT({part} FROM {inner}) AS INTEGER)"),
            Dialect::MySql => format!("{part}({inner})"),
        }
    }
}

/// The expression with every column on node 0, for a one-table subquery.
fn rebased(expr: &Expr) -> Expr {
    match expr {
        Expr::Column { column, .. } => Expr::Column { node: 0, column: *column },
        Expr::Product(a, b) => Expr::Product(Box::new(rebased(a)), Box::new(rebased(b))),
        Expr::Ratio(a, b) => Expr::Ratio(Box::new(rebased(a)), Box::new(rebased(b))),
        other => other.clone(),
    }
}

/// A number as SQL: whole numbers without a decimal point.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// Today (or the first day of this month or year, when `calendar`) plus
/// `offset` days, months or years, computed by the database when the query
/// runs: a cached answer never goes stale. SQLite's `'now'` is UTC;
/// PostgreSQL's `CURRENT_DATE` and MySQL's `CURDATE()` follow the session's
/// time zone.
fn relative_date(dialect: Dialect, unit: DateUnit, offset: i32, calendar: bool) -> String {
    let (name, sqlite_start) = match unit {
        DateUnit::Day => ("day", None),
        DateUnit::Month => ("month", Some("start of month")),
        DateUnit::Year => ("year", Some("start of year")),
    };
    match dialect {
        Dialect::Postgres => {
            let base = match (calendar, unit) {
                (true, DateUnit::Month | DateUnit::Year) => format!("date_trunc('{name}', CURRENT_DATE)"),
                _ => "CURRENT_DATE".to_string(),
            };
            match offset {
                0 => format!("CAST({base} AS DATE)"),
                _ => format!("CAST({base} + INTERVAL '{offset} {name}' AS DATE)"),
            }
        }
        Dialect::Sqlite => {
            let start = sqlite_start.filter(|_| calendar).map(|s| format!(", '{s}'")).unwrap_or_default();
            let shift = if offset == 0 { String::new() } else { format!(", '{offset:+} {name}'") };
            format!("date('now'{start}{shift})")
        }
        Dialect::MySql => {
            let base = match (calendar, unit) {
                (true, DateUnit::Month) => "DATE_FORMAT(CURDATE(), '%Y-%m-01')",
                (true, DateUnit::Year) => "MAKEDATE(YEAR(CURDATE()), 1)",
                _ => "CURDATE()",
            };
            match offset {
                0 => format!("CAST({base} AS DATE)"),
                _ => format!("CAST({base} + INTERVAL {offset} {} AS DATE)", name.to_uppercase()),
            }
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::offline::catalog::Catalog;
    use crate::synth::offline::fixtures::{column_id, shop, table_id};
    use crate::synth::offline::joins::JoinGraph;

    /// Orders per year and month, counted from customers in two countries, top 3.
    fn sample_sql(dialect: Dialect) -> String {
        let catalog = Catalog::new(&shop(dialect));
        let graph = JoinGraph::new(&catalog);
        let mut tree = JoinTree::new(table_id(&catalog, "orders"));
        let customer = tree.attach(&graph, table_id(&catalog, "customer")).unwrap();
        let date = Expr::Column { node: 0, column: column_id(&catalog, "orders", "order_date") };
        let total = Expr::Aggregate(
            AggFunc::Sum,
            Box::new(Expr::Column { node: 0, column: column_id(&catalog, "orders", "total") }),
        );
        let year = Expr::Year(Box::new(date.clone()));
        let month = Expr::Month(Box::new(date.clone()));
        let query = Query {
            from: tree,
            distinct: false,
            outputs: vec![
                Output { expr: year.clone(), alias: Some("year".into()) },
                Output { expr: month.clone(), alias: Some("month".into()) },
                Output { expr: total.clone(), alias: Some("total".into()) },
            ],
            filters: vec![
                Predicate::In(
                    Expr::Column { node: customer, column: column_id(&catalog, "customer", "country") },
                    vec!["Brazil".into(), "O'Neil".into()],
                ),
                Predicate::Compare(date, CompareOp::Ge, Literal::Date(YearMonth::start_of(2021))),
            ],
            group_by: vec![year, month],
            having: vec![],
            order_by: vec![(OrderKey::Rounded(total), true)],
            limit: Some(3),
            wrap: None,
        };
        render(&catalog, &query)
    }

    #[test]
    fn numbers_render_without_needless_decimals() {
        assert_eq!(format_number(5.0), "5");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(0.99), "0.99");
    }

    #[test]
    fn each_dialect_gets_its_quoting_and_date_functions() {
        assert_eq!(
            sample_sql(Dialect::Sqlite),
            "SELECT CAST(strftime('%Y', \"orders\".\"order_date\") AS INTEGER) AS \"year\", \
             CAST(strftime('%m', \"orders\".\"order_date\") AS INTEGER) AS \"month\", SUM(\"orders\".\"total\") AS \"total\" \
             FROM \"orders\" JOIN \"customer\" ON \"orders\".\"customer_id\" = \"customer\".\"customer_id\" \
             WHERE \"customer\".\"country\" IN ('Brazil', 'O''Neil') AND \"orders\".\"order_date\" >= '2021-01-01' \
             GROUP BY CAST(strftime('%Y', \"orders\".\"order_date\") AS INTEGER), CAST(strftime('%m', \"orders\".\"order_date\") AS INTEGER) \
             ORDER BY ROUND(SUM(\"orders\".\"total\"), 6) DESC LIMIT 3"
        );
        let postgres = sample_sql(Dialect::Postgres);
        assert!(postgres.starts_with(
            "SELECT CAST(EXTRACT(YEAR FROM \"orders\".\"order_date\") AS INTEGER) AS \"year\", CAST(EXTRACT(MONTH FROM"
        ));
        assert!(postgres.contains("ORDER BY ROUND(CAST(SUM(\"orders\".\"total\") AS NUMERIC), 6) DESC LIMIT 3"));
        let mysql = sample_sql(Dialect::MySql);
        assert!(
            mysql.starts_with("SELECT YEAR(`orders`.`order_date`) AS `year`, MONTH(`orders`.`order_date`) AS `month`")
        );
        assert!(mysql.contains("JOIN `customer` ON `orders`.`customer_id` = `customer`.`customer_id`"));
        for (dialect, sql) in
            [(Dialect::Sqlite, sample_sql(Dialect::Sqlite)), (Dialect::Postgres, postgres), (Dialect::MySql, mysql)]
        {
            let parsed = sqlparser::parser::Parser::parse_sql(dialect.parser_dialect().as_ref(), &sql);
            assert!(parsed.is_ok(), "{dialect}: {sql}");
        }
    }

    #[test]
    fn dates_relative_to_today_are_left_to_the_database_in_each_dialect() {
        let cases = [
            (Dialect::Sqlite, DateUnit::Month, -1, true, "date('now', 'start of month', '-1 month')"),
            (Dialect::Sqlite, DateUnit::Day, 0, true, "date('now')"),
            (Dialect::Sqlite, DateUnit::Day, -30, false, "date('now', '-30 day')"),
            (
                Dialect::Postgres,
                DateUnit::Year,
                -1,
                true,
                "CAST(date_trunc('year', CURRENT_DATE) + INTERVAL '-1 year' AS DATE)",
            ),
            (Dialect::Postgres, DateUnit::Day, 1, true, "CAST(CURRENT_DATE + INTERVAL '1 day' AS DATE)"),
            (Dialect::MySql, DateUnit::Month, 0, true, "CAST(DATE_FORMAT(CURDATE(), '%Y-%m-01') AS DATE)"),
            (Dialect::MySql, DateUnit::Year, 1, true, "CAST(MAKEDATE(YEAR(CURDATE()), 1) + INTERVAL 1 YEAR AS DATE)"),
            (Dialect::MySql, DateUnit::Day, -7, false, "CAST(CURDATE() + INTERVAL -7 DAY AS DATE)"),
        ];
        for (dialect, unit, offset, calendar, expected) in cases {
            assert_eq!(relative_date(dialect, unit, offset, calendar), expected, "{dialect}");
        }
    }
}
