//! The last lines of a build, push or pull, kept to explain a failure.

use crate::error::BackendError;

/// The last lines of a build/push/pull output, to explain a failure.
#[derive(Default)]
pub(super) struct OutputTail(Vec<String>);

impl OutputTail {
    const KEEP: usize = 5;

    pub(super) fn push(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        if self.0.len() == Self::KEEP {
            self.0.remove(0);
        }
        self.0.push(line.to_string());
    }
}

pub(super) fn with_tail(e: BackendError, what: &str, tail: &OutputTail) -> BackendError {
    let context = if tail.0.is_empty() { String::new() } else { format!(" (after: {})", tail.0.join(" | ")) };
    match e {
        BackendError::Other { system, reason } => {
            BackendError::Other { system, reason: format!("{what}: {reason}{context}") }
        }
        BackendError::Status { system, status, reason } => {
            BackendError::Status { system, status, reason: format!("{what}: {reason}{context}") }
        }
        other => other,
    }
}
