//! Schema linking and value linking: turns a question's tokens into
//! [`Item`]s — tables, columns, measure concepts, sampled values, numbers,
//! months and keywords — using an index built once per schema.
//!
//! What links: table and column names by their split, stemmed words
//! (`InvoiceLine` <- "invoice lines"); a column also by its name without its
//! table's prefix (`InvoiceDate` <- "date" in `Invoice`), by its last word as a
//! weaker "head" match (`BillingCountry` <- "country"), and a date column by
//! its other words (`HireDate` <- "hired"); a foreign key whose name is not its
//! table's (`SupportRepId`, `manager_id`) as a role of the referenced table;
//! glossary words; generic synonyms, also inside longer names ("clients",
//! "support representative"), tried after the words as written; words
//! equal to sampled values of low-cardinality text columns; and runs of words
//! equal (after case and accent folding, never approximately) to a value of
//! the source's value index ("Jimi Hendrix" -> `artist.name`), including a
//! person's first and last name held in two columns ("Frank Harris").
//!
//! Indexed values link only when they look meant: a single word must be
//! capitalized mid-sentence and not a function word; a run of words must not begin or end with a function word unless
//! it is capitalized mid-sentence ("The Trooper", not "the album").
//!
//! Invariants: at each position the longest match wins; on equal length a
//! schema name beats a keyword, which beats a sampled value. An aggregate
//! keyword that is also a column name ("total") keeps both readings. Words
//! that match nothing and are not function words become [`ItemKind::Unknown`],
//! so they can be reported rather than silently dropped.

//!
//! Files: this one holds the items and the reading of a question; `index`
//! builds the per-schema index, `values` matches sampled and indexed values
//! and people's names, `phrases` reads months, quarters, "month-over-month"
//! and "direct reports".

mod index;
mod phrases;
#[cfg(test)]
mod tests;
mod values;

use std::collections::HashMap;
use std::sync::Arc;

use crate::plan::values::ValueIndex;

use super::catalog::{ColumnId, ForeignKeyId, TableId};
use super::tokens::{Token, TokenKind, singular, stem, tokenize};
use super::vocabulary::{
    CONCEPT_WORDS, CompareOp, Concept, EVENT_VERBS, IRREGULAR_PARTICIPLES, KEYWORDS, Keyword, MAX_KEYWORD_WORDS,
    OPENERS, PERIODS, RELATIVE_TIME_MODIFIERS, STOPWORDS, SYNONYMS, WRITE_VERBS, special_keyword,
};
use phrases::{month_at, period_over_period_at, quarter_at, relative_at, reports_at, wide_at};
use values::NamePart;

/// How well a word matches a column name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Fit {
    /// The whole name, or the name without its table's prefix, or a glossary word.
    Exact,
    /// Only the last word of a longer name ("country" for `BillingCountry`).
    Head,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ColumnLink {
    pub column: ColumnId,
    pub fit: Fit,
    /// The column holds dates (so "hired" in "hired in 2002" names the date to filter).
    pub date: bool,
    /// The column is a yes/no flag ("discontinued products": it is set).
    pub flag: bool,
}

/// A table, possibly as a role: the table referenced through one foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EntityLink {
    pub table: TableId,
    pub role: Option<ForeignKeyId>,
}

/// A sampled value and the column it was sampled from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ValueLink {
    pub column: ColumnId,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ItemKind {
    Entity(Vec<EntityLink>),
    Attribute(Vec<ColumnLink>),
    Concept(Concept),
    Value(Vec<ValueLink>),
    /// A quoted string that is not a sampled value.
    Quoted(String),
    Number(f64),
    /// 1 ..= 12
    Month(u32),
    /// A quarter of a year, 1 ..= 4 ("Q2", "the second quarter").
    Quarter(u32),
    Keyword(Keyword),
    /// An aggregate keyword that is also a column name ("total").
    KeywordOrAttribute(Keyword, Vec<ColumnLink>),
    /// A verb naming the event a table records ("borrowed" -> `loan`,
    /// "rented" -> `rental`, "bought" -> `orders`): candidates, nearest chosen later.
    Action(Vec<EntityLink>),
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub kind: ItemKind,
    /// The words as written.
    pub text: String,
    /// Linked through a built-in synonym rather than the name itself.
    pub synonym: bool,
    /// Nothing (no skipped word or symbol) stands between this item and the
    /// previous one: "discontinued products" (an adjective on its noun), not
    /// "names of products".
    pub touches_previous: bool,
    /// A value that is also a verb naming an event table ("shipped" for the
    /// status `SHIPPED` and the `shipments` table): its value reading is not the only one.
    pub also_action: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Link {
    Table(EntityLink),
    Column(ColumnLink),
}

/// The per-schema index that links question words to tables, columns and values.
#[derive(Debug, Clone)]
pub(crate) struct Linker {
    phrases: HashMap<Vec<String>, Vec<Link>>,
    longest_phrase: usize,
    values: HashMap<Vec<String>, Vec<ValueLink>>,
    longest_value: usize,
    /// Lower-cased sampled value -> where it was sampled, for quoted strings.
    exact_values: HashMap<String, Vec<ValueLink>>,
    /// Sampled values that are also function words ("IT", "ALL"), as stored:
    /// they link only when written in that case, never in lower case.
    cased_values: HashMap<String, Vec<ValueLink>>,
    /// Each table's name stems, for verbs that name its event.
    table_stems: Vec<Vec<String>>,
    /// Stems of the first word of multi-word column names (`billing_country`,
    /// `ship_date`) and of role names (`support_rep_id`, `supervisor_id`): a
    /// verb starting one of them ("billed", "shipped", "supports",
    /// "supervised") says the question is about that column or role.
    verb_targets: Vec<String>,
    /// The source's value index (high-cardinality names and titles).
    index: Arc<ValueIndex>,
    /// Columns by (table, column) name, to place indexed values.
    columns_by_name: HashMap<(String, String), ColumnId>,
    /// Columns holding first or last names of people, by their words.
    name_parts: HashMap<ColumnId, NamePart>,
    /// Tables of people (with first, last or full name columns), for "people".
    person_tables: Vec<TableId>,
    /// Named roles by the stem of their first word (`manager_id` -> "manag"),
    /// for "managed by", "supported by".
    roles: Vec<(String, EntityLink)>,
    /// Tables whose rows report to other rows of the same table through a
    /// named role (`employees.manager_id`): their rows are "direct reports".
    reporting_tables: Vec<TableId>,
    /// The number each table's rows hold of what the table is about (stock
    /// on hand: `inventory.product_inventory`), for "out of stock".
    stock_levels: HashMap<TableId, ColumnId>,
}

impl Linker {
    /// Links a question's tokens into items.
    pub(crate) fn link(&self, tokens: &[Token]) -> Vec<Item> {
        let imperative = tokens.iter().position(|t| t.is_word() && !OPENERS.contains(&t.lower.as_str()));
        let mut items: Vec<Item> = Vec::new();
        let mut previous_end = None;
        let mut i = 0;
        while i < tokens.len() {
            let found: Vec<(usize, Item)> = if Some(i) == imperative && WRITE_VERBS.contains(&tokens[i].lower.as_str())
            {
                vec![(i, item(ItemKind::Keyword(Keyword::Write), &tokens[i..=i], false))]
            } else if let Some(stock) = self.out_of_stock_at(tokens, i) {
                // "out of stock": the stock column at most 0.
                vec![
                    (i, stock),
                    (i + 1, item(ItemKind::Keyword(Keyword::Compare(CompareOp::Le)), &tokens[i..i + 2], false)),
                    (i + 2, item(ItemKind::Number(0.0), &tokens[i + 2..i + 3], false)),
                ]
            } else {
                let (len, found) = self.item_at(tokens, i);
                match self.person_name_at(tokens, i).filter(|_| len < 2) {
                    Some([first, last]) => vec![
                        (i, item(ItemKind::Value(first), &tokens[i..=i], false)),
                        (i + 1, item(ItemKind::Value(last), &tokens[i + 1..=i + 1], false)),
                    ],
                    None => {
                        let next = i + len.max(1);
                        let unknown = found.as_ref().is_none_or(|item| item.kind == ItemKind::Unknown);
                        match self.negated_flag_at(&tokens[i]).filter(|_| unknown) {
                            // "inactive customers": not + the `active` flag.
                            Some(links) => vec![
                                (i, item(ItemKind::Keyword(Keyword::Negation), &tokens[i..=i], false)),
                                (i, item(ItemKind::Attribute(links), &tokens[i..=i], false)),
                            ],
                            None if let Some(participle) =
                                self.negated_participle_at(tokens, i).filter(|_| unknown) =>
                            {
                                // "unpaid fines", "unreturned loans": not + what the participle names.
                                vec![
                                    (i, item(ItemKind::Keyword(Keyword::Negation), &tokens[i..=i], false)),
                                    (i, participle),
                                ]
                            }
                            None if found.is_none() => {
                                i = next;
                                continue;
                            }
                            None => found.into_iter().map(|item| (next - 1, item)).collect(),
                        }
                    }
                }
            };
            let mut start = i;
            for (last, mut item) in found {
                item.touches_previous = previous_end == Some(start);
                items.push(item);
                previous_end = Some(last + 1);
                start = last + 1;
            }
            i = start;
        }
        self.who_means_people(tokens, &mut items);
        items
    }

    /// "Who works in Sales?": a question opening with "who" that names no
    /// table of people asks for the one table of people the schema has.
    /// "Who teaches Calculus?": with several tables of people, a verb that
    /// begins a role naming people (`course.teacher_id`) says which.
    fn who_means_people(&self, tokens: &[Token], items: &mut Vec<Item>) {
        let opens_with_who = tokens.first().is_some_and(|t| t.lower == "who");
        let names_people = items.iter().any(|item| match &item.kind {
            ItemKind::Entity(links) | ItemKind::Action(links) => {
                links.iter().any(|l| self.person_tables.contains(&l.table))
            }
            _ => false,
        });
        if !opens_with_who || names_people {
            return;
        }
        // The people a verb names: a table of people or a role whose name the verb begins ("teaches": teacher).
        let by_verb = || {
            let mut named: Vec<TableId> = Vec::new();
            for verb in items.iter().filter(|item| {
                matches!(&item.kind, ItemKind::Action(events) if events.is_empty()) || item.kind == ItemKind::Unknown
            }) {
                let verb = stem(&verb.text.to_lowercase());
                let begins = |word: &String| verb.len() >= 4 && word.starts_with(&verb) && *word != verb;
                for &table in &self.person_tables {
                    if self.table_stems[table].first().is_some_and(begins) {
                        named.push(table);
                    }
                }
                for (first, role) in &self.roles {
                    if begins(first) && self.person_tables.contains(&role.table) {
                        named.push(role.table);
                    }
                }
            }
            named.dedup();
            match named.as_slice() {
                [table] => Some(EntityLink { table: *table, role: None }),
                _ => None,
            }
        };
        let people = match self.person_tables.as_slice() {
            [people] => EntityLink { table: *people, role: None },
            _ => match by_verb() {
                Some(people) => people,
                None => {
                    // "Who enrolled in Calculus?" with students and teachers: which people is not said.
                    let mut who = item(ItemKind::Unknown, &tokens[..1], false);
                    who.touches_previous = false;
                    items.insert(0, who);
                    return;
                }
            },
        };
        {
            let mut who = item(ItemKind::Entity(vec![people]), &tokens[..1], true);
            who.touches_previous = false;
            items.insert(0, who);
            if let Some(next) = items.get_mut(1) {
                next.touches_previous = false;
            }
        }
    }

    /// The item starting at token `i` (if it means anything) and how many tokens it spans.
    fn item_at(&self, tokens: &[Token], i: usize) -> (usize, Option<Item>) {
        let token = &tokens[i];
        match token.kind {
            TokenKind::Quoted => {
                let mut links = self.exact_values.get(&token.text.trim().to_lowercase()).cloned().unwrap_or_default();
                // "the artist named 'AC/DC'" says which column already: the name of the artist.
                let after_named = i > 0 && keyword_match(tokens, i - 1) == Some((1, Keyword::Named));
                let indexed = if after_named { Vec::new() } else { self.place(self.index.lookup(&token.text)) };
                for link in indexed {
                    if !links.contains(&link) {
                        links.push(link);
                    }
                }
                let kind = if links.is_empty() { ItemKind::Quoted(token.text.clone()) } else { ItemKind::Value(links) };
                return (1, Some(item(kind, &tokens[i..=i], false)));
            }
            TokenKind::Symbol => return (1, None),
            TokenKind::Number | TokenKind::Word => {}
        }
        if let Some(len) = wide_at(tokens, i) {
            // "company-wide", "store-wide": over everything, which an average already is.
            return (len, None);
        }
        if let Some(roles) = self.role_verb_at(tokens, i) {
            return (2, Some(item(ItemKind::Entity(roles), &tokens[i..i + 2], false)));
        }
        if let Some(len) = reports_at(tokens, i)
            && let [table] = self.reporting_tables.as_slice()
        {
            let rows = ItemKind::Entity(vec![EntityLink { table: *table, role: None }]);
            return (len, Some(item(rows, &tokens[i..i + len], false)));
        }
        if let Some((len, span)) = relative_at(tokens, i) {
            return (len, Some(item(ItemKind::Keyword(Keyword::Relative(span)), &tokens[i..i + len], false)));
        }
        if let Some((len, quarter)) = quarter_at(tokens, i) {
            return (len, Some(item(ItemKind::Quarter(quarter), &tokens[i..i + len], false)));
        }
        if let Some((len, month)) = period_over_period_at(tokens, i) {
            let keyword = Keyword::PeriodOverPeriod { month };
            return (len, Some(item(ItemKind::Keyword(keyword), &tokens[i..i + len], false)));
        }
        let schema = self.schema_match(tokens, i).map(|(len, links, synonym)| {
            // "staff member", "team members": one row of the table just named, not the `member` table.
            let member = tokens.get(i + len).is_some_and(|next| matches!(next.lower.as_str(), "member" | "members"));
            let names_rows = links.iter().all(|link| matches!(link, Link::Table(_)));
            (len + usize::from(member && names_rows), links, synonym)
        });
        let keyword = keyword_match(tokens, i).filter(|&(_, keyword)| !ordered_as_bought(tokens, i, keyword));
        let value = self.value_match(tokens, i);
        let via_synonym = schema.as_ref().is_some_and(|s| s.2);
        let schema = schema.map(|(len, links, _)| (len, links));
        let best = [schema.as_ref().map(|s| s.0), keyword.map(|k| k.0), value.as_ref().map(|v| v.0)]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0);
        if best > 0 {
            let span = &tokens[i..i + best];
            let keyword_wins = keyword.is_some_and(|k| k.0 == best && beats_schema(k.1));
            if let Some((len, links)) = schema.filter(|s| s.0 == best && !keyword_wins) {
                let kind = match keyword.filter(|k| k.0 == len && is_aggregate(k.1)) {
                    Some((_, keyword)) => match links_to_kind(links) {
                        ItemKind::Attribute(columns) => ItemKind::KeywordOrAttribute(keyword, columns),
                        other => other,
                    },
                    None => links_to_kind(links),
                };
                return (len, Some(item(kind, span, via_synonym)));
            }
            if let Some((len, keyword)) = keyword.filter(|k| k.0 == best) {
                return (len, Some(item(ItemKind::Keyword(keyword), span, false)));
            }
            if let Some((len, links)) = value {
                let mut value = item(ItemKind::Value(links), span, false);
                value.also_action = len == 1 && token.text == token.lower && !self.event_tables(token).is_empty();
                return (len, Some(value));
            }
        }
        let span = &tokens[i..=i];
        if token.kind == TokenKind::Number {
            let number = token.lower.parse().unwrap_or(f64::NAN);
            return (1, Some(item(ItemKind::Number(number), span, false)));
        }
        (1, self.single_word(tokens, i).map(|(kind, synonym)| item(kind, span, synonym)))
    }

    /// A word that matched no phrase: synonyms, concepts, months, special and function words.
    fn single_word(&self, tokens: &[Token], i: usize) -> Option<(ItemKind, bool)> {
        let token = &tokens[i];
        let lower = token.lower.as_str();
        if let Some((_, concept)) = CONCEPT_WORDS.iter().find(|(word, _)| stem(word) == token.stem) {
            return Some((ItemKind::Concept(*concept), false));
        }
        if token.stem == "person" && !self.person_tables.is_empty() {
            let people = self.person_tables.iter().map(|&table| EntityLink { table, role: None }).collect();
            return Some((ItemKind::Entity(people), true));
        }
        let before_a_noun = tokens.get(i + 1).is_some_and(|n| n.is_word() && !PERIODS.contains(&n.lower.as_str()));
        if matches!(lower, "first" | "last" | "latest") && before_a_noun {
            // "the first employee we hired", "the last loan": the earliest or latest by date
            // ("first quarter" is a period, "first 10" a count, "last name" a column).
            let descending = lower != "first";
            return Some((ItemKind::Keyword(Keyword::Superlative { concept: Concept::When, descending }), false));
        }
        if let Some(month) = month_at(tokens, i) {
            return Some((ItemKind::Month(month), false));
        }
        let next = tokens.get(i + 1);
        let relative_period = next.is_some_and(|n| n.kind == TokenKind::Number || PERIODS.contains(&n.lower.as_str()));
        if RELATIVE_TIME_MODIFIERS.contains(&lower) && relative_period {
            return Some((ItemKind::Keyword(Keyword::RelativeTime), false));
        }
        if let Some(keyword) = special_keyword(lower) {
            return Some((ItemKind::Keyword(keyword), false));
        }
        if STOPWORDS.contains(&lower) {
            return None;
        }
        let events = self.event_tables(token);
        let verb_form = lower.ends_with("ed") || lower.ends_with('s') || lower.ends_with("ing");
        // "supported", "supports", or "support" itself when a role begins with it (`support_rep_id`).
        let targets_column = token.stem.len() >= 4
            && (verb_form && self.verb_targets.iter().any(|target| target.starts_with(&token.stem))
                || self.verb_targets.contains(&token.stem));
        if !events.is_empty() || targets_column {
            return Some((ItemKind::Action(events), false));
        }
        Some((ItemKind::Unknown, false))
    }

    /// "managed by", "supported by", "supervised by": a participle beginning
    /// a role's name, then "by", names the role (the manager, the support rep).
    fn role_verb_at(&self, tokens: &[Token], i: usize) -> Option<Vec<EntityLink>> {
        let (verb, by) = (&tokens[i], tokens.get(i + 1)?);
        if !verb.is_word() || !verb.lower.ends_with("ed") || by.lower != "by" || verb.stem.len() < 4 {
            return None;
        }
        let roles: Vec<EntityLink> =
            self.roles.iter().filter(|(first, _)| first.starts_with(&verb.stem)).map(|(_, role)| *role).collect();
        (!roles.is_empty()).then_some(roles)
    }

    /// "inactive", "unavailable", "non-active": a negative prefix on a word
    /// that names yes/no columns; those columns.
    fn negated_flag_at(&self, token: &Token) -> Option<Vec<ColumnLink>> {
        let lower = token.lower.as_str();
        let rest = ["non", "un", "in"].iter().find_map(|prefix| lower.strip_prefix(prefix))?;
        let rest = rest.trim_start_matches('-');
        let links = self.phrases.get(&vec![stem(rest)])?;
        let flags: Vec<ColumnLink> = links
            .iter()
            .filter_map(|link| match link {
                Link::Column(column) if column.flag => Some(*column),
                _ => None,
            })
            .collect();
        (!flags.is_empty() && flags.len() == links.len()).then_some(flags)
    }

    /// "out of stock": what "stock" links to (a column of stock levels), when it is a column.
    fn out_of_stock_at(&self, tokens: &[Token], i: usize) -> Option<Item> {
        let words: Vec<&str> = tokens.get(i..i + 3)?.iter().map(|t| t.lower.as_str()).collect();
        if words != ["out", "of", "stock"] {
            return None;
        }
        let (_, stock) = self.item_at(tokens, i + 2);
        let mut stock = stock?;
        match &stock.kind {
            ItemKind::Attribute(_) => Some(stock),
            // "stock" names a table of stock levels: its level column.
            ItemKind::Entity(links) if let [link] = links.as_slice() => {
                let column = *self.stock_levels.get(&link.table)?;
                stock.kind =
                    ItemKind::Attribute(vec![ColumnLink { column, fit: Fit::Exact, date: false, flag: false }]);
                Some(stock)
            }
            _ => None,
        }
    }

    /// "unpaid", "unreturned", "unshipped": a participle after "un" that
    /// links to something (a date column, a table that records the event),
    /// read as that participle; the caller puts a negation before it.
    fn negated_participle_at(&self, tokens: &[Token], i: usize) -> Option<Item> {
        let rest = tokens[i].lower.strip_prefix("un")?;
        let participle = rest.len() >= 4 && (rest.ends_with("ed") || IRREGULAR_PARTICIPLES.contains(&rest));
        if !participle {
            return None;
        }
        let rest = tokenize(rest);
        let (_, found) = self.item_at(&rest, 0);
        found.filter(|item| !matches!(item.kind, ItemKind::Unknown | ItemKind::Keyword(_)))
    }

    /// Tables whose rows record what a verb says happened: a general list
    /// ("bought" -> order, invoice, purchase, sale), or a past participle whose
    /// stem begins a table's name ("rented" -> `rental`, "shipped" -> `shipment`).
    fn event_tables(&self, token: &Token) -> Vec<EntityLink> {
        let lower = token.lower.as_str();
        let listed: &[&str] =
            EVENT_VERBS.iter().find(|(verbs, _)| verbs.contains(&lower)).map_or(&[], |(_, nouns)| nouns);
        let listed: Vec<String> = listed.iter().map(|n| stem(n)).collect();
        let participle = lower.ends_with("ed") && token.stem.len() >= 4;
        (0..self.table_stems.len())
            .filter(|&table| {
                self.table_stems[table].iter().any(|word| {
                    listed.contains(word) || (participle && word.starts_with(&token.stem) && word != &token.stem)
                })
            })
            .map(|table| EntityLink { table, role: None })
            .collect()
    }

    /// Longest schema phrase of consecutive words starting at `i`, and
    /// whether a built-in synonym was needed ("support representative" ->
    /// `SupportRepId`); at each length the words as written are tried first.
    fn schema_match(&self, tokens: &[Token], i: usize) -> Option<(usize, Vec<Link>, bool)> {
        let words = tokens[i..].iter().take(self.longest_phrase).take_while(|t| t.is_word()).count();
        let alternatives: Vec<Vec<String>> = tokens[i..i + words].iter().map(word_alternatives).collect();
        (1..=words).rev().find_map(|len| {
            let mut keys: Vec<(Vec<String>, bool)> = vec![(Vec::new(), false)];
            for options in &alternatives[..len] {
                keys = keys
                    .into_iter()
                    .flat_map(|(key, synonym)| {
                        options.iter().enumerate().map(move |(n, option)| {
                            let mut key = key.clone();
                            key.push(option.clone());
                            (key, synonym || n > 0)
                        })
                    })
                    .collect();
            }
            keys.sort_by_key(|(_, synonym)| *synonym);
            keys.into_iter()
                .find_map(|(key, synonym)| self.phrases.get(&key).map(|links| (len, links.clone(), synonym)))
        })
    }
}

fn item(kind: ItemKind, span: &[Token], synonym: bool) -> Item {
    let text = span.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
    Item { kind, text, synonym, touches_previous: false, also_action: false }
}

/// The comparison key of a token sequence: stems of words, lower case of the rest.
fn key_of(tokens: &[Token]) -> Vec<String> {
    tokens.iter().map(|t| if t.is_word() { t.stem.clone() } else { t.lower.clone() }).collect()
}

/// Participles such as "named" or "sorted" reach a column called `name` only
/// through stemming; as keywords they are what the question means.
fn beats_schema(keyword: Keyword) -> bool {
    matches!(keyword, Keyword::Named | Keyword::Sorted | Keyword::OrderBy)
}

fn is_aggregate(keyword: Keyword) -> bool {
    matches!(keyword, Keyword::Count | Keyword::Sum | Keyword::Avg | Keyword::Min | Keyword::Max)
}

/// Entities when the phrase names a table or role, else the matched columns.
fn links_to_kind(links: Vec<Link>) -> ItemKind {
    let entities: Vec<EntityLink> =
        links.iter().filter_map(|l| if let Link::Table(e) = l { Some(*e) } else { None }).collect();
    if entities.is_empty() {
        ItemKind::Attribute(
            links.iter().filter_map(|l| if let Link::Column(c) = l { Some(*c) } else { None }).collect(),
        )
    } else {
        ItemKind::Entity(entities)
    }
}

fn keyword_match(tokens: &[Token], i: usize) -> Option<(usize, Keyword)> {
    let words = tokens[i..].iter().take(MAX_KEYWORD_WORDS).take_while(|t| t.is_word()).count();
    (1..=words).rev().find_map(|len| {
        let span: Vec<&str> = tokens[i..i + len].iter().map(|t| t.lower.as_str()).collect();
        KEYWORDS.iter().find(|(phrase, _)| *phrase == span.as_slice()).map(|(_, keyword)| (len, *keyword))
    })
}

/// A word's stem, then the stems of its built-in synonyms. Synonym groups
/// are matched on the word or its spelled singular, never on stems alone.
fn word_alternatives(token: &Token) -> Vec<String> {
    let mut alternatives = vec![token.stem.clone()];
    let lower = token.lower.as_str();
    let one = singular(lower);
    if let Some(group) = SYNONYMS.iter().find(|group| group.contains(&lower) || group.contains(&one.as_str())) {
        for word in group.iter().map(|w| stem(w)) {
            if !alternatives.contains(&word) {
                alternatives.push(word);
            }
        }
    }
    alternatives
}

/// "products never ordered", "customers who ordered in 2023": "ordered" is
/// the verb of buying unless a word about sorting follows ("ordered
/// alphabetically", "ordered by name", "ordered in descending order").
fn ordered_as_bought(tokens: &[Token], i: usize, keyword: Keyword) -> bool {
    const SORTING: &[&str] = &["by", "alphabetically", "ascending", "descending", "asc", "desc", "chronologically"];
    let next = tokens.get(i + 1).map(|t| t.lower.as_str());
    let sorting_after = next.is_some_and(|n| SORTING.contains(&n))
        || next == Some("in") && tokens.get(i + 2).is_some_and(|t| SORTING.contains(&t.lower.as_str()));
    keyword == Keyword::Sorted && tokens[i].lower == "ordered" && !sorting_after
}
