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

use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Executor};
use tokio::sync::OnceCell;

use super::chinook::ensure_postgres_database;
use super::service_missing;

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
    ensure_postgres_database(DATABASE, &marker(), &[SCHEMA, DATA]).await
}
