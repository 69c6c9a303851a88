//! Resolution on the shop fixture: column choices, joins, double counting and the abstentions that must stay.
use super::*;

use crate::dialect::Dialect;
use crate::synth::offline::OfflineSynthesizer;
use crate::synth::offline::fixtures::shop;

fn sql(question: &str) -> Result<String, String> {
    let synth = OfflineSynthesizer::new(&shop(Dialect::Postgres), &Default::default(), 0.6);
    synth.synthesize(question).map(|answer| answer.sql).map_err(|abstention| abstention.reason)
}

#[test]
fn revenue_per_category_uses_line_amounts_not_double_counted_order_totals() {
    let revenue = sql("Total revenue per category").unwrap();
    assert!(
        revenue.contains(r#"SUM("order_item"."unit_price" * "order_item"."quantity") AS "total_revenue""#),
        "{revenue}"
    );
    let totals = sql("Total order total per category").unwrap_err();
    assert!(totals.contains("counted more than once"), "{totals}");
    let per_customer = sql("Total revenue per customer").unwrap();
    assert!(per_customer.contains(r#"SUM("orders"."total")"#), "{per_customer}");
}

#[test]
fn counts_over_joins_that_repeat_rows_count_distinct_keys() {
    let per_category = sql("How many customers per category?").unwrap();
    assert!(per_category.contains(r#"COUNT(DISTINCT "customer"."customer_id") AS "customer_count""#), "{per_category}");
    let per_customer = sql("How many orders per customer?").unwrap();
    assert!(per_customer.contains(r#"COUNT(*) AS "order_count""#), "{per_customer}");
}

#[test]
fn values_with_more_than_n_related_rows_group_and_compare_the_count() {
    let countries = sql("Which countries have more than 5 customers?").unwrap();
    assert!(countries.starts_with(r#"SELECT "customer"."country", COUNT(*) AS "customer_count""#), "{countries}");
    assert!(countries.contains(r#"WHERE "customer"."country" IS NOT NULL"#), "{countries}");
    assert!(
        countries.contains(r#"GROUP BY "customer"."country" HAVING COUNT(*) > 5 ORDER BY "customer_count" DESC"#),
        "{countries}"
    );
}

#[test]
fn average_number_of_related_rows_averages_the_counts_per_group() {
    let average = sql("What is the average number of orders per customer?").unwrap();
    assert!(average.starts_with(r#"SELECT AVG("order_count") AS "avg_order_count" FROM (SELECT"#), "{average}");
    assert!(average.contains(r#"COUNT(*) AS "order_count""#) && average.ends_with(r#"AS "grouped""#), "{average}");
    assert!(!average.contains("ORDER BY"), "{average}");
    assert!(sql("What is the average number of orders?").unwrap_err().contains("per"));
}

#[test]
fn a_role_joins_the_self_reference_under_its_own_alias() {
    let managers = sql("How many employees does each manager have?").unwrap();
    assert!(
        managers.contains(r#"JOIN "employee" AS "manager" ON "employee"."manager_id" = "manager"."employee_id""#),
        "{managers}"
    );
    assert!(
        managers.starts_with(r#"SELECT "manager"."employee_id", "manager"."first_name", "manager"."last_name""#),
        "{managers}"
    );
}

#[test]
fn questions_this_reader_cannot_express_abstain() {
    assert!(sql("How many employees per employee?").unwrap_err().contains("relationship"));
    assert!(sql("How many employees per employee?").unwrap_err().contains("relationship"));
    assert!(sql("Which employee has the most employees?").unwrap_err().contains("relationship"));
}

#[test]
fn ties_between_columns_or_dates_abstain_and_name_them() {
    assert_eq!(sql("List all names").unwrap_err(), "ambiguous: 'names' matches category.name and product.name");
    let dates = sql("How many employees in 2020?").unwrap_err();
    assert!(dates.contains("employee.hire_date") && dates.contains("employee.birth_date"), "{dates}");
    assert!(sql("How many employees were hired in 2020?").is_ok());
    assert!(sql("How many employees per customer?").unwrap_err().contains("no foreign-key path"));
}

#[test]
fn aliases_read_naturally() {
    assert_eq!(aggregate_alias(AggFunc::Sum, "revenue"), "total_revenue");
    assert_eq!(aggregate_alias(AggFunc::Sum, "total"), "total");
    assert_eq!(aggregate_alias(AggFunc::Avg, "unit_price"), "avg_unit_price");
    assert_eq!(aggregate_alias(AggFunc::Max, "milliseconds"), "max_milliseconds");
}

#[test]
fn singular_subjects_ask_for_one_row() {
    assert!(is_singular("employee"));
    assert!(is_singular("country"));
    assert!(!is_singular("customers"));
    assert!(!is_singular("media types"));
    assert!(is_singular("status"));
}

#[test]
fn names_join_into_a_sentence() {
    assert_eq!(join_names(&["A.x"]), "A.x");
    assert_eq!(join_names(&["A.x", "B.x", "C.x"]), "A.x, B.x and C.x");
}

#[test]
fn an_average_of_line_amounts_named_after_their_parent_is_per_parent_row() {
    let per_product = sql("What is the average product revenue per category?").unwrap();
    assert!(per_product.contains(r#"1.0 * SUM("order_item"."unit_price" * "order_item"."quantity") / NULLIF(COUNT(DISTINCT "product"."product_id"), 0)"#), "{per_product}");
    assert!(per_product.contains(r#"GROUP BY "category"."#), "{per_product}");
    let line_average = sql("What is the average unit price of order items?").unwrap();
    assert!(
        line_average.contains(r#"AVG("order_item"."unit_price")"#),
        "the measure's own table named: {line_average}"
    );
}

#[test]
fn people_are_the_table_of_people_and_two_such_tables_are_ambiguous() {
    // The shop has customers (full_name) and employees (first and last name).
    let people = sql("How many people were hired in 2020?").unwrap_err();
    assert!(people.contains("ambiguous: 'people'"), "{people}");
}

#[test]
fn the_highest_paid_rank_by_money() {
    let paid = sql("Who are the 3 highest paid customers?").unwrap();
    assert!(paid.contains("DESC") && paid.ends_with("LIMIT 3"), "{paid}");
}

#[test]
fn a_yes_no_column_on_its_noun_is_a_condition() {
    let discontinued = sql("List the discontinued products").unwrap();
    assert!(discontinued.contains(r#"WHERE "product"."discontinued" = 1"#), "{discontinued}");
    let kept = sql("How many products are not discontinued?").unwrap();
    assert!(kept.ends_with(r#"WHERE ("product"."discontinued" = 0 OR "product"."discontinued" IS NULL)"#), "{kept}");
    assert!(
        sql("What is the total discontinued?").unwrap_err().contains("not a suitable column"),
        "a flag is no measure"
    );
}

#[test]
fn averages_of_a_group_and_per_listed_row() {
    let within = sql("Which products have a unit price above the average unit price of their category?").unwrap();
    assert!(
        within.contains(r#"WHERE "product"."unit_price" > (SELECT AVG("peer"."unit_price") FROM "product" AS "peer" WHERE "peer"."category_id" = "product"."category_id")"#),
        "{within}"
    );
    let per_row = sql("Which categories have an average unit price above the overall average?").unwrap();
    assert!(
        per_row.contains(r#"HAVING AVG("product"."unit_price") > (SELECT AVG("product"."unit_price") FROM "product")"#),
        "{per_row}"
    );
    let company_wide = sql("Which categories have an average unit price above the company-wide average?").unwrap();
    assert_eq!(company_wide, per_row);
    assert!(sql("Which products have a unit price above the average unit price of their supplier?").is_err());
}

#[test]
fn totals_per_row_against_the_average_of_such_totals() {
    let customers = sql("Which customers spent more than the average customer?").unwrap();
    assert!(customers.starts_with(r#"SELECT "customer"."customer_id", "customer"."full_name" FROM"#), "{customers}");
    assert!(
        customers.contains(r#"HAVING SUM("orders"."total") > (SELECT AVG("total") FROM (SELECT SUM("orders"."total") AS "total" FROM "orders" JOIN "customer" ON"#),
        "{customers}"
    );
    // Orders hold their own total here: each against the average of them.
    assert_eq!(
        sql("How many orders were worth more than the average order value?").unwrap(),
        r#"SELECT COUNT(*) AS "order_count" FROM "orders" WHERE "orders"."total" > (SELECT AVG("orders"."total") FROM "orders")"#
    );
}

#[test]
fn out_of_stock_is_a_stock_level_of_at_most_zero() {
    let out = sql("Which products are out of stock?").unwrap();
    assert!(out.ends_with(r#"WHERE "product"."quantity_in_stock" <= 0 ORDER BY "product"."product_id""#), "{out}");
    // Without a stock level to read, the words stay unknown.
    let reason = sql("Which customers are out of stock?").unwrap_err();
    assert!(reason.contains("'out'") || reason.contains("stock"), "{reason}");
}
