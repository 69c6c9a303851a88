//! How the offline synthesizer reads questions over the lending fixture, a
//! schema unlike the shop the other unit tests use: one test per linking
//! signal and shape, and the refusals that must stay refusals.

use std::collections::BTreeMap;

use super::OfflineSynthesizer;
use super::fixtures::{self, lending};
use crate::dialect::Dialect;

fn synth() -> OfflineSynthesizer {
    OfflineSynthesizer::new(&lending(Dialect::Postgres), &BTreeMap::new(), 0.6)
}

fn sql(question: &str) -> String {
    fixtures::answer(&synth(), question)
}

fn refusal(question: &str) -> String {
    fixtures::refusal(&synth(), question)
}

#[test]
fn audit_columns_are_never_labels_and_name_columns_may_be_named_like_their_table() {
    assert_eq!(
        sql("List all countries"),
        r#"SELECT "country"."country_id", "country"."country" FROM "country" ORDER BY "country"."country_id""#
    );
    assert!(sql("List the cities").starts_with(r#"SELECT "city"."city_id", "city"."city" FROM"#));
    let loans = sql("List the loans");
    assert!(loans.starts_with(r#"SELECT "loan"."loan_id", "loan"."loan_date" FROM"#), "{loans}");
    assert!(!sql("How many loans in 2005?").contains("last_update"), "an audit column is never the implied date");
}

#[test]
fn a_key_column_is_never_a_measure() {
    let reason = refusal("What is the total book id?");
    assert!(reason.contains("not a suitable column"), "{reason}");
}

#[test]
fn a_link_table_name_means_the_table_it_links_to() {
    let authors = sql("List the book authors");
    assert!(
        authors
            .starts_with(r#"SELECT "author"."author_id", "author"."first_name", "author"."last_name" FROM "author""#),
        "{authors}"
    );
}

#[test]
fn absence_reads_as_not_exists_over_the_foreign_key_path() {
    let never = sql("Which members never borrowed a book?");
    assert!(
        never.contains(
            r#"WHERE NOT EXISTS (SELECT 1 FROM "loan" AS "no_loan" WHERE "no_loan"."member_id" = "member"."member_id")"#
        ),
        "{never}"
    );
    assert_eq!(sql("Members without loans"), never);
    let unloaned = sql("Books that were never loaned");
    assert!(
        unloaned.contains(r#"NOT EXISTS (SELECT 1 FROM "copy" AS "no_copy" JOIN "loan" AS "no_loan" ON "no_loan"."copy_id" = "no_copy"."copy_id" WHERE "no_copy"."book_id" = "book"."book_id")"#),
        "{unloaned}"
    );
}

#[test]
fn a_role_the_subject_holds_is_absent_when_its_key_is_empty_and_an_event_date_when_it_is_null() {
    assert!(sql("Staff without a supervisor").contains(r#"WHERE "staff"."supervisor_id" IS NULL"#));
    assert_eq!(
        sql("How many loans have not been returned?"),
        r#"SELECT COUNT(*) AS "loan_count" FROM "loan" WHERE "loan"."return_date" IS NULL"#
    );
    assert!(sql("Loans not yet returned").contains(r#"WHERE "loan"."return_date" IS NULL"#));
}

#[test]
fn negations_this_reader_cannot_place_stay_refusals() {
    assert!(refusal("Members who never borrowed a book in 2020").contains("negated"));
    assert!(refusal("Books not more than 3").contains("negates"));
}

#[test]
fn averages_of_counts_and_totals_per_row_compared_with_a_number() {
    let average = sql("What is the average number of loans per member?");
    assert!(average.starts_with(r#"SELECT AVG("loan_count") AS "avg_loan_count" FROM (SELECT"#), "{average}");
    let spent = sql("Members who paid more than 10 in fines in total");
    assert!(spent.contains(r#"HAVING SUM("fine"."amount") > 10"#), "{spent}");
    let counted = sql("How many members paid more than 20 in fines?");
    assert!(counted.starts_with(r#"SELECT COUNT(*) AS "member_count" FROM (SELECT "member"."member_id""#), "{counted}");
    assert!(counted.contains(r#"HAVING SUM("fine"."amount") > 20"#), "{counted}");
}

#[test]
fn a_year_column_takes_the_year_and_minutes_are_a_duration() {
    assert_eq!(
        sql("How many books were released in 2006?"),
        r#"SELECT COUNT(*) AS "book_count" FROM "book" WHERE "book"."release_year" = 2006"#
    );
    assert!(refusal("How many books were released in March 2006?").contains("holds years"));
    assert!(sql("What is the average length of books in minutes?").contains(r#"AVG("book"."length")"#));
    assert!(refusal("What is the average replacement cost of books in minutes?").contains("does not fit"));
}

#[test]
fn verbs_must_fit_what_the_query_involves() {
    let supervises = sql("Which supervisor supervises the most staff?");
    assert!(supervises.contains(r#"ON "staff"."supervisor_id" = "supervisor"."staff_id""#), "{supervises}");
    assert!(refusal("How many members juggled?").contains("juggled"));
    let reason = refusal("How many branches supervised?");
    assert!(reason.contains("'supervised'"), "a verb for a role the query does not join: {reason}");
}

#[test]
fn offline_answers_restate_how_the_question_was_read() {
    let restated = |q: &str| synth().synthesize(q).unwrap().restatement.unwrap();
    assert_eq!(restated("How many loans in 2005?"), "count of loan where loan.loan_date in 2005");
    assert_eq!(restated("Countries with more than 5 cities"), "count of city per country having count of city > 5");
    assert_eq!(
        restated("Which members never borrowed a book?"),
        "member (member_id, first_name, last_name) where no loan exists for member.member_id"
    );
    assert_eq!(
        restated("What is the average number of loans per member?"),
        "average over each member of (count of loan)"
    );
}

#[test]
fn shares_divide_the_part_by_the_whole_in_separate_subqueries() {
    let share = sql("What share of books are Fantasy?");
    assert_eq!(
        share,
        r#"SELECT 1.0 * (SELECT COUNT(*) AS "book_count" FROM "book" WHERE "book"."genre" = 'Fantasy') / NULLIF((SELECT COUNT(*) AS "book_count" FROM "book"), 0) AS "share""#
    );
    let percentage = sql("What percentage of fines were paid in 2021?");
    assert!(percentage.starts_with("SELECT 100.0 * (SELECT"), "{percentage}");
    assert!(refusal("What share of books are there?").contains("what the share is of"));
    let per_genre = sql("What percentage of books does each genre account for?");
    assert!(per_genre.starts_with(r#"SELECT "genre", 100.0 * "book_count" / NULLIF((SELECT COUNT(*) AS "book_count" FROM "book"), 0) AS "percentage" FROM (SELECT"#), "{per_genre}");
    assert!(per_genre.ends_with(r#"ORDER BY "percentage" DESC, "genre""#), "{per_genre}");
}

#[test]
fn between_two_numbers_bounds_a_measure_and_between_two_years_a_date() {
    let costly = sql("Books with a replacement cost between 10 and 20");
    assert!(costly.contains(r#""book"."replacement_cost" >= 10 AND "book"."replacement_cost" <= 20"#), "{costly}");
    let joined = sql("How many members joined between 2019 and 2020?");
    assert!(joined.contains(r#""member"."joined_date" >= '2019-01-01' AND "member"."joined_date" < '2021-01-01'"#));
}

#[test]
fn the_date_a_question_names_is_the_one_bucketed_by_year() {
    let returned = sql("How many loans were returned each year?");
    assert!(returned.contains(r#"CAST(EXTRACT(YEAR FROM "loan"."return_date") AS INTEGER) AS "year""#), "{returned}");
}

#[test]
fn a_role_lists_the_rows_that_play_it_and_a_named_table_settles_which_role() {
    let supervisors = sql("List the supervisors");
    assert!(supervisors.starts_with(r#"SELECT DISTINCT "supervisor"."staff_id""#), "{supervisors}");
    assert!(supervisors.contains(r#"FROM "staff" JOIN "staff" AS "supervisor""#), "{supervisors}");
}

#[test]
fn grouping_by_a_name_column_groups_its_rows_by_key() {
    let per_title = sql("How many copies per book title?");
    assert!(per_title.contains(r#"GROUP BY "book"."book_id", "book"."title""#), "{per_title}");
}

#[test]
fn two_values_of_one_column_joined_without_or_abstain() {
    assert!(refusal("How many books are Fantasy Thriller?").contains("say 'or'"));
}

#[test]
fn two_periods_combine_as_a_difference_a_percentage_or_side_by_side() {
    let more = sql("How many more loans were there in 2021 than in 2020?");
    assert!(
        more.starts_with(r#"SELECT COALESCE((SELECT COUNT(*) AS "loan_count" FROM "loan" WHERE "loan"."loan_date" >= '2021-01-01' AND "loan"."loan_date" < '2022-01-01'), 0) - COALESCE((SELECT COUNT(*)"#),
        "{more}"
    );
    assert!(more.contains(r#"'2020-01-01'"#) && more.ends_with(r#"AS "change""#), "{more}");
    let fewer = sql("How many fewer loans were there in 2021 than in 2020?");
    assert!(fewer.find("'2020-01-01'") < fewer.find("'2021-01-01'"), "fewer: 2020 minus 2021: {fewer}");
    let change = sql("By how much did the total amount of fines change from 2020 to 2021?");
    assert!(change.contains(r#"COALESCE((SELECT SUM("fine"."amount")"#), "{change}");
    assert!(change.find("'2021-01-01'") < change.find("'2020-01-01'"), "2021 minus 2020: {change}");
    let growth = sql("What was the percentage growth in loans from Q1 2021 to Q2 2021?");
    assert!(growth.starts_with("SELECT 100.0 * (COALESCE((SELECT COUNT(*)"), "{growth}");
    assert!(growth.contains(r#">= '2021-04-01' AND "loan"."loan_date" < '2021-07-01'"#), "{growth}");
    assert!(growth.ends_with(r#"< '2021-04-01'), 0) AS "percent_change""#), "{growth}");
    let beside = sql("Number of loans in 2021 compared to 2020");
    assert!(beside.contains(r#"AS "loan_count_2021", (SELECT"#) && beside.ends_with(r#"AS "loan_count_2020""#));
}

#[test]
fn comparisons_this_reader_cannot_settle_stay_refusals() {
    assert!(refusal("What was the growth in loans from 2020 to 2021?").contains("difference or a percentage"));
    assert!(refusal("Which members borrowed books in 2021 compared to 2020?").contains("row by row"));
    assert!(refusal("How many loans in 2019 and 2021?").contains("more than one date range"));
    assert!(refusal("Loans in 2021 compared to 2020").contains("row by row"), "rows are listed, not counted");
    assert!(refusal("What was the change in loans in 2021?").contains("'change'"));
}

#[test]
fn a_change_over_the_previous_period_compares_each_bucket_with_the_one_before() {
    let monthly = sql("Show the month-over-month change in the number of loans");
    assert!(
        monthly.starts_with(r#"SELECT "year", "month", "loan_count" - LAG("loan_count") OVER (ORDER BY "year", "month") AS "change" FROM (SELECT"#),
        "{monthly}"
    );
    let yearly = sql("What was the year-over-year percentage growth in the total amount of fines?");
    assert!(
        yearly.contains(r#"NULLIF(LAG("total_amount") OVER (ORDER BY "year"), 0) AS "percent_change""#),
        "{yearly}"
    );
    let counted = sql("What was the year-over-year percentage growth in fines?");
    assert!(counted.contains(r#"LAG("fine_count")"#), "fines named alone are counted: {counted}");
}

#[test]
fn quarters_and_month_ranges_name_their_year_once() {
    let quarter = sql("How many loans in the third quarter of 2021?");
    assert!(
        quarter.ends_with(r#""loan"."loan_date" >= '2021-07-01' AND "loan"."loan_date" < '2021-10-01'"#),
        "{quarter}"
    );
    let months = sql("How many loans from January to March 2021?");
    assert!(months.ends_with(r#">= '2021-01-01' AND "loan"."loan_date" < '2021-04-01'"#), "{months}");
    assert!(refusal("How many loans in Q3?").contains("needs its year"));
}

#[test]
fn which_year_or_month_ranks_the_periods_by_the_figure() {
    let year = sql("In which year did the most members join, and how many?");
    assert!(
        year.starts_with(
            r#"SELECT CAST(EXTRACT(YEAR FROM "member"."joined_date") AS INTEGER) AS "year", COUNT(*) AS "member_count""#
        ),
        "{year}"
    );
    assert!(year.ends_with(
        r#"ORDER BY "member_count" DESC, CAST(EXTRACT(YEAR FROM "member"."joined_date") AS INTEGER) LIMIT 1"#
    ));
    let months = sql("What were the top 3 months by total fine amount?");
    assert!(months.contains(r#"AS "month", SUM("fine"."amount")"#) && months.ends_with("LIMIT 3"), "{months}");
}

/// The lending schema with a status on copies and a web address on branches.
fn with_status_and_website() -> OfflineSynthesizer {
    let mut schema = lending(Dialect::Postgres);
    let mut add = |table: &str, column| {
        let at = schema.tables.iter().position(|t| t.name == table).expect("a lending table");
        schema.tables[at].columns.push(column);
    };
    add("copy", fixtures::column("status", "varchar(20)", &["borrowed", "on-shelf"]));
    add("branch", fixtures::column("web_address", "varchar(200)", &[]));
    OfflineSynthesizer::new(&schema, &BTreeMap::new(), 0.6)
}

#[test]
fn hyphenated_values_read_as_words_and_a_generic_column_head_drops_out() {
    let synth = with_status_and_website();
    let on_shelf = synth.synthesize("How many copies are still on shelf?").map(|a| a.sql).unwrap();
    assert!(on_shelf.ends_with(r#"WHERE "copy"."status" = 'on-shelf'"#), "{on_shelf}");
    let no_site = synth.synthesize("Which branches have no website?").map(|a| a.sql).unwrap();
    assert!(no_site.contains(r#"WHERE "branch"."web_address" IS NULL"#), "{no_site}");
}

#[test]
fn a_negated_value_that_is_also_an_event_verb_abstains() {
    let synth = with_status_and_website();
    let reason = synth.synthesize("Which copies were never borrowed?").unwrap_err().reason;
    assert!(reason.contains("ambiguous: 'never borrowed'"), "{reason}");
}

#[test]
fn best_and_biggest_rank_by_what_follows_by() {
    let biggest = sql("Who is our biggest member by total fine amount?");
    assert!(biggest.contains(r#"SUM("fine"."amount") AS "total_amount""#) && biggest.ends_with("LIMIT 1"), "{biggest}");
    let best = sql("Which are the 3 best books by number of loans?");
    assert!(best.contains(r#"COUNT(*) AS "loan_count""#) && best.ends_with("LIMIT 3"), "{best}");
    assert!(refusal("Who are our best members?").contains("needs a measure"));
}

#[test]
fn with_a_column_means_it_holds_a_value_and_first_ranks_by_the_date_named() {
    assert!(sql("How many members have an email?").ends_with(r#"WHERE "member"."email" IS NOT NULL"#));
    let listed = sql("List the members with their email");
    assert!(listed.contains(r#""member"."email""#) && !listed.contains("IS NOT NULL"), "{listed}");
    let first = sql("Who was the first member who joined?");
    assert!(first.contains(r#"ORDER BY "member"."joined_date", "member"."member_id" LIMIT 1"#), "{first}");
    let grew = sql("How much did the number of loans grow from 2020 to 2021?");
    assert!(grew.starts_with("SELECT COALESCE((SELECT COUNT(*)") && grew.ends_with(r#"AS "change""#), "{grew}");
}

#[test]
fn how_much_of_a_table_totals_the_number_its_rows_hold() {
    let mut schema = lending(Dialect::Postgres);
    schema.tables.push(fixtures::table(
        "inventory",
        vec![
            fixtures::column("branch_id", "integer", &[]),
            fixtures::column("book_id", "integer", &[]),
            fixtures::column("copies_on_hand", "integer", &[]),
        ],
        &["branch_id", "book_id"],
        vec![fixtures::fk("branch_id", "branch", "branch_id"), fixtures::fk("book_id", "book", "book_id")],
    ));
    let synth = OfflineSynthesizer::new(&schema, &BTreeMap::new(), 0.6);
    let sql = |q: &str| fixtures::answer(&synth, q);
    let total = r#"SELECT SUM("inventory"."copies_on_hand") AS "total_copies_on_hand" FROM "inventory""#;
    assert_eq!(sql("How much stock do we hold?"), total);
    assert_eq!(sql("What is the total inventory?"), total);
    assert_eq!(sql("How much stock do we hold in total?"), total, "'in total' after a total adds nothing");
}

#[test]
fn the_largest_number_in_any_one_group_is_the_maximum_of_the_counts() {
    let largest = sql("What is the largest number of copies in any one branch?");
    assert!(largest.starts_with(r#"SELECT MAX("copy_count") AS "max_copy_count" FROM (SELECT"#), "{largest}");
}

#[test]
fn when_and_the_date_of_a_superlative_ask_for_the_date_itself() {
    assert_eq!(
        sql("When did the first member join?"),
        r#"SELECT MIN("member"."joined_date") AS "min_joined_date" FROM "member""#
    );
    assert_eq!(
        sql("What is the date of the most recent loan?"),
        r#"SELECT MAX("loan"."loan_date") AS "max_loan_date" FROM "loan""#
    );
}

#[test]
fn durations_convert_to_the_unit_the_question_names() {
    let mut schema = lending(Dialect::Postgres);
    schema.tables.push(fixtures::table(
        "recording",
        vec![
            fixtures::column("recording_id", "integer", &[]),
            fixtures::column("title", "varchar(80)", &[]),
            fixtures::column("duration_ms", "integer", &[]),
        ],
        &["recording_id"],
        vec![],
    ));
    let synth = OfflineSynthesizer::new(&schema, &BTreeMap::new(), 0.6);
    let sql = |q: &str| fixtures::answer(&synth, q);
    assert_eq!(
        sql("What is the average recording duration in minutes?"),
        r#"SELECT AVG("recording"."duration_ms") / 60000.0 AS "avg_minutes" FROM "recording""#
    );
    assert!(sql("How many recordings are longer than 3 minutes?").ends_with(r#""recording"."duration_ms" > 180000"#));
    // A running time without a unit in its name is taken to be in minutes.
    assert!(sql("How many books are longer than 2 hours?").ends_with(r#""book"."length" > 120"#));
    assert!(sql("What is the total length of books in hours?").starts_with(r#"SELECT SUM("book"."length") / 60.0"#));
}

#[test]
fn a_number_after_a_singular_table_name_is_a_key_and_copies_are_inventory() {
    let copies = sql("How many copies are in branch 2?");
    assert!(copies.ends_with(r#"WHERE "branch"."branch_id" = 2"#), "{copies}");
    assert!(sql("List the loans of member 7").contains(r#"WHERE "member"."member_id" = 7"#));
    assert!(refusal("List the loans of members 7").contains("number 7"), "a plural names no row");
}

#[test]
fn appearing_in_works_goes_through_the_link_table() {
    let most = sql("Which author appeared in the most books?");
    assert!(most.contains(r#"JOIN "book_author""#) && most.ends_with("LIMIT 1"), "{most}");
}

#[test]
fn the_most_common_counts_the_rows_that_have_it() {
    let genre = sql("What is the most common genre?");
    assert!(
        genre.starts_with(r#"SELECT "book"."genre", COUNT(*) AS "book_count" FROM "book" GROUP BY "book"."genre""#)
    );
    assert!(genre.ends_with("LIMIT 1"), "{genre}");
    let cities = sql("What are the 3 least common cities among members?");
    assert!(cities.contains(r#"COUNT(*) AS "member_count""#) && cities.ends_with("LIMIT 3"), "{cities}");
    assert!(refusal("What is the most common city?").contains("among"), "members and branches both refer to cities");
}

#[test]
fn inactive_is_not_active_and_a_boolean_flag_compares_with_true_on_postgres() {
    let mut schema = lending(Dialect::Postgres);
    let member = schema.tables.iter().position(|t| t.name == "member").expect("member");
    schema.tables[member].columns.push(fixtures::column("active", "boolean", &[]));
    let synth = OfflineSynthesizer::new(&schema, &BTreeMap::new(), 0.6);
    let sql = |q: &str| fixtures::answer(&synth, q);
    assert!(sql("How many active members are there?").ends_with(r#"WHERE "member"."active" = TRUE"#));
    let inactive = sql("List the inactive members");
    assert!(inactive.contains(r#"WHERE ("member"."active" = FALSE OR "member"."active" IS NULL)"#), "{inactive}");
}

#[test]
fn surname_and_forename_name_the_name_columns() {
    let sorted = sql("List the members sorted by surname");
    assert!(sorted.contains(r#"ORDER BY "member"."last_name""#), "{sorted}");
    assert!(sql("List the forenames of the authors").starts_with(r#"SELECT "author"."first_name""#));
}

#[test]
fn rows_whose_related_rows_outnumber_in_one_period_those_in_another() {
    let more = sql("Which members had more loans in 2021 than in 2020?");
    assert!(
        more.starts_with(
            r#"SELECT "member"."member_id", "member"."first_name", "member"."last_name" FROM "member" JOIN "loan""#
        ),
        "{more}"
    );
    assert!(
        more.contains(r#"HAVING SUM(CASE WHEN "loan"."loan_date" >= '2021-01-01' AND "loan"."loan_date" < '2022-01-01' THEN 1 ELSE 0 END) > SUM(CASE WHEN "loan"."loan_date" >= '2020-01-01'"#),
        "{more}"
    );
}

#[test]
fn a_year_on_related_rows_is_their_date_not_the_listed_rows_own() {
    let had = sql("Which members had loans in 2021?");
    assert!(had.contains(r#"WHERE "loan"."loan_date" >= '2021-01-01'"#), "{had}");
    let borrowed = sql("How many members borrowed books in 2021?");
    assert!(borrowed.contains(r#"WHERE "loan"."loan_date" >= '2021-01-01'"#), "{borrowed}");
    assert!(sql("How many members joined in 2021?").contains(r#""member"."joined_date" >= '2021-01-01'"#));
    let reason = refusal("Which members had loans and fines in 2021?");
    assert!(reason.contains("which date"), "{reason}");
}

#[test]
fn a_member_of_a_named_table_is_one_of_its_rows_not_the_member_table() {
    for question in ["Which staff member made the most loans?", "How many loans has each staff member processed?"] {
        let sql = sql(question);
        assert!(sql.contains(r#"GROUP BY "staff"."staff_id""#), "{question}: {sql}");
        assert!(!sql.contains(r#"JOIN "member""#), "{question} joins members it never asked about: {sql}");
    }
    assert!(sql("How many members are there?").contains(r#"FROM "member""#));
}

#[test]
fn the_most_verbed_rows_are_ranked_by_how_often_the_verb_happened() {
    let counted = r#"COUNT(*) AS "loan_count" FROM "loan" JOIN "copy" ON "loan"."copy_id" = "copy"."copy_id" JOIN "book" ON "copy"."book_id" = "book"."book_id" GROUP BY "book"."book_id", "book"."title" ORDER BY "loan_count" DESC, "book"."book_id""#;
    for (question, limit) in [
        ("What is the most loaned book?", " LIMIT 1"),
        ("What is the most borrowed book?", " LIMIT 1"),
        ("Top 10 most loaned books", " LIMIT 10"),
        ("Which books were loaned the most?", ""),
    ] {
        let sql = sql(question);
        assert!(sql.ends_with(&format!("{counted}{limit}")), "{question}: {sql}");
    }
    let least = sql("What is the least borrowed book?");
    assert!(least.contains(r#"ORDER BY "loan_count", "book"."book_id" LIMIT 1"#), "{least}");
    let genre = sql("Which genre is loaned most?");
    assert!(genre.starts_with(r#"SELECT "book"."genre", COUNT(*) AS "loan_count" FROM "loan""#), "{genre}");
    assert!(genre.ends_with(r#"ORDER BY "loan_count" DESC, "book"."genre" LIMIT 1"#), "{genre}");
    // A verb no table records is not counted.
    refusal("What is the most admired book?");
}

#[test]
fn n_times_after_a_verb_counts_its_events() {
    let books = sql("Which books were borrowed at least 2 times?");
    assert!(books.contains(r#"JOIN "loan" ON "loan"."copy_id" = "copy"."copy_id""#), "{books}");
    assert!(books.contains(r#"HAVING COUNT(*) >= 2"#), "{books}");
    let members = sql("Members who borrowed more than 10 times");
    assert!(
        members.contains(r#"GROUP BY "member"."member_id""#) && members.contains("HAVING COUNT(*) > 10"),
        "{members}"
    );
    // Without a verb whose events a table records, "times" means nothing here.
    refusal("Which books were admired more than 3 times?");
}

#[test]
fn rows_shown_by_name_alone_are_still_grouped_per_row() {
    let titles = sql("Which book titles were loaned more than 3 times?");
    assert!(titles.starts_with(r#"SELECT "book"."title", COUNT(*) AS "loan_count""#), "{titles}");
    assert!(titles.contains(r#"GROUP BY "book"."title", "book"."book_id" HAVING COUNT(*) > 3"#), "{titles}");
}

#[test]
fn un_before_a_participle_negates_what_the_participle_names() {
    assert_eq!(
        sql("How many fines are unpaid?"),
        r#"SELECT COUNT(*) AS "fine_count" FROM "fine" WHERE "fine"."paid_date" IS NULL"#
    );
    assert!(sql("What is the total amount of unpaid fines?").ends_with(r#"WHERE "fine"."paid_date" IS NULL"#));
    assert!(sql("List unreturned loans").contains(r#"WHERE "loan"."return_date" IS NULL"#));
    // A prefix on a word the schema does not name stays unknown.
    let reason = refusal("How many fines are unforgiven?");
    assert!(reason.contains("'unforgiven'"), "{reason}");
}

#[test]
fn the_total_of_rows_is_their_own_amount_never_one_of_rows_that_merely_refer_to_them() {
    let fines = sql("Top 5 members by total fines");
    assert!(fines.contains(r#"SUM("fine"."amount")"#) && fines.ends_with("LIMIT 5"), "{fines}");
    assert!(sql("Which members have the highest total fines?").contains(r#"SUM("fine"."amount")"#));
    // A loan holds no amount; the fines charged on loans are not their total.
    let reason = refusal("Which staff member has the highest total loans?");
    assert!(reason.contains("loan holds no amount to total"), "{reason}");
    refusal("Total loans per staff member");
}

#[test]
fn rows_each_listed_row_refers_to_are_shown_beside_it() {
    let expected = r#"SELECT "member"."member_id", "member"."first_name", "member"."last_name", "city"."city_id", "city"."city" FROM "member" JOIN "city" ON "member"."city_id" = "city"."city_id" ORDER BY "member"."member_id""#;
    assert_eq!(sql("List the members and their cities"), expected);
    assert_eq!(sql("List members with their city"), expected);
    // Several rows per listed row would repeat the list: the answer says what to ask instead.
    let reason = refusal("List books and their authors");
    assert!(reason.contains("each book has several authors"), "{reason}");
    // "with loans" still asks for the members that have loans.
    let with_loans = sql("List members with loans");
    assert!(
        with_loans.starts_with(r#"SELECT DISTINCT "member"."member_id""#)
            && !with_loans.contains(r#""loan"."loan_id","#),
        "{with_loans}"
    );
}

#[test]
fn not_and_a_participle_then_a_table_is_the_absence_of_the_participles_rows() {
    // "not loaned to any member": no loan at all, never a join to loans that contradicts it.
    let never = sql("Which copies were not loaned to any member?");
    assert!(
        never.contains(
            r#"WHERE NOT EXISTS (SELECT 1 FROM "loan" AS "no_loan" WHERE "no_loan"."copy_id" = "copy"."copy_id")"#
        ),
        "{never}"
    );
    assert!(!never.contains(r#"JOIN "loan""#) && !never.contains(r#"JOIN "member""#), "{never}");
    // After a noun, a table is a condition inside the absence, which is not read.
    refusal("Members without loans of books");
}

#[test]
fn one_related_rows_value_is_not_their_total() {
    // Fines add up; "a fine amount above 40" is one fine, and the question must say which it means.
    assert!(sql("Which members have paid more than 40 in fines?").contains(r#"HAVING SUM("fine"."amount") > 40"#));
    let reason = refusal("Which members have a fine amount above 40?");
    assert!(reason.contains("any one of them or their total"), "{reason}");
}

#[test]
fn a_number_then_in_and_a_table_is_not_a_count_of_its_rows() {
    assert!(sql("Which members have more than 5 loans?").contains("HAVING COUNT(*) > 5"));
    // "more than 40 in fines" is an amount, not 40 fines.
    let reason = refusal("Which members have more than 40 in fines?");
    assert!(reason.contains("more than 40"), "{reason}");
}

#[test]
fn an_unpaid_fine_is_said_of_the_fines_whatever_rows_are_asked_about() {
    let members = sql("Members who have unpaid fines");
    assert_eq!(
        members,
        r#"SELECT DISTINCT "member"."member_id", "member"."first_name", "member"."last_name" FROM "member" JOIN "fine" ON "fine"."member_id" = "member"."member_id" WHERE "fine"."paid_date" IS NULL ORDER BY "member"."member_id""#
    );
    assert!(sql("How many members have unpaid fines?").starts_with(r#"SELECT COUNT(DISTINCT "member"."member_id")"#));
    // What the members did not do is an absence, which this reading is not.
    for question in ["Which members have never paid a fine?", "Members who have not paid"] {
        let reason = refusal(question);
        assert!(reason.contains("not on the rows asked about"), "{question}: {reason}");
    }
}

#[test]
fn counts_of_different_rows_and_years_held_in_a_year_column() {
    let different = sql("Which members have borrowed more than 3 different books?");
    assert!(different.contains(r#"HAVING COUNT(DISTINCT "book"."book_id") > 3"#), "{different}");
    assert_eq!(
        sql("How many books were released each year?"),
        r#"SELECT "book"."release_year" AS "year", COUNT(*) AS "book_count" FROM "book" GROUP BY "book"."release_year" ORDER BY "book"."release_year""#
    );
    refusal("How many books were released each month?");
}

#[test]
fn the_last_row_is_the_latest_by_its_date_and_a_last_name_is_a_column() {
    assert_eq!(
        sql("When did the last member join?"),
        r#"SELECT MAX("member"."joined_date") AS "max_joined_date" FROM "member""#
    );
    assert!(sql("When was the latest fine paid?").starts_with(r#"SELECT MAX("fine"."paid_date")"#));
    assert!(sql("List members sorted by last name").contains(r#"ORDER BY "member"."last_name""#));
    // A loan has two dates: which one is not guessed.
    refusal("When was the last loan?");
}
