//! The clauses every shape shares: joining the named tables, the group key,
//! WHERE filters (values, quoted strings, comparisons, date ranges), HAVING
//! counts, and the ORDER BY of grouped, ranked and listed results.
//!
//! Invariants: grouped results order by the measure and then by the group
//! key; rankings order by the measure (sums and averages rounded) and then by
//! the key, so every database returns the same rows for the same LIMIT.

use super::*;

impl Resolver<'_> {
    /// Joins the named context tables, applies the group key and the filters.
    pub(super) fn prepare(&mut self, draft: &mut Draft) -> Result<(), Abstention> {
        for entity in &self.frame.context {
            self.entity_node(&mut draft.tree, entity.link)?;
        }
        if let Some(group) = self.group.clone() {
            self.apply_group(draft, &group)?;
        }
        for filter in &self.frame.filters {
            self.apply_filter(draft, filter)?;
        }
        Ok(())
    }

    pub(super) fn group_by_subject(&mut self, draft: &mut Draft, subject: &Subject) -> Result<(), Abstention> {
        match subject {
            Subject::Entity(entity) => self.apply_group(draft, &GroupKey::Entity(entity.clone())),
            Subject::Attribute(attribute) => self.apply_group(draft, &GroupKey::Attribute(attribute.clone())),
            Subject::Period { month, .. } => {
                self.apply_group(draft, if *month { &GroupKey::Month } else { &GroupKey::Year })
            }
        }
    }

    pub(super) fn apply_group(&mut self, draft: &mut Draft, group: &GroupKey) -> Result<(), Abstention> {
        match group {
            GroupKey::Entity(entity) => {
                let node = self.entity_node(&mut draft.tree, entity.link)?;
                let table = entity.link.table;
                // A group of rows without a name ("per order") is shown by its key alone.
                let columns = match (self.catalog.labels(table).is_empty(), self.catalog.key(table)) {
                    (true, Some(key)) => vec![key],
                    _ => self.display_columns(table)?,
                };
                for column in columns {
                    self.push_column(draft, node, column);
                    draft.group_by.push(Expr::Column { node, column });
                }
                draft.tie_breakers = self.key_exprs(table, node);
            }
            GroupKey::Attribute(attribute) => {
                let near = self.tree_tables(&draft.tree);
                let columns = self.choose_columns(attribute, &near)?;
                if let [column] = columns.as_slice()
                    && self.catalog.labels(column.table) == [*column]
                    && self.catalog.key(column.table).is_some_and(|key| key != *column)
                {
                    // "per job title", "per genre name": the name stands for its row,
                    // grouped by key too (two rows may share a name).
                    let entity = EntityRef {
                        link: EntityLink { table: column.table, role: None },
                        text: attribute.text.clone(),
                    };
                    return self.apply_group(draft, &GroupKey::Entity(entity));
                }
                for column in columns {
                    let node = self.attach(&mut draft.tree, column.table)?;
                    self.push_column(draft, node, column);
                    let expr = Expr::Column { node, column };
                    draft.group_by.push(expr.clone());
                    draft.tie_breakers.push(expr);
                }
            }
            GroupKey::Year | GroupKey::Month => {
                let (node, column) = self.date_column(&mut draft.tree, self.frame.bucket_date.as_ref())?;
                if self.catalog.column(column).year {
                    if *group == GroupKey::Month {
                        return Err(abstain(format!("{} holds years, not months", self.catalog.describe(column))));
                    }
                    // "books released each year" with a `release_year`: the column is the year.
                    let year = Expr::Column { node, column };
                    draft.outputs.push(Output { expr: year.clone(), alias: Some("year".to_string()) });
                    draft.group_by.push(year.clone());
                    draft.tie_breakers.push(year);
                    draft.time_bucket = true;
                    return Ok(());
                }
                let date = Expr::Column { node, column };
                let mut parts = vec![(Expr::Year(Box::new(date.clone())), "year")];
                if *group == GroupKey::Month {
                    parts.push((Expr::Month(Box::new(date)), "month"));
                }
                for (expr, alias) in parts {
                    draft.outputs.push(Output { expr: expr.clone(), alias: Some(alias.to_string()) });
                    draft.group_by.push(expr.clone());
                    draft.tie_breakers.push(expr);
                }
                draft.time_bucket = true;
            }
        }
        Ok(())
    }

    pub(super) fn apply_filter(&mut self, draft: &mut Draft, filter: &Filter) -> Result<(), Abstention> {
        match filter {
            Filter::Values { alternatives, texts, either, anchor, negated } => {
                let before = draft.filters.len();
                self.apply_values(draft, alternatives, texts, *either, *anchor)?;
                if *negated {
                    for predicate in &mut draft.filters[before..] {
                        if let Predicate::In(expr, values) = predicate {
                            *predicate = Predicate::NotIn(expr.clone(), std::mem::take(values));
                        }
                    }
                }
            }
            Filter::Absent { candidates, text } => self.apply_absence(draft, candidates, text)?,
            Filter::AboveAverage { measure, op, text, scope } => {
                self.apply_above_average(draft, measure, *op, text, scope)?
            }
            Filter::CompareWithRole { measure, op, role, text } => {
                let near = self.tree_tables(&draft.tree);
                let numeric = self.numeric(measure, &near, false)?;
                let node = self.attach(&mut draft.tree, numeric.expr.table())?;
                if node != 0
                    || role.role.is_none_or(|fk| fk.table != numeric.expr.table())
                    || role.table != numeric.expr.table()
                {
                    return Err(abstain(format!(
                        "'{text}' compares {} only between rows of one table",
                        self.describe_numeric(numeric.expr)
                    )));
                }
                let role_node = self.entity_node(&mut draft.tree, *role)?;
                let other = numeric_expr(numeric.expr, role_node);
                draft.filters.push(Predicate::Compare(
                    numeric_expr(numeric.expr, node),
                    *op,
                    Literal::Expr(Box::new(other)),
                ));
            }
            Filter::Key { entity, key } => {
                let node = self.entity_node(&mut draft.tree, entity.link)?;
                let column = self.require_key(entity.link.table)?;
                let key = Literal::Number(*key as f64);
                draft.filters.push(Predicate::Compare(Expr::Column { node, column }, CompareOp::Eq, key));
            }
            Filter::Flag { attribute, set } => {
                let near = self.tree_tables(&draft.tree);
                let column = self.choose_column(attribute, &near, |c| c.flag)?;
                let node = self.attach(&mut draft.tree, column.table)?;
                draft.filters.push(Predicate::Flag(Expr::Column { node, column }, *set));
            }
            Filter::Missing { attribute, adjective } => self.apply_emptiness(draft, attribute, true, *adjective)?,
            Filter::Present { attribute } => self.apply_emptiness(draft, attribute, false, false)?,
            Filter::Text { target, text } => {
                let (node, column) = match target {
                    Subject::Attribute(attribute) => {
                        let near = self.tree_tables(&draft.tree);
                        let column = self.choose_column(attribute, &near, |c| c.kind == ValueKind::Text)?;
                        (self.attach(&mut draft.tree, column.table)?, column)
                    }
                    Subject::Entity(entity) => {
                        let column = self.text_label(entity)?;
                        (self.entity_node(&mut draft.tree, entity.link)?, column)
                    }
                    Subject::Period { text: period, .. } => {
                        return Err(abstain(format!("'{text}' cannot be compared with a {period}")));
                    }
                };
                draft.filters.push(Predicate::In(Expr::Column { node, column }, vec![text.clone()]));
            }
            Filter::Compare { measure, op, number, text, unit, across } => {
                let near = self.tree_tables(&draft.tree);
                let numeric = self.numeric(measure, &near, false)?;
                // "longer than 5 minutes" on a `Milliseconds` column: 300000.
                let number = match unit {
                    Some(asked) => {
                        let scale = self.duration_scale(&numeric, *asked, text)?;
                        *number * scale.divide as f64 / scale.multiply as f64
                    }
                    None => *number,
                };
                let number = &number;
                let node = self.attach(&mut draft.tree, numeric.expr.table())?;
                if self.reached_through_fan_out(&draft.tree, node) {
                    // "customers who spent more than 40": the total per row asked about.
                    let rows_asked_about = matches!(self.frame.select, Select::List { .. } | Select::CountRows(_));
                    if !rows_asked_about {
                        return Err(abstain(format!(
                            "'{text}' compares a total per {} row, which only lists and counts support offline",
                            self.catalog.table_name(draft.tree.root())
                        )));
                    }
                    self.refuse_double_counting(&draft.tree, node, text)?;
                    let func = match across {
                        Across::Func(func) => *func,
                        Across::OneOf => {
                            return Err(abstain(format!(
                                "'{} {text}': any one of them or their total? say 'any' or 'total'",
                                measure.text()
                            )));
                        }
                        // A total of grades or ratings means nothing: only what adds up is totalled unasked.
                        Across::Unsaid => self.default_total(&numeric, measure),
                    };
                    let value = numeric_expr(numeric.expr, node);
                    draft.having_totals.push(HavingTotal {
                        aggregate: Expr::Aggregate(func, Box::new(value)),
                        op: *op,
                        against: Literal::Number(*number),
                        alias: aggregate_alias(func, &numeric.name),
                        shown: true,
                    });
                    return Ok(());
                }
                if let Across::Func(_) = across {
                    return Err(abstain(format!(
                        "'{} {text}': each {} row has one, so there is nothing to aggregate",
                        measure.text(),
                        self.catalog.table_name(draft.tree.root())
                    )));
                }
                draft.filters.push(Predicate::Compare(numeric_expr(numeric.expr, node), *op, Literal::Number(*number)));
            }
            Filter::Period(period) => {
                let predicates = self.period_predicates(&mut draft.tree, period)?;
                draft.filters.extend(predicates);
            }
            Filter::PeriodCounts { counted, current, base } => {
                // "stores with more orders in 2022 than in 2021": per listed row, one count against the other.
                let node = self.entity_node(&mut draft.tree, counted.link)?;
                self.refuse_double_counting(&draft.tree, node, &counted.text)?;
                // The date of the rows counted, unless the question names another.
                let date = match &current.column {
                    Some(named) => self.date_column(&mut draft.tree, Some(named))?,
                    None => {
                        let own = self.own_date(counted.link.table)?.ok_or_else(|| {
                            abstain(format!(
                                "{} has no date to count by period",
                                self.catalog.table_name(counted.link.table)
                            ))
                        })?;
                        (node, own)
                    }
                };
                let count_in = |period: &Period| -> Result<Expr, Abstention> {
                    let conditions = self.period_predicates_on(date, period)?;
                    Ok(Expr::Aggregate(AggFunc::Sum, Box::new(Expr::CaseWhen { conditions, value: None })))
                };
                let (now, before) = (count_in(current)?, count_in(base)?);
                draft.having_totals.push(HavingTotal {
                    aggregate: now,
                    op: CompareOp::Gt,
                    against: Literal::Expr(Box::new(before)),
                    alias: count_alias(self.catalog, counted.link),
                    shown: false,
                });
            }
            Filter::MonthOfYear { column, month } => {
                let (node, column) = self.date_column(&mut draft.tree, column.as_ref())?;
                if self.catalog.column(column).year {
                    return Err(abstain(format!("{} holds years, not months", self.catalog.describe(column))));
                }
                let month_of = Expr::Month(Box::new(Expr::Column { node, column }));
                draft.filters.push(Predicate::Compare(month_of, CompareOp::Eq, Literal::Number(f64::from(*month))));
            }
            Filter::Recent { column, span } => {
                let (node, column) = self.date_column(&mut draft.tree, column.as_ref())?;
                if self.catalog.column(column).year {
                    return Err(abstain(format!(
                        "{} holds years, not dates: name the year instead",
                        self.catalog.describe(column)
                    )));
                }
                let date = Expr::Column { node, column };
                let bound = |offset: i32| Literal::Relative { unit: span.unit, offset, calendar: span.calendar };
                draft.filters.push(Predicate::Compare(date.clone(), CompareOp::Ge, bound(span.from)));
                if let Some(until) = span.until {
                    draft.filters.push(Predicate::Compare(date, CompareOp::Lt, bound(until)));
                }
            }
            Filter::CountOf { .. } => {}
        }
        Ok(())
    }

    /// The conditions that put a date in `period`: a half-open range on a date
    /// column, or years compared with a column that holds the year itself.
    pub(super) fn period_predicates(
        &mut self,
        tree: &mut JoinTree,
        period: &Period,
    ) -> Result<Vec<Predicate>, Abstention> {
        let date = self.date_column(tree, period.column.as_ref())?;
        self.period_predicates_on(date, period)
    }

    /// [`Resolver::period_predicates`] on a date already chosen.
    fn period_predicates_on(
        &self,
        (node, column): (NodeId, ColumnId),
        period: &Period,
    ) -> Result<Vec<Predicate>, Abstention> {
        let Period { from, until, .. } = period;
        let date = Expr::Column { node, column };
        let mut predicates = Vec::new();
        if self.catalog.column(column).year {
            // "released in 2006": the column holds the year itself.
            let whole_years = from.is_none_or(|f| f.month == 1) && until.is_none_or(|u| u.month == 1);
            if !whole_years {
                return Err(abstain(format!(
                    "{} holds years, not dates: a month cannot be compared with it",
                    self.catalog.describe(column)
                )));
            }
            let year = |ym: &YearMonth| Literal::Number(f64::from(ym.year));
            match (from, until) {
                (Some(f), Some(u)) if u.year == f.year + 1 => {
                    predicates.push(Predicate::Compare(date, CompareOp::Eq, year(f)))
                }
                _ => {
                    if let Some(f) = from {
                        predicates.push(Predicate::Compare(date.clone(), CompareOp::Ge, year(f)));
                    }
                    if let Some(u) = until {
                        predicates.push(Predicate::Compare(date, CompareOp::Lt, year(u)));
                    }
                }
            }
            return Ok(predicates);
        }
        if let Some(from) = from {
            predicates.push(Predicate::Compare(date.clone(), CompareOp::Ge, Literal::Date(*from)));
        }
        if let Some(until) = until {
            predicates.push(Predicate::Compare(date, CompareOp::Lt, Literal::Date(*until)));
        }
        Ok(predicates)
    }

    /// A value compared with an average: of all rows, of the rows of the same
    /// group ("of their department"), or each listed row's average against
    /// the overall one (a HAVING on the many side).
    fn apply_above_average(
        &mut self,
        draft: &mut Draft,
        measure: &Measure,
        op: CompareOp,
        text: &str,
        scope: &AverageScope,
    ) -> Result<(), Abstention> {
        let near = self.tree_tables(&draft.tree);
        let numeric = self.numeric(measure, &near, true)?;
        let node = self.attach(&mut draft.tree, numeric.expr.table())?;
        let value = numeric_expr(numeric.expr, node);
        let overall = Literal::AverageOf(Box::new(value.clone()));
        let fanned_out = self.reached_through_fan_out(&draft.tree, node);
        match scope {
            AverageScope::PerListedRow if fanned_out => {
                let rows_asked_about = matches!(self.frame.select, Select::List { .. } | Select::CountRows(_));
                if !rows_asked_about {
                    return Err(abstain(format!("'{text}' of each row is supported offline only in lists and counts")));
                }
                self.refuse_double_counting(&draft.tree, node, text)?;
                draft.having_totals.push(HavingTotal {
                    aggregate: Expr::Aggregate(AggFunc::Avg, Box::new(value)),
                    op,
                    against: overall,
                    alias: aggregate_alias(AggFunc::Avg, &numeric.name),
                    shown: true,
                });
                return Ok(());
            }
            AverageScope::PerListedRow => {
                return Err(abstain(format!("'{text}': each row has one value, not an average of several")));
            }
            AverageScope::PerRowTotal if fanned_out => {
                let rows_asked_about = matches!(self.frame.select, Select::List { .. } | Select::CountRows(_));
                if !rows_asked_about {
                    return Err(abstain(format!("'{text}' of each row is supported offline only in lists and counts")));
                }
                self.refuse_double_counting(&draft.tree, node, text)?;
                // The totals of every row: the measure's rows joined to the rows asked about, summed per key.
                let asked = draft.tree.root();
                let mut tree = JoinTree::new(numeric.expr.table());
                let asked_node = self.attach(&mut tree, asked)?;
                let key = Expr::Column { node: asked_node, column: self.require_key(asked)? };
                let against = Literal::AverageOfTotals {
                    total: Box::new(numeric_expr(numeric.expr, 0)),
                    key: Box::new(key),
                    tree: Box::new(tree),
                };
                draft.having_totals.push(HavingTotal {
                    aggregate: Expr::Aggregate(AggFunc::Sum, Box::new(value)),
                    op,
                    against,
                    alias: aggregate_alias(AggFunc::Sum, &numeric.name),
                    shown: false,
                });
                return Ok(());
            }
            // The rows asked about hold the value themselves ("orders.total"): against its average.
            AverageScope::PerRowTotal if node == 0 => draft.filters.push(Predicate::Compare(value, op, overall)),
            AverageScope::PerRowTotal => {
                return Err(abstain(format!(
                    "'{text}' compares {} values with their average only on the rows asked about",
                    self.catalog.table_name(numeric.expr.table())
                )));
            }
            _ if fanned_out || node != 0 => {
                return Err(abstain(format!(
                    "'{text}' compares {} values with their average only on the rows asked about",
                    self.catalog.table_name(numeric.expr.table())
                )));
            }
            AverageScope::AllRows => draft.filters.push(Predicate::Compare(value, op, overall)),
            AverageScope::Within(group) => {
                // Peers share the row's foreign key to the group ("employees of the same department").
                let table = numeric.expr.table();
                let keys: Vec<ColumnId> = self
                    .parents(table)
                    .into_iter()
                    .filter(|(referenced, _)| *referenced == group.link.table)
                    .filter_map(|(_, index)| self.single_fk_column(ForeignKeyId { table, index }).ok())
                    .collect();
                let [key] = keys.as_slice() else {
                    return Err(abstain(format!(
                        "could not tell how {} rows belong to one {}",
                        self.catalog.table_name(table),
                        group.text
                    )));
                };
                let peers = Literal::AverageWithin { value: Box::new(value.clone()), key: *key };
                draft.filters.push(Predicate::Compare(value, op, peers));
            }
        }
        Ok(())
    }

    /// "customers in Brazil", "Brazil or Chile": one column holding every value.
    pub(super) fn apply_values(
        &mut self,
        draft: &mut Draft,
        alternatives: &[Vec<ValueLink>],
        texts: &[String],
        either: bool,
        anchor: Option<EntityLink>,
    ) -> Result<(), Abstention> {
        let mut common: Vec<ColumnId> = alternatives[0].iter().map(|v| v.column).collect();
        common.retain(|c| alternatives.iter().all(|alt| alt.iter().any(|v| v.column == *c)));
        common.dedup();
        if common.is_empty() {
            if either {
                return Err(abstain(format!("'{}' mixes values of different columns with 'or'", texts.join("' or '"))));
            }
            for (alternative, text) in alternatives.iter().zip(texts) {
                self.apply_values(draft, std::slice::from_ref(alternative), std::slice::from_ref(text), false, anchor)?;
            }
            return Ok(());
        }
        let column = self.choose_value_column(&draft.tree, &common, anchor, &texts[0])?;
        let values: Vec<String> = alternatives
            .iter()
            .filter_map(|alt| alt.iter().find(|v| v.column == column).map(|v| v.value.clone()))
            .collect();
        let node = match anchor {
            Some(link) if link.table == column.table => self.entity_node(&mut draft.tree, link)?,
            _ => self.attach(&mut draft.tree, column.table)?,
        };
        let expr = Expr::Column { node, column };
        if draft.filters.iter().any(|p| matches!(p, Predicate::In(e, _) if *e == expr)) {
            // "Payroll ... Accounting" on one column can never both hold.
            return Err(abstain(format!(
                "'{}' and another value are both values of {}: say 'or' if either is meant",
                texts.join("', '"),
                self.catalog.describe(column)
            )));
        }
        draft.filters.push(Predicate::In(expr, values));
        Ok(())
    }

    /// Among columns holding a value: the anchor's, then the closest to the query's tables.
    pub(super) fn choose_value_column(
        &mut self,
        tree: &JoinTree,
        columns: &[ColumnId],
        anchor: Option<EntityLink>,
        text: &str,
    ) -> Result<ColumnId, Abstention> {
        if let [only] = columns {
            return Ok(*only);
        }
        if let Some(anchor) = anchor {
            let in_anchor: Vec<ColumnId> = columns.iter().copied().filter(|c| c.table == anchor.table).collect();
            if let [only] = in_anchor.as_slice() {
                return Ok(*only);
            }
        }
        // "invoices billed to Germany": a verb beginning one column's name settles it.
        let named_by_verb: Vec<ColumnId> = columns
            .iter()
            .copied()
            .filter(|&c| {
                let first = self.catalog.column(c).words.first().map(|w| stem(w));
                self.frame.verbs.iter().any(|v| first.as_ref().is_some_and(|f| f.starts_with(&v.stem)))
            })
            .collect();
        if let [only] = named_by_verb.as_slice() {
            return Ok(*only);
        }
        let near = self.tree_tables(tree);
        let mut scored: Vec<(usize, ColumnId)> =
            columns.iter().filter_map(|&c| self.distance_to(c.table, &near).map(|d| (d, c))).collect();
        scored.sort();
        match scored.as_slice() {
            [] => Err(abstain(format!("no join path reaches a column holding '{text}'"))),
            [(d0, best), (d1, second), ..] if d0 == d1 => Err(abstain(format!(
                "ambiguous: '{text}' is a value of {} and {}",
                self.catalog.describe(*best),
                self.catalog.describe(*second)
            ))),
            [(_, best), ..] => {
                self.confidence.doubt(
                    cost::NEARBY_COLUMN,
                    format!("took '{text}' as {}, the closest column holding it", self.catalog.describe(*best)),
                );
                Ok(*best)
            }
        }
    }

    /// "have more than 5 invoices": HAVING on the count of the related rows.
    pub(super) fn having_counts(&mut self, draft: &mut Draft) -> Result<Vec<Predicate>, Abstention> {
        let mut having = Vec::new();
        for filter in &self.frame.filters {
            if let Filter::CountOf { entity, op, number } = filter {
                let node = self.entity_node(&mut draft.tree, entity.link)?;
                let count = self.count_expr(&draft.tree, node)?;
                having.push(Predicate::Compare(count, *op, Literal::Number(*number)));
            }
        }
        if having.len() > 1 {
            return Err(abstain("more than one 'have more than N ...' condition is not supported offline"));
        }
        Ok(having)
    }

    pub(super) fn counted_of_having(&self) -> Option<&EntityRef> {
        self.frame.filters.iter().find_map(|f| match f {
            Filter::CountOf { entity, .. } => Some(entity),
            _ => None,
        })
    }

    /// The count expression the HAVING clause uses, to show it in the result too.
    pub(super) fn having_count_expr(&mut self, draft: &Draft) -> Result<Expr, Abstention> {
        let entity = self.counted_of_having().ok_or_else(|| abstain("no count to show"))?.link;
        let node = draft
            .tree
            .nodes
            .iter()
            .position(|n| n.table == entity.table)
            .ok_or_else(|| abstain("the counted table is not joined"))?;
        self.count_expr(&draft.tree, node)
    }

    pub(super) fn refuse_having(&self) -> Result<(), Abstention> {
        match self.counted_of_having() {
            Some(entity) => Err(abstain(format!(
                "'more than N {}' is only supported with 'how many' or a list of rows",
                entity.text
            ))),
            None => Ok(()),
        }
    }

    /// Grouped results: by the measure (largest first) or, for years and months, chronologically.
    pub(super) fn grouped_order(&mut self, mut draft: Draft, alias: &str) -> Result<Query, Abstention> {
        let mut order: Vec<(OrderKey, bool)> = Vec::new();
        match &self.frame.order {
            Some(OrderRequest::Alphabetical { descending }) => {
                order.extend(draft.group_by.iter().map(|e| (OrderKey::Expr(e.clone()), *descending)));
            }
            Some(OrderRequest::ByMeasure { measure, descending }) => {
                let Measure::Attribute(attribute) = measure else {
                    return Err(abstain(format!(
                        "sorting grouped results by '{}' is not supported offline",
                        measure.text()
                    )));
                };
                let near = self.tree_tables(&draft.tree);
                let column = self.choose_column(attribute, &near, |_| true)?;
                let grouped =
                    draft.group_by.iter().find(|e| matches!(e, Expr::Column { column: c, .. } if *c == column));
                let grouped = grouped.cloned().ok_or_else(|| {
                    abstain(format!("sorting grouped results by '{}' is not supported offline", attribute.text))
                })?;
                order.push((OrderKey::Expr(grouped), *descending));
            }
            None if draft.time_bucket => {
                order.extend(draft.tie_breakers.iter().map(|e| (OrderKey::Expr(e.clone()), false)));
            }
            None => {
                order.push((OrderKey::Alias(alias.to_string()), true));
                order.extend(draft.tie_breakers.iter().map(|e| (OrderKey::Expr(e.clone()), false)));
            }
        }
        let tie_breakers = std::mem::take(&mut draft.tie_breakers);
        let mut query = draft.into_query();
        for key in tie_breakers {
            if !order.iter().any(|(k, _)| *k == OrderKey::Expr(key.clone())) {
                order.push((OrderKey::Expr(key), false));
            }
        }
        query.order_by = order;
        Ok(query)
    }

    /// Ranked groups: by the measure, then by the group's key so ties break the same everywhere.
    pub(super) fn ranked_order(&mut self, draft: Draft, alias: &str, descending: bool) -> Query {
        let measure = draft.outputs.iter().find(|o| o.alias.as_deref() == Some(alias)).map(|o| &o.expr);
        let key = match measure {
            Some(expr @ Expr::Aggregate(AggFunc::Sum | AggFunc::Avg, _)) => OrderKey::Rounded(expr.clone()),
            _ => OrderKey::Alias(alias.to_string()),
        };
        let mut order = vec![(key, descending)];
        order.extend(draft.tie_breakers.iter().map(|e| (OrderKey::Expr(e.clone()), false)));
        let mut query = draft.into_query();
        query.order_by = order;
        query
    }

    /// A list's order: as asked, else by the key (or the first column).
    pub(super) fn list_order(
        &mut self,
        draft: &mut Draft,
        root: TableId,
        distinct: bool,
    ) -> Result<Vec<(OrderKey, bool)>, Abstention> {
        let keys = self.key_exprs(root, 0);
        let mut order = match &self.frame.order {
            Some(OrderRequest::Alphabetical { descending }) => {
                let labels = self.catalog.labels(root);
                if labels.is_empty() {
                    return Err(abstain(format!(
                        "{} has no name column to sort alphabetically",
                        self.catalog.table_name(root)
                    )));
                }
                labels
                    .into_iter()
                    .map(|column| (OrderKey::Expr(Expr::Column { node: 0, column }), *descending))
                    .collect()
            }
            Some(OrderRequest::ByMeasure { measure, descending }) => {
                let numeric = self.numeric(measure, &[root], false).or_else(|_| match measure {
                    Measure::Attribute(a) => self.choose_column(a, &[root], |_| true).map(|column| Numeric {
                        expr: NumericExpr::Column(column),
                        name: snake_case(self.catalog.column_name(column)),
                        concept: None,
                    }),
                    Measure::Concept { .. } => Err(abstain(format!("could not sort by '{}'", measure.text()))),
                })?;
                let node = self.attach(&mut draft.tree, numeric.expr.table())?;
                let value = numeric_expr(numeric.expr, node);
                match numeric.expr {
                    NumericExpr::Column(column) => self.push_column(draft, node, column),
                    NumericExpr::Product(..) if !draft.outputs.iter().any(|o| o.expr == value) => {
                        draft.outputs.push(Output { expr: value.clone(), alias: Some(numeric.name.clone()) });
                    }
                    NumericExpr::Product(..) => {}
                }
                vec![(OrderKey::Expr(value), *descending)]
            }
            None => Vec::new(),
        };
        let selected = |e: &Expr| draft.outputs.iter().any(|o| &o.expr == e);
        let tie_breakers: Vec<Expr> = if keys.iter().all(selected) || !distinct {
            keys
        } else {
            draft.outputs.iter().map(|o| o.expr.clone()).collect()
        };
        for key in tie_breakers {
            if !order.iter().any(|(k, _)| *k == OrderKey::Expr(key.clone())) {
                order.push((OrderKey::Expr(key), false));
            }
        }
        Ok(order)
    }
}
