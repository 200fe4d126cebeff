//! An `http` step: one GET, bounded in time and in how much of the body is read; the status and
//! the start of the body (cleaned, secrets masked) are the step's output. 2xx succeeds.

use super::{LineSink, StepContext, StepOutcome, StepReport};
use std::time::{Duration, Instant};

/// How much of the body is read and shown.
pub const BODY_EXCERPT_BYTES: usize = 4096;
/// How many lines of it.
pub const BODY_EXCERPT_LINES: usize = 20;

pub async fn run(ctx: &StepContext, url: &str, timeout: Duration) -> StepReport {
    let started = Instant::now();
    let mut sink = LineSink::new(ctx);
    let result = tokio::select! {
        r = tokio::time::timeout(timeout, get(url, timeout)) => r.unwrap_or_else(|_| Err(format!("no answer within {}", humantime::format_duration(timeout)))),
        _ = ctx.cancel.cancelled() => Err("cancelled".into()),
    };
    let (outcome, summary) = match result {
        Ok((status, body)) => {
            sink.line(&format!("GET {url}: HTTP {status}"));
            let text = String::from_utf8_lossy(&body);
            for line in text.lines().take(BODY_EXCERPT_LINES) {
                sink.line(line);
            }
            let more = text.lines().count() > BODY_EXCERPT_LINES || body.len() >= BODY_EXCERPT_BYTES;
            if more {
                sink.line("… (body cut)");
            }
            let outcome = if status.is_success() { StepOutcome::Succeeded } else { StepOutcome::Failed };
            (outcome, format!("HTTP {status}"))
        }
        Err(e) if e == "cancelled" => (StepOutcome::Cancelled, e),
        Err(e) => {
            sink.line(&format!("GET {url}: {e}"));
            let outcome = if e.starts_with("no answer") { StepOutcome::TimedOut } else { StepOutcome::Failed };
            (outcome, e)
        }
    };
    StepReport { outcome, exit_code: None, duration: started.elapsed(), summary, output: sink.tail }
}

async fn get(url: &str, timeout: Duration) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    let fail = |e: reqwest::Error| {
        if e.is_timeout() {
            format!("no answer within {}", humantime::format_duration(timeout))
        } else {
            error_line(&e)
        }
    };
    let mut response = client.get(url).send().await.map_err(fail)?;
    let status = response.status();
    let mut body = Vec::new();
    while body.len() < BODY_EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => return Err(fail(e)),
        }
    }
    body.truncate(BODY_EXCERPT_BYTES);
    Ok((status, body))
}

/// reqwest's error with its causes, on one line.
fn error_line(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn ctx() -> StepContext {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        StepContext {
            config: crate::testing::gen_config(),
            user: "ann".into(),
            runbook: "rb".into(),
            step: 0,
            labels: BTreeMap::new(),
            secrets: std::sync::Arc::new(crate::secrets::Secrets::new(["hunter2"])),
            cancel: tokio_util::sync::CancellationToken::new(),
            lines: tx,
        }
    }

    /// A one-shot server for statuses and bodies a real service would not produce on demand.
    async fn serve_once(response: &'static str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(response.as_bytes()).await;
            }
        });
        format!("http://{addr}/health")
    }

    #[tokio::test]
    async fn status_and_a_cleaned_masked_excerpt() {
        let url = serve_once("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 30\r\nConnection: close\r\n\r\n\x1b[31mdown\x1b[0m\npassword hunter2\n").await;
        let report = run(&ctx(), &url, Duration::from_secs(5)).await;
        assert_eq!(report.outcome, StepOutcome::Failed);
        assert_eq!(report.summary, "HTTP 503 Service Unavailable");
        let lines: Vec<&str> = report.output.lines.iter().map(String::as_str).collect();
        assert_eq!(
            lines,
            [format!("GET {url}: HTTP 503 Service Unavailable").as_str(), "[31mdown[0m", "password ••••"]
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let report = run(&ctx(), &url, Duration::from_millis(300)).await;
        assert_eq!(report.outcome, StepOutcome::TimedOut, "{report:?}");
        drop(listener);
    }
}
