//! One connection pool per configured source, opened the safe way for each
//! dialect. SQLite files open read-only (`mode=ro`) with `query_only` set, so
//! even a guard miss cannot write. Pool hygiene: when a connection returns to
//! the pool its session state is reset (PostgreSQL `RESET ALL`, advisory locks
//! released; MySQL session variables back to their defaults), so one query
//! cannot change the behaviour of the next.
//!
//! Failing fast: before a PostgreSQL or MySQL pool is built, one connection
//! is opened directly, bounded by the source's `acquire_timeout_ms`. A pool
//! retries a refused connection until its acquire timeout and then reports
//! only that it timed out; the direct attempt fails at once on a refused port
//! or an unresolvable host, with that cause in the error. Once the pool
//! exists, [`acquire`] does the same for a server that goes away later: a
//! wait for a connection that the pool could open but does not get within
//! [`PROBE_AFTER`] tries one directly, and a refused or unresolvable server
//! fails the wait at once with that I/O error.

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};

use crate::config::SourceSettings;
use crate::dialect::Dialect;
use crate::secret::redact;

/// Statements a returning PostgreSQL connection runs: undo any session change.
/// (sqlx itself rolls back a transaction that was dropped unfinished.)
pub const POSTGRES_RESET: &str = "RESET ALL; SELECT pg_advisory_unlock_all(); UNLISTEN *; CLOSE ALL";
/// Statements a returning MySQL/MariaDB connection runs.
pub const MYSQL_RESET: &str =
    "ROLLBACK; SET @@SESSION.sql_mode = DEFAULT, @@SESSION.time_zone = DEFAULT, @@SESSION.autocommit = DEFAULT";

/// A source's pool, typed by dialect so every stage can use native types.
#[derive(Debug, Clone)]
pub enum SourcePool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

#[derive(Debug, thiserror::Error)]
#[error("source '{source_name}': cannot connect: {message}")]
pub struct ConnectError {
    pub source_name: String,
    pub message: String,
}

/// Opens and closes one connection, so a refused port, an unknown host or bad
/// credentials fail now with their own message rather than as a pool timeout.
async fn probe<O>(source: &SourceSettings, options: &O, timeout: Duration) -> Result<(), ConnectError>
where
    O: ConnectOptions,
    O::Connection: Sized,
{
    let message = match tokio::time::timeout(timeout, options.connect()).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            return Ok(());
        }
        Ok(Err(e)) => redact(&e.to_string()),
        Err(_) => {
            format!("no connection within {} ms (sources.{}.acquire_timeout_ms)", timeout.as_millis(), source.name)
        }
    };
    Err(ConnectError { source_name: source.name.clone(), message })
}

/// How long [`acquire`] waits before it checks, with a direct connection,
/// whether the server still accepts connections.
pub const PROBE_AFTER: Duration = Duration::from_millis(200);

/// A connection from `pool`. If none comes within [`PROBE_AFTER`] while the
/// pool is below its size (so it is trying to open one), one connection is
/// attempted directly: an I/O failure (refused, unknown host, reset) ends the
/// wait with that error; a server that answers means the pool is just slow,
/// and the wait goes on until the pool's acquire timeout.
pub async fn acquire<DB>(pool: &sqlx::Pool<DB>) -> Result<sqlx::pool::PoolConnection<DB>, sqlx::Error>
where
    DB: sqlx::Database,
    <DB::Connection as Connection>::Options: ConnectOptions<Connection = DB::Connection>,
{
    let acquiring = pool.acquire();
    tokio::pin!(acquiring);
    tokio::select! {
        acquired = &mut acquiring => return acquired,
        _ = tokio::time::sleep(PROBE_AFTER) => {}
    }
    if pool.size() < pool.options().get_max_connections() {
        let options = pool.connect_options();
        tokio::select! {
            acquired = &mut acquiring => return acquired,
            probed = options.connect() => match probed {
                Ok(connection) => {
                    let _ = connection.close().await;
                }
                Err(e @ sqlx::Error::Io(_)) => return Err(e),
                Err(_) => {}
            },
        }
    }
    acquiring.await
}

impl SourcePool {
    pub fn dialect(&self) -> Dialect {
        match self {
            SourcePool::Sqlite(_) => Dialect::Sqlite,
            SourcePool::Postgres(_) => Dialect::Postgres,
            SourcePool::MySql(_) => Dialect::MySql,
        }
    }

    /// Opens the pool and checks one connection, so a wrong URL fails here
    /// with the source's name rather than later in the middle of a job.
    pub async fn connect(source: &SourceSettings) -> Result<SourcePool, ConnectError> {
        let fail = |e: sqlx::Error| ConnectError { source_name: source.name.clone(), message: redact(&e.to_string()) };
        let url = source.url.expose();
        let acquire_timeout = Duration::from_millis(source.acquire_timeout_ms);
        let pool = match source.dialect {
            Dialect::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(fail)?
                    .read_only(true)
                    .pragma("query_only", "ON")
                    .disable_statement_logging();
                if let Some(path) = options.get_filename().to_str().filter(|p| *p != ":memory:")
                    && !std::path::Path::new(path).exists()
                {
                    return Err(ConnectError {
                        source_name: source.name.clone(),
                        message: format!("SQLite database file {path} does not exist"),
                    });
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(source.max_connections)
                    .acquire_timeout(acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(fail)?;
                SourcePool::Sqlite(pool)
            }
            Dialect::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(fail)?
                    .application_name("sqlsynth")
                    .disable_statement_logging();
                probe(source, &options, acquire_timeout).await?;
                let pool = PgPoolOptions::new()
                    .max_connections(source.max_connections)
                    .acquire_timeout(acquire_timeout)
                    .after_release(|conn, _meta| {
                        Box::pin(async move {
                            // A connection that cannot be reset is closed, not reused.
                            Ok(conn.execute(sqlx::raw_sql(POSTGRES_RESET)).await.is_ok())
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(fail)?;
                SourcePool::Postgres(pool)
            }
            Dialect::MySql => {
                let options = MySqlConnectOptions::from_str(url).map_err(fail)?.disable_statement_logging();
                probe(source, &options, acquire_timeout).await?;
                let pool = MySqlPoolOptions::new()
                    .max_connections(source.max_connections)
                    .acquire_timeout(acquire_timeout)
                    .after_release(|conn, _meta| {
                        Box::pin(async move { Ok(conn.execute(sqlx::raw_sql(MYSQL_RESET)).await.is_ok()) })
                    })
                    .connect_with(options)
                    .await
                    .map_err(fail)?;
                SourcePool::MySql(pool)
            }
        };
        pool.ping().await.map_err(fail)?;
        Ok(pool)
    }

    async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            SourcePool::Sqlite(p) => p.execute("SELECT 1").await.map(|_| ()),
            SourcePool::Postgres(p) => p.execute("SELECT 1").await.map(|_| ()),
            SourcePool::MySql(p) => p.execute("SELECT 1").await.map(|_| ()),
        }
    }

    pub async fn close(&self) {
        match self {
            SourcePool::Sqlite(p) => p.close().await,
            SourcePool::Postgres(p) => p.close().await,
            SourcePool::MySql(p) => p.close().await,
        }
    }
}
