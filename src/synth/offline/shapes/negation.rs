//! Negation and absence: "customers who never bought", "artists without
//! albums", "products not in any order", "staff without a supervisor"
//! (no related row), "loans not yet returned" (an empty date column), and
//! "customers not in Brazil" (none of the values).
//!
//! Invariants: a negation is read only when what it negates is the next thing
//! named; anything else negated ("not more than", "not the top") stays
//! unanswerable. A condition after the negated thing ("never bought a track
//! in 2020") would belong inside the absence, so it abstains rather than
//! filtering the outer rows.

use super::*;

impl Reader<'_> {
    /// Reads every negation keyword, or abstains naming it.
    pub(super) fn read_negations(&mut self) -> Result<(), Abstention> {
        for at in 0..self.items.len() {
            if !self.is_keyword(at, Keyword::Negation) {
                continue;
            }
            let text = self.items[at].text.clone();
            let unsupported = || abstain(format!("could not tell what '{text}' negates"));
            let target = (at + 1..self.items.len())
                .find(|&j| self.free(j) && !self.is_keyword(j, Keyword::Have) && !self.is_keyword(j, Keyword::Negation))
                .ok_or_else(unsupported)?;
            let after = |reader: &Self, from: usize| {
                (from..reader.items.len()).any(|j| {
                    reader.free(j)
                        && matches!(
                            reader.kind(j),
                            Some(
                                ItemKind::Value(_)
                                    | ItemKind::Quoted(_)
                                    | ItemKind::Number(_)
                                    | ItemKind::Month(_)
                                    | ItemKind::Quarter(_)
                                    | ItemKind::Keyword(Keyword::Compare(_) | Keyword::Comparative { .. })
                            )
                        )
                })
            };
            match self.kind(target) {
                Some(ItemKind::Value(_)) if self.items[target].also_action => {
                    // "never had anything shipped": no shipment, or not the status SHIPPED?
                    return Err(abstain(format!(
                        "ambiguous: '{text} {}' could negate a value or the event the verb names",
                        self.items[target].text
                    )));
                }
                Some(ItemKind::Value(_)) => {
                    self.mark([at]);
                    self.negated_values.push(target);
                }
                Some(ItemKind::Entity(_)) => {
                    if after(self, target + 1) {
                        return Err(conditions_inside(&text));
                    }
                    // "not enrolled in any course": the participle's rows are what is absent,
                    // the table after it only says what they are of; after a noun
                    // ("without loans of books") it would be a condition inside the absence.
                    let object = self.negated_object(target);
                    if object.is_some() && !self.is_participle(target) {
                        return Err(conditions_inside(&text));
                    }
                    let entity = self.entity(target)?;
                    self.mark([at, target]);
                    self.mark(object);
                    let text = format!("{text} {}", self.items[target].text);
                    self.filters.push(Filter::Absent { candidates: vec![entity.link], text });
                }
                Some(ItemKind::Action(links)) if !links.is_empty() => {
                    // "never borrowed a book": the verb's event; a table named after it only says what.
                    let links = links.clone();
                    let object = self.negated_object(target);
                    if after(self, target + 1) {
                        return Err(conditions_inside(&text));
                    }
                    let text = format!("{text} {}", self.items[target].text);
                    self.mark([at, target]);
                    self.mark(object);
                    self.filters.push(Filter::Absent { candidates: links, text });
                }
                Some(ItemKind::Attribute(candidates)) if candidates.iter().all(|c| c.flag) => {
                    // "products that are not discontinued", "inactive customers": the flag is not set.
                    let attribute = self.attribute(target);
                    self.mark([at, target]);
                    self.filters.push(Filter::Flag { attribute, set: false });
                }
                Some(ItemKind::Attribute(candidates)) if candidates.iter().any(|c| c.date) => {
                    // "not yet returned", "never shipped": the date of the event is empty;
                    // "unpaid fines": of the fines, whatever rows are asked about.
                    let mut attribute = self.attribute(target);
                    attribute.candidates.retain(|c| c.date);
                    self.mark([at, target]);
                    let adjective = text.to_lowercase().starts_with("un");
                    self.filters.push(Filter::Missing { attribute, adjective });
                }
                Some(ItemKind::Attribute(_)) if matches!(text.to_lowercase().as_str(), "no" | "without") => {
                    // "stores with no website", "customers without an email": the column is empty.
                    let attribute = self.attribute(target);
                    self.mark([at, target]);
                    self.filters.push(Filter::Missing { attribute, adjective: false });
                }
                _ => return Err(unsupported()),
            }
        }
        Ok(())
    }
}

impl Reader<'_> {
    /// The table named right after a negated verb ("never borrowed a book",
    /// "not loaned to any member"), which only says what the absent rows are of.
    fn negated_object(&self, target: usize) -> Option<usize> {
        (target + 1..self.items.len())
            .filter(|&j| self.free(j))
            .find(|&j| !matches!(self.keyword(j), Some(Keyword::To | Keyword::From)))
            .filter(|&j| self.is_entity(j))
    }
}

fn conditions_inside(text: &str) -> Abstention {
    abstain(format!("conditions on what is negated ('{text} ...') are not supported offline"))
}
