//! Execution of guarded SQL: one pool per source, one global bound on queries
//! in flight, and every query inside a read-only transaction with a statement
//! timeout (PostgreSQL `BEGIN READ ONLY` + `SET LOCAL statement_timeout`, and
//! standard string lexing, which the guard assumes;
//! MySQL `START TRANSACTION READ ONLY` + `max_execution_time`, MariaDB
//! `max_statement_time`; SQLite a read-only connection plus a progress handler
//! that interrupts the statement at its deadline). The transaction is always
//! rolled back: nothing a query does can outlive it.
//!
//! Rows leave through [`stream`] as Arrow batches; [`types`] is the one table
//! that maps database types to Arrow. Retrying is the caller's decision, made
//! with [`ExecError::is_transient`] and [`crate::backoff`], because a retry must
//! also restart whatever consumes the batches.

mod batch;
mod decode;
mod error;
mod pg_copy;
pub mod stream;
pub mod types;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use sqlx::{Acquire, Connection, Executor as _};
use tokio::sync::{OnceCell, Semaphore, mpsc};

use crate::config::{ExecSettings, SourceSettings};
use crate::db::{ConnectError, SourcePool};
use crate::dialect::Dialect;
use crate::guard::GuardedSql;
use crate::metrics::InFlightGauge;
use crate::metrics::names::QUERIES_IN_FLIGHT;
use crate::secret::redact;
use stream::{StreamError, StreamLimits, StreamSummary};

/// Extra time the executor waits past the statement timeout before it gives
/// up on a database that does not honour its own timeout.
const TIMEOUT_GRACE: Duration = Duration::from_secs(5);

/// Runs `work` on a pooled connection for at most `backstop`. If the database
/// overruns it, the half-read connection is detached and closed rather than
/// returned to the pool, where it would answer the next query out of step.
async fn with_backstop<DB, T, F>(
    mut conn: sqlx::pool::PoolConnection<DB>,
    backstop: Duration,
    work: F,
) -> Result<T, StreamError>
where
    DB: sqlx::Database,
    F: AsyncFnOnce(&mut sqlx::pool::PoolConnection<DB>) -> Result<T, StreamError>,
{
    match tokio::time::timeout(backstop, work(&mut conn)).await {
        Ok(result) => result,
        Err(_) => {
            drop(conn.detach());
            Err(StreamError::Abandoned)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Connect(ConnectError),
    #[error("statement timeout: the query ran longer than {timeout_ms} ms and was cancelled")]
    Timeout { timeout_ms: u64 },
    #[error("{0}")]
    Stream(#[from] StreamError),
    /// A bug: the task running the query panicked.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ExecError {
    /// True when running the same query again may succeed (connection reset,
    /// pool timeout, serialization failure). Timeouts are not transient: the
    /// same query would time out again.
    pub fn is_transient(&self) -> bool {
        match self {
            ExecError::Timeout { .. } => false,
            ExecError::Connect(_) => true,
            ExecError::Internal(_) => false,
            ExecError::Stream(e) => e.is_transient(),
        }
    }

    /// The message for a manifest or a log line, with secrets removed.
    pub fn public_message(&self) -> String {
        redact(&self.to_string())
    }
}

/// How a MySQL-protocol server spells its statement timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MySqlFlavor {
    /// MariaDB: `max_statement_time`, in seconds.
    MariaDb,
    /// MySQL: `max_execution_time`, in milliseconds.
    MySql,
}

/// A source's pool once connected, with what the executor learned about it.
struct Connected {
    pool: SourcePool,
    mysql_flavor: MySqlFlavor,
}

/// A configured source and, after first use, its connection pool.
struct SourceSlot {
    settings: SourceSettings,
    connected: OnceCell<Connected>,
}

/// Runs guarded queries against the configured sources under one global bound.
/// Pools are opened lazily, on a source's first use; a failed connection is
/// not remembered, so the next use tries again.
pub struct Executor {
    sources: BTreeMap<String, SourceSlot>,
    in_flight: Arc<Semaphore>,
    settings: ExecSettings,
}

impl Executor {
    pub fn new(sources: &BTreeMap<String, SourceSettings>, settings: ExecSettings) -> Self {
        Executor {
            sources: sources
                .iter()
                .map(|(name, s)| (name.clone(), SourceSlot { settings: s.clone(), connected: OnceCell::new() }))
                .collect(),
            in_flight: Arc::new(Semaphore::new(settings.max_concurrency)),
            settings,
        }
    }

    /// The pool of `source`, connecting on first use.
    pub async fn pool(&self, source: &str) -> Result<&SourcePool, ConnectError> {
        Ok(&self.connect(source).await?.pool)
    }

    async fn connect(&self, source: &str) -> Result<&Connected, ConnectError> {
        let slot = self.sources.get(source).ok_or_else(|| ConnectError {
            source_name: source.to_string(),
            message: "the source is not configured".into(),
        })?;
        slot.connected
            .get_or_try_init(|| async {
                let pool = SourcePool::connect(&slot.settings).await?;
                let mysql_flavor = match &pool {
                    SourcePool::MySql(p) => {
                        let version: String =
                            sqlx::query_scalar("SELECT VERSION()").fetch_one(p).await.map_err(|e| ConnectError {
                                source_name: source.to_string(),
                                message: redact(&e.to_string()),
                            })?;
                        if version.to_ascii_lowercase().contains("mariadb") {
                            MySqlFlavor::MariaDb
                        } else {
                            MySqlFlavor::MySql
                        }
                    }
                    _ => MySqlFlavor::MySql,
                };
                crate::metrics::watch_pool(source, &pool);
                Ok(Connected { pool, mysql_flavor })
            })
            .await
    }

    pub fn settings(&self) -> &ExecSettings {
        &self.settings
    }

    /// Runs one guarded query on `source`, sending its rows as Arrow batches to
    /// `batches` (at least one batch, empty when there are no rows). Waits for
    /// a global permit first, so at most `exec.max_concurrency` queries run at once.
    pub async fn run(
        &self,
        source: &str,
        sql: &GuardedSql,
        batches: &mpsc::Sender<RecordBatch>,
    ) -> Result<StreamSummary, ExecError> {
        let connected = self.connect(source).await.map_err(ExecError::Connect)?;
        let pool = &connected.pool;
        let _permit = self.in_flight.acquire().await.expect("the executor's semaphore is never closed");
        let _in_flight = InFlightGauge::enter(metrics::gauge!(QUERIES_IN_FLIGHT, "source" => source.to_string()));
        let limits = StreamLimits {
            max_rows: self.settings.max_rows,
            batch_rows: self.settings.batch_rows,
            batch_bytes: self.settings.batch_bytes,
            max_bytes: self.settings.max_answer_bytes,
        };
        let timeout_ms = self.settings.statement_timeout_ms;
        // The last resort (SQLite, or a pool that never hands out a
        // connection); PostgreSQL and MySQL queries hit their own backstop first.
        let deadline = backstop(timeout_ms) + TIMEOUT_GRACE;
        let run = async {
            match pool {
                SourcePool::Postgres(p) => run_postgres(p, &sql.sql, timeout_ms, &limits, batches).await,
                SourcePool::MySql(p) => {
                    run_mysql(p, connected.mysql_flavor, &sql.sql, timeout_ms, &limits, batches).await
                }
                SourcePool::Sqlite(p) => run_sqlite(p, &sql.sql, timeout_ms, &limits, batches).await,
            }
        };
        match tokio::time::timeout(deadline, run).await {
            Ok(Ok(summary)) => Ok(summary),
            Ok(Err(e)) if matches!(e, StreamError::Abandoned) || is_timeout(pool.dialect(), &e) => {
                Err(ExecError::Timeout { timeout_ms })
            }
            Ok(Err(e)) => Err(ExecError::Stream(e)),
            Err(_) => Err(ExecError::Timeout { timeout_ms }),
        }
    }

    /// Runs one guarded query and keeps its rows in memory, for previews and
    /// evals; results are bounded by `exec.max_rows`. Answers stream to
    /// Parquet through [`Executor::run`] instead.
    pub async fn run_collect(
        &self,
        source: &str,
        sql: &GuardedSql,
    ) -> (Result<StreamSummary, ExecError>, Vec<RecordBatch>) {
        let (sender, mut receiver) = mpsc::channel(4);
        let run = async move {
            let result = self.run(source, sql, &sender).await;
            drop(sender);
            result
        };
        let collect = async {
            let mut batches = Vec::new();
            while let Some(batch) = receiver.recv().await {
                batches.push(batch);
            }
            batches
        };
        tokio::join!(run, collect)
    }

    pub async fn close(&self) {
        for slot in self.sources.values() {
            if let Some(connected) = slot.connected.get() {
                connected.pool.close().await;
            }
        }
    }
}

fn db(e: sqlx::Error) -> StreamError {
    StreamError::Database(e)
}

async fn run_postgres(
    pool: &sqlx::PgPool,
    sql: &str,
    timeout_ms: u64,
    limits: &StreamLimits,
    batches: &mpsc::Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    let conn = crate::db::acquire(pool).await.map_err(db)?;
    with_backstop(conn, backstop(timeout_ms), async |conn| {
        let mut tx = conn.begin_with("BEGIN READ ONLY").await.map_err(db)?;
        // The guard lexes literals the standard way; make sure the server does too.
        let settings =
            format!("SET LOCAL statement_timeout = {timeout_ms}; SET LOCAL standard_conforming_strings = on");
        tx.execute(sqlx::raw_sql(&settings)).await.map_err(db)?;
        let summary = stream::stream_postgres(&mut tx, sql, limits, batches).await;
        // Read-only: there is nothing to commit, and rolling back undoes any SET.
        tx.rollback().await.map_err(db)?;
        summary
    })
    .await
}

/// How long a query may run before the executor stops waiting for the database.
fn backstop(timeout_ms: u64) -> Duration {
    Duration::from_millis(timeout_ms) + TIMEOUT_GRACE
}

async fn run_mysql(
    pool: &sqlx::MySqlPool,
    flavor: MySqlFlavor,
    sql: &str,
    timeout_ms: u64,
    limits: &StreamLimits,
    batches: &mpsc::Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    let conn = crate::db::acquire(pool).await.map_err(db)?;
    let set_timeout = match flavor {
        MySqlFlavor::MariaDb => format!("SET SESSION max_statement_time = {:.3}", timeout_ms as f64 / 1000.0),
        MySqlFlavor::MySql => format!("SET SESSION max_execution_time = {timeout_ms}"),
    };
    // The guard reads "..." as a string and refuses backslash escapes; the
    // session must not treat double quotes as identifiers.
    let session = format!("{set_timeout}; SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'ANSI_QUOTES', '')");
    with_backstop(conn, backstop(timeout_ms), async |conn| {
        conn.execute(sqlx::raw_sql(&session)).await.map_err(db)?;
        let mut tx = conn.begin_with("START TRANSACTION READ ONLY").await.map_err(db)?;
        let summary = stream::stream_mysql(&mut tx, sql, limits, batches).await;
        tx.rollback().await.map_err(db)?;
        summary
    })
    .await
}

async fn run_sqlite(
    pool: &sqlx::SqlitePool,
    sql: &str,
    timeout_ms: u64,
    limits: &StreamLimits,
    batches: &mpsc::Sender<RecordBatch>,
) -> Result<StreamSummary, StreamError> {
    let mut conn = pool.acquire().await.map_err(db)?;
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    // Returning false from the progress handler interrupts the running statement.
    conn.lock_handle().await.map_err(db)?.set_progress_handler(10_000, move || Instant::now() < deadline);
    let summary = async {
        let mut tx = conn.begin().await.map_err(db)?;
        let summary = stream::stream_sqlite(tx.acquire().await.map_err(db)?, sql, limits, batches).await;
        tx.rollback().await.map_err(db)?;
        summary
    }
    .await;
    conn.lock_handle().await.map_err(db)?.remove_progress_handler();
    summary
}

/// Whether a failed query was cancelled by its statement timeout.
fn is_timeout(dialect: Dialect, error: &StreamError) -> bool {
    let StreamError::Database(sqlx::Error::Database(e)) = error else { return false };
    let code = e.code().map(|c| c.into_owned()).unwrap_or_default();
    match dialect {
        // query_canceled
        Dialect::Postgres => code == "57014",
        // MariaDB ER_STATEMENT_TIMEOUT 1969, MySQL ER_QUERY_TIMEOUT 3024
        Dialect::MySql => {
            let number = e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|m| m.number());
            matches!(number, Some(1969 | 3024))
        }
        // SQLITE_INTERRUPT
        Dialect::Sqlite => code == "9" || e.message().contains("interrupted"),
    }
}
