//! `/healthz`, `/readyz` and `/metrics` on `metrics.listen`: a minimal
//! HTTP/1.1 responder on a plain tokio listener (one request per connection,
//! then close).
//!
//! * `/healthz` answers 200 while the process runs.
//! * `/readyz` answers 200 only while the process is ready: the worker while
//!   it is connected to the broker and consuming, 503 otherwise (reconnecting,
//!   draining). Any long-running command (the scheduler too) can serve these
//!   endpoints with [`serve`] and a [`Readiness`] it sets itself.
//! * `/metrics` answers the Prometheus text exposition
//!   ([`crate::metrics::render`]), or 404 when no recorder is installed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info};

/// The liveness probe path.
pub const HEALTHZ_PATH: &str = "/healthz";
/// The readiness probe path.
pub const READYZ_PATH: &str = "/readyz";
/// The Prometheus scrape path.
pub const METRICS_PATH: &str = "/metrics";

/// Whether the worker is consuming; shared by the worker loop and the health server.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Binds `listen` now (so a bad address fails at start) and serves in the background.
pub async fn serve(listen: &str, readiness: Readiness) -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    info!(%address, "health and metrics endpoints listening (/healthz, /readyz, /metrics)");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let readiness = readiness.clone();
            tokio::spawn(async move {
                if let Err(e) = respond(stream, &readiness).await {
                    debug!(error = %e, "health request failed");
                }
            });
        }
    });
    Ok(address)
}

async fn respond(mut stream: TcpStream, readiness: &Readiness) -> std::io::Result<()> {
    let mut buffer = [0u8; 8192];
    let mut filled = 0;
    // Read the whole request head (so closing the socket never resets it under
    // the client's feet); only the request line matters.
    let read = async {
        while filled < buffer.len() {
            let n = stream.read(&mut buffer[filled..]).await?;
            if n == 0 {
                break;
            }
            filled += n;
            if buffer[..filled].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        Ok::<_, std::io::Error>(())
    };
    let read = tokio::time::timeout(Duration::from_secs(5), read).await;
    // A client that sent its request line but not the blank line still gets an answer.
    if !buffer[..filled].windows(2).any(|w| w == b"\r\n") {
        return match read {
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "no request line")),
        };
    }
    let request = String::from_utf8_lossy(&buffer[..filled]);
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
    let text = |status: &'static str, body: &str| (status, "text/plain; charset=utf-8", body.to_string());
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", HEALTHZ_PATH) => text("200 OK", "ok\n"),
        ("GET" | "HEAD", READYZ_PATH) if readiness.get() => text("200 OK", "ready\n"),
        ("GET" | "HEAD", READYZ_PATH) => text("503 Service Unavailable", "not ready\n"),
        ("GET" | "HEAD", METRICS_PATH) => match crate::metrics::render() {
            Some(exposition) => ("200 OK", crate::metrics::CONTENT_TYPE, exposition),
            None => text("404 Not Found", "metrics are not enabled in this process\n"),
        },
        ("GET" | "HEAD", _) => text("404 Not Found", "not found\n"),
        _ => text("405 Method Not Allowed", "method not allowed\n"),
    };
    let body = if method == "HEAD" { "" } else { body.as_str() };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(address: std::net::SocketAddr, path: &str, extra_headers: &str) -> String {
        let mut stream = TcpStream::connect(address).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra_headers}\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn probes_follow_readiness_and_a_long_request_head_is_read_whole() {
        let readiness = Readiness::default();
        let address = serve("127.0.0.1:0", readiness.clone()).await.unwrap();
        assert!(get(address, HEALTHZ_PATH, "").await.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(get(address, READYZ_PATH, "").await.starts_with("HTTP/1.1 503 "));
        readiness.set(true);
        let long_header = format!("X-Padding: {}\r\n", "p".repeat(3000));
        assert!(get(address, READYZ_PATH, &long_header).await.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(get(address, "/nope?x=1", "").await.starts_with("HTTP/1.1 404 "));
        // No recorder is installed in unit tests: /metrics says so instead of serving nothing.
        let metrics = get(address, METRICS_PATH, "").await;
        assert!(metrics.starts_with("HTTP/1.1 404 ") && metrics.contains("not enabled"), "{metrics}");
    }
}
