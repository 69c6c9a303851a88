//! Join paths over foreign keys. The [`JoinGraph`] has one edge per foreign
//! key, walkable both ways; a [`JoinTree`] grows from the table a query is
//! about by the shortest path to each further table it needs, and says
//! whether a join multiplies the rows of a table (so a count must be
//! `COUNT(DISTINCT key)` and a sum would double count).
//!
//! Invariants: a tree's nodes are connected and every node appears after its
//! parent, so rendering joins in node order is valid SQL. Walking an edge from
//! the foreign-key side to the referenced side never multiplies rows; walking
//! it the other way may. A second instance of a table (a self-reference such
//! as "manager") gets its own alias.

use std::collections::VecDeque;

use super::catalog::{Catalog, ForeignKeyId, TableId};
use super::tokens::snake_case;

/// One walkable direction of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edge {
    pub from: TableId,
    pub to: TableId,
    pub fk: ForeignKeyId,
    /// True when walking from the foreign-key side to the referenced side
    /// (many-to-one: never multiplies rows).
    pub toward_referenced: bool,
    /// The foreign key is named for a role (`manager_id`), not for the table it
    /// references: a path through it is taken only when no plain path is as short.
    pub role: bool,
    /// The foreign key may be NULL: an optional relationship, taken only when
    /// no mandatory path is as short.
    pub optional: bool,
}

impl Edge {
    /// 4 per join, plus 1 for a role and 1 for an optional key: among paths of
    /// one length, those through fewer roles and optional keys win ("employees
    /// per department" joins `department_id`, not the department's
    /// `manager_id`; "sales per store" goes through the order, not the optional
    /// shipment), yet one such join still beats two plain ones.
    fn cost(&self) -> usize {
        4 + usize::from(self.role) + usize::from(self.optional)
    }
}

/// Tables and the foreign keys between them, with all-pairs distances.
#[derive(Debug, Clone)]
pub(crate) struct JoinGraph {
    edges: Vec<Vec<Edge>>,
    distances: Vec<Vec<Option<usize>>>,
}

impl JoinGraph {
    pub(crate) fn new(catalog: &Catalog) -> JoinGraph {
        let tables = &catalog.schema.tables;
        let mut edges = vec![Vec::new(); tables.len()];
        for (holder, table) in tables.iter().enumerate() {
            for (index, fk) in table.foreign_keys.iter().enumerate() {
                let Some(referenced) = tables.iter().position(|t| t.name.eq_ignore_ascii_case(&fk.referenced_table))
                else {
                    continue;
                };
                let valid = fk.columns.len() == fk.referenced_columns.len()
                    && !fk.columns.is_empty()
                    && fk.columns.iter().all(|c| table.column(c).is_some())
                    && fk.referenced_columns.iter().all(|c| tables[referenced].column(c).is_some());
                if !valid || referenced == holder {
                    continue;
                }
                let fk = ForeignKeyId { table: holder, index };
                let role = catalog.role_words(fk).is_some();
                let optional = catalog.optional(fk);
                edges[holder].push(Edge { from: holder, to: referenced, fk, toward_referenced: true, role, optional });
                edges[referenced].push(Edge {
                    from: referenced,
                    to: holder,
                    fk,
                    toward_referenced: false,
                    role,
                    optional,
                });
            }
        }
        let mut graph = JoinGraph { edges, distances: Vec::new() };
        graph.distances = (0..tables.len()).map(|t| graph.distances_from(t)).collect();
        graph
    }

    fn distances_from(&self, start: TableId) -> Vec<Option<usize>> {
        let mut distance = vec![None; self.edges.len()];
        distance[start] = Some(0);
        let mut queue = VecDeque::from([start]);
        while let Some(table) = queue.pop_front() {
            let next = distance[table].map(|d| d + 1);
            for edge in &self.edges[table] {
                if distance[edge.to].is_none() {
                    distance[edge.to] = next;
                    queue.push_back(edge.to);
                }
            }
        }
        distance
    }

    /// Number of joins between two tables, if they are connected at all.
    pub(crate) fn distance(&self, a: TableId, b: TableId) -> Option<usize> {
        self.distances[a][b]
    }

    /// Shortest path from any of `sources` to `target` (edges in walking
    /// order) and whether more than one shortest path exists.
    /// The cheapest path from any of `sources` to `target` (see [`Edge::cost`]),
    /// and whether another path costs the same (an ambiguous join).
    fn shortest_path(&self, sources: &[TableId], target: TableId) -> Option<(Vec<Edge>, bool)> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let n = self.edges.len();
        let mut cost = vec![usize::MAX; n];
        let mut paths = vec![0u32; n];
        let mut via: Vec<Option<Edge>> = vec![None; n];
        let mut done = vec![false; n];
        let mut queue = BinaryHeap::new();
        for &source in sources {
            if cost[source] == usize::MAX {
                cost[source] = 0;
                paths[source] = 1;
                queue.push(Reverse((0, source)));
            }
        }
        while let Some(Reverse((c, table))) = queue.pop() {
            if done[table] || c > cost[table] {
                continue;
            }
            done[table] = true;
            for edge in &self.edges[table] {
                let next = c + edge.cost();
                if next < cost[edge.to] {
                    cost[edge.to] = next;
                    paths[edge.to] = paths[table];
                    via[edge.to] = Some(*edge);
                    queue.push(Reverse((next, edge.to)));
                } else if next == cost[edge.to] {
                    paths[edge.to] = paths[edge.to].saturating_add(paths[table]);
                }
            }
        }
        if cost[target] == usize::MAX {
            return None;
        }
        let mut path = Vec::new();
        let mut table = target;
        while let Some(edge) = via[table] {
            path.push(edge);
            table = edge.from;
        }
        path.reverse();
        Some((path, paths[target] > 1))
    }
}

pub(crate) type NodeId = usize;

/// One table instance in a query's FROM clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JoinNode {
    pub table: TableId,
    /// Set for a second instance of a table (self-references).
    pub alias: Option<String>,
    /// How this node joins its parent; `None` for the root.
    pub step: Option<(NodeId, Edge)>,
}

/// The FROM clause of one query: a root table and joined tables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JoinTree {
    pub nodes: Vec<JoinNode>,
    /// True when some table was reached by one of several equally short paths.
    pub ambiguous: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreachable {
    pub from: TableId,
    pub to: TableId,
}

impl JoinTree {
    pub(crate) fn new(root: TableId) -> JoinTree {
        JoinTree { nodes: vec![JoinNode { table: root, alias: None, step: None }], ambiguous: false }
    }

    pub(crate) fn root(&self) -> TableId {
        self.nodes[0].table
    }

    /// The plain (un-aliased) node of a table, if the tree has one.
    /// The nodes from `from` to `to`, both included, along the tree.
    pub(crate) fn path(&self, from: NodeId, to: NodeId) -> Vec<NodeId> {
        let ancestors = |mut node: NodeId| {
            let mut chain = vec![node];
            while let Some((parent, _)) = self.nodes[node].step {
                chain.push(parent);
                node = parent;
            }
            chain
        };
        let (up, down) = (ancestors(from), ancestors(to));
        let meeting = up.iter().position(|n| down.contains(n)).expect("one tree");
        let mut path: Vec<NodeId> = up[..=meeting].to_vec();
        let below = down.iter().position(|n| *n == up[meeting]).expect("common ancestor");
        path.extend(down[..below].iter().rev());
        path
    }

    pub(crate) fn node_of(&self, table: TableId) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.table == table && n.alias.is_none())
    }

    /// The node of `table`, joining it by the shortest path from the tree if needed.
    pub(crate) fn attach(&mut self, graph: &JoinGraph, table: TableId) -> Result<NodeId, Unreachable> {
        if let Some(node) = self.node_of(table) {
            return Ok(node);
        }
        let sources: Vec<TableId> = self.nodes.iter().filter(|n| n.alias.is_none()).map(|n| n.table).collect();
        let (path, ambiguous) =
            graph.shortest_path(&sources, table).ok_or(Unreachable { from: self.root(), to: table })?;
        self.ambiguous |= ambiguous;
        let mut node = self.node_of(path[0].from).expect("paths start at a node of the tree");
        for edge in path {
            node = self.push(node, edge, None);
        }
        Ok(node)
    }

    /// The node reached from `from` through one specific foreign key (a role
    /// such as "support rep" or "manager"), adding it if needed.
    pub(crate) fn attach_via(&mut self, catalog: &Catalog, from: NodeId, fk: ForeignKeyId) -> Option<NodeId> {
        let from_table = self.nodes[from].table;
        let referenced_name = &catalog.schema.tables[fk.table].foreign_keys[fk.index].referenced_table;
        let referenced = catalog.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(referenced_name))?;
        let edge = if fk.table == from_table {
            Edge {
                from: from_table,
                to: referenced,
                fk,
                toward_referenced: true,
                role: catalog.role_words(fk).is_some(),
                optional: catalog.optional(fk),
            }
        } else if referenced == from_table {
            Edge {
                from: from_table,
                to: fk.table,
                fk,
                toward_referenced: false,
                role: catalog.role_words(fk).is_some(),
                optional: catalog.optional(fk),
            }
        } else {
            return None;
        };
        if let Some(existing) = self.nodes.iter().position(|n| n.step == Some((from, edge))) {
            return Some(existing);
        }
        let taken = self.nodes.iter().any(|n| n.table == edge.to);
        let alias = taken.then(|| role_alias(catalog, fk));
        Some(self.push(from, edge, alias))
    }

    fn push(&mut self, parent: NodeId, edge: Edge, alias: Option<String>) -> NodeId {
        self.nodes.push(JoinNode { table: edge.to, alias, step: Some((parent, edge)) });
        self.nodes.len() - 1
    }

    /// Number of joins.
    pub(crate) fn joins(&self) -> usize {
        self.nodes.len() - 1
    }

    /// True when joining the other tables can repeat rows of `node` (some
    /// edge is walked from the referenced side to the foreign-key side).
    pub(crate) fn multiplies(&self, node: NodeId) -> bool {
        self.multiplies_except(node, &[])
    }

    /// As [`JoinTree::multiplies`], but walking from one node of a pair in
    /// `harmless` to the other never counts as repeating rows.
    pub(crate) fn multiplies_except(&self, node: NodeId, harmless: &[(NodeId, NodeId)]) -> bool {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![node];
        seen[node] = true;
        while let Some(current) = stack.pop() {
            let mut neighbours: Vec<(NodeId, bool)> = Vec::new();
            if let Some((parent, edge)) = self.nodes[current].step {
                neighbours.push((parent, edge.toward_referenced));
            }
            for (child, n) in self.nodes.iter().enumerate() {
                if let Some((parent, edge)) = n.step
                    && parent == current
                {
                    neighbours.push((child, !edge.toward_referenced));
                }
            }
            for (next, fans_out) in neighbours {
                if seen[next] {
                    continue;
                }
                if fans_out && !harmless.contains(&(current, next)) {
                    return true;
                }
                seen[next] = true;
                stack.push(next);
            }
        }
        false
    }
}

/// Alias for a second instance of a table reached through `fk`: the foreign
/// key's column words without a trailing "id" (`manager_id` -> `manager`).
fn role_alias(catalog: &Catalog, fk: ForeignKeyId) -> String {
    let columns = &catalog.schema.tables[fk.table].foreign_keys[fk.index].columns;
    let name = snake_case(&columns.join("_"));
    let role = name.strip_suffix("_id").unwrap_or(&name);
    if role.is_empty() { format!("{}_2", snake_case(catalog.table_name(fk.table))) } else { role.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::plan::schema::{Column, DatabaseSchema, ForeignKey, Table};
    use crate::synth::offline::fixtures::{shop_catalog, table_id};

    #[test]
    fn distances_follow_foreign_keys_both_ways() {
        let catalog = shop_catalog();
        let graph = JoinGraph::new(&catalog);
        let t = |name| table_id(&catalog, name);
        assert_eq!(graph.distance(t("customer"), t("customer")), Some(0));
        assert_eq!(graph.distance(t("customer"), t("orders")), Some(1));
        assert_eq!(graph.distance(t("category"), t("customer")), Some(4));
        assert_eq!(graph.distance(t("tag"), t("category")), Some(3));
        assert_eq!(graph.distance(t("employee"), t("customer")), None);
    }

    #[test]
    fn attaching_walks_the_shortest_path_and_reuses_nodes() {
        let catalog = shop_catalog();
        let graph = JoinGraph::new(&catalog);
        let t = |name| table_id(&catalog, name);
        let mut tree = JoinTree::new(t("category"));
        let customer = tree.attach(&graph, t("customer")).unwrap();
        let tables: Vec<&str> = tree.nodes.iter().map(|n| catalog.table_name(n.table)).collect();
        assert_eq!(tables, ["category", "product", "order_item", "orders", "customer"]);
        assert_eq!(tree.attach(&graph, t("customer")).unwrap(), customer);
        let tag = tree.attach(&graph, t("tag")).unwrap();
        let (parent, _) = tree.nodes[tag].step.unwrap();
        assert_eq!(catalog.table_name(tree.nodes[parent].table), "product_tag", "many-to-many through the link table");
        assert!(!tree.ambiguous);
        assert_eq!(tree.attach(&graph, t("employee")), Err(Unreachable { from: t("category"), to: t("employee") }));
    }

    #[test]
    fn joins_toward_the_many_side_multiply_rows() {
        let catalog = shop_catalog();
        let graph = JoinGraph::new(&catalog);
        let t = |name| table_id(&catalog, name);
        let mut lines = JoinTree::new(t("order_item"));
        lines.attach(&graph, t("customer")).unwrap();
        lines.attach(&graph, t("category")).unwrap();
        assert!(!lines.multiplies(0), "order_item -> orders -> customer and -> product -> category are many-to-one");
        let mut orders = JoinTree::new(t("orders"));
        let product = orders.attach(&graph, t("product")).unwrap();
        assert!(orders.multiplies(0), "orders -> order_item repeats orders");
        assert!(!orders.multiplies(1), "each order_item row appears once");
        assert!(orders.multiplies(product), "a product appears once per order line");
    }

    #[test]
    fn a_self_reference_joins_a_second_aliased_instance() {
        let catalog = shop_catalog();
        let employee = table_id(&catalog, "employee");
        let mut tree = JoinTree::new(employee);
        let manager = tree.attach_via(&catalog, 0, ForeignKeyId { table: employee, index: 0 }).unwrap();
        assert_eq!(tree.nodes[manager].alias.as_deref(), Some("manager"));
        assert!(!tree.multiplies(0), "each employee has at most one manager");
        assert_eq!(tree.attach_via(&catalog, 0, ForeignKeyId { table: employee, index: 0 }), Some(manager));
    }

    #[test]
    fn two_foreign_keys_to_one_table_make_the_path_ambiguous() {
        let column = |name: &str| Column {
            name: name.into(),
            data_type: "integer".into(),
            nullable: false,
            sample_values: vec![],
        };
        let fk = |name: &str| ForeignKey {
            columns: vec![name.into()],
            referenced_table: "airport".into(),
            referenced_columns: vec!["airport_id".into()],
        };
        let tables = vec![
            Table {
                name: "airport".into(),
                columns: vec![column("airport_id")],
                primary_key: vec!["airport_id".into()],
                foreign_keys: vec![],
                approx_rows: None,
            },
            Table {
                name: "flight".into(),
                columns: vec![column("flight_id"), column("origin_id"), column("destination_id")],
                primary_key: vec!["flight_id".into()],
                foreign_keys: vec![fk("origin_id"), fk("destination_id")],
                approx_rows: None,
            },
        ];
        let catalog = Catalog::new(&DatabaseSchema::new("air", Dialect::Sqlite, tables));
        let graph = JoinGraph::new(&catalog);
        let mut tree = JoinTree::new(1);
        tree.attach(&graph, 0).unwrap();
        assert!(tree.ambiguous);
    }
}
