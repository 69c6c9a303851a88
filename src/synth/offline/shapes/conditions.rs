//! Conditions: numeric comparisons ("more than 20 tracks", "a total over
//! 20"), keys ("album 5"), quoted strings, sampled values ("customers in
//! Brazil", "Brazil or Chile"), flags and present columns. Dates are read in
//! `time`.
//!
//! Invariants: a value is attached to the table named next to it when that
//! table holds it.

use super::*;
use crate::synth::offline::linking::ValueLink;
use crate::synth::offline::vocabulary::{CONCEPT_WORDS, CompareOp, Concept, duration_unit};

impl Reader<'_> {
    /// "more than 20 tracks", "a total over 20", "longer than 300000 milliseconds".
    pub(super) fn read_comparisons(&mut self) -> Result<(), Abstention> {
        for i in 0..self.items.len() {
            let (op, concept) = match self.keyword(i) {
                Some(Keyword::Compare(op)) => (op, None),
                Some(Keyword::Comparative { concept, op }) => (op, Some(concept)),
                _ => continue,
            };
            let text = &self.items[i].text;
            if concept.is_none() && self.number(i + 1).is_none() && self.is_keyword(i + 1, Keyword::Avg) {
                // "earn more than the average salary": compared with the average over all rows.
                self.read_above_average(i, op)?;
                continue;
            }
            if concept.is_none()
                && self.is_entity(i + 1)
                && let Some(role) = self.single_link(i + 1).filter(|l| l.role.is_some())
                && let Some(m) = i.checked_sub(1).filter(|&m| self.spends(m) || self.is_measure(m))
            {
                // "earn more than their manager": the same measure of the role's row.
                let measure = if self.spends(m) {
                    Measure::Concept { concept: Concept::Money, text: self.items[m].text.clone(), qualifier: None }
                } else {
                    self.measure(m)
                };
                let text = format!("{} {}", self.items[i].text, self.items[i + 1].text);
                self.mark([m, i, i + 1]);
                self.filters.push(Filter::CompareWithRole { measure, op, role, text });
                continue;
            }
            let number = self.number(i + 1).ok_or_else(|| abstain(format!("expected a number after '{text}'")))?;
            let mut text = format!("{} {}", text, self.items[i + 1].text);
            self.mark([i, i + 1]);
            // "longer than 5 minutes": the number's unit, converted to the column's.
            let unit = self.items.get(i + 2).filter(|_| self.free(i + 2)).and_then(|u| duration_unit(&u.text));
            if unit.is_some() {
                text = format!("{text} {}", self.items[i + 2].text);
                self.mark([i + 2]);
            }
            if let Some(concept) = concept {
                let measure = if self.is_attribute(i + 2) {
                    self.mark([i + 2]);
                    self.measure(i + 2)
                } else {
                    Measure::Concept { concept, text: self.items[i].text.clone(), qualifier: None }
                };
                self.filters.push(Filter::Compare { measure, op, number, text, unit, across: Across::Unsaid });
            } else if let Some(m) = i.checked_sub(1).filter(|&m| self.spends(m)) {
                // "spent more than 40 (on invoices) (in total)": money compared, the table says whose.
                self.mark([m]);
                let mut measure =
                    Measure::Concept { concept: Concept::Money, text: self.items[m].text.clone(), qualifier: None };
                if let (Measure::Concept { qualifier, .. }, Some(link)) = (&mut measure, self.single_link(i + 2))
                    && self.is_entity(i + 2)
                {
                    *qualifier = Some(link);
                    self.mark([i + 2]);
                }
                let in_total =
                    (i + 2..self.items.len()).find(|&j| self.free(j)).filter(|&j| self.is_keyword(j, Keyword::Sum));
                self.mark(in_total);
                self.filters.push(Filter::Compare { measure, op, number, text, unit, across: Across::Unsaid });
            } else if self.items.get(i + 2).is_some_and(|t| matches!(t.text.to_lowercase().as_str(), "times" | "time"))
                && let Some(verb) = (0..i).rev().find(|&j| self.event_rows(j).is_some())
            {
                // "books loaned more than 3 times": a count of the verb's events.
                let entity = self.event_rows(verb).expect("an event table");
                self.mark([verb, i + 2]);
                self.filters.push(Filter::CountOf { entity, op, number });
            } else if self.is_entity(i + 2) && self.items[i + 2].touches_previous {
                // "more than 5 loans"; not "more than 40 in fines", which is an amount.
                let entity = self.entity(i + 2)?;
                self.mark([i + 2]);
                self.filters.push(Filter::CountOf { entity, op, number });
            } else if self.is_keyword(i + 2, Keyword::Distinct) && self.is_entity(i + 3) {
                // "more than 3 different books": rows are counted once each anyway.
                let entity = self.entity(i + 3)?;
                self.mark([i + 2, i + 3]);
                self.filters.push(Filter::CountOf { entity, op, number });
            } else if let Some(m) = (0..i).rev().find(|&j| self.free(j) && !self.is_keyword(j, Keyword::Have))
                && self.is_measure(m)
            {
                self.mark([m]);
                // "a fine amount above 40": one fine's; "an average grade above 80": their average.
                let qualified =
                    self.qualifiers[m].is_some() && m.checked_sub(1).is_some_and(|q| self.is_entity_kind(q));
                let before = m.checked_sub(1 + usize::from(qualified));
                let func = before.filter(|&h| self.free(h)).and_then(|h| self.keyword(h)).and_then(AggFunc::of);
                let across = match (func, before) {
                    (Some(func), Some(h)) => {
                        self.mark([h]);
                        Across::Func(func)
                    }
                    (_, Some(h))
                        if self.is_keyword(h, Keyword::Have)
                            && matches!(self.items[h].text.to_lowercase().rsplit(' ').next(), Some("a" | "an")) =>
                    {
                        Across::OneOf
                    }
                    _ => Across::Unsaid,
                };
                self.filters.push(Filter::Compare { measure: self.measure(m), op, number, text, unit, across });
            } else if self.is_measure(i + 2) {
                self.mark([i + 2]);
                self.filters.push(Filter::Compare {
                    measure: self.measure(i + 2),
                    op,
                    number,
                    text,
                    unit,
                    across: Across::Unsaid,
                });
            } else {
                return Err(abstain(format!("could not tell what '{text}' refers to")));
            }
        }
        for i in 1..self.items.len() {
            // "earn between 10000 and 15000", "a total between 5 and 10": both bounds, inclusive.
            if !self.is_keyword(i, Keyword::Between) || !self.is_keyword(i + 2, Keyword::And) {
                continue;
            }
            let (Some(low), Some(high)) = (self.number(i + 1), self.number(i + 3)) else { continue };
            let before = (0..i).rev().find(|&j| self.free(j) && !self.is_keyword(j, Keyword::Have));
            let measure = match before {
                Some(m) if self.spends(m) => {
                    Measure::Concept { concept: Concept::Money, text: self.items[m].text.clone(), qualifier: None }
                }
                Some(m)
                    if self.is_measure(m)
                        && !matches!(self.kind(m), Some(ItemKind::Attribute(c)) if c.iter().any(|c| c.date)) =>
                {
                    self.measure(m)
                }
                _ => continue,
            };
            self.mark(before.into_iter().chain(i..=i + 3));
            let text = format!("between {low} and {high}");
            self.filters.push(Filter::Compare {
                measure: measure.clone(),
                op: CompareOp::Ge,
                number: low,
                text: text.clone(),
                unit: None,
                across: Across::Unsaid,
            });
            self.filters.push(Filter::Compare {
                measure,
                op: CompareOp::Le,
                number: high,
                text,
                unit: None,
                across: Across::Unsaid,
            });
        }
        for i in 1..self.items.len() {
            let op = match self.keyword(i) {
                Some(Keyword::OrMore) => CompareOp::Ge,
                Some(Keyword::OrLess) => CompareOp::Le,
                _ => continue,
            };
            if let Some(number) = self.number(i - 1)
                && self.is_entity(i + 1)
            {
                let entity = self.entity(i + 1)?;
                self.mark([i - 1, i, i + 1]);
                self.filters.push(Filter::CountOf { entity, op, number });
            }
        }
        Ok(())
    }

    /// "album 5", "customer 10", "in store 1": a whole number right after a
    /// singular table name is the key of one of its rows.
    pub(super) fn read_keys(&mut self) -> Result<(), Abstention> {
        for i in 0..self.items.len().saturating_sub(1) {
            let Some(key) = self.number(i + 1).filter(|n| n.fract() == 0.0 && *n >= 0.0) else { continue };
            if !self.is_entity(i) || !self.items[i + 1].touches_previous || !is_singular(&self.items[i].text) {
                continue;
            }
            let entity = self.entity(i)?;
            self.mark([i + 1]);
            self.explained.push(i);
            self.anchors.push(i);
            self.filters.push(Filter::Key { entity, key: key as i64 });
        }
        Ok(())
    }

    /// "salary above the average", "earn more than the average salary": the
    /// measure after "average", or the one before the comparison. "... of
    /// their department" after it compares with the average of the row's
    /// department; "an average salary above the average" before it compares
    /// each listed row's average. Anything else after the average abstains.
    fn read_above_average(&mut self, at: usize, op: CompareOp) -> Result<(), Abstention> {
        let text = format!("{} {}", self.items[at].text, self.items[at + 1].text);
        let after = Some(at + 2).filter(|&j| self.is_measure(j));
        let before = at.checked_sub(1).filter(|&j| self.free(j) && (self.is_measure(j) || self.spends(j)));
        // "departments with an average salary above ...": the listed rows' own average.
        let per_listed_row = before.and_then(|b| b.checked_sub(1)).filter(|&a| self.is_keyword(a, Keyword::Avg));
        let measure = match (after, before) {
            (Some(j), _) => {
                self.mark([j]);
                self.mark(before.filter(|&b| self.spends(b)));
                self.measure(j)
            }
            (None, Some(j)) => {
                self.mark([j]);
                if self.spends(j) {
                    Measure::Concept { concept: Concept::Money, text: self.items[j].text.clone(), qualifier: None }
                } else {
                    self.measure(j)
                }
            }
            (None, None) => return Err(abstain(format!("could not tell what '{text}' compares"))),
        };
        let last = after.unwrap_or(at + 1);
        let rest: Vec<usize> = (last + 1..self.items.len()).filter(|&j| self.free(j)).collect();
        // "the average customer", "the average order value": the rows asked about, named again.
        let names_asked_rows = |reader: &Self, j: usize| {
            reader.is_entity(j)
                && reader
                    .single_link(j)
                    .is_some_and(|link| (0..at).any(|k| reader.is_entity(k) && reader.single_link(k) == Some(link)))
        };
        let scope = match (rest.as_slice(), per_listed_row) {
            ([], None) => AverageScope::AllRows,
            ([], Some(average)) => {
                self.mark([average]);
                AverageScope::PerListedRow
            }
            ([rows], None) if names_asked_rows(self, *rows) => {
                self.mark([*rows]);
                AverageScope::PerRowTotal
            }
            ([rows, money], None) if names_asked_rows(self, *rows) && self.spends(*money) => {
                self.mark([*rows, *money]);
                AverageScope::PerRowTotal
            }
            // "the average salary of their department".
            ([group], None) if self.is_entity(*group) => {
                let entity = self.entity(*group)?;
                self.mark([*group]);
                AverageScope::Within(entity)
            }
            _ => return Err(abstain(format!("'{text} ...' of a part of the rows is not supported offline"))),
        };
        self.mark([at, at + 1]);
        self.filters.push(Filter::AboveAverage { measure, op, text, scope });
        Ok(())
    }

    /// A money verb or noun right before a comparison ("spent more than", "paid over").
    fn spends(&self, i: usize) -> bool {
        let money_word =
            CONCEPT_WORDS.iter().any(|(w, c)| *c == Concept::Money && self.items[i].text.eq_ignore_ascii_case(w));
        self.free(i) && (matches!(self.kind(i), Some(ItemKind::Concept(Concept::Money))) || money_word)
    }

    /// Quoted strings: "artist named 'AC/DC'", "album title 'Let There Be Rock'".
    pub(super) fn read_text_filters(&mut self) -> Result<(), Abstention> {
        for i in 0..self.items.len() {
            let Some(ItemKind::Quoted(text)) = self.kind(i) else { continue };
            let target_at = (0..i)
                .rev()
                .find(|&j| !self.is_keyword(j, Keyword::Named) && !matches!(self.keyword(j), Some(Keyword::Have)));
            let target = match target_at {
                Some(j) if self.is_attribute(j) => {
                    self.mark([j]);
                    Subject::Attribute(self.attribute(j))
                }
                Some(j) if self.is_entity_kind(j) => {
                    self.explained.push(j);
                    self.anchors.push(j);
                    Subject::Entity(self.entity(j)?)
                }
                _ => return Err(abstain(format!("could not tell which column '{text}' is compared with"))),
            };
            self.mark([i]);
            self.filters.push(Filter::Text { target, text: text.clone() });
        }
        Ok(())
    }

    /// "discontinued products", "active customers": a yes/no column named on
    /// the table's noun is set.
    pub(super) fn read_flags(&mut self) {
        for i in 0..self.items.len() {
            let flag = matches!(self.kind(i), Some(ItemKind::Attribute(c)) if c.iter().all(|c| c.flag));
            if self.is_attribute(i) && flag && self.is_adjective(i) {
                self.mark([i]);
                self.filters.push(Filter::Flag { attribute: self.attribute(i), set: true });
            }
        }
    }

    /// "employees who earn a commission", "customers with an email": a
    /// column after "with a" / "has a" that nothing else uses holds a value.
    pub(super) fn read_presence(&mut self) {
        for i in 0..self.items.len() {
            let indefinite =
                self.items[i].text.to_lowercase().ends_with(" a") || self.items[i].text.to_lowercase().ends_with(" an");
            if !self.is_keyword(i, Keyword::Have) || !indefinite || !self.is_attribute(i + 1) {
                continue;
            }
            let condition_follows = matches!(
                self.kind(i + 2),
                Some(
                    ItemKind::Number(_)
                        | ItemKind::Value(_)
                        | ItemKind::Quoted(_)
                        | ItemKind::Keyword(Keyword::Compare(_) | Keyword::Between)
                )
            );
            if !condition_follows {
                self.mark([i, i + 1]);
                self.filters.push(Filter::Present { attribute: self.attribute(i + 1) });
            }
        }
    }

    /// Sampled values ("customers in Brazil", "rock tracks", "Brazil or Chile").
    pub(super) fn read_value_filters(&mut self) -> Result<(), Abstention> {
        let mut i = 0;
        while i < self.items.len() {
            if !self.is_value(i) {
                i += 1;
                continue;
            }
            let mut alternatives = vec![self.value_links(i)];
            let mut texts = vec![self.items[i].text.clone()];
            let mut last = i;
            let mut either = false;
            while let Some(joiner @ (Keyword::Or | Keyword::And)) = self.keyword(last + 1) {
                if !self.is_value(last + 2) {
                    break;
                }
                either |= joiner == Keyword::Or;
                self.mark([last + 1]);
                last += 2;
                alternatives.push(self.value_links(last));
                texts.push(self.items[last].text.clone());
            }
            self.mark(i..=last);
            // "the albums by Aerosmith": who made them, a condition, not a grouping.
            self.mark(i.checked_sub(1).filter(|&b| self.is_keyword(b, Keyword::By)));
            self.consume_naming_attribute(i, last, &mut alternatives);
            // "Steven King": a first and a last name read as two values of one row.
            let partner = Some(last + 1).filter(|&j| {
                self.is_value(j)
                    && self.items[j].touches_previous
                    && one_table(&self.value_links(j)) == one_table(&alternatives[0])
            });
            self.mark(partner);
            let end = partner.unwrap_or(last);
            // "Bruce Miller's manager": the value is whose manager, not the manager.
            let possessive = self.items[end].text.ends_with("'s") || self.items[end].text.ends_with("’s");
            let preposition = |j: usize| matches!(self.kind(j), Some(ItemKind::Keyword(Keyword::From | Keyword::Have)));
            let before = (0..i).rev().find(|&j| !preposition(j)).unwrap_or(usize::MAX);
            // "Who does Nancy Edwards report to?": a role named after the value is
            // the value's, not the value itself ("employees who report to Andrew Adams").
            let after = Some(end + 1).filter(|&j| !possessive && self.single_link(j).is_some_and(|l| l.role.is_none()));
            let neighbours: Vec<(usize, EntityLink)> = [after.unwrap_or(usize::MAX), before]
                .into_iter()
                .filter_map(|j| self.single_link(j).map(|link| (j, link)))
                .collect();
            let holds_value = |link: &EntityLink| alternatives[0].iter().any(|v| v.column.table == link.table);
            let chosen = neighbours.iter().find(|(_, link)| holds_value(link)).or(neighbours.first()).copied();
            let anchor_at = chosen.map(|(j, _)| j);
            let anchor = chosen.map(|(_, link)| link);
            if let Some(j) = anchor_at {
                self.explained.push(j);
                self.anchors.push(j);
            }
            let negated = self.negated_values.contains(&i);
            self.filters.push(Filter::Values { alternatives, texts, either, anchor, negated });
            if let Some(j) = partner {
                let (alternatives, texts) = (vec![self.value_links(j)], vec![self.items[j].text.clone()]);
                self.filters.push(Filter::Values { alternatives, texts, either: false, anchor, negated });
            }
            last = end;
            i = last + 1;
        }
        Ok(())
    }

    /// "doctors whose specialty is 'Pediatrician'", "employees with the title
    /// 'IT Staff'", "diagnoses in the 'Respiratory' category": a column named
    /// right before (or right after) a value it holds says which column the
    /// value is compared with. It is part of the filter, not a column to show,
    /// and it settles a value found in several columns.
    fn consume_naming_attribute(&mut self, first: usize, last: usize, alternatives: &mut [Vec<ValueLink>]) {
        let before = (0..first).rev().find(|&j| !matches!(self.keyword(j), Some(Keyword::Named | Keyword::Have)));
        for j in before.into_iter().chain([last + 1]) {
            let Some(ItemKind::Attribute(candidates) | ItemKind::KeywordOrAttribute(_, candidates)) = self.kind(j)
            else {
                continue;
            };
            if !self.free(j) {
                continue;
            }
            let named = |link: &ValueLink| candidates.iter().any(|c| c.column == link.column);
            if !alternatives.iter().all(|links| links.iter().any(named)) {
                continue;
            }
            for links in alternatives.iter_mut() {
                links.retain(named);
            }
            self.mark([j]);
            return;
        }
    }

    pub(super) fn value_links(&self, i: usize) -> Vec<ValueLink> {
        match &self.items[i].kind {
            ItemKind::Value(links) => links.clone(),
            _ => Vec::new(),
        }
    }
}

/// The one table all of a value's links are in.
fn one_table(links: &[ValueLink]) -> Option<usize> {
    let table = links.first()?.column.table;
    links.iter().all(|l| l.column.table == table).then_some(table)
}
