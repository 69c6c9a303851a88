//! Sinks: each answer as a Parquet file, then the job's manifest, both
//! published atomically (temporary name, durable, rename), with durability
//! shared by all jobs under one output root (group commit, see `durable`).
//! Answers can be read back cheaply, their first rows only (`head`).

pub mod atomic;
pub mod durable;
pub mod head;
pub mod manifest;
pub mod output;
pub mod parquet;
