//! Building the linking index of one schema: table and column names by their
//! stemmed words, roles, glossary words, and sampled values (see the parent
//! module for what links).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::values::{NamePart, name_part};
use super::*;
use crate::synth::offline::catalog::{Catalog, ValueKind};
use crate::synth::offline::tokens::tokenize;
use crate::synth::offline::vocabulary::CODED_VALUES;

/// Last words of two-word column names that only say the first word's unit
/// (`commission_pct`, `discount_rate`).
const UNIT_HEADS: &[&str] = &["pct", "percent", "percentage", "rate", "amt"];

/// Last words of two-word column names that only say the first word's form
/// (`web_address`, `phone_number`).
const FORM_HEADS: &[&str] = &["address", "addr", "number", "no", "num", "url", "link"];

/// Last words of column names too vague to link a column on their own.
const WEAK_HEADS: &[&str] = &["id", "at", "on", "by", "to", "of", "in", "no", "num", "code", "key", "flag", "year"];

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
            stock_levels: (0..catalog.tables.len())
                .filter_map(|table| catalog.own_measure(table).map(|column| (table, column)))
                .collect(),
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
            let flag = catalog.column(column).flag;
            let exact = |column| Link::Column(ColumnLink { column, fit: Fit::Exact, date, flag });
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
            // "surname" for `last_name`, "forename" for `first_name`.
            let one_word_names: &[&str] = match name_part(words) {
                Some(NamePart::First) => &["forename", "firstname"],
                Some(NamePart::Last) => &["surname", "lastname"],
                None => &[],
            };
            for name in one_word_names {
                self.add_phrase(vec![stem(name)], exact(column));
            }
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
                let link = Link::Column(ColumnLink { column, fit: Fit::Head, date, flag });
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
}

pub(super) fn stems(words: &[String]) -> Vec<String> {
    words.iter().map(|w| stem(w)).collect()
}

/// Stems of column-name prefixes and role names, for verbs (see [`Linker`]).
pub(super) fn verb_targets(catalog: &Catalog) -> Vec<String> {
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
pub(super) fn link_table_head(catalog: &Catalog, table: TableId) -> Option<TableId> {
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
pub(super) enum Role {
    /// After the table it references (`ArtistId` -> `Artist`): the table name links instead.
    Plain,
    /// After a role (`SupportRepId`, `manager_id`, `ReportsTo`).
    Named { fk: ForeignKeyId, referenced: TableId, words: Vec<String> },
}

/// Single-column foreign keys of a table, by column position.
pub(super) fn foreign_key_roles(catalog: &Catalog, table: TableId) -> HashMap<usize, Role> {
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
pub(super) fn glossary_links(catalog: &Catalog, target: &str) -> Vec<Link> {
    let table_named = |name: &str| catalog.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(name));
    let column_of = |table: TableId, name: &str| {
        catalog.schema.tables[table].columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)).map(|column| {
            let id = ColumnId { table, column };
            let date = catalog.column(id).kind == ValueKind::Date;
            let flag = catalog.column(id).flag;
            Link::Column(ColumnLink { column: id, fit: Fit::Exact, date, flag })
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
