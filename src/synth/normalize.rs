//! Question normalization: the key under which two phrasings of one question
//! are treated as the same question (single flight, answer cache).
//!
//! Folding is deliberately conservative: case, runs of whitespace and
//! trailing punctuation only. Two questions that differ in any word, literal,
//! number or date keep different keys.

/// The normalized form of `question`.
pub fn normalize_question(question: &str) -> String {
    let folded = question.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    folded.trim_end_matches(['?', '.', '!', ' ']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_spacing_and_trailing_punctuation_fold() {
        assert_eq!(normalize_question("  How many   Customers?"), normalize_question("how many customers"));
        assert_ne!(normalize_question("customers in France"), normalize_question("customers in Germany"));
    }
}
