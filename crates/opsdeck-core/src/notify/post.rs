//! One webhook POST, bounded and retried: a slow or failing receiver costs the sending task a
//! few seconds at most, and nobody else anything. Errors never carry the URL (it may hold a token).

use std::time::Duration;

/// The longest one attempt may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts in all (the first and its retries).
pub const ATTEMPTS: u32 = 3;
/// The wait before the first retry; doubled before each next one.
pub const BACKOFF: Duration = Duration::from_millis(500);

/// POSTs `body` as JSON to `url` until a 2xx answer, at most [`ATTEMPTS`] times, each within
/// [`TIMEOUT`]. Ok: how many attempts it took. Err: why the last one failed. A 4xx answer other
/// than 408 and 429 is not retried: asking again would get the same answer.
pub async fn with_retries(url: &str, body: &serde_json::Value) -> Result<u32, String> {
    with_retries_bounded(url, body, TIMEOUT, BACKOFF).await
}

/// [`with_retries`] with its bounds given (tests use short ones).
pub async fn with_retries_bounded(
    url: &str,
    body: &serde_json::Value,
    timeout: Duration,
    backoff: Duration,
) -> Result<u32, String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| format!("no HTTP client: {}", e.without_url()))?;
    let mut wait = backoff;
    let mut last = String::new();
    let mut tried = 0;
    for attempt in 1..=ATTEMPTS {
        tried = attempt;
        // reqwest's own timeout bounds the request; this one bounds everything around it too.
        let sent = tokio::time::timeout(timeout, client.post(url).json(body).send()).await;
        let retry = match sent {
            Err(_) => {
                last = format!("no answer within {}", humantime::format_duration(timeout));
                true
            }
            Ok(Err(e)) if e.is_timeout() => {
                last = format!("no answer within {}", humantime::format_duration(timeout));
                true
            }
            Ok(Err(e)) => {
                last = e.without_url().to_string();
                true
            }
            Ok(Ok(answer)) if answer.status().is_success() => return Ok(attempt),
            Ok(Ok(answer)) => {
                let status = answer.status();
                last = format!("HTTP {status}");
                status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429
            }
        };
        if !retry || attempt == ATTEMPTS {
            break;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
    Err(format!("{last} (attempt {tried} of {ATTEMPTS})"))
}
