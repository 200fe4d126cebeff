//! The requests' tests: filing, listing, deciding, refusing, expiring and ending, and two approvers racing.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::sync::{Arc, Barrier};

use super::super::test_util::action;
use super::super::{time, ImageRef, Store};
use super::{Decided, Decision, NewRequest, Request, RequestEnd, RequestFilter, RequestId, RequestState, Verdict};

/// A fresh store in a folder of its own (mode 0700: the store refuses a folder others can use).
fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let store = Store::open(dir.path().join("state.db")).unwrap();
    (dir, store)
}

fn new_request(by: &str, now: DateTime<Utc>) -> NewRequest {
    NewRequest {
        created_at: now,
        expires_at: now + Duration::hours(1),
        requested_by: by.into(),
        kind: "promote".into(),
        service: "api".into(),
        env: "prod".into(),
        from: Some(ImageRef { tag: "v1.4.0".into(), digest: "sha256:3f9c2e1".into() }),
        to: ImageRef { tag: "v1.5.0".into(), digest: "sha256:8a1b0c7".into() },
        hosts: vec!["prod-1".into(), "prod-2".into()],
        reason: "release 1.5".into(),
        plan: json!({"steps": ["start", "switch"]}),
    }
}

fn decision(verdict: Verdict, by: &str, reason: &str, at: DateTime<Utc>) -> Decision {
    Decision { verdict, by: by.into(), reason: reason.into(), at, approvers: vec!["ann".into(), "bob".into()] }
}

/// The trail's records, the journal's own (kind `journal`) aside.
fn kinds(store: &Store) -> Vec<(String, String, String)> {
    let records = store.audit(None).unwrap().into_iter().filter(|r| r.entry.kind != super::super::journal_chain::KIND);
    records.map(|r| (r.entry.kind, r.entry.user, r.entry.outcome)).collect()
}

fn triple(kind: &str, user: &str, outcome: &str) -> (String, String, String) {
    (kind.into(), user.into(), outcome.into())
}

#[test]
fn a_filed_request_reads_back_lists_and_is_audited() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let filed = store.create_request(&new_request("ann", now)).unwrap();
    assert_eq!(filed.state, RequestState::Pending);
    assert_eq!(filed.created_at, time::stored(now));
    assert_eq!((filed.decided_by.as_deref(), filed.action_id), (None, None));
    assert_eq!(store.request(filed.id).unwrap(), Some(filed.clone()));
    assert_eq!(store.request(RequestId(99)).unwrap(), None);
    let other = store.create_request(&NewRequest { env: "staging".into(), ..new_request("bob", now) }).unwrap();
    let ids = |f: &RequestFilter| store.requests(f).unwrap().iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&RequestFilter::default()), vec![other.id, filed.id], "newest first");
    assert_eq!(ids(&RequestFilter { env: Some("prod".into()), ..RequestFilter::default() }), vec![filed.id]);
    let rejected = RequestFilter { states: vec![RequestState::Rejected], ..RequestFilter::default() };
    assert!(ids(&rejected).is_empty());
    assert_eq!(ids(&RequestFilter::pending()).len(), 2);
    let audit = store.audit(None).unwrap();
    assert_eq!(audit[0].entry.kind, "request");
    assert_eq!(audit[0].entry.user, "ann");
    assert_eq!(audit[0].entry.subject, "api/prod");
    assert_eq!(audit[0].entry.detail["reason"], "release 1.5");
    assert_eq!(audit[0].entry.detail["to"]["tag"], "v1.5.0");
}

#[test]
fn an_approver_approves_once_and_the_end_is_recorded() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let id = store.create_request(&new_request("ann", now)).unwrap().id;
    let Decided::Changed(approved) = store.decide(id, &decision(Verdict::Approve, "bob", "", now)).unwrap() else {
        panic!("not approved")
    };
    assert_eq!((approved.state, approved.decided_by.as_deref()), (RequestState::Approved, Some("bob")));
    let again = store.decide(id, &decision(Verdict::Approve, "bob", "", now)).unwrap();
    assert!(matches!(&again, Decided::Refused { reason, .. } if reason.contains("no longer pending: approved by bob")));

    let action = store.journal_begin(&action("promote", "api", "prod")).unwrap();
    assert!(store.attach_action(id, action).unwrap());
    assert_eq!(store.approved_request_for(action).unwrap().map(|r| r.id), Some(id));
    let end = RequestEnd { state: RequestState::Done, action_id: None, reason: String::new() };
    let done = store.finish_request(id, &end, "bob", now).unwrap().unwrap();
    assert_eq!((done.state, done.action_id), (RequestState::Done, Some(action)));
    assert_eq!(store.finish_request(id, &end, "bob", now).unwrap(), None, "an end is written once");
    assert!(!store.attach_action(id, action).unwrap());
    assert_eq!(store.approved_request_for(action).unwrap(), None, "an ended request is not waiting");
    assert_eq!(
        kinds(&store),
        vec![
            triple("request", "ann", "pending"),
            triple("approval", "bob", "approved"),
            triple("refusal", "bob", "refused"),
            triple("request", "bob", "done"),
        ]
    );
    assert!(store.verify_audit().unwrap().is_ok());
}

#[test]
fn nobody_approves_their_own_request() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let id = store.create_request(&new_request("ann", now)).unwrap().id;
    let answer = store.decide(id, &decision(Verdict::Approve, "ann", "", now)).unwrap();
    let Decided::Refused { request, reason } = answer else { panic!("approved own request") };
    assert!(reason.contains("nobody approves their own request"), "{reason}");
    assert_eq!(request.state, RequestState::Pending, "a refused attempt changes nothing");
    let refused = store.audit(None).unwrap().pop().unwrap();
    assert_eq!((refused.entry.kind.as_str(), refused.entry.user.as_str()), ("refusal", "ann"));
    assert_eq!(refused.entry.detail["attempt"], "approve");
    // Nor may they make it refused in an approver's place.
    let refuse = store.decide(id, &decision(Verdict::Refuse, "ann", "stale", now)).unwrap();
    assert!(matches!(refuse, Decided::Refused { .. }));
    assert_eq!(store.request(id).unwrap().unwrap().state, RequestState::Pending);
}

#[test]
fn a_refused_attempt_is_audited_without_deciding_anything() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let request = store.create_request(&new_request("ann", now)).unwrap();
    let own = decision(Verdict::Approve, "ann", "", now);
    let why = request.refusal_for(&own).unwrap();
    assert!(why.contains("nobody approves their own request"), "{why}");
    assert_eq!(request.refusal_for(&decision(Verdict::Approve, "bob", "", now)), None);
    let after = store.record_refusal(request.id, &own, &why).unwrap().unwrap();
    assert_eq!(after.state, RequestState::Pending);
    let later = decision(Verdict::Approve, "bob", "", now + Duration::hours(2));
    assert!(request.refusal_for(&later).unwrap().contains("expired at"));
    let after = store.record_refusal(request.id, &later, "expired").unwrap().unwrap();
    assert_eq!(after.state, RequestState::Expired, "marked on the way");
    assert_eq!(store.record_refusal(RequestId(9), &later, "x").unwrap(), None);
    assert_eq!(
        kinds(&store),
        vec![
            triple("request", "ann", "pending"),
            triple("refusal", "ann", "refused"),
            triple("expiry", "ann", "expired"),
            triple("refusal", "bob", "refused"),
        ]
    );
}

#[test]
fn a_non_approver_is_refused_with_the_list() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let id = store.create_request(&new_request("ann", now)).unwrap().id;
    for verdict in [Verdict::Approve, Verdict::Reject] {
        let Decided::Refused { reason, request } = store.decide(id, &decision(verdict, "eve", "no", now)).unwrap()
        else {
            panic!("eve decided")
        };
        assert!(reason.contains("eve is not an approver of prod (approvers: ann, bob)"), "{reason}");
        assert_eq!(request.state, RequestState::Pending);
    }
    assert_eq!(store.decide(RequestId(42), &decision(Verdict::Approve, "bob", "", now)).unwrap(), Decided::Unknown);
}

#[test]
fn a_rejection_needs_a_reason_and_a_requester_may_withdraw() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let id = store.create_request(&new_request("ann", now)).unwrap().id;
    let Decided::Refused { reason, .. } = store.decide(id, &decision(Verdict::Reject, "bob", "  ", now)).unwrap()
    else {
        panic!("rejected without a reason")
    };
    assert_eq!(reason, "a rejection needs a reason");
    let Decided::Changed(r) = store.decide(id, &decision(Verdict::Reject, "bob", "not on a Friday", now)).unwrap()
    else {
        panic!("not rejected")
    };
    assert_eq!(r.state, RequestState::Rejected);
    assert_eq!(r.decision_reason.as_deref(), Some("not on a Friday"));
    let rejection = store.audit(None).unwrap().pop().unwrap();
    assert_eq!((rejection.entry.kind.as_str(), rejection.entry.outcome.as_str()), ("rejection", "rejected"));
    assert_eq!(rejection.entry.detail["reason"], "not on a Friday");

    let mine = store.create_request(&new_request("carol", now)).unwrap().id;
    let withdrawn = store.decide(mine, &decision(Verdict::Reject, "carol", "wrong tag", now)).unwrap();
    assert!(matches!(withdrawn, Decided::Changed(r) if r.state == RequestState::Rejected));
}

#[test]
fn an_expired_request_is_marked_and_cannot_be_approved() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let id = store.create_request(&new_request("ann", now)).unwrap().id;
    let later = now + Duration::hours(2);
    let Decided::Refused { request, reason } = store.decide(id, &decision(Verdict::Approve, "bob", "", later)).unwrap()
    else {
        panic!("approved after expiry")
    };
    assert_eq!(request.state, RequestState::Expired);
    assert_eq!(request.decided_at, Some(request.expires_at));
    assert!(reason.contains("expired at"), "{reason}");
    let tail: Vec<_> = kinds(&store).into_iter().skip(1).collect();
    assert_eq!(tail, vec![triple("expiry", "ann", "expired"), triple("refusal", "bob", "refused")]);
}

#[test]
fn expire_due_marks_only_what_is_due() {
    let (_dir, mut store) = temp_store();
    let now = Utc::now();
    let due = store.create_request(&NewRequest { expires_at: now, ..new_request("ann", now) }).unwrap().id;
    let fresh = store.create_request(&new_request("ann", now)).unwrap().id;
    let expired = store.expire_due(now).unwrap();
    assert_eq!(expired.iter().map(|r| (r.id, r.state)).collect::<Vec<_>>(), vec![(due, RequestState::Expired)]);
    assert!(store.expire_due(now).unwrap().is_empty(), "expired once");
    assert_eq!(store.request(fresh).unwrap().unwrap().state, RequestState::Pending);
    assert!(!store.request(due).unwrap().unwrap().is_overdue(now), "expired is no longer overdue");
}

#[test]
fn two_approvers_at_once_decide_it_once() {
    let (dir, mut store) = temp_store();
    let path = dir.path().join("state.db");
    for round in 0..20 {
        let now = Utc::now();
        let id = store.create_request(&new_request("ann", now)).unwrap().id;
        let barrier = Arc::new(Barrier::new(2));
        let threads: Vec<_> = [(Verdict::Approve, "bob"), (Verdict::Reject, "carol")]
            .into_iter()
            .map(|(verdict, by)| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::open(&path).unwrap();
                    let d = Decision {
                        verdict,
                        by: by.into(),
                        reason: "no".into(),
                        at: now,
                        approvers: vec!["bob".into(), "carol".into()],
                    };
                    barrier.wait();
                    store.decide(id, &d).unwrap()
                })
            })
            .collect();
        let answers: Vec<Decided> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let changed: Vec<&Request> =
            answers.iter().filter_map(|a| if let Decided::Changed(r) = a { Some(r) } else { None }).collect();
        assert_eq!(changed.len(), 1, "round {round}: {answers:?}");
        let refused = answers.iter().find(|a| matches!(a, Decided::Refused { .. })).unwrap();
        let Decided::Refused { reason, .. } = refused else { unreachable!() };
        let winner = changed[0].decided_by.clone().unwrap();
        assert!(reason.contains(&format!("by {winner}")), "{reason}");
        assert_eq!(store.request(id).unwrap().unwrap().decided_by, Some(winner));
    }
    assert!(store.verify_audit().unwrap().is_ok());
}
