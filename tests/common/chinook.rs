//! The Chinook sample database on every engine the tests use.
//!
//! SQLite uses the bundled demo file. PostgreSQL and MariaDB get the
//! project's verbatim copies of the upstream scripts
//! (`tests/fixtures/chinook/`), minus their preamble (everything before the
//! first `CREATE TABLE`: it drops and creates a database named `chinook` and
//! switches to it), loaded into a database named [`DATABASE`].
//!
//! Loading is idempotent and safe when tests and test binaries race:
//! - one loader at a time per server: a PostgreSQL advisory lock or a MariaDB
//!   `GET_LOCK`, held on a dedicated admin connection (closing it releases the
//!   lock, even after a panic);
//! - a marker, written only after a complete load, records the SHA-256 of the
//!   script and of [`LOADER_VERSION`]; the database is dropped and reloaded
//!   when the marker is missing or stale (a half-finished load has none). The
//!   marker lives outside the database so that introspection sees exactly
//!   Chinook's 11 tables: PostgreSQL keeps it as the database's comment,
//!   MariaDB in the table `sqlsynth_fixtures.loaded` (MySQL has no database
//!   comments);
//! - each test binary remembers the outcome, so later calls cost nothing.
//!
//! Data notes: PostgreSQL's Chinook uses snake_case names (`invoice_line`),
//! MariaDB's and SQLite's CamelCase (`InvoiceLine`). MariaDB loads with
//! `NO_BACKSLASH_ESCAPES`, so values with a backslash read exactly as in the
//! other two. A load takes a few seconds (PostgreSQL about 1 s, MariaDB 2-3 s).

use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};
use tokio::sync::OnceCell;

use super::{mysql_url, postgres_url, service_missing};

/// The database Chinook is loaded into, on PostgreSQL and MariaDB alike.
pub const DATABASE: &str = "sqlsynth_chinook";
/// Part of the marker: bump it when the loading steps change, to force a reload.
const LOADER_VERSION: &str = "chinook-loader-1";
/// Longest wait for another process's load, and for a server to answer.
const LOCK_WAIT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

const POSTGRES_SCRIPT: &str = include_str!("../fixtures/chinook/Chinook_PostgreSql.sql");
const MYSQL_SCRIPT: &str = include_str!("../fixtures/chinook/Chinook_MySql.sql");

/// Ensures the Chinook sample database is loaded into PostgreSQL (database
/// `sqlsynth_chinook`) and returns its URL, or None (skip outside CI / panic
/// under CI=true via service_missing).
pub async fn chinook_postgres() -> Option<String> {
    static LOADED: OnceCell<Result<String, String>> = OnceCell::const_new();
    match LOADED.get_or_init(load_postgres).await {
        Ok(url) => Some(url.clone()),
        Err(why) => service_missing("PostgreSQL", why),
    }
}

/// Same for MariaDB (database `sqlsynth_chinook`).
pub async fn chinook_mysql() -> Option<String> {
    static LOADED: OnceCell<Result<String, String>> = OnceCell::const_new();
    match LOADED.get_or_init(load_mysql).await {
        Ok(url) => Some(url.clone()),
        Err(why) => service_missing("MariaDB", why),
    }
}

/// The bundled SQLite demo database path: jobs/demo/chinook.sqlite (absolute, from CARGO_MANIFEST_DIR).
pub fn chinook_sqlite_url() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/demo/chinook.sqlite");
    format!("sqlite://{}", path.display())
}

/// The script without its preamble: from the first `CREATE TABLE` on.
fn script_body(script: &str) -> &str {
    let start = script.find("CREATE TABLE").expect("a Chinook script creates tables");
    &script[start..]
}

/// What a complete load of `script` leaves as its marker.
fn marker(script: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(LOADER_VERSION.as_bytes());
    hasher.update(script_body(script).as_bytes());
    hex::encode(hasher.finalize())
}

/// `url` with its database (path) replaced, query string kept; an empty `database` names none.
pub fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[authority_start..].find(['/', '?']).map_or(url.len(), |i| authority_start + i);
    let query = url[path_start..].find('?').map_or("", |i| &url[path_start + i..]);
    format!("{}/{database}{query}", &url[..path_start])
}

/// Connects, or explains why the server is not reachable.
async fn connect<C: Connection>(url: &str) -> Result<C, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, C::connect(url)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

async fn load_postgres() -> Result<String, String> {
    ensure_postgres_database(DATABASE, &marker(POSTGRES_SCRIPT), &[script_body(POSTGRES_SCRIPT)]).await
}

/// Makes `database` on the PostgreSQL admin server hold what `scripts` create,
/// and returns its URL. One loader at a time (an advisory lock); the database
/// is recreated only when its comment is not `marker`, and the marker is
/// written last, so a half-finished load is never taken for a finished one.
pub async fn ensure_postgres_database(database: &str, marker: &str, scripts: &[&str]) -> Result<String, String> {
    let admin_url = postgres_url();
    let mut admin: PgConnection = connect(&admin_url).await?;
    let database_url = with_database(&admin_url, database);

    admin.execute(format!("SET lock_timeout = '{}s'", LOCK_WAIT.as_secs()).as_str()).await.expect("set lock_timeout");
    sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
        .bind(database)
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("another load of {database} holds the lock for too long: {e}"));
    let current: Option<String> =
        sqlx::query_scalar("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1")
            .bind(database)
            .fetch_optional(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("read the marker of {database}: {e}"))
            .flatten();
    if current.as_deref() != Some(marker) {
        let started = Instant::now();
        for statement in [
            format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            format!("CREATE DATABASE {database} ENCODING 'UTF8' TEMPLATE template0"),
        ] {
            admin.execute(sqlx::raw_sql(&statement)).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        let mut loading: PgConnection =
            connect(&database_url).await.unwrap_or_else(|e| panic!("connect to the new {database}: {e}"));
        for script in scripts {
            loading.execute(sqlx::raw_sql(script)).await.unwrap_or_else(|e| panic!("load {database}: {e}"));
        }
        loading.execute("ANALYZE").await.unwrap_or_else(|e| panic!("analyze {database}: {e}"));
        loading.close().await.expect("close the loading connection");
        admin
            .execute(sqlx::raw_sql(&format!("COMMENT ON DATABASE {database} IS '{marker}'")))
            .await
            .unwrap_or_else(|e| panic!("write the marker of {database}: {e}"));
        eprintln!("loaded PostgreSQL database {database} in {:?}", started.elapsed());
    }
    // Closing the session releases the advisory lock.
    admin.close().await.expect("close the admin connection");
    Ok(database_url)
}

async fn load_mysql() -> Result<String, String> {
    ensure_mysql_database(DATABASE, &marker(MYSQL_SCRIPT), &[script_body(MYSQL_SCRIPT)]).await
}

/// Makes `database` on the MariaDB admin server hold what `scripts` create,
/// and returns its URL: the MariaDB twin of [`ensure_postgres_database`].
/// One loader at a time (`GET_LOCK`); the database is recreated only when its
/// marker in `sqlsynth_fixtures.loaded` is not `marker`, and the marker is
/// written last. Scripts run with `NO_BACKSLASH_ESCAPES`, so a backslash in a
/// value reads as on the other engines.
pub async fn ensure_mysql_database(database: &str, marker: &str, scripts: &[&str]) -> Result<String, String> {
    let admin_url = mysql_url();
    let mut admin: MySqlConnection = connect(&admin_url).await?;
    let database_url = with_database(&admin_url, database);

    let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
        .bind(database)
        .bind(LOCK_WAIT.as_secs())
        .fetch_one(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("ask for the lock on {database}: {e}"));
    assert_eq!(locked, Some(1), "another load of {database} held the lock for more than {LOCK_WAIT:?}");
    admin
        .execute(sqlx::raw_sql(
            "CREATE DATABASE IF NOT EXISTS sqlsynth_fixtures; \
             CREATE TABLE IF NOT EXISTS sqlsynth_fixtures.loaded (name VARCHAR(64) PRIMARY KEY, marker CHAR(64) NOT NULL)",
        ))
        .await
        .expect("create the fixture marker table");
    let current: Option<String> =
        sqlx::query_scalar("SELECT CAST(marker AS CHAR) FROM sqlsynth_fixtures.loaded WHERE name = ?")
            .bind(database)
            .fetch_optional(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("read the marker of {database}: {e}"));
    let present: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
        .bind(database)
        .fetch_one(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("look for the database {database}: {e}"));
    if present == 0 || current.as_deref() != Some(marker) {
        let started = Instant::now();
        sqlx::query("DELETE FROM sqlsynth_fixtures.loaded WHERE name = ?")
            .bind(database)
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("forget the old marker of {database}: {e}"));
        admin
            .execute(sqlx::raw_sql(&format!(
                "DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database} CHARACTER SET utf8mb4"
            )))
            .await
            .unwrap_or_else(|e| panic!("recreate the database {database}: {e}"));

        let mut loading: MySqlConnection =
            connect(&database_url).await.unwrap_or_else(|e| panic!("connect to the new {database}: {e}"));
        loading
            .execute("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@sql_mode, ''), 'NO_BACKSLASH_ESCAPES')")
            .await
            .expect("set NO_BACKSLASH_ESCAPES");
        for script in scripts {
            loading.execute(sqlx::raw_sql(script)).await.unwrap_or_else(|e| panic!("load {database}: {e}"));
        }
        // Refresh InnoDB's row estimates (TABLE_ROWS) now rather than whenever the server gets to it.
        let tables: String = sqlx::query_scalar(
            "SELECT CAST(GROUP_CONCAT(CONCAT('`', TABLE_NAME, '`')) AS CHAR) \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
        )
        .fetch_one(&mut loading)
        .await
        .unwrap_or_else(|e| panic!("list the tables of {database}: {e}"));
        loading
            .execute(sqlx::raw_sql(&format!("ANALYZE TABLE {tables}")))
            .await
            .unwrap_or_else(|e| panic!("analyze {database}: {e}"));
        loading.close().await.expect("close the loading connection");

        sqlx::query("INSERT INTO sqlsynth_fixtures.loaded (name, marker) VALUES (?, ?)")
            .bind(database)
            .bind(marker)
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("write the marker of {database}: {e}"));
        eprintln!("loaded MariaDB database {database} in {:?}", started.elapsed());
    }
    sqlx::query("SELECT RELEASE_LOCK(?)")
        .bind(database)
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("release the lock on {database}: {e}"));
    admin.close().await.expect("close the admin connection");
    Ok(database_url)
}
