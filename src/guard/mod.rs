//! The SQL guard: one read-only query in, the SQL to execute out.
//!
//! [`ReadOnlyGuard::check`] parses in the source's dialect, accepts exactly
//! one query (SELECT, WITH ... SELECT, VALUES, set operations) that writes,
//! locks and calls nothing dangerous, and returns it re-rendered from its
//! parse tree, with the row cap applied to its top-level LIMIT, together with
//! what it uses (tables, columns, literal values; `uses.rs`).
//! `read_only.rs` describes the steps and their invariants.
//! A guard miss still cannot write: the executor runs every query in a
//! read-only transaction.

mod functions;
mod lexical;
mod read_only;
mod relations;
mod row_cap;
mod scope;
mod tree;
mod uses;

pub use read_only::{GuardError, GuardedSql, ReadOnlyGuard};
pub use uses::{FORMAT_PARAMETERS, Literal, SqlUses};
