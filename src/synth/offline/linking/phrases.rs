//! Time and relationship phrases read off the tokens before the schema is
//! consulted: months, quarters, "month-over-month", "direct reports",
//! "company-wide", and dates relative to today ("yesterday", "last month",
//! "in the last 30 days").

use super::*;
use crate::synth::offline::vocabulary::{DateUnit, MONTHS, QUARTER_ORDINALS, RelativeSpan};

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

/// "today", "yesterday", "this month", "last year", "the past 30 days",
/// "the last 6 months": a span of dates counted from today, and its length
/// in tokens. Weeks (whose first day differs by country), "next ..." and
/// "... ago" are not read here and stay refusals.
pub(super) fn relative_at(tokens: &[Token], i: usize) -> Option<(usize, RelativeSpan)> {
    let word = |j: usize| tokens.get(j).map(|t| t.lower.as_str());
    let calendar = |unit, from, until| RelativeSpan { unit, from, until: Some(until), calendar: true };
    let unit_of = |w: &str| match w.trim_end_matches('s') {
        "day" => Some((DateUnit::Day, 1)),
        "week" => Some((DateUnit::Day, 7)),
        "month" => Some((DateUnit::Month, 1)),
        "year" => Some((DateUnit::Year, 1)),
        _ => None,
    };
    match word(i)? {
        "today" => Some((1, calendar(DateUnit::Day, 0, 1))),
        "yesterday" => Some((1, calendar(DateUnit::Day, -1, 0))),
        modifier @ ("this" | "current" | "last" | "previous" | "past") => {
            let next = word(i + 1)?;
            if let Some(n) = next.parse::<i32>().ok().filter(|n| (1..=10_000).contains(n))
                && modifier != "this"
                && modifier != "current"
            {
                // "the last 30 days", "the past 6 months": from today, n units back.
                let (unit, scale) = unit_of(word(i + 2)?)?;
                let span = RelativeSpan { unit, from: -n * scale, until: None, calendar: false };
                return Some((3, span));
            }
            let (unit, _) = unit_of(next).filter(|_| !next.starts_with("week"))?;
            let this = matches!(modifier, "this" | "current");
            Some((2, if this { calendar(unit, 0, 1) } else { calendar(unit, -1, 0) }))
        }
        _ => None,
    }
}
