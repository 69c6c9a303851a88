//! Sample values: the distinct values of low-cardinality text columns, which
//! let the offline synthesizer link "customers in Brazil" to
//! `Country = 'Brazil'` and show the LLM how values are spelled.
//!
//! The rule. A column is a candidate when
//! - its type holds text (the dialect reader decides, from its own type system);
//! - it is not part of a primary or foreign key (keys are identifiers, not words);
//! - its name does not say it carries contact details or credentials (email,
//!   phone, address, password, token...): such values are personal or secret,
//!   must not travel into prompts, and no question filters on them by value;
//! - it belongs to a table, not a view (reading a view can cost any query).
//!
//! A candidate keeps its values only when it is low-cardinality in a bounded
//! prefix of its table: at most [`MAX_SAMPLE_VALUES`] distinct non-empty values,
//! none longer than [`MAX_SAMPLE_VALUE_CHARS`] characters. Person names in a
//! small table (eight employees) pass, as they should: "sales of Jane Peacock"
//! links through them. Values come out sorted.
//!
//! The bounds. Each query reads at most [`SAMPLE_SCAN_ROWS`] rows and returns
//! at most one value more than it may keep; at most [`MAX_SAMPLED_COLUMNS_PER_TABLE`]
//! columns per table and [`MAX_SAMPLED_COLUMNS`] per source are sampled (tables
//! by name, columns in declared order, so the choice is deterministic); queries
//! run [`SAMPLING_CONCURRENCY`] at a time, and none starts after
//! [`SAMPLING_BUDGET`] (a warning says how many were skipped). A failing query
//! is logged and leaves its column without samples: samples enrich a schema,
//! they never fail it.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;
use tracing::warn;

use super::{FoundColumn, FoundTable};
use crate::db::SourcePool;
use crate::dialect::Dialect;
use crate::secret::redact;

/// Rows read from the start of a table to judge a column's cardinality.
const SAMPLE_SCAN_ROWS: u64 = 10_000;
/// Most distinct values a column may have and still be sampled.
const MAX_SAMPLE_VALUES: usize = 50;
/// Longest sampled value, in characters; a longer one marks free text.
const MAX_SAMPLE_VALUE_CHARS: usize = 64;
/// Most columns sampled in one table.
const MAX_SAMPLED_COLUMNS_PER_TABLE: usize = 32;
/// Most columns sampled in one source.
const MAX_SAMPLED_COLUMNS: usize = 2_000;
/// Sampling queries in flight at once for one source.
const SAMPLING_CONCURRENCY: usize = 4;
/// No sampling query starts once this much time has passed.
const SAMPLING_BUDGET: Duration = Duration::from_secs(60);

/// Words in a column name that mark contact details or credentials.
const PRIVATE_NAME_WORDS: &[&str] = &[
    "email",
    "mail",
    "phone",
    "telephone",
    "tel",
    "mobile",
    "fax",
    "address",
    "street",
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "hash",
    "salt",
    "ssn",
    "iban",
    "url",
    "uri",
];

/// One column to sample: where it is and the query that samples it.
#[derive(Debug, Clone, PartialEq)]
struct SampleTarget {
    table: usize,
    column: usize,
    sql: String,
}

/// What became of one sampling query.
enum SampleOutcome {
    /// The budget ran out before it could start.
    NotStarted,
    Failed(sqlx::Error),
    /// The distinct values it returned, at most one more than may be kept.
    Fetched(Vec<Option<String>>),
}

/// Samples every candidate column of `tables` in place; returns how many columns got values.
pub(super) async fn sample_values(source_name: &str, pool: &SourcePool, tables: &mut [FoundTable]) -> usize {
    let targets = plan_sampling(pool.dialect(), tables);
    let deadline = Instant::now() + SAMPLING_BUDGET;
    let outcomes: Vec<(SampleTarget, SampleOutcome)> = futures_util::stream::iter(targets)
        .map(|target| async move {
            if Instant::now() >= deadline {
                return (target, SampleOutcome::NotStarted);
            }
            match fetch_text_values(pool, &target.sql).await {
                Ok(values) => (target, SampleOutcome::Fetched(values)),
                Err(error) => (target, SampleOutcome::Failed(error)),
            }
        })
        .buffer_unordered(SAMPLING_CONCURRENCY)
        .collect()
        .await;

    let mut sampled = 0;
    let mut skipped = 0;
    for (target, outcome) in outcomes {
        let table = &mut tables[target.table];
        let column = &mut table.columns[target.column].column;
        match outcome {
            SampleOutcome::NotStarted => skipped += 1,
            SampleOutcome::Failed(error) => warn!(
                source = source_name,
                table = %table.name,
                column = %column.name,
                error = %redact(&error.to_string()),
                "cannot sample column values; continuing without them"
            ),
            SampleOutcome::Fetched(raw) => {
                column.sample_values = keep_low_cardinality(raw);
                sampled += usize::from(!column.sample_values.is_empty());
            }
        }
    }
    if skipped > 0 {
        warn!(
            source = source_name,
            skipped,
            budget_s = SAMPLING_BUDGET.as_secs(),
            "sampling budget exhausted; some columns have no sample values"
        );
    }
    sampled
}

/// The candidate columns of `tables` (see the module doc), in a deterministic order, within the bounds.
fn plan_sampling(dialect: Dialect, tables: &[FoundTable]) -> Vec<SampleTarget> {
    let mut targets = Vec::new();
    for (table_index, table) in tables.iter().enumerate().filter(|(_, t)| !t.is_view) {
        let candidates = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| is_sampling_candidate(table, c))
            .take(MAX_SAMPLED_COLUMNS_PER_TABLE);
        for (column_index, column) in candidates {
            if targets.len() == MAX_SAMPLED_COLUMNS {
                return targets;
            }
            targets.push(SampleTarget {
                table: table_index,
                column: column_index,
                sql: sample_query(dialect, &table.from_sql, &column.column.name),
            });
        }
    }
    targets
}

/// Whether `column` of `table` may be sampled (see the module doc): a text
/// column of a table, not part of a key, whose name does not mark private data.
pub(super) fn is_sampling_candidate(table: &FoundTable, column: &FoundColumn) -> bool {
    !table.is_view
        && column.holds_text
        && !table.is_key_column(&column.column.name)
        && !names_private_data(&column.column.name)
}

/// Whether a column's name marks contact details or credentials: any of its
/// words (split at `_`, spaces, digits and camel-case humps) is in [`PRIVATE_NAME_WORDS`].
fn names_private_data(column_name: &str) -> bool {
    name_words(column_name).iter().any(|word| PRIVATE_NAME_WORDS.contains(&word.as_str()))
}

/// Lower-cased words of an identifier: `BillingAddress` -> billing, address;
/// `e_mail` -> e, mail; `HTMLBody` -> html, body.
pub(super) fn name_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphabetic() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let hump = c.is_uppercase()
            && previous
                .is_some_and(|p| p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase())));
        if hump && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The bounded query for one column: distinct non-empty values of a prefix of the table, one more than may be kept.
fn sample_query(dialect: Dialect, from_sql: &str, column: &str) -> String {
    let text_type = match dialect {
        Dialect::MySql => "CHAR",
        Dialect::Sqlite | Dialect::Postgres => "TEXT",
    };
    format!(
        "SELECT DISTINCT v FROM (SELECT CAST({column} AS {text_type}) AS v FROM {from_sql} LIMIT {SAMPLE_SCAN_ROWS}) \
         AS sampled WHERE v IS NOT NULL AND v <> '' LIMIT {limit}",
        column = dialect.quote_ident(column),
        limit = MAX_SAMPLE_VALUES + 1,
    )
}

/// The values to keep from one sampling query: all of them, sorted, if the
/// column is low-cardinality and short-valued; none otherwise.
fn keep_low_cardinality(raw: Vec<Option<String>>) -> Vec<String> {
    if raw.len() > MAX_SAMPLE_VALUES {
        return Vec::new();
    }
    let mut values: Vec<String> = raw.into_iter().flatten().filter(|v| !v.trim().is_empty()).collect();
    if values.iter().any(|v| v.chars().count() > MAX_SAMPLE_VALUE_CHARS) {
        return Vec::new();
    }
    values.sort();
    values.dedup();
    values
}

/// Runs a sampling query; statements are not cached, each runs once.
async fn fetch_text_values(pool: &SourcePool, sql: &str) -> Result<Vec<Option<String>>, sqlx::Error> {
    match pool {
        SourcePool::Sqlite(pool) => sqlx::query_scalar(sql).persistent(false).fetch_all(pool).await,
        SourcePool::Postgres(pool) => sqlx::query_scalar(sql).persistent(false).fetch_all(pool).await,
        SourcePool::MySql(pool) => sqlx::query_scalar(sql).persistent(false).fetch_all(pool).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::schema::ForeignKey;

    fn table(name: &str, is_view: bool, columns: &[(&str, bool)]) -> FoundTable {
        FoundTable {
            name: name.into(),
            from_sql: Dialect::Postgres.quote_ident(name),
            is_view,
            columns: columns
                .iter()
                .map(|(c, text)| FoundColumn::new(c.to_string(), "varchar(40)".into(), true, *text))
                .collect(),
            primary_key: vec!["Code".into()],
            foreign_keys: vec![ForeignKey {
                columns: vec!["SupportRep".into()],
                referenced_table: "Employee".into(),
                referenced_columns: vec!["EmployeeId".into()],
            }],
            approx_rows: Some(10),
        }
    }

    fn sampled_columns(tables: &[FoundTable]) -> Vec<String> {
        plan_sampling(Dialect::Postgres, tables)
            .iter()
            .map(|t| format!("{}.{}", tables[t.table].name, tables[t.table].columns[t.column].column.name))
            .collect()
    }

    #[test]
    fn only_non_key_text_columns_of_tables_without_private_names_are_sampled() {
        let columns = [
            ("Code", true),
            ("Country", true),
            ("SupportRep", true),
            ("Total", false),
            ("Email", true),
            ("BillingAddress", true),
            ("phone_number", true),
            ("FirstName", true),
            ("MailingCity", true),
        ];
        let tables = [table("Customer", false, &columns), table("CustomerView", true, &columns)];
        assert_eq!(sampled_columns(&tables), ["Customer.Country", "Customer.FirstName", "Customer.MailingCity"]);
    }

    #[test]
    fn sampling_is_capped_per_table() {
        let names: Vec<String> = (0..MAX_SAMPLED_COLUMNS_PER_TABLE + 5).map(|i| format!("c{i}")).collect();
        let columns: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), true)).collect();
        let sampled = sampled_columns(&[table("wide", false, &columns)]);
        assert_eq!(sampled.len(), MAX_SAMPLED_COLUMNS_PER_TABLE);
        assert_eq!(sampled[0], "wide.c0");
    }

    #[test]
    fn names_split_into_words_at_humps_and_separators() {
        assert_eq!(name_words("BillingAddress"), ["billing", "address"]);
        assert_eq!(name_words("e_mail"), ["e", "mail"]);
        assert_eq!(name_words("HTMLBody"), ["html", "body"]);
        assert_eq!(name_words("EMail"), ["e", "mail"]);
        assert_eq!(name_words("address2 line"), ["address", "line"]);
        assert!(names_private_data("EMail") && names_private_data("user_password_hash"));
        assert!(!names_private_data("Mailing") && !names_private_data("Country") && !names_private_data("Title"));
    }

    #[test]
    fn the_sample_query_is_bounded_and_quotes_for_its_dialect() {
        assert_eq!(
            sample_query(Dialect::MySql, "`Customer`", "Country"),
            "SELECT DISTINCT v FROM (SELECT CAST(`Country` AS CHAR) AS v FROM `Customer` LIMIT 10000) \
             AS sampled WHERE v IS NOT NULL AND v <> '' LIMIT 51"
        );
        assert!(sample_query(Dialect::Postgres, "\"s\".\"t\"", "a\"b").contains("CAST(\"a\"\"b\" AS TEXT)"));
    }

    #[test]
    fn low_cardinality_short_values_are_kept_sorted_and_others_dropped() {
        let raw = |values: &[&str]| values.iter().map(|v| Some(v.to_string())).collect::<Vec<_>>();
        assert_eq!(keep_low_cardinality(raw(&["USA", "Brazil", " ", "Brazil"])), ["Brazil", "USA"]);
        assert_eq!(keep_low_cardinality(vec![None, Some("x".into())]), ["x"]);
        let many: Vec<String> = (0..=MAX_SAMPLE_VALUES).map(|i| i.to_string()).collect();
        assert!(keep_low_cardinality(many.into_iter().map(Some).collect()).is_empty());
        let long = "x".repeat(MAX_SAMPLE_VALUE_CHARS + 1);
        assert!(keep_low_cardinality(raw(&["short", &long])).is_empty());
        assert_eq!(keep_low_cardinality(raw(&["é".repeat(MAX_SAMPLE_VALUE_CHARS).as_str()])).len(), 1);
    }
}
