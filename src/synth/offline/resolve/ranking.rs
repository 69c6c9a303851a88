//! Rankings: top-N rows, values or calendar periods by a count or a
//! measure, "the most common X", and rows ranked by their own value.
//!
//! Invariants: every ranking orders by its key and then by the rows' keys,
//! so every database returns the same rows for the same LIMIT.

use super::*;

impl Resolver<'_> {
    /// Top-N and "which X has the most Y".
    pub(super) fn ranked(
        &mut self,
        subject: &Subject,
        key: &RankKey,
        descending: bool,
        limit: Option<u64>,
    ) -> Result<Query, Abstention> {
        if self.group.is_some() {
            return Err(abstain("ranking within groups ('top N per ...') is not supported offline"));
        }
        self.refuse_having()?;
        let limit = limit.or_else(|| is_singular(subject_text(subject)).then_some(1));
        let subject_table = match subject {
            Subject::Entity(e) => Some(e.link.table),
            Subject::Attribute(_) | Subject::Period { .. } => None,
        };
        let occurrences;
        let key = match key {
            RankKey::Occurrences => {
                occurrences = RankKey::Count(self.occurring_rows(subject)?);
                &occurrences
            }
            key => key,
        };
        let mut query = match key {
            RankKey::Occurrences => unreachable!("replaced by the rows counted above"),
            RankKey::Count(counted) => {
                if let Subject::Entity(subject) = subject {
                    refuse_counting_per_itself(counted, subject)?;
                }
                let mut draft = Draft::new(counted.link.table);
                self.group_by_subject(&mut draft, subject)?;
                self.prepare(&mut draft)?;
                let alias = count_alias(self.catalog, counted.link);
                let count = self.count_expr(&draft.tree, 0)?;
                draft.outputs.push(Output { expr: count, alias: Some(alias.clone()) });
                self.ranked_order(draft, &alias, descending)
            }
            RankKey::Measure(func, measure) => {
                let mut near: Vec<TableId> = subject_table.into_iter().collect();
                near.extend(self.named.iter().copied().filter(|t| Some(*t) != subject_table));
                let wanted_func = *func;
                // "the first employee we hired": rows ranked by a date the question names.
                let dated = matches!(measure, Measure::Attribute(a) if a.candidates.iter().all(|c| c.date));
                let additive = !dated && wanted_func.is_none_or(|f| f != AggFunc::Min && f != AggFunc::Max);
                let numeric = self.numeric(measure, &near, additive)?;
                let scale = self.check_units(&numeric)?;
                let per_row = subject_table.is_some_and(|s| self.reaches_without_fan_out(s, numeric.expr.table()));
                if per_row && let Some(subject_table) = subject_table {
                    self.ranked_rows(subject_table, &numeric, descending, scale.as_ref())?
                } else {
                    let func = match wanted_func {
                        Some(func) => func,
                        None => self.default_total(&numeric, measure),
                    };
                    let mut draft = Draft::new(numeric.expr.table());
                    self.group_by_subject(&mut draft, subject)?;
                    self.prepare(&mut draft)?;
                    if matches!(func, AggFunc::Sum | AggFunc::Avg) {
                        self.refuse_double_counting(&draft.tree, 0, measure.text())?;
                    }
                    let alias = aggregate_alias(func, scale.as_ref().map_or(&numeric.name, |s| &s.unit));
                    let value = Expr::Aggregate(func, Box::new(numeric_expr(numeric.expr, 0)));
                    let value = match &scale {
                        Some(scale) => scale.apply(value),
                        None => value,
                    };
                    draft.outputs.push(Output { expr: value, alias: Some(alias.clone()) });
                    self.ranked_order(draft, &alias, descending)
                }
            }
        };
        query.limit = limit;
        Ok(query)
    }

    /// The rows that count how common each subject is: a column's own rows
    /// ("the most common billing country": invoices), or the rows of the one
    /// table that refers to a table ("the most common genre": tracks).
    pub(super) fn occurring_rows(&mut self, subject: &Subject) -> Result<EntityRef, Abstention> {
        let (table, text) = match subject {
            Subject::Attribute(attribute) => {
                let column = self.choose_column(attribute, &self.named.clone(), |_| true)?;
                return Ok(EntityRef {
                    link: EntityLink { table: column.table, role: None },
                    text: attribute.text.clone(),
                });
            }
            Subject::Entity(entity) => (entity.link.table, &entity.text),
            Subject::Period { text, .. } => {
                return Err(abstain(format!("'{text}' needs what to count (say 'most ... orders')")));
            }
        };
        let referring: Vec<TableId> = (0..self.catalog.tables.len())
            .filter(|&t| t != table && self.parents(t).iter().any(|(referenced, _)| *referenced == table))
            .collect();
        match referring.as_slice() {
            [one] => Ok(EntityRef { link: EntityLink { table: *one, role: None }, text: text.clone() }),
            [] => Err(abstain(format!(
                "nothing refers to {} to count how common each is",
                self.catalog.table_name(table)
            ))),
            several => {
                let names: Vec<&str> = several.iter().map(|&t| self.catalog.table_name(t)).collect();
                Err(abstain(format!(
                    "'{text}' could be most common among {}: name which (such as 'among {}')",
                    join_names(&names),
                    names[0]
                )))
            }
        }
    }

    /// Rows of one table ordered by a value of each row ("the 10 longest tracks").
    pub(super) fn ranked_rows(
        &mut self,
        table: TableId,
        numeric: &Numeric,
        descending: bool,
        scale: Option<&Scale>,
    ) -> Result<Query, Abstention> {
        let mut draft = Draft::new(table);
        for column in self.display_columns(table)? {
            self.push_column(&mut draft, 0, column);
        }
        let node = self.attach(&mut draft.tree, numeric.expr.table())?;
        let value = numeric_expr(numeric.expr, node);
        match (numeric.expr, scale) {
            // "the 5 longest tracks in minutes": the value shown in the unit asked.
            (_, Some(scale)) => {
                draft.outputs.push(Output { expr: scale.apply(value.clone()), alias: Some(scale.unit.clone()) })
            }
            (NumericExpr::Column(column), None) if column.table == table => self.push_column(&mut draft, node, column),
            _ => draft.outputs.push(Output { expr: value.clone(), alias: Some(numeric.name.clone()) }),
        }
        self.prepare(&mut draft)?;
        if draft.tree.multiplies(0) {
            return Err(abstain(format!(
                "ranking {} here would repeat rows (a join multiplies them)",
                self.catalog.table_name(table)
            )));
        }
        let mut order = vec![(OrderKey::Expr(value), descending)];
        order.extend(self.key_exprs(table, 0).into_iter().map(|k| (OrderKey::Expr(k), false)));
        let mut query = draft.into_query();
        query.order_by = order;
        Ok(query)
    }
}
