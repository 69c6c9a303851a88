//! The offline synthesizer: natural-language questions to SQL with no network,
//! from the introspected schema alone.
//!
//! ```text
//!  question -> tokens -> linking -> shapes -> resolve -> render -> SQL
//!              words,    tables,    count,    columns,   dialect-
//!              stems     columns,   list,     joins,     correct
//!                        values     top-N...  aggregates text
//! ```
//!
//! [`OfflineSynthesizer::new`] builds the linking index and join graph once per
//! schema group; [`OfflineSynthesizer::synthesize`] then answers each question
//! or abstains. Every step that has to guess lowers a confidence score (see
//! `confidence`); below the configured minimum the synthesizer abstains with
//! the costliest reason. Steps that cannot answer correctly at all (a write
//! request, a tie between columns, a sum that joins would double count)
//! abstain outright. A wrong answer is worse than an abstention.
//!
//! Invariants: nothing here knows any particular database; the same question
//! over schemas that differ only in naming style (`InvoiceLine.UnitPrice` vs
//! `invoice_line.unit_price`) and dialect yields equivalent SQL.

mod catalog;
mod combine;
mod confidence;
#[cfg(test)]
mod fixtures;
mod hints;
mod joins;
#[cfg(test)]
mod lending_tests;
mod linking;
mod render;
mod resolve;
mod restate;
#[cfg(test)]
mod role_tests;
#[cfg(test)]
mod school_tests;
mod shapes;
pub(crate) mod tokens;
mod vocabulary;

use std::collections::BTreeMap;

use crate::plan::schema::DatabaseSchema;

use super::{Abstention, SqlAnswer, SynthesizerKind};
use catalog::Catalog;
use confidence::Confidence;
use joins::JoinGraph;
use linking::Linker;

/// Which readings of questions this build's offline synthesizer gives: the
/// crate version and a counter raised whenever a change reads some question
/// differently. Cached offline answers carry it, and one stored under another
/// revision is synthesized again, so an upgrade never serves an older reading.
pub const OFFLINE_REVISION: &str = concat!(env!("CARGO_PKG_VERSION"), "+r8");

/// Answers questions about one schema without a network; built once per schema group.
#[derive(Debug, Clone)]
pub struct OfflineSynthesizer {
    catalog: Catalog,
    graph: JoinGraph,
    linker: Linker,
    min_confidence: f32,
}

impl OfflineSynthesizer {
    /// Builds the linking index for one schema (done once per group of questions).
    /// `glossary`: lower-cased extra word -> table or column name (per-source, from config);
    /// a target may be `Table`, `Table.Column`, or a column name found in any table.
    pub fn new(schema: &DatabaseSchema, glossary: &BTreeMap<String, String>, min_confidence: f32) -> Self {
        let catalog = Catalog::new(schema);
        let graph = JoinGraph::new(&catalog);
        let linker = Linker::new(&catalog, glossary);
        OfflineSynthesizer { catalog, graph, linker, min_confidence }
    }

    /// SQL for the question, or an abstention whose reason names the word or
    /// concept it could not map and, for a word, how to teach it (a glossary
    /// line, and the column it nearly matched).
    pub fn synthesize(&self, question: &str) -> Result<SqlAnswer, Abstention> {
        let tokens = tokens::tokenize(question);
        if !tokens.iter().any(|t| t.is_word()) {
            return Err(Abstention { reason: "the question has no words".into() });
        }
        let items = self.linker.link(&tokens);
        self.answer(&items).map_err(|abstention| hints::with_glossary_hint(abstention, &items, &self.catalog))
    }

    fn answer(&self, items: &[linking::Item]) -> Result<SqlAnswer, Abstention> {
        let mut confidence = Confidence::default();
        let resolved = shapes::interpret(items, &mut confidence)
            .and_then(|frame| combine::resolve_frame(&frame, &self.catalog, &self.graph, &mut confidence))
            .map_err(|abstention| with_unknown_words(abstention, items))?;
        if confidence.score() < self.min_confidence {
            let reasons = confidence.reasons();
            let reason = match reasons.as_slice() {
                [] => "not confident enough in the answer".to_string(),
                [only] => (*only).to_string(),
                [first, rest @ ..] => format!("{first} (also: {})", rest.join("; ")),
            };
            return Err(Abstention { reason });
        }
        let (sql, restatement) = resolved.sql_and_restatement(&self.catalog);
        Ok(SqlAnswer {
            sql,
            synthesizer: SynthesizerKind::Offline,
            confidence: confidence.score(),
            restatement: Some(restatement),
        })
    }
}

impl OfflineSynthesizer {
    /// Names of the tables a question's words link to: by table name, by a
    /// column name (whole-name matches preferred over last-word matches) or
    /// by a sampled value. A word that links to more than three tables is too
    /// ambiguous to count. Schema order.
    pub fn linked_tables(&self, question: &str) -> Vec<String> {
        let items = self.linker.link(&tokens::tokenize(question));
        let mut linked = vec![false; self.catalog.tables.len()];
        for item in &items {
            let columns = |links: &[linking::ColumnLink]| -> Vec<catalog::TableId> {
                let exact: Vec<_> =
                    links.iter().filter(|l| l.fit == linking::Fit::Exact).map(|l| l.column.table).collect();
                if exact.is_empty() { links.iter().map(|l| l.column.table).collect() } else { exact }
            };
            let mut tables: Vec<catalog::TableId> = match &item.kind {
                linking::ItemKind::Entity(links) => links.iter().map(|l| l.table).collect(),
                linking::ItemKind::Attribute(links) | linking::ItemKind::KeywordOrAttribute(_, links) => columns(links),
                linking::ItemKind::Value(links) => links.iter().map(|l| l.column.table).collect(),
                _ => Vec::new(),
            };
            tables.sort_unstable();
            tables.dedup();
            if tables.len() <= 3 {
                for table in tables {
                    linked[table] = true;
                }
            }
        }
        self.names(linked)
    }

    /// `tables` plus every table on the shortest foreign-key paths that join
    /// them, in schema order. Unknown names are dropped; a table no path
    /// reaches is kept on its own.
    pub fn join_closure(&self, tables: &[String]) -> Vec<String> {
        let ids: Vec<catalog::TableId> = tables
            .iter()
            .filter_map(|name| self.catalog.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(name)))
            .collect();
        let mut trees: Vec<joins::JoinTree> = Vec::new();
        for id in ids {
            if !trees.iter_mut().any(|tree| tree.attach(&self.graph, id).is_ok()) {
                trees.push(joins::JoinTree::new(id));
            }
        }
        let mut included = vec![false; self.catalog.tables.len()];
        for node in trees.iter().flat_map(|tree| &tree.nodes) {
            included[node.table] = true;
        }
        self.names(included)
    }

    /// Every table with its relevance to `questions`, most relevant first:
    /// question words and numbers (stemmed) found in the table's name count
    /// 4, in its column names 1; ties keep schema order. For prompts when a
    /// question links to no table by name.
    pub fn rank_tables(&self, questions: &[&str]) -> Vec<(String, usize)> {
        let words: std::collections::HashSet<String> = questions
            .iter()
            .flat_map(|q| tokens::tokenize(q))
            .filter(|t| {
                (t.is_word() || t.kind == tokens::TokenKind::Number)
                    && !vocabulary::STOPWORDS.contains(&t.lower.as_str())
            })
            .map(|t| t.stem.clone())
            .collect();
        let score = |facts: &catalog::TableFacts| -> usize {
            let table = facts.words.iter().filter(|w| words.contains(&tokens::stem(w))).count();
            let columns =
                facts.columns.iter().flat_map(|c| &c.words).filter(|w| words.contains(&tokens::stem(w))).count();
            table * 4 + columns
        };
        let mut ranked: Vec<(usize, usize)> = self.catalog.tables.iter().map(score).enumerate().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.into_iter().map(|(table, score)| (self.catalog.table_name(table).to_string(), score)).collect()
    }

    fn names(&self, included: Vec<bool>) -> Vec<String> {
        included
            .into_iter()
            .enumerate()
            .filter(|(_, keep)| *keep)
            .map(|(table, _)| self.catalog.table_name(table).to_string())
            .collect()
    }
}

/// An abstention's reason plus the words that mapped to nothing, which are
/// usually why the question could not be read.
fn with_unknown_words(abstention: Abstention, items: &[linking::Item]) -> Abstention {
    let unknown: Vec<String> =
        items.iter().filter(|i| i.kind == linking::ItemKind::Unknown).map(|i| format!("'{}'", i.text)).collect();
    if unknown.is_empty() {
        return abstention;
    }
    Abstention { reason: format!("{}; could not map {} to any table or column", abstention.reason, unknown.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviated_schema_names_link_from_spelled_out_words() {
        let synth = OfflineSynthesizer::new(&fixtures::abbreviated_schema(), &BTreeMap::new(), 0.5);
        let sql = |q: &str| synth.synthesize(q).map(|a| a.sql).unwrap_or_else(|a| panic!("{q}: {}", a.reason));
        assert_eq!(sql("How many customers are there?"), r#"SELECT COUNT(*) AS "cust_count" FROM "cust""#);
        let total = sql("What is the total transaction amount?");
        assert!(total.contains(r#"SUM("sales_txn"."txn_amt")"#), "{total}");
        let per_customer = sql("Total quantity per customer");
        assert!(per_customer.contains(r#"SUM("sales_txn"."txn_qty")"#), "{per_customer}");
        let in_2024 = sql("How many sales transactions were there in 2024?");
        assert!(in_2024.contains(r#""sales_txn"."txn_dt""#), "{in_2024}");
    }

    #[test]
    fn linked_tables_and_their_join_paths_name_what_a_prompt_needs() {
        let synth = OfflineSynthesizer::new(&fixtures::abbreviated_schema(), &BTreeMap::new(), 0.5);
        let linked = synth.linked_tables("Total transaction amount per customer");
        assert!(linked.contains(&"cust".to_string()) && linked.contains(&"sales_txn".to_string()), "{linked:?}");
        let closure = synth.join_closure(&linked);
        assert!(linked.iter().all(|t| closure.contains(t)), "{closure:?}");
        assert!(synth.linked_tables("zebra quokka").is_empty());
        let ranked = synth.rank_tables(&["customer names"]);
        assert_eq!(ranked.len(), fixtures::abbreviated_schema().tables.len());
        assert!(ranked[0].1 >= ranked[1].1);
    }
}
