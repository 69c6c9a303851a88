//! Shared test fixtures: where the real services are, and the rule for when
//! one is missing. Outside CI a test that needs a missing service prints why
//! and skips; under `CI=true` it fails, so CI can never pass silently.
#![allow(dead_code)]

pub mod chinook;
pub mod chromium;
pub mod clinic;
pub mod fake_llm;
pub mod pyarrow;
pub mod samples;
pub mod schema;
pub mod worker_process;

use std::time::Duration;

/// PostgreSQL admin URL (a database that always exists), overridable with `POSTGRES_URL`.
pub fn postgres_url() -> String {
    std::env::var("POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// MariaDB/MySQL admin URL, overridable with `MYSQL_URL`.
pub fn mysql_url() -> String {
    std::env::var("MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// Called when a service a test needs cannot be reached: fails under CI, skips elsewhere.
/// Returns `None` so callers can write `let Some(x) = ... else { return };`.
pub fn service_missing<T>(service: &str, why: impl std::fmt::Display) -> Option<T> {
    if std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false) {
        panic!("{service} is required under CI=true but is not reachable: {why}");
    }
    eprintln!("SKIPPED: {service} is not reachable ({why}); set CI=true to make this a failure");
    None
}

/// A PostgreSQL pool on the admin database, or `None` (skip) outside CI.
pub async fn postgres() -> Option<sqlx::PgPool> {
    let opts = sqlx::postgres::PgPoolOptions::new().max_connections(4).acquire_timeout(Duration::from_secs(5));
    match opts.connect(&postgres_url()).await {
        Ok(pool) => Some(pool),
        Err(e) => service_missing("PostgreSQL", e),
    }
}

/// A MariaDB pool on the admin database, or `None` (skip) outside CI.
pub async fn mysql() -> Option<sqlx::MySqlPool> {
    let opts = sqlx::mysql::MySqlPoolOptions::new().max_connections(4).acquire_timeout(Duration::from_secs(5));
    match opts.connect(&mysql_url()).await {
        Ok(pool) => Some(pool),
        Err(e) => service_missing("MariaDB", e),
    }
}
