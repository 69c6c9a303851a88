//! Intent rules: counts ("how many X"), aggregates ("total revenue",
//! "average invoice total"), distinct values ("which countries have
//! customers"), grouping ("per country", "by genre", "each year") and ordering
//! ("sorted by", "alphabetically").
//!
//! Invariants: at most one group key; "average number of X per Y" is the
//! average of the counts per group, never a plain count.

use super::*;
use crate::synth::offline::vocabulary::Concept;

impl Reader<'_> {
    /// Counts, aggregates and explicit list or distinct requests.
    pub(super) fn read_intent(&mut self) -> Result<Option<Select>, Abstention> {
        for i in 0..self.items.len() {
            let next_free = (i + 1..self.items.len()).find(|&j| self.free(j));
            let measure_follows = next_free
                .and_then(|j| self.next_where(j, |m| self.is_measure(m), |m| self.is_entity(m) || self.is_value(m)))
                .is_some();
            let Some(keyword) = self.keyword(i).or(match self.kind(i) {
                Some(ItemKind::KeywordOrAttribute(k, _)) if self.free(i) && measure_follows => Some(*k),
                _ => None,
            }) else {
                continue;
            };
            match keyword {
                Keyword::Count => {
                    let target = self.next_where(
                        i + 1,
                        |j| self.is_entity(j) || self.is_attribute(j),
                        |j| self.is_value(j) || self.is_unknown(j) || self.is_keyword(j, Keyword::Distinct),
                    );
                    let target = match (target, self.event.clone()) {
                        (Some(target), _) => target,
                        (None, Some(event)) => {
                            // "the number of hires": the date was read as the period's.
                            self.mark([i]);
                            return Ok(Some(Select::CountRows(event)));
                        }
                        (None, None) => {
                            return Err(abstain(format!(
                                "could not tell what to count after '{}'",
                                self.items[i].text
                            )));
                        }
                    };
                    self.mark([i, target]);
                    if let Some(distinct) = (i + 1..target).find(|&j| self.is_keyword(j, Keyword::Distinct)) {
                        self.mark([distinct]);
                    }
                    return Ok(Some(if self.is_entity_kind(target) {
                        Select::CountRows(self.entity(target)?)
                    } else {
                        Select::CountValues(self.attribute(target))
                    }));
                }
                Keyword::Sum | Keyword::Avg | Keyword::Min | Keyword::Max | Keyword::HowMuch => {
                    return self.read_aggregate(i, keyword).map(Some);
                }
                Keyword::Distinct => {
                    if let Some(attribute) = self.next_where(i + 1, |j| self.is_attribute(j), |_| false) {
                        self.mark([i, attribute]);
                        return Ok(Some(Select::Distinct(self.attribute(attribute))));
                    }
                }
                Keyword::Which => {
                    let first = (i + 1..self.items.len()).find(|&j| self.free(j) && !self.is_value(j));
                    if let Some(first) = first
                        && self.is_attribute(first)
                        && !self.is_adjective(first)
                    {
                        self.mark([i, first]);
                        // "Which cities do customers live in?" asks for the set of
                        // cities: the table next to the column only says whose.
                        let mut attribute = self.attribute(first);
                        if let Some(owner) = attribute.qualifier {
                            let own: Vec<_> = attribute
                                .candidates
                                .iter()
                                .filter(|c| c.column.table == owner.table)
                                .cloned()
                                .collect();
                            if !own.is_empty() {
                                attribute.candidates = own;
                                attribute.qualifier = None;
                            }
                        }
                        return Ok(Some(Select::Distinct(attribute)));
                    }
                }
                _ => {}
            }
        }
        if let Some(money) =
            (0..self.items.len()).find(|&j| self.free(j) && self.kind(j) == Some(&ItemKind::Concept(Concept::Money)))
        {
            self.mark([money]);
            return Ok(Some(Select::Aggregate { func: AggFunc::Sum, measure: self.measure(money) }));
        }
        Ok(None)
    }

    /// "total revenue", "average invoice total", "how much did customers in Brazil spend".
    pub(super) fn read_aggregate(&mut self, at: usize, keyword: Keyword) -> Result<Select, Abstention> {
        let func = AggFunc::of(keyword).expect("aggregate keywords have a function");
        let text = self.items[at].text.clone();
        if self.is_keyword(at + 1, Keyword::Count) {
            // "average number of refills": a column that holds a count is the measure
            // (the resolver insists on a number); "average number of tracks" counts rows.
            if self.is_attribute(at + 2) {
                self.mark([at, at + 1, at + 2]);
                return Ok(Select::Aggregate { func, measure: self.measure(at + 2) });
            }
            if self.is_entity(at + 2) {
                // "average number of tracks per album": the function of the counts per group.
                let counted = self.entity(at + 2)?;
                self.mark([at, at + 1, at + 2]);
                return Ok(Select::CountAggregate { func, counted });
            }
            return Err(abstain(format!("could not tell what '{text} number of ...' counts")));
        }
        let measure_at = self.next_where(at + 1, |j| self.is_measure(j), |j| self.is_entity(j) || self.is_value(j));
        if let Some(m) = measure_at {
            self.mark([at, m]);
            return Ok(Select::Aggregate { func, measure: self.measure(m) });
        }
        if func == AggFunc::Sum
            && let Some(measure) = self.take_total_of_rows(at)?
        {
            return Ok(Select::Aggregate { func, measure });
        }
        Err(abstain(format!("could not tell what '{text}' applies to")))
    }

    /// "per country", "by genre", "for each playlist", "in each country".
    pub(super) fn read_group(&mut self) -> Result<(), Abstention> {
        for i in 0..self.items.len() {
            if !matches!(self.keyword(i), Some(Keyword::Per | Keyword::By)) {
                continue;
            }
            let Some(target) = (i + 1..self.items.len()).find(|&j| self.free(j)) else { continue };
            let qualified = (target + 1..self.items.len()).find(|&j| self.free(j)).filter(|&j| {
                self.is_measure(j) && self.qualifiers[j].is_some() && self.qualifiers[j] == self.single_link(target)
            });
            let key = if let Some(attribute) = qualified {
                // "by member city": the table only qualifies the column.
                self.mark([target]);
                self.mark([attribute]);
                GroupKey::Attribute(self.attribute(attribute))
            } else if self.anchors.contains(&target) {
                // "albums by the artist 'AC/DC'": authorship, already a filter.
                self.mark([i]);
                continue;
            } else if self.is_entity(target) {
                GroupKey::Entity(self.entity(target)?)
            } else if self.is_attribute(target) || matches!(self.kind(target), Some(ItemKind::KeywordOrAttribute(..))) {
                GroupKey::Attribute(self.attribute(target))
            } else {
                continue;
            };
            self.mark([i, target]);
            self.set_group(key)?;
        }
        Ok(())
    }

    pub(super) fn set_group(&mut self, key: GroupKey) -> Result<(), Abstention> {
        if self.group.is_some() {
            return Err(abstain("grouping by more than one thing is not supported offline"));
        }
        self.group = Some(key);
        Ok(())
    }

    /// "sorted by total descending", "alphabetically".
    pub(super) fn read_order(&mut self) -> Result<(), Abstention> {
        let descending = (0..self.items.len()).find_map(|j| match self.keyword(j) {
            Some(Keyword::Descending) => Some((j, true)),
            Some(Keyword::Ascending) => Some((j, false)),
            _ => None,
        });
        for i in 0..self.items.len() {
            match self.keyword(i) {
                Some(Keyword::OrderBy) if self.is_measure(i + 1) => {
                    self.mark([i, i + 1]);
                    let measure = self.measure(i + 1);
                    self.order = Some(OrderRequest::ByMeasure { measure, descending: descending.is_some_and(|d| d.1) });
                }
                Some(Keyword::OrderBy) => {
                    return Err(abstain(format!("could not tell what to sort by after '{}'", self.items[i].text)));
                }
                Some(Keyword::Alphabetically) => {
                    self.mark([i]);
                    self.order = Some(OrderRequest::Alphabetical { descending: descending.is_some_and(|d| d.1) });
                }
                _ => {}
            }
        }
        if let Some((j, _)) = descending
            && self.order.is_some()
        {
            self.mark([j]);
        }
        Ok(())
    }
}
