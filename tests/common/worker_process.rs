//! A `sqlsynth worker` child process for tests: its own free port for the
//! health and metrics listener, stderr to a log file in the work directory,
//! killed on drop.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sqlsynth::worker::health::READYZ_PATH;

/// How long a test waits for a worker to do what it should.
pub const DEADLINE: Duration = Duration::from_secs(120);
/// How often a wait polls (short: the worker bench starts its clock at readiness).
const POLL: Duration = Duration::from_millis(10);

pub struct WorkerProcess {
    pub child: Child,
    log: PathBuf,
    /// `host:port` of the health and metrics listener.
    pub listen: String,
}

impl WorkerProcess {
    /// Starts `sqlsynth worker` in `dir` (its config there), logging to `<label>.log`.
    pub fn start(dir: &Path, label: &str, env: &[(&str, &str)]) -> WorkerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let listen = format!("127.0.0.1:{port}");
        let log = dir.join(format!("{label}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_sqlsynth"));
        command
            .current_dir(dir)
            .arg("worker")
            .env_remove("SQLSYNTH_CONFIG")
            .env_remove("RUST_LOG")
            .env_remove("SQLSYNTH_LOG")
            .env("SQLSYNTH__METRICS__LISTEN", &listen)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            command.env(k, v);
        }
        WorkerProcess { child: command.spawn().expect("the worker starts"), log, listen }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The whole HTTP response to GET `path` (head and body), if the listener answers.
    pub fn get(&self, path: &str) -> Option<String> {
        let mut stream = std::net::TcpStream::connect(&self.listen).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n").ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        Some(response)
    }

    /// The status line of GET `path`.
    pub fn status(&self, path: &str) -> Option<String> {
        self.get(path).and_then(|response| response.lines().next().map(str::to_string))
    }

    /// Polls until `done` holds, failing the test if the worker exits or `DEADLINE` passes.
    pub async fn wait_until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(self.child.try_wait().unwrap().is_none(), "worker exited early:\n{}", self.log());
            assert!(start.elapsed() < DEADLINE, "worker never {what}:\n{}", self.log());
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the log contains `needle`.
    pub async fn wait_for_log(&mut self, needle: &str) {
        self.wait_until(&format!("logged {needle:?}"), |w| w.log().contains(needle)).await;
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_ready(&mut self) {
        self.wait_until("became ready", |w| w.status(READYZ_PATH).as_deref() == Some("HTTP/1.1 200 OK")).await;
    }

    pub fn signal(&self, signal: i32) {
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    pub async fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < DEADLINE, "worker did not exit:\n{}", self.log());
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Publishes `body` to `queue` as any client could: persistent, mandatory and
/// confirmed, through the product's own confirmed publisher.
pub async fn publish_to_queue(connection: &lapin::Connection, queue: &str, body: &[u8]) {
    use sqlsynth::source::amqp;
    let channel = amqp::confirm_channel(connection).await.expect("a channel opens");
    let persistent = lapin::BasicProperties::default().with_delivery_mode(2);
    amqp::publish_confirmed(&channel, "", queue, body, persistent).await.expect("the broker confirms the message");
    let _ = channel.close(200, "ok".into()).await;
}
