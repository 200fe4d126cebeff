//! How a request's changes read in the audit trail: what it asks for, and the records themselves.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::super::audit::AuditEntry;
use super::decision::Decision;
use super::model::Request;

/// What a request asks for, as its audit records describe it.
pub(super) fn what(request: &Request) -> serde_json::Value {
    json!({
        "request": request.id.0,
        "action": request.kind,
        "from": request.from.as_ref().map(|f| json!({"tag": f.tag, "digest": f.digest})),
        "to": {"tag": request.to.tag, "digest": request.to.digest},
        "hosts": request.hosts,
    })
}

pub(super) fn audit_entry(
    request: &Request,
    at: DateTime<Utc>,
    user: &str,
    kind: &str,
    detail: serde_json::Value,
    outcome: &str,
) -> AuditEntry {
    AuditEntry { at, user: user.into(), kind: kind.into(), subject: request.subject(), detail, outcome: outcome.into() }
}

/// The `refusal` record of an attempt that did not change the request.
pub(super) fn refusal_entry(request: &Request, decision: &Decision, reason: &str) -> AuditEntry {
    let detail = json!({
        "request": request.id.0,
        "attempt": decision.verdict.attempt(),
        "state": request.state.as_str(),
        "requested_by": request.requested_by,
        "reason": reason,
    });
    audit_entry(request, decision.at, &decision.by, "refusal", detail, "refused")
}
