//! Secrets (database URLs with passwords, API keys) and their redaction.
//!
//! A [`SecretUrl`] prints its password as `***` through both `Debug` and
//! `Display`, so a URL can travel through logs, `#[instrument]` fields and error
//! messages without leaking. As a second line of defence every secret seen at
//! configuration time is registered with [`register`], and [`redact`] scrubs
//! any text (log lines, error chains, manifest errors) of all of them: a driver
//! error that echoes a connection string still cannot leak it.

use std::fmt;
use std::sync::{OnceLock, RwLock};

/// The replacement for a secret in any printed text.
pub const REDACTED: &str = "***";

fn registry() -> &'static RwLock<Vec<String>> {
    static SECRETS: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(Vec::new()))
}

/// Remembers a secret so that [`redact`] removes it from any text. Secrets
/// shorter than 3 characters are ignored: redacting them would mangle text.
pub fn register(secret: &str) {
    if secret.len() < 3 {
        return;
    }
    let mut secrets = registry().write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Replaces every registered secret (and its percent-encoded form) in `text`.
pub fn redact(text: &str) -> String {
    let secrets = registry().read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
        let encoded = percent_encode(secret);
        if encoded != *secret && out.contains(&encoded) {
            out = out.replace(&encoded, REDACTED);
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A connection URL whose password never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    raw: String,
}

impl SecretUrl {
    /// Wraps a URL and registers its password (if any) for redaction.
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        if let Some((start, end)) = password_span(&raw) {
            let password = &raw[start..end];
            register(password);
            if let Some(decoded) = percent_decode(password) {
                register(&decoded);
            }
        }
        SecretUrl { raw }
    }

    /// The URL with its password, for handing to a driver and nothing else.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        match password_span(&self.raw) {
            Some((start, end)) => format!("{}{}{}", &self.raw[..start], REDACTED, &self.raw[end..]),
            None => self.raw.clone(),
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A secret string (an API key) that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        SecretString(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Byte range of the password in `scheme://user:password@host...`, if present.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let authority_start = url.find("://")? + 3;
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let colon = userinfo.find(':')?;
    let start = authority_start + colon + 1;
    let end = authority_start + at;
    (end > start).then_some((start, end))
}

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_password_never_prints() {
        let url = SecretUrl::new("postgres://app:hunter2-canary@db:5432/sales?sslmode=disable");
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/sales?sslmode=disable");
        assert!(!format!("{url:?}").contains("hunter2-canary"));
        assert!(url.expose().contains("hunter2-canary"));
        assert_eq!(
            redact("connect to postgres://app:hunter2-canary@db failed"),
            "connect to postgres://app:***@db failed"
        );
    }

    #[test]
    fn urls_without_password_are_unchanged() {
        for raw in ["sqlite://jobs/demo/chinook.sqlite", "mysql://root@127.0.0.1:3306/test", "postgres://h/db"] {
            assert_eq!(SecretUrl::new(raw).to_string(), raw);
        }
    }

    #[test]
    fn percent_encoded_passwords_are_redacted_in_both_forms() {
        let url = SecretUrl::new("mysql://u:p%40ss%2Fw0rd@h/db");
        assert_eq!(url.to_string(), "mysql://u:***@h/db");
        assert_eq!(redact("password p@ss/w0rd rejected"), "password *** rejected");
    }

    #[test]
    fn api_keys_are_redacted() {
        let key = SecretString::new("sk-canary-123456");
        assert_eq!(format!("{key:?}"), "***");
        assert_eq!(redact("Bearer sk-canary-123456"), "Bearer ***");
    }
}
