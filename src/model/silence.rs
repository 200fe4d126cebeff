//! Silences as the console holds them: what Alertmanager last said (polled beside the alerts),
//! the form `s` opens on an alert (matchers from its labels, duration, a required comment), and
//! the list `S` opens with its expiry confirmation.

use opsdeck_backends::types::Matcher;
use std::time::Duration;

pub use opsdeck_core::world::silences::{matcher_text, SilencesState};

/// The form's duration when nothing else is typed.
pub const DEFAULT_DURATION: &str = "1h";
/// The longest silence the form sets (the same bound as a runbook's).
pub const MAX_DURATION: Duration = opsdeck_core::actions::silences::MAX_SILENCE;
/// Longest comment and duration text that can be typed.
pub const MAX_COMMENT: usize = 200;
pub const MAX_DURATION_TEXT: usize = 24;

/// Which part of the form keys go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormField {
    /// ↑/↓ pick a label, Space keeps or drops it.
    #[default]
    Matchers,
    Duration,
    Comment,
}

impl FormField {
    pub fn next(self) -> FormField {
        match self {
            FormField::Matchers => FormField::Duration,
            FormField::Duration => FormField::Comment,
            FormField::Comment => FormField::Matchers,
        }
    }
    pub fn prev(self) -> FormField {
        self.next().next()
    }
}

/// One of the alert's labels, offered as an equality matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelChoice {
    pub name: String,
    pub value: String,
    pub keep: bool,
}

/// The silence `s` is drafting.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceForm {
    /// The alert it was opened on (its `alertname`).
    pub alert: String,
    /// Every label of the alert, `alertname` first and always kept.
    pub labels: Vec<LabelChoice>,
    pub label_row: usize,
    pub duration: String,
    pub comment: String,
    pub field: FormField,
    /// Why Enter did not create it (shown in the form).
    pub error: Option<String>,
}

impl SilenceForm {
    /// A form for an alert with `labels`: every label kept, the default duration, no comment.
    pub fn for_alert(alert: &str, labels: &std::collections::BTreeMap<String, String>) -> SilenceForm {
        let mut choices: Vec<LabelChoice> =
            labels.iter().map(|(k, v)| LabelChoice { name: k.clone(), value: v.clone(), keep: true }).collect();
        choices.sort_by_key(|c| c.name != "alertname");
        SilenceForm {
            alert: alert.to_string(),
            labels: choices,
            label_row: 0,
            duration: DEFAULT_DURATION.into(),
            comment: String::new(),
            field: FormField::Matchers,
            error: None,
        }
    }

    /// The kept labels as equality matchers.
    pub fn matchers(&self) -> Vec<Matcher> {
        self.labels
            .iter()
            .filter(|l| l.keep)
            .map(|l| Matcher { name: l.name.clone(), value: l.value.clone(), is_regex: false, is_equal: true })
            .collect()
    }

    /// The duration typed, checked: humantime (`90m`, `2h`, `1d`), above zero, at most
    /// [`MAX_DURATION`].
    pub fn parsed_duration(&self) -> Result<Duration, String> {
        let text = self.duration.trim();
        let d = humantime::parse_duration(text).map_err(|e| format!("duration {text:?}: {e} (e.g. 30m, 2h, 1d)"))?;
        if d.is_zero() {
            return Err("duration must be more than zero".into());
        }
        if d > MAX_DURATION {
            return Err(format!("duration {text} is longer than {}", humantime::format_duration(MAX_DURATION)));
        }
        Ok(d)
    }

    /// Everything Enter needs, or the first thing missing.
    pub fn validate(&self) -> Result<(Vec<Matcher>, Duration, String), String> {
        let matchers = self.matchers();
        if !matchers.iter().any(|m| m.name == "alertname") {
            return Err("the alertname matcher is required".into());
        }
        let duration = self.parsed_duration()?;
        let comment = self.comment.trim();
        if comment.is_empty() {
            return Err("a comment is required: say why (the next on-call reads it)".into());
        }
        Ok((matchers, duration, comment.to_string()))
    }
}

/// The `S` list: open or not, its selection, and the expiry it is asking to confirm.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SilencesView {
    pub row: usize,
    /// The silence `x` asked to expire (its id): y or Enter expires it, anything else keeps it.
    pub confirm_expire: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsdeck_backends::types::Silence;
    use opsdeck_core::world::Reach;
    use std::collections::BTreeMap;

    fn silence(id: &str, state: &str, ends_in_min: i64) -> Silence {
        let now = crate::test_support::gen_now();
        Silence {
            id: id.into(),
            matchers: Vec::new(),
            starts_at: now,
            ends_at: now + chrono::Duration::minutes(ends_in_min),
            created_by: "alice".into(),
            comment: "c".into(),
            state: state.into(),
        }
    }

    #[test]
    fn the_list_puts_active_first_then_pending_then_recent_expired() {
        let state = SilencesState {
            reach: Reach::default(),
            silences: vec![
                silence("old", "expired", -120),
                silence("b", "active", 60),
                silence("p", "pending", 90),
                silence("new", "expired", -5),
                silence("a", "active", 10),
            ],
        };
        let ids: Vec<&str> = state.rows(1).iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "p", "new"]);
    }

    #[test]
    fn matchers_read_as_alertmanager_writes_them() {
        let m = |eq, re| Matcher { name: "env".into(), value: "prod".into(), is_regex: re, is_equal: eq };
        let texts: Vec<String> =
            [m(true, false), m(false, false), m(true, true), m(false, true)].iter().map(matcher_text).collect();
        assert_eq!(texts, ["env=prod", "env!=prod", "env=~prod", "env!~prod"]);
    }

    #[test]
    fn the_form_starts_with_alertname_first_and_every_label_kept() {
        let labels: BTreeMap<String, String> = [("env", "prod"), ("alertname", "HighErrorRate"), ("service", "api")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let form = SilenceForm::for_alert("HighErrorRate", &labels);
        assert_eq!(form.labels[0].name, "alertname");
        assert_eq!(form.matchers().len(), 3);
        assert_eq!(form.duration, "1h");
    }
}
