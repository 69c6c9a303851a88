//! The one format of every cache entry, in Redis and on disk: a versioned
//! envelope that names what it holds and under which key, with a SHA-256 of
//! its body. Redis is shared and not trusted blindly: an entry that does not
//! parse, has another format or version, was stored for another kind or key,
//! or whose checksum does not match is refused with a reason, and the caller
//! treats it as a miss. (The checksum catches corruption and foreign writers,
//! not a forger; SQL from any cache still passes the guard before it runs.)
//!
//! Two shapes: [`seal`] puts a JSON body inside a JSON envelope; [`seal_binary`]
//! writes the same fields as a one-line JSON header followed by raw bytes, for
//! large binary payloads (a schema's value index).

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

/// The header of a binary entry ([`seal_binary`]): the envelope's fields
/// without the body, which follows the header's newline as raw bytes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BinaryHeader {
    format: String,
    version: u32,
    kind: String,
    key: String,
    stored_at_ms: i64,
    /// What the body belongs to (for a value index: the schema fingerprint).
    tag: String,
    /// Hex SHA-256 of the body.
    sha256: String,
}

/// A decoded binary entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedBinary<'a> {
    pub tag: String,
    pub body: &'a [u8],
    pub stored_at_ms: i64,
}

/// Wraps raw `body` bytes for storage under `key`: a one-line JSON header
/// (format, version, kind, key, `tag`, checksum), a newline, then the bytes
/// as they are, for payloads that JSON would bloat (the value index).
pub fn seal_binary(kind: &str, key: &str, tag: &str, body: &[u8]) -> Vec<u8> {
    let header = BinaryHeader {
        format: FORMAT.into(),
        version: VERSION,
        kind: kind.into(),
        key: key.into(),
        stored_at_ms: now_ms(),
        tag: tag.into(),
        sha256: hex::encode(Sha256::digest(body)),
    };
    let mut out = serde_json::to_vec(&header).expect("headers serialize");
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// Checks a binary entry read from `key`, with the same refusals as [`open`].
pub fn open_binary<'a>(kind: &str, key: &str, bytes: &'a [u8]) -> Result<OpenedBinary<'a>, EntryError> {
    let newline = bytes.iter().position(|&b| b == b'\n').ok_or_else(|| EntryError::Malformed("no header".into()))?;
    let header: BinaryHeader =
        serde_json::from_slice(&bytes[..newline]).map_err(|e| EntryError::Malformed(e.to_string()))?;
    if header.format != FORMAT || header.version != VERSION {
        return Err(EntryError::Foreign { format: header.format, version: header.version });
    }
    if header.kind != kind || header.key != key {
        return Err(EntryError::Misplaced { kind: kind.into(), found: header.kind, key: header.key });
    }
    let body = &bytes[newline + 1..];
    if hex::encode(Sha256::digest(body)) != header.sha256 {
        return Err(EntryError::Corrupt);
    }
    Ok(OpenedBinary { tag: header.tag, body, stored_at_ms: header.stored_at_ms })
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

    #[test]
    fn binary_entries_round_trip_and_every_defect_is_refused() {
        let body = [0u8, 10, 255, b'\n', 7];
        let sealed = seal_binary("values", "k1", "fp1", &body);
        let opened = open_binary("values", "k1", &sealed).unwrap();
        assert_eq!((opened.tag.as_str(), opened.body), ("fp1", &body[..]));

        assert!(matches!(open_binary("values", "k2", &sealed), Err(EntryError::Misplaced { .. })));
        assert!(matches!(open_binary("schema", "k1", &sealed), Err(EntryError::Misplaced { .. })));
        assert!(matches!(open_binary("values", "k1", b"raw bytes"), Err(EntryError::Malformed(_))));
        assert_eq!(open_binary("values", "k1", &sealed[..sealed.len() - 1]), Err(EntryError::Corrupt));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(open_binary("values", "k1", &flipped), Err(EntryError::Corrupt));
        let foreign = String::from_utf8_lossy(&sealed).replace("\"version\":1", "\"version\":99");
        assert!(matches!(open_binary("values", "k1", foreign.as_bytes()), Err(EntryError::Foreign { .. })));
    }
}
