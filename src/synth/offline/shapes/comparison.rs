//! Period comparisons: "by how much did sales change from March 2021 to
//! March 2022", "what was the percentage growth in hires from 2014 to 2015",
//! "how many more orders in Q1 2022 than in Q1 2021", "revenue in 2023
//! compared to 2022": one figure over two periods, combined.
//!
//! Invariants: two periods in one question are read only with a word that
//! says how to combine them; "growth" alone (absolute or percent?) abstains
//! and says which words settle it. The comparison words are taken before the
//! dates are read, so "from 2016 to 2017" is read as two periods, not a range.

use super::*;

/// The words of a question that compare two periods, found before its dates are read.
#[derive(Debug, Clone, Default)]
pub(super) struct ComparisonWords {
    /// "change", "difference", "by how much"
    change: bool,
    /// "growth", "grew", "increase"
    growth: bool,
    /// "compared to", "versus"
    versus: bool,
    /// "more" (true) or "fewer" (false) with "than"
    more_or_fewer: Option<bool>,
    /// "month-over-month" (`Some(true)`), "year-over-year" (`Some(false)`)
    period_over_period: Option<bool>,
    texts: Vec<String>,
}

impl ComparisonWords {
    pub(super) fn any(&self) -> bool {
        self.change || self.growth || self.versus || self.more_or_fewer.is_some()
    }
}

impl Reader<'_> {
    /// Takes the words that compare periods, when the question names at least two time expressions.
    pub(super) fn take_comparison_words(&mut self) -> ComparisonWords {
        let mut words = ComparisonWords::default();
        let times = (0..self.items.len())
            .filter(|&j| matches!(self.kind(j), Some(ItemKind::Month(_) | ItemKind::Quarter(_) | ItemKind::Number(_))))
            .count();
        let over_previous =
            (0..self.items.len()).any(|j| matches!(self.keyword(j), Some(Keyword::PeriodOverPeriod { .. })));
        if times < 2 && !over_previous {
            return words;
        }
        for j in 0..self.items.len() {
            let Some(keyword) = self.keyword(j) else { continue };
            match keyword {
                Keyword::Change => words.change = true,
                Keyword::Growth => words.growth = true,
                Keyword::Versus => words.versus = true,
                Keyword::MoreOrFewer { more } => words.more_or_fewer = Some(more),
                Keyword::PeriodOverPeriod { month } => words.period_over_period = Some(month),
                _ => continue,
            }
            words.texts.push(self.items[j].text.clone());
            self.mark([j]);
        }
        if words.change || words.growth {
            // "how much did revenue grow": by how much, a difference.
            let how_much = (0..self.items.len()).find(|&j| self.is_keyword(j, Keyword::HowMuch));
            words.change |= how_much.is_some();
            self.mark(how_much);
        }
        words
    }

    /// The comparison of the two periods read by `read_time`, combined as the
    /// comparison words say; `share` (a "percentage" the question names) makes a change a percentage.
    pub(super) fn finish_comparison(
        &mut self,
        words: &ComparisonWords,
        mut periods: Vec<Period>,
        share: Option<bool>,
    ) -> Result<Option<Comparison>, Abstention> {
        if share == Some(false) && (words.any() || words.period_over_period.is_some()) {
            return Err(abstain("a share of a change between periods is not supported offline"));
        }
        let percent = share == Some(true);
        if let (Some(month), [], false) = (words.period_over_period, periods.as_slice(), words.versus) {
            // "the month-over-month change in orders": per month, against the month before.
            let kind = change_kind(words, percent)?;
            self.set_group(if month { GroupKey::Month } else { GroupKey::Year })?;
            return Ok(Some(Comparison::OverPrevious { kind }));
        }
        if periods.len() < 2 {
            if words.period_over_period.is_some() || words.any() {
                return Err(abstain(format!(
                    "'{}' compares two periods: name both (such as 'from 2021 to 2022')",
                    words.texts.join(" ")
                )));
            }
            if let [period] = periods.as_slice() {
                self.filters.push(Filter::Period(period.clone()));
            }
            return Ok(None);
        }
        if periods.len() > 2 || !words.any() {
            return Err(abstain(
                "more than one date range in one question is not supported offline; to compare two periods say \
                 'change from 2021 to 2022', 'how many more ... in 2022 than in 2021' or '... in 2022 compared to 2021'",
            ));
        }
        // A date named with one period ("hired in 2016 ...") is the date of both.
        let column = periods.iter().find_map(|p| p.column.clone());
        for period in &mut periods {
            period.column = period.column.clone().or_else(|| column.clone());
        }
        let second = periods.pop().expect("two periods");
        let first = periods.pop().expect("two periods");
        let (kind, base, current) = if words.versus && !words.change && !words.growth {
            (ComparisonKind::SideBySide, second, first)
        } else if let Some(more) = words.more_or_fewer {
            // "more in 2022 than in 2021": 2022 - 2021; "fewer in 2022 than in 2021": 2021 - 2022.
            let kind = if percent { ComparisonKind::PercentChange } else { ComparisonKind::Difference };
            if more { (kind, second, first) } else { (kind, first, second) }
        } else {
            (change_kind(words, percent)?, first, second)
        };
        Ok(Some(Comparison::Periods(Box::new(PeriodComparison { base, current, kind }))))
    }

    /// "the number of hires", "growth in hires": a date column named by its
    /// event ("hires" for `hire_date`) counts the rows of its table.
    pub(super) fn counted_event(&self, comparison: Option<&Comparison>) -> Option<EntityRef> {
        let filtered = self.filters.iter().filter_map(|f| match f {
            Filter::Period(period) => Some(period),
            _ => None,
        });
        let compared = comparison.into_iter().flat_map(|c| match c {
            Comparison::Periods(periods) => vec![&periods.base, &periods.current],
            Comparison::OverPrevious { .. } => Vec::new(),
        });
        let attribute = filtered.chain(compared).find_map(|p| p.column.as_ref())?;
        let tables: Vec<usize> = attribute.candidates.iter().map(|c| c.column.table).collect();
        let event_word = !attribute.text.split_whitespace().any(|w| {
            matches!(w.to_lowercase().as_str(), "date" | "dates" | "time" | "times" | "day" | "days" | "year" | "years")
        });
        match tables.as_slice() {
            [table, rest @ ..]
                if event_word && attribute.candidates.iter().all(|c| c.date) && rest.iter().all(|t| t == table) =>
            {
                Some(EntityRef { link: EntityLink { table: *table, role: None }, text: attribute.text.clone() })
            }
            _ => None,
        }
    }
}

impl Reader<'_> {
    /// "Which stores received more orders in 2022 than in 2021?": the rows
    /// listed, each keeping those whose related rows (named once more, after
    /// the comparison word) in one period outnumber those in the other.
    pub(super) fn take_period_counts(&mut self, comparison: Option<Comparison>) -> Result<(), Abstention> {
        let row_by_row = || {
            abstain(
                "comparing two periods row by row is supported offline only as 'which X had more Y in 2022 than in 2021'",
            )
        };
        let Some(Comparison::Periods(periods)) = comparison else { return Err(row_by_row()) };
        if periods.kind != ComparisonKind::Difference {
            return Err(row_by_row());
        }
        let listed = self.listed_at;
        let counted = (0..self.items.len()).find(|&j| self.is_entity(j) && Some(j) != listed).ok_or_else(row_by_row)?;
        let counted_ref = self.entity(counted)?;
        self.mark([counted]);
        let PeriodComparison { base, current, .. } = *periods;
        self.filters.push(Filter::PeriodCounts { counted: counted_ref, current, base });
        Ok(())
    }
}

/// A change as a difference, or as a percentage when the question says so;
/// "growth" alone could be either.
fn change_kind(words: &ComparisonWords, percent: bool) -> Result<ComparisonKind, Abstention> {
    if percent {
        Ok(ComparisonKind::PercentChange)
    } else if words.change || words.more_or_fewer.is_some() {
        Ok(ComparisonKind::Difference)
    } else {
        Err(abstain(format!(
            "'{}' could be a difference or a percentage: say 'change' or 'percentage growth'",
            words.texts.join(" ")
        )))
    }
}
