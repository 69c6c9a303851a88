//! `/healthz` and `/readyz` on `metrics.listen`: a minimal HTTP/1.1 responder
//! on a plain tokio listener (one request per connection, then close).
//!
//! * `/healthz` answers 200 while the process runs.
//! * `/readyz` answers 200 only while the worker is connected to the broker
//!   and consuming, 503 otherwise (reconnecting, draining).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info};

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
    info!(%address, "health endpoints listening (/healthz, /readyz)");
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
    let mut buffer = [0u8; 1024];
    let mut filled = 0;
    // Only the request line matters; read until it is complete or the buffer is full.
    let read = async {
        while filled < buffer.len() {
            let n = stream.read(&mut buffer[filled..]).await?;
            if n == 0 {
                break;
            }
            filled += n;
            if buffer[..filled].windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
        Ok::<_, std::io::Error>(())
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.map_err(|_| std::io::ErrorKind::TimedOut)??;
    let request = String::from_utf8_lossy(&buffer[..filled]);
    let mut parts = request.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = match (method, path) {
        ("GET" | "HEAD", "/healthz") => ("200 OK", "ok\n"),
        ("GET" | "HEAD", "/readyz") if readiness.get() => ("200 OK", "ready\n"),
        ("GET" | "HEAD", "/readyz") => ("503 Service Unavailable", "not ready\n"),
        ("GET" | "HEAD", _) => ("404 Not Found", "not found\n"),
        _ => ("405 Method Not Allowed", "method not allowed\n"),
    };
    let body = if method == "HEAD" { "" } else { body };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
