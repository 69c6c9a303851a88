//! Why streaming a query's rows stopped ([`StreamError`]), and which of those
//! reasons a retry may cure. It sits below the stream and the batch builder,
//! which both report with it.

use sqlx::mysql::MySqlDatabaseError;
use sqlx::sqlite::SqliteError;

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The query failed in the database or on the connection.
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    /// A column's type has no Arrow mapping, or one of its values does not fit the column's Arrow type.
    #[error("column '{column}': {message}")]
    Unsupported { column: String, message: String },
    /// The batch receiver was dropped (the sink stopped early).
    #[error("the Parquet writer stopped accepting batches before the query finished")]
    SinkClosed,
    /// The database did not stop the query at its own statement timeout, so the
    /// executor gave up on it and closed the connection instead of reusing it.
    #[error("the query outlived its statement timeout; its connection was closed")]
    Abandoned,
    /// The answer's values passed `exec.max_answer_bytes`.
    #[error("the answer is larger than exec.max_answer_bytes ({limit} bytes); ask for fewer rows or smaller values")]
    TooLarge { limit: u64 },
}

impl StreamError {
    /// True when running the same query again may succeed: I/O errors (connection
    /// reset or closed), pool timeouts, PostgreSQL serialization failure (40001),
    /// deadlock (40P01), connection exceptions (class 08) and admin shutdown
    /// (57P01), MySQL deadlock (1213) and lock wait timeout (1205), SQLite busy
    /// or locked (primary codes 5 and 6). Statement timeouts are not transient:
    /// the same query would time out again.
    pub fn is_transient(&self) -> bool {
        let StreamError::Database(error) = self else { return false };
        match error {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if let Some(mysql) = db.try_downcast_ref::<MySqlDatabaseError>() {
                    matches!(mysql.number(), 1205 | 1213)
                } else if db.try_downcast_ref::<SqliteError>().is_some() {
                    // Extended result codes carry the primary code in their low byte.
                    code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
                } else {
                    matches!(&*code, "40001" | "40P01" | "57P01") || code.starts_with("08")
                }
            }
            _ => false,
        }
    }
}
