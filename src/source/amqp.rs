//! RabbitMQ plumbing shared by `sqlsynth worker` and `sqlsynth publish`: the
//! topology of DESIGN.md section 6, publishing with publisher confirms, and
//! the message headers the worker reads and writes.
//!
//! Invariants:
//! * [`Topology::declare`] is idempotent: every worker and every publisher
//!   declares the same durable objects with the same arguments at start.
//!   Configuration drift cannot lock anyone out: a queue that already exists
//!   with other arguments (say an `x-delivery-limit` from an older
//!   `queue.max_deliveries`) is used as it is, after a warning that names the
//!   argument and says how to apply the new one; the worker's own cap
//!   (`queue.max_deliveries`, counted from the message's headers) applies either way.
//! * Redeliveries after a job-level failure wait in `<jobs_queue>.retry`: a
//!   copy is published there with a per-message TTL (`expiration`) and the
//!   attempts so far in [`ATTEMPTS_HEADER`]; when the TTL passes, the broker
//!   dead-letters it back to the jobs queue (default exchange, routing key =
//!   the jobs queue).
//! * [`publish_confirmed`] succeeds only when the broker confirmed (acked) the
//!   message *and* did not return it; everything else is a [`PublishError`],
//!   so a caller never mistakes "written to a socket" for "stored".
//! * Dead-lettered copies carry the reason in [`ERROR_HEADER`].

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind};

use tracing::warn;

use crate::config::QueueSettings;

/// The dead-letter exchange every jobs queue routes rejected messages to.
pub const DEAD_LETTER_EXCHANGE: &str = "sqlsynth.dlx";
/// The header a dead-lettered job carries: why the worker refused or gave up on it.
pub const ERROR_HEADER: &str = "x-sqlsynth-error";
/// Set by quorum queues on redelivery: how many times the message was returned before.
pub const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";
/// Set by the worker on a copy it sends to the retry queue: the deliveries
/// (attempts) of the job so far. The broker's own count starts over with the copy.
pub const ATTEMPTS_HEADER: &str = "x-sqlsynth-attempts";
/// AMQP reply code of a declare whose arguments differ from the existing object's.
const PRECONDITION_FAILED: u16 = 406;
/// Longest reason text written into [`ERROR_HEADER`].
const MAX_REASON_BYTES: usize = 2048;

/// The names and arguments of everything the worker needs on the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Durable quorum queue the jobs arrive on.
    pub jobs_queue: String,
    /// `<jobs_queue>.dead`, bound to [`DEAD_LETTER_EXCHANGE`] with routing key `<jobs_queue>`.
    pub dead_queue: String,
    /// `<jobs_queue>.retry`: jobs waiting out their redelivery delay (per-message
    /// TTL), dead-lettered back to the jobs queue when it passes.
    pub retry_queue: String,
    /// Topic exchange results are published to, routing key = job id.
    pub results_exchange: String,
    /// The queue's `x-delivery-limit` and the worker's own cap.
    pub max_deliveries: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("config key `{key}`: {message}")]
pub struct TopologyError {
    key: &'static str,
    message: String,
}

impl Topology {
    /// Derives the names from the `[queue]` settings and checks they fit AMQP's limits.
    pub fn new(queue: &QueueSettings) -> Result<Topology, TopologyError> {
        for (key, name) in
            [("queue.jobs_queue", &queue.jobs_queue), ("queue.results_exchange", &queue.results_exchange)]
        {
            // `.dead` is appended to the jobs queue; AMQP names are at most 255 bytes.
            if name.is_empty() || name.len() > 200 || name.starts_with("amq.") {
                return Err(TopologyError { key, message: "must be 1-200 bytes and not start with `amq.`".into() });
            }
        }
        if queue.max_deliveries == 0 {
            return Err(TopologyError { key: "queue.max_deliveries", message: "must be at least 1".into() });
        }
        Ok(Topology {
            jobs_queue: queue.jobs_queue.clone(),
            dead_queue: format!("{}.dead", queue.jobs_queue),
            retry_queue: format!("{}.retry", queue.jobs_queue),
            results_exchange: queue.results_exchange.clone(),
            max_deliveries: queue.max_deliveries,
        })
    }

    /// Declares exchanges, queues and bindings on a channel of its own.
    /// Declaring what exists with the same arguments is a no-op. A queue that
    /// exists with different arguments (another delivery limit, a classic
    /// queue of the same name) is used as it is: the broker's refusal is
    /// logged with what differs and what to do, and the queue is checked to
    /// exist (a passive declare) instead.
    pub async fn declare(&self, connection: &Connection) -> lapin::Result<()> {
        let mut channel = connection.create_channel().await?;
        let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
        channel
            .exchange_declare(DEAD_LETTER_EXCHANGE.into(), ExchangeKind::Direct, durable, FieldTable::default())
            .await?;
        channel
            .exchange_declare(name(&self.results_exchange), ExchangeKind::Topic, durable, FieldTable::default())
            .await?;
        let mut dead_args = FieldTable::default();
        dead_args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        declare_queue(connection, &mut channel, &self.dead_queue, dead_args).await?;
        channel
            .queue_bind(
                name(&self.dead_queue),
                DEAD_LETTER_EXCHANGE.into(),
                name(&self.jobs_queue),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        declare_queue(connection, &mut channel, &self.jobs_queue, self.jobs_queue_arguments()).await?;
        let mut retry_args = FieldTable::default();
        retry_args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        retry_args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString("".into()));
        retry_args.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(self.jobs_queue.as_str().into()));
        declare_queue(connection, &mut channel, &self.retry_queue, retry_args).await?;
        let _ = channel.close(200, "topology declared".into()).await;
        Ok(())
    }

    fn jobs_queue_arguments(&self) -> FieldTable {
        let mut args = FieldTable::default();
        args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        args.insert("x-delivery-limit".into(), AMQPValue::LongLongInt(self.max_deliveries as i64));
        args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(DEAD_LETTER_EXCHANGE.into()));
        args.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(self.jobs_queue.as_str().into()));
        args
    }
}

/// Declares a durable queue; if it exists with other arguments, warns with the
/// broker's words and what to do, and checks it exists instead (on a new
/// channel: the refusal closed the old one).
async fn declare_queue(
    connection: &Connection,
    channel: &mut Channel,
    queue: &str,
    args: FieldTable,
) -> lapin::Result<()> {
    let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
    let refusal = match channel.queue_declare(name(queue), durable, args).await {
        Ok(_) => return Ok(()),
        Err(e) => match e.kind() {
            lapin::ErrorKind::ProtocolError(amqp) if amqp.get_id() == PRECONDITION_FAILED => {
                amqp.get_message().as_str().to_string()
            }
            _ => return Err(e),
        },
    };
    let argument = refusal.split('\'').nth(1).unwrap_or("an argument").to_string();
    warn!(queue, argument = %argument, broker = %refusal,
          "the queue exists with other arguments than this configuration's; using it as it is \
           (the worker's own delivery cap, queue.max_deliveries, still applies). To apply the new \
           arguments, let the queue drain, stop the workers and delete it (rabbitmqctl delete_queue <queue>); \
           the next start declares it anew");
    *channel = connection.create_channel().await?;
    let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
    channel.queue_declare(name(queue), passive, FieldTable::default()).await?;
    Ok(())
}

/// Opens a connection named after its role (visible in the management UI).
pub async fn connect(queue: &QueueSettings, role: &str) -> lapin::Result<Connection> {
    let properties = ConnectionProperties::default()
        .with_connection_name(format!("sqlsynth {role} pid {}", std::process::id()).into());
    Connection::connect(queue.url.expose(), properties).await
}

/// A channel in publisher-confirm mode.
pub async fn confirm_channel(connection: &Connection) -> lapin::Result<Channel> {
    let channel = connection.create_channel().await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    Ok(channel)
}

/// Why a publish did not end in a stored message.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the broker returned the message: no queue is bound for routing key `{routing_key}` ({reply})")]
    Returned { routing_key: String, reply: String },
    #[error("the broker refused the message (publisher nack)")]
    Nacked,
    #[error("the channel is not in confirm mode; the publish is unconfirmed")]
    Unconfirmed,
    #[error("publish failed: {0}")]
    Broker(#[from] lapin::Error),
}

impl PublishError {
    /// True when the message reached the broker and was refused only for lack of a route.
    pub fn is_unroutable(&self) -> bool {
        matches!(self, PublishError::Returned { .. })
    }
}

/// Publishes `mandatory` on a confirm channel and waits for the broker's confirm.
pub async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    properties: BasicProperties,
) -> Result<(), PublishError> {
    let options = BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() };
    let confirm = channel.basic_publish(name(exchange), name(routing_key), options, body, properties).await?.await?;
    match confirm {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(returned)) | Confirmation::Nack(Some(returned)) => Err(PublishError::Returned {
            routing_key: routing_key.to_string(),
            reply: format!("{} {}", returned.reply_code, returned.reply_text),
        }),
        Confirmation::Nack(None) => Err(PublishError::Nacked),
        Confirmation::NotRequested => Err(PublishError::Unconfirmed),
    }
}

/// Properties of every message sqlsynth publishes: persistent JSON.
pub fn persistent_json(message_id: &str) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(name(message_id))
}

/// How many times this job was delivered before (0 on the first delivery):
/// the broker's count of this message plus the attempts its retry copies carry.
pub fn delivery_count(properties: &BasicProperties) -> u32 {
    header_u32(properties, DELIVERY_COUNT_HEADER).saturating_add(header_u32(properties, ATTEMPTS_HEADER))
}

/// The properties of a copy sent to the retry queue: the original ones,
/// persistent, with [`ATTEMPTS_HEADER`] = `attempts`, the broker's delivery
/// count removed, and expiring (back to the jobs queue) after `delay`.
pub fn for_retry(original: &BasicProperties, attempts: u32, delay: std::time::Duration) -> BasicProperties {
    let mut headers = original.headers().clone().unwrap_or_default();
    let mut kept = FieldTable::default();
    for (key, value) in headers.inner() {
        if key.as_str() != DELIVERY_COUNT_HEADER && key.as_str() != "x-death" {
            kept.insert(key.clone(), value.clone());
        }
    }
    headers = kept;
    headers.insert(ATTEMPTS_HEADER.into(), AMQPValue::LongLongInt(attempts.into()));
    original
        .clone()
        .with_headers(headers)
        .with_delivery_mode(2)
        .with_expiration(delay.as_millis().max(1).to_string().into())
}

fn header_u32(properties: &BasicProperties, key: &str) -> u32 {
    let Some(headers) = properties.headers() else { return 0 };
    match headers.inner().get(key) {
        Some(AMQPValue::LongLongInt(n)) => (*n).clamp(0, u32::MAX as i64) as u32,
        Some(AMQPValue::LongInt(n)) => (*n).max(0) as u32,
        Some(AMQPValue::LongUInt(n)) => *n,
        Some(AMQPValue::ShortInt(n)) => (*n).max(0) as u32,
        Some(AMQPValue::ShortUInt(n)) => *n as u32,
        Some(AMQPValue::ShortShortInt(n)) => (*n).max(0) as u32,
        Some(AMQPValue::ShortShortUInt(n)) => *n as u32,
        _ => 0,
    }
}

/// A string header's value (long or short string), if present.
pub fn header_string(properties: &BasicProperties, key: &str) -> Option<String> {
    match properties.headers().as_ref()?.inner().get(key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

/// The properties of a dead-lettered copy: the original ones, persistent, plus
/// [`ERROR_HEADER`] with the (bounded) reason.
pub fn with_error_header(original: &BasicProperties, reason: &str) -> BasicProperties {
    let mut headers = original.headers().clone().unwrap_or_default();
    let mut reason = reason.to_string();
    if reason.len() > MAX_REASON_BYTES {
        let mut end = MAX_REASON_BYTES;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    headers.insert(ERROR_HEADER.into(), AMQPValue::LongString(LongString::from(reason)));
    original.clone().with_headers(headers).with_delivery_mode(2)
}

/// Names here are validated (job ids are at most 128 bytes, queue names at most
/// 200), so the conversion cannot hit AMQP's 255-byte limit.
fn name(text: &str) -> ShortString {
    ShortString::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretUrl;

    fn settings(jobs_queue: &str) -> QueueSettings {
        QueueSettings {
            url: SecretUrl::new("amqp://127.0.0.1:5672/%2f"),
            jobs_queue: jobs_queue.into(),
            results_exchange: "sqlsynth.results".into(),
            prefetch: 4,
            max_deliveries: 5,
            retry_delay_ms: 1000,
            retry_delay_max_ms: 60_000,
            drain_timeout_ms: 1000,
            require_results_route: false,
        }
    }

    #[test]
    fn the_dead_queue_follows_the_jobs_queue() {
        let topology = Topology::new(&settings("sqlsynth.jobs")).unwrap();
        assert_eq!(topology.dead_queue, "sqlsynth.jobs.dead");
        assert_eq!(topology.retry_queue, "sqlsynth.jobs.retry");
        let args = topology.jobs_queue_arguments();
        assert_eq!(args.inner().get("x-delivery-limit"), Some(&AMQPValue::LongLongInt(5)));
        assert!(Topology::new(&settings(&"q".repeat(201))).is_err());
        assert!(Topology::new(&settings("")).is_err());
    }

    #[test]
    fn delivery_count_reads_any_integer_and_defaults_to_zero() {
        assert_eq!(delivery_count(&BasicProperties::default()), 0);
        let mut headers = FieldTable::default();
        headers.insert(DELIVERY_COUNT_HEADER.into(), AMQPValue::LongLongInt(3));
        let delivered = BasicProperties::default().with_headers(headers);
        assert_eq!(delivery_count(&delivered), 3);
        let retry = for_retry(&delivered, 4, std::time::Duration::from_millis(1500));
        assert_eq!(delivery_count(&retry), 4, "the broker's count is replaced by the attempts");
        assert_eq!(retry.expiration().as_ref().map(|e| e.as_str()), Some("1500"));
        let mut again = retry.headers().clone().unwrap();
        again.insert(DELIVERY_COUNT_HEADER.into(), AMQPValue::LongInt(1));
        assert_eq!(delivery_count(&BasicProperties::default().with_headers(again)), 5);
    }

    #[test]
    fn the_error_header_is_bounded_and_keeps_other_headers() {
        let mut headers = FieldTable::default();
        headers.insert("x-trace".into(), AMQPValue::LongString("t1".into()));
        let props = with_error_header(&BasicProperties::default().with_headers(headers), &"é".repeat(5000));
        let reason = header_string(&props, ERROR_HEADER).unwrap();
        assert!(reason.len() <= MAX_REASON_BYTES);
        assert_eq!(header_string(&props, "x-trace").as_deref(), Some("t1"));
        assert_eq!(props.delivery_mode(), &Some(2));
    }
}
