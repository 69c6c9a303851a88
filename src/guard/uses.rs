//! What an accepted query reads, taken from the very parse tree the guard
//! checked: the real tables, the columns as `table.column`, and the literal
//! values. It is how a manifest shows, without SQL, which data an answer was
//! read from (whatever synthesizer wrote the SQL).
//!
//! The walk reaches every node ([`sqlparser::ast::Visitor`]): joins, derived
//! tables, CTEs, subqueries in any expression (`EXISTS`, `IN`, scalar),
//! `HAVING`, `CASE`, window specifications. It keeps a stack of name scopes
//! ([`super::scope`]) so that:
//!
//! * tables are real tables: never an alias, a CTE name or a table function;
//!   a CTE named like a table shadows it only where the CTE is visible (not
//!   inside its own, non-recursive, definition);
//! * a qualified column (`c.Country`) is reported under the real table the
//!   qualifier names, an outer query's included (correlated subqueries); an
//!   unqualified one under the one relation of its scope that can hold it,
//!   else under the enclosing scope's; it stays bare when two or more tables
//!   could hold it (the guard knows no schema);
//! * a column of a CTE or derived table is not reported: the real columns it
//!   is made of are, where it is defined; nor is a select-list alias used in
//!   `ORDER BY`, `GROUP BY` or `HAVING`;
//! * `*` is reported as `table.*` for each real table it expands to;
//! * values are the literals in the order they appear, deduplicated, negative
//!   numbers with their sign; not `NULL`, positional `ORDER BY 2`/`GROUP BY 1`,
//!   nor [`FORMAT_PARAMETERS`] (they say how a value is shown, not which data
//!   is read).
//!
//! Names are as written, unquoted; tables and columns in the order the walk
//! first meets them (the order of the text, but for `*` and `USING` columns,
//! which come first in their `SELECT`).

use std::collections::HashSet;
use std::convert::Infallible;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, InTarget, OrderBy, OrderByKind, Query,
    Select, SelectItem, SelectItemQualifiedWildcardKind, Statement, TableFactor, UnaryOperator, Value, ValueWithSpan,
    Visit, Visitor,
};

use super::scope::{CteName, Lookup, Scope, real_table, table_name, using_columns, visible_cte};

/// Function parameters that say how a value is shown, not which data is
/// read: (function, argument position from 0). Their literals are no values.
pub const FORMAT_PARAMETERS: &[(&str, usize)] = &[
    ("round", 1),       // ROUND(x, digits)
    ("strftime", 0),    // SQLite strftime(format, time, ...)
    ("to_char", 1),     // PostgreSQL to_char(x, format)
    ("date_trunc", 0),  // PostgreSQL date_trunc(unit, time)
    ("date_part", 0),   // PostgreSQL date_part(field, time)
    ("date_format", 1), // MySQL DATE_FORMAT(time, format)
];

/// The tables, columns and literal values a query uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlUses {
    /// Real tables, by name (schema-qualified when the SQL qualifies them).
    pub tables: Vec<String>,
    /// `table.column` (`table.*` for a star); a bare `column` when the SQL
    /// does not say which of two or more tables it belongs to.
    pub columns: Vec<String>,
    /// Literal values, in the order they appear, deduplicated.
    pub values: Vec<Literal>,
}

/// A literal value of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// A string literal's text without its quotes (dates, times and
    /// intervals are strings too: `DATE '2023-01-01'` is `2023-01-01`).
    Text(String),
    /// A number as written, with its sign.
    Number(String),
    Boolean(bool),
}

/// What `statement` reads.
pub(super) fn sql_uses(statement: &Statement) -> SqlUses {
    let mut visitor = UsesVisitor::default();
    let ControlFlow::Continue(()) = statement.visit(&mut visitor);
    visitor.uses
}

/// One query or `SELECT` being walked.
struct Frame {
    scope: Scope,
    /// The CTEs visible here (a `SELECT` sees its query's).
    ctes: Vec<CteName>,
    /// A query's CTE bodies, each with the CTEs visible inside it.
    cte_bodies: Vec<(*const Query, Vec<CteName>)>,
    /// Depth inside this scope's `ORDER BY`, `GROUP BY` or `HAVING`, where
    /// the select list's names may stand for columns.
    in_output_clause: usize,
    /// A `SELECT`'s `HAVING` expression.
    having: Option<*const Expr>,
}

impl Frame {
    fn new(scope: Scope, ctes: Vec<CteName>) -> Frame {
        Frame { scope, ctes, cte_bodies: Vec::new(), in_output_clause: 0, having: None }
    }
}

#[derive(Default)]
struct UsesVisitor {
    uses: SqlUses,
    frames: Vec<Frame>,
    /// Literals already accounted for by their parent node (a negative
    /// number) or that are no values (a position, a format parameter).
    skipped: HashSet<*const ValueWithSpan>,
}

/// Whom a qualifier (`c` in `c.Country`) names.
enum Owner {
    Table(String),
    Derived,
    Unknown,
}

impl UsesVisitor {
    fn visible_ctes(&self) -> &[CteName] {
        self.frames.last().map_or(&[], |frame| &frame.ctes)
    }

    fn table(&mut self, name: String) {
        push_new(&mut self.uses.tables, name);
    }

    fn column(&mut self, name: String) {
        push_new(&mut self.uses.columns, name);
    }

    fn skip_position(&mut self, expr: &Expr) {
        if let Expr::Value(value @ ValueWithSpan { value: Value::Number(..), .. }) = expr {
            self.skipped.insert(value);
        }
    }

    fn owner(&self, qualifier: &Ident) -> Owner {
        for frame in self.frames.iter().rev() {
            if let Some(relation) = frame.scope.relation_named(&qualifier.value) {
                return relation.table.clone().map_or(Owner::Derived, Owner::Table);
            }
        }
        Owner::Unknown
    }

    fn qualified(&mut self, parts: &[Ident]) {
        let [qualifier @ .., column] = parts else { return };
        let Some(last) = qualifier.last() else { return self.unqualified(&column.value) };
        match self.owner(last) {
            Owner::Table(table) => self.column(format!("{table}.{}", column.value)),
            Owner::Derived => {}
            Owner::Unknown => self.column(parts.iter().map(|p| p.value.as_str()).collect::<Vec<_>>().join(".")),
        }
    }

    fn unqualified(&mut self, name: &str) {
        let mut found = Some(name.to_string());
        for frame in self.frames.iter().rev() {
            if frame.in_output_clause > 0 && frame.scope.is_output_name(name) {
                return;
            }
            match frame.scope.lookup(name) {
                Lookup::Table(table) => found = Some(format!("{table}.{name}")),
                Lookup::Derived => found = None,
                Lookup::Ambiguous => found = Some(name.to_string()),
                Lookup::Nothing => continue,
            }
            break;
        }
        if let Some(column) = found {
            self.column(column);
        }
    }

    /// `*` and `USING (...)` columns, which are not expressions.
    fn select_columns(&mut self, select: &Select) {
        for item in &select.projection {
            match item {
                SelectItem::Wildcard(_) => {
                    let scope = &self.frames.last().expect("a select has its frame").scope;
                    let tables: Vec<String> = scope.relations.iter().filter_map(|r| r.table.clone()).collect();
                    for table in tables {
                        self.column(format!("{table}.*"));
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                    let mut parts: Vec<Ident> = name.0.iter().filter_map(|p| p.as_ident().cloned()).collect();
                    parts.push(Ident::new("*"));
                    self.qualified(&parts);
                }
                _ => {}
            }
        }
        for from in &select.from {
            for (column, factors) in using_columns(from) {
                for factor in factors {
                    if let Some(table) = real_table(factor, self.visible_ctes()) {
                        self.column(format!("{table}.{}", column.value));
                    }
                }
            }
        }
    }

    /// The literal of a format parameter of `function`, if it has one.
    fn skip_format_parameter(&mut self, function: &sqlparser::ast::Function) {
        let Some(name) = function.name.0.last().and_then(|part| part.as_ident()) else { return };
        let FunctionArguments::List(list) = &function.args else { return };
        for &(format_function, position) in FORMAT_PARAMETERS {
            if name.value.eq_ignore_ascii_case(format_function)
                && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value)))) = list.args.get(position)
            {
                self.skipped.insert(value);
            }
        }
    }
}

impl Visitor for UsesVisitor {
    type Break = Infallible;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Infallible> {
        let inherited = match self.frames.last() {
            Some(top) => top
                .cte_bodies
                .iter()
                .find(|(body, _)| std::ptr::eq(*body, query))
                .map_or_else(|| top.ctes.clone(), |(_, sees)| sees.clone()),
            None => Vec::new(),
        };
        let mut ctes = inherited.clone();
        let mut cte_bodies = Vec::new();
        if let Some(with) = &query.with {
            let own: Vec<CteName> = with.cte_tables.iter().map(CteName::of).collect();
            for (n, cte) in with.cte_tables.iter().enumerate() {
                let mut sees = inherited.clone();
                sees.extend_from_slice(if with.recursive { &own } else { &own[..n] });
                cte_bodies.push((&*cte.query as *const Query, sees));
            }
            ctes.extend(own);
        }
        if let Some(OrderBy { kind: OrderByKind::Expressions(items), .. }) = &query.order_by {
            for item in items {
                self.skip_position(&item.expr);
            }
        }
        let mut frame = Frame::new(Scope::of_query_body(&query.body, &ctes), ctes);
        frame.cte_bodies = cte_bodies;
        self.frames.push(frame);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<Infallible> {
        self.frames.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<Infallible> {
        let ctes = self.visible_ctes().to_vec();
        if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
            for expr in exprs {
                self.skip_position(expr);
            }
        }
        let mut frame = Frame::new(Scope::of_select(select, &ctes), ctes);
        frame.having = select.having.as_ref().map(|having| having as *const Expr);
        self.frames.push(frame);
        self.select_columns(select);
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, _select: &Select) -> ControlFlow<Infallible> {
        self.frames.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Infallible> {
        if let Some(table) = real_table(factor, self.visible_ctes()) {
            self.table(table);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_order_by(&mut self, _order_by: &OrderBy) -> ControlFlow<Infallible> {
        enter_output_clause(&mut self.frames, 1);
        ControlFlow::Continue(())
    }

    fn post_visit_order_by(&mut self, _order_by: &OrderBy) -> ControlFlow<Infallible> {
        enter_output_clause(&mut self.frames, -1);
        ControlFlow::Continue(())
    }

    fn pre_visit_group_by(&mut self, _group_by: &GroupByExpr) -> ControlFlow<Infallible> {
        enter_output_clause(&mut self.frames, 1);
        ControlFlow::Continue(())
    }

    fn post_visit_group_by(&mut self, _group_by: &GroupByExpr) -> ControlFlow<Infallible> {
        enter_output_clause(&mut self.frames, -1);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<Infallible> {
        if self.frames.last().is_some_and(|top| top.having == Some(expr as *const Expr)) {
            enter_output_clause(&mut self.frames, 1);
        }
        match expr {
            Expr::Identifier(ident) => self.unqualified(&ident.value),
            Expr::CompoundIdentifier(parts) => self.qualified(parts),
            Expr::UnaryOp { op: UnaryOperator::Minus, expr: operand } => {
                if let Expr::Value(value @ ValueWithSpan { value: Value::Number(number, _), .. }) = &**operand {
                    self.skipped.insert(value);
                    push_new(&mut self.uses.values, Literal::Number(format!("-{number}")));
                }
            }
            Expr::Function(function) => self.skip_format_parameter(function),
            Expr::In { target: InTarget::Table { name, args: None }, .. }
                if visible_cte(self.visible_ctes(), name).is_none() =>
            {
                self.table(table_name(name));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &Expr) -> ControlFlow<Infallible> {
        if self.frames.last().is_some_and(|top| top.having == Some(expr as *const Expr)) {
            enter_output_clause(&mut self.frames, -1);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_value(&mut self, value: &ValueWithSpan) -> ControlFlow<Infallible> {
        if !self.skipped.contains(&(value as *const ValueWithSpan))
            && let Some(literal) = literal(&value.value)
        {
            push_new(&mut self.uses.values, literal);
        }
        ControlFlow::Continue(())
    }
}

/// Enters (`1`) or leaves (`-1`) an output clause of the innermost scope.
fn enter_output_clause(frames: &mut [Frame], step: isize) {
    if let Some(top) = frames.last_mut() {
        top.in_output_clause = top.in_output_clause.saturating_add_signed(step);
    }
}

/// The literal a value is, if it is one (`NULL` and placeholders are not).
/// String literals are parsed without unescaping, so a doubled quote is folded here.
fn literal(value: &Value) -> Option<Literal> {
    match value {
        Value::Number(number, _) => Some(Literal::Number(number.clone())),
        Value::Boolean(b) => Some(Literal::Boolean(*b)),
        Value::Null | Value::Placeholder(_) => None,
        Value::SingleQuotedString(text) | Value::NationalStringLiteral(text) => {
            Some(Literal::Text(text.replace("''", "'")))
        }
        Value::DoubleQuotedString(text) => Some(Literal::Text(text.replace("\"\"", "\""))),
        other => other.clone().into_string().map(Literal::Text),
    }
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::super::read_only::parse;
    use super::*;
    use crate::dialect::Dialect;

    fn uses(dialect: Dialect, sql: &str) -> SqlUses {
        let statements = parse(dialect, sql).expect("test SQL parses");
        sql_uses(&statements[0])
    }

    fn tables_and_columns(sql: &str) -> (Vec<String>, Vec<String>) {
        tables_and_columns_in(Dialect::Postgres, sql)
    }

    fn tables_and_columns_in(dialect: Dialect, sql: &str) -> (Vec<String>, Vec<String>) {
        let found = uses(dialect, sql);
        (found.tables, found.columns)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn texts(found: &SqlUses) -> Vec<String> {
        found
            .values
            .iter()
            .map(|v| match v {
                Literal::Text(t) => format!("'{t}'"),
                Literal::Number(n) => n.clone(),
                Literal::Boolean(b) => b.to_string(),
            })
            .collect()
    }

    #[test]
    fn aliases_resolve_to_their_tables_and_self_joins_name_one_table() {
        let (tables, columns) = tables_and_columns(
            "SELECT e.FirstName, m.FirstName AS manager FROM Employee e JOIN Employee AS m ON e.ReportsTo = m.EmployeeId",
        );
        assert_eq!(tables, strings(&["Employee"]));
        assert_eq!(columns, strings(&["Employee.FirstName", "Employee.ReportsTo", "Employee.EmployeeId"]));
    }

    #[test]
    fn quoted_names_are_reported_unquoted() {
        let (tables, columns) = tables_and_columns(
            r#"SELECT "Customer"."Country", COUNT(*) AS "n" FROM "Customer" GROUP BY "Customer"."Country" ORDER BY "n" DESC"#,
        );
        assert_eq!(tables, strings(&["Customer"]));
        assert_eq!(columns, strings(&["Customer.Country"]));
    }

    #[test]
    fn unqualified_columns_resolve_only_when_one_table_can_hold_them() {
        let (_, columns) =
            tables_and_columns("SELECT SUM(Total) AS revenue FROM Invoice WHERE BillingCountry = 'Chile'");
        assert_eq!(columns, strings(&["Invoice.Total", "Invoice.BillingCountry"]));
        let (tables, columns) =
            tables_and_columns("SELECT Name, Title FROM Artist JOIN Album ON Album.ArtistId = Artist.ArtistId");
        assert_eq!(tables, strings(&["Artist", "Album"]));
        assert_eq!(columns, strings(&["Name", "Title", "Album.ArtistId", "Artist.ArtistId"]));
    }

    #[test]
    fn correlated_subqueries_resolve_outer_qualifiers_and_inner_names_first() {
        let found = uses(
            Dialect::Postgres,
            "SELECT a.Name FROM Artist a WHERE EXISTS (SELECT 1 FROM Album WHERE ArtistId = a.ArtistId AND Title LIKE 'B%')
             AND (SELECT COUNT(*) FROM Album al WHERE al.ArtistId = a.ArtistId) > 2",
        );
        assert_eq!(found.tables, strings(&["Artist", "Album"]));
        assert_eq!(found.columns, strings(&["Artist.Name", "Album.ArtistId", "Artist.ArtistId", "Album.Title"]));
        assert_eq!(texts(&found), strings(&["1", "'B%'", "2"]));
    }

    #[test]
    fn a_cte_shadows_a_table_only_where_it_is_visible() {
        let found = uses(
            Dialect::Postgres,
            "WITH Customer AS (SELECT CustomerId, Country FROM Customer WHERE Country = 'Brazil'),
                  spend AS (SELECT CustomerId, SUM(Total) AS total FROM Invoice GROUP BY CustomerId)
             SELECT c.Country, s.total FROM Customer c JOIN spend s ON s.CustomerId = c.CustomerId ORDER BY total DESC",
        );
        // The CTE body reads the real Customer; the main query reads the CTEs, whose columns are not real ones.
        assert_eq!(found.tables, strings(&["Customer", "Invoice"]));
        assert_eq!(
            found.columns,
            strings(&["Customer.CustomerId", "Customer.Country", "Invoice.CustomerId", "Invoice.Total"])
        );
        assert_eq!(texts(&found), strings(&["'Brazil'"]));
    }

    #[test]
    fn recursive_ctes_see_themselves() {
        let (tables, columns) = tables_and_columns(
            "WITH RECURSIVE chain(id, boss) AS (SELECT EmployeeId, ReportsTo FROM Employee
               UNION ALL SELECT e.EmployeeId, e.ReportsTo FROM Employee e JOIN chain ON e.EmployeeId = chain.boss)
             SELECT id FROM chain",
        );
        assert_eq!(tables, strings(&["Employee"]));
        assert_eq!(columns, strings(&["Employee.EmployeeId", "Employee.ReportsTo"]));
    }

    #[test]
    fn derived_table_outputs_are_not_real_columns() {
        let (tables, columns) = tables_and_columns(
            r#"SELECT COUNT(*) AS "album_count" FROM (SELECT "Album"."AlbumId" FROM "Album" JOIN "Track"
               ON "Track"."AlbumId" = "Album"."AlbumId" GROUP BY "Album"."AlbumId" HAVING COUNT(*) > 20) AS "counted""#,
        );
        assert_eq!(tables, strings(&["Album", "Track"]));
        assert_eq!(columns, strings(&["Album.AlbumId", "Track.AlbumId"]));
        // Beside a real table, a derived table's known outputs tell the two apart.
        let (_, columns) = tables_and_columns(
            "SELECT Name, n FROM Artist JOIN (SELECT ArtistId AS id, COUNT(*) AS n FROM Album GROUP BY ArtistId) x
             ON x.id = Artist.ArtistId",
        );
        assert_eq!(columns, strings(&["Artist.Name", "Album.ArtistId", "Artist.ArtistId"]));
    }

    #[test]
    fn stars_expand_to_the_real_tables_in_scope() {
        let (tables, columns) =
            tables_and_columns("SELECT * FROM Track t JOIN Genre g USING (GenreId) WHERE g.Name = 'Jazz'");
        assert_eq!(tables, strings(&["Track", "Genre"]));
        assert_eq!(columns, strings(&["Track.*", "Genre.*", "Track.GenreId", "Genre.GenreId", "Genre.Name"]));
        let (_, columns) = tables_and_columns(
            "SELECT g.*, COUNT(*) FROM Genre g JOIN Track ON Track.GenreId = g.GenreId GROUP BY g.GenreId",
        );
        assert_eq!(columns, strings(&["Genre.*", "Track.GenreId", "Genre.GenreId"]));
        let (tables, columns) = tables_and_columns("SELECT * FROM (SELECT * FROM Playlist) p");
        assert_eq!((tables, columns), (strings(&["Playlist"]), strings(&["Playlist.*"])));
    }

    #[test]
    fn select_aliases_in_order_group_and_having_are_not_columns() {
        let (_, columns) = tables_and_columns(
            "SELECT BillingCountry AS country, SUM(Total) AS Total FROM Invoice GROUP BY country HAVING Total > 100 ORDER BY Total DESC, 1",
        );
        assert_eq!(columns, strings(&["Invoice.BillingCountry", "Invoice.Total"]));
        // In WHERE an alias is not visible: the name is the table's column.
        let (_, columns) = tables_and_columns("SELECT COUNT(*) AS Total FROM Invoice WHERE Total > 5");
        assert_eq!(columns, strings(&["Invoice.Total"]));
        // After a set operation ORDER BY names outputs, not tables.
        let (tables, columns) =
            tables_and_columns("SELECT Name FROM Artist UNION SELECT Title FROM Album ORDER BY Name");
        assert_eq!((tables, columns), (strings(&["Artist", "Album"]), strings(&["Artist.Name", "Album.Title"])));
    }

    #[test]
    fn case_expressions_and_in_lists_are_walked() {
        let found = uses(
            Dialect::Sqlite,
            "SELECT CASE WHEN t.Milliseconds > 300000 THEN 'long' ELSE 'short' END AS len FROM Track t
             WHERE t.GenreId IN (SELECT GenreId FROM Genre WHERE Name IN ('Rock', 'Metal'))",
        );
        assert_eq!(found.tables, strings(&["Track", "Genre"]));
        assert_eq!(found.columns, strings(&["Track.Milliseconds", "Track.GenreId", "Genre.GenreId", "Genre.Name"]));
        assert_eq!(texts(&found), strings(&["300000", "'long'", "'short'", "'Rock'", "'Metal'"]));
    }

    #[test]
    fn values_keep_their_order_sign_and_text_once_each() {
        let found = uses(
            Dialect::Postgres,
            "SELECT Name FROM Track WHERE Bytes > -5 AND Name <> 'it''s' AND Composer IS NOT NULL
             AND InvoiceDate >= DATE '2023-01-01' AND InvoiceDate < '2024-01-01' AND GenreId IN (1, 2, 1)
             AND Explicit = true LIMIT 10 OFFSET 20",
        );
        assert_eq!(
            texts(&found),
            strings(&["-5", "'it's'", "'2023-01-01'", "'2024-01-01'", "1", "2", "true", "10", "20"])
        );
    }

    #[test]
    fn positions_and_format_parameters_are_not_values() {
        let found = uses(
            Dialect::Sqlite,
            r#"SELECT CAST(strftime('%Y', "Invoice"."InvoiceDate") AS INTEGER) AS "year", ROUND(SUM(Total), 2) AS total
               FROM Invoice WHERE strftime('%Y', InvoiceDate) = '2023' GROUP BY 1 ORDER BY ROUND(SUM(Total), 6) DESC, 2 LIMIT 5"#,
        );
        assert_eq!(texts(&found), strings(&["'2023'", "5"]));
        let found = uses(
            Dialect::Postgres,
            "SELECT to_char(InvoiceDate, 'YYYY-MM'), date_trunc('month', InvoiceDate) FROM Invoice",
        );
        assert!(found.values.is_empty(), "{:?}", found.values);
    }

    #[test]
    fn sqlite_in_a_table_reads_the_table_but_not_a_cte() {
        let (tables, _) = tables_and_columns_in(Dialect::Sqlite, "SELECT Name FROM Track WHERE TrackId IN Favourite");
        assert_eq!(tables, strings(&["Track", "Favourite"]));
        let (tables, _) = tables_and_columns_in(
            Dialect::Sqlite,
            "WITH f AS (SELECT TrackId FROM PlaylistTrack) SELECT Name FROM Track WHERE TrackId IN f",
        );
        assert_eq!(tables, strings(&["PlaylistTrack", "Track"]));
    }

    #[test]
    fn table_functions_are_not_tables() {
        let (tables, columns) = tables_and_columns("SELECT g FROM generate_series(1, 3) AS g");
        assert!(tables.is_empty(), "{tables:?}");
        assert!(columns.is_empty(), "{columns:?}");
    }

    #[test]
    fn mysql_strings_and_schema_qualified_tables() {
        let found = uses(Dialect::MySql, r#"SELECT c.`Country` FROM shop.Customer c WHERE c.City = "São ""Paulo""""#);
        assert_eq!(found.tables, strings(&["shop.Customer"]));
        assert_eq!(found.columns, strings(&["shop.Customer.Country", "shop.Customer.City"]));
        assert_eq!(texts(&found), strings(&[r#"'São "Paulo"'"#]));
    }

    #[test]
    fn no_tables_no_columns() {
        let found = uses(Dialect::Sqlite, "SELECT 1 AS one");
        assert!(found.tables.is_empty() && found.columns.is_empty());
        assert_eq!(found.values, vec![Literal::Number("1".into())]);
    }
}
