//! The cause of issue 14's point 7, pinned down: a service whose stderr is a pipe nobody reads
//! for a moment (Docker's log pipe while the daemon starts or stops another container) must keep
//! answering. Before the access log had a thread of its own, each request thread blocked on its
//! log line after answering, its connection still counted as open, and past 512 of them every new
//! connection was answered `503 too many connections`: the burst of 5xx seen through HAProxy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// More requests than a pipe's 64 KiB holds log lines (about a thousand), plus the 512 open
/// connections the service allows.
const REQUESTS: usize = 3000;

/// One request on a connection of its own, as HAProxy sends them to a service that closes: the
/// status, or why there was none. The answer ends at its `Content-Length`, as for HAProxy, not at
/// the close.
fn get(port: u16, path: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(|e| format!("read: {e}"))?;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(|e| format!("read: {e}"))?;
        if header.trim_end().is_empty() {
            break;
        }
        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().map_err(|_| format!("bad length in {header:?}"))?;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(|e| format!("body: {e}"))?;
    status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(format!("no status in {status_line:?}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[test]
fn a_stderr_nobody_reads_never_turns_answers_into_503s() {
    let port = free_port();
    // stderr piped and never read: it fills after about a thousand log lines and stays full.
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo-service"))
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start demo-service");
    let started = Instant::now();
    while get(port, "/health") != Ok(200) {
        assert!(started.elapsed() < Duration::from_secs(10), "demo-service did not answer /health");
        // Real time for the process to start listening.
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut by_status = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..REQUESTS {
        let status = match get(port, "/") {
            Ok(s) => s.to_string(),
            Err(e) => e,
        };
        *by_status.entry(status).or_default() += 1;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(by_status.get("200"), Some(&REQUESTS), "every request answered 200: {by_status:?}");
}
