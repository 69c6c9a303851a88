//! Abstentions that help: when a question has a word that maps to nothing,
//! the reason says how to teach it — the column or table it nearly matched
//! (same stem, or one or two letters off) and a ready glossary line for the
//! source's configuration.
//!
//! Invariants: a near match is only ever a suggestion in the reason; it never
//! becomes part of a query.

use super::catalog::Catalog;
use super::linking::{Item, ItemKind};
use super::tokens::stem;
use crate::synth::Abstention;

/// Appends a glossary hint for the first unmapped word, if there is one.
pub(crate) fn with_glossary_hint(abstention: Abstention, items: &[Item], catalog: &Catalog) -> Abstention {
    let Some(word) = items.iter().find(|i| matches!(i.kind, ItemKind::Unknown | ItemKind::Action(_))) else {
        return abstention;
    };
    let lower = word.text.to_lowercase();
    let (target, near) = match nearest_name(catalog, &lower) {
        Some(name) => (name.clone(), format!(" (closest name in the schema: {name})")),
        None => ("<table or table.column>".to_string(), String::new()),
    };
    Abstention {
        reason: format!(
            "{}{near}; if '{}' means a table or column, add it to the glossary: [sources.{}] glossary = {{ \"{lower}\" = \"{target}\" }}",
            abstention.reason, word.text, catalog.schema.source
        ),
    }
}

/// The table or `table.column` whose name has a word closest to `word`:
/// the same stem, a shared start of five letters, or an edit distance of at
/// most one (two for long words). `None` when nothing is that close.
fn nearest_name(catalog: &Catalog, word: &str) -> Option<String> {
    if word.chars().count() < 4 {
        return None;
    }
    let word_stem = stem(word);
    let closeness = |name_word: &str| -> Option<usize> {
        let name_stem = stem(name_word);
        if name_stem == word_stem {
            return Some(0);
        }
        let shared = word.chars().zip(name_word.chars()).take_while(|(a, b)| a == b).count();
        if shared >= 5 {
            return Some(1);
        }
        let distance = edit_distance(word, name_word);
        let allowed = if word.len() >= 8 { 2 } else { 1 };
        (distance <= allowed).then_some(distance + 1)
    };
    let mut best: Option<(usize, String)> = None;
    let mut consider = |score: Option<usize>, name: String| {
        if let Some(score) = score
            && best.as_ref().is_none_or(|(b, _)| score < *b)
        {
            best = Some((score, name));
        }
    };
    for (table, facts) in catalog.tables.iter().enumerate() {
        consider(facts.words.iter().filter_map(|w| closeness(w)).min(), catalog.table_name(table).to_string());
        for column in catalog.column_ids(table) {
            let score = catalog.column(column).words.iter().filter_map(|w| closeness(w)).min();
            consider(score, catalog.describe(column));
        }
    }
    best.map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::synth::offline::OfflineSynthesizer;
    use crate::synth::offline::fixtures::lending;

    #[test]
    fn an_unknown_word_gets_a_ready_glossary_line_and_its_near_match() {
        let synth = OfflineSynthesizer::new(&lending(Dialect::Sqlite), &Default::default(), 0.6);
        let reason = synth.synthesize("How many patrons are there?").unwrap_err().reason;
        assert!(reason.contains("could not map 'patrons'"), "{reason}");
        assert!(
            reason.contains(r#"[sources.lending] glossary = { "patrons" = "<table or table.column>" }"#),
            "{reason}"
        );
        let near = synth.synthesize("List the authorz").unwrap_err().reason;
        assert!(near.contains("closest name in the schema: author"), "{near}");
        assert!(near.contains(r#"glossary = { "authorz" = "author" }"#), "{near}");
        let typo = synth.synthesize("List the boook titles").unwrap_err().reason;
        assert!(typo.contains("closest name in the schema: book"), "{typo}");
    }

    #[test]
    fn a_near_match_is_never_used_as_an_answer() {
        let synth = OfflineSynthesizer::new(&lending(Dialect::Sqlite), &Default::default(), 0.6);
        assert!(synth.synthesize("How many boook are there?").is_err());
        assert!(synth.synthesize("List the authorz").is_err());
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("book", "book"), 0);
        assert_eq!(edit_distance("boook", "book"), 1);
        assert_eq!(edit_distance("boks", "book"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
