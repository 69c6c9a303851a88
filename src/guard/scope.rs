//! Name scopes of a parsed query, for telling which real table a column
//! reference belongs to ([`super::uses`]).
//!
//! A [`Scope`] is what one `SELECT`'s `FROM` clause brings in: each relation
//! under the name the query refers to it by (its alias, else its name), with
//! the real table behind it, or none for a CTE, a derived table or a table
//! function. CTE and derived relations carry their output column names when
//! the guard can read them off their select list (no `*`), so an unqualified
//! column can be told apart from theirs.
//!
//! Invariants: names compare case-insensitively (as unquoted identifiers do
//! in every dialect we support); a CTE name shadows a table of the same name
//! only where the CTE is visible (the caller passes what is visible); the
//! guard knows no schema, so a real table may hold any column.

use sqlparser::ast::{
    Cte, Expr, Ident, JoinConstraint, JoinOperator, ObjectName, Query, Select, SelectItem, SetExpr, TableAlias,
    TableFactor, TableWithJoins,
};

/// A CTE visible in a query: its name and, when known, its output columns.
#[derive(Debug, Clone)]
pub(super) struct CteName {
    name: String,
    columns: Option<Vec<String>>,
}

impl CteName {
    pub(super) fn of(cte: &Cte) -> CteName {
        CteName {
            name: cte.alias.name.value.clone(),
            columns: aliased_columns(&cte.alias).or_else(|| outputs(&cte.query)),
        }
    }
}

/// The CTE that `name` refers to among the visible ones (the innermost wins), if any.
pub(super) fn visible_cte<'a>(ctes: &'a [CteName], name: &ObjectName) -> Option<&'a CteName> {
    match name.0.as_slice() {
        [single] => {
            let ident = single.as_ident()?;
            ctes.iter().rev().find(|cte| cte.name.eq_ignore_ascii_case(&ident.value))
        }
        _ => None,
    }
}

/// A table name as the uses report it: its parts, unquoted, joined by `.`.
pub(super) fn table_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| part.as_ident().map_or_else(|| part.to_string(), |ident| ident.value.clone()))
        .collect::<Vec<_>>()
        .join(".")
}

/// One relation a `FROM` clause brings into scope.
#[derive(Debug)]
pub(super) struct Relation {
    /// How the query refers to it: its alias, else its last name part.
    name: String,
    /// The real table; `None` for a CTE, a derived table or a table function.
    pub(super) table: Option<String>,
    /// A CTE's or derived table's output columns, when known.
    columns: Option<Vec<String>>,
}

impl Relation {
    /// Whether a column `name` may belong here: any column of a real table
    /// (no schema is known), only its own of a relation whose outputs are known.
    fn may_hold(&self, name: &str) -> bool {
        self.columns.as_ref().is_none_or(|columns| columns.iter().any(|c| c.eq_ignore_ascii_case(name)))
    }

    fn surely_holds(&self, name: &str) -> bool {
        self.columns.as_ref().is_some_and(|columns| columns.iter().any(|c| c.eq_ignore_ascii_case(name)))
    }
}

/// Where an unqualified column name leads within one scope.
#[derive(Debug, PartialEq)]
pub(super) enum Lookup<'a> {
    /// A column of this real table.
    Table(&'a str),
    /// An output of a CTE or derived table: not a column of a real table.
    Derived,
    /// Two or more relations could hold it.
    Ambiguous,
    /// No relation here can hold it: look in the enclosing scope.
    Nothing,
}

/// The names one `SELECT` (or a query's `ORDER BY`) can see.
#[derive(Debug, Default)]
pub(super) struct Scope {
    pub(super) relations: Vec<Relation>,
    /// Names of the select list that `ORDER BY`, `GROUP BY` and `HAVING` may
    /// use instead of a column: the aliases of a `SELECT`, every output name
    /// of a set operation.
    output_names: Vec<String>,
}

impl Scope {
    /// The scope of a `SELECT`, with the CTEs visible where it stands.
    pub(super) fn of_select(select: &Select, ctes: &[CteName]) -> Scope {
        let mut relations = Vec::new();
        for from in &select.from {
            add_relations(from, ctes, &mut relations);
        }
        let output_names = select
            .projection
            .iter()
            .filter_map(|item| match item {
                SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
                _ => None,
            })
            .collect();
        Scope { relations, output_names }
    }

    /// The scope of a query's `ORDER BY`: its `SELECT`'s, or a set
    /// operation's output names (no relation is in scope after `UNION`).
    pub(super) fn of_query_body(body: &SetExpr, ctes: &[CteName]) -> Scope {
        match body {
            SetExpr::Select(select) => Scope::of_select(select, ctes),
            SetExpr::Query(query) => Scope::of_query_body(&query.body, ctes),
            other => Scope { relations: Vec::new(), output_names: body_outputs(other).unwrap_or_default() },
        }
    }

    /// Whether `name` is one of the select list's own names.
    pub(super) fn is_output_name(&self, name: &str) -> bool {
        self.output_names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The relation a qualifier (`c` in `c.Country`) names, if it is in this scope.
    pub(super) fn relation_named(&self, qualifier: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.name.eq_ignore_ascii_case(qualifier))
    }

    /// Where an unqualified column `name` leads in this scope.
    pub(super) fn lookup(&self, name: &str) -> Lookup<'_> {
        if self.relations.iter().any(|r| r.surely_holds(name)) {
            return Lookup::Derived;
        }
        let mut candidates = self.relations.iter().filter(|r| r.may_hold(name));
        match (candidates.next(), candidates.next()) {
            (None, _) => Lookup::Nothing,
            (Some(only), None) => only.table.as_deref().map_or(Lookup::Derived, Lookup::Table),
            (Some(_), Some(_)) => Lookup::Ambiguous,
        }
    }
}

/// The columns each `JOIN ... USING (...)` compares, with the two table
/// factors they belong to: the one just before the join and the joined one.
pub(super) fn using_columns(from: &TableWithJoins) -> Vec<(&Ident, [&TableFactor; 2])> {
    let mut found = Vec::new();
    let mut left = &from.relation;
    for join in &from.joins {
        if let Some(JoinConstraint::Using(names) | JoinConstraint::UsingAlias(names, _)) =
            join_constraint(&join.join_operator)
        {
            let columns = names.iter().filter_map(|name| name.0.last().and_then(|part| part.as_ident()));
            found.extend(columns.map(|column| (column, [left, &join.relation])));
        }
        left = &join.relation;
    }
    found
}

fn join_constraint(operator: &JoinOperator) -> Option<&JoinConstraint> {
    match operator {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::CrossJoin(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c)
        | JoinOperator::Anti(c)
        | JoinOperator::LeftAnti(c)
        | JoinOperator::RightAnti(c)
        | JoinOperator::StraightJoin(c) => Some(c),
        _ => None,
    }
}

fn add_relations(from: &TableWithJoins, ctes: &[CteName], relations: &mut Vec<Relation>) {
    add_factor(&from.relation, ctes, relations);
    for join in &from.joins {
        add_factor(&join.relation, ctes, relations);
    }
}

/// The relation a real table is, or `None` when the factor is something else.
pub(super) fn real_table(factor: &TableFactor, ctes: &[CteName]) -> Option<String> {
    match factor {
        TableFactor::Table { name, args: None, .. } if visible_cte(ctes, name).is_none() => Some(table_name(name)),
        _ => None,
    }
}

fn add_factor(factor: &TableFactor, ctes: &[CteName], relations: &mut Vec<Relation>) {
    let relation = match factor {
        TableFactor::Table { name, alias, args, .. } => {
            let cte = if args.is_none() { visible_cte(ctes, name) } else { None };
            let columns = alias.as_ref().and_then(aliased_columns).or_else(|| cte.and_then(|c| c.columns.clone()));
            let last = name.0.last().and_then(|part| part.as_ident()).map(|ident| ident.value.clone());
            Relation {
                name: alias.as_ref().map(|a| a.name.value.clone()).or(last).unwrap_or_default(),
                table: real_table(factor, ctes),
                columns,
            }
        }
        TableFactor::Derived { subquery, alias, .. } => Relation {
            name: alias.as_ref().map(|a| a.name.value.clone()).unwrap_or_default(),
            table: None,
            columns: alias.as_ref().and_then(aliased_columns).or_else(|| outputs(subquery)),
        },
        TableFactor::NestedJoin { table_with_joins, alias: None } => {
            add_relations(table_with_joins, ctes, relations);
            return;
        }
        other => Relation {
            name: factor_alias(other).map(|a| a.name.value.clone()).unwrap_or_default(),
            table: None,
            columns: None,
        },
    };
    relations.push(relation);
}

/// The alias of a table factor that is neither a table nor a derived table.
fn factor_alias(factor: &TableFactor) -> Option<&TableAlias> {
    match factor {
        TableFactor::TableFunction { alias, .. }
        | TableFactor::Function { alias, .. }
        | TableFactor::UNNEST { alias, .. }
        | TableFactor::JsonTable { alias, .. }
        | TableFactor::NestedJoin { alias, .. } => alias.as_ref(),
        _ => None,
    }
}

fn aliased_columns(alias: &TableAlias) -> Option<Vec<String>> {
    (!alias.columns.is_empty()).then(|| alias.columns.iter().map(|c| c.name.value.clone()).collect())
}

/// The output column names of a query, when its select list says them all (no `*`).
fn outputs(query: &Query) -> Option<Vec<String>> {
    body_outputs(&query.body)
}

fn body_outputs(body: &SetExpr) -> Option<Vec<String>> {
    match body {
        SetExpr::Select(select) => {
            let mut names = Vec::new();
            for item in &select.projection {
                match item {
                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => return None,
                    SelectItem::ExprWithAlias { alias, .. } => names.push(alias.value.clone()),
                    SelectItem::UnnamedExpr(Expr::Identifier(ident)) => names.push(ident.value.clone()),
                    SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
                        names.extend(parts.last().map(|ident| ident.value.clone()))
                    }
                    // An unnamed expression: the name the database gives it is not one a query relies on.
                    SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAliases { .. } => {}
                }
            }
            Some(names)
        }
        SetExpr::Query(query) => outputs(query),
        SetExpr::SetOperation { left, .. } => body_outputs(left),
        _ => None,
    }
}
