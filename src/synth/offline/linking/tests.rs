//! How questions link: tables, columns, roles, synonyms, glossary words,
//! sampled and indexed values, numbers, months and keywords.

use std::collections::BTreeMap;

use super::*;
use crate::synth::offline::catalog::Catalog;
use crate::synth::offline::fixtures::{column_id, indexed_shop_catalog, link, shop_catalog, table_id};
use crate::synth::offline::tokens::tokenize;
use crate::synth::offline::vocabulary::{DateUnit, RelativeSpan};

fn kinds(question: &str) -> Vec<ItemKind> {
    link(question, &[]).into_iter().map(|item| item.kind).collect()
}

fn entity(table: &str) -> ItemKind {
    ItemKind::Entity(vec![EntityLink { table: table_id(&shop_catalog(), table), role: None }])
}

fn exact(table: &str, column: &str, date: bool) -> ColumnLink {
    ColumnLink { column: column_id(&shop_catalog(), table, column), fit: Fit::Exact, date, flag: false }
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
    let value =
        |table: &str, column: &str, v: &str| ValueLink { column: column_id(&catalog, table, column), value: v.into() };
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
    assert_eq!(kinds("orders next year")[1], ItemKind::Keyword(Keyword::RelativeTime));
    let last_year = RelativeSpan { unit: DateUnit::Year, from: -1, until: Some(0), calendar: true };
    assert_eq!(kinds("orders last year")[1], ItemKind::Keyword(Keyword::Relative(last_year)));
    let past_days = RelativeSpan { unit: DateUnit::Day, from: -30, until: None, calendar: false };
    assert_eq!(kinds("orders in the past 30 days")[1], ItemKind::Keyword(Keyword::Relative(past_days)));
    let two_weeks = RelativeSpan { unit: DateUnit::Day, from: -14, until: None, calendar: false };
    assert_eq!(kinds("orders in the last 2 weeks")[1], ItemKind::Keyword(Keyword::Relative(two_weeks)));
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
                        (format!("{}.{}", catalog.table_name(l.column.table), catalog.column_name(l.column)), l.value)
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
