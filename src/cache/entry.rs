//! The one format of every cache entry, in Redis and on disk: a versioned
//! envelope that names what it holds and under which key, with a SHA-256 of
//! its body. Redis is shared and not trusted blindly: an entry that does not
//! parse, has another format or version, was stored for another kind or key,
//! or whose checksum does not match is refused with a reason, and the caller
//! treats it as a miss. (The checksum catches corruption and foreign writers,
//! not a forger; SQL from any cache still passes the guard before it runs.)

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Names the format; anything else in a key is foreign.
const FORMAT: &str = "sqlsynth-cache";
/// Bumped when a body's shape changes, so older entries read as misses.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    version: u32,
    kind: String,
    key: String,
    /// Unix milliseconds when the entry was written.
    stored_at_ms: i64,
    /// Hex SHA-256 of `body`.
    sha256: String,
    /// The payload, as JSON text.
    body: String,
}

/// Why a stored entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("not a sqlsynth cache entry: {0}")]
    Malformed(String),
    #[error("format {format:?} version {version} is not {FORMAT:?} version {VERSION}")]
    Foreign { format: String, version: u32 },
    #[error("entry holds a {found} for key {key:?}, not a {kind} for this key")]
    Misplaced { kind: String, found: String, key: String },
    #[error("checksum mismatch: the body was altered or truncated")]
    Corrupt,
    #[error("the body is not a valid {kind}: {message}")]
    BadBody { kind: String, message: String },
}

/// A decoded entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened<T> {
    pub value: T,
    pub stored_at_ms: i64,
}

/// Wraps `value` for storage under `key`.
pub fn seal<T: Serialize>(kind: &str, key: &str, value: &T) -> Vec<u8> {
    let body = serde_json::to_string(value).expect("cache values serialize");
    let envelope = Envelope {
        format: FORMAT.into(),
        version: VERSION,
        kind: kind.into(),
        key: key.into(),
        stored_at_ms: now_ms(),
        sha256: hex::encode(Sha256::digest(body.as_bytes())),
        body,
    };
    serde_json::to_vec(&envelope).expect("envelopes serialize")
}

/// Checks and decodes an entry read from `key`.
pub fn open<T: DeserializeOwned>(kind: &str, key: &str, bytes: &[u8]) -> Result<Opened<T>, EntryError> {
    let envelope: Envelope = serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
    if envelope.format != FORMAT || envelope.version != VERSION {
        return Err(EntryError::Foreign { format: envelope.format, version: envelope.version });
    }
    if envelope.kind != kind || envelope.key != key {
        return Err(EntryError::Misplaced { kind: kind.into(), found: envelope.kind, key: envelope.key });
    }
    if hex::encode(Sha256::digest(envelope.body.as_bytes())) != envelope.sha256 {
        return Err(EntryError::Corrupt);
    }
    let value = serde_json::from_str(&envelope.body)
        .map_err(|e| EntryError::BadBody { kind: kind.into(), message: e.to_string() })?;
    Ok(Opened { value, stored_at_ms: envelope.stored_at_ms })
}

/// Wall-clock Unix milliseconds (shared between processes, unlike `Instant`).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Hex SHA-256 of `text`: fixed-length, path- and key-safe names for arbitrary text.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        sql: String,
    }

    #[test]
    fn entries_round_trip_and_every_defect_is_refused() {
        let sealed = seal("answer", "k1", &Body { sql: "SELECT 1".into() });
        let opened: Opened<Body> = open("answer", "k1", &sealed).unwrap();
        assert_eq!(opened.value, Body { sql: "SELECT 1".into() });

        assert!(matches!(open::<Body>("answer", "k2", &sealed), Err(EntryError::Misplaced { .. })));
        assert!(matches!(open::<Body>("schema", "k1", &sealed), Err(EntryError::Misplaced { .. })));
        assert!(matches!(open::<Body>("answer", "k1", b"SELECT 1"), Err(EntryError::Malformed(_))));
        let tampered = String::from_utf8(sealed.clone()).unwrap().replace("SELECT 1", "DELETE FROM t");
        assert_eq!(open::<Body>("answer", "k1", tampered.as_bytes()), Err(EntryError::Corrupt));
        let foreign = String::from_utf8(sealed.clone()).unwrap().replace("\"version\":1", "\"version\":99");
        assert!(matches!(open::<Body>("answer", "k1", foreign.as_bytes()), Err(EntryError::Foreign { .. })));
        let truncated = &sealed[..sealed.len() - 5];
        assert!(open::<Body>("answer", "k1", truncated).is_err());
    }
}
