//! How the offline synthesizer reads questions over the school fixture
//! (students, courses, enrollments with a grade): measures that do not add
//! up, and absences named by a participle; and over the trade fixture
//! (shippers, stock levels): verbs that the relationship already says.

use std::collections::BTreeMap;

use super::OfflineSynthesizer;
use super::fixtures::{self, school, trade};
use crate::dialect::Dialect;

fn synth() -> OfflineSynthesizer {
    OfflineSynthesizer::new(&school(Dialect::Postgres), &BTreeMap::new(), 0.6)
}

fn sql(question: &str) -> String {
    fixtures::answer(&synth(), question)
}

fn refusal(question: &str) -> String {
    fixtures::refusal(&synth(), question)
}

#[test]
fn a_measure_that_does_not_add_up_is_never_totalled_unasked() {
    // A student's grades summed mean nothing: which grade, or their average?
    let reason = refusal("Top 5 students by grade");
    assert!(reason.contains("unclear whether to total or average 'grade'"), "{reason}");
    let reason = refusal("Which students have grades above 90?");
    assert!(reason.contains("unclear whether to total or average 'grades'"), "{reason}");
    let reason = refusal("Which students have a grade above 90?");
    assert!(reason.contains("any one of them or their total"), "{reason}");
    assert!(sql("Top 5 students by average grade").contains(r#"AVG("enrollment"."grade")"#));
    assert!(sql("Which course has the highest average grade?").contains(r#"AVG("enrollment"."grade")"#));
}

#[test]
fn not_and_a_participle_then_a_table_is_the_absence_of_the_participles_rows() {
    let never = sql("Students who are not enrolled in any course");
    assert_eq!(
        never,
        r#"SELECT "student"."student_id", "student"."first_name", "student"."last_name" FROM "student" WHERE NOT EXISTS (SELECT 1 FROM "enrollment" AS "no_enrollment" WHERE "no_enrollment"."student_id" = "student"."student_id") ORDER BY "student"."student_id""#
    );
    // A condition on what is absent is not read.
    refusal("Which students are not enrolled in Calculus?");
}

#[test]
fn everyday_questions_over_a_schema_of_another_domain() {
    assert!(
        sql("Which teacher teaches the most courses?")
            .contains(r#"ORDER BY "course_count" DESC, "teacher"."teacher_id" LIMIT 1"#)
    );
    assert!(
        sql("How many teachers were hired after 2015?").ends_with(r#"WHERE "teacher"."hire_date" >= '2016-01-01'"#)
    );
    assert!(sql("Average grade in Fall 2023").ends_with(r#"WHERE "enrollment"."semester" = 'Fall 2023'"#));
    let joined = sql("List the teachers and their departments");
    assert!(
        joined.contains(r#""department"."department_id", "department"."name" FROM "teacher" JOIN "department""#),
        "{joined}"
    );
    let offered = sql("How many courses does each department offer?");
    assert!(offered.contains(r#"COUNT(*) AS "course_count" FROM "course" JOIN "department""#), "{offered}");
}

#[test]
fn an_aggregate_named_before_the_measure_compares_it_per_row() {
    let average = sql("Students with an average grade above 80");
    assert!(average.contains(r#"HAVING AVG("enrollment"."grade") > 80"#), "{average}");
    let highest = sql("Students with a maximum grade above 95");
    assert!(highest.contains(r#"HAVING MAX("enrollment"."grade") > 95"#), "{highest}");
    let salaries = sql("Departments with an average salary above 50000");
    assert!(
        salaries.contains(
            r#"GROUP BY "department"."department_id", "department"."name" HAVING AVG("teacher"."salary") > 50000"#
        ),
        "{salaries}"
    );
    // A teacher has one salary: there is nothing to average per teacher.
    let reason = refusal("Which teachers have an average salary above 1000?");
    assert!(reason.contains("nothing to aggregate"), "{reason}");
}

#[test]
fn a_participle_that_begins_a_named_tables_name_says_what_its_relationship_says() {
    let trade = OfflineSynthesizer::new(&trade(Dialect::Postgres), &BTreeMap::new(), 0.6);
    let shipped = fixtures::answer(&trade, "Which shipper shipped the most orders?");
    assert!(
        shipped.contains(r#"FROM "orders" JOIN "shipper" ON "orders"."ship_via" = "shipper"."shipper_id""#),
        "{shipped}"
    );
    assert!(shipped.ends_with(r#"ORDER BY "order_count" DESC, "shipper"."shipper_id" LIMIT 1"#), "{shipped}");
    let out = fixtures::answer(&trade, "Products that are out of stock");
    assert!(out.contains(r#"WHERE "product"."units_in_stock" <= 0"#), "{out}");
    // A participle no named table begins stays a doubt.
    assert!(trade.synthesize("Which shipper admired the most orders?").is_err());
}

#[test]
fn ordered_is_buying_unless_a_word_about_sorting_follows() {
    let trade = OfflineSynthesizer::new(&trade(Dialect::Postgres), &BTreeMap::new(), 0.6);
    let sql = |q: &str| fixtures::answer(&trade, q);
    assert!(
        sql("Which products have never been ordered?").contains(r#"WHERE NOT EXISTS (SELECT 1 FROM "order_details""#)
    );
    assert!(sql("Customers who ordered in 1997").contains(r#""orders"."order_date" >= '1997-01-01'"#));
    assert!(sql("List products ordered alphabetically").contains(r#"ORDER BY "product"."product_name""#));
    assert!(sql("Products ordered by price").contains(r#"ORDER BY "product"."unit_price""#));
}

#[test]
fn a_quantity_is_the_order_lines_not_a_products_stock_level() {
    let trade = OfflineSynthesizer::new(&trade(Dialect::Postgres), &BTreeMap::new(), 0.6);
    for question in
        ["Total quantity per product", "Total quantity sold per product", "Which product sold the most units?"]
    {
        let sql = fixtures::answer(&trade, question);
        assert!(sql.contains(r#"SUM("order_details"."quantity")"#), "{question}: {sql}");
        assert!(!sql.contains("units_in_stock"), "{question}: {sql}");
    }
}

#[test]
fn a_participle_naming_a_date_is_a_verb_satisfied_by_a_column_it_begins() {
    let trade = OfflineSynthesizer::new(&trade(Dialect::Postgres), &BTreeMap::new(), 0.6);
    let sql = |q: &str| fixtures::answer(&trade, q);
    assert_eq!(
        sql("How many orders were shipped to France?"),
        r#"SELECT COUNT(*) AS "order_count" FROM "orders" WHERE "orders"."ship_country" = 'France'"#
    );
    let listed = sql("Orders shipped to Germany");
    assert!(listed.starts_with(r#"SELECT "orders"."order_id", "orders"."order_date" FROM "orders" WHERE "orders"."ship_country" = 'Germany'"#), "{listed}");
    assert!(sql("How many orders from customers in France?").contains(r#""customer"."country" = 'France'"#));
    // Shipped, with nothing that says how: not guessed.
    fixtures::refusal(&trade, "How many orders were shipped?");
}

#[test]
fn who_with_several_tables_of_people_is_the_one_the_verb_names() {
    let teaches = sql("Who teaches Calculus?");
    assert!(
        teaches.starts_with(
            r#"SELECT DISTINCT "teacher"."teacher_id", "teacher"."first_name", "teacher"."last_name" FROM "teacher""#
        ),
        "{teaches}"
    );
    assert!(teaches.contains(r#"WHERE "course"."title" = 'Calculus'"#), "{teaches}");
    // Students or teachers? Never the enrollment rows themselves.
    let reason = refusal("Who enrolled in Calculus?");
    assert!(reason.contains("'Who'"), "{reason}");
}
