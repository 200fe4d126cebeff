//! Approval requests and the audit trail as the store last gave them (so every user's requests
//! and decisions show), with the orders the panes and commands list them in.

use crate::store::{AuditRecord, Request, RequestId, RequestState};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// How many decided requests the Approvals pane keeps (every pending one is kept).
pub const KEEP_DECIDED: usize = 50;

/// How many of the audit trail's last records the Audit view holds.
pub const AUDIT_TAIL: usize = 500;

/// What the store last said about requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApprovalsState {
    /// Newest first, as the store lists them.
    pub requests: Vec<Request>,
    /// Why they could not be read, if they could not.
    pub error: Option<String>,
    /// False until the first read answered.
    pub loaded: bool,
}

impl ApprovalsState {
    /// The request with this id, if the console holds it.
    pub fn get(&self, id: RequestId) -> Option<&Request> {
        self.requests.iter().find(|r| r.id == id)
    }
}

/// One audit record as the Audit view lists it: the chain's fields, cleaned, and its detail in a
/// few words.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub user: String,
    pub kind: String,
    pub subject: String,
    pub outcome: String,
    pub detail: String,
}

impl AuditRow {
    /// The row for a record that has already been cleaned ([`crate::text::Sanitize`]).
    pub fn of(record: &AuditRecord) -> AuditRow {
        let e = &record.entry;
        AuditRow {
            seq: record.seq,
            at: e.at,
            user: e.user.clone(),
            kind: e.kind.clone(),
            subject: e.subject.clone(),
            outcome: e.outcome.clone(),
            detail: crate::text::cleaned(&summary(&e.kind, &e.detail)),
        }
    }

    /// Whether `needle` (already lowercase) is in the user, kind, subject, outcome or detail.
    pub fn matches(&self, needle: &str) -> bool {
        [&self.user, &self.kind, &self.subject, &self.outcome, &self.detail]
            .iter()
            .any(|field| field.to_lowercase().contains(needle))
    }
}

/// What the store last said about the audit trail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditState {
    /// The last [`AUDIT_TAIL`] records, newest first.
    pub rows: Vec<AuditRow>,
    /// Why the trail could not be read, if it could not.
    pub error: Option<String>,
    pub loaded: bool,
}

impl AuditState {
    /// How many records the trail holds in all: the newest record's place in the chain.
    pub fn total(&self) -> u64 {
        self.rows.first().map_or(0, |r| r.seq)
    }
}

/// The state a request is shown in: a pending request past its expiry is expired, whether or not
/// the store has marked it yet.
pub fn shown_state(request: &Request, now: DateTime<Utc>) -> RequestState {
    if request.is_overdue(now) {
        RequestState::Expired
    } else {
        request.state
    }
}

impl super::World {
    /// The requests in the order the Approvals pane lists them (and `approval_row` counts):
    /// those still pending first, then the rest, each group newest first.
    pub fn request_rows(&self) -> Vec<&Request> {
        let now = self.now;
        let all = &self.approvals.requests;
        let pending = all.iter().filter(|r| shown_state(r, now) == RequestState::Pending);
        let decided = all.iter().filter(|r| shown_state(r, now) != RequestState::Pending).take(KEEP_DECIDED);
        pending.chain(decided).collect()
    }

    /// The newest request waiting for a decision on `service` in `env`, if any.
    pub fn pending_request(&self, service: &str, env: &str) -> Option<&Request> {
        self.approvals
            .requests
            .iter()
            .find(|r| r.service == service && r.env == env && shown_state(r, self.now) == RequestState::Pending)
    }

    /// How many requests wait for a decision.
    pub fn pending_requests(&self) -> usize {
        self.approvals.requests.iter().filter(|r| shown_state(r, self.now) == RequestState::Pending).count()
    }
}

/// A record's detail in a few words. Requests and their decisions read "promote v1.2.0 a35cb3d ->
/// v1.3.0 41942d8: release 1.3"; other kinds as `opsdeck audit` prints them.
fn summary(kind: &str, detail: &Value) -> String {
    let str_of = |key: &str| detail.get(key).and_then(Value::as_str);
    let request = detail.get("request").and_then(Value::as_i64).map(|id| format!("#{id}"));
    let reason = str_of("reason").filter(|r| !r.is_empty());
    match (kind, request) {
        ("refusal", Some(id)) if str_of("attempt").is_some() => {
            format!("{} {id}: {}", str_of("attempt").unwrap_or_default(), reason.unwrap_or_default())
        }
        ("request" | "approval" | "rejection" | "expiry" | "refusal", Some(id)) => {
            let what = match (str_of("action"), detail.get("to").and_then(image)) {
                (Some(action), Some(to)) => {
                    let from = detail.get("from").and_then(image).unwrap_or_else(|| "nothing".into());
                    format!("{id} {action} {from} -> {to}")
                }
                // How an approved request's action ended.
                _ => match detail.get("action_id").and_then(Value::as_i64) {
                    Some(action) => format!("{id} action #{action}"),
                    None => id,
                },
            };
            match reason {
                Some(r) => format!("{what}: {r}"),
                None => what,
            }
        }
        _ => crate::audit::text::short_detail(kind, detail),
    }
}

/// `tag short-digest` of `{"tag": ..., "digest": ...}`.
fn image(v: &Value) -> Option<String> {
    let tag = v.get("tag").and_then(Value::as_str)?;
    match v.get("digest").and_then(Value::as_str) {
        Some(d) => Some(format!("{tag} {}", super::views::short_digest(d))),
        None => Some(tag.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_records_read_as_what_and_why() {
        let what = json!({"request": 7, "action": "promote", "from": {"tag": "v1.2.0", "digest": "sha256:a35cb3d9"},
            "to": {"tag": "v1.3.0", "digest": "sha256:41942d88"}, "hosts": ["prod-1"], "reason": "release 1.3"});
        assert_eq!(summary("request", &what), "#7 promote v1.2.0 a35cb3d -> v1.3.0 41942d8: release 1.3");
        let ended = json!({"request": 7, "requested_by": "carol", "action_id": 14, "reason": ""});
        assert_eq!(summary("request", &ended), "#7 action #14");
        let refused = json!({"request": 7, "attempt": "approve", "reason": "nobody approves their own request"});
        assert_eq!(summary("refusal", &refused), "approve #7: nobody approves their own request");
        let action = json!({"action": "rollback", "to": {"tag": "v1.1.0"}, "reason": ""});
        assert_eq!(summary("action", &action), "rollback nothing -> v1.1.0");
    }
}
