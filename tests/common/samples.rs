//! Oracle's HR (Human Resources) and CO (Customer Orders) sample schemas
//! (github.com/oracle-samples/db-sample-schemas, MIT licence), for evals of
//! the offline synthesizer on schemas it was not written against, on SQLite,
//! PostgreSQL and MariaDB.
//!
//! `tests/fixtures/<name>/schema.sql` is one portable script for the three
//! engines and `data.sql` the output of `tests/fixtures/convert_oracle_samples.py`
//! (every upstream row, kept in the repository). SQLite gets a fresh file in
//! a directory the test owns; PostgreSQL and MariaDB get the database
//! [`Fixture::database`], loaded once and reloaded only when the scripts
//! change (the lock and marker scheme of `chinook.rs`). Each test binary
//! remembers the outcome per fixture and engine.

use std::path::Path;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Executor};
use tokio::sync::OnceCell;

use super::chinook::{ensure_mysql_database, ensure_postgres_database};
use super::service_missing;

/// Part of the marker: bump it when the loading steps change, to force a reload.
const LOADER_VERSION: &str = "samples-loader-1";

/// One sample schema and where it is loaded.
pub struct Fixture {
    /// The source name in configs, and the SQLite file's stem.
    pub name: &'static str,
    /// The PostgreSQL and MariaDB database.
    pub database: &'static str,
    schema: &'static str,
    data: &'static str,
    postgres: OnceCell<Result<String, String>>,
    mysql: OnceCell<Result<String, String>>,
}

/// HR: regions, countries, locations, departments (with a manager), jobs,
/// employees (with a manager), job history.
pub static HR: Fixture = Fixture::new(
    "hr",
    "sqlsynth_hr",
    include_str!("../fixtures/hr/schema.sql"),
    include_str!("../fixtures/hr/data.sql"),
);

/// CO: customers, stores, products, orders, shipments, order items, inventory.
pub static CUSTOMER_ORDERS: Fixture = Fixture::new(
    "customer_orders",
    "sqlsynth_customer_orders",
    include_str!("../fixtures/customer_orders/schema.sql"),
    include_str!("../fixtures/customer_orders/data.sql"),
);

impl Fixture {
    const fn new(name: &'static str, database: &'static str, schema: &'static str, data: &'static str) -> Fixture {
        Fixture { name, database, schema, data, postgres: OnceCell::const_new(), mysql: OnceCell::const_new() }
    }

    /// Creates `dir/<name>.sqlite` with the schema and data; returns its `sqlite://` URL.
    pub async fn sqlite(&self, dir: &Path) -> String {
        let path = dir.join(format!("{}.sqlite", self.name));
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url).expect("a valid SQLite path").create_if_missing(true);
        let mut connection: SqliteConnection =
            options.connect().await.unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        for script in [self.schema, self.data] {
            connection
                .execute(sqlx::raw_sql(script))
                .await
                .unwrap_or_else(|e| panic!("load {} on SQLite: {e}", self.name));
        }
        connection.close().await.expect("close the SQLite file");
        url
    }

    /// Ensures the fixture is loaded into PostgreSQL and returns its URL, or
    /// None (skip outside CI; under CI=true a missing server fails the test).
    pub async fn postgres(&self) -> Option<String> {
        let loaded = self
            .postgres
            .get_or_init(|| async {
                ensure_postgres_database(self.database, &self.marker(), &[self.schema, self.data]).await
            })
            .await;
        match loaded {
            Ok(url) => Some(url.clone()),
            Err(why) => service_missing("PostgreSQL", why),
        }
    }

    /// The same on MariaDB.
    pub async fn mysql(&self) -> Option<String> {
        let loaded = self
            .mysql
            .get_or_init(|| async {
                ensure_mysql_database(self.database, &self.marker(), &[self.schema, self.data]).await
            })
            .await;
        match loaded {
            Ok(url) => Some(url.clone()),
            Err(why) => service_missing("MariaDB", why),
        }
    }

    fn marker(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [LOADER_VERSION, self.schema, self.data] {
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}
