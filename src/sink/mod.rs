//! Sinks: each answer as a Parquet file, then the job's manifest, both
//! published atomically (temporary name, fsync, rename).

pub mod atomic;
pub mod manifest;
pub mod parquet;
