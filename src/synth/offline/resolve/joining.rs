//! Joining for a resolution: attaching tables and roles to the join tree,
//! distances from the tables a question names, and the row-multiplication
//! checks that choose `COUNT(DISTINCT key)` and refuse double-counted sums.
//!
//! Invariants: a sum or average is never taken over joins that repeat the
//! measured rows.

use super::*;

impl Resolver<'_> {
    /// Joins `table` by the cheapest path. When several paths tie, one
    /// through the table a verb of the question names is the one meant
    /// ("customers who bought from the Berlin store": through the orders, not
    /// the shipments), provided it is no longer.
    pub(super) fn attach(&self, tree: &mut JoinTree, table: TableId) -> Result<NodeId, Abstention> {
        let unreachable = |unreachable: Unreachable| {
            abstain(format!(
                "no foreign-key path joins {} and {}",
                self.catalog.table_name(unreachable.from),
                self.catalog.table_name(unreachable.to)
            ))
        };
        let mut attached = tree.clone();
        let node = attached.attach(self.graph, table).map_err(unreachable)?;
        if attached.ambiguous && !tree.ambiguous {
            let events = self.frame.verbs.iter().flat_map(|verb| &verb.events);
            for event in events.filter(|e| e.role.is_none() && e.table != table) {
                let mut through = tree.clone();
                let settled = through.attach(self.graph, event.table).is_ok()
                    && through.attach(self.graph, table).is_ok()
                    && !through.ambiguous
                    && through.nodes.len() == attached.nodes.len();
                if settled {
                    *tree = through;
                    return Ok(tree.node_of(table).expect("attached"));
                }
            }
        }
        *tree = attached;
        Ok(node)
    }

    /// The node of an entity; a role ("support rep") joins through its own foreign key.
    pub(super) fn entity_node(&self, tree: &mut JoinTree, link: EntityLink) -> Result<NodeId, Abstention> {
        let Some(fk) = link.role else { return self.attach(tree, link.table) };
        let holder = self.attach(tree, fk.table)?;
        tree.attach_via(self.catalog, holder, fk).ok_or_else(|| abstain("a role's foreign key does not join"))
    }

    pub(super) fn count_expr(&self, tree: &JoinTree, node: NodeId) -> Result<Expr, Abstention> {
        if !tree.multiplies(node) {
            return Ok(Expr::CountRows);
        }
        let table = node_table(tree, node);
        let key = self.require_key(table)?;
        Ok(Expr::CountDistinct(Box::new(Expr::Column { node, column: key })))
    }

    pub(super) fn refuse_double_counting(&self, tree: &JoinTree, node: NodeId, text: &str) -> Result<(), Abstention> {
        if self.repeats_within_groups(tree, node) {
            return Err(abstain(format!(
                "'{text}' would be counted more than once: the joins needed here repeat {} rows",
                self.catalog.table_name(node_table(tree, node))
            )));
        }
        Ok(())
    }

    /// True when a tree rooted at `table` would repeat its rows within a group once `others` are joined.
    pub(super) fn would_multiply(&self, table: TableId, others: &[TableId]) -> bool {
        let mut tree = JoinTree::new(table);
        for &other in others {
            if tree.attach(self.graph, other).is_err() {
                return true;
            }
        }
        self.repeats_within_groups(&tree, 0)
    }

    /// True when the joins repeat `node`'s rows within one group of the
    /// question's grouping table. Passing through a many-to-many link table
    /// whose key is the pair of its two foreign keys (`film_category`) to the
    /// grouping table repeats a row once per group it belongs to, never twice
    /// in one group ("revenue per category"); any other one-to-many join does.
    pub(super) fn repeats_within_groups(&self, tree: &JoinTree, node: NodeId) -> bool {
        let group_table = match &self.group {
            Some(GroupKey::Entity(entity)) if entity.link.role.is_none() => Some(entity.link.table),
            _ => None,
        };
        let mut harmless = Vec::new();
        for group in tree.nodes.iter().enumerate().filter(|(_, n)| Some(n.table) == group_table).map(|(g, _)| g) {
            let path = tree.path(node, group);
            for window in path.windows(3) {
                let [from, link, to] = [window[0], window[1], window[2]];
                if self.unique_link(tree, from, link, to) {
                    harmless.push((from, link));
                }
            }
        }
        tree.multiplies_except(node, &harmless)
    }

    /// True when `link` is a link table joined from `from` and to `to` by its
    /// two foreign keys, and those keys' columns are its whole primary key.
    fn unique_link(&self, tree: &JoinTree, from: NodeId, link: NodeId, to: NodeId) -> bool {
        let table = tree.nodes[link].table;
        if !self.catalog.tables[table].link {
            return false;
        }
        // The edge between two adjacent nodes, from whichever side holds it.
        let edge = |a: NodeId, b: NodeId| match (tree.nodes[a].step, tree.nodes[b].step) {
            (Some((parent, edge)), _) if parent == b => Some(edge),
            (_, Some((parent, edge))) if parent == a => Some(edge),
            _ => None,
        };
        let (Some(into), Some(out)) = (edge(from, link), edge(link, to)) else { return false };
        let schema = &self.catalog.schema.tables[table];
        let mut columns: Vec<&String> = [into.fk, out.fk]
            .iter()
            .filter(|fk| fk.table == table)
            .flat_map(|fk| &schema.foreign_keys[fk.index].columns)
            .collect();
        columns.sort();
        columns.dedup();
        let mut key: Vec<&String> = schema.primary_key.iter().collect();
        key.sort();
        into.fk != out.fk && columns.len() == 2 && columns == key
    }

    /// True when `to` is reached from `from` by many-to-one joins only (or is `from`).
    pub(super) fn reaches_without_fan_out(&self, from: TableId, to: TableId) -> bool {
        let mut tree = JoinTree::new(from);
        match tree.attach(self.graph, to) {
            Ok(node) => !self.reached_through_fan_out(&tree, node),
            Err(_) => false,
        }
    }

    /// True when the path from the root to `node` walks a one-to-many join.
    pub(super) fn reached_through_fan_out(&self, tree: &JoinTree, node: NodeId) -> bool {
        let mut current = node;
        while let Some((parent, edge)) = tree.nodes[current].step {
            if !edge.toward_referenced {
                return true;
            }
            current = parent;
        }
        false
    }

    pub(super) fn tree_tables(&self, tree: &JoinTree) -> Vec<TableId> {
        let mut tables: Vec<TableId> = tree.nodes.iter().map(|n| n.table).collect();
        for &table in &self.named {
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
        tables
    }

    /// Fewest joins from any of `near` to `table` (0 when nothing is near).
    pub(super) fn distance_to(&self, table: TableId, near: &[TableId]) -> Option<usize> {
        if near.is_empty() {
            return Some(0);
        }
        near.iter().filter_map(|&n| self.graph.distance(n, table)).min()
    }

    pub(super) fn judge_joins(&mut self, tree: &JoinTree) {
        if tree.ambiguous {
            self.confidence
                .doubt(cost::AMBIGUOUS_JOIN, "more than one join path of the same length connects the tables");
        }
        for _ in 2..tree.joins() {
            self.confidence.doubt(cost::EXTRA_JOIN, format!("a long join path ({} joins)", tree.joins()));
        }
    }
}
