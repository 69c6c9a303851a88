//! The clinic fixture: a second schema, from a different domain than Chinook
//! (departments, doctors with a supervising doctor, patients, appointments,
//! diagnoses linked to appointments many-to-many, medications,
//! prescriptions), for evals of the offline synthesizer on a schema it was
//! not written against.
//!
//! `tests/fixtures/clinic/schema.sql` is portable; `data.sql` is the output
//! of the deterministic generator `generate.py` beside it (seeded, kept in the
//! repository so that every run sees the same rows). SQLite gets a fresh file
//! in a directory the test owns; PostgreSQL gets the database
//! [`DATABASE`], loaded once and reloaded only when the scripts change (the
//! same advisory lock and marker-in-the-database-comment scheme as
//! `chinook.rs`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Executor};
use tokio::sync::OnceCell;

use super::chinook::with_database;
use super::{postgres_url, service_missing};

/// The PostgreSQL database the clinic is loaded into.
pub const DATABASE: &str = "sqlsynth_clinic";
const LOADER_VERSION: &str = "clinic-loader-1";
const SCHEMA: &str = include_str!("../fixtures/clinic/schema.sql");
const DATA: &str = include_str!("../fixtures/clinic/data.sql");

/// Creates `dir/clinic.sqlite` with the clinic's schema and data; returns its `sqlite://` URL.
pub async fn clinic_sqlite(dir: &Path) -> String {
    let path = dir.join("clinic.sqlite");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .expect("a valid SQLite path")
        .create_if_missing(true);
    let mut connection: SqliteConnection = options.connect().await.expect("create the clinic SQLite file");
    connection.execute(sqlx::raw_sql(SCHEMA)).await.expect("run the clinic schema on SQLite");
    connection.execute(sqlx::raw_sql(DATA)).await.expect("load the clinic data on SQLite");
    connection.close().await.expect("close the clinic SQLite file");
    format!("sqlite://{}", path.display())
}

/// Ensures the clinic is loaded into PostgreSQL and returns its URL, or None
/// (skip outside CI; under CI=true a missing server fails the test).
pub async fn clinic_postgres() -> Option<String> {
    static LOADED: OnceCell<Result<String, String>> = OnceCell::const_new();
    match LOADED.get_or_init(load_postgres).await {
        Ok(url) => Some(url.clone()),
        Err(why) => service_missing("PostgreSQL", why),
    }
}

fn marker() -> String {
    let mut hasher = Sha256::new();
    for part in [LOADER_VERSION, SCHEMA, DATA] {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

async fn load_postgres() -> Result<String, String> {
    let admin_url = postgres_url();
    let mut admin = match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&admin_url)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err("no answer within 5 s".into()),
    };
    let url = with_database(&admin_url, DATABASE);
    let expected = marker();
    admin.execute("SET lock_timeout = '120s'").await.expect("set lock_timeout");
    sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
        .bind(DATABASE)
        .execute(&mut admin)
        .await
        .expect("another clinic load holds the lock for too long");
    let current: Option<String> =
        sqlx::query_scalar("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1")
            .bind(DATABASE)
            .fetch_optional(&mut admin)
            .await
            .expect("read the clinic marker")
            .flatten();
    if current.as_deref() != Some(expected.as_str()) {
        for statement in [
            format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"),
            format!("CREATE DATABASE {DATABASE} ENCODING 'UTF8' TEMPLATE template0"),
        ] {
            admin.execute(sqlx::raw_sql(&statement)).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        let mut clinic = PgConnection::connect(&url).await.expect("connect to the new clinic database");
        clinic.execute(sqlx::raw_sql(SCHEMA)).await.expect("run the clinic schema on PostgreSQL");
        clinic.execute(sqlx::raw_sql(DATA)).await.expect("load the clinic data on PostgreSQL");
        clinic.execute("ANALYZE").await.expect("analyze the clinic");
        clinic.close().await.expect("close the clinic connection");
        admin
            .execute(sqlx::raw_sql(&format!("COMMENT ON DATABASE {DATABASE} IS '{expected}'")))
            .await
            .expect("write the clinic marker");
    }
    admin.close().await.expect("close the admin connection");
    Ok(url)
}
