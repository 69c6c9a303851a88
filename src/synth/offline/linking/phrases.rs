//! Time and relationship phrases read off the tokens before the schema is
//! consulted: months, quarters, "month-over-month", "direct reports",
//! "company-wide".

use super::*;
use crate::synth::offline::vocabulary::{MONTHS, QUARTER_ORDINALS};

/// A month name; "may" and "march" only next to a number or after "in"/"of"/"during".
pub(super) fn month_at(tokens: &[Token], i: usize) -> Option<u32> {
    let lower = tokens[i].lower.as_str();
    let index = MONTHS.iter().position(|m| *m == lower)?;
    if matches!(lower, "may" | "march") {
        let before = i.checked_sub(1).map(|p| tokens[p].lower.as_str());
        let number_after = tokens.get(i + 1).is_some_and(|t| t.kind == TokenKind::Number);
        if !number_after && !matches!(before, Some("in" | "of" | "during")) {
            return None;
        }
    }
    Some(index as u32 + 1)
}

/// "direct reports", "subordinates": rows that report to another row; the span.
pub(super) fn reports_at(tokens: &[Token], i: usize) -> Option<usize> {
    let next = tokens.get(i + 1).map(|t| t.lower.as_str());
    match (tokens[i].lower.as_str(), next) {
        ("direct", Some("reports" | "report")) => Some(2),
        ("subordinates" | "subordinate", _) => Some(1),
        _ => None,
    }
}

/// A quarter at `i` and how many tokens it spans: "Q3", "third quarter", "3rd quarter".
pub(super) fn quarter_at(tokens: &[Token], i: usize) -> Option<(usize, u32)> {
    let lower = tokens[i].lower.as_str();
    if let Some(digit) = lower.strip_prefix('q').and_then(|d| d.parse::<u32>().ok()).filter(|d| (1..=4).contains(d)) {
        return Some((1, digit));
    }
    let is_quarter = tokens.get(i + 1).is_some_and(|t| t.lower == "quarter");
    let ordinal = QUARTER_ORDINALS.iter().position(|o| *o == lower);
    let numbered = ["1st", "2nd", "3rd", "4th"].iter().position(|o| *o == lower);
    match ordinal.or(numbered) {
        Some(index) if is_quarter => Some((2, index as u32 + 1)),
        _ => None,
    }
}

/// "month-over-month", "year over year": a month (true) or year compared
/// with the one before; its span.
pub(super) fn period_over_period_at(tokens: &[Token], i: usize) -> Option<(usize, bool)> {
    let words: Vec<(usize, &Token)> = tokens[i..].iter().enumerate().filter(|(_, t)| t.text != "-").take(3).collect();
    match words.as_slice() {
        [(0, a), (_, over), (last, b)]
            if over.lower == "over" && a.lower == b.lower && matches!(a.lower.as_str(), "month" | "year") =>
        {
            Some((last + 1, a.lower == "month"))
        }
        _ => None,
    }
}

/// "company-wide", "company wide", "store-wide": a word then "wide"; its span.
pub(super) fn wide_at(tokens: &[Token], i: usize) -> Option<usize> {
    let hyphen = tokens.get(i + 1).is_some_and(|t| t.text == "-");
    let wide = if hyphen { i + 2 } else { i + 1 };
    (tokens[i].is_word() && tokens.get(wide).is_some_and(|t| t.lower == "wide")).then_some(wide - i + 1)
}
