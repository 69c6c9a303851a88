//! Question shapes: reads the linked [`Item`]s of a question into a [`Frame`]
//! — what is selected (a count, rows, distinct values, an aggregate, a
//! ranking), how it is grouped, filtered and ordered — without yet choosing
//! columns or joins (see `resolve`).
//!
//! Shapes recognised: "how many X" / "number of X"; "list/show X" and bare
//! "X in V"; "which Ys have X" and "distinct Y" (distinct values); "total /
//! average / min / max M"; "per / by / for each / in each G" (one group key,
//! including year and month); "top N X by M", "which X has the most Y", "the N
//! longest X", "X with the highest M" (rankings); filters on sampled or quoted
//! values, numeric comparisons, years, months and year ranges; "how many X have
//! more than N Y"; "sorted by M", "alphabetically".
//!
//! The reading is split by concern: [`frame`] holds the result types,
//! `ranking` the top-N and superlative rules, `conditions` the filters
//! (comparisons, dates, values), `intent` counts, aggregates, distinct values,
//! grouping and ordering; this file holds the reader and the leftover check.
//!
//! Invariants: every item is used by exactly one rule or reported; a write
//! request, a negation no rule reads or a relative date other than those
//! counted from today ("yesterday", "last month", "the last 30 days": the
//! database computes them when the query runs) makes the question
//! unanswerable here (an error, not a doubt), because ignoring it would give
//! a wrong answer.

mod comparison;
mod conditions;
mod frame;
mod intent;
mod negation;
mod ranking;
mod time;

pub(crate) use frame::*;

use super::confidence::{Confidence, cost};
use super::linking::{EntityLink, Item, ItemKind};
use super::tokens::is_singular;
use super::vocabulary::{Concept, Keyword};
use crate::synth::Abstention;
fn abstain(reason: impl Into<String>) -> Abstention {
    Abstention { reason: reason.into() }
}

/// Reads a question's items into a frame, recording doubts in `confidence`.
pub(crate) fn interpret(items: &[Item], confidence: &mut Confidence) -> Result<Frame, Abstention> {
    refuse_unanswerable(items)?;
    let mut reader = Reader::new(items);
    let share = reader.take_share();
    reader.merge_qualifiers();
    reader.read_negations()?;
    reader.read_comparisons()?;
    let ranked = reader.read_ranking()?;
    reader.read_keys()?;
    let comparison_words = reader.take_comparison_words();
    let periods = reader.read_time(comparison_words.any())?;
    let comparison = reader.finish_comparison(&comparison_words, periods, share)?;
    let share = if comparison.is_some() { None } else { share };
    reader.event = reader.counted_event(comparison.as_ref());
    reader.read_text_filters()?;
    reader.read_value_filters()?;
    reader.read_presence();
    reader.read_flags();
    reader.read_order()?;
    let mut select = match ranked {
        Some(select) => Some(select),
        None => reader.read_intent()?,
    };
    reader.read_group()?;
    if select.is_none() {
        select = reader.default_select()?;
    }
    if select.is_none() && comparison.is_some() {
        // "the percentage growth in hires from 2014 to 2015": the hires counted.
        select = reader.event.clone().map(Select::CountRows);
    }
    let select = select.ok_or_else(|| abstain("could not tell what the question asks for"))?;
    let select = reader.attach_list_attributes(select);
    reader.take_redundant_total(&select);
    let (select, units) = reader.take_units(select);
    let mut comparison = comparison;
    let select = match (share, &comparison) {
        (_, Some(_)) if reader.asks_for_rows(&select) => {
            // "Which stores received more orders in 2022 than in 2021?": rows whose counts compare.
            reader.take_period_counts(comparison.take())?;
            select
        }
        (Some(_), _) | (_, Some(_)) => single_figure(select)?,
        _ => select,
    };
    let verbs = reader.take_verbs();
    reader.report_leftovers(confidence);
    Ok(Frame {
        select,
        group: reader.group,
        filters: reader.filters,
        order: reader.order,
        context: reader.context,
        units,
        share,
        comparison,
        bucket_date: reader.bucket_date,
        verbs,
    })
}

/// What a share or a period comparison is of: a count of rows ("percentage
/// of orders", "growth in orders") or a total ("share of revenue").
fn single_figure(select: Select) -> Result<Select, Abstention> {
    match select {
        Select::List { entity, attributes, .. } if attributes.is_empty() => Ok(Select::CountRows(entity)),
        select @ (Select::CountRows(_) | Select::Aggregate { func: AggFunc::Sum, .. }) => Ok(select),
        _ => Err(abstain(
            "a share or a comparison of periods is supported offline only of a count of rows or of a total",
        )),
    }
}

/// Write requests and relative dates this reader does not count from today cannot be answered correctly here.
fn refuse_unanswerable(items: &[Item]) -> Result<(), Abstention> {
    for item in items {
        match item.kind {
            ItemKind::Keyword(Keyword::Write) => {
                return Err(abstain(format!(
                    "sqlsynth only answers read-only questions: '{}' asks to change data",
                    item.text
                )));
            }
            ItemKind::Keyword(Keyword::RelativeTime) => {
                return Err(abstain(format!(
                    "'{}' is not a date this reader can count from today; say 'today', 'yesterday', 'this month', 'last year' or 'the last 30 days', or name the year",
                    item.text
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

struct Reader<'a> {
    items: &'a [Item],
    used: Vec<bool>,
    qualifiers: Vec<Option<EntityLink>>,
    group: Option<GroupKey>,
    bucket_date: Option<AttributeRef>,
    filters: Vec<Filter>,
    order: Option<OrderRequest>,
    context: Vec<EntityRef>,
    /// Entities that anchored a value or qualified a column: named for a reason.
    explained: Vec<usize>,
    /// Where the listed table is named, to tell "names of customers" from "customers with their names".
    listed_at: Option<usize>,
    /// Entities a value or quoted string was attached to ("customers in Brazil").
    anchors: Vec<usize>,
    /// Values right after a negation ("not in Brazil").
    negated_values: Vec<usize>,
    /// The rows a date named by its event counts ("hires" for `hire_date`), if one was named.
    event: Option<EntityRef>,
}

impl<'a> Reader<'a> {
    fn new(items: &'a [Item]) -> Reader<'a> {
        Reader {
            items,
            used: vec![false; items.len()],
            qualifiers: vec![None; items.len()],
            group: None,
            bucket_date: None,
            filters: Vec::new(),
            order: None,
            context: Vec::new(),
            explained: Vec::new(),
            listed_at: None,
            anchors: Vec::new(),
            negated_values: Vec::new(),
            event: None,
        }
    }

    fn kind(&self, i: usize) -> Option<&'a ItemKind> {
        self.items.get(i).map(|item| &item.kind)
    }

    fn free(&self, i: usize) -> bool {
        i < self.items.len() && !self.used[i]
    }

    fn keyword(&self, i: usize) -> Option<Keyword> {
        match self.kind(i) {
            Some(ItemKind::Keyword(k)) if self.free(i) => Some(*k),
            _ => None,
        }
    }

    fn is_keyword(&self, i: usize, wanted: Keyword) -> bool {
        self.keyword(i) == Some(wanted)
    }

    fn number(&self, i: usize) -> Option<f64> {
        match self.kind(i) {
            Some(ItemKind::Number(n)) if self.free(i) => Some(*n),
            _ => None,
        }
    }

    fn is_entity(&self, i: usize) -> bool {
        self.free(i) && matches!(self.kind(i), Some(ItemKind::Entity(_)))
    }

    fn is_attribute(&self, i: usize) -> bool {
        self.free(i) && matches!(self.kind(i), Some(ItemKind::Attribute(_)))
    }

    fn is_measure(&self, i: usize) -> bool {
        self.free(i)
            && matches!(
                self.kind(i),
                Some(ItemKind::Attribute(_) | ItemKind::Concept(_) | ItemKind::KeywordOrAttribute(..))
            )
    }

    fn mark(&mut self, indices: impl IntoIterator<Item = usize>) {
        for i in indices {
            self.used[i] = true;
        }
    }

    /// The first free item at or after `from` satisfying `wanted`, skipping
    /// only items `skip` allows.
    fn next_where(&self, from: usize, wanted: impl Fn(usize) -> bool, skip: impl Fn(usize) -> bool) -> Option<usize> {
        (from..self.items.len()).filter(|&i| self.free(i)).find(|&i| wanted(i) || !skip(i)).filter(|&i| wanted(i))
    }

    fn entity(&self, i: usize) -> Result<EntityRef, Abstention> {
        match self.settled_links(i).as_slice() {
            [link] => Ok(EntityRef { link: *link, text: self.items[i].text.clone() }),
            _ => Err(abstain(format!("ambiguous: '{}' matches more than one table", self.items[i].text))),
        }
    }

    /// The distinct tables or roles entity item `i` may mean. Several roles
    /// ("manager": of an employee, of a department) are settled by the table
    /// the question names otherwise, by a table or by values of it: "employees
    /// with no manager", "Bruce Miller's manager".
    fn settled_links(&self, i: usize) -> Vec<EntityLink> {
        let Some(ItemKind::Entity(links)) = self.kind(i) else { return Vec::new() };
        let mut distinct: Vec<EntityLink> = Vec::new();
        for link in links {
            if !distinct.contains(link) {
                distinct.push(*link);
            }
        }
        if distinct.len() > 1 && distinct.iter().all(|l| l.role.is_some()) {
            let named: Vec<usize> = (0..self.items.len())
                .filter(|&j| j != i)
                .filter_map(|j| match self.kind(j) {
                    Some(ItemKind::Entity(links)) => match links.as_slice() {
                        [link] if link.role.is_none() => Some(link.table),
                        _ => None,
                    },
                    Some(ItemKind::Value(links)) => {
                        let table = links.first()?.column.table;
                        links.iter().all(|l| l.column.table == table).then_some(table)
                    }
                    _ => None,
                })
                .collect();
            distinct.retain(|l| l.role.is_some_and(|fk| named.contains(&fk.table)));
        }
        distinct
    }

    fn attribute(&self, i: usize) -> AttributeRef {
        let item = &self.items[i];
        let candidates = match &item.kind {
            ItemKind::Attribute(c) | ItemKind::KeywordOrAttribute(_, c) => c.clone(),
            _ => unreachable!("callers check is_attribute"),
        };
        AttributeRef { candidates, text: item.text.clone(), qualifier: self.qualifiers[i] }
    }

    fn measure(&self, i: usize) -> Measure {
        match &self.items[i].kind {
            ItemKind::Concept(concept) => {
                Measure::Concept { concept: *concept, text: self.items[i].text.clone(), qualifier: self.qualifiers[i] }
            }
            _ => Measure::Attribute(self.attribute(i)),
        }
    }

    /// "invoice total", "track length", "names of customers": a table next to
    /// one of its columns (or concepts) qualifies it. The table stays free,
    /// since it may also be what is counted or listed ("how many members joined").
    fn merge_qualifiers(&mut self) {
        for i in 0..self.items.len().saturating_sub(1) {
            for (entity, column) in [(i, i + 1), (i + 1, i)] {
                let ItemKind::Entity(links) = &self.items[entity].kind else { continue };
                let [link] = links.as_slice() else { continue };
                if self.used[entity] || self.qualifiers[column].is_some() || !self.belongs_to(column, link.table) {
                    continue;
                }
                let prefix_of_keyword =
                    matches!(self.items[column].kind, ItemKind::KeywordOrAttribute(..)) && column < entity;
                if prefix_of_keyword {
                    continue;
                }
                self.qualifiers[column] = Some(*link);
                self.explained.push(entity);
                break;
            }
        }
    }

    /// True when item `i` is a column of `table`, or a concept `table` has a column for.
    fn belongs_to(&self, i: usize, table: usize) -> bool {
        match &self.items[i].kind {
            ItemKind::Attribute(c) | ItemKind::KeywordOrAttribute(_, c) => c.iter().any(|c| c.column.table == table),
            ItemKind::Concept(_) => true,
            _ => false,
        }
    }

    /// A column named directly on a table's noun ("discontinued products"): a
    /// condition this reader cannot express, not a column to show.
    fn is_adjective(&self, i: usize) -> bool {
        self.is_entity_kind(i + 1) && !self.is_participle(i + 1) && self.items[i + 1].touches_previous
    }

    /// The one table whose rows record what the free verb at `j` says
    /// happened ("rented" -> `rental`); a participle that is a table's own
    /// name ("loaned" -> `loan`) counts too.
    fn event_rows(&self, j: usize) -> Option<EntityRef> {
        let events = match self.kind(j) {
            Some(ItemKind::Action(events)) => events,
            Some(ItemKind::Entity(tables)) if self.is_participle(j) => tables,
            _ => return None,
        };
        let first = events.first()?;
        let one_table = events.iter().all(|event| event == first);
        (one_table && self.free(j)).then(|| EntityRef { link: *first, text: self.items[j].text.clone() })
    }

    /// "total fines", "by total orders": the amount of the rows of the table
    /// named after the keyword at `at` (the resolver finds their money
    /// column, or their lines'). Marks both; `None` when no table follows.
    fn take_total_of_rows(&mut self, at: usize) -> Result<Option<Measure>, Abstention> {
        let Some(entity) = self.next_where(at + 1, |j| self.is_entity(j), |_| false) else { return Ok(None) };
        let rows = self.entity(entity)?;
        self.mark([at, entity]);
        Ok(Some(Measure::Concept { concept: Concept::Money, text: rows.text, qualifier: Some(rows.link) }))
    }

    /// A table named by a past participle of its name ("loaned" -> `loan`):
    /// a verb saying what happened, not a noun for the rows asked about.
    fn is_participle(&self, i: usize) -> bool {
        self.is_entity_kind(i) && self.items[i].text.to_lowercase().ends_with("ed")
    }

    /// A word that linked to nothing; it is reported, and rules may step over it.
    fn is_unknown(&self, i: usize) -> bool {
        self.free(i) && self.kind(i) == Some(&ItemKind::Unknown)
    }

    fn is_value(&self, i: usize) -> bool {
        self.free(i) && matches!(self.kind(i), Some(ItemKind::Value(_)))
    }

    /// The table (or role) an entity item names, when it names exactly one.
    fn single_link(&self, i: usize) -> Option<EntityLink> {
        match self.settled_links(i).as_slice() {
            [link] => Some(*link),
            _ => None,
        }
    }

    fn is_entity_kind(&self, i: usize) -> bool {
        matches!(self.kind(i), Some(ItemKind::Entity(_)))
    }

    /// Without a count, aggregate or ranking: the rows of the first named table
    /// ("customers in Brazil"), or the values of a named column.
    fn default_select(&mut self) -> Result<Option<Select>, Abstention> {
        let free_entity = (0..self.items.len()).find(|&j| self.is_entity(j));
        let explained_entity = self.explained.first().copied().filter(|&j| self.is_entity_kind(j));
        if let Some(at) = free_entity.or(explained_entity) {
            self.mark([at]);
            self.listed_at = Some(at);
            let entity = self.entity(at)?;
            return Ok(Some(Select::List { entity, attributes: Vec::new(), identify: true, related: Vec::new() }));
        }
        if let Some(attribute) = (0..self.items.len()).find(|&j| self.is_attribute(j)) {
            self.mark([attribute]);
            return Ok(Some(Select::Distinct(self.attribute(attribute))));
        }
        Ok(None)
    }

    /// "How many units ... in total": a count or a total needs no second "in total".
    fn take_redundant_total(&mut self, select: &Select) {
        let totals = matches!(
            select,
            Select::CountRows(_) | Select::CountValues(_) | Select::Aggregate { func: AggFunc::Sum, .. }
        );
        let in_total = (0..self.items.len())
            .filter(|&j| self.is_keyword(j, Keyword::Sum) && self.items[j].text.eq_ignore_ascii_case("in total"));
        let in_total: Vec<usize> = in_total.collect();
        if totals {
            self.mark(in_total);
        }
    }

    /// "Which stores ...", "list the customers ...": the listed table named
    /// right after the word that asks for rows, so the rows are the answer
    /// (not "what was the growth in orders", where the orders are counted).
    fn asks_for_rows(&self, select: &Select) -> bool {
        let Some(at) = self.listed_at.filter(|_| matches!(select, Select::List { .. })) else { return false };
        at == 0 || matches!(self.kind(at - 1), Some(ItemKind::Keyword(Keyword::Which | Keyword::List)))
    }

    /// A list's columns: attributes still unused. Named before the table
    /// ("names and emails of customers") they are the whole answer; after it
    /// ("customers with their email") they come with the key and name columns.
    /// "members and their cities", "members with their city": a table named
    /// after the listed one, after "and" (or "with" and one row), is shown beside it.
    fn attach_list_attributes(&mut self, select: Select) -> Select {
        let Select::List { entity, mut attributes, mut related, .. } = select else { return select };
        let mut before_table = false;
        for j in 0..self.items.len() {
            if self.is_attribute(j) && !self.is_adjective(j) && !self.is_date_participle(j) {
                self.mark([j]);
                before_table |= self.listed_at.is_some_and(|at| j < at) || self.qualifiers[j].is_some();
                attributes.push(self.attribute(j));
            }
        }
        for j in 1..self.items.len() {
            let after_list = self.listed_at.is_some_and(|at| j > at);
            // "and their cities", "with their city"; "with loans", "with a fine" ask for rows that have them.
            let with_their = self.is_keyword(j - 1, Keyword::Have)
                && self.items[j - 1].text.eq_ignore_ascii_case("with")
                && is_singular(&self.items[j].text);
            // "members and their cities", not "members with loans and fines" (two things they have).
            let and_after_list = self.is_keyword(j - 1, Keyword::And)
                && j.checked_sub(2).is_some_and(|k| Some(k) == self.listed_at || !self.is_entity_kind(k));
            let joined = and_after_list || with_their;
            if after_list
                && joined
                && self.free(j - 1)
                && self.is_entity(j)
                && let Ok(shown) = self.entity(j)
            {
                self.mark([j - 1, j]);
                related.push(shown);
            }
        }
        let identify = attributes.is_empty() || !before_table;
        Select::List { entity, attributes, identify, related }
    }

    /// Columns and concepts left over after an aggregate or ranking of one
    /// measure: "in milliseconds", "duration", "in bytes" name its unit or its
    /// column again. The resolver checks that the chosen column fits each.
    /// "What is the longest track duration?", "the date of the most recent
    /// invoice": a superlative about one row that names the measured value
    /// again asks for the value (the maximum or minimum), not the row.
    fn take_units(&mut self, select: Select) -> (Select, Vec<Measure>) {
        let measured = matches!(select, Select::Aggregate { .. } | Select::Ranked { key: RankKey::Measure(..), .. });
        if !measured {
            return (select, Vec::new());
        }
        // "When was the first employee hired?": the date itself, not the row.
        let asks_when = self.is_keyword(0, Keyword::When);
        self.mark(Some(0).filter(|_| asks_when));
        let mut units = Vec::new();
        for j in 0..self.items.len() {
            let unit = matches!(self.kind(j), Some(ItemKind::Attribute(_) | ItemKind::Concept(_)));
            if self.free(j) && unit && !self.is_adjective(j) {
                self.mark([j]);
                units.push(self.measure(j));
            }
        }
        let select = match select {
            Select::Ranked { key: RankKey::Measure(func, measure), descending, limit: None | Some(1), subject }
                if (!units.is_empty() || asks_when)
                    && func.is_none()
                    && matches!(&subject, Subject::Entity(e) if is_singular(&e.text)) =>
            {
                let func = if descending { AggFunc::Max } else { AggFunc::Min };
                match (&measure, &subject, units.as_slice()) {
                    // "the date of the most recent invoice": the date named, of the invoice.
                    (
                        Measure::Concept { concept: Concept::When, .. },
                        Subject::Entity(e),
                        [Measure::Attribute(date)],
                    ) => {
                        let date = AttributeRef { qualifier: Some(e.link), ..date.clone() };
                        units.clear();
                        Select::Aggregate { func, measure: Measure::Attribute(date) }
                    }
                    _ => Select::Aggregate { func, measure },
                }
            }
            other => other,
        };
        (select, units)
    }

    /// "what share / percentage of": read before everything else, once.
    fn take_share(&mut self) -> Option<bool> {
        let at = (0..self.items.len()).find(|&j| matches!(self.keyword(j), Some(Keyword::Share { .. })))?;
        let Some(Keyword::Share { percent }) = self.keyword(at) else { return None };
        self.mark([at]);
        Some(percent)
    }

    /// "shipped" linked to `shipped_date`: a verb, not a column to show.
    fn is_date_participle(&self, j: usize) -> bool {
        matches!(self.kind(j), Some(ItemKind::Attribute(candidates)) if candidates.iter().all(|c| c.date))
            && self.items[j].text.to_lowercase().ends_with("ed")
    }

    /// Verbs no rule used, for the resolver to check against the query: event
    /// verbs, and participles that only named a date column ("shipped" in
    /// "orders shipped to France", satisfied by `ship_country`).
    fn take_verbs(&mut self) -> Vec<Verb> {
        let mut verbs = Vec::new();
        for j in 0..self.items.len() {
            let events = match self.kind(j) {
                Some(ItemKind::Action(events)) => events.clone(),
                Some(ItemKind::Attribute(_)) if self.is_date_participle(j) => Vec::new(),
                _ => continue,
            };
            if self.free(j) && !self.names_its_doer(j) {
                self.mark([j]);
                let text = self.items[j].text.clone();
                verbs.push(Verb { stem: super::tokens::stem(&text), text, events });
            }
        }
        verbs
    }

    /// Unused tables join in; unused words, numbers and keywords lower the confidence.
    fn report_leftovers(&mut self, confidence: &mut Confidence) {
        for (i, item) in self.items.iter().enumerate() {
            if item.synonym {
                confidence.doubt(cost::SYNONYM, format!("linked '{}' through a synonym", item.text));
            }
            if self.used[i] && !self.explained.contains(&i) {
                continue;
            }
            match &item.kind {
                ItemKind::Entity(links) => {
                    if let [link] = links.as_slice() {
                        self.context.push(EntityRef { link: *link, text: item.text.clone() });
                    }
                    let conjoined =
                        i > 0 && matches!(self.kind(i - 1), Some(ItemKind::Keyword(Keyword::And | Keyword::Or)));
                    if conjoined {
                        confidence
                            .doubt(cost::UNUSED, format!("'... and {}' asks about two things at once", item.text));
                    } else if !self.explained.contains(&i) {
                        confidence.doubt(
                            cost::JOIN_ONLY,
                            format!("'{}' is only joined, not filtered or measured", item.text),
                        );
                    }
                }
                ItemKind::Unknown => {
                    confidence
                        .doubt(cost::UNKNOWN_WORD, format!("could not map '{}' to any table or column", item.text));
                }
                ItemKind::Number(_) => {
                    confidence.doubt(cost::UNUSED, format!("could not tell what the number {} refers to", item.text));
                }
                ItemKind::Attribute(_) | ItemKind::Action(_) if self.names_its_doer(i) => {}
                ItemKind::Attribute(_)
                | ItemKind::Concept(_)
                | ItemKind::Value(_)
                | ItemKind::Quoted(_)
                | ItemKind::Month(_)
                | ItemKind::Quarter(_) => {
                    confidence.doubt(cost::UNUSED, format!("could not tell how '{}' fits the question", item.text));
                }
                ItemKind::KeywordOrAttribute(..) | ItemKind::Action(_) => {
                    confidence.doubt(cost::UNUSED, format!("could not tell how '{}' fits the question", item.text));
                }
                ItemKind::Keyword(keyword) if matters(*keyword) => {
                    confidence.doubt(cost::UNUSED, format!("could not use '{}' in the question", item.text));
                }
                ItemKind::Keyword(_) => {}
            }
        }
    }
}

impl Reader<'_> {
    /// "Which shipper shipped the most orders?": a participle whose stem
    /// begins the name of a table the question names (shipped, shipper) says
    /// what that table's relationship already says.
    fn names_its_doer(&self, i: usize) -> bool {
        let text = self.items[i].text.to_lowercase();
        let verb = super::tokens::stem(&text);
        text.ends_with("ed")
            && verb.len() >= 4
            && self.items.iter().enumerate().any(|(j, item)| {
                j != i && self.is_entity_kind(j) && {
                    let noun = super::tokens::stem(&item.text.to_lowercase());
                    noun.starts_with(&verb) && noun != verb
                }
            })
    }
}

/// Keywords that change the answer, so leaving one unused is a doubt.
fn matters(keyword: Keyword) -> bool {
    !matches!(
        keyword,
        Keyword::Which
            | Keyword::List
            | Keyword::Have
            | Keyword::And
            | Keyword::From
            | Keyword::To
            | Keyword::Named
            | Keyword::Sorted
            | Keyword::Ascending
            | Keyword::Descending
    )
}

#[cfg(test)]
mod tests;
