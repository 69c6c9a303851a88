//! # sqlsynth
//!
//! sqlsynth turns batches of natural-language questions about SQL databases
//! into SQL, runs that SQL safely, and writes every answer as a Parquet file,
//! a report page people read, and a manifest. Data flows one way:
//!
//! ```text
//!  job source            plan               synthesize              guard            execute              sink
//!  (queue | file | cron) group by source    offline fast path       parse, allow     bounded pool,        Arrow batches ->
//!  -> Job                load schema once   -> cache -> LLM         read-only only   read-only tx,        Parquet (tmp+rename)
//!                        per group          (one prompt per group)  + row cap        timeout, retry       -> report.html
//!                                                                                                          -> manifest -> ack
//! ```
//!
//! * [`job`] validates what arrives: ids become file names, so they are checked
//!   before anything else happens; a job can only name configured sources.
//! * [`plan`] groups questions by source and loads each schema once.
//! * [`synth`] proposes SQL; the offline synthesizer abstains rather than guess.
//! * [`guard`] treats that SQL as untrusted input: one read-only query, parsed
//!   in the source's own dialect, functions checked against an allowlist; from
//!   the same parse tree it reads what the query uses (tables, columns,
//!   values), which the manifest shows with the synthesizer's restatement.
//! * [`execute`] runs it in a read-only transaction with a statement timeout and
//!   a row cap, under one global bound on queries in flight.
//! * [`sink`] streams Arrow batches into Parquet, to a local directory (temporary
//!   file, durable by group commit, rename) or an object store (multipart
//!   upload); then it reads the answers' first rows back into `report.html`
//!   (charts, and what changed since the schedule's previous run), and writes
//!   the manifest last, so its presence means done.
//! * [`pipeline`] wires the stages together; it is the only module that knows them all.
//!
//! Around the flow: [`source`] speaks to RabbitMQ (topology, confirmed
//! publishing) and [`worker`] turns deliveries into pipeline runs, acking only
//! after the manifest is durable; [`eval`] measures a synthesizer's execution
//! accuracy against gold SQL; [`config`], [`secret`] and [`logging`] are the
//! typed settings, the redaction of secrets, and the log setup; [`backoff`]
//! is the one retry schedule every stage and the worker use; [`metrics`]
//! names the Prometheus metrics every stage emits and renders them.
//! [`cache`] keeps schemas and synthesized SQL in memory, Redis and on disk,
//! shared by workers; [`scheduler`] publishes cron-scheduled jobs and warms
//! those caches.
//!
//! Re-running a finished job does nothing; a job interrupted halfway resumes
//! and skips the questions whose Parquet file already exists.

pub mod backoff;
pub mod cache;
pub mod config;
pub mod db;
pub mod dialect;
pub mod eval;
pub mod execute;
pub mod guard;
pub mod job;
pub mod logging;
pub mod metrics;
pub mod pipeline;
pub mod plan;
pub mod scheduler;
pub mod secret;
pub mod sink;
pub mod source;
pub mod synth;
pub mod worker;
