//! Ranking rules: "top N X by M", "bottom N", "which X has the most Y",
//! "which N customers spent the most", "the N longest X" and
//! "the earliest invoice date" (a superlative on a column is a MIN/MAX).
//!
//! Invariants: a ranking needs both a subject (rows or values to rank) and a
//! key (a count or a measure); without either the question abstains.

use super::*;
use crate::synth::offline::vocabulary::Concept;

impl Reader<'_> {
    /// Top-N and superlatives. Returns the ranked select when the question ranks.
    pub(super) fn read_ranking(&mut self) -> Result<Option<Select>, Abstention> {
        for i in 0..self.items.len() {
            match self.keyword(i) {
                Some(Keyword::Top { descending }) => return self.read_top(i, descending).map(Some),
                Some(Keyword::MostCommon { descending }) => {
                    // "the most common genre (among tracks)": counted rows, named or implied.
                    self.mark([i]);
                    let limit = i.checked_sub(1).and_then(|before| self.take_limit(before));
                    let subject = self.take_subject(i + 1)?;
                    let key = match self.next_where(i + 1, |j| self.is_entity(j), |_| true) {
                        Some(counted) => {
                            self.mark([counted]);
                            RankKey::Count(self.entity(counted)?)
                        }
                        None => RankKey::Occurrences,
                    };
                    return Ok(Some(Select::Ranked { subject, key, descending, limit }));
                }
                Some(Keyword::Superlative { concept, descending }) => {
                    let limit = i.checked_sub(1).and_then(|before| self.take_limit(before));
                    return self.read_superlative(i, concept, descending, limit).map(Some);
                }
                Some(keyword @ (Keyword::Max | Keyword::Min)) => {
                    let limit = i.checked_sub(1).and_then(|before| self.number(before).map(|_| before));
                    if let Some(select) = self.read_most_verbed(i, limit)? {
                        return Ok(Some(select));
                    }
                    if let Some(select) = self.read_most(i)? {
                        self.take_trailing_figure_request();
                        return Ok(Some(select));
                    }
                    // "our biggest customer by total spend": a top-1 by what follows "by".
                    let entity_next =
                        (i + 1..self.items.len()).find(|&j| self.free(j)).is_some_and(|j| self.is_entity(j));
                    let by_later = (i + 1..self.items.len()).any(|j| self.is_keyword(j, Keyword::By));
                    if entity_next && by_later {
                        return self.read_top(i, keyword == Keyword::Max).map(Some);
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// "top 5 artists by number of tracks", "bottom 3 genres by revenue".
    pub(super) fn read_top(&mut self, top: usize, descending: bool) -> Result<Select, Abstention> {
        self.mark([top]);
        // "top 5 customers", "the 5 best-selling tracks".
        let limit = self.take_limit(top + 1).or_else(|| top.checked_sub(1).and_then(|before| self.take_limit(before)));
        let after = (top + 1..self.items.len()).find(|&j| self.free(j));
        if let Some(at) = after
            && let Some(Keyword::Superlative { concept, descending }) = self.keyword(at)
        {
            return self.read_superlative(at, concept, descending, limit);
        }
        // "the top 10 most loaned books": ranked by how often the verb happened.
        if let Some(at) = after
            && matches!(self.keyword(at), Some(Keyword::Max | Keyword::Min))
            && let Some(Select::Ranked { subject, key, descending, .. }) = self.read_most_verbed(at, None)?
        {
            return Ok(Select::Ranked { subject, key, descending, limit });
        }
        let subject = self.take_subject(top + 1)?;
        let by = self.next_where(
            top + 1,
            |j| matches!(self.keyword(j), Some(Keyword::By | Keyword::Max | Keyword::Min)),
            |_| true,
        );
        let by =
            by.ok_or_else(|| abstain(format!("'{}' needs a measure to rank by (say 'by ...')", self.items[top].text)))?;
        let descending = match self.keyword(by) {
            Some(Keyword::Max) => true,
            Some(Keyword::Min) => false,
            _ => descending,
        };
        self.mark([by]);
        let key = self
            .take_rank_key(by + 1)?
            .ok_or_else(|| abstain(format!("could not tell what to rank by after '{}'", self.items[by].text)))?;
        Ok(Select::Ranked { subject, key, descending, limit })
    }

    /// "the 10 longest tracks", "which track is the most expensive".
    pub(super) fn read_superlative(
        &mut self,
        at: usize,
        concept: Concept,
        descending: bool,
        mut limit: Option<u64>,
    ) -> Result<Select, Abstention> {
        self.mark([at]);
        let text = self.items[at].text.clone();
        let next = (at + 1..self.items.len()).find(|&j| self.free(j));
        if let Some(attribute) = next.filter(|&j| self.is_attribute(j)) {
            // "the earliest invoice date": the smallest value, not a ranking of rows.
            self.mark([attribute]);
            let func = if descending { AggFunc::Max } else { AggFunc::Min };
            return Ok(Select::Aggregate { func, measure: self.measure(attribute) });
        }
        let subject = match self.next_where(at + 1, |j| self.is_entity(j), |j| self.is_value(j)) {
            Some(_) => self.take_subject(at + 1)?,
            None => {
                let before = (0..at).find(|&j| self.is_entity(j) || self.is_attribute(j));
                let before = before.ok_or_else(|| abstain(format!("could not tell what is '{text}'")))?;
                limit = limit.or_else(|| self.take_limit(before.saturating_sub(1)));
                self.take_subject(before)?
            }
        };
        let measure = match self.next_where(at + 1, |j| self.is_attribute(j), |_| false) {
            Some(unit) => {
                self.mark([unit]);
                self.measure(unit)
            }
            None => Measure::Concept { concept, text, qualifier: None },
        };
        Ok(Select::Ranked { subject, key: RankKey::Measure(None, measure), descending, limit })
    }

    /// "the most loaned book", "the 5 least rented films": "most" or "least",
    /// a verb that one table's rows record, then what is ranked; the rows
    /// ranked by how many of those events they have. `limit_at` is where a
    /// number before the keyword stands ("the 5 most ...").
    fn read_most_verbed(&mut self, at: usize, limit_at: Option<usize>) -> Result<Option<Select>, Abstention> {
        let Some(verb) = (at + 1..self.items.len()).find(|&j| self.free(j)) else { return Ok(None) };
        let Some(key) = self.event_count(verb) else { return Ok(None) };
        let subject_next =
            self.next_where(verb + 1, |j| self.is_entity(j) || self.is_attribute(j), |j| self.is_value(j));
        if subject_next.is_none() {
            return Ok(None);
        }
        let descending = self.keyword(at) == Some(Keyword::Max);
        self.mark([at, verb]);
        let limit = limit_at.and_then(|before| self.take_limit(before));
        let subject = self.take_subject(verb + 1)?;
        Ok(Some(Select::Ranked { subject, key, descending, limit }))
    }

    /// A count of the rows of the one table that records what the verb at
    /// `j` says happened ("loaned" -> `loan`), if `j` is such a verb.
    fn event_count(&self, j: usize) -> Option<RankKey> {
        self.event_rows(j).map(RankKey::Count)
    }

    /// "which employee has the most customers", "which 5 customers spent the
    /// most", "the invoice with the highest total". Not a ranking when no
    /// entity is asked for before the keyword ("what is the highest total").
    pub(super) fn read_most(&mut self, at: usize) -> Result<Option<Select>, Abstention> {
        let descending = self.keyword(at) == Some(Keyword::Max);
        // "which physical store": a column on the table's noun is not what is ranked.
        let subject = |j: usize| {
            self.is_entity(j) && !self.is_participle(j)
                || self.is_attribute(j) && !self.is_adjective(j)
                || self.is_period(j)
        };
        let Some(subject_at) = (0..at).find(|&j| subject(j)) else {
            return Ok(None);
        };
        let asks_for_rows = (0..subject_at)
            .any(|j| matches!(self.keyword(j), Some(Keyword::Which | Keyword::List)) || self.number(j).is_some())
            || subject_at == 0;
        if !asks_for_rows || self.is_measure(subject_at) && !self.is_attribute_subject(subject_at, at) {
            return Ok(None);
        }
        self.mark([at]);
        let limit = subject_at.checked_sub(1).and_then(|before| self.take_limit(before));
        let subject = self.take_subject(subject_at)?;
        // "which books were loaned the most": how often the verb happened to each.
        let verb = (subject_at + 1..at).find_map(|j| self.event_count(j).map(|key| (j, key)));
        let key = match (self.take_rank_key(at + 1)?, verb) {
            (Some(key), _) => key,
            (None, Some((j, key))) => {
                self.mark([j]);
                key
            }
            (None, None) => {
                let measure = (subject_at..at)
                    .find(|&j| self.is_measure(j))
                    .ok_or_else(|| abstain(format!("could not tell what '{}' measures", self.items[at].text)))?;
                self.mark([measure]);
                RankKey::Measure(None, self.measure(measure))
            }
        };
        Ok(Some(Select::Ranked { subject, key, descending, limit }))
    }

    /// An attribute before "most" is the ranked subject only when something
    /// to count or measure follows ("which country has the most customers")
    /// or a verb whose events are counted comes between.
    pub(super) fn is_attribute_subject(&self, subject_at: usize, at: usize) -> bool {
        let counted_after = (at + 1..self.items.len()).any(|j| self.is_entity(j) || self.is_measure(j));
        // "which genre is loaned most": what the verb records is counted.
        let verb_between = (subject_at + 1..at).any(|j| self.event_count(j).is_some());
        self.is_attribute(subject_at) && (counted_after || verb_between)
    }

    /// A positive whole number at `i` (the N of top-N), used up.
    pub(super) fn take_limit(&mut self, i: usize) -> Option<u64> {
        let n = self.number(i)?;
        let whole = n.fract() == 0.0 && (1.0..=10_000.0).contains(&n);
        whole.then(|| {
            self.mark([i]);
            n as u64
        })
    }

    /// "year" or "month" asked about ("which month", "the top 3 years").
    fn is_period(&self, i: usize) -> bool {
        matches!(self.keyword(i), Some(Keyword::Year | Keyword::Month))
    }

    /// The first entity, attribute or period at or after `from` (values may come first: "rock tracks").
    pub(super) fn take_subject(&mut self, from: usize) -> Result<Subject, Abstention> {
        let at = self
            .next_where(
                from,
                |j| self.is_entity(j) || self.is_attribute(j) || self.is_period(j),
                // "the best-selling product": the verb stays for the resolver to check.
                |j| self.is_value(j) || self.is_unknown(j) || matches!(self.kind(j), Some(ItemKind::Action(_))),
            )
            .ok_or_else(|| abstain("could not tell what to rank"))?;
        if self.is_period(at) {
            let month = self.keyword(at) == Some(Keyword::Month);
            self.mark([at]);
            // "in which year did we hire the most": the date named is the one bucketed.
            self.take_bucket_date();
            return Ok(Subject::Period { month, text: self.items[at].text.clone() });
        }
        self.mark([at]);
        if self.is_entity_kind(at) {
            Ok(Subject::Entity(self.entity(at)?))
        } else {
            Ok(Subject::Attribute(self.attribute(at)))
        }
    }

    /// "..., and how many?": after a ranking, asks to see the figure ranked by, which a ranking shows.
    pub(super) fn take_trailing_figure_request(&mut self) {
        let free: Vec<usize> = (0..self.items.len()).filter(|&j| self.free(j)).collect();
        let trailing = match free.as_slice() {
            [.., and, count] if self.is_keyword(*and, Keyword::And) => vec![*and, *count],
            [.., count] => vec![*count],
            [] => return,
        };
        let last = *trailing.last().expect("one item");
        if matches!(self.keyword(last), Some(Keyword::Count | Keyword::HowMuch)) && last + 1 == self.items.len() {
            self.mark(trailing);
        }
    }

    /// What follows "by" or "the most": a count of an entity or a measure.
    pub(super) fn take_rank_key(&mut self, from: usize) -> Result<Option<RankKey>, Abstention> {
        let Some(at) = (from..self.items.len()).find(|&j| self.free(j)) else { return Ok(None) };
        let func = match &self.items[at].kind {
            ItemKind::Keyword(Keyword::Count) => {
                let Some(entity) = self.next_where(at + 1, |j| self.is_entity(j), |_| false) else {
                    return Ok(None);
                };
                let counted = self.entity(entity)?;
                self.mark([at, entity]);
                return Ok(Some(RankKey::Count(counted)));
            }
            ItemKind::Keyword(k) => AggFunc::of(*k),
            ItemKind::KeywordOrAttribute(k, _) if self.is_measure(at + 1) => AggFunc::of(*k),
            ItemKind::Entity(_) => {
                let counted = self.entity(at)?;
                self.mark([at]);
                return Ok(Some(RankKey::Count(counted)));
            }
            _ => None,
        };
        let measure_at = match func {
            Some(_) => self.next_where(at + 1, |j| self.is_measure(j), |j| self.is_entity(j)),
            None => Some(at).filter(|&j| self.is_measure(j)),
        };
        let Some(measure_at) = measure_at else {
            // "by total fines": the money of the rows named, as "total fines per country" reads.
            if func != Some(AggFunc::Sum) {
                return Ok(None);
            }
            return Ok(self.take_total_of_rows(at)?.map(|measure| RankKey::Measure(func, measure)));
        };
        self.mark([at, measure_at]);
        Ok(Some(RankKey::Measure(func, self.measure(measure_at))))
    }
}
