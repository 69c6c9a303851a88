//! The date column for "in 2021", "per month" and "the most recent": the one
//! named in the question, else the table's own date (its only one, or the
//! one named after the table), else the one date among joined tables or
//! tables reached through many-to-one joins.
//!
//! Invariants: two candidate dates at the same distance abstain.

use super::*;

impl Resolver<'_> {
    /// The date column for a year or month: as named, else the root table's own
    /// date, else the only date among the joined tables, else the closest date
    /// reached through many-to-one joins.
    pub(super) fn date_column(
        &mut self,
        tree: &mut JoinTree,
        named: Option<&AttributeRef>,
    ) -> Result<(NodeId, ColumnId), Abstention> {
        if let Some(attribute) = named {
            let near = self.tree_tables(tree);
            let column = self.choose_column(attribute, &near, |c| c.kind == ValueKind::Date || c.year)?;
            return Ok((self.attach(tree, column.table)?, column));
        }
        let root = tree.root();
        // "members who had loans in 2021", "members who borrowed books in 2021":
        // the date of the related rows the question reaches, not the members' own.
        let related: Vec<(NodeId, ColumnId)> = (1..tree.nodes.len())
            .filter(|&n| tree.nodes[n].alias.is_none() && self.reached_through_fan_out(tree, n))
            .filter_map(|n| self.own_date(tree.nodes[n].table).ok().flatten().map(|column| (n, column)))
            .collect();
        match related.as_slice() {
            [(node, column)] => return Ok((*node, *column)),
            [_, _, ..] => {
                let names: Vec<String> = related.iter().map(|(_, c)| self.catalog.describe(*c)).collect();
                return Err(abstain(format!("ambiguous: which date: {}", join_names(&names))));
            }
            [] => {}
        }
        if let Some(column) = self.own_date(root)? {
            return Ok((0, column));
        }
        let joined: Vec<TableId> =
            self.tree_tables(tree).into_iter().filter(|&t| !self.catalog.date_columns(t).is_empty()).collect();
        let candidates: Vec<TableId> = if joined.is_empty() { self.nearest_parents_with_dates(root) } else { joined };
        match candidates.as_slice() {
            [] => Err(abstain(format!("{} has no date column to filter or group by", self.catalog.table_name(root)))),
            [table] => {
                let column = self.own_date(*table)?.expect("the table has a date column");
                self.confidence.doubt(
                    cost::NEARBY_COLUMN,
                    format!("used {} as the date of {}", self.catalog.describe(column), self.catalog.table_name(root)),
                );
                Ok((self.attach(tree, *table)?, column))
            }
            several => {
                let names: Vec<&str> = several.iter().map(|&t| self.catalog.table_name(t)).collect();
                Err(abstain(format!("ambiguous: the date could come from {}", join_names(&names))))
            }
        }
    }

    /// A table's own date column: its only one, or the one named after the table or "date".
    pub(super) fn own_date(&self, table: TableId) -> Result<Option<ColumnId>, Abstention> {
        let dates = self.catalog.date_columns(table);
        if dates.len() <= 1 {
            return Ok(dates.first().copied());
        }
        let table_stems: Vec<String> = self.catalog.tables[table].words.iter().map(|w| stem(w)).collect();
        let own: Vec<ColumnId> = dates
            .iter()
            .copied()
            .filter(|&c| {
                let stems: Vec<String> = self.catalog.column(c).words.iter().map(|w| stem(w)).collect();
                stems == ["date"] || table_stems.iter().all(|w| stems.contains(w))
            })
            .collect();
        match own.as_slice() {
            [one] => Ok(Some(*one)),
            _ => {
                let names: Vec<String> = dates.iter().map(|&c| self.catalog.describe(c)).collect();
                Err(abstain(format!(
                    "ambiguous: which date of {}: {}",
                    self.catalog.table_name(table),
                    join_names(&names)
                )))
            }
        }
    }

    /// Tables with dates at the smallest many-to-one distance from `root`.
    pub(super) fn nearest_parents_with_dates(&self, root: TableId) -> Vec<TableId> {
        let mut layer = vec![root];
        let mut seen = vec![root];
        for _ in 0..3 {
            let mut next = Vec::new();
            for &table in &layer {
                for (referenced, _) in self.parents(table) {
                    if !seen.contains(&referenced) {
                        seen.push(referenced);
                        next.push(referenced);
                    }
                }
            }
            let with_dates: Vec<TableId> =
                next.iter().copied().filter(|&t| !self.catalog.date_columns(t).is_empty()).collect();
            if !with_dates.is_empty() {
                return with_dates;
            }
            layer = next;
        }
        Vec::new()
    }

    /// Tables referenced by `table`'s foreign keys.
    pub(super) fn parents(&self, table: TableId) -> Vec<(TableId, usize)> {
        self.catalog.schema.tables[table]
            .foreign_keys
            .iter()
            .enumerate()
            .filter_map(|(i, fk)| {
                let referenced = self
                    .catalog
                    .schema
                    .tables
                    .iter()
                    .position(|t| t.name.eq_ignore_ascii_case(&fk.referenced_table))?;
                (referenced != table).then_some((referenced, i))
            })
            .collect()
    }
}
