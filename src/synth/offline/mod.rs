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
mod confidence;
#[cfg(test)]
mod fixtures;
mod joins;
mod linking;
mod render;
mod resolve;
mod shapes;
mod tokens;
mod vocabulary;

use std::collections::BTreeMap;

use crate::plan::schema::DatabaseSchema;

use super::{Abstention, SqlAnswer, SynthesizerKind};
use catalog::Catalog;
use confidence::Confidence;
use joins::JoinGraph;
use linking::Linker;

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

    /// SQL for the question, or an abstention whose reason names the word or concept it could not map.
    pub fn synthesize(&self, question: &str) -> Result<SqlAnswer, Abstention> {
        let tokens = tokens::tokenize(question);
        if !tokens.iter().any(|t| t.is_word()) {
            return Err(Abstention { reason: "the question has no words".into() });
        }
        let items = self.linker.link(&tokens);
        let mut confidence = Confidence::default();
        let query = shapes::interpret(&items, &mut confidence)
            .and_then(|frame| resolve::resolve(&frame, &self.catalog, &self.graph, &mut confidence))
            .map_err(|abstention| with_unknown_words(abstention, &items))?;
        if confidence.score() < self.min_confidence {
            let reasons = confidence.reasons();
            let reason = match reasons.as_slice() {
                [] => "not confident enough in the answer".to_string(),
                [only] => (*only).to_string(),
                [first, rest @ ..] => format!("{first} (also: {})", rest.join("; ")),
            };
            return Err(Abstention { reason });
        }
        Ok(SqlAnswer {
            sql: render::render(&self.catalog, &query),
            synthesizer: SynthesizerKind::Offline,
            confidence: confidence.score(),
        })
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
}
