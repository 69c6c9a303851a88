//! How the offline synthesizer reads roles and names over the indexed shop fixture
//! (`employee.manager_id`, names in the value index): whose role a value
//! is, "managed by", direct reports, and the readings that must stay right.

use std::collections::BTreeMap;

use super::OfflineSynthesizer;
use super::fixtures::indexed_shop;

fn sql(question: &str) -> String {
    OfflineSynthesizer::new(&indexed_shop(), &BTreeMap::new(), 0.6)
        .synthesize(question)
        .map(|a| a.sql)
        .unwrap_or_else(|a| panic!("{question}: {}", a.reason))
}

const MANAGER_JOIN: &str =
    r#"FROM "employee" JOIN "employee" AS "manager" ON "employee"."manager_id" = "manager"."employee_id""#;

#[test]
fn a_possessive_value_owns_the_role_after_it() {
    let manager = sql("Who is Nancy Edwards' manager?");
    assert!(manager.starts_with(r#"SELECT DISTINCT "manager"."employee_id""#), "{manager}");
    assert!(manager.contains(MANAGER_JOIN), "{manager}");
    assert!(
        manager.contains(r#"WHERE "employee"."first_name" = 'Nancy' AND "employee"."last_name" = 'Edwards'"#),
        "the filter is on the employee, not the manager: {manager}"
    );
}

#[test]
fn a_participle_of_a_role_then_by_filters_the_role() {
    let managed = sql("List the employees managed by Frank Harris");
    assert!(managed.starts_with(r#"SELECT "employee"."employee_id""#), "{managed}");
    assert!(
        managed.contains(r#"WHERE "manager"."first_name" = 'Frank' AND "manager"."last_name" = 'Harris'"#),
        "both parts of the name are the manager's: {managed}"
    );
}

#[test]
fn direct_reports_are_the_rows_that_name_a_role_of_their_own_table() {
    let per_manager = sql("How many direct reports does each manager have?");
    assert!(per_manager.starts_with(r#"SELECT "manager"."employee_id""#), "{per_manager}");
    assert!(per_manager.contains(r#"COUNT(*) AS "employee_count""#), "{per_manager}");
    let over = sql("Which managers have more than 3 direct reports?");
    assert!(over.contains(MANAGER_JOIN) && over.contains("HAVING COUNT(*) > 3"), "{over}");
    assert!(over.starts_with(r#"SELECT "manager"."employee_id""#), "{over}");
}

#[test]
fn a_measure_compared_with_a_role_compares_the_same_column_of_the_role_row() {
    let over = sql("Which employees earn more than their manager?");
    assert!(over.contains(MANAGER_JOIN), "{over}");
    assert!(over.contains(r#"WHERE "employee"."salary" > "manager"."salary""#), "{over}");
}

#[test]
fn by_before_a_name_says_whose_rows_not_how_to_group() {
    let orders = sql("List the orders by Jimi Hendrix");
    assert!(orders.contains(r#"WHERE "customer"."full_name" = 'Jimi Hendrix'"#), "{orders}");
    assert!(!orders.contains("GROUP BY"), "{orders}");
}

#[test]
fn looking_after_relates_rows_like_having() {
    let per_manager = sql("How many employees does each manager look after?");
    assert!(per_manager.contains(MANAGER_JOIN) && per_manager.contains("COUNT(*)"), "{per_manager}");
}

#[test]
fn a_many_to_many_link_to_the_group_repeats_rows_only_across_groups() {
    let per_tag = sql("Total revenue per tag");
    assert!(per_tag.contains(r#"SUM("order_item"."unit_price" * "order_item"."quantity")"#), "{per_tag}");
    assert!(per_tag.contains(r#"GROUP BY "tag"."tag_id", "tag"."label""#), "{per_tag}");
    assert!(sql("Average unit price per tag").contains(r#"AVG("product"."unit_price")"#));
    let reason = OfflineSynthesizer::new(&indexed_shop(), &BTreeMap::new(), 0.6)
        .synthesize("Total order total per tag")
        .unwrap_err()
        .reason;
    assert!(reason.contains("counted more than once"), "orders repeat once per line of a tagged product: {reason}");
}
