//! Requests through a demo's load balancer while an action runs, and an action command timed by
//! its progress lines: what the zero-downtime tests measure.

use super::{opsdeck_bin, Demo};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the load saw: answers by version and by container hostname, and the failures.
#[derive(Debug, Default)]
pub struct Tally {
    pub sent: u64,
    pub failures: Vec<String>,
    /// version -> hostnames that answered for it.
    pub hosts: BTreeMap<String, BTreeSet<String>>,
}

/// Requests through the load balancer from four threads until stopped.
pub struct Load {
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    pub fn start(url: &str) -> Load {
        let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Tally::default())));
        let threads = (0..4)
            .map(|_| {
                let (stop, tally, url) = (stop.clone(), tally.clone(), url.to_string());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let answer = super::http_get(&url);
                        let mut t = tally.lock().expect("tally");
                        t.sent += 1;
                        if !(answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200")) {
                            t.failures.push(answer.lines().next().unwrap_or("no answer").to_string());
                            continue;
                        }
                        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
                        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
                        let field = |k: &str| v[k].as_str().unwrap_or("?").to_string();
                        t.hosts.entry(field("version")).or_default().insert(field("hostname"));
                    }
                })
            })
            .collect();
        Load { stop, tally, threads }
    }

    pub fn finish(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("load thread");
        }
        std::mem::take(&mut *self.tally.lock().expect("tally"))
    }
}

/// Runs an action command, timing its switch step from the progress lines; returns (success,
/// its stderr then its stdout, time from the command's start to the switch step done).
pub fn run_timed(demo: &Demo, args: &[&str]) -> (bool, String, Option<Duration>) {
    let mut child = Command::new(opsdeck_bin())
        .arg("--config")
        .arg(demo.config())
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn opsdeck");
    let stderr = child.stderr.take().expect("stderr");
    let mut stdout = child.stdout.take().expect("stdout");
    let started = Instant::now();
    let (mut text, mut began, mut switch, mut stage) = (String::new(), None, None, None);
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.contains("switch traffic") && line.ends_with("...") {
            began = Some(Instant::now());
        }
        if line.contains("switch traffic") && line.contains(" done") && began.is_some() {
            switch = Some(started.elapsed());
        }
        // A canary's first stage (its errors start there) to the end of its rollback.
        if line.contains(": canary: ") && line.ends_with("...") && stage.is_none() {
            stage = Some(Instant::now());
        }
        if let (Some(at), true) = (stage, line.starts_with("action #") && line.contains(" rolled back")) {
            eprintln!("traffic back on stable {} ms after the canary's first stage began", at.elapsed().as_millis());
        }
        text.push_str(&line);
        text.push('\n');
    }
    // What it prints on stdout (a JSON outcome) is small: read once stderr has ended.
    let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
    let status = child.wait().expect("wait");
    eprintln!("{}: {} ms in all", args.join(" "), started.elapsed().as_millis());
    (status.success(), text, switch)
}

/// Runs an action command while requests flow through `url`, from half a second before it to a
/// second after it (through the drain and the stop of the old slot); returns what
/// [`run_timed`] does and what the load saw.
pub fn under_load(demo: &Demo, url: &str, args: &[&str]) -> (bool, String, Option<Duration>, Tally) {
    let load = Load::start(url);
    // Real time for traffic to flow before the switch and after it.
    std::thread::sleep(Duration::from_millis(500));
    let (ok, out, switch) = run_timed(demo, args);
    std::thread::sleep(Duration::from_secs(1));
    (ok, out, switch, load.finish())
}

/// What a keep-alive load saw: answers by HTTP status (0: the connection failed or closed
/// without an answer), and the first few failures with when they happened.
#[derive(Debug, Default)]
pub struct KeepAliveTally {
    pub by_status: BTreeMap<u16, u64>,
    pub failures: Vec<String>,
}

impl KeepAliveTally {
    pub fn sent(&self) -> u64 {
        self.by_status.values().sum()
    }
    pub fn failed(&self) -> u64 {
        self.by_status.iter().filter(|(s, _)| !(200..300).contains(*s)).map(|(_, n)| n).sum()
    }
}

/// Requests through the load balancer as `wrk -c N` sends them: N persistent HTTP/1.1
/// connections, each sending its next request as soon as the answer is in, reconnecting only
/// when the load balancer closes. Until stopped.
pub struct KeepAlive {
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<KeepAliveTally>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl KeepAlive {
    pub fn start(url: &str, connections: usize) -> KeepAlive {
        let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
        let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(KeepAliveTally::default())));
        let started = Instant::now();
        let threads = (0..connections)
            .map(|_| {
                let (stop, tally, addr) = (stop.clone(), tally.clone(), addr.clone());
                std::thread::spawn(move || {
                    let mut conn: Option<BufReader<std::net::TcpStream>> = None;
                    while !stop.load(Ordering::Relaxed) {
                        let (status, close, what) = match one_request(&mut conn, &addr) {
                            Ok(answer) => answer,
                            Err(e) => (0, true, e),
                        };
                        if close {
                            conn = None;
                        }
                        let mut t = tally.lock().expect("tally");
                        *t.by_status.entry(status).or_default() += 1;
                        if !(200..300).contains(&status) && t.failures.len() < 20 {
                            let at = started.elapsed().as_millis();
                            t.failures.push(format!("{at} ms: {status} {what}"));
                        }
                    }
                })
            })
            .collect();
        KeepAlive { stop, tally, threads }
    }

    pub fn finish(self) -> KeepAliveTally {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("load thread");
        }
        std::mem::take(&mut *self.tally.lock().expect("tally"))
    }
}

/// One GET / on the connection (opened first when there is none): its status, whether the
/// connection is closed after it, and the body's first line when the status is not a 2xx.
fn one_request(conn: &mut Option<BufReader<std::net::TcpStream>>, addr: &str) -> Result<(u16, bool, String), String> {
    use std::io::{Read, Write};
    if conn.is_none() {
        let stream = std::net::TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = stream.set_nodelay(true);
        *conn = Some(BufReader::new(stream));
    }
    let reader = conn.as_mut().ok_or("no connection")?;
    write!(reader.get_mut(), "GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").map_err(|e| format!("write: {e}"))?;
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
    let status: u16 =
        line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(format!("no status: {line:?}"))?;
    let (mut length, mut close) = (0usize, false);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(|e| format!("read: {e}"))?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        close |= lower == "connection: close";
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(|e| format!("body: {e}"))?;
    let text = if (200..300).contains(&status) {
        String::new()
    } else {
        String::from_utf8_lossy(&body).split_whitespace().collect::<Vec<_>>().join(" ").chars().take(120).collect()
    };
    Ok((status, close, text))
}
