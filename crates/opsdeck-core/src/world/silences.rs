//! Alertmanager's silences as last polled (beside the alerts), in the order the list shows them.

use super::Reach;
use crate::text::{cleaned, Sanitize};
use opsdeck_backends::types::{Matcher, Silence};

/// Alertmanager's silences, as last polled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SilencesState {
    pub reach: Reach,
    pub silences: Vec<Silence>,
}

impl SilencesState {
    /// The list `S` shows: active first (ending soonest first), then pending, then expired
    /// (the most recently ended first), at most `recent` expired ones.
    pub fn rows(&self, recent: usize) -> Vec<&Silence> {
        let rank = |s: &Silence| match s.state.as_str() {
            "active" => 0,
            "pending" => 1,
            _ => 2,
        };
        let mut rows: Vec<&Silence> = self.silences.iter().collect();
        rows.sort_by(|a, b| {
            rank(a).cmp(&rank(b)).then_with(|| match rank(a) {
                2 => b.ends_at.cmp(&a.ends_at),
                _ => a.ends_at.cmp(&b.ends_at),
            })
        });
        let live = rows.iter().filter(|s| rank(s) < 2).count();
        rows.truncate(live + recent);
        rows
    }
}

/// `name=value`, `name!=value`, `name=~re`, `name!~re`.
pub fn matcher_text(m: &Matcher) -> String {
    let op = match (m.is_equal, m.is_regex) {
        (true, false) => "=",
        (false, false) => "!=",
        (true, true) => "=~",
        (false, true) => "!~",
    };
    format!("{}{op}{}", m.name, m.value)
}

impl Sanitize for Silence {
    fn sanitized(self) -> Self {
        Silence {
            id: cleaned(&self.id),
            matchers: self
                .matchers
                .into_iter()
                .map(|m| Matcher { name: cleaned(&m.name), value: cleaned(&m.value), ..m })
                .collect(),
            created_by: cleaned(&self.created_by),
            comment: cleaned(&self.comment),
            state: cleaned(&self.state),
            ..self
        }
    }
}
