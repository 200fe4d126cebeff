//! What a webhook is sent: Slack's `{"text": ...}` or a flat JSON object, every string cleaned
//! of control characters and masked, so an outside reason cannot carry a secret out.

use super::Note;
use crate::config::NotifyFormat;
use crate::secrets::Secrets;
use serde_json::{json, Value};

/// The body for `note` in `format`.
pub fn of(format: NotifyFormat, note: &Note, secrets: &Secrets) -> Value {
    let safe = |s: &str| secrets.mask_owned(crate::text::clean(s).into_owned());
    match format {
        NotifyFormat::Slack => json!({ "text": safe(&slack_text(note)) }),
        NotifyFormat::Json => json!({
            "event": note.event.as_str(),
            "service": safe(&note.service),
            "env": safe(&note.env),
            "action_id": note.action_id,
            "user": safe(&note.user),
            "outcome": note.outcome.as_deref().map(safe),
            "reason": safe(&note.reason),
            "summary": safe(&note.summary),
            "time": note.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }),
    }
}

/// One line for a person: `[opsdeck] action_failed: rollback api prod ... by alice (#7): reason`.
fn slack_text(note: &Note) -> String {
    let mut text = format!("[opsdeck] {}: {} by {}", note.event.as_str(), note.summary, note.user);
    if let Some(id) = note.action_id {
        text.push_str(&format!(" (action #{id})"));
    }
    if let Some(outcome) = &note.outcome {
        text.push_str(&format!(", {outcome}"));
    }
    if !note.reason.is_empty() {
        text.push_str(&format!(": {}", note.reason));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NotifyEvent;

    fn note() -> Note {
        let mut n = Note::new(NotifyEvent::ActionFailed, "api", "prod", "alice", "promote api prod v1 -> v2".into());
        n.action_id = Some(7);
        n.outcome = Some("rolled_back".into());
        n.reason = "health: token hunter22 refused\x1b[2J".into();
        n
    }

    #[test]
    fn a_json_body_has_every_field_and_no_secret() {
        let body = of(NotifyFormat::Json, &note(), &Secrets::new(["hunter22"]));
        for key in ["event", "service", "env", "action_id", "user", "outcome", "reason", "time"] {
            assert!(body.get(key).is_some(), "no {key} in {body}");
        }
        assert_eq!(body["event"], "action_failed");
        assert_eq!(body["action_id"], 7);
        assert_eq!(body["reason"], format!("health: token {} refused[2J", crate::secrets::MASK));
    }

    #[test]
    fn a_slack_body_is_one_line_of_text() {
        let body = of(NotifyFormat::Slack, &note(), &Secrets::new(["hunter22"]));
        let text = body["text"].as_str().expect("text");
        assert!(text.starts_with("[opsdeck] action_failed: promote api prod v1 -> v2 by alice (action #7)"), "{text}");
        assert!(!text.contains("hunter22") && !text.contains('\x1b'), "{text}");
        assert_eq!(body.as_object().map(|o| o.len()), Some(1));
    }
}
