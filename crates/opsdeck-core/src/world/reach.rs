//! Whether an outside system answered the last time we asked, and since when.

use chrono::{DateTime, Utc};

/// The reachability of one host, registry, HAProxy or Alertmanager.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reach {
    /// Not asked yet.
    #[default]
    Pending,
    /// Answered at `at`.
    Up { at: DateTime<Utc> },
    /// Failed with `reason`, continuously since `since`.
    Down { reason: String, since: DateTime<Utc> },
}

impl Reach {
    /// The next state after a failure at `now`: keeps the first failure's time, so the screen says
    /// for how long something has been down, not when it was last tried.
    pub fn failed(&self, reason: String, now: DateTime<Utc>) -> Reach {
        let since = match self {
            Reach::Down { since, .. } => *since,
            _ => now,
        };
        Reach::Down { reason, since }
    }

    pub fn is_down(&self) -> bool {
        matches!(self, Reach::Down { .. })
    }

    pub fn down_reason(&self) -> Option<&str> {
        match self {
            Reach::Down { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// `5s`, `3m`, `2h`, `4d`: an age as an operator glances at it.
pub fn short_age(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - from).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_failure_keeps_its_first_time() {
        let t0 = Utc.timestamp_opt(1_000, 0).single().expect("time");
        let t1 = Utc.timestamp_opt(1_030, 0).single().expect("time");
        let r = Reach::Up { at: t0 }.failed("refused".into(), t0);
        let r = r.failed("timed out".into(), t1);
        assert_eq!(r, Reach::Down { reason: "timed out".into(), since: t0 });
        assert_eq!(short_age(t0, t1), "30s");
    }
}
