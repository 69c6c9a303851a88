//! Sinks: each answer as a Parquet file, then the job's report page, then
//! its manifest, all published atomically (temporary name, durable, rename;
//! or a completed upload), with durability shared by all jobs under one
//! output root (group commit, see `durable`). The report reads the answers
//! back (`head`) and compares them with the schedule's previous run (`report`).

pub mod atomic;
pub mod durable;
pub mod head;
pub mod manifest;
pub mod output;
pub mod parquet;
pub mod report;
