//! Where jobs come from. [`amqp`] is the RabbitMQ side of the worker: the
//! topology (DESIGN.md section 6), confirmed publishing and the header that
//! counts deliveries. The worker loop that decides ack, requeue or
//! dead-letter lives in [`crate::worker`].

pub mod amqp;

pub use amqp::{PublishError, Topology};
