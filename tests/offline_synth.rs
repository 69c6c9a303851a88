//! The offline synthesizer through its public API, against real data.
//!
//! - Every synthesized question of `jobs/example.json` is answered on the
//!   bundled SQLite Chinook, and its SQL returns the same rows as a gold query
//!   written by hand here; the pinned questions' SQL runs.
//! - A second, snake_case schema from another domain (a lending library, with
//!   a self-reference and a many-to-many link table) checks that nothing is
//!   Chinook-specific: answers match gold queries on SQLite data, and the SQL
//!   for the same schema parses in the SQLite, PostgreSQL and MySQL dialects.
//! - Refusals: data changes, out-of-schema and ambiguous questions.
//! - The same questions give the same rows on the SQLite, PostgreSQL
//!   (snake_case names) and MariaDB Chinook, each schema read by
//!   `plan::introspect` (skipped outside CI when a server is missing).
//!
//! Schemas are read here from SQLite's catalog (pragma_table_info,
//! pragma_foreign_key_list) with distinct values sampled for text columns of
//! at most 50 values, the way introspection does it.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use serde_json::Value;
use sqlsynth::config::SourceSettings;
use sqlsynth::db::SourcePool;
use sqlsynth::dialect::Dialect;
use sqlsynth::plan::introspect::introspect;
use sqlsynth::plan::schema::{Column, DatabaseSchema, ForeignKey, Table};
use sqlsynth::secret::SecretUrl;
use sqlsynth::synth::offline::OfflineSynthesizer;
use sqlsynth::synth::{Abstention, SynthesizerKind};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Row, TypeInfo, ValueRef};

const MIN_CONFIDENCE: f32 = 0.6;

/// In a table of questions and gold SQL: the synthesizer must abstain.
const ABSTAINS: &str = "-- abstains";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn chinook() -> (SqlitePool, DatabaseSchema) {
    let path = repo().join("jobs/demo/chinook.sqlite");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())).unwrap().read_only(true);
    let pool = SqlitePoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
    let schema = sqlite_schema(&pool, "chinook", Dialect::Sqlite).await;
    (pool, schema)
}

/// The schema of a SQLite database, labelled with `dialect`.
async fn sqlite_schema(pool: &SqlitePool, source: &str, dialect: Dialect) -> DatabaseSchema {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut tables = Vec::new();
    for name in names {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let info = sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid")
            .bind(&name)
            .fetch_all(pool)
            .await
            .unwrap();
        let mut columns = Vec::new();
        let mut primary_key: Vec<(i64, String)> = Vec::new();
        for row in info {
            let column: String = row.get("name");
            let data_type: String = row.get("type");
            let pk: i64 = row.get("pk");
            if pk > 0 {
                primary_key.push((pk, column.clone()));
            }
            let upper = data_type.to_uppercase();
            let is_text = ["CHAR", "TEXT", "CLOB"].iter().any(|t| upper.contains(t));
            let sample_values = if is_text { samples(pool, &quoted, &column).await } else { Vec::new() };
            let nullable = row.get::<i64, _>("notnull") == 0;
            columns.push(Column { name: column, data_type, nullable, sample_values });
        }
        primary_key.sort();
        let fk_rows =
            sqlx::query("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq")
                .bind(&name)
                .fetch_all(pool)
                .await
                .unwrap();
        let mut foreign_keys: Vec<(i64, ForeignKey)> = Vec::new();
        for row in fk_rows {
            let id: i64 = row.get("id");
            let (from, referenced_table, to): (String, String, String) =
                (row.get("from"), row.get("table"), row.get("to"));
            match foreign_keys.iter_mut().find(|(i, _)| *i == id) {
                Some((_, fk)) => {
                    fk.columns.push(from);
                    fk.referenced_columns.push(to);
                }
                None => foreign_keys
                    .push((id, ForeignKey { columns: vec![from], referenced_table, referenced_columns: vec![to] })),
            }
        }
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {quoted}")).fetch_one(pool).await.unwrap();
        tables.push(Table {
            name,
            columns,
            primary_key: primary_key.into_iter().map(|(_, c)| c).collect(),
            foreign_keys: foreign_keys.into_iter().map(|(_, fk)| fk).collect(),
            approx_rows: Some(rows as u64),
        });
    }
    DatabaseSchema::new(source, dialect, tables)
}

/// Distinct values of a text column with at most 50 of them.
async fn samples(pool: &SqlitePool, table: &str, column: &str) -> Vec<String> {
    let column = format!("\"{}\"", column.replace('"', "\"\""));
    let distinct: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(DISTINCT {column}) FROM {table}")).fetch_one(pool).await.unwrap();
    if distinct > 50 {
        return Vec::new();
    }
    sqlx::query_scalar(&format!("SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY 1"))
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The rows of a query as sorted strings, numbers rounded to 2 decimals.
async fn rows(pool: &SqlitePool, sql: &str) -> Vec<String> {
    let result = sqlx::query(sql).fetch_all(pool).await.unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"));
    let mut rows: Vec<String> =
        result.iter().map(|row| (0..row.len()).map(|i| cell(row, i)).collect::<Vec<_>>().join(" | ")).collect();
    rows.sort();
    rows
}

fn cell(row: &SqliteRow, i: usize) -> String {
    let raw = row.try_get_raw(i).unwrap();
    if raw.is_null() {
        return "NULL".into();
    }
    match raw.type_info().name() {
        "INTEGER" => format!("{:.2}", row.get::<i64, _>(i) as f64),
        "REAL" => format!("{:.2}", row.get::<f64, _>(i)),
        _ => row.get::<String, _>(i),
    }
}

fn synthesizer(schema: &DatabaseSchema) -> OfflineSynthesizer {
    OfflineSynthesizer::new(schema, &BTreeMap::new(), MIN_CONFIDENCE)
}

fn answer(synth: &OfflineSynthesizer, question: &str) -> String {
    match synth.synthesize(question) {
        Ok(answer) => {
            assert_eq!(answer.synthesizer, SynthesizerKind::Offline);
            assert!(answer.confidence >= MIN_CONFIDENCE && answer.confidence <= 1.0, "{question}: {answer:?}");
            answer.sql
        }
        Err(Abstention { reason }) => panic!("{question:?} abstained: {reason}"),
    }
}

fn abstention(synth: &OfflineSynthesizer, question: &str) -> String {
    match synth.synthesize(question) {
        Ok(answer) => panic!("{question:?} should abstain but gave {}", answer.sql),
        Err(Abstention { reason }) => reason,
    }
}

/// Hand-written gold SQL for every synthesized question of jobs/example.json.
const EXAMPLE_GOLD: &[(&str, &str)] = &[
    ("customers_per_country", "SELECT Country, COUNT(*) FROM Customer GROUP BY Country"),
    (
        "top_artists_by_tracks",
        "SELECT ar.ArtistId, ar.Name, COUNT(*) FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId
         JOIN Track t ON t.AlbumId = al.AlbumId GROUP BY ar.ArtistId, ar.Name ORDER BY COUNT(*) DESC LIMIT 3",
    ),
    ("revenue_per_year", "SELECT substr(InvoiceDate, 1, 4) + 0, SUM(Total) FROM Invoice GROUP BY 1"),
    ("rock_track_count", "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Rock'"),
    (
        "busiest_support_rep",
        "SELECT e.EmployeeId, e.FirstName, e.LastName, COUNT(*) FROM Employee e
         JOIN Customer c ON c.SupportRepId = e.EmployeeId GROUP BY e.EmployeeId ORDER BY 4 DESC LIMIT 1",
    ),
    ("brazilian_customers", "SELECT CustomerId, FirstName, LastName FROM Customer WHERE Country = 'Brazil'"),
    ("invoices_2023", "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate LIKE '2023-%'"),
    (
        "top_genres_by_revenue",
        "SELECT g.GenreId, g.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il
         JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId
         GROUP BY g.GenreId ORDER BY 3 DESC LIMIT 5",
    ),
    (
        "best_customers",
        "SELECT c.CustomerId, c.FirstName, c.LastName, SUM(i.Total) FROM Customer c
         JOIN Invoice i ON i.CustomerId = c.CustomerId GROUP BY c.CustomerId ORDER BY 4 DESC LIMIT 5",
    ),
    ("avg_invoice_by_country", "SELECT BillingCountry, AVG(Total) FROM Invoice GROUP BY BillingCountry"),
    ("big_albums", "SELECT COUNT(*) FROM (SELECT AlbumId FROM Track GROUP BY AlbumId HAVING COUNT(*) > 20)"),
    ("customer_countries", "SELECT DISTINCT Country FROM Customer"),
    (
        "tracks_per_media_type",
        "SELECT m.MediaTypeId, m.Name, COUNT(*) FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId
         GROUP BY m.MediaTypeId",
    ),
    ("longest_tracks", "SELECT TrackId, Name, Milliseconds FROM Track ORDER BY Milliseconds DESC LIMIT 10"),
    (
        "customers_per_support_rep",
        "SELECT e.EmployeeId, e.FirstName, e.LastName, COUNT(*) FROM Customer c
         JOIN Employee e ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId",
    ),
    (
        "revenue_2022_by_country",
        "SELECT BillingCountry, SUM(Total) FROM Invoice WHERE InvoiceDate LIKE '2022-%' GROUP BY BillingCountry",
    ),
    (
        "jazz_avg_price",
        "SELECT AVG(t.UnitPrice) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Jazz'",
    ),
    (
        "monthly_revenue_2024",
        "SELECT 2024, substr(InvoiceDate, 6, 2) + 0, SUM(Total) FROM Invoice WHERE InvoiceDate LIKE '2024-%'
         GROUP BY 2",
    ),
    (
        "big_playlists",
        "SELECT p.PlaylistId, p.Name, COUNT(*) FROM Playlist p JOIN PlaylistTrack pt ON pt.PlaylistId = p.PlaylistId
         GROUP BY p.PlaylistId HAVING COUNT(*) > 100",
    ),
];

fn example_questions() -> Vec<Value> {
    let job: Value = serde_json::from_slice(&std::fs::read(repo().join("jobs/example.json")).unwrap()).unwrap();
    assert_eq!(job["job_id"], "example");
    job["questions"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_example_question_returns_the_gold_rows_on_sqlite_chinook() {
    let (pool, schema) = chinook().await;
    let synth = synthesizer(&schema);
    let questions = example_questions();
    let synthesized: Vec<&Value> = questions.iter().filter(|q| q.get("sql").is_none()).collect();
    assert!(synthesized.len() >= 12, "the example job asks at least 12 questions the synthesizer answers");
    for question in synthesized {
        let id = question["id"].as_str().unwrap();
        let text = question["question"].as_str().unwrap();
        let gold = EXAMPLE_GOLD.iter().find(|(g, _)| *g == id).unwrap_or_else(|| panic!("no gold SQL for {id}")).1;
        let sql = answer(&synth, text);
        let (got, want) = (rows(&pool, &sql).await, rows(&pool, gold).await);
        assert!(!want.is_empty(), "{id}: the gold query returns rows");
        assert_eq!(got, want, "{id}: {text}\nsynthesized: {sql}");
    }
}

#[tokio::test]
async fn pinned_example_sql_is_portable_and_runs() {
    let (pool, _) = chinook().await;
    let pinned: Vec<Value> = example_questions().into_iter().filter(|q| q.get("sql").is_some()).collect();
    assert!((2..=3).contains(&pinned.len()));
    for question in pinned {
        let sql = question["sql"].as_str().unwrap();
        assert!(!sql.contains('"') && !sql.contains('`'), "pinned SQL stays unquoted, so PostgreSQL folds it");
        assert_eq!(rows(&pool, sql).await.len(), 1, "{sql}");
    }
}

#[tokio::test]
async fn values_link_to_sampled_columns_through_joins() {
    let (pool, schema) = chinook().await;
    let synth = synthesizer(&schema);
    let cases = [
        (
            "How many rock tracks are there?",
            "SELECT COUNT(*) FROM Track t JOIN Genre g USING (GenreId) WHERE g.Name = 'Rock'",
        ),
        ("How many customers are from 'brazil'?", "SELECT COUNT(*) FROM Customer WHERE Country = 'Brazil'"),
        (
            "How many customers are in Brazil or Argentina?",
            "SELECT COUNT(*) FROM Customer WHERE Country IN ('Brazil', 'Argentina')",
        ),
        (
            "How many employees are sales support agents?",
            "SELECT COUNT(*) FROM Employee WHERE Title = 'Sales Support Agent'",
        ),
        (
            "Total revenue from customers in Germany",
            "SELECT SUM(i.Total) FROM Invoice i JOIN Customer c USING (CustomerId) WHERE c.Country = 'Germany'",
        ),
        (
            "How many tracks are longer than 300000 milliseconds?",
            "SELECT COUNT(*) FROM Track WHERE Milliseconds > 300000",
        ),
        ("How many invoices have a total over 20?", "SELECT COUNT(*) FROM Invoice WHERE Total > 20"),
        (
            "How many invoices were there between 2021 and 2022?",
            "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate LIKE '2021-%' OR InvoiceDate LIKE '2022-%'",
        ),
        ("Number of invoices in March 2022", "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate LIKE '2022-03-%'"),
        ("How many employees were hired in 2002?", "SELECT COUNT(*) FROM Employee WHERE HireDate LIKE '2002-%'"),
        (
            "How many clients does each support rep have?",
            "SELECT SupportRepId, COUNT(*) FROM Customer GROUP BY SupportRepId",
        ),
        ("How many songs are there?", "SELECT COUNT(*) FROM Track"),
    ];
    for (question, gold) in cases {
        let sql = answer(&synth, question);
        assert_eq!(rows(&pool, &sql).await.len(), rows(&pool, gold).await.len(), "{question}\n{sql}");
        let (got, want) = (rows(&pool, &sql).await, rows(&pool, gold).await);
        if question.contains("support rep") {
            continue; // the gold shows ids only; the row count is what matters here
        }
        assert_eq!(got, want, "{question}\nsynthesized: {sql}");
    }
}

#[tokio::test]
async fn shapes_give_the_gold_rows() {
    let (pool, schema) = chinook().await;
    let synth = synthesizer(&schema);
    let cases = [
        ("List all genres", "SELECT GenreId, Name FROM Genre"),
        (
            "Which genre has the most tracks?",
            "SELECT g.GenreId, g.Name, COUNT(*) FROM Genre g JOIN Track t USING (GenreId) GROUP BY g.GenreId ORDER BY 3 DESC LIMIT 1",
        ),
        ("What is the average invoice total?", "SELECT AVG(Total) FROM Invoice"),
        ("What is the highest invoice total?", "SELECT MAX(Total) FROM Invoice"),
        ("What is the minimum unit price of tracks?", "SELECT MIN(UnitPrice) FROM Track"),
        (
            "Which invoice has the highest total?",
            "SELECT InvoiceId, InvoiceDate, Total FROM Invoice ORDER BY Total DESC, InvoiceId LIMIT 1",
        ),
        (
            "Bottom 3 genres by number of tracks",
            "SELECT g.GenreId, g.Name, COUNT(*) FROM Genre g JOIN Track t USING (GenreId) GROUP BY g.GenreId ORDER BY 3, 1 LIMIT 3",
        ),
        (
            "Which 3 countries have the most customers?",
            "SELECT Country, COUNT(*) FROM Customer GROUP BY Country ORDER BY 2 DESC, 1 LIMIT 3",
        ),
        (
            "What are the 3 most expensive tracks?",
            "SELECT TrackId, Name, UnitPrice FROM Track ORDER BY UnitPrice DESC, TrackId LIMIT 3",
        ),
        ("How many distinct billing countries are there?", "SELECT COUNT(DISTINCT BillingCountry) FROM Invoice"),
        ("List the distinct billing countries", "SELECT DISTINCT BillingCountry FROM Invoice"),
        (
            "Which artists have more than 10 albums?",
            "SELECT ar.ArtistId, ar.Name, COUNT(*) FROM Artist ar JOIN Album al USING (ArtistId) GROUP BY ar.ArtistId HAVING COUNT(*) > 10",
        ),
        (
            "How many customers have at least 7 invoices?",
            "SELECT COUNT(*) FROM (SELECT CustomerId FROM Invoice GROUP BY CustomerId HAVING COUNT(*) >= 7)",
        ),
        (
            "Number of tracks for each playlist",
            "SELECT p.PlaylistId, p.Name, COUNT(*) FROM Playlist p JOIN PlaylistTrack pt USING (PlaylistId) GROUP BY p.PlaylistId",
        ),
        (
            "How many customers bought tracks in each genre",
            "SELECT g.GenreId, g.Name, COUNT(DISTINCT i.CustomerId) FROM Invoice i JOIN InvoiceLine il USING (InvoiceId)
             JOIN Track t USING (TrackId) JOIN Genre g USING (GenreId) GROUP BY g.GenreId",
        ),
        (
            "Average track length by genre",
            "SELECT g.GenreId, g.Name, AVG(t.Milliseconds) FROM Track t JOIN Genre g USING (GenreId) GROUP BY g.GenreId",
        ),
        (
            "Total revenue per genre in 2021",
            "SELECT g.GenreId, g.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Invoice i USING (InvoiceId) JOIN Track t USING (TrackId) JOIN Genre g USING (GenreId) WHERE i.InvoiceDate LIKE '2021-%' GROUP BY g.GenreId",
        ),
        ("List the names of all artists sorted alphabetically", "SELECT Name FROM Artist"),
        (
            "What are the titles of albums by the artist named 'AC/DC'?",
            "SELECT al.Title FROM Album al JOIN Artist ar USING (ArtistId) WHERE ar.Name = 'AC/DC'",
        ),
        (
            "List customers in Canada with their email",
            "SELECT CustomerId, FirstName, LastName, Email FROM Customer WHERE Country = 'Canada'",
        ),
        ("What are the names of all employees?", "SELECT FirstName, LastName FROM Employee"),
        ("Average revenue per invoice", "SELECT AVG(Total) FROM Invoice"),
        (
            "How many employees report to Andrew?",
            "SELECT COUNT(*) FROM Employee e JOIN Employee m ON m.EmployeeId = e.ReportsTo WHERE m.FirstName = 'Andrew'",
        ),
        (
            "Number of customers per support representative",
            "SELECT e.EmployeeId, e.FirstName, e.LastName, COUNT(*) FROM Customer c
             JOIN Employee e ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId",
        ),
        (
            "Which genre generates the least revenue?",
            "SELECT g.GenreId, g.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Track t USING (TrackId)
             JOIN Genre g USING (GenreId) GROUP BY g.GenreId ORDER BY 3, 1 LIMIT 1",
        ),
        ("What is the earliest invoice date?", "SELECT MIN(InvoiceDate) FROM Invoice"),
        ("How many tracks were purchased?", ABSTAINS),
        // A track is in several playlists, yet once in each: no playlist counts a sale twice.
        (
            "Revenue per playlist",
            "SELECT p.PlaylistId, p.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il
             JOIN PlaylistTrack pt ON pt.TrackId = il.TrackId JOIN Playlist p ON p.PlaylistId = pt.PlaylistId
             GROUP BY p.PlaylistId, p.Name",
        ),
        // An invoice with two tracks of one playlist would count twice in it.
        ("Total invoice total per playlist", ABSTAINS),
        ("How many customers and employees are there?", ABSTAINS),
    ];
    for (question, gold) in cases {
        if gold == ABSTAINS {
            abstention(&synth, question);
            continue;
        }
        let sql = answer(&synth, question);
        let (got, want) = (rows(&pool, &sql).await, rows(&pool, gold).await);
        assert!(!want.is_empty(), "{question}: the gold query returns rows");
        assert_eq!(got, want, "{question}\nsynthesized: {sql}");
    }
}

#[tokio::test]
async fn data_changes_out_of_schema_and_ambiguous_questions_abstain() {
    let (_, schema) = chinook().await;
    let synth = synthesizer(&schema);
    for question in
        ["Delete all customers", "please update the invoice totals", "drop table Track", "Insert a new genre"]
    {
        let reason = abstention(&synth, question);
        assert!(reason.contains("read-only"), "{question}: {reason}");
    }
    let reason = abstention(&synth, "What is the weather in Paris?");
    assert!(reason.contains("weather"), "{reason}");
    let reason = abstention(&synth, "What are the employee salaries?");
    assert!(reason.contains("salaries"), "{reason}");
    let reason = abstention(&synth, "How many customers have a loyalty status?");
    assert!(reason.contains("could not map 'loyalty'"), "{reason}");
    let reason = abstention(&synth, "List all names");
    assert!(reason.starts_with("ambiguous: 'names' matches"), "{reason}");
    let reason = abstention(&synth, "How many countries are there?");
    assert!(reason.contains("ambiguous") && reason.contains("Customer.Country"), "{reason}");
    let reason = abstention(&synth, "How many employees were born or hired in 2002?");
    assert!(!reason.is_empty());
    let not_in = answer(&synth, "How many customers are not in Brazil?");
    assert!(not_in.ends_with(r#"WHERE "Customer"."Country" NOT IN ('Brazil')"#), "{not_in}");
    let reason = abstention(&synth, "Which customers did not buy more than 3 tracks?");
    assert!(reason.contains("negated"), "{reason}");
    let reason = abstention(&synth, "Revenue next week");
    assert!(reason.contains("count from today"), "{reason}");
    let reason = abstention(&synth, "Total invoice total per genre");
    assert!(reason.contains("more than once"), "{reason}");
    abstention(&synth, "");
    abstention(&synth, "?!");
}

#[tokio::test]
async fn the_glossary_adds_words_for_tables_and_columns() {
    let (pool, schema) = chinook().await;
    let plain = synthesizer(&schema);
    let reason = abstention(&plain, "How many shoppers per territory?");
    assert!(reason.contains("territory"), "{reason}");
    let glossary: BTreeMap<String, String> =
        [("territory".to_string(), "Customer.Country".to_string()), ("tune".to_string(), "Track".to_string())].into();
    let synth = OfflineSynthesizer::new(&schema, &glossary, MIN_CONFIDENCE);
    let sql = answer(&synth, "How many shoppers per territory?");
    assert_eq!(rows(&pool, &sql).await, rows(&pool, "SELECT Country, COUNT(*) FROM Customer GROUP BY Country").await);
    let sql = answer(&synth, "How many tunes are there?");
    assert_eq!(rows(&pool, &sql).await, rows(&pool, "SELECT COUNT(*) FROM Track").await);
}

#[tokio::test]
async fn sql_quotes_identifiers_and_uses_dialect_year_functions() {
    let (_, schema) = chinook().await;
    let sql = answer(&synthesizer(&schema), "What is the total revenue per year?");
    assert!(sql.contains("CAST(strftime('%Y', \"Invoice\".\"InvoiceDate\") AS INTEGER)"), "{sql}");
    assert!(sql.contains("SUM(\"Invoice\".\"Total\")"), "{sql}");
    let postgres = DatabaseSchema::new("pg", Dialect::Postgres, schema.tables.clone());
    let sql = answer(&synthesizer(&postgres), "What is the total revenue per year?");
    assert!(sql.contains("CAST(EXTRACT(YEAR FROM \"Invoice\".\"InvoiceDate\") AS INTEGER)"), "{sql}");
    let mysql = DatabaseSchema::new("my", Dialect::MySql, schema.tables.clone());
    let sql = answer(&synthesizer(&mysql), "How many invoices were issued in 2023?");
    assert!(
        sql.contains("`Invoice`.`InvoiceDate` >= '2023-01-01' AND `Invoice`.`InvoiceDate` < '2024-01-01'"),
        "{sql}"
    );
    let sql = answer(&synthesizer(&mysql), "Monthly revenue in 2024");
    assert!(sql.contains("YEAR(`Invoice`.`InvoiceDate`)") && sql.contains("MONTH(`Invoice`.`InvoiceDate`)"), "{sql}");
    let sql = answer(&synthesizer(&mysql), "Top 3 artists by number of tracks");
    assert!(sql.ends_with("ORDER BY `track_count` DESC, `Artist`.`ArtistId` LIMIT 3"), "{sql}");
}

// ---- a second domain: a lending library in snake_case ---------------------------------------

const LIBRARY_DDL: &str = "
CREATE TABLE author (author_id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, country TEXT);
CREATE TABLE category (category_id INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE book (book_id INTEGER PRIMARY KEY, title TEXT NOT NULL,
    author_id INTEGER REFERENCES author (author_id), category_id INTEGER REFERENCES category (category_id),
    published_on DATE, page_count INTEGER, list_price NUMERIC(8,2));
CREATE TABLE member (member_id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    city TEXT, joined_on DATE);
CREATE TABLE loan (loan_id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES book (book_id),
    member_id INTEGER NOT NULL REFERENCES member (member_id), loaned_on DATE NOT NULL, due_on DATE,
    late_fee NUMERIC(6,2));
CREATE TABLE librarian (librarian_id INTEGER PRIMARY KEY, name TEXT NOT NULL,
    supervisor_id INTEGER REFERENCES librarian (librarian_id));
CREATE TABLE tag (tag_id INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE book_tag (book_id INTEGER NOT NULL REFERENCES book (book_id),
    tag_id INTEGER NOT NULL REFERENCES tag (tag_id), PRIMARY KEY (book_id, tag_id));
INSERT INTO author VALUES (1, 'Ursula Le Guin', 'USA'), (2, 'Chinua Achebe', 'Nigeria'), (3, 'Italo Calvino', 'Italy'),
    (4, 'Toni Morrison', 'USA');
INSERT INTO category VALUES (1, 'Fiction'), (2, 'Science Fiction'), (3, 'Essays');
INSERT INTO book VALUES (1, 'The Dispossessed', 1, 2, '1974-05-01', 387, 15.99), (2, 'Things Fall Apart', 2, 1, '1958-01-01', 209, 12.50),
    (3, 'Invisible Cities', 3, 1, '1972-11-01', 165, 13.00), (4, 'Beloved', 4, 1, '1987-09-02', 324, 16.00),
    (5, 'The Left Hand of Darkness', 1, 2, '1969-03-01', 304, 14.25), (6, 'Six Memos', 3, 3, '1988-01-01', 124, 11.00);
INSERT INTO member VALUES (1, 'Ada', 'Lovelace', 'Springfield', '2021-02-03'), (2, 'Alan', 'Turing', 'Shelbyville', '2022-07-19'),
    (3, 'Grace', 'Hopper', 'Springfield', '2022-01-10');
INSERT INTO loan VALUES (1, 1, 1, '2022-03-01', '2022-03-22', 0), (2, 2, 1, '2023-01-15', '2023-02-05', 1.50),
    (3, 5, 2, '2023-02-01', '2023-02-22', 0), (4, 1, 3, '2023-06-30', '2023-07-21', 3.00),
    (5, 4, 2, '2024-01-05', '2024-01-26', 0), (6, 1, 2, '2024-02-11', '2024-03-03', 2.25);
INSERT INTO librarian VALUES (1, 'Mira', NULL), (2, 'Jon', 1), (3, 'Kay', 1), (4, 'Lee', 2);
INSERT INTO tag VALUES (1, 'classic'), (2, 'award winner'), (3, 'translated');
INSERT INTO book_tag VALUES (1, 2), (2, 1), (2, 3), (3, 3), (4, 1), (4, 2), (5, 2);
";

async fn library() -> (SqlitePool, DatabaseSchema) {
    let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap().foreign_keys(true);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    sqlx::raw_sql(LIBRARY_DDL).execute(&pool).await.unwrap();
    let schema = sqlite_schema(&pool, "library", Dialect::Sqlite).await;
    (pool, schema)
}

/// Library questions and their gold SQL on the SQLite copy.
const LIBRARY_GOLD: &[(&str, &str)] = &[
    (
        "How many books are there per category?",
        "SELECT c.category_id, c.label, COUNT(*) FROM book b JOIN category c USING (category_id) GROUP BY c.category_id",
    ),
    (
        "Top 2 authors by number of loans",
        "SELECT a.author_id, a.full_name, COUNT(*) FROM loan l JOIN book b USING (book_id) JOIN author a USING (author_id) GROUP BY a.author_id ORDER BY 3 DESC, 1 LIMIT 2",
    ),
    ("How many loans were made in 2023?", "SELECT COUNT(*) FROM loan WHERE loaned_on LIKE '2023-%'"),
    (
        "Which members live in Springfield?",
        "SELECT member_id, first_name, last_name FROM member WHERE city = 'Springfield'",
    ),
    (
        "How many librarians does each supervisor have?",
        "SELECT s.librarian_id, s.name, COUNT(*) FROM librarian l JOIN librarian s ON s.librarian_id = l.supervisor_id GROUP BY s.librarian_id",
    ),
    (
        "How many books have the tag 'classic'?",
        "SELECT COUNT(*) FROM book_tag bt JOIN tag t USING (tag_id) WHERE t.label = 'classic'",
    ),
    (
        "Total late fee by member city",
        "SELECT m.city, SUM(l.late_fee) FROM loan l JOIN member m USING (member_id) GROUP BY m.city",
    ),
    (
        "Average page count of books by author",
        "SELECT a.author_id, a.full_name, AVG(b.page_count) FROM book b JOIN author a USING (author_id) GROUP BY a.author_id",
    ),
    (
        "Which category has the most books?",
        "SELECT c.category_id, c.label, COUNT(*) FROM book b JOIN category c USING (category_id) GROUP BY c.category_id ORDER BY 3 DESC LIMIT 1",
    ),
    (
        "What is the most expensive book?",
        "SELECT book_id, title, list_price FROM book ORDER BY list_price DESC LIMIT 1",
    ),
    ("List books published in 1972", "SELECT book_id, title FROM book WHERE published_on LIKE '1972-%'"),
    ("How many members joined in 2022?", "SELECT COUNT(*) FROM member WHERE joined_on LIKE '2022-%'"),
    ("Which authors are from the USA?", "SELECT author_id, full_name FROM author WHERE country = 'USA'"),
    (
        "How many books does each tag have?",
        "SELECT t.tag_id, t.label, COUNT(*) FROM book_tag bt JOIN tag t USING (tag_id) GROUP BY t.tag_id",
    ),
    (
        "How many members borrowed Science Fiction books?",
        "SELECT COUNT(DISTINCT l.member_id) FROM loan l JOIN book b ON b.book_id = l.book_id
         JOIN category c ON c.category_id = b.category_id WHERE c.label = 'Science Fiction'",
    ),
    (
        "Number of loans per month in 2023",
        "SELECT 2023, substr(loaned_on, 6, 2) + 0, COUNT(*) FROM loan WHERE loaned_on LIKE '2023-%' GROUP BY 2",
    ),
    (
        "Which members have more than 1 loan?",
        "SELECT m.member_id, m.first_name, m.last_name, COUNT(*) FROM member m JOIN loan l USING (member_id) GROUP BY m.member_id HAVING COUNT(*) > 1",
    ),
    (
        "How many Science Fiction books were loaned?",
        "SELECT COUNT(DISTINCT l.book_id) FROM loan l JOIN book b USING (book_id) JOIN category c USING (category_id) WHERE c.label = 'Science Fiction'",
    ),
];

#[tokio::test]
async fn a_snake_case_library_schema_gets_the_gold_rows() {
    let (pool, schema) = library().await;
    let synth = synthesizer(&schema);
    for (question, gold) in LIBRARY_GOLD {
        if *gold == ABSTAINS {
            abstention(&synth, question);
            continue;
        }
        let sql = answer(&synth, question);
        let (got, want) = (rows(&pool, &sql).await, rows(&pool, gold).await);
        assert!(!want.is_empty(), "{question}: the gold query returns rows");
        assert_eq!(got, want, "{question}\nsynthesized: {sql}");
    }
}

#[tokio::test]
async fn library_refusals_name_what_they_could_not_map() {
    let (_, schema) = library().await;
    let synth = synthesizer(&schema);
    let reason = abstention(&synth, "What is the average salary of librarians?");
    assert!(reason.contains("could not map 'salary'"), "{reason}");
    let reason = abstention(&synth, "How many loans are overdue?");
    assert!(reason.contains("overdue"), "{reason}");
    let reason = abstention(&synth, "How many loans are there per librarian?");
    assert!(reason.contains("no foreign-key path"), "{reason}");
    let reason = abstention(&synth, "List all labels");
    assert!(
        reason.contains("ambiguous") && reason.contains("category.label") && reason.contains("tag.label"),
        "{reason}"
    );
    let reason = abstention(&synth, "Remove the late fees");
    assert!(reason.contains("read-only"), "{reason}");
}

/// Loans dated relative to the day the test runs, and gold SQL that says
/// the same periods another way (calendar parts and day distances).
const RELATIVE_GOLD: &[(&str, &str)] = &[
    ("How many loans were made today?", "SELECT COUNT(*) FROM loan WHERE loaned_on = date('now')"),
    ("How many loans were made yesterday?", "SELECT COUNT(*) FROM loan WHERE loaned_on = date('now', '-1 day')"),
    (
        "How many loans in the last 30 days?",
        "SELECT COUNT(*) FROM loan WHERE julianday(date('now')) - julianday(loaned_on) BETWEEN 0 AND 30
         OR loaned_on > date('now')",
    ),
    (
        "How many loans last month?",
        "SELECT COUNT(*) FROM loan WHERE strftime('%Y-%m', loaned_on) = strftime('%Y-%m', 'now', 'start of month', '-1 month')",
    ),
    ("How many loans this year?", "SELECT COUNT(*) FROM loan WHERE strftime('%Y', loaned_on) = strftime('%Y', 'now')"),
    (
        "How many loans last year?",
        "SELECT COUNT(*) FROM loan WHERE CAST(strftime('%Y', loaned_on) AS INTEGER) = CAST(strftime('%Y', 'now') AS INTEGER) - 1",
    ),
];

#[tokio::test]
async fn dates_relative_to_today_are_counted_by_the_database_when_the_query_runs() {
    let (pool, schema) = library().await;
    sqlx::raw_sql(
        "INSERT INTO loan VALUES
            (10, 1, 1, date('now'), NULL, 0), (11, 2, 1, date('now', '-1 day'), NULL, 0),
            (12, 3, 2, date('now', 'start of month', '-1 month'), NULL, 0), (13, 4, 3, date('now', '-20 days'), NULL, 0),
            (14, 5, 3, date('now', 'start of year', '-1 year', '+10 days'), NULL, 0), (15, 1, 2, date('now', '-400 days'), NULL, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let synth = synthesizer(&schema);
    for (question, gold) in RELATIVE_GOLD {
        let sql = answer(&synth, question);
        assert!(
            sql.contains("date('now'") && !sql.contains("-01'"),
            "{question}: the date comes from the database: {sql}"
        );
        assert_eq!(rows(&pool, &sql).await, rows(&pool, gold).await, "{question}\n{sql}");
    }
    let today = rows(&pool, &answer(&synth, "How many loans were made today?")).await;
    assert_eq!(today, vec!["1.00".to_string()], "exactly the loan made today");
    // Weeks (whose first day differs by country) and the future stay refusals that say what works.
    let reason = abstention(&synth, "How many loans last week?");
    assert!(reason.contains("the last 30 days"), "{reason}");
}

#[tokio::test]
async fn library_sql_parses_in_every_dialect() {
    let (_, sqlite) = library().await;
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
        let schema = DatabaseSchema::new("library", dialect, sqlite.tables.clone());
        let synth = synthesizer(&schema);
        let mut answered = 0;
        for (question, _) in LIBRARY_GOLD {
            let Ok(answer) = synth.synthesize(question) else { continue };
            let parsed = sqlparser::parser::Parser::parse_sql(dialect.parser_dialect().as_ref(), &answer.sql);
            let statements = parsed.unwrap_or_else(|e| panic!("{dialect}: {question}\n{}\n{e}", answer.sql));
            assert_eq!(statements.len(), 1, "{}", answer.sql);
            answered += 1;
        }
        assert!(answered >= 15, "{dialect}: answered {answered}");
    }
}

// ---- the same answers on SQLite, PostgreSQL and MariaDB -------------------------------------

/// More questions whose answers must agree across the three Chinook variants.
const CROSS_DATABASE_EXTRA: &[&str] = &[
    "How many rock tracks are there?",
    "Total revenue from customers in Germany",
    "How many invoices were there between 2021 and 2022?",
    "Number of invoices in March 2022",
    "Which 3 countries have the most customers?",
    "What are the 3 most expensive tracks?",
    "Which artists have more than 10 albums?",
    "Average track length by genre",
    "Total revenue per genre in 2021",
    "What are the titles of albums by the artist named 'AC/DC'?",
    "Which genre has the lowest average unit price?",
    "What is the earliest invoice date?",
    "How many employees report to Andrew?",
    "List employees sorted by last name",
    "Top 10 customers by total spending",
    // Counted from the day the test runs, by each database.
    "Total revenue last year",
    "How many invoices in the last 400 days?",
];

async fn open(name: &str, url: &str) -> (SourcePool, DatabaseSchema) {
    let dialect = Dialect::from_url(url).unwrap();
    let settings = SourceSettings {
        acquire_timeout_ms: 30_000,
        name: name.into(),
        dialect,
        url: SecretUrl::new(url),
        max_connections: 2,
        glossary: BTreeMap::new(),
        examples: Vec::new(),
        value_index_limit: sqlsynth::plan::values::DEFAULT_VALUE_INDEX_LIMIT,
    };
    let pool = SourcePool::connect(&settings).await.unwrap();
    let schema = introspect(name, &pool).await.unwrap();
    (pool, schema)
}

/// One cell as text: every number to 2 decimals, NULL as "NULL", the rest as displayed.
macro_rules! cell_text {
    ($row:expr, $i:expr, $($number:ty),* ; $($text:ty),*) => {{
        let row = $row;
        let i = $i;
        let mut text = None;
        $(
            if text.is_none() && let Ok(value) = row.try_get::<Option<$number>, _>(i) {
                text = Some(value.map_or("NULL".to_string(), |v| format!("{:.2}", v.to_string().parse::<f64>().unwrap())));
            }
        )*
        $(
            if text.is_none() && let Ok(value) = row.try_get::<Option<$text>, _>(i) {
                text = Some(value.map_or("NULL".to_string(), |v| v.to_string()));
            }
        )*
        text.unwrap_or_else(|| panic!("column {i} has a type this test cannot read"))
    }};
}

async fn rows_on(pool: &SourcePool, sql: &str) -> Vec<String> {
    use chrono::{NaiveDate, NaiveDateTime};
    use rust_decimal::Decimal;
    let mut rows: Vec<String> = match pool {
        SourcePool::Sqlite(pool) => return rows(pool, sql).await,
        SourcePool::Postgres(pool) => sqlx::query(sql)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"))
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| cell_text!(row, i, i64, i32, i16, f64, f32, Decimal; String, NaiveDateTime, NaiveDate))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect(),
        SourcePool::MySql(pool) => sqlx::query(sql)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"))
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| cell_text!(row, i, i64, i32, i16, u64, u32, f64, f32, Decimal; String, NaiveDateTime, NaiveDate))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect(),
    };
    rows.sort();
    rows
}

#[tokio::test]
async fn the_same_questions_give_the_same_rows_on_sqlite_postgres_and_mariadb() {
    let Some(postgres_url) = common::chinook::chinook_postgres().await else { return };
    let Some(mysql_url) = common::chinook::chinook_mysql().await else { return };
    let sources = [
        open("chinook", &common::chinook::chinook_sqlite_url()).await,
        open("chinook_pg", &postgres_url).await,
        open("chinook_my", &mysql_url).await,
    ];
    let synthesizers: Vec<OfflineSynthesizer> = sources.iter().map(|(_, schema)| synthesizer(schema)).collect();
    let examples: Vec<String> = example_questions()
        .iter()
        .filter(|q| q.get("sql").is_none())
        .map(|q| q["question"].as_str().unwrap().to_string())
        .collect();
    for question in examples.iter().map(String::as_str).chain(CROSS_DATABASE_EXTRA.iter().copied()) {
        let mut answers = Vec::new();
        for ((pool, _), synth) in sources.iter().zip(&synthesizers) {
            let sql = answer(synth, question);
            answers.push((rows_on(pool, &sql).await, sql));
        }
        let (sqlite, _) = &answers[0];
        assert!(!sqlite.is_empty(), "{question}: no rows");
        for (rows, sql) in &answers[1..] {
            assert_eq!(rows, sqlite, "{question}\n{sql}\nvs SQLite: {}", answers[0].1);
        }
    }
}
