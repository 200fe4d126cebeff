//! The `/health` probe: one GET, judged against the design's health contract, always ending in a
//! [`HealthReport`] (never an error). Also the small HTTP plumbing the registry and Alertmanager
//! clients share: capped body reads, one-line reasons for reqwest failures, and one bounded
//! request/answer exchange.

use crate::error::{BackendError, BackendResult};
use crate::types::{HealthReport, HealthVerdict};
use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

const SYSTEM: &str = "health";

/// The largest `/health` body the contract allows.
pub const HEALTH_BODY_CAP: usize = 64 * 1024;

/// How much of an unexpected body goes into a reason line.
const EXCERPT_CHARS: usize = 120;

/// Probes services' `/health` endpoints. Cheap to clone; one connection pool for all probes.
#[derive(Debug, Clone)]
pub struct HealthProber {
    http: reqwest::Client,
    timeout: Duration,
}

/// Whether `url` names this machine (127.0.0.0/8, ::1, localhost).
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl HealthProber {
    /// A prober whose every probe (connect, headers and body together) ends within `timeout`.
    pub fn new(timeout: Duration) -> BackendResult<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is not the contract's 200: report it instead of following it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            // Probes go straight to each host's published port; a proxy from the environment
            // would probe something else (or nothing, for loopback).
            .no_proxy()
            .build()
            .map_err(|e| BackendError::Other { system: SYSTEM, reason: root_cause(&e) })?;
        Ok(HealthProber { http, timeout })
    }

    /// GETs `url` and judges the answer. Unreachable when nothing answered; Unhealthy, with the
    /// reason, for anything but a 200 carrying `{"status":"healthy", ...}` within 64 KiB.
    pub async fn probe(&self, url: &str) -> HealthReport {
        let started = Instant::now();
        let mut report = HealthReport {
            verdict: HealthVerdict::Unreachable,
            reason: String::new(),
            http_status: None,
            latency: Duration::ZERO,
            status_field: None,
            services: BTreeMap::new(),
            uptime_secs: None,
        };
        self.probe_into(url, started, &mut report).await;
        report.latency = started.elapsed();
        report
    }

    async fn probe_into(&self, url: &str, started: Instant, report: &mut HealthReport) {
        // One deadline for headers and body: a server that sends headers and then dribbles
        // the body must not hold the probe past the timeout.
        let deadline = started + self.timeout;
        let sent = tokio::time::timeout_at(deadline, self.http.get(url).send()).await;
        let mut response = match sent {
            Err(_) => {
                report.reason = format!("no answer within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) if e.is_timeout() => {
                report.reason = format!("no answer within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) if e.is_builder() => {
                report.reason = format!("invalid url {url}: {}", root_cause(&e));
                return;
            }
            Ok(Err(e)) => {
                report.reason = root_cause(&e);
                return;
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        report.http_status = Some(status.as_u16());
        // From here on something answered: whatever goes wrong is the service's fault.
        report.verdict = HealthVerdict::Unhealthy;
        let body = match tokio::time::timeout_at(deadline, read_capped(&mut response, HEALTH_BODY_CAP)).await {
            Err(_) => {
                report.reason = format!("body not complete within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) if e.is_timeout() => {
                report.reason = format!("body not complete within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) => {
                report.reason = format!("body cut short: {}", root_cause(&e));
                return;
            }
            Ok(Ok(body)) => body,
        };
        judge(status, &body, report);
    }
}

/// Applies the health contract to an answer that arrived in time.
fn judge(status: StatusCode, body: &Capped, report: &mut HealthReport) {
    report.verdict = HealthVerdict::Unhealthy;
    let json = match body {
        Capped::Complete(bytes) => serde_json::from_slice::<Value>(bytes).ok(),
        Capped::Over(_) => None,
    };
    // Fill what the body says before judging it, so an unhealthy report (a 503 included)
    // still shows the service's own words beside the reason.
    let services_ok = match &json {
        Some(Value::Object(fields)) => fill_fields(fields, report),
        _ => true,
    };
    if status != StatusCode::OK {
        let text = excerpt(body.bytes(), EXCERPT_CHARS);
        report.reason = if text.is_empty() {
            format!("HTTP {}", status.as_u16())
        } else {
            format!("HTTP {}: {text}", status.as_u16())
        };
        return;
    }
    let bytes = match body {
        Capped::Over(_) => {
            report.reason = format!("body over {} KiB", HEALTH_BODY_CAP / 1024);
            return;
        }
        Capped::Complete(bytes) => bytes,
    };
    let fields = match json {
        None => {
            report.reason = format!("body is not JSON: {}", excerpt(bytes, EXCERPT_CHARS));
            return;
        }
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            report.reason = format!("body is not a JSON object: {}", excerpt(bytes, EXCERPT_CHARS));
            return;
        }
    };
    match fields.get("status") {
        None => report.reason = "body has no status field".into(),
        Some(Value::String(s)) if s != "healthy" => {
            report.reason = format!("status: {}", excerpt(s.as_bytes(), EXCERPT_CHARS))
        }
        Some(Value::String(_)) if !services_ok => {
            // The contract says `services` is an object; anything else is a broken body.
            let shown = fields.get("services").map(Value::to_string).unwrap_or_default();
            report.reason = format!("services is not an object: {}", excerpt(shown.as_bytes(), EXCERPT_CHARS));
        }
        Some(Value::String(_)) => report.verdict = HealthVerdict::Healthy,
        Some(other) => {
            report.reason = format!("status is not a string: {}", excerpt(other.to_string().as_bytes(), EXCERPT_CHARS))
        }
    }
}

/// Copies `status`, `uptime` and `services` from a health body into the report. Returns false
/// when `services` is there but is not an object.
fn fill_fields(fields: &serde_json::Map<String, Value>, report: &mut HealthReport) -> bool {
    report.status_field = fields.get("status").and_then(Value::as_str).map(str::to_string);
    report.uptime_secs = fields.get("uptime").and_then(Value::as_u64);
    match fields.get("services") {
        None | Some(Value::Null) => true,
        Some(Value::Object(services)) => {
            report.services = services
                .iter()
                .map(|(name, value)| {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (name.clone(), text)
                })
                .collect();
            true
        }
        Some(_) => false,
    }
}

/// `2s`, `1.5s`, `300ms`, as the reasons print a timeout.
fn short_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

// ---- HTTP plumbing shared with the registry and Alertmanager clients ----

/// A body read up to a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Capped {
    /// The whole body, no longer than the cap.
    Complete(Bytes),
    /// The body went past the cap; this is its first `cap` bytes, the rest was never read.
    Over(Bytes),
}

impl Capped {
    pub(crate) fn bytes(&self) -> &Bytes {
        match self {
            Capped::Complete(b) | Capped::Over(b) => b,
        }
    }
}

/// Reads the body chunk by chunk and stops at `cap`, so a hostile or broken server cannot make
/// us hold more than `cap` bytes (the connection is dropped with the response).
pub(crate) async fn read_capped(response: &mut reqwest::Response, cap: usize) -> Result<Capped, reqwest::Error> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if buf.len() + chunk.len() > cap {
            let room = cap - buf.len();
            buf.extend_from_slice(&chunk[..room]);
            return Ok(Capped::Over(buf.freeze()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Capped::Complete(buf.freeze()))
}

/// The innermost cause of a reqwest failure, in words an operator reads: `connection refused`
/// rather than `error sending request for url (...)`.
pub(crate) fn root_cause(e: &reqwest::Error) -> String {
    let mut deepest: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    if let Some(io) = deepest.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind as K;
        let word = match io.kind() {
            K::ConnectionRefused => Some("connection refused"),
            K::ConnectionReset => Some("connection reset"),
            K::ConnectionAborted => Some("connection aborted"),
            K::TimedOut => Some("timed out"),
            K::UnexpectedEof => Some("connection closed early"),
            _ => None,
        };
        if let Some(word) = word {
            return word.to_string();
        }
    }
    deepest.to_string()
}

/// A reqwest failure as the [`BackendError`] of `system`.
pub(crate) fn http_error(system: &'static str, after: Duration, e: &reqwest::Error) -> BackendError {
    if e.is_timeout() {
        BackendError::Timeout { system, after }
    } else if e.is_connect() {
        BackendError::Connect { system, reason: root_cause(e) }
    } else {
        BackendError::Other { system, reason: root_cause(e) }
    }
}

/// One bytes-in-a-line view of a body: lossy UTF-8, whitespace runs folded to one space,
/// cut at `max_chars` with an ellipsis.
pub(crate) fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = folded.chars();
    let cut: String = chars.by_ref().take(max_chars).collect();
    if chars.next().is_some() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// What a JSON API said went wrong: the `message` of the OCI `errors` array or of an
/// Alertmanager error object when there is one, else the start of the body.
fn error_reason(body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        // Alertmanager answers some errors with a bare JSON string.
        if let Value::String(message) = &json {
            return excerpt(message.as_bytes(), EXCERPT_CHARS);
        }
        let first_oci = json.get("errors").and_then(|e| e.get(0));
        if let Some(err) = first_oci {
            let code = err.get("code").and_then(Value::as_str).unwrap_or("");
            let message = err.get("message").and_then(Value::as_str).unwrap_or("");
            let line = [code, message].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(": ");
            if !line.is_empty() {
                return excerpt(line.as_bytes(), EXCERPT_CHARS);
            }
        }
        if let Some(message) = json.get("message").or_else(|| json.get("error")).and_then(Value::as_str) {
            return excerpt(message.as_bytes(), EXCERPT_CHARS);
        }
    }
    excerpt(body, EXCERPT_CHARS)
}

/// A complete, successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends `request` and reads its whole answer, all within `timeout` (the per-request timeout of
/// the client covers the same ground; this one also names the system in the error). A non-2xx
/// answer becomes [`BackendError::Status`] with what the server said; a body over `cap` becomes
/// [`BackendError::Protocol`].
pub(crate) async fn exchange(
    system: &'static str,
    timeout: Duration,
    request: reqwest::RequestBuilder,
    cap: usize,
) -> BackendResult<Answer> {
    crate::error::with_timeout(system, timeout, async {
        let mut response = request.send().await.map_err(|e| http_error(system, timeout, &e))?;
        let status = response.status();
        let body = read_capped(&mut response, cap).await.map_err(|e| http_error(system, timeout, &e))?;
        if !status.is_success() {
            let mut reason = error_reason(body.bytes());
            if reason.is_empty() {
                // A HEAD, or a server that explains nothing: the status's own name.
                reason = status.canonical_reason().unwrap_or("no reason given").to_string();
            }
            return Err(BackendError::Status { system, status: status.as_u16(), reason });
        }
        match body {
            Capped::Over(_) => {
                Err(BackendError::Protocol { system, reason: format!("answer over {}", size_words(cap)) })
            }
            Capped::Complete(body) => Ok(Answer { headers: response.headers().clone(), body }),
        }
    })
    .await
}

/// `4 MiB`, `64 KiB`: a cap as the error line says it.
pub(crate) fn size_words(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Parses a JSON body, turning garbage into [`BackendError::Protocol`] with where it broke.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(system: &'static str, body: &[u8]) -> BackendResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| BackendError::Protocol { system, reason: format!("{e} in {}", excerpt(body, 60)) })
}

/// A throwaway HTTP/1.1 server on 127.0.0.1 for the faults real components do not produce:
/// hangs, dribbled bodies, huge bodies, garbage. One request per connection.
#[cfg(test)]
pub(crate) mod mock {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// A request as the mock saw it.
    #[derive(Debug, Clone)]
    pub(crate) struct Request {
        pub(crate) method: String,
        /// Path and query, as sent.
        pub(crate) target: String,
        pub(crate) headers: Vec<(String, String)>,
        pub(crate) body: Vec<u8>,
    }

    impl Request {
        pub(crate) fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        }
    }

    /// How the mock answers one request.
    pub(crate) enum Reply {
        Full {
            status: u16,
            headers: Vec<(String, String)>,
            body: Vec<u8>,
        },
        /// Read the request and never answer.
        Hang,
        /// Headers at once (no Content-Length), then `piece` every `every`, forever.
        Dribble {
            status: u16,
            piece: Vec<u8>,
            every: Duration,
        },
        /// Headers at once, then `len` bytes of `x` as fast as the client takes them.
        Huge {
            status: u16,
            len: usize,
            declare_length: bool,
        },
    }

    impl Reply {
        pub(crate) fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
            Reply::Full { status, headers: Vec::new(), body: body.into() }
        }
        pub(crate) fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
            Reply::new(status, body).header("Content-Type", "application/json")
        }
        pub(crate) fn header(mut self, name: &str, value: &str) -> Reply {
            if let Reply::Full { headers, .. } = &mut self {
                headers.push((name.to_string(), value.to_string()));
            }
            self
        }
    }

    type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

    /// A running mock; stops when dropped.
    pub(crate) struct MockServer {
        pub(crate) url: String,
        pub(crate) requests: Arc<Mutex<Vec<Request>>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl MockServer {
        pub(crate) fn requests(&self) -> Vec<Request> {
            self.requests.lock().map(|r| r.clone()).unwrap_or_default()
        }
    }

    impl Drop for MockServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    pub(crate) async fn serve(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ = answer(stream, handler, seen).await;
                });
            }
        });
        MockServer { url, requests, task }
    }

    async fn answer(
        mut stream: TcpStream,
        handler: Arc<Handler>,
        seen: Arc<Mutex<Vec<Request>>>,
    ) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_string();
        let target = first.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = buf[head_end..].to_vec();
        while body.len() < length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        let request = Request { method, target, headers, body };
        let reply = handler(&request);
        if let Ok(mut seen) = seen.lock() {
            seen.push(request.clone());
        }
        match reply {
            Reply::Full { status, headers, body } => {
                let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                stream.write_all(out.as_bytes()).await?;
                if request.method != "HEAD" {
                    stream.write_all(&body).await?;
                }
            }
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Reply::Dribble { status, piece, every } => {
                stream.write_all(format!("HTTP/1.1 {status} X\r\nConnection: close\r\n\r\n").as_bytes()).await?;
                loop {
                    stream.write_all(&piece).await?;
                    tokio::time::sleep(every).await;
                }
            }
            Reply::Huge { status, len, declare_length } => {
                let length = if declare_length { format!("Content-Length: {len}\r\n") } else { String::new() };
                stream
                    .write_all(format!("HTTP/1.1 {status} X\r\nConnection: close\r\n{length}\r\n").as_bytes())
                    .await?;
                let block = vec![b'x'; 64 * 1024];
                let mut left = len;
                while left > 0 {
                    let n = left.min(block.len());
                    stream.write_all(&block[..n]).await?;
                    left -= n;
                }
            }
        }
        stream.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::mock::{serve, Reply};
    use super::*;
    use std::time::Instant as StdInstant;

    const HEALTHY: &str = r#"{"status":"healthy","uptime":3600,"timestamp":"2024-05-01T10:00:00Z","services":{"database":"connected","redis":"connected"}}"#;

    fn prober(ms: u64) -> HealthProber {
        HealthProber::new(Duration::from_millis(ms)).expect("client")
    }

    async fn probe_reply(reply: impl Fn() -> Reply + Send + Sync + 'static, timeout_ms: u64) -> HealthReport {
        let server = serve(move |_| reply()).await;
        prober(timeout_ms).probe(&format!("{}/health", server.url)).await
    }

    #[tokio::test]
    async fn healthy_body_fills_every_field() {
        let report = probe_reply(|| Reply::json(200, HEALTHY), 2000).await;
        assert_eq!(report.verdict, HealthVerdict::Healthy, "{report:?}");
        assert_eq!(report.reason, "");
        assert_eq!(report.http_status, Some(200));
        assert_eq!(report.status_field.as_deref(), Some("healthy"));
        assert_eq!(report.uptime_secs, Some(3600));
        assert_eq!(report.services.get("database").map(String::as_str), Some("connected"));
        assert_eq!(report.services.len(), 2);
        assert!(report.latency > Duration::ZERO);
    }

    #[tokio::test]
    async fn degraded_status_is_unhealthy_and_keeps_services() {
        let body =
            r#"{"status":"degraded","uptime":-5,"services":{"database":"down","queue":{"depth":12},"workers":3}}"#;
        let report = probe_reply(move || Reply::json(200, body), 2000).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy);
        assert_eq!(report.reason, "status: degraded");
        assert_eq!(report.status_field.as_deref(), Some("degraded"));
        assert_eq!(report.uptime_secs, None, "negative uptime is not an uptime");
        assert_eq!(report.services.get("queue").map(String::as_str), Some(r#"{"depth":12}"#));
        assert_eq!(report.services.get("workers").map(String::as_str), Some("3"));
    }

    #[tokio::test]
    async fn http_503_shows_status_and_body_excerpt() {
        let long = format!("maintenance\n\n   window {}", "z".repeat(300));
        let report = probe_reply(move || Reply::new(503, long.clone()), 2000).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy);
        assert_eq!(report.http_status, Some(503));
        assert!(report.reason.starts_with("HTTP 503: maintenance window zzz"), "{}", report.reason);
        assert_eq!(report.reason.chars().count(), "HTTP 503: ".len() + EXCERPT_CHARS + 1);
    }

    #[tokio::test]
    async fn http_503_with_a_health_body_keeps_its_fields() {
        let body = r#"{"status":"unhealthy","uptime":7,"services":{"database":"disconnected"}}"#;
        let report = probe_reply(move || Reply::json(503, body), 2000).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy);
        assert!(report.reason.starts_with("HTTP 503: {"), "{}", report.reason);
        assert_eq!(report.status_field.as_deref(), Some("unhealthy"));
        assert_eq!(report.uptime_secs, Some(7));
        assert_eq!(report.services.get("database").map(String::as_str), Some("disconnected"));
    }

    #[tokio::test]
    async fn redirect_is_not_followed() {
        let report = probe_reply(|| Reply::new(302, "").header("Location", "http://192.0.2.1/health"), 2000).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy);
        assert_eq!(report.reason, "HTTP 302");
    }

    #[tokio::test]
    async fn non_json_body_is_unhealthy_with_excerpt() {
        let report = probe_reply(|| Reply::new(200, "<html>OK</html>"), 2000).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy);
        assert_eq!(report.reason, "body is not JSON: <html>OK</html>");
    }

    #[tokio::test]
    async fn wrong_types_are_unhealthy_with_reason() {
        let cases = [
            (r#"{"status":5}"#, "status is not a string: 5"),
            (r#"{"uptime":1}"#, "body has no status field"),
            (r#"{"status":"healthy","services":[]}"#, "services is not an object: []"),
            (r#"["healthy"]"#, r#"body is not a JSON object: ["healthy"]"#),
        ];
        for (body, reason) in cases {
            let report = probe_reply(move || Reply::json(200, body), 2000).await;
            assert_eq!(report.verdict, HealthVerdict::Unhealthy, "{body}");
            assert_eq!(report.reason, reason, "{body}");
        }
    }

    #[tokio::test]
    async fn fifty_megabyte_body_stops_at_the_cap_quickly() {
        for declare_length in [false, true] {
            let started = StdInstant::now();
            let report = probe_reply(move || Reply::Huge { status: 200, len: 50 << 20, declare_length }, 10_000).await;
            assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
            assert_eq!(report.verdict, HealthVerdict::Unhealthy);
            assert_eq!(report.reason, "body over 64 KiB");
        }
    }

    #[tokio::test]
    async fn slow_headers_time_out_as_unreachable() {
        let started = StdInstant::now();
        let report = probe_reply(|| Reply::Hang, 300).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(report.verdict, HealthVerdict::Unreachable);
        assert_eq!(report.reason, "no answer within 300ms");
        assert_eq!(report.http_status, None);
    }

    #[tokio::test]
    async fn dribbled_body_times_out() {
        let started = StdInstant::now();
        let report =
            probe_reply(|| Reply::Dribble { status: 200, piece: b" ".to_vec(), every: Duration::from_millis(50) }, 400)
                .await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(400) && took < Duration::from_secs(2), "took {took:?}");
        assert_eq!(report.verdict, HealthVerdict::Unhealthy);
        assert_eq!(report.reason, "body not complete within 400ms");
        assert_eq!(report.http_status, Some(200));
    }

    #[tokio::test]
    async fn refused_connection_is_unreachable() {
        // Bind then drop: the port is very likely closed for the next few milliseconds.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let report = prober(2000).probe(&format!("http://127.0.0.1:{port}/health")).await;
        assert_eq!(report.verdict, HealthVerdict::Unreachable);
        assert_eq!(report.reason, "connection refused");
    }

    #[tokio::test]
    async fn invalid_url_is_unreachable_with_reason() {
        let report = prober(2000).probe("127.0.0.1:8080/health").await;
        assert_eq!(report.verdict, HealthVerdict::Unreachable);
        assert!(report.reason.starts_with("invalid url"), "{}", report.reason);
    }

    #[test]
    fn excerpt_folds_whitespace_and_cuts() {
        assert_eq!(excerpt(b"  a\n\tb  c ", 10), "a b c");
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
        assert_eq!(excerpt(&[0xff, b'a'], 10), "\u{fffd}a");
    }

    #[test]
    fn error_reason_reads_oci_and_alertmanager_errors() {
        let oci = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(error_reason(oci), "MANIFEST_UNKNOWN: manifest unknown");
        assert_eq!(
            error_reason(br#"{"code":602,"message":"endsAt in body is required"}"#),
            "endsAt in body is required"
        );
        assert_eq!(error_reason(b"silence not found\n"), "silence not found");
        assert_eq!(error_reason(b"\"silence not found\"\n"), "silence not found");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_words(4 << 20), "4 MiB");
        assert_eq!(size_words(64 << 10), "64 KiB");
        assert_eq!(size_words(1000), "1000 bytes");
    }
}
