//! How questions are read into frames on the shop fixture, and what is refused.
use super::*;
use crate::synth::offline::fixtures::{link, shop_catalog, table_id};
use crate::synth::offline::vocabulary::{CompareOp, Concept, DateUnit, RelativeSpan};

fn frame(question: &str) -> Frame {
    let mut confidence = Confidence::default();
    interpret(&link(question, &[]), &mut confidence).unwrap_or_else(|a| panic!("{question}: {}", a.reason))
}

fn refusal(question: &str) -> String {
    let mut confidence = Confidence::default();
    match interpret(&link(question, &[]), &mut confidence) {
        Ok(frame) => panic!("{question} should not be read: {frame:?}"),
        Err(abstention) => abstention.reason,
    }
}

fn table(name: &str) -> usize {
    table_id(&shop_catalog(), name)
}

fn is_entity(entity: &EntityRef, name: &str) -> bool {
    entity.link.table == table(name)
}

#[test]
fn counts_count_rows_or_distinct_values() {
    assert!(matches!(frame("How many customers are there?").select, Select::CountRows(e) if is_entity(&e, "customer")));
    assert!(matches!(frame("number of distinct countries").select, Select::CountValues(a) if a.text == "countries"));
}

#[test]
fn lists_show_rows_with_or_without_their_names() {
    let list = frame("List customers in Brazil with their signup date");
    let Select::List { entity, attributes, identify, .. } = list.select else { panic!("a list") };
    assert!(is_entity(&entity, "customer") && identify && attributes.len() == 1);
    assert!(matches!(&list.filters[..], [Filter::Values { texts, .. }] if texts == &["Brazil"]));
    let names = frame("names of all products");
    assert!(matches!(names.select, Select::List { identify: false, attributes, .. } if attributes.len() == 1));
}

#[test]
fn a_column_naming_a_filter_value_is_not_shown() {
    for question in ["List the customers whose country is 'Brazil'", "List the customers with the country Brazil"] {
        let list = frame(question);
        let Select::List { entity, attributes, identify, .. } = list.select else { panic!("{question}: a list") };
        assert!(is_entity(&entity, "customer") && identify && attributes.is_empty(), "{question}");
        assert!(matches!(&list.filters[..], [Filter::Values { texts, .. }] if texts == &["Brazil"]), "{question}");
    }
}

#[test]
fn which_column_of_a_table_asks_for_its_distinct_values() {
    let Select::Distinct(attribute) = frame("Which countries do our customers live in?").select else {
        panic!("distinct values")
    };
    assert!(attribute.qualifier.is_none());
    assert!(attribute.candidates.iter().all(|c| c.column.table == table("customer")));
}

#[test]
fn which_values_have_rows_is_a_distinct_question() {
    assert!(matches!(frame("Which countries have customers?").select, Select::Distinct(a) if a.text == "countries"));
}

#[test]
fn aggregates_name_their_function_and_measure() {
    let average = frame("What is the average order total?");
    assert!(matches!(average.select, Select::Aggregate { func: AggFunc::Avg, measure: Measure::Attribute(_) }));
    let revenue = frame("Total revenue per category");
    assert!(matches!(
        revenue.select,
        Select::Aggregate { func: AggFunc::Sum, measure: Measure::Concept { concept: Concept::Money, .. } }
    ));
    assert!(matches!(revenue.group, Some(GroupKey::Entity(e)) if is_entity(&e, "category")));
    assert!(matches!(
        frame("What is the average number of orders per customer?").select,
        Select::CountAggregate { func: AggFunc::Avg, counted } if is_entity(&counted, "orders")
    ));
}

#[test]
fn group_keys_come_from_per_by_each_and_time_words() {
    assert!(matches!(frame("orders per customer").group, Some(GroupKey::Entity(_))));
    assert!(matches!(frame("How many customers in each country").group, Some(GroupKey::Attribute(_))));
    assert!(matches!(frame("revenue by year").group, Some(GroupKey::Year)));
    assert!(matches!(frame("monthly revenue").group, Some(GroupKey::Month)));
    assert!(refusal("revenue per year per country").contains("more than one thing"));
}

#[test]
fn rankings_read_top_n_most_and_superlatives() {
    let top = frame("Top 3 products by revenue").select;
    assert!(matches!(top, Select::Ranked { descending: true, limit: Some(3), key: RankKey::Measure(None, _), .. }));
    let bottom = frame("bottom 2 categories by number of products").select;
    assert!(matches!(bottom, Select::Ranked { descending: false, limit: Some(2), key: RankKey::Count(_), .. }));
    let most = frame("Which customer has the most orders?").select;
    assert!(
        matches!(most, Select::Ranked { subject: Subject::Entity(_), key: RankKey::Count(c), limit: None, .. } if is_entity(&c, "orders"))
    );
    let cheapest = frame("the 2 cheapest products").select;
    assert!(matches!(
        cheapest,
        Select::Ranked {
            descending: false,
            limit: Some(2),
            key: RankKey::Measure(None, Measure::Concept { concept: Concept::Price, .. }),
            ..
        }
    ));
    assert!(matches!(frame("What is the earliest order date?").select, Select::Aggregate { func: AggFunc::Min, .. }));
    assert!(refusal("top 5 customers").contains("needs a measure"));
}

#[test]
fn dates_read_years_ranges_and_months() {
    let start = |year| Some(YearMonth::start_of(year));
    let year = frame("orders in 2021");
    assert!(
        matches!(&year.filters[..], [Filter::Period(Period { column: None, from, until })] if *from == start(2021) && *until == start(2022))
    );
    let range = frame("orders between 2020 and 2022");
    assert!(
        matches!(&range.filters[..], [Filter::Period(Period { from, until, .. })] if *from == start(2020) && *until == start(2023))
    );
    let month = frame("orders in March 2021");
    let march = Some(YearMonth { year: 2021, month: 3 });
    assert!(
        matches!(&month.filters[..], [Filter::Period(Period { from, until, .. })] if *from == march && *until == Some(YearMonth { year: 2021, month: 4 }))
    );
    let hired = frame("employees hired since 2019");
    assert!(
        matches!(&hired.filters[..], [Filter::Period(Period { column: Some(_), from, until: None })] if *from == start(2019))
    );
    assert!(refusal("orders in 2019 and 2021").contains("more than one date range"));
}

#[test]
fn comparisons_filter_columns_or_count_related_rows() {
    let having = frame("How many customers have more than 3 orders?");
    assert!(matches!(&having.filters[..], [Filter::CountOf { op: CompareOp::Gt, number, .. }] if *number == 3.0));
    let at_least = frame("customers with 2 or more orders");
    assert!(matches!(&at_least.filters[..], [Filter::CountOf { op: CompareOp::Ge, .. }]));
    let total = frame("orders with a total over 100");
    assert!(matches!(&total.filters[..], [Filter::Compare { op: CompareOp::Gt, .. }]));
    assert!(refusal("customers over 100").contains("could not tell what 'over 100' refers to"));
}

#[test]
fn quoted_strings_compare_with_the_named_table_or_column() {
    let named = frame("orders of the customer named 'Ada Lovelace'");
    assert!(
        matches!(&named.filters[..], [Filter::Text { target: Subject::Entity(e), text }] if is_entity(e, "customer") && text == "Ada Lovelace")
    );
    assert!(refusal("'Ada Lovelace'").contains("which column"));
}

#[test]
fn write_requests_negations_and_unreadable_relative_dates_are_refused() {
    assert!(refusal("Delete all customers").contains("read-only"));
    assert!(refusal("customers not more than 3").contains("negates"));
    assert!(refusal("orders next year").contains("count from today"));
    assert!(refusal("orders 3 days ago").contains("count from today"));
}

#[test]
fn dates_relative_to_today_are_a_span_on_the_date_named() {
    let this_year = RelativeSpan { unit: DateUnit::Year, from: 0, until: Some(1), calendar: true };
    let orders = frame("orders this year");
    assert!(matches!(&orders.filters[..], [Filter::Recent { column: None, span }] if *span == this_year));
    let rolling = frame("orders in the last 30 days");
    assert!(matches!(&rolling.filters[..], [Filter::Recent { span, .. }] if span.from == -30 && !span.calendar));
}

#[test]
fn leftover_words_lower_the_confidence() {
    let mut confidence = Confidence::default();
    interpret(&link("How many loyal customers are there?", &[]), &mut confidence).unwrap();
    assert!(confidence.score() < 0.5);
    assert_eq!(confidence.reasons(), ["could not map 'loyal' to any table or column"]);
    let mut sure = Confidence::default();
    interpret(&link("How many customers are there?", &[]), &mut sure).unwrap();
    assert_eq!(sure.score(), 1.0);
}
