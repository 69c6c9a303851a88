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
        if tree.multiplies(node) {
            return Err(abstain(format!(
                "'{text}' would be counted more than once: the joins needed here repeat {} rows",
                self.catalog.table_name(node_table(tree, node))
            )));
        }
        Ok(())
    }

    /// True when a tree rooted at `table` would repeat its rows once `others` are joined.
    pub(super) fn would_multiply(&self, table: TableId, others: &[TableId]) -> bool {
        let mut tree = JoinTree::new(table);
        for &other in others {
            if tree.attach(self.graph, other).is_err() {
                return true;
            }
        }
        tree.multiplies(0)
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
