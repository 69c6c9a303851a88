//! What the offline synthesizer knows about each table and column, derived once
//! from the introspected schema: the words of every name, which columns hold
//! numbers, text or dates, the key, the columns a person would call the row's
//! name, and which columns measure money, prices, durations and sizes.
//!
//! Invariants: tables and columns are addressed by their position in the
//! schema ([`TableId`], [`ColumnId`]), and SQL always uses the schema's exact
//! spelling of a name. Nothing here depends on any particular database.

use crate::dialect::Dialect;
use crate::plan::schema::DatabaseSchema;

use super::tokens::{split_identifier, stem};
use super::vocabulary::{Concept, QUANTITY_WORDS, STOCK_LEVEL_WORDS, STOCK_WORDS};

/// A table, by position in [`DatabaseSchema::tables`].
pub(crate) type TableId = usize;

/// A column, by table and position in [`crate::plan::schema::Table::columns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ColumnId {
    pub table: TableId,
    pub column: usize,
}

/// A foreign key, by holding table and position in its `foreign_keys`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ForeignKeyId {
    pub table: TableId,
    pub index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Number,
    Text,
    Date,
    Other,
}

/// A number a question can aggregate, compare or rank by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum NumericExpr {
    Column(ColumnId),
    /// price x quantity on one row: money for line-item tables.
    Product(ColumnId, ColumnId),
}

impl NumericExpr {
    pub(crate) fn table(self) -> TableId {
        match self {
            NumericExpr::Column(c) | NumericExpr::Product(c, _) => c.table,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnFacts {
    pub words: Vec<String>,
    pub kind: ValueKind,
    pub concepts: Vec<Concept>,
    /// Part of a foreign key of its table.
    pub in_foreign_key: bool,
    /// The table's single-column primary key.
    pub is_key: bool,
    /// A number that holds a calendar year (`release_year`, `year`): "released
    /// in 2006" compares it with the year itself.
    pub year: bool,
    /// Bookkeeping rather than data: when the row was last touched
    /// (`last_update`, `modified_at`), or when it was created (`created_at`)
    /// while the table has another date. Never a label, never the date a
    /// question means unless it names it.
    pub audit: bool,
    /// A yes/no column: boolean, or a whole number named like an adjective
    /// (`discontinued`, `active`, `is_member`). "discontinued products" are
    /// those where it is set; it is never a measure.
    pub flag: bool,
}

impl ColumnFacts {
    /// True for a column a question may total, average or compare: not a key,
    /// not a foreign key, not an audit column.
    pub(crate) fn measurable(&self) -> bool {
        !self.is_key && !self.in_foreign_key && !self.audit && !self.flag && !is_identifier_name(&self.words)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TableFacts {
    pub words: Vec<String>,
    pub columns: Vec<ColumnFacts>,
    /// The primary key when it is a single column.
    pub key: Option<usize>,
    /// The columns a person would call this row's name, in display order.
    pub labels: Vec<usize>,
    /// A many-to-many link (`film_actor`, `product_tag`): two or more foreign
    /// keys and nothing else but its key and audit columns. Never the subject
    /// of a list; its name means the table it links to.
    pub link: bool,
}

/// The schema plus everything derived from it for linking and SQL generation.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub schema: DatabaseSchema,
    pub tables: Vec<TableFacts>,
}

impl Catalog {
    pub(crate) fn new(schema: &DatabaseSchema) -> Catalog {
        let tables = schema.tables.iter().map(|table| table_facts(schema.dialect, table)).collect();
        Catalog { schema: schema.clone(), tables }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.schema.dialect
    }

    pub(crate) fn table_name(&self, table: TableId) -> &str {
        &self.schema.tables[table].name
    }

    pub(crate) fn column_name(&self, column: ColumnId) -> &str {
        &self.schema.tables[column.table].columns[column.column].name
    }

    pub(crate) fn column(&self, column: ColumnId) -> &ColumnFacts {
        &self.tables[column.table].columns[column.column]
    }

    /// `Table.Column`, for abstention reasons.
    pub(crate) fn describe(&self, column: ColumnId) -> String {
        format!("{}.{}", self.table_name(column.table), self.column_name(column))
    }

    pub(crate) fn column_ids(&self, table: TableId) -> impl Iterator<Item = ColumnId> + '_ {
        (0..self.tables[table].columns.len()).map(move |column| ColumnId { table, column })
    }

    pub(crate) fn key(&self, table: TableId) -> Option<ColumnId> {
        self.tables[table].key.map(|column| ColumnId { table, column })
    }

    pub(crate) fn labels(&self, table: TableId) -> Vec<ColumnId> {
        self.tables[table].labels.iter().map(|&column| ColumnId { table, column }).collect()
    }

    /// Columns that identify and describe a row: the key, then the name-like
    /// columns; for a table without names, its first date and money columns.
    pub(crate) fn display_columns(&self, table: TableId) -> Vec<ColumnId> {
        let mut columns: Vec<ColumnId> = self.key(table).into_iter().collect();
        let labels = self.labels(table);
        if labels.is_empty() {
            let first_with = |wanted: &dyn Fn(&ColumnFacts) -> bool| {
                self.column_ids(table)
                    .find(|&c| !self.column(c).in_foreign_key && !self.column(c).audit && wanted(self.column(c)))
            };
            columns.extend(first_with(&|c| c.kind == ValueKind::Date));
            columns.extend(first_with(&|c| c.concepts.contains(&Concept::Money)));
        } else {
            columns.extend(labels);
        }
        columns.dedup();
        columns
    }

    /// Numbers that measure `concept`, in order of preference: plain columns
    /// before price x quantity products.
    pub(crate) fn measures_of(&self, concept: Concept) -> Vec<NumericExpr> {
        let mut measures: Vec<NumericExpr> = (0..self.tables.len())
            .flat_map(|t| self.column_ids(t))
            .filter(|&c| self.column(c).concepts.contains(&concept))
            .map(NumericExpr::Column)
            .collect();
        if concept == Concept::Money {
            measures.extend(self.line_amounts());
        }
        measures
    }

    /// price x quantity for every table with exactly one of each.
    fn line_amounts(&self) -> Vec<NumericExpr> {
        let mut amounts = Vec::new();
        for table in 0..self.tables.len() {
            let numeric = |c: &ColumnId| self.column(*c).kind == ValueKind::Number && !self.column(*c).in_foreign_key;
            let prices: Vec<ColumnId> = self
                .column_ids(table)
                .filter(numeric)
                .filter(|&c| self.column(c).concepts.contains(&Concept::Price))
                .collect();
            let quantities: Vec<ColumnId> = self
                .column_ids(table)
                .filter(numeric)
                .filter(|&c| {
                    let words = &self.column(c).words;
                    words.iter().any(|w| QUANTITY_WORDS.contains(&w.as_str()))
                        && !words.iter().any(|w| STOCK_WORDS.contains(&w.as_str()))
                })
                .collect();
            if let ([price], [quantity]) = (prices.as_slice(), quantities.as_slice()) {
                amounts.push(NumericExpr::Product(*price, *quantity));
            }
        }
        amounts
    }

    /// True when the rows of `part` are parts of rows of `whole`: it refers
    /// to `whole` and is named after it (`order_items` of `orders`,
    /// `InvoiceLine` of `Invoice`), so "the total of the orders" may add up
    /// its amounts. A table that merely refers to another (`fine` to `loan`)
    /// is not a part of it.
    pub(crate) fn is_part_of(&self, part: TableId, whole: TableId) -> bool {
        let refers = self.schema.tables[part]
            .foreign_keys
            .iter()
            .any(|fk| fk.referenced_table.eq_ignore_ascii_case(&self.schema.tables[whole].name));
        let stems = |t: TableId| self.tables[t].words.iter().map(|w| stem(w)).collect::<Vec<String>>();
        let (part_words, whole_words) = (stems(part), stems(whole));
        refers && part != whole && whole_words.iter().all(|w| part_words.contains(w))
    }

    /// The table a foreign key references.
    pub(crate) fn referenced_table(&self, fk: ForeignKeyId) -> Option<TableId> {
        let name = &self.schema.tables[fk.table].foreign_keys[fk.index].referenced_table;
        self.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// True when a column of the foreign key may be NULL (an optional relationship).
    pub(crate) fn optional(&self, fk: ForeignKeyId) -> bool {
        let table = &self.schema.tables[fk.table];
        table.foreign_keys[fk.index].columns.iter().any(|c| table.column(c).is_none_or(|c| c.nullable))
    }

    /// The role a single-column foreign key is named for (`support_rep_id` ->
    /// "support rep", `manager_id`, `ReportsTo`), or `None` when it is named
    /// after the table or column it references (`ArtistId` -> `Artist`), which
    /// is the plain way to join the two tables.
    pub(crate) fn role_words(&self, fk: ForeignKeyId) -> Option<Vec<String>> {
        let key = &self.schema.tables[fk.table].foreign_keys[fk.index];
        let ([column_name], [referenced_column]) = (key.columns.as_slice(), key.referenced_columns.as_slice()) else {
            return None;
        };
        let referenced = self.referenced_table(fk)?;
        let column = self.schema.tables[fk.table].columns.iter().position(|c| &c.name == column_name)?;
        let words = &self.tables[fk.table].columns[column].words;
        let role_words: Vec<String> = match words.split_last() {
            Some((last, rest)) if last == "id" && !rest.is_empty() => rest.to_vec(),
            _ => words.clone(),
        };
        let stems = |ws: &[String]| -> Vec<String> { ws.iter().map(|w| stem(w)).collect() };
        let plain = referenced != fk.table
            && (stems(&role_words) == stems(&self.tables[referenced].words)
                || stems(words) == stems(&split_identifier(referenced_column)) && words.len() > 1);
        (!plain).then_some(role_words)
    }

    /// The number a table's rows hold of what the table is about: its one
    /// measurable number column named after the table or after stock on hand
    /// (`inventory.product_inventory`, `product.units_in_stock`). "How much
    /// stock", "the total inventory" total it.
    pub(crate) fn own_measure(&self, table: TableId) -> Option<ColumnId> {
        let table_stems: Vec<String> = self.tables[table].words.iter().map(|w| stem(w)).collect();
        let own: Vec<ColumnId> = self
            .column_ids(table)
            .filter(|&c| {
                let facts = self.column(c);
                facts.kind == ValueKind::Number
                    && facts.measurable()
                    && facts
                        .words
                        .iter()
                        .any(|w| STOCK_LEVEL_WORDS.contains(&w.as_str()) || table_stems.contains(&stem(w)))
            })
            .collect();
        match own.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Date columns of a table that a question can mean without naming them (not audit columns).
    pub(crate) fn date_columns(&self, table: TableId) -> Vec<ColumnId> {
        self.column_ids(table).filter(|&c| self.column(c).kind == ValueKind::Date && !self.column(c).audit).collect()
    }
}

fn table_facts(dialect: Dialect, table: &crate::plan::schema::Table) -> TableFacts {
    let words = split_identifier(bare_name(&table.name));
    let columns: Vec<ColumnFacts> = table
        .columns
        .iter()
        .map(|column| {
            let words = split_identifier(&column.name);
            let in_foreign_key = table.foreign_keys.iter().any(|fk| fk.columns.iter().any(|c| c == &column.name));
            let is_key = table.primary_key.len() == 1 && table.primary_key[0] == column.name;
            let kind = value_kind(dialect, &column.data_type, &words);
            let concepts = if kind == ValueKind::Date {
                vec![Concept::When]
            } else if kind == ValueKind::Number && !in_foreign_key && !is_key {
                let fractional = is_fractional(&column.data_type);
                [Concept::Money, Concept::Price, Concept::Duration, Concept::Size]
                    .into_iter()
                    .filter(|concept| words.iter().any(|w| concept.column_words().contains(&w.as_str())))
                    .filter(|concept| *concept != Concept::Money || fractional || names_money(&words))
                    .collect()
            } else {
                Vec::new()
            };
            let year = kind == ValueKind::Number && !in_foreign_key && words.last().is_some_and(|w| w == "year");
            let flag = !in_foreign_key && !is_key && is_flag(&column.data_type, kind, &words);
            ColumnFacts { words, kind, concepts, in_foreign_key, is_key, year, audit: false, flag }
        })
        .collect();
    let mut columns = columns;
    let other_dates = |i: usize| {
        columns.iter().enumerate().any(|(j, c)| j != i && c.kind == ValueKind::Date && audit_kind(&c.words).is_none())
    };
    let audits: Vec<bool> = (0..columns.len())
        .map(|i| match audit_kind(&columns[i].words) {
            Some(Audit::Touched) => true,
            Some(Audit::Created) => other_dates(i),
            None => false,
        })
        .collect();
    for (column, audit) in columns.iter_mut().zip(audits) {
        column.audit = audit;
    }
    let key = match table.primary_key.as_slice() {
        [single] => table.columns.iter().position(|c| &c.name == single),
        _ => None,
    };
    let labels = label_columns(&words, &columns);
    let link = is_link_table(table, &columns);
    TableFacts { words, columns, key, labels, link }
}

/// Two or more foreign keys and no column besides them, the key and audit columns.
fn is_link_table(table: &crate::plan::schema::Table, columns: &[ColumnFacts]) -> bool {
    table.foreign_keys.len() >= 2
        && columns.iter().all(|c| c.in_foreign_key || c.is_key || c.audit || audit_kind(&c.words).is_some())
}

/// The two kinds of bookkeeping column.
enum Audit {
    /// When the row was last changed: never data.
    Touched,
    /// When the row was created: the event date when the table has no other.
    Created,
}

/// `last_update`, `updated_at`, `modified_on`, `last_modified`: touched;
/// `created_at`, `date_created`, `inserted_at`: created.
fn audit_kind(words: &[String]) -> Option<Audit> {
    let has = |w: &str| words.iter().any(|x| x == w);
    let touched = ["updated", "modified", "changed", "rowversion", "etl"].iter().any(|w| has(w))
        || (has("last") && (has("update") || has("modified") || has("change")))
        || words.first().is_some_and(|w| w == "update" || w == "modify");
    if touched {
        return Some(Audit::Touched);
    }
    (["created", "inserted", "creation"].iter().any(|w| has(w))).then_some(Audit::Created)
}

/// `id`, `..._id`, `..._key`, `..._no`: a number that identifies, never one that measures.
fn is_identifier_name(words: &[String]) -> bool {
    words.last().is_some_and(|w| matches!(w.as_str(), "id" | "key" | "uuid" | "guid"))
}

/// A table's name without its schema (`sales.orders` -> `orders`): PostgreSQL
/// names tables outside the current schema `schema.table`.
pub(crate) fn bare_name(table: &str) -> &str {
    table.rsplit_once('.').map_or(table, |(_, bare)| bare)
}

/// Decimal and floating-point types: how money is stored (an integer
/// "total" is more likely a count, such as `total_pages`).
fn is_fractional(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    ["numeric", "decimal", "money", "real", "double", "float", "number"].iter().any(|n| t.contains(n))
}

/// Words that say money whatever the storage type.
fn names_money(words: &[String]) -> bool {
    words.iter().any(|w| {
        matches!(w.as_str(), "revenue" | "sales" | "income" | "payment" | "paid" | "amount" | "salary" | "wage")
    })
}

/// A yes/no column: a boolean type (`boolean`, `bit`, MySQL's `tinyint(1)`),
/// or a whole number whose name is one adjective (`discontinued`, `active`,
/// `available`) or a question (`is_active`, `has_discount`).
fn is_flag(data_type: &str, kind: ValueKind, words: &[String]) -> bool {
    let t = data_type.to_ascii_lowercase();
    if t.contains("bool") || t == "bit" || t == "bit(1)" || t == "tinyint(1)" {
        return true;
    }
    let whole = kind == ValueKind::Number && !is_fractional(data_type);
    let adjective =
        |w: &str| ["ed", "ive", "able", "ible"].iter().any(|end| w.len() > end.len() + 2 && w.ends_with(end));
    whole
        && match words {
            [word] => adjective(word),
            [first, ..] => matches!(first.as_str(), "is" | "has" | "can"),
            [] => false,
        }
}

/// What kind of value a column holds, from its declared type (and, for
/// SQLite, whose dates are text, from a name containing "date").
pub(crate) fn value_kind(dialect: Dialect, data_type: &str, words: &[String]) -> ValueKind {
    let t = data_type.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    let named_date = words.iter().any(|w| w == "date");
    if has(&["date", "timestamp"]) {
        ValueKind::Date
    } else if has(&["int", "numeric", "decimal", "real", "double", "float", "money", "number", "serial"]) {
        ValueKind::Number
    } else if has(&["char", "text", "clob", "string", "enum"]) {
        if dialect == Dialect::Sqlite && named_date { ValueKind::Date } else { ValueKind::Text }
    } else if t.is_empty() && dialect == Dialect::Sqlite && named_date {
        ValueKind::Date
    } else {
        ValueKind::Other
    }
}

/// Name-like columns: a column called "name" (or "<table> name"); else a
/// first-name/last-name pair; else "title" or "label"; else the first "... name" column;
/// else a "description" column, after a "... code" column when there is one.
fn label_columns(table_words: &[String], columns: &[ColumnFacts]) -> Vec<usize> {
    let text = |i: &usize| columns[*i].kind == ValueKind::Text && !columns[*i].in_foreign_key && !columns[*i].audit;
    let table_stems: Vec<String> = table_words.iter().map(|w| stem(w)).collect();
    let named = |noun: &str| {
        (0..columns.len()).filter(text).find(|&i| {
            let stems: Vec<String> = columns[i].words.iter().map(|w| stem(w)).collect();
            stems == [stem(noun)]
                || (stems.len() == table_stems.len() + 1
                    && stems.starts_with(&table_stems)
                    && stems.ends_with(&[stem(noun)]))
        })
    };
    if let Some(name) = named("name") {
        return vec![name];
    }
    // `country.country`, `city.city`: the column named like its table is its name.
    let stems_of = |i: usize| -> Vec<String> { columns[i].words.iter().map(|w| stem(w)).collect() };
    if let Some(own) = (0..columns.len()).filter(text).find(|&i| stems_of(i) == table_stems) {
        return vec![own];
    }
    let with_words = |first: &str| (0..columns.len()).filter(text).find(|&i| columns[i].words == [first, "name"]);
    if let (Some(first), Some(last)) = (with_words("first"), with_words("last")) {
        return vec![first, last];
    }
    for noun in ["title", "label"] {
        if let Some(column) = named(noun) {
            return vec![column];
        }
    }
    if let Some(name) = (0..columns.len()).filter(text).find(|&i| columns[i].words.last().is_some_and(|w| w == "name"))
    {
        return vec![name];
    }
    // Code tables (diagnoses, account charts): a row reads as its code and description.
    match named("description") {
        Some(description) => {
            let code = (0..columns.len()).filter(text).find(|&i| columns[i].words.last().is_some_and(|w| w == "code"));
            code.into_iter().chain([description]).collect()
        }
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| (*w).to_string()).collect()
    }

    #[test]
    fn types_are_classified_per_dialect() {
        assert_eq!(value_kind(Dialect::Postgres, "numeric(10,2)", &[]), ValueKind::Number);
        assert_eq!(value_kind(Dialect::MySql, "NVARCHAR(40)", &[]), ValueKind::Text);
        assert_eq!(value_kind(Dialect::Postgres, "timestamp without time zone", &[]), ValueKind::Date);
        assert_eq!(value_kind(Dialect::Sqlite, "DATETIME", &[]), ValueKind::Date);
        assert_eq!(value_kind(Dialect::Sqlite, "TEXT", &words(&["order", "date"])), ValueKind::Date);
        assert_eq!(value_kind(Dialect::Postgres, "text", &words(&["order", "date"])), ValueKind::Text);
        assert_eq!(value_kind(Dialect::Postgres, "bytea", &[]), ValueKind::Other);
    }

    fn facts(name: &str, kind: ValueKind) -> ColumnFacts {
        ColumnFacts {
            words: split_identifier(name),
            kind,
            concepts: vec![],
            in_foreign_key: false,
            is_key: false,
            year: false,
            audit: false,
            flag: false,
        }
    }

    #[test]
    fn money_is_a_decimal_amount_or_price_times_quantity_sold_never_stock() {
        let catalog = crate::synth::offline::fixtures::shop_catalog();
        let money: Vec<String> = catalog
            .measures_of(Concept::Money)
            .into_iter()
            .map(|m| match m {
                NumericExpr::Column(c) => catalog.describe(c),
                NumericExpr::Product(a, b) => format!("{} * {}", catalog.describe(a), catalog.column_name(b)),
            })
            .collect();
        assert_eq!(money, ["employee.salary", "orders.total", "order_item.unit_price * quantity"]);
        let integer_total = facts_with_type("total_pages", "integer");
        assert!(!integer_total.concepts.contains(&Concept::Money));
        assert!(facts_with_type("total", "numeric(10,2)").concepts.contains(&Concept::Money));
        assert!(facts_with_type("amount_cents", "bigint").concepts.contains(&Concept::Money));
    }

    fn facts_with_type(name: &str, data_type: &str) -> ColumnFacts {
        let table = crate::plan::schema::Table {
            name: "t".into(),
            columns: vec![crate::plan::schema::Column {
                name: name.into(),
                data_type: data_type.into(),
                nullable: false,
                sample_values: vec![],
            }],
            primary_key: vec![],
            foreign_keys: vec![],
            approx_rows: None,
        };
        table_facts(Dialect::Postgres, &table).columns.remove(0)
    }

    #[test]
    fn labels_prefer_name_then_person_names_then_title() {
        let table = words(&["employee"]);
        let person = [
            facts("EmployeeId", ValueKind::Number),
            facts("LastName", ValueKind::Text),
            facts("FirstName", ValueKind::Text),
            facts("Title", ValueKind::Text),
        ];
        assert_eq!(label_columns(&table, &person), [2, 1]);
        let album = [facts("album_id", ValueKind::Number), facts("title", ValueKind::Text)];
        assert_eq!(label_columns(&words(&["album"]), &album), [1]);
        let product =
            [facts("id", ValueKind::Number), facts("title", ValueKind::Text), facts("ProductName", ValueKind::Text)];
        assert_eq!(label_columns(&words(&["product"]), &product), [2]);
        assert_eq!(label_columns(&words(&["products"]), &product), [2], "table names may be plural");
        let company = [facts("id", ValueKind::Number), facts("contact_name", ValueKind::Text)];
        assert_eq!(label_columns(&words(&["supplier"]), &company), [1]);
        assert!(label_columns(&words(&["invoice"]), &[facts("total", ValueKind::Number)]).is_empty());
        let diagnosis = [
            facts("diagnosis_id", ValueKind::Number),
            facts("icd_code", ValueKind::Text),
            facts("description", ValueKind::Text),
        ];
        assert_eq!(
            label_columns(&words(&["diagnoses"]), &diagnosis),
            [1, 2],
            "code tables read as code and description"
        );
        let invoice = [facts("invoice_id", ValueKind::Number), facts("billing_postal_code", ValueKind::Text)];
        assert!(label_columns(&words(&["invoice"]), &invoice).is_empty(), "a code alone is no label");
    }

    #[test]
    fn line_tables_are_parts_of_the_table_they_are_named_after() {
        let shop = super::super::fixtures::shop_catalog();
        let id = |catalog: &Catalog, name: &str| catalog.schema.tables.iter().position(|t| t.name == name).unwrap();
        let (order, item, product) = (id(&shop, "orders"), id(&shop, "order_item"), id(&shop, "product"));
        assert!(shop.is_part_of(item, order));
        assert!(!shop.is_part_of(item, product), "a line refers to its product but is not part of it");
        assert!(!shop.is_part_of(order, item));
        let lending = Catalog::new(&super::super::fixtures::lending(Dialect::Postgres));
        assert!(
            !lending.is_part_of(id(&lending, "fine"), id(&lending, "loan")),
            "a fine refers to a loan, it is no part of one"
        );
    }
}
