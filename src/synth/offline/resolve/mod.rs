//! Resolution: turns a [`Frame`] into a concrete [`Query`] — chooses one
//! column for every attribute, value and measure the question names, picks
//! the date column for years and months, joins the tables they live in by the
//! shortest foreign-key paths, and builds the select list, grouping, ordering
//! and limit of the question's shape.
//!
//! Files: this one holds the entry point and one method per question shape;
//! `columns` chooses columns and measures, `dates` the date for years and
//! months, `clauses` builds grouping, filters, HAVING and ORDER BY,
//! `joining` grows the join tree and knows when joins repeat rows, `ranking`
//! builds rankings, `units` checks and converts the units a question states.
//!
//! Invariants: a choice between equally good columns is an abstention
//! ("ambiguous: ..."), never a guess. A count over joins that repeat the
//! counted rows becomes `COUNT(DISTINCT key)`; a sum or average over such joins
//! is refused, because it would double count. Top-N results are ordered by the
//! measure and then by the key, so every database returns the same rows.

mod absence;
mod clauses;
mod columns;
mod dates;
mod joining;
mod ranking;
mod units;

use super::catalog::{Catalog, ColumnFacts, ColumnId, ForeignKeyId, NumericExpr, TableId, ValueKind, bare_name};
use super::confidence::{Confidence, cost};
use super::joins::{JoinGraph, JoinTree, NodeId, Unreachable};
use super::linking::{ColumnLink, EntityLink, Fit, ValueLink};
use super::render::{Absence, Expr, Literal, OrderKey, Output, Predicate, Query, Wrap};
use super::shapes::{
    Across, AggFunc, AttributeRef, AverageScope, EntityRef, Filter, Frame, GroupKey, Measure, OrderRequest, Period,
    RankKey, Select, Subject, YearMonth,
};
use super::tokens::{is_singular, singular, snake_case, stem};
use super::vocabulary::{CONCEPT_WORDS, CompareOp, Concept, QUANTITY_WORDS, STOCK_LEVEL_WORDS, duration_unit};
use crate::synth::Abstention;
use units::Scale;

fn abstain(reason: impl Into<String>) -> Abstention {
    Abstention { reason: reason.into() }
}

/// Chooses columns and joins for a frame and builds its query.
pub(crate) fn resolve(
    frame: &Frame,
    catalog: &Catalog,
    graph: &JoinGraph,
    confidence: &mut Confidence,
) -> Result<Query, Abstention> {
    let mut resolver =
        Resolver { catalog, graph, confidence, frame, group: frame.group.clone(), named: named_tables(frame) };
    let query = match &frame.select {
        Select::CountRows(entity) => resolver.count_rows(entity)?,
        Select::CountValues(attribute) => resolver.count_values(attribute)?,
        Select::List { entity, attributes, identify, related } => {
            resolver.list(entity.link, attributes, *identify, related)?
        }
        Select::Distinct(attribute) => resolver.distinct(attribute)?,
        Select::Aggregate { func, measure } => resolver.aggregate(*func, measure)?,
        Select::CountAggregate { func, counted } => resolver.count_aggregate(*func, counted)?,
        Select::Ranked { subject, key, descending, limit } => resolver.ranked(subject, key, *descending, *limit)?,
    };
    resolver.judge_joins(&query.from);
    resolver.check_verbs(&query)?;
    Ok(query)
}

/// Tables the question names, in order: they steer every column choice.
fn named_tables(frame: &Frame) -> Vec<TableId> {
    let mut tables = Vec::new();
    let mut add = |link: Option<&EntityLink>| {
        if let Some(link) = link
            && !tables.contains(&link.table)
        {
            tables.push(link.table);
        }
    };
    let subject_link = |subject: &Subject| match subject {
        Subject::Entity(e) => Some(e.link),
        Subject::Attribute(a) => a.qualifier,
        Subject::Period { .. } => None,
    };
    match &frame.select {
        Select::CountRows(e) | Select::List { entity: e, .. } | Select::CountAggregate { counted: e, .. } => {
            add(Some(&e.link))
        }
        Select::CountValues(a) | Select::Distinct(a) => add(a.qualifier.as_ref()),
        Select::Aggregate { measure, .. } => add(measure_qualifier(measure).as_ref()),
        Select::Ranked { subject, key, .. } => {
            add(subject_link(subject).as_ref());
            match key {
                RankKey::Count(e) => add(Some(&e.link)),
                RankKey::Measure(_, m) => add(measure_qualifier(m).as_ref()),
                RankKey::Occurrences => {}
            }
        }
    }
    if let Some(GroupKey::Entity(e)) = &frame.group {
        add(Some(&e.link));
    }
    for filter in &frame.filters {
        match filter {
            Filter::Values { alternatives, anchor, .. } => {
                add(anchor.as_ref());
                if let [only] = alternatives[0].as_slice() {
                    add(Some(&EntityLink { table: only.column.table, role: None }));
                }
            }
            Filter::Text { target, .. } => add(subject_link(target).as_ref()),
            Filter::CountOf { entity, .. }
            | Filter::Key { entity, .. }
            | Filter::PeriodCounts { counted: entity, .. } => add(Some(&entity.link)),
            Filter::Compare { measure, .. } => add(measure_qualifier(measure).as_ref()),
            Filter::Absent { candidates, .. } => {
                if let [only] = candidates.as_slice() {
                    add(Some(only));
                }
            }
            Filter::Missing { attribute, .. } | Filter::Present { attribute } | Filter::Flag { attribute, .. } => {
                add(attribute.qualifier.as_ref())
            }
            Filter::AboveAverage { measure, .. } | Filter::CompareWithRole { measure, .. } => {
                add(measure_qualifier(measure).as_ref())
            }
            Filter::Period(_) | Filter::MonthOfYear { .. } | Filter::Recent { .. } => {}
        }
    }
    for entity in &frame.context {
        add(Some(&entity.link));
    }
    tables
}

fn measure_qualifier(measure: &Measure) -> Option<EntityLink> {
    match measure {
        Measure::Attribute(a) => a.qualifier,
        Measure::Concept { qualifier, .. } => *qualifier,
    }
}

/// A resolved number to aggregate, compare or order by.
#[derive(Debug, Clone)]
struct Numeric {
    expr: NumericExpr,
    /// Base of its result-column alias.
    name: String,
    /// The concept it was found through, if any.
    concept: Option<Concept>,
}

/// A query under construction.
struct Draft {
    tree: JoinTree,
    outputs: Vec<Output>,
    filters: Vec<Predicate>,
    group_by: Vec<Expr>,
    /// Deterministic tie-breakers for ordering (keys of the grouped rows).
    tie_breakers: Vec<Expr>,
    /// Grouped by year or month: order by the bucket.
    time_bucket: bool,
    /// "customers who spent more than 40": totals per listed row, for HAVING.
    having_totals: Vec<HavingTotal>,
}

/// `SUM(measure) op number` (or `AVG(measure) op overall average`) per
/// listed or counted row: a comparison on a measure of the many side
/// ("customers who spent more than 40", "departments with an average salary
/// above the overall average").
#[derive(Debug, Clone)]
struct HavingTotal {
    aggregate: Expr,
    op: CompareOp,
    against: Literal,
    alias: String,
    /// Shown beside the listed rows: a total compared with a number the
    /// question gives ("spent more than 1000"), not one compared with an
    /// average the question only refers to ("more than the average customer").
    shown: bool,
}

impl HavingTotal {
    fn predicate(&self) -> Predicate {
        Predicate::Compare(self.aggregate.clone(), self.op, self.against.clone())
    }
}

impl Draft {
    fn new(root: TableId) -> Draft {
        Draft {
            tree: JoinTree::new(root),
            outputs: Vec::new(),
            filters: Vec::new(),
            group_by: Vec::new(),
            tie_breakers: Vec::new(),
            time_bucket: false,
            having_totals: Vec::new(),
        }
    }

    fn into_query(self) -> Query {
        Query {
            from: self.tree,
            distinct: false,
            outputs: self.outputs,
            filters: self.filters,
            group_by: self.group_by,
            having: Vec::new(),
            order_by: Vec::new(),
            limit: None,
            wrap: None,
        }
    }
}

struct Resolver<'a> {
    catalog: &'a Catalog,
    graph: &'a JoinGraph,
    confidence: &'a mut Confidence,
    frame: &'a Frame,
    /// The frame's group key, unless the shape decided it means something else.
    group: Option<GroupKey>,
    named: Vec<TableId>,
}

impl Resolver<'_> {
    /// "how many customers (per country)", "how many albums have more than 20 tracks".
    fn count_rows(&mut self, entity: &EntityRef) -> Result<Query, Abstention> {
        let root = entity.link.table;
        if let Some(GroupKey::Entity(group)) = &self.group {
            refuse_counting_per_itself(entity, group)?;
        }
        let mut draft = Draft::new(root);
        self.prepare(&mut draft)?;
        let mut having = self.having_counts(&mut draft)?;
        having.extend(draft.having_totals.iter().map(HavingTotal::predicate));
        let alias = count_alias(self.catalog, entity.link);
        if !having.is_empty() {
            if !draft.group_by.is_empty() {
                return Err(abstain("'how many ... have more than N ...' per group is not supported offline"));
            }
            let key = self.require_key(root)?;
            let key = Expr::Column { node: 0, column: key };
            let mut query = draft.into_query();
            query.outputs = vec![Output { expr: key.clone(), alias: None }];
            query.group_by = vec![key];
            query.having = having;
            query.wrap = Some(Wrap { func: None, over: String::new(), alias });
            return Ok(query);
        }
        let count = self.count_expr(&draft.tree, 0)?;
        draft.outputs.push(Output { expr: count, alias: Some(alias.clone()) });
        let mut query = self.grouped_order(draft, &alias)?;
        if query.group_by.is_empty() {
            query.order_by.clear();
        }
        Ok(query)
    }

    /// "average number of tracks per album": the counts per group, then their average.
    fn count_aggregate(&mut self, func: AggFunc, counted: &EntityRef) -> Result<Query, Abstention> {
        if self.group.is_none() {
            return Err(abstain(format!(
                "'{} number of {}' needs what to count per (such as 'per customer')",
                func.alias_prefix(),
                counted.text
            )));
        }
        if self.counted_of_having().is_some() {
            return Err(abstain("an average of counts with 'more than N ...' is not supported offline"));
        }
        let mut query = self.count_rows(counted)?;
        let over = count_alias(self.catalog, counted.link);
        query.order_by.clear();
        query.limit = None;
        query.wrap = Some(Wrap { func: Some(func), alias: aggregate_alias(func, &over), over });
        Ok(query)
    }

    /// "how many countries have customers": distinct values counted.
    fn count_values(&mut self, attribute: &AttributeRef) -> Result<Query, Abstention> {
        let column = self.choose_column(attribute, &self.named.clone(), |_| true)?;
        let facts = self.catalog.column(column);
        if facts.kind == ValueKind::Number && facts.words.iter().any(|w| QUANTITY_WORDS.contains(&w.as_str())) {
            // "how many units were sold": the quantities add up, they are not values to count.
            let measure = Measure::Attribute(AttributeRef {
                candidates: vec![ColumnLink { column, fit: Fit::Exact, date: false, flag: false }],
                ..attribute.clone()
            });
            return self.aggregate(AggFunc::Sum, &measure);
        }
        let mut draft = Draft::new(column.table);
        self.prepare(&mut draft)?;
        self.refuse_having()?;
        let alias = format!("{}_count", snake_case(self.catalog.column_name(column)));
        let value = Expr::Column { node: 0, column };
        draft.outputs.push(Output { expr: Expr::CountDistinct(Box::new(value)), alias: Some(alias.clone()) });
        let mut query = self.grouped_order(draft, &alias)?;
        if query.group_by.is_empty() {
            query.order_by.clear();
        }
        Ok(query)
    }

    /// "list customers in Brazil", "names and emails of customers", "artists with more than 10 albums".
    fn list(
        &mut self,
        entity: EntityLink,
        attributes: &[AttributeRef],
        identify: bool,
        related: &[EntityRef],
    ) -> Result<Query, Abstention> {
        if entity.role.is_some() && related.is_empty() {
            return self.list_role(entity, attributes);
        }
        let root = entity.table;
        let mut draft = Draft::new(root);
        self.prepare(&mut draft)?;
        if !draft.group_by.is_empty() {
            return Err(abstain(format!(
                "listing {} grouped by something is not supported offline; ask for a count or total per group",
                self.catalog.table_name(root)
            )));
        }
        let mut columns = if identify { self.display_columns(root)? } else { Vec::new() };
        for attribute in attributes {
            columns.extend(self.choose_columns(attribute, &[root])?);
        }
        for column in &columns {
            let node = self.attach(&mut draft.tree, column.table)?;
            self.push_column(&mut draft, node, *column);
        }
        for shown in related {
            self.show_related(&mut draft, root, shown)?;
        }
        let having = self.having_counts(&mut draft)?;
        let totals = std::mem::take(&mut draft.having_totals);
        if let Some(first) = totals.first() {
            if !having.is_empty() {
                return Err(abstain("a count and a total compared in one question are not supported offline"));
            }
            let alias = first.alias.clone();
            self.group_by_rows(&mut draft, root);
            let shown: Vec<&HavingTotal> = totals.iter().filter(|t| t.shown).collect();
            for total in &shown {
                draft.outputs.push(Output { expr: total.aggregate.clone(), alias: Some(total.alias.clone()) });
            }
            let mut query = if shown.is_empty() {
                let keys = std::mem::take(&mut draft.tie_breakers);
                let mut query = draft.into_query();
                query.order_by = keys.into_iter().map(|k| (OrderKey::Expr(k), false)).collect();
                query
            } else {
                self.grouped_order(draft, &alias)?
            };
            query.having = totals.iter().map(HavingTotal::predicate).collect();
            return Ok(query);
        }
        if !having.is_empty() {
            let counted = self.counted_of_having();
            let alias = counted.map_or_else(|| "related_count".to_string(), |e| count_alias(self.catalog, e.link));
            let count = self.having_count_expr(&draft)?;
            self.group_by_rows(&mut draft, root);
            draft.outputs.push(Output { expr: count, alias: Some(alias.clone()) });
            let mut query = self.grouped_order(draft, &alias)?;
            query.having = having;
            return Ok(query);
        }
        let distinct = draft.tree.multiplies(0);
        let order = self.list_order(&mut draft, root, distinct)?;
        let mut query = draft.into_query();
        query.distinct = distinct;
        query.order_by = order;
        Ok(query)
    }

    /// "Who manages the IT department?", "list the support reps": the rows
    /// that play the role, reached from the rows that name them, each once.
    /// "members and their cities": the one row of another table that each
    /// listed row refers to, shown by its key and name columns. Rows of a
    /// table each listed row has several of ("books and their loans") would
    /// repeat the list, and a role needs its own join: both abstain.
    fn show_related(&mut self, draft: &mut Draft, root: TableId, shown: &EntityRef) -> Result<(), Abstention> {
        let table = shown.link.table;
        if shown.link.role.is_some() || table == root {
            return Err(abstain(format!("showing '{}' beside each row is not supported offline", shown.text)));
        }
        if self.would_multiply(root, &[table]) {
            return Err(abstain(format!(
                "each {} has several {}: ask for a count per {} or list the {} instead",
                self.catalog.table_name(root),
                shown.text,
                self.catalog.table_name(root),
                shown.text
            )));
        }
        let node = self.attach(&mut draft.tree, table)?;
        for column in self.display_columns(table)? {
            self.push_column(draft, node, column);
        }
        Ok(())
    }

    /// Listed rows compared by a count or total of related rows: grouped by
    /// what is shown and by the rows' key, so each row is its own group even
    /// when only a name is shown ("book titles loaned more than 3 times"),
    /// and the key breaks ties.
    fn group_by_rows(&self, draft: &mut Draft, root: TableId) {
        draft.group_by = draft.outputs.iter().map(|o| o.expr.clone()).collect();
        draft.tie_breakers = self.key_exprs(root, 0);
        for key in &draft.tie_breakers {
            if !draft.group_by.contains(key) {
                draft.group_by.push(key.clone());
            }
        }
    }

    fn list_role(&mut self, entity: EntityLink, attributes: &[AttributeRef]) -> Result<Query, Abstention> {
        let fk = entity.role.expect("callers pass a role");
        let mut draft = Draft::new(fk.table);
        let node = self.entity_node(&mut draft.tree, entity)?;
        self.prepare(&mut draft)?;
        // "managers with more than 6 direct reports": the rows naming each, counted.
        let counts_holders =
            self.counted_of_having().is_some_and(|e| e.link == EntityLink { table: fk.table, role: None });
        let grouped = !draft.group_by.is_empty()
            || !draft.having_totals.is_empty()
            || self.counted_of_having().is_some() && !counts_holders;
        if grouped || !attributes.is_empty() {
            return Err(abstain(format!(
                "listing the {} of {} with more than their names is not supported offline",
                count_alias(self.catalog, entity).trim_end_matches("_count"),
                self.catalog.table_name(fk.table)
            )));
        }
        for column in self.display_columns(entity.table)? {
            self.push_column(&mut draft, node, column);
        }
        let keys = self.key_exprs(entity.table, node);
        if counts_holders {
            let having = self.having_counts(&mut draft)?;
            let alias = count_alias(self.catalog, EntityLink { table: fk.table, role: None });
            draft.group_by = draft.outputs.iter().map(|o| o.expr.clone()).collect();
            draft.tie_breakers = keys;
            draft.outputs.push(Output { expr: self.count_expr(&draft.tree, 0)?, alias: Some(alias.clone()) });
            let mut query = self.grouped_order(draft, &alias)?;
            query.having = having;
            return Ok(query);
        }
        let mut query = draft.into_query();
        query.distinct = true;
        query.order_by = keys.into_iter().map(|k| (OrderKey::Expr(k), false)).collect();
        Ok(query)
    }

    /// "Which countries have more than 5 customers?": the values (not NULL),
    /// grouped, with the count of the related rows that the HAVING clause compares.
    fn values_having_counts(&mut self, mut draft: Draft, column: ColumnId) -> Result<Query, Abstention> {
        let value = Expr::Column { node: 0, column };
        draft.filters.push(Predicate::NotNull(value.clone()));
        self.push_column(&mut draft, 0, column);
        let having = self.having_counts(&mut draft)?;
        let alias =
            self.counted_of_having().map_or_else(|| "related_count".to_string(), |e| count_alias(self.catalog, e.link));
        let count = self.having_count_expr(&draft)?;
        draft.group_by = vec![value.clone()];
        draft.tie_breakers = vec![value];
        draft.outputs.push(Output { expr: count, alias: Some(alias.clone()) });
        let mut query = self.grouped_order(draft, &alias)?;
        query.having = having;
        Ok(query)
    }

    /// "which countries have customers", "distinct billing countries".
    fn distinct(&mut self, attribute: &AttributeRef) -> Result<Query, Abstention> {
        let columns = self.choose_columns(attribute, &self.named.clone())?;
        let categorical =
            |c: &ColumnId| !self.catalog.schema.tables[c.table].columns[c.column].sample_values.is_empty();
        let column = match columns.as_slice() {
            [column] if categorical(column) || attribute.qualifier.is_none() => *column,
            _ => {
                // "names of artists", "names of employees": the attribute of every row, not a set of values.
                let table = attribute.qualifier.unwrap_or(EntityLink { table: columns[0].table, role: None });
                return self.list(table, std::slice::from_ref(attribute), false, &[]);
            }
        };
        let mut draft = Draft::new(column.table);
        self.prepare(&mut draft)?;
        if self.counted_of_having().is_some() && draft.group_by.is_empty() {
            return self.values_having_counts(draft, column);
        }
        self.refuse_having()?;
        if !draft.group_by.is_empty() {
            return Err(abstain(format!(
                "'{}' per group needs an aggregate: say total, average, minimum or maximum",
                attribute.text
            )));
        }
        let value = Expr::Column { node: 0, column };
        draft.filters.push(Predicate::NotNull(value.clone()));
        self.push_column(&mut draft, 0, column);
        let descending = matches!(self.frame.order, Some(OrderRequest::Alphabetical { descending: true }));
        let mut query = draft.into_query();
        query.distinct = true;
        query.order_by = vec![(OrderKey::Expr(value), descending)];
        Ok(query)
    }

    /// "total revenue per year", "average invoice total by country".
    fn aggregate(&mut self, func: AggFunc, measure: &Measure) -> Result<Query, Abstention> {
        let additive = matches!(func, AggFunc::Sum | AggFunc::Avg);
        let near = self.named.clone();
        let numeric = self.numeric(measure, &near, additive)?;
        if let Some(GroupKey::Entity(unit)) = &self.group
            && func == AggFunc::Avg
            && unit.link.table == numeric.expr.table()
        {
            // "average revenue per invoice": the average over invoices, not one group per invoice.
            self.group = None;
        }
        let scale = self.check_units(&numeric)?;
        let per_parent = if func == AggFunc::Avg { self.averaged_per(numeric.expr.table())? } else { None };
        let mut draft = Draft::new(numeric.expr.table());
        self.prepare(&mut draft)?;
        self.refuse_having()?;
        if additive {
            self.refuse_double_counting(&draft.tree, 0, measure.text())?;
        }
        let alias = aggregate_alias(func, scale.as_ref().map_or(&numeric.name, |s| &s.unit));
        let value = numeric_expr(numeric.expr, 0);
        let output = match per_parent {
            // "average order value": the lines' total over the number of orders.
            Some(parent) => {
                let node = self.attach(&mut draft.tree, parent)?;
                let key = Expr::Column { node, column: self.require_key(parent)? };
                let total = Expr::Aggregate(AggFunc::Sum, Box::new(value));
                Expr::Ratio(Box::new(total), Box::new(Expr::CountDistinct(Box::new(key))))
            }
            None => Expr::Aggregate(func, Box::new(value)),
        };
        let output = match &scale {
            Some(scale) => scale.apply(output),
            None => output,
        };
        draft.outputs.push(Output { expr: output, alias: Some(alias.clone()) });
        let mut query = self.grouped_order(draft, &alias)?;
        if query.group_by.is_empty() {
            query.order_by.clear();
        }
        Ok(query)
    }

    /// The table an average is per when the question names a table whose
    /// rows the measure's rows belong to, and not the measure's own: "average
    /// order value" with the value in `order_items` is per order. None when
    /// the measure's table is named itself or no named table is its parent;
    /// an abstention when two named parents are equally near.
    fn averaged_per(&self, measured: TableId) -> Result<Option<TableId>, Abstention> {
        if self.named.contains(&measured) {
            return Ok(None);
        }
        let grouped = match &self.group {
            Some(GroupKey::Entity(unit)) => Some(unit.link.table),
            _ => None,
        };
        let mut parents: Vec<(usize, TableId)> = self
            .named
            .iter()
            .copied()
            .filter(|&t| Some(t) != grouped && t != measured && self.reaches_without_fan_out(measured, t))
            .filter_map(|t| self.graph.distance(measured, t).map(|d| (d, t)))
            .collect();
        parents.sort();
        parents.dedup();
        match parents.as_slice() {
            [] => Ok(None),
            [(d0, a), (d1, b), ..] if d0 == d1 => Err(abstain(format!(
                "could not tell whether the average is per {} or per {}",
                self.catalog.table_name(*a),
                self.catalog.table_name(*b)
            ))),
            [(_, parent), ..] => Ok(Some(*parent)),
        }
    }

    /// Every leftover verb must name something the query involves: a table it
    /// joins ("bought" -> invoice), a column whose name it begins ("billed" ->
    /// `billing_country`), or a role it joins through ("supports" -> `support_rep_id`).
    fn check_verbs(&self, query: &Query) -> Result<(), Abstention> {
        for verb in &self.frame.verbs {
            let starts = |words: &[String]| words.first().is_some_and(|w| stem(w).starts_with(&verb.stem));
            let joined = query.from.nodes.iter().any(|n| verb.events.iter().any(|e| e.table == n.table));
            let through_role = query.from.nodes.iter().filter_map(|n| n.step).any(|(_, edge)| {
                let fk = &self.catalog.schema.tables[edge.fk.table].foreign_keys[edge.fk.index];
                fk.columns.len() == 1 && starts(&super::tokens::split_identifier(&fk.columns[0]))
            });
            let used_column = query_columns(query).into_iter().any(|c| starts(&self.catalog.column(c).words));
            if !(joined || through_role || used_column) {
                return Err(abstain(format!("could not tell how '{}' fits the question", verb.text)));
            }
        }
        Ok(())
    }
}

/// Every column a query's outputs, filters, grouping and HAVING use.
fn query_columns(query: &Query) -> Vec<ColumnId> {
    fn walk(expr: &Expr, out: &mut Vec<ColumnId>) {
        match expr {
            Expr::Column { column, .. } => out.push(*column),
            Expr::Year(e) | Expr::Month(e) | Expr::CountDistinct(e) | Expr::Aggregate(_, e) => walk(e, out),
            Expr::Scaled { expr, .. } => walk(expr, out),
            Expr::CaseWhen { conditions, value } => {
                for predicate in conditions {
                    if let Predicate::Compare(e, _, _) = predicate {
                        walk(e, out);
                    }
                }
                if let Some(value) = value {
                    walk(value, out);
                }
            }
            Expr::Product(a, b) | Expr::Ratio(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::CountRows => {}
        }
    }
    let mut columns = Vec::new();
    for expr in query.outputs.iter().map(|o| &o.expr).chain(&query.group_by) {
        walk(expr, &mut columns);
    }
    for predicate in query.filters.iter().chain(&query.having) {
        match predicate {
            Predicate::In(e, _)
            | Predicate::NotIn(e, _)
            | Predicate::Compare(
                e,
                _,
                Literal::Number(_)
                | Literal::AverageOf(_)
                | Literal::Date(_)
                | Literal::Relative { .. }
                | Literal::AverageWithin { .. }
                | Literal::AverageOfTotals { .. },
            )
            | Predicate::NotNull(e)
            | Predicate::IsNull(e)
            | Predicate::Flag(e, _) => walk(e, &mut columns),
            Predicate::Compare(e, _, Literal::Expr(other)) => {
                walk(e, &mut columns);
                walk(other, &mut columns);
            }
            Predicate::NotExists(absence) => walk(&absence.outer, &mut columns),
        }
    }
    columns
}

fn node_table(tree: &JoinTree, node: NodeId) -> TableId {
    tree.nodes[node].table
}

fn numeric_expr(expr: NumericExpr, node: NodeId) -> Expr {
    match expr {
        NumericExpr::Column(column) => Expr::Column { node, column },
        NumericExpr::Product(a, b) => {
            Expr::Product(Box::new(Expr::Column { node, column: a }), Box::new(Expr::Column { node, column: b }))
        }
    }
}

/// `customer_count`; a role counts as its role name (`manager_count`).
fn count_alias(catalog: &Catalog, link: EntityLink) -> String {
    let base = match link.role {
        Some(fk) => {
            let columns = &catalog.schema.tables[fk.table].foreign_keys[fk.index].columns;
            let name = snake_case(&columns.join("_"));
            name.strip_suffix("_id").map(str::to_string).unwrap_or(name)
        }
        None => {
            let name = snake_case(catalog.table_name(link.table));
            match name.rsplit_once('_') {
                Some((head, last)) => format!("{head}_{}", singular(last)),
                None => singular(&name),
            }
        }
    };
    format!("{base}_count")
}

/// "employees per employee" counts each row once per itself; a self-reference
/// must be named by its role ("per manager").
fn refuse_counting_per_itself(counted: &EntityRef, group: &EntityRef) -> Result<(), Abstention> {
    if counted.link.table == group.link.table && counted.link.role.is_none() && group.link.role.is_none() {
        return Err(abstain(format!(
            "counting '{}' per '{}' needs the relationship between them named (such as 'per manager')",
            counted.text, group.text
        )));
    }
    Ok(())
}

/// `total_revenue`, `avg_unit_price`; never `total_total`.
fn aggregate_alias(func: AggFunc, name: &str) -> String {
    let prefix = func.alias_prefix();
    if name == prefix || name.starts_with(&format!("{prefix}_")) {
        name.to_string()
    } else {
        format!("{prefix}_{name}")
    }
}

fn subject_text(subject: &Subject) -> &str {
    match subject {
        Subject::Entity(e) => &e.text,
        Subject::Attribute(a) => &a.text,
        Subject::Period { text, .. } => text,
    }
}

fn join_names<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => {
            format!("{} and {}", rest.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests;
