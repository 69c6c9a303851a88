//! Question normalization: the key under which two phrasings of one question
//! are treated as the same question (single flight, answer cache).
//!
//! The question is split by the offline synthesizer's own tokenizer (words,
//! numbers, quoted strings, symbols), so the key sees exactly the units the
//! synthesizer sees. Then only what cannot change the SQL is folded:
//! - case, white space, and the punctuation `? ! . , ; : ( )`;
//! - leading request phrases: "please", "can/could/would you", "show (me)",
//!   "list", "display", "find", "get", "give me", "tell me", "what is",
//!   "what are", and an "all" right after them ("List all customers" is
//!   "customers");
//! - "number of" and "count of" are "how many";
//! - the articles "a", "an", "the";
//! - a plural right after a number, "how many", "per", "each" or "every" is
//!   singular ("5 artists" and "5 artist", "per countries" and "per country").
//!
//! Never folded, so never merged: quoted text (kept verbatim, case included),
//! numbers and dates, and every other word: literal values ("France" vs
//! "Germany"), column and table words ("by country" vs "by city"),
//! comparison words and symbols. Plurals elsewhere stay as written: the
//! offline synthesizer reads a singular subject ("which artist has the most
//! tracks") as one row and a plural one as many, so they are not the same
//! question. Acronyms and words with digits are never folded, and a
//! capitalized article inside the sentence is kept: "The" in "tracks by The
//! Cure" is part of a value.

use crate::synth::offline::tokens::{Token, TokenKind, singular, tokenize};

/// Request phrases stripped from the start of a question, longest first.
const LEADING_PHRASES: &[&[&str]] = &[
    &["can", "you"],
    &["could", "you"],
    &["would", "you"],
    &["please"],
    &["show", "me"],
    &["give", "me"],
    &["tell", "me"],
    &["what", "is"],
    &["what", "are"],
    &["what's"],
    &["whats"],
    &["show"],
    &["list"],
    &["display"],
    &["find"],
    &["get"],
];
const ARTICLES: &[&str] = &["a", "an", "the"];
/// Words after which a plural means the same as the singular.
const COUNTING_WORDS: &[&str] = &["many", "per", "each", "every"];
/// Punctuation that never changes a question's meaning.
const DROPPED_SYMBOLS: &[&str] = &["?", "!", ".", ",", ";", ":", "(", ")"];

/// One unit of the normalized form.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// A word that may be folded (lower-cased); `capitalized` inside the sentence.
    Word(String, bool),
    /// An acronym or a word with digits: kept exactly (lower-cased).
    Name(String),
    /// Numbers, quoted text and symbols, kept verbatim.
    Literal(String),
}

impl Part {
    fn word(&self) -> Option<&str> {
        match self {
            Part::Word(w, _) => Some(w),
            _ => None,
        }
    }

    fn render(&self) -> String {
        match self {
            Part::Word(w, _) | Part::Name(w) | Part::Literal(w) => w.clone(),
        }
    }
}

/// The normalized form of `question`.
pub fn normalize_question(question: &str) -> String {
    let mut parts: Vec<Part> = Vec::new();
    let mut first_word = true;
    // In a question written all in capitals, capitals mark nothing.
    let all_caps = !question.chars().any(char::is_lowercase);
    for token in tokenize(question) {
        let part = match token.kind {
            TokenKind::Symbol if DROPPED_SYMBOLS.contains(&token.text.as_str()) => continue,
            TokenKind::Symbol | TokenKind::Number => Part::Literal(token.lower.clone()),
            // Quotes cannot be confused with words: « » never comes out of the tokenizer as a word.
            TokenKind::Quoted => Part::Literal(format!("«{}»", token.text)),
            TokenKind::Word if looks_like_a_name(&token, all_caps) => Part::Name(token.lower.clone()),
            TokenKind::Word => {
                let capitalized = !all_caps && !first_word && token.text.starts_with(char::is_uppercase);
                Part::Word(token.lower.clone(), capitalized)
            }
        };
        first_word &= token.kind != TokenKind::Word;
        parts.push(part);
    }
    strip_leading_phrases(&mut parts);
    let mut out: Vec<Part> = Vec::with_capacity(parts.len());
    let mut i = 0;
    while i < parts.len() {
        let next = parts.get(i + 1).and_then(Part::word);
        match (parts[i].word(), next) {
            (Some("number" | "count"), Some("of")) => {
                out.extend([Part::Word("how".into(), false), Part::Word("many".into(), false)]);
                i += 2;
                continue;
            }
            (Some(article), _) if ARTICLES.contains(&article) && parts[i] != Part::Word(article.into(), true) => {}
            _ => out.push(parts[i].clone()),
        }
        i += 1;
    }
    for i in 1..out.len() {
        let counted = match &out[i - 1] {
            Part::Word(w, _) => COUNTING_WORDS.contains(&w.as_str()),
            Part::Literal(n) => n.starts_with(|c: char| c.is_ascii_digit()),
            Part::Name(_) => false,
        };
        if counted && let Part::Word(w, capitalized) = &out[i] {
            out[i] = Part::Word(singular(w), *capitalized);
        }
    }
    out.iter().map(Part::render).collect::<Vec<_>>().join(" ")
}

/// An acronym ("USA", "AC"; not in an all-capitals question), or a word with
/// digits or inner punctuation ("mp3"; "o'brien" stays a word).
fn looks_like_a_name(token: &Token, all_caps: bool) -> bool {
    let uppercase = token.text.chars().filter(|c| c.is_uppercase()).count();
    (uppercase >= 2 && !all_caps) || token.text.chars().any(|c| !c.is_alphabetic() && !matches!(c, '\'' | '’'))
}

fn strip_leading_phrases(parts: &mut Vec<Part>) {
    let mut start = 0;
    let mut stripped = false;
    'again: loop {
        for phrase in LEADING_PHRASES {
            let matches =
                phrase.iter().enumerate().all(|(k, word)| parts.get(start + k).and_then(Part::word) == Some(word));
            if matches {
                start += phrase.len();
                stripped = true;
                continue 'again;
            }
        }
        break;
    }
    if stripped && parts.get(start).and_then(Part::word) == Some("all") {
        start += 1;
    }
    // Never strip a whole question: "Show" alone stays "show".
    if start < parts.len() {
        parts.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) {
        assert_eq!(normalize_question(a), normalize_question(b), "{a:?} and {b:?} should share a key");
    }

    fn different(a: &str, b: &str) {
        assert_ne!(normalize_question(a), normalize_question(b), "{a:?} and {b:?} must not share a key");
    }

    #[test]
    fn case_spacing_and_punctuation_fold() {
        same("  How many   Customers?", "how many customers");
        same("Revenue per year!", "revenue per year");
        same("Customers (by country)", "customers by country");
        same("TOP 5 ARTISTS BY NUMBER OF TRACKS", "Top 5 artist by number of tracks");
    }

    #[test]
    fn harmless_word_variants_fold() {
        same("Number of tracks per media type", "How many tracks per media type?");
        same("What is the count of invoices?", "How many invoices");
        same("List all customers from Brazil", "Customers from Brazil");
        same("Show me the customers from Brazil", "What are the customers from Brazil?");
        same("Please list the 10 longest tracks", "What are the 10 longest tracks?");
        same("What is the total revenue per year?", "Total revenue per year");
        same("How many customer are there", "How many customers are there?");
        same("Top 5 artist by number of tracks", "Top 5 artists by number of tracks");
        same("Average invoice total for each countries", "Average invoice total for each country");
    }

    #[test]
    fn literal_values_never_merge() {
        different("customers in France", "customers in Germany");
        different("How many tracks are there in the Rock genre?", "How many tracks are there in the Jazz genre?");
        different("customers named 'Smith'", "customers named 'Smyth'");
        different("customers named 'Smith'", "customers named 'smith'");
        different("tracks by The Cure", "tracks by Cure");
        different("customers in Paris", "customers in Pari");
        different("customers in USA", "customers in US");
        different("5 MP3s", "5 MP3");
    }

    #[test]
    fn numbers_never_merge() {
        different("top 5 artists by number of tracks", "top 10 artists by number of tracks");
        different("albums with more than 20 tracks", "albums with more than 2 tracks");
        different("tracks longer than 3.5 minutes", "tracks longer than 35 minutes");
        different("price > 1", "price < 1");
    }

    #[test]
    fn dates_never_merge() {
        different("invoices issued in 2023", "invoices issued in 2024");
        different("invoices on 2023-01-05", "invoices on 2023-05-01");
        different("revenue in March 2024", "revenue in May 2024");
        different("invoices after 2023-01-05", "invoices before 2023-01-05");
        different("revenue last month", "revenue this month");
        different("orders today", "orders yesterday");
        different("orders in the last 30 days", "orders in the last 7 days");
    }

    #[test]
    fn columns_and_tables_never_merge() {
        different("customers by country", "customers by city");
        different("average invoice total by billing country", "average invoice total by billing city");
        different("longest tracks", "shortest tracks");
        different("total of unit price", "total of quantity");
        different("How many tracks", "How many albums");
    }

    #[test]
    fn a_singular_subject_is_not_a_plural_one() {
        different("Which artist has the most tracks?", "Which artists have the most tracks?");
        different("Which employee has the most customers", "Which employees have the most customers");
    }
}
