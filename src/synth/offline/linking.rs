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

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::plan::values::{IndexedValue, ValueIndex, value_key};

use super::catalog::{Catalog, ColumnId, ForeignKeyId, TableId, ValueKind};
use super::tokens::{Token, TokenKind, singular, stem, tokenize};
use super::vocabulary::{
    CODED_VALUES, CONCEPT_WORDS, Concept, EVENT_VERBS, KEYWORDS, Keyword, MAX_KEYWORD_WORDS, MONTHS, OPENERS, PERIODS,
    QUARTER_ORDINALS, RELATIVE_TIME_MODIFIERS, STOPWORDS, SYNONYMS, WRITE_VERBS, special_keyword,
};

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

/// Last words of two-word column names that only say the first word's unit
/// (`commission_pct`, `discount_rate`).
const UNIT_HEADS: &[&str] = &["pct", "percent", "percentage", "rate", "amt"];

/// Last words of two-word column names that only say the first word's form
/// (`web_address`, `phone_number`).
const FORM_HEADS: &[&str] = &["address", "addr", "number", "no", "num", "url", "link"];

/// Last words of column names too vague to link a column on their own.
const WEAK_HEADS: &[&str] = &["id", "at", "on", "by", "to", "of", "in", "no", "num", "code", "key", "flag", "year"];

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
}

impl Linker {
    /// Indexes every table, column, role, glossary word and sampled value of the schema.
    pub(crate) fn new(catalog: &Catalog, glossary: &BTreeMap<String, String>) -> Linker {
        let mut linker = Linker {
            phrases: HashMap::new(),
            longest_phrase: 0,
            values: HashMap::new(),
            longest_value: 0,
            exact_values: HashMap::new(),
            cased_values: HashMap::new(),
            table_stems: catalog.tables.iter().map(|t| stems(&t.words)).collect(),
            verb_targets: verb_targets(catalog),
            index: Arc::clone(&catalog.schema.values),
            columns_by_name: catalog
                .schema
                .tables
                .iter()
                .enumerate()
                .flat_map(|(table, t)| {
                    t.columns
                        .iter()
                        .enumerate()
                        .map(move |(column, c)| ((t.name.clone(), c.name.clone()), ColumnId { table, column }))
                })
                .collect(),
            name_parts: (0..catalog.tables.len())
                .flat_map(|table| catalog.column_ids(table))
                .filter_map(|column| name_part(&catalog.column(column).words).map(|part| (column, part)))
                .collect(),
            person_tables: (0..catalog.tables.len())
                .filter(|&table| {
                    catalog.column_ids(table).any(|column| {
                        let words = &catalog.column(column).words;
                        name_part(words).is_some() || words.iter().map(String::as_str).eq(["full", "name"])
                    })
                })
                .collect(),
            roles: Vec::new(),
            reporting_tables: Vec::new(),
        };
        for table in 0..catalog.tables.len() {
            for role in foreign_key_roles(catalog, table).into_values() {
                if let Role::Named { fk, referenced, words } = role
                    && let Some(first) = words.first()
                {
                    linker.roles.push((stem(first), EntityLink { table: referenced, role: Some(fk) }));
                    if referenced == table && !linker.reporting_tables.contains(&table) {
                        linker.reporting_tables.push(table);
                    }
                }
            }
            linker.index_table(catalog, table);
        }
        for (word, target) in glossary {
            let key = key_of(&tokenize(word));
            for link in glossary_links(catalog, target) {
                linker.add_phrase(key.clone(), link);
            }
        }
        linker
    }

    fn add_phrase(&mut self, key: Vec<String>, link: Link) {
        if key.is_empty() {
            return;
        }
        self.longest_phrase = self.longest_phrase.max(key.len());
        let links = self.phrases.entry(key).or_default();
        if !links.contains(&link) {
            links.push(link);
        }
    }

    fn index_table(&mut self, catalog: &Catalog, table: TableId) {
        let facts = &catalog.tables[table];
        let table_key = stems(&facts.words);
        let named = link_table_head(catalog, table).unwrap_or(table);
        self.add_phrase(table_key.clone(), Link::Table(EntityLink { table: named, role: None }));
        // A key named apart from its table names the rows too: `line_item_id` in `order_items`.
        let own_keys: Vec<ColumnId> = catalog
            .column_ids(table)
            .filter(|&c| {
                let name = catalog.column_name(c);
                catalog.schema.tables[table].primary_key.iter().any(|k| k == name) && !catalog.column(c).in_foreign_key
            })
            .collect();
        if let [key] = own_keys.as_slice()
            && let [name @ .., id] = catalog.column(*key).words.as_slice()
            && id == "id"
            && !name.is_empty()
            && stems(name) != table_key
        {
            self.add_phrase(stems(name), Link::Table(EntityLink { table: named, role: None }));
        }
        let roles = foreign_key_roles(catalog, table);
        for column in catalog.column_ids(table) {
            let words = &catalog.column(column).words;
            let date = catalog.column(column).kind == ValueKind::Date || catalog.column(column).year;
            let exact = |column| Link::Column(ColumnLink { column, fit: Fit::Exact, date });
            match roles.get(&column.column) {
                Some(Role::Plain) => continue,
                Some(Role::Named { fk, referenced, words: role_words }) => {
                    let entity = EntityLink { table: *referenced, role: Some(*fk) };
                    self.add_phrase(stems(role_words), Link::Table(entity));
                }
                None => {}
            }
            let column_key = stems(words);
            self.add_phrase(column_key.clone(), exact(column));
            if column_key.len() > table_key.len() && column_key.starts_with(&table_key) {
                self.add_phrase(column_key[table_key.len()..].to_vec(), exact(column));
            }
            if date {
                let modifier: Vec<String> = words
                    .iter()
                    .filter(|w| !matches!(w.as_str(), "date" | "time" | "at" | "on" | "year"))
                    .cloned()
                    .collect();
                if !modifier.is_empty() && stems(&modifier) != table_key {
                    self.add_phrase(stems(&modifier), exact(column));
                }
            }
            // `commission_pct`, `web_address`: the first word names the column when
            // the last is a unit, or a form of a common word ("website" via its synonym "web";
            // not `billing_address`, whose first word says whose address it is).
            if let [first, last] = words.as_slice()
                && (UNIT_HEADS.contains(&last.as_str())
                    || FORM_HEADS.contains(&last.as_str())
                        && SYNONYMS.iter().any(|group| group.contains(&first.as_str())))
            {
                self.add_phrase(vec![stem(first)], exact(column));
            }
            let head = words.last().filter(|w| words.len() > 1 && !WEAK_HEADS.contains(&w.as_str()));
            if let Some(head) = head {
                let link = Link::Column(ColumnLink { column, fit: Fit::Head, date });
                self.add_phrase(vec![stem(head)], link);
            }
            self.index_values(catalog, column);
        }
    }

    fn index_values(&mut self, catalog: &Catalog, column: ColumnId) {
        let table = &catalog.schema.tables[column.table];
        for value in &table.columns[column.column].sample_values {
            let link = ValueLink { column, value: value.clone() };
            let lower = value.trim().to_lowercase();
            self.exact_values.entry(lower.clone()).or_default().push(link.clone());
            let tokens = tokenize(value);
            let meaningless = match tokens.as_slice() {
                [only] => only.kind != TokenKind::Word || STOPWORDS.contains(&only.lower.as_str()),
                _ => tokens.is_empty() || tokens.len() > 8,
            };
            let cased =
                matches!(tokens.as_slice(), [only] if only.is_word() && only.text.chars().any(char::is_uppercase));
            if meaningless && cased {
                self.cased_values.entry(value.trim().to_string()).or_default().push(link.clone());
            }
            if !meaningless {
                let key = key_of(&tokens);
                // "in transit" for `IN-TRANSIT`: hyphens also read as spaces.
                let unhyphenated: Vec<String> = key.iter().filter(|w| *w != "-").cloned().collect();
                for key in [key.clone(), unhyphenated] {
                    self.longest_value = self.longest_value.max(key.len());
                    let links = self.values.entry(key).or_default();
                    if !links.contains(&link) {
                        links.push(link.clone());
                    }
                }
            }
            let column_words = &catalog.column(column).words;
            for (names, code, words) in CODED_VALUES {
                if value.trim().eq_ignore_ascii_case(code) && column_words.iter().any(|w| names.contains(&w.as_str())) {
                    for word in *words {
                        let key = key_of(&tokenize(word));
                        let links = self.values.entry(key).or_default();
                        if !links.contains(&link) {
                            links.push(link.clone());
                        }
                    }
                }
            }
        }
    }

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
            } else {
                let (len, found) = self.item_at(tokens, i);
                match self.person_name_at(tokens, i).filter(|_| len < 2) {
                    Some([first, last]) => vec![
                        (i, item(ItemKind::Value(first), &tokens[i..=i], false)),
                        (i + 1, item(ItemKind::Value(last), &tokens[i + 1..=i + 1], false)),
                    ],
                    None => {
                        let next = i + len.max(1);
                        if found.is_none() {
                            i = next;
                            continue;
                        }
                        found.into_iter().map(|item| (next - 1, item)).collect()
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
    fn who_means_people(&self, tokens: &[Token], items: &mut Vec<Item>) {
        let [people] = self.person_tables.as_slice() else { return };
        let opens_with_who = tokens.first().is_some_and(|t| t.lower == "who");
        let names_people = items.iter().any(|item| match &item.kind {
            ItemKind::Entity(links) | ItemKind::Action(links) => {
                links.iter().any(|l| self.person_tables.contains(&l.table))
            }
            _ => false,
        });
        if opens_with_who && !names_people {
            let mut who = item(ItemKind::Entity(vec![EntityLink { table: *people, role: None }]), &tokens[..1], true);
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
        if let Some(roles) = self.role_verb_at(tokens, i) {
            return (2, Some(item(ItemKind::Entity(roles), &tokens[i..i + 2], false)));
        }
        if let Some(len) = reports_at(tokens, i)
            && let [table] = self.reporting_tables.as_slice()
        {
            let rows = ItemKind::Entity(vec![EntityLink { table: *table, role: None }]);
            return (len, Some(item(rows, &tokens[i..i + len], false)));
        }
        if let Some((len, quarter)) = quarter_at(tokens, i) {
            return (len, Some(item(ItemKind::Quarter(quarter), &tokens[i..i + len], false)));
        }
        if let Some((len, month)) = period_over_period_at(tokens, i) {
            let keyword = Keyword::PeriodOverPeriod { month };
            return (len, Some(item(ItemKind::Keyword(keyword), &tokens[i..i + len], false)));
        }
        let schema = self.schema_match(tokens, i);
        let keyword = keyword_match(tokens, i);
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
        if lower == "first" && tokens.get(i + 1).is_some_and(|n| n.is_word() && !PERIODS.contains(&n.lower.as_str())) {
            // "the first employee we hired": the earliest by date ("first quarter" is a period, "first 10" a count).
            return Some((
                ItemKind::Keyword(Keyword::Superlative { concept: Concept::When, descending: false }),
                false,
            ));
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

    /// Longest value starting at `i`, sampled or indexed; on equal length both.
    fn value_match(&self, tokens: &[Token], i: usize) -> Option<(usize, Vec<ValueLink>)> {
        let sampled = self.sampled_value_match(tokens, i);
        let indexed = self.indexed_value_match(tokens, i);
        match (sampled, indexed) {
            (Some((len, mut links)), Some((indexed_len, indexed))) if indexed_len == len => {
                for link in indexed {
                    if !links.contains(&link) {
                        links.push(link);
                    }
                }
                Some((len, links))
            }
            (Some(sampled), Some(indexed)) => Some(if indexed.0 > sampled.0 { indexed } else { sampled }),
            (sampled, indexed) => sampled.or(indexed),
        }
    }

    /// Longest sampled value starting at `i`.
    fn sampled_value_match(&self, tokens: &[Token], i: usize) -> Option<(usize, Vec<ValueLink>)> {
        if let Some(links) = self.cased_values.get(&tokens[i].text) {
            return Some((1, links.clone()));
        }
        let available = tokens.len() - i;
        (1..=self.longest_value.min(available)).rev().find_map(|len| {
            let span = &tokens[i..i + len];
            if span.iter().any(|t| t.kind == TokenKind::Quoted)
                || span.last().is_some_and(|t| t.kind == TokenKind::Symbol)
            {
                return None;
            }
            self.values.get(&key_of(span)).map(|links| (len, links.clone()))
        })
    }

    /// Longest run of tokens starting at `i` that is exactly a value of the
    /// value index and looks meant as one (see the module doc).
    fn indexed_value_match(&self, tokens: &[Token], i: usize) -> Option<(usize, Vec<ValueLink>)> {
        if self.index.is_empty() || !tokens[i].is_word() && tokens[i].kind != TokenKind::Number {
            return None;
        }
        let mut end = i;
        let mut words = 0;
        while end < tokens.len() && words < self.index.max_words() {
            let token = &tokens[end];
            match token.kind {
                TokenKind::Quoted => break,
                TokenKind::Symbol if !INNER_VALUE_SYMBOLS.contains(&token.text.as_str()) => break,
                TokenKind::Symbol => {}
                TokenKind::Word | TokenKind::Number => words += 1,
            }
            end += 1;
        }
        (i + 1..=end).rev().find_map(|end| {
            let span = &tokens[i..end];
            let closes = |t: &Token| t.text == ")" && span.iter().any(|s| s.text == "(");
            if span.last().is_some_and(|t| t.kind == TokenKind::Symbol && !closes(t))
                || !self.looks_meant(tokens, i, end)
            {
                return None;
            }
            // As written ("Women's" -> `women s`), then without possessives ("Hendrix's" -> `hendrix`).
            let join = |text: fn(&Token) -> &str| span.iter().map(text).collect::<Vec<_>>().join(" ");
            let written = value_key(&join(|t| t.text.as_str()));
            let mut links = self.place(self.index.lookup_key(&written));
            if links.is_empty() {
                let plain = value_key(&join(|t| t.lower.as_str()));
                if plain != written {
                    links = self.place(self.index.lookup_key(&plain));
                }
            }
            // "stock clerks" for the value `Stock Clerk`: a plural last word, singular.
            if links.is_empty()
                && span.len() > 1
                && let Some(last) = span.last().filter(|t| t.is_word())
                && singular(&last.lower) != last.lower
            {
                let mut words: Vec<&str> = span[..span.len() - 1].iter().map(|t| t.lower.as_str()).collect();
                let one = singular(&last.lower);
                words.push(&one);
                links = self.place(self.index.lookup_key(&value_key(&words.join(" "))));
            }
            (!links.is_empty()).then_some((span.len(), links))
        })
    }

    /// Whether tokens `i..end` may be a value the question names rather than
    /// ordinary words that happen to spell one.
    fn looks_meant(&self, tokens: &[Token], i: usize, end: usize) -> bool {
        let span = &tokens[i..end];
        let proper = |at: usize| at > 0 && capitalized(&tokens[at]);
        let function_word = |at: usize| {
            let token = &tokens[at];
            token.is_word()
                && (STOPWORDS.contains(&token.lower.as_str())
                    || OPENERS.contains(&token.lower.as_str())
                    || keyword_match(tokens, at).is_some())
        };
        if !span.iter().enumerate().any(|(n, t)| t.is_word() && !function_word(i + n)) {
            return false;
        }
        if span.len() == 1 {
            return proper(i) && !function_word(i);
        }
        let last = end - 1;
        (!function_word(i) || proper(i)) && (!function_word(last) || capitalized(&tokens[last]))
    }

    /// A person's first and last name at `i` and `i + 1` ("Frank Harris"), as
    /// values of a first-name and a last-name column of one table.
    fn person_name_at(&self, tokens: &[Token], i: usize) -> Option<[Vec<ValueLink>; 2]> {
        let (first, last) = (tokens.get(i)?, tokens.get(i + 1)?);
        let name_like = |t: &Token| {
            t.is_word()
                && capitalized(t)
                && !STOPWORDS.contains(&t.lower.as_str())
                && !OPENERS.contains(&t.lower.as_str())
        };
        if self.index.is_empty() || !name_like(first) || !name_like(last) {
            return None;
        }
        let firsts = self.place(self.index.lookup(&first.lower));
        let lasts = self.place(self.index.lookup(&last.lower));
        let in_column = |links: &[ValueLink], table: TableId, part: NamePart| -> Vec<ValueLink> {
            links
                .iter()
                .filter(|l| l.column.table == table && self.name_parts.get(&l.column) == Some(&part))
                .cloned()
                .collect()
        };
        let mut tables: Vec<TableId> = firsts.iter().map(|l| l.column.table).collect();
        tables.dedup();
        let pairs: Vec<[Vec<ValueLink>; 2]> = tables
            .into_iter()
            .map(|table| [in_column(&firsts, table, NamePart::First), in_column(&lasts, table, NamePart::Last)])
            .filter(|[f, l]| !f.is_empty() && !l.is_empty())
            .collect();
        match <[_; 1]>::try_from(pairs) {
            Ok([pair]) => Some(pair),
            Err(_) => None,
        }
    }

    /// Indexed values as links to the catalog's columns.
    fn place(&self, values: Vec<IndexedValue>) -> Vec<ValueLink> {
        values
            .into_iter()
            .filter_map(|v| {
                let column = *self.columns_by_name.get(&(v.table, v.column))?;
                Some(ValueLink { column, value: v.value })
            })
            .collect()
    }
}

/// First or last part of a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NamePart {
    First,
    Last,
}

/// Symbols that may stand inside a multi-word value ("AC/DC", "Guns N' Roses",
/// "St. Louis", "Coat (Black)"); a closing parenthesis may also end one.
const INNER_VALUE_SYMBOLS: &[&str] = &["/", "&", "-", "'", "’", ".", ":", "+", "(", ")"];

/// Whether a column named by `words` holds first or last names.
fn name_part(words: &[String]) -> Option<NamePart> {
    let has = |options: &[&str]| words.iter().any(|w| options.contains(&w.as_str()));
    if has(&["first", "given", "forename"]) {
        Some(NamePart::First)
    } else if has(&["last", "family", "surname"]) {
        Some(NamePart::Last)
    } else {
        None
    }
}

fn capitalized(token: &Token) -> bool {
    token.text.chars().next().is_some_and(char::is_uppercase)
}

fn item(kind: ItemKind, span: &[Token], synonym: bool) -> Item {
    let text = span.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
    Item { kind, text, synonym, touches_previous: false, also_action: false }
}

fn stems(words: &[String]) -> Vec<String> {
    words.iter().map(|w| stem(w)).collect()
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

/// A month name; "may" and "march" only next to a number or after "in"/"of"/"during".
fn month_at(tokens: &[Token], i: usize) -> Option<u32> {
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
fn reports_at(tokens: &[Token], i: usize) -> Option<usize> {
    let next = tokens.get(i + 1).map(|t| t.lower.as_str());
    match (tokens[i].lower.as_str(), next) {
        ("direct", Some("reports" | "report")) => Some(2),
        ("subordinates" | "subordinate", _) => Some(1),
        _ => None,
    }
}

/// A quarter at `i` and how many tokens it spans: "Q3", "third quarter", "3rd quarter".
fn quarter_at(tokens: &[Token], i: usize) -> Option<(usize, u32)> {
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
fn period_over_period_at(tokens: &[Token], i: usize) -> Option<(usize, bool)> {
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

/// Stems of column-name prefixes and role names, for verbs (see [`Linker`]).
fn verb_targets(catalog: &Catalog) -> Vec<String> {
    let mut targets: Vec<String> = Vec::new();
    for table in 0..catalog.tables.len() {
        for column in catalog.column_ids(table) {
            let words = &catalog.column(column).words;
            if words.len() > 1 && !catalog.column(column).audit {
                targets.push(stem(&words[0]));
            }
        }
        for role in foreign_key_roles(catalog, table).into_values() {
            if let Role::Named { words, .. } = role
                && let Some(first) = words.first()
            {
                targets.push(stem(first));
            }
        }
    }
    targets.sort();
    targets.dedup();
    targets
}

/// A many-to-many link table's name means the table it links to that its
/// name ends with: "film categories" are categories, "book authors" authors.
fn link_table_head(catalog: &Catalog, table: TableId) -> Option<TableId> {
    if !catalog.tables[table].link {
        return None;
    }
    let last = stem(catalog.tables[table].words.last()?);
    catalog.schema.tables[table].foreign_keys.iter().find_map(|fk| {
        let referenced =
            catalog.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(&fk.referenced_table))?;
        let words = &catalog.tables[referenced].words;
        (words.last().map(|w| stem(w)) == Some(last.clone())).then_some(referenced)
    })
}

/// How a foreign-key column is named.
enum Role {
    /// After the table it references (`ArtistId` -> `Artist`): the table name links instead.
    Plain,
    /// After a role (`SupportRepId`, `manager_id`, `ReportsTo`).
    Named { fk: ForeignKeyId, referenced: TableId, words: Vec<String> },
}

/// Single-column foreign keys of a table, by column position.
fn foreign_key_roles(catalog: &Catalog, table: TableId) -> HashMap<usize, Role> {
    let mut roles = HashMap::new();
    let schema_table = &catalog.schema.tables[table];
    for (index, fk) in schema_table.foreign_keys.iter().enumerate() {
        let [column_name] = fk.columns.as_slice() else { continue };
        let Some(column) = schema_table.columns.iter().position(|c| &c.name == column_name) else { continue };
        let Some(referenced) = catalog.referenced_table(ForeignKeyId { table, index }) else { continue };
        let role = match catalog.role_words(ForeignKeyId { table, index }) {
            None => Role::Plain,
            Some(words) => Role::Named { fk: ForeignKeyId { table, index }, referenced, words },
        };
        roles.insert(column, role);
    }
    roles
}

/// Links for a glossary target: `Table`, `Table.Column`, or a column name found in any table.
fn glossary_links(catalog: &Catalog, target: &str) -> Vec<Link> {
    let table_named = |name: &str| catalog.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(name));
    let column_of = |table: TableId, name: &str| {
        catalog.schema.tables[table].columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)).map(|column| {
            let id = ColumnId { table, column };
            let date = catalog.column(id).kind == ValueKind::Date;
            Link::Column(ColumnLink { column: id, fit: Fit::Exact, date })
        })
    };
    if let Some((table, column)) = target.split_once('.')
        && let Some(table) = table_named(table)
    {
        return column_of(table, column).into_iter().collect();
    }
    if let Some(table) = table_named(target) {
        return vec![Link::Table(EntityLink { table, role: None })];
    }
    (0..catalog.tables.len()).filter_map(|table| column_of(table, target)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::offline::fixtures::{column_id, indexed_shop_catalog, link, shop_catalog, table_id};

    fn kinds(question: &str) -> Vec<ItemKind> {
        link(question, &[]).into_iter().map(|item| item.kind).collect()
    }

    fn entity(table: &str) -> ItemKind {
        ItemKind::Entity(vec![EntityLink { table: table_id(&shop_catalog(), table), role: None }])
    }

    fn exact(table: &str, column: &str, date: bool) -> ColumnLink {
        ColumnLink { column: column_id(&shop_catalog(), table, column), fit: Fit::Exact, date }
    }

    #[test]
    fn tables_link_through_plurals_and_split_names() {
        assert_eq!(kinds("customers"), [entity("customer")]);
        assert_eq!(kinds("order items"), [entity("order_item")]);
        assert_eq!(kinds("Categories"), [entity("category")]);
        assert_eq!(kinds("the orders"), [entity("orders")]);
    }

    #[test]
    fn columns_link_whole_without_table_prefix_by_head_and_by_date_modifier() {
        assert_eq!(kinds("full names"), [ItemKind::Attribute(vec![exact("customer", "full_name", false)])]);
        assert_eq!(kinds("hire date"), [ItemKind::Attribute(vec![exact("employee", "hire_date", true)])]);
        assert_eq!(kinds("hired"), [ItemKind::Attribute(vec![exact("employee", "hire_date", true)])]);
        let ItemKind::Attribute(dates) = &kinds("date")[0] else { panic!("date is a column") };
        assert!(dates.contains(&exact("orders", "order_date", true)), "order_date without its table's prefix");
        let ItemKind::Attribute(prices) = &kinds("price")[0] else { panic!("price is a column") };
        let tables: Vec<usize> = prices.iter().map(|c| c.column.table).collect();
        let catalog = shop_catalog();
        assert_eq!(tables, [table_id(&catalog, "order_item"), table_id(&catalog, "product")]);
        assert!(prices.iter().all(|c| c.fit == Fit::Head));
    }

    #[test]
    fn foreign_keys_named_for_a_role_link_the_referenced_table_as_that_role() {
        let catalog = shop_catalog();
        let employee = table_id(&catalog, "employee");
        let manager = EntityLink { table: employee, role: Some(ForeignKeyId { table: employee, index: 0 }) };
        assert_eq!(kinds("managers"), [ItemKind::Entity(vec![manager])]);
        assert_eq!(kinds("customer id"), [ItemKind::Attribute(vec![exact("customer", "customer_id", false)])]);
    }

    #[test]
    fn synonyms_apply_only_when_nothing_matches_directly() {
        let items = link("clients and staff", &[]);
        assert_eq!(items[0].kind, entity("customer"));
        assert!(items[0].synonym);
        assert_eq!(items[2].kind, entity("employee"));
        assert!(!link("customers", &[])[0].synonym);
    }

    #[test]
    fn glossary_words_link_tables_and_columns() {
        let glossary = [("regulars", "customer"), ("region", "customer.country"), ("price tag", "unit_price")];
        let items = link("regulars per region", &glossary);
        assert_eq!(items[0].kind, entity("customer"));
        assert_eq!(items[2].kind, ItemKind::Attribute(vec![exact("customer", "country", false)]));
        let ItemKind::Attribute(columns) = &link("price tag", &glossary)[0].kind else { panic!("a column") };
        assert_eq!(columns.len(), 2, "a bare column name links it in every table");
        assert_eq!(kinds("regulars"), [ItemKind::Unknown], "without the glossary");
    }

    #[test]
    fn coded_values_link_from_the_words_for_them_only_in_their_columns() {
        let catalog = crate::synth::offline::fixtures::coded_catalog();
        let linker = Linker::new(&catalog, &BTreeMap::new());
        let values = |question: &str| -> Vec<String> {
            linker
                .link(&tokenize(question))
                .into_iter()
                .flat_map(|item| match item.kind {
                    ItemKind::Value(links) => links.into_iter().map(|l| l.value).collect(),
                    _ => Vec::new(),
                })
                .collect()
        };
        assert_eq!(values("How many patients are female?"), ["F"]);
        assert_eq!(values("number of women"), ["F"]);
        assert_eq!(values("male patients"), ["M"]);
        assert!(values("patients with blood type AB").contains(&"AB".to_string()));
    }

    #[test]
    fn values_link_sampled_words_quoted_strings_and_multiword_values() {
        let catalog = shop_catalog();
        let value = |table: &str, column: &str, v: &str| ValueLink {
            column: column_id(&catalog, table, column),
            value: v.into(),
        };
        assert_eq!(kinds("in United Kingdom"), [ItemKind::Value(vec![value("customer", "country", "United Kingdom")])]);
        assert_eq!(kinds("'brazil'"), [ItemKind::Value(vec![value("customer", "country", "Brazil")])]);
        assert_eq!(kinds("shipped orders")[0], ItemKind::Value(vec![value("orders", "status", "shipped")]));
        assert_eq!(kinds("'Atlantis'"), [ItemKind::Quoted("Atlantis".into())]);
        assert_eq!(kinds("Atlantis"), [ItemKind::Unknown]);
    }

    #[test]
    fn numbers_months_and_keywords_link_as_such() {
        assert_eq!(kinds("top 5"), [ItemKind::Keyword(Keyword::Top { descending: true }), ItemKind::Number(5.0)]);
        assert_eq!(kinds("in March 2021"), [ItemKind::Month(3), ItemKind::Number(2021.0)]);
        assert_eq!(kinds("may"), [ItemKind::Unknown], "'may' is a month only next to a year");
        assert_eq!(kinds("how many"), [ItemKind::Keyword(Keyword::Count)]);
        assert!(matches!(kinds("total")[0], ItemKind::KeywordOrAttribute(Keyword::Sum, _)));
        assert_eq!(kinds("revenue"), [ItemKind::Concept(Concept::Money)]);
        assert_eq!(kinds("customers named"), [entity("customer"), ItemKind::Keyword(Keyword::Named)]);
    }

    #[test]
    fn write_requests_relative_dates_and_unknown_words_are_marked() {
        assert_eq!(kinds("delete customers")[0], ItemKind::Keyword(Keyword::Write));
        assert_eq!(kinds("please add a customer")[0], ItemKind::Keyword(Keyword::Write));
        assert_eq!(kinds("orders last year")[1], ItemKind::Keyword(Keyword::RelativeTime));
        assert_eq!(kinds("the loyalty of the customers"), [ItemKind::Unknown, entity("customer")]);
        assert!(kinds("what are the").iter().all(|k| *k == ItemKind::Keyword(Keyword::Which)));
    }

    /// The values (column name, value) each item links, over the indexed shop.
    fn indexed_values(question: &str) -> Vec<Vec<(String, String)>> {
        let catalog = indexed_shop_catalog();
        let linker = Linker::new(&catalog, &BTreeMap::new());
        linker
            .link(&tokenize(question))
            .into_iter()
            .filter_map(|item| match item.kind {
                ItemKind::Value(links) => Some(
                    links
                        .into_iter()
                        .map(|l| {
                            (
                                format!("{}.{}", catalog.table_name(l.column.table), catalog.column_name(l.column)),
                                l.value,
                            )
                        })
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    }

    fn one(column: &str, value: &str) -> Vec<(String, String)> {
        vec![(column.to_string(), value.to_string())]
    }

    #[test]
    fn indexed_multiword_names_link_exactly_after_folding_case_and_accents() {
        assert_eq!(indexed_values("orders of Jimi Hendrix"), [one("customer.full_name", "Jimi Hendrix")]);
        assert_eq!(indexed_values("orders by jimi hendrix"), [one("customer.full_name", "Jimi Hendrix")]);
        assert_eq!(indexed_values("Jimi Hendrix's orders"), [one("customer.full_name", "Jimi Hendrix")]);
        assert_eq!(indexed_values("orders of ZOE UNAL"), [one("customer.full_name", "Zoë Ünal")]);
        assert_eq!(indexed_values("orders of Anna Maria Rossi"), [one("customer.full_name", "Anna Maria Rossi")]);
    }

    #[test]
    fn a_near_name_or_a_part_of_a_name_is_never_a_value() {
        assert!(indexed_values("orders of Jimi Hendrx").is_empty(), "no fuzzy match becomes a filter");
        assert!(indexed_values("orders of Hendrix").is_empty(), "a part of a value is not the value");
        assert!(indexed_values("orders of Jimi").is_empty());
    }

    #[test]
    fn indexed_values_spelled_as_ordinary_words_do_not_link() {
        assert!(indexed_values("how many products do customers love").is_empty(), "lower case single word");
        assert!(indexed_values("Love songs").is_empty(), "capitalized only because it starts the sentence");
        assert_eq!(indexed_values("products like Love"), [one("product.name", "Love")]);
        assert!(indexed_values("list the trooper").is_empty(), "starts with a function word in lower case");
        assert_eq!(indexed_values("orders of The Trooper"), [one("product.name", "The Trooper")]);
        assert_eq!(indexed_values("sales of garden hose"), [one("product.name", "Garden Hose")]);
    }

    #[test]
    fn a_single_indexed_word_links_every_column_holding_it_and_quoted_values_are_looked_up() {
        let harris = indexed_values("employees called Harris");
        assert_eq!(harris.len(), 1);
        assert_eq!(harris[0].len(), 2, "first and last name both hold Harris: {harris:?}");
        assert_eq!(indexed_values("employees called Nancy"), [one("employee.first_name", "Nancy")]);
        assert_eq!(indexed_values("orders of 'jimi hendrix'"), [one("customer.full_name", "Jimi Hendrix")]);
    }

    #[test]
    fn a_full_name_over_first_and_last_name_columns_links_both_parts() {
        assert_eq!(
            indexed_values("customers of Frank Harris"),
            [one("employee.first_name", "Frank"), one("employee.last_name", "Harris")]
        );
        assert_eq!(
            indexed_values("Nancy Edwards hired whom"),
            [one("employee.first_name", "Nancy"), one("employee.last_name", "Edwards")],
            "sentence-initial, because the pair is a name"
        );
        assert_eq!(
            indexed_values("customers of Frank Edward"),
            [one("employee.first_name", "Frank")],
            "no last name Edward: only the first name links, Edward stays unknown"
        );
    }

    #[test]
    fn a_key_named_apart_from_its_table_names_the_rows() {
        use crate::dialect::Dialect;
        use crate::plan::schema::DatabaseSchema;
        use crate::synth::offline::fixtures::{column, fk, table};
        let tables = vec![
            table("orders", vec![column("order_id", "integer", &[])], &["order_id"], vec![]),
            table(
                "order_items",
                vec![column("order_id", "integer", &[]), column("line_item_id", "integer", &[])],
                &["order_id", "line_item_id"],
                vec![fk("order_id", "orders", "order_id")],
            ),
        ];
        let catalog = Catalog::new(&DatabaseSchema::new("t", Dialect::Sqlite, tables));
        let items = Linker::new(&catalog, &BTreeMap::new()).link(&tokenize("line items"));
        let order_items = table_id(&catalog, "order_items");
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0].kind, ItemKind::Entity(vec![EntityLink { table: order_items, role: None }]));
    }

    #[test]
    fn a_plural_names_a_value_stored_in_the_singular() {
        assert_eq!(indexed_values("how many garden hoses"), [one("product.name", "Garden Hose")]);
    }
}
