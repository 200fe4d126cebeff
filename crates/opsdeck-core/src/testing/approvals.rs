//! Silences, approval requests and audit records at 03:12.

use super::{gen_digest, gen_now, gen_plan};
use crate::actions::{ActionKind, ActionPlan};
use crate::store::{ActionId, AuditEntry, AuditRecord, ImageRef, Request, RequestId, RequestState};
use chrono::{TimeZone, Utc};
use opsdeck_backends::types::*;

/// Alertmanager's silences at 03:12: alice's on the api alert, bob's on the disk alert, one
/// pending for tonight's maintenance, one that expired.
pub fn gen_silences() -> Vec<Silence> {
    let now = gen_now();
    let m =
        |name: &str, value: &str| Matcher { name: name.into(), value: value.into(), is_regex: false, is_equal: true };
    let s = |id: &str, matchers: Vec<Matcher>, from: i64, to: i64, by: &str, comment: &str, state: &str| Silence {
        id: id.into(),
        matchers,
        starts_at: now + chrono::Duration::minutes(from),
        ends_at: now + chrono::Duration::minutes(to),
        created_by: by.into(),
        comment: comment.into(),
        state: state.into(),
    };
    vec![
        s(
            "9b1c4e0a-7f3d-4c2b-9e8a-1d2f3a4b5c6d",
            vec![m("alertname", "OldAlert"), m("env", "dev")],
            -300,
            -60,
            "carol",
            "noisy during the dev rebuild",
            "expired",
        ),
        s(
            "3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11",
            vec![m("alertname", "HighErrorRate"), m("env", "prod"), m("service", "api")],
            -2,
            58,
            "alice",
            "rolling api back to v1.1.0; watching the 5xx rate by hand",
            "active",
        ),
        s(
            "51d2e3f4-0a1b-4c5d-8e9f-a0b1c2d3e4f5",
            vec![m("alertname", "DiskFilling"), m("env", "staging"), m("severity", "warning")],
            -30,
            210,
            "bob",
            "log volume resize booked for 06:00",
            "active",
        ),
        s(
            "c0ffee00-1234-4abc-9def-0123456789ab",
            vec![m("env", "staging")],
            600,
            720,
            "bob",
            "staging maintenance window",
            "pending",
        ),
    ]
}

/// A pending request for `plan` by `by`, filed `ago` before [`gen_now`] (expiring an hour after).
pub fn gen_request(id: i64, plan: &ActionPlan, by: &str, ago: chrono::Duration, reason: &str) -> Request {
    let image = |im: &crate::world::views::ImageRef| ImageRef { tag: im.tag.clone(), digest: im.digest.clone() };
    let created_at = gen_now() - ago;
    Request {
        id: RequestId(id),
        created_at,
        expires_at: created_at + chrono::Duration::hours(1),
        requested_by: by.into(),
        kind: plan.kind.as_str().into(),
        service: plan.service.clone(),
        env: plan.env.clone(),
        from: plan.from.as_ref().map(image),
        to: image(&plan.to),
        hosts: plan.hosts.clone(),
        reason: reason.into(),
        plan: serde_json::to_value(plan).expect("plan serializes"),
        state: RequestState::Pending,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        action_id: None,
    }
}

/// `request` decided into `state` by `by` (none for an expiry) eight minutes after it was filed,
/// with the decision's reason.
pub fn gen_decided(request: Request, state: RequestState, by: Option<&str>, why: Option<&str>) -> Request {
    let decided_at = match state {
        RequestState::Pending => None,
        RequestState::Expired => Some(request.expires_at),
        _ => Some(request.created_at + chrono::Duration::minutes(8)),
    };
    Request { state, decided_by: by.map(String::from), decided_at, decision_reason: why.map(String::from), ..request }
}

/// The requests of the story, newest first: carol's prod promote of api waits for alice or bob
/// (filed 5 minutes ago); dave's web promote was approved by bob and ran (action #15); carol's
/// earlier api promote was rejected by bob; dave's web rollback lapsed; bob's web rollback was
/// refused by alice because prod had moved on.
pub fn gen_requests() -> Vec<Request> {
    let min = chrono::Duration::minutes;
    let promote_api = gen_plan(ActionKind::Promote, "api", "prod");
    let promote_web = gen_plan(ActionKind::Promote, "web", "prod");
    let rollback_web = gen_plan(ActionKind::Rollback, "web", "prod");
    let pending = gen_request(9, &promote_api, "carol", min(5), "release 1.3 with the login fix");
    let done = gen_request(8, &promote_web, "dave", min(48), "hotfix for checkout");
    let done = Request { action_id: Some(ActionId(15)), ..gen_decided(done, RequestState::Done, Some("bob"), None) };
    let rejected = gen_request(7, &promote_api, "carol", min(180), "release 1.3");
    let rejected = gen_decided(rejected, RequestState::Rejected, Some("bob"), Some("not during the freeze"));
    let expired = gen_request(6, &rollback_web, "dave", min(24 * 60), "roll back the cache change");
    let expired = gen_decided(expired, RequestState::Expired, None, None);
    let refused = gen_request(5, &rollback_web, "bob", min(26 * 60), "checkout errors");
    let why = "someone else changed prod meanwhile: web/prod now runs v1.2.0 (a35cb3d)";
    let refused = gen_decided(refused, RequestState::Refused, Some("alice"), Some(why));
    vec![pending, done, rejected, expired, refused]
}

/// The audit trail behind [`gen_requests`] and a few actions, in chain order (hashes are
/// stand-ins: the console does not check them).
pub fn gen_audit_records() -> Vec<AuditRecord> {
    use serde_json::json;
    let at = |day: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, day, h, m, 0).single().unwrap_or_default();
    let image = |v: &str| json!({"tag": v, "digest": gen_digest(v)});
    let what = |id: i64, action: &str, from: &str, to: &str, reason: &str| {
        json!({"request": id, "action": action, "from": image(from), "to": image(to), "hosts": ["prod-1", "prod-2"],
               "reason": reason})
    };
    let own = |id: i64, by: &str| {
        json!({"request": id, "attempt": "approve", "state": "pending", "requested_by": by,
               "reason": format!("nobody approves their own request: {by} asked for request {id}")})
    };
    let action = |kind: &str, from: &str, to: &str, ms: u64, reason: &str| {
        json!({"action": kind, "id": 15, "from": image(from), "to": image(to), "hosts": ["prod-1", "prod-2"],
               "forced": false, "duration_ms": ms, "reason": reason})
    };
    let entries = vec![
        (
            at(22, 1, 12),
            "bob",
            "request",
            "web/prod",
            what(5, "rollback", "v1.2.0", "v1.1.0", "checkout errors"),
            "pending",
        ),
        (
            at(22, 1, 20),
            "alice",
            "refusal",
            "web/prod",
            what(5, "rollback", "v1.2.0", "v1.1.0", "someone else changed prod meanwhile: web/prod now runs v1.2.0"),
            "refused",
        ),
        (
            at(22, 3, 12),
            "dave",
            "request",
            "web/prod",
            what(6, "rollback", "v1.2.0", "v1.1.0", "roll back the cache change"),
            "pending",
        ),
        (at(22, 4, 12), "dave", "expiry", "web/prod", what(6, "rollback", "v1.2.0", "v1.1.0", ""), "expired"),
        (
            at(23, 0, 12),
            "carol",
            "request",
            "api/prod",
            what(7, "promote", "v1.2.0", "v1.3.0", "release 1.3"),
            "pending",
        ),
        (
            at(23, 0, 20),
            "bob",
            "rejection",
            "api/prod",
            what(7, "promote", "v1.2.0", "v1.3.0", "not during the freeze"),
            "rejected",
        ),
        (
            at(23, 1, 37),
            "carol",
            "action",
            "web/dev",
            action("rollback", "v1.3.0", "v1.2.0", 15_000, "dev-1: start green: no answer within 2m"),
            "failed",
        ),
        (
            at(23, 2, 24),
            "dave",
            "request",
            "web/prod",
            what(8, "promote", "v1.2.0", "v1.3.0", "hotfix for checkout"),
            "pending",
        ),
        (at(23, 2, 30), "dave", "refusal", "web/prod", own(8, "dave"), "refused"),
        (at(23, 2, 32), "bob", "approval", "web/prod", what(8, "promote", "v1.2.0", "v1.3.0", ""), "approved"),
        (at(23, 2, 33), "bob", "action", "web/prod", action("promote", "v1.2.0", "v1.3.0", 78_200, ""), "succeeded"),
        (
            at(23, 2, 33),
            "bob",
            "request",
            "web/prod",
            json!({"request": 8, "requested_by": "dave", "action_id": 15, "reason": ""}),
            "done",
        ),
        (
            at(23, 3, 7),
            "carol",
            "request",
            "api/prod",
            what(9, "promote", "v1.2.0", "v1.3.0", "release 1.3 with the login fix"),
            "pending",
        ),
        (at(23, 3, 8), "carol", "refusal", "api/prod", own(9, "carol"), "refused"),
    ];
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (at, user, kind, subject, detail, outcome))| AuditRecord {
            seq: i as u64 + 1,
            entry: AuditEntry {
                at,
                user: user.into(),
                kind: kind.into(),
                subject: subject.into(),
                detail,
                outcome: outcome.into(),
            },
            prev_hash: format!("{i:064x}"),
            hash: format!("{:064x}", i + 1),
        })
        .collect()
}
