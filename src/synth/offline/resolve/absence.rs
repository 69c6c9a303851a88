//! Absence for a resolution: "no related row" as `NOT EXISTS` over the
//! foreign-key path from the subject to the absent table, a role the subject
//! holds itself as `IS NULL` on its foreign key ("staff without a
//! supervisor"), and "not yet returned" as `IS NULL` on the date.
//!
//! Invariants: the subquery has its own aliased join tree (`no_<table>`), so
//! a table that is also joined outside can never capture the correlation;
//! the path must start from a table that references the subject (one to
//! many), otherwise the reading is refused.

use super::*;

impl Resolver<'_> {
    /// `NOT EXISTS (...)` or `fk IS NULL` for the nearest of the candidates.
    pub(super) fn apply_absence(
        &mut self,
        draft: &mut Draft,
        candidates: &[EntityLink],
        text: &str,
    ) -> Result<(), Abstention> {
        let subject = draft.tree.root();
        if let Some(fk) = candidates.iter().find_map(|c| c.role.filter(|fk| fk.table == subject)) {
            let column = self.single_fk_column(fk)?;
            draft.filters.push(Predicate::IsNull(Expr::Column { node: 0, column }));
            return Ok(());
        }
        let mut scored: Vec<(usize, TableId)> = candidates
            .iter()
            .map(|c| c.role.map_or(c.table, |fk| fk.table))
            .filter(|&t| t != subject)
            .filter_map(|t| self.graph.distance(subject, t).map(|d| (d, t)))
            .collect();
        scored.sort();
        scored.dedup();
        let target = match scored.as_slice() {
            [] => {
                return Err(abstain(format!(
                    "no foreign-key path joins {} to what '{text}' names",
                    self.catalog.table_name(subject)
                )));
            }
            [(d0, a), (d1, b), ..] if d0 == d1 => {
                return Err(abstain(format!(
                    "ambiguous: '{text}' could mean {} or {}",
                    self.catalog.table_name(*a),
                    self.catalog.table_name(*b)
                )));
            }
            [(_, best), ..] => *best,
        };
        let mut path = JoinTree::new(subject);
        let end = self.attach(&mut path, target)?;
        if path.ambiguous {
            return Err(abstain(format!(
                "ambiguous: more than one path joins {} to '{text}'",
                self.catalog.table_name(subject)
            )));
        }
        let mut chain = Vec::new();
        let mut node = end;
        while let Some((parent, edge)) = path.nodes[node].step {
            chain.push(edge);
            node = parent;
        }
        chain.reverse();
        let first = chain[0];
        if first.toward_referenced {
            // "orders without a customer": the subject's own foreign key is empty.
            if chain.len() > 1 {
                return Err(abstain(format!(
                    "'{text}' is not something {} rows can lack",
                    self.catalog.table_name(subject)
                )));
            }
            let column = self.single_fk_column(first.fk)?;
            draft.filters.push(Predicate::IsNull(Expr::Column { node: 0, column }));
            return Ok(());
        }
        let holder_column = self.single_fk_column(first.fk)?;
        let referenced = &self.catalog.schema.tables[first.fk.table].foreign_keys[first.fk.index].referenced_columns[0];
        let outer_column = self
            .catalog
            .column_ids(subject)
            .find(|&c| self.catalog.column_name(c).eq_ignore_ascii_case(referenced))
            .ok_or_else(|| abstain("a foreign key references a column that does not exist"))?;
        let mut inner = JoinTree::new(first.to);
        let mut previous = 0;
        for edge in &chain[1..] {
            previous = inner
                .attach_via(self.catalog, previous, edge.fk)
                .ok_or_else(|| abstain(format!("the path to '{text}' does not join")))?;
        }
        for node in &mut inner.nodes {
            node.alias = Some(format!("no_{}", snake_case(bare_name(self.catalog.table_name(node.table)))));
        }
        draft.filters.push(Predicate::NotExists(Box::new(Absence {
            tree: inner,
            column: holder_column,
            outer: Expr::Column { node: 0, column: outer_column },
        })));
        Ok(())
    }

    /// "loans not yet returned": the named column is empty.
    /// The attribute's column is empty (`empty`) or not, on the rows asked
    /// about; on related rows only when it is said of them (`of_related`:
    /// "members with unpaid fines" are those with some unpaid fine).
    pub(super) fn apply_emptiness(
        &mut self,
        draft: &mut Draft,
        attribute: &AttributeRef,
        empty: bool,
        of_related: bool,
    ) -> Result<(), Abstention> {
        let near = self.tree_tables(&draft.tree);
        let column = self.choose_column(attribute, &near, |_| true)?;
        let node = self.attach(&mut draft.tree, column.table)?;
        let rows_asked_about = matches!(self.frame.select, Select::List { .. } | Select::CountRows(_));
        if self.reached_through_fan_out(&draft.tree, node) && !(of_related && rows_asked_about) {
            return Err(abstain(format!(
                "'{}' is {} on some {} rows, not on the rows asked about",
                attribute.text,
                if empty { "empty" } else { "set" },
                self.catalog.table_name(column.table)
            )));
        }
        let value = Expr::Column { node, column };
        draft.filters.push(if empty { Predicate::IsNull(value) } else { Predicate::NotNull(value) });
        Ok(())
    }

    pub(super) fn single_fk_column(&self, fk: ForeignKeyId) -> Result<ColumnId, Abstention> {
        let key = &self.catalog.schema.tables[fk.table].foreign_keys[fk.index];
        let [name] = key.columns.as_slice() else {
            return Err(abstain("absence through a multi-column foreign key is not supported offline"));
        };
        self.catalog
            .column_ids(fk.table)
            .find(|&c| self.catalog.column_name(c) == name)
            .ok_or_else(|| abstain("a foreign key names a column that does not exist"))
    }
}
