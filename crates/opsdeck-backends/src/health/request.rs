//! One bounded request/answer exchange for the JSON clients (registry, Alertmanager): reqwest
//! failures and error bodies in an operator's words, capped answers, JSON parsing.

use super::body::{excerpt, read_capped, size_words, Capped};
use super::EXCERPT_CHARS;
use crate::error::{BackendError, BackendResult};
use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

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

/// Parses a JSON body, turning garbage into [`BackendError::Protocol`] with where it broke.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(system: &'static str, body: &[u8]) -> BackendResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| BackendError::Protocol { system, reason: format!("{e} in {}", excerpt(body, 60)) })
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
