//! Choosing columns: one column per attribute (closest to the tables the
//! question names, exact names before last-word matches), a table's name
//! columns for "name", the column or price x quantity that measures a concept,
//! and the key and name columns shown for a table.
//!
//! Invariants: candidates that tie on closeness and fit are an ambiguity and
//! abstain, naming the tied columns.

use super::*;

impl Resolver<'_> {
    /// The best candidates of an attribute (ties included), by closeness to `near` then fit.
    pub(super) fn best_candidates(
        &self,
        attribute: &AttributeRef,
        near: &[TableId],
        accept: impl Fn(&ColumnFacts) -> bool,
    ) -> Result<Vec<(usize, Fit, ColumnId)>, Abstention> {
        let mut candidates: Vec<(usize, Fit, ColumnId)> = attribute
            .candidates
            .iter()
            .filter(|c| accept(self.catalog.column(c.column)))
            .filter_map(|c| self.distance_to(c.column.table, near).map(|d| (d, c.fit, c.column)))
            .collect();
        if let Some(qualifier) = attribute.qualifier
            && candidates.iter().any(|c| c.2.table == qualifier.table)
        {
            candidates.retain(|c| c.2.table == qualifier.table);
            for c in &mut candidates {
                c.0 = 0;
            }
        }
        candidates.sort();
        candidates.dedup_by_key(|c| c.2);
        let Some(&(distance, fit, _)) = candidates.first() else {
            return Err(abstain(format!("'{}' is not a suitable column here", attribute.text)));
        };
        candidates.retain(|c| c.0 == distance && c.1 == fit);
        Ok(candidates)
    }

    /// Exactly one column for an attribute, or an abstention naming the tie.
    pub(super) fn choose_column(
        &mut self,
        attribute: &AttributeRef,
        near: &[TableId],
        accept: impl Fn(&ColumnFacts) -> bool,
    ) -> Result<ColumnId, Abstention> {
        let best = self.best_candidates(attribute, near, accept)?;
        match best.as_slice() {
            [(distance, fit, column)] => {
                self.doubt_choice(attribute, *distance, *fit, *column);
                Ok(*column)
            }
            _ => Err(self.ambiguity(attribute, &best)),
        }
    }

    /// Columns for showing or grouping an attribute: one column, or a table's
    /// name columns when the attribute is "name" and they tie (first and last name).
    pub(super) fn choose_columns(
        &mut self,
        attribute: &AttributeRef,
        near: &[TableId],
    ) -> Result<Vec<ColumnId>, Abstention> {
        let best = self.best_candidates(attribute, near, |_| true)?;
        if let [(distance, fit, column)] = best.as_slice() {
            self.doubt_choice(attribute, *distance, *fit, *column);
            return Ok(vec![*column]);
        }
        let table = best[0].2.table;
        let labels = self.catalog.labels(table);
        let all_labels = best.iter().all(|c| c.2.table == table && labels.contains(&c.2));
        if all_labels && best.len() == labels.len() {
            return Ok(labels);
        }
        Err(self.ambiguity(attribute, &best))
    }

    pub(super) fn doubt_choice(&mut self, attribute: &AttributeRef, distance: usize, fit: Fit, column: ColumnId) {
        if attribute.candidates.len() > 1 && distance > 0 {
            let reason = format!("took '{}' as {}, the closest match", attribute.text, self.catalog.describe(column));
            self.confidence.doubt(cost::NEARBY_COLUMN, reason);
        }
        if fit == Fit::Head {
            let reason = format!("'{}' only matches the end of {}", attribute.text, self.catalog.describe(column));
            self.confidence.doubt(cost::HEAD_WORD, reason);
        }
    }

    pub(super) fn ambiguity(&self, attribute: &AttributeRef, tied: &[(usize, Fit, ColumnId)]) -> Abstention {
        let names: Vec<String> = tied.iter().take(4).map(|c| self.catalog.describe(c.2)).collect();
        abstain(format!("ambiguous: '{}' matches {}", attribute.text, join_names(&names)))
    }

    /// The one name column of a table, for "artist named 'AC/DC'".
    pub(super) fn text_label(&self, entity: &EntityRef) -> Result<ColumnId, Abstention> {
        match self.catalog.labels(entity.link.table).as_slice() {
            [label] => Ok(*label),
            [] => Err(abstain(format!(
                "{} has no name column to compare with",
                self.catalog.table_name(entity.link.table)
            ))),
            _ => Err(abstain(format!(
                "ambiguous: which name of {} to compare with (it has several name columns)",
                self.catalog.table_name(entity.link.table)
            ))),
        }
    }

    /// A number for a measure. `additive`: it will be summed or averaged, so
    /// measures whose table the question's other tables would multiply are skipped.
    pub(super) fn numeric(
        &mut self,
        measure: &Measure,
        near: &[TableId],
        additive: bool,
    ) -> Result<Numeric, Abstention> {
        match measure {
            Measure::Attribute(attribute) => {
                if let Some(own) = self.units_held(attribute) {
                    return Ok(Numeric {
                        expr: NumericExpr::Column(own),
                        name: snake_case(self.catalog.column_name(own)),
                        concept: None,
                    });
                }
                let column = self.choose_column(attribute, near, |c| {
                    (c.kind == ValueKind::Number && c.measurable()) || (!additive && c.kind == ValueKind::Date)
                })?;
                Ok(Numeric {
                    expr: NumericExpr::Column(column),
                    name: snake_case(self.catalog.column_name(column)),
                    concept: None,
                })
            }
            Measure::Concept { concept: Concept::When, text, .. } => {
                let table =
                    near.first().copied().ok_or_else(|| abstain(format!("could not tell the date of '{text}'")))?;
                let column = self.own_date(table)?.ok_or_else(|| {
                    abstain(format!("{} has no date column for '{text}'", self.catalog.table_name(table)))
                })?;
                Ok(Numeric {
                    expr: NumericExpr::Column(column),
                    name: snake_case(self.catalog.column_name(column)),
                    concept: Some(Concept::When),
                })
            }
            Measure::Concept { concept, text, qualifier } => {
                self.concept_measure(*concept, text, *qualifier, near, additive)
            }
        }
    }

    /// "How many units do we have in stock": a quantity word whose columns
    /// are all outside the tables the question names, while one named table
    /// holds a number of its own (the stock on hand), means that number.
    fn units_held(&self, attribute: &AttributeRef) -> Option<ColumnId> {
        let quantities = attribute.candidates.iter().all(|c| {
            self.catalog.column(c.column).words.iter().any(|w| QUANTITY_WORDS.contains(&w.as_str()))
                && !self.named.contains(&c.column.table)
        });
        if !quantities || attribute.qualifier.is_some() {
            return None;
        }
        // Only a table of stock ("inventory") holds units in this sense: "total quantity per
        // product" is the quantity on the order lines, not the product's stock level.
        let stock_table = |t: TableId| {
            self.catalog.tables[t].words.iter().any(|w| STOCK_LEVEL_WORDS.contains(&w.as_str()) || w == "inventory")
        };
        let held: Vec<ColumnId> =
            self.named.iter().filter(|&&t| stock_table(t)).filter_map(|&t| self.catalog.own_measure(t)).collect();
        match held.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    pub(super) fn concept_measure(
        &mut self,
        concept: Concept,
        text: &str,
        qualifier: Option<EntityLink>,
        near: &[TableId],
        additive: bool,
    ) -> Result<Numeric, Abstention> {
        let mut measures = self.catalog.measures_of(concept);
        // Named by its table ("how much stock"), not by a money word ("product revenue").
        let named_by_table = !CONCEPT_WORDS.iter().any(|(word, _)| stem(word) == stem(text));
        if concept == Concept::Money
            && named_by_table
            && let Some(q) = qualifier
            && !measures.iter().any(|m| m.table() == q.table)
            && let Some(own) = self.catalog.own_measure(q.table)
        {
            // "how much stock", "the total inventory": what the table's rows hold, not money.
            return Ok(Numeric {
                expr: NumericExpr::Column(own),
                name: snake_case(self.catalog.column_name(own)),
                concept: None,
            });
        }
        if let Some(q) = qualifier
            && measures.iter().any(|m| m.table() == q.table)
        {
            measures.retain(|m| m.table() == q.table);
        } else if let Some(q) = qualifier.filter(|_| concept == Concept::Money && named_by_table) {
            // "total orders": the amounts of their lines; "total loans" is not the fines charged on them.
            measures.retain(|m| self.catalog.is_part_of(m.table(), q.table));
            if measures.is_empty() {
                return Err(abstain(format!(
                    "'{text}': {} holds no amount to total; name the column to total (or count them)",
                    self.catalog.table_name(q.table)
                )));
            }
        }
        let found = !measures.is_empty();
        let mut scored: Vec<(usize, usize, NumericExpr)> = measures
            .into_iter()
            .enumerate()
            .filter(|(_, m)| !additive || !self.would_multiply(m.table(), near))
            .filter_map(|(preference, m)| self.distance_to(m.table(), near).map(|d| (d, preference, m)))
            .collect();
        scored.sort();
        let Some(&(distance, _, best)) = scored.first() else {
            return Err(abstain(if found {
                format!(
                    "'{text}' would be counted more than once: every column measuring it is repeated by the joins needed here"
                )
            } else {
                format!("could not map '{text}' to a column that measures {}", concept.alias_word())
            }));
        };
        let rival = scored.iter().skip(1).find(|(d, _, m)| {
            *d == distance
                && matches!((m, best), (NumericExpr::Column(_), NumericExpr::Column(_)))
                && m.table() != best.table()
        });
        if let Some((_, _, rival)) = rival {
            return Err(abstain(format!(
                "ambiguous: '{text}' could be {} or {}",
                self.describe_numeric(best),
                self.describe_numeric(*rival)
            )));
        }
        let name = match (concept, best) {
            (Concept::Money, _) | (_, NumericExpr::Product(..)) => concept.alias_word().to_string(),
            (_, NumericExpr::Column(column)) => snake_case(self.catalog.column_name(column)),
        };
        Ok(Numeric { expr: best, name, concept: Some(concept) })
    }

    pub(super) fn describe_numeric(&self, expr: NumericExpr) -> String {
        match expr {
            NumericExpr::Column(c) => self.catalog.describe(c),
            NumericExpr::Product(a, b) => format!("{} * {}", self.catalog.describe(a), self.catalog.column_name(b)),
        }
    }

    /// Sum for amounts, durations and sizes; other measures need the question to say.
    pub(super) fn default_total(&mut self, numeric: &Numeric, measure: &Measure) -> AggFunc {
        let additive_concept = |c: &Concept| matches!(c, Concept::Money | Concept::Duration | Concept::Size);
        let column_concepts = match numeric.expr {
            NumericExpr::Column(c) => self.catalog.column(c).concepts.clone(),
            NumericExpr::Product(..) => vec![Concept::Money],
        };
        // Quantities add up too ("the top products by quantity").
        let quantity = match numeric.expr {
            NumericExpr::Column(c) => self.catalog.column(c).words.iter().any(|w| QUANTITY_WORDS.contains(&w.as_str())),
            NumericExpr::Product(..) => false,
        };
        if !quantity && !numeric.concept.iter().chain(&column_concepts).any(additive_concept) {
            self.confidence.doubt(
                cost::UNDERSPECIFIED,
                format!("unclear whether to total or average '{}'; say 'total' or 'average'", measure.text()),
            );
        }
        AggFunc::Sum
    }

    pub(super) fn display_columns(&self, table: TableId) -> Result<Vec<ColumnId>, Abstention> {
        let columns = self.catalog.display_columns(table);
        if columns.is_empty() {
            return Err(abstain(format!("{} has no key or name column to show", self.catalog.table_name(table))));
        }
        Ok(columns)
    }

    pub(super) fn key_exprs(&self, table: TableId, node: NodeId) -> Vec<Expr> {
        match self.catalog.key(table) {
            Some(column) => vec![Expr::Column { node, column }],
            None => {
                self.catalog.display_columns(table).into_iter().map(|column| Expr::Column { node, column }).collect()
            }
        }
    }

    pub(super) fn require_key(&self, table: TableId) -> Result<ColumnId, Abstention> {
        self.catalog
            .key(table)
            .ok_or_else(|| abstain(format!("{} has no single-column key to count by", self.catalog.table_name(table))))
    }

    /// Adds a column to the select list, aliased when its name is already taken.
    pub(super) fn push_column(&self, draft: &mut Draft, node: NodeId, column: ColumnId) {
        let expr = Expr::Column { node, column };
        if draft.outputs.iter().any(|o| o.expr == expr) {
            return;
        }
        let name = self.catalog.column_name(column);
        let taken = draft.outputs.iter().any(|o| self.output_name(o).eq_ignore_ascii_case(name));
        let alias = taken.then(|| {
            let table = draft.tree.nodes[node]
                .alias
                .clone()
                .unwrap_or_else(|| self.catalog.table_name(column.table).to_string());
            format!("{}_{}", snake_case(&table), snake_case(name))
        });
        draft.outputs.push(Output { expr, alias });
    }

    pub(super) fn output_name(&self, output: &Output) -> String {
        match (&output.alias, &output.expr) {
            (Some(alias), _) => alias.clone(),
            (None, Expr::Column { column, .. }) => self.catalog.column_name(*column).to_string(),
            (None, _) => String::new(),
        }
    }
}
