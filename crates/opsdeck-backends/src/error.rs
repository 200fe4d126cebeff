//! The one error type every backend returns: which system failed, and why, in a line a person can read.

use std::time::Duration;

/// A failed call to an outside system. The `Display` text is what the UI shows beside the
/// unreachable host, registry, HAProxy or Alertmanager.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BackendError {
    /// The call did not answer within its deadline.
    #[error("{system}: no answer within {}", humantime_short(*.after))]
    Timeout { system: &'static str, after: Duration },
    /// The connection could not be made (refused, no route, no such socket).
    #[error("{system}: cannot connect: {reason}")]
    Connect { system: &'static str, reason: String },
    /// The system answered, but with an error status.
    #[error("{system}: {status}: {reason}")]
    Status { system: &'static str, status: u16, reason: String },
    /// The system answered something we could not understand.
    #[error("{system}: bad answer: {reason}")]
    Protocol { system: &'static str, reason: String },
    /// Anything else, with the underlying error's text.
    #[error("{system}: {reason}")]
    Other { system: &'static str, reason: String },
}

impl BackendError {
    /// The system this error is about (`docker`, `registry`, `haproxy`, `alertmanager`, `health`).
    pub fn system(&self) -> &'static str {
        match self {
            BackendError::Timeout { system, .. }
            | BackendError::Connect { system, .. }
            | BackendError::Status { system, .. }
            | BackendError::Protocol { system, .. }
            | BackendError::Other { system, .. } => system,
        }
    }
}

/// Results of backend calls.
pub type BackendResult<T> = Result<T, BackendError>;

/// `1.5s`, `300ms`: durations as an operator reads them in an error line.
fn humantime_short(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Runs `fut` with a deadline, turning an elapsed deadline into [`BackendError::Timeout`].
pub async fn with_timeout<T>(
    system: &'static str,
    after: Duration,
    fut: impl std::future::Future<Output = BackendResult<T>>,
) -> BackendResult<T> {
    match tokio::time::timeout(after, fut).await {
        Ok(result) => result,
        Err(_) => Err(BackendError::Timeout { system, after }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_reads_as_a_sentence() {
        let e = BackendError::Timeout { system: "docker", after: Duration::from_millis(1500) };
        assert_eq!(e.to_string(), "docker: no answer within 1.5s");
        let e = BackendError::Timeout { system: "registry", after: Duration::from_secs(3) };
        assert_eq!(e.to_string(), "registry: no answer within 3s");
    }
}
