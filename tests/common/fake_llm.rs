//! A local OpenAI-compatible chat-completions server for tests and benches:
//! a tokio TCP listener speaking just enough HTTP/1.1 (one request per
//! connection) for reqwest. A script decides each reply: answers, a raw
//! content string (malformed JSON), an HTTP error with `Retry-After`, a hang
//! (timeouts), or any of these after a delay. Every request is recorded.
//!
//! Test code only: it is never a provider the product offers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One question as a request carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub id: String,
    pub question: String,
    pub previous_sql: Option<String>,
    pub error: Option<String>,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// 0-based, in arrival order.
    pub index: usize,
    pub at: Instant,
    pub path: String,
    /// Lower-cased header names.
    pub headers: HashMap<String, String>,
    pub body: String,
    /// What the reply reported as `usage` (zeros when the reply was not a completion).
    pub usage: (u64, u64, u64),
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The questions of the last message (`{"questions": [...]}`).
    pub fn questions(&self) -> Vec<Asked> {
        let json = self.json();
        let Some(content) = json["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str())
        else {
            return Vec::new();
        };
        let payload: Value = serde_json::from_str(content).unwrap_or(Value::Null);
        let text = |v: &Value| v.as_str().map(str::to_string);
        payload["questions"]
            .as_array()
            .map(|qs| {
                qs.iter()
                    .map(|q| Asked {
                        id: text(&q["id"]).unwrap_or_default(),
                        question: text(&q["question"]).unwrap_or_default(),
                        previous_sql: text(&q["previous_sql"]),
                        error: text(&q["error"]),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The content of message `n`.
    pub fn message(&self, n: usize) -> String {
        self.json()["messages"][n]["content"].as_str().unwrap_or_default().to_string()
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A completion whose content is `{"answers": [{"id", "sql"}]}`.
    Answers(Vec<(String, String)>),
    /// A completion with this exact content (e.g. malformed JSON).
    Content(String),
    /// An HTTP error status, with an optional `Retry-After` value.
    Status { code: u16, retry_after: Option<String>, body: String },
    /// Read the request, answer nothing for this long, then close.
    Hang(Duration),
    /// Another reply after a delay (simulated latency).
    Delayed(Duration, Box<Reply>),
    /// Another reply once this many requests have arrived in all: an order
    /// of events, not a time ("answer the first job after the second asked").
    AfterRequests(usize, Box<Reply>),
}

impl Reply {
    /// Answers every question of `request` with `sql(question)`.
    pub fn answer_each(request: &Recorded, sql: impl Fn(&Asked) -> String) -> Reply {
        Reply::Answers(request.questions().iter().map(|q| (q.id.clone(), sql(q))).collect())
    }
}

type Script = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// A running fake endpoint; stops when dropped.
pub struct FakeLlm {
    /// The `synth.base_url` to configure: `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeLlm {
    /// Starts a server that replies to each request as `script` says.
    pub async fn start(script: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
        let port = listener.local_addr().unwrap().port();
        let recorded: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let seen_prefixes: Arc<Mutex<Vec<String>>> = Arc::default();
        let shared = recorded.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (recorded, script, seen) = (shared.clone(), script.clone(), seen_prefixes.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, recorded, script, seen).await;
                });
            }
        });
        FakeLlm { base_url: format!("http://127.0.0.1:{port}/v1"), recorded, task }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }
}

/// An address nothing listens on (a port that was just free).
pub async fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

async fn serve(
    mut stream: TcpStream,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Script>,
    seen_prefixes: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines.next().unwrap_or_default().split(' ').nth(1).unwrap_or_default().to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end..]).to_string();
    let request = {
        let mut recorded = recorded.lock().unwrap();
        let request = Recorded { index: recorded.len(), at: Instant::now(), path, headers, body, usage: (0, 0, 0) };
        recorded.push(request.clone());
        request
    };
    let index = request.index;
    let mut reply = script(&request);
    let reply = loop {
        reply = match reply {
            Reply::Delayed(delay, inner) => {
                tokio::time::sleep(delay).await;
                *inner
            }
            Reply::AfterRequests(count, inner) => {
                while recorded.lock().unwrap().len() < count {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                *inner
            }
            other => break other,
        };
    };
    let (status, extra, body) = match reply {
        Reply::Answers(answers) => {
            let answers: Vec<Value> = answers.into_iter().map(|(id, sql)| json!({"id": id, "sql": sql})).collect();
            let content = json!({ "answers": answers }).to_string();
            completion(&request, &content, &seen_prefixes, &recorded, index)
        }
        Reply::Content(content) => completion(&request, &content, &seen_prefixes, &recorded, index),
        Reply::Status { code, retry_after, body } => {
            let extra = retry_after.map(|v| format!("Retry-After: {v}\r\n")).unwrap_or_default();
            (code, extra, body)
        }
        Reply::Hang(duration) => {
            tokio::time::sleep(duration).await;
            return Ok(());
        }
        Reply::Delayed(..) | Reply::AfterRequests(..) => unreachable!("waits are unwrapped above"),
    };
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// A chat completion carrying `content`, with usage: prompt tokens ~ body
/// bytes / 4; the shared prefix (system and context messages) reported as
/// cached when an earlier request sent the same prefix, as providers do.
fn completion(
    request: &Recorded,
    content: &str,
    seen_prefixes: &Mutex<Vec<String>>,
    recorded: &Mutex<Vec<Recorded>>,
    index: usize,
) -> (u16, String, String) {
    let prefix = format!("{}\u{0}{}", request.message(0), request.message(1));
    let cached = {
        let mut seen = seen_prefixes.lock().unwrap();
        let hit = seen.contains(&prefix);
        if !hit {
            seen.push(prefix.clone());
        }
        if hit { (prefix.len() / 4) as u64 } else { 0 }
    };
    let usage = ((request.body.len() / 4) as u64, (content.len() / 4).max(1) as u64, cached);
    recorded.lock().unwrap()[index].usage = usage;
    let body = json!({
        "id": format!("chatcmpl-{index}"),
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": usage.0, "completion_tokens": usage.1,
                  "prompt_tokens_details": {"cached_tokens": usage.2}}
    });
    (200, String::new(), body.to_string())
}
