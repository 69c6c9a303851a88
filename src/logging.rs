//! Logging setup: tracing to stderr, human-readable text or JSON lines, with
//! every line passed through [`crate::secret::redact`] before it is written,
//! so a secret that reaches a log field by any route is still never printed.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;
use crate::secret::redact;

/// Writes to stderr with secrets removed. The fmt layer formats each event
/// into one buffer and writes it in one call, so each call is whole lines.
pub struct RedactingStderr;

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stderr().lock().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingStderr
    }
}

/// Installs the global subscriber. The filter comes from `SQLSYNTH_LOG` (or
/// `RUST_LOG`), else `default_level` for sqlsynth and warnings for the rest.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = std::env::var("SQLSYNTH_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("warn,sqlsynth={default_level}")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(RedactingStderr);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&io::stderr())).try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
