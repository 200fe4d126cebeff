//! Table tests for the approval keys, the request a confirmation files, and the Audit view's
//! filter: (model, message) -> (model', commands).

use crate::model::{Model, Pane};
use crate::msg::{ApprovalResult, Cmd, Msg};
use crate::test_support::{gen_approvals_model, gen_audit_records, gen_plan, gen_request};
use crate::update::update;
use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_core::actions::ActionKind;
use opsdeck_core::store::{RequestId, RequestState, Verdict};
use opsdeck_core::world::Fact;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        update(m, ch(c));
    }
}

/// The approvals model with `user` at the keyboard and the Approvals pane focused on `row`.
fn as_user(user: &str, row: usize) -> Model {
    let mut m = gen_approvals_model();
    m.world.user = user.into();
    m.ui.focus = Pane::Approvals;
    m.ui.approval_row = row;
    m
}

fn notice(m: &Model) -> String {
    m.ui.notice.clone().unwrap_or_default()
}

#[test]
fn an_approver_sees_exactly_what_will_run_then_enter_approves() {
    let mut m = as_user("alice", 0);
    assert!(update(&mut m, ch('a')).is_empty(), "looking sends nothing");
    let view = m.ui.approval().cloned().expect("the approval view");
    assert_eq!(view.id, RequestId(9));
    assert!(view.live && view.problem.is_none(), "{view:?}");
    assert_eq!(view.plan, gen_plan(ActionKind::Promote, "api", "prod"), "planned again as the requester saw it");
    // Other keys do nothing while it is open.
    assert!(update(&mut m, ch('p')).is_empty());
    assert!(m.ui.approval().is_some() && m.ui.confirm().is_none());
    assert_eq!(update(&mut m, key(KeyCode::Enter)), vec![Cmd::ApproveRequest(RequestId(9))]);
    assert!(m.ui.approval().is_none());
    assert!(notice(&m).contains("approving request #9"), "{}", notice(&m));
    // y approves too; Esc and n leave it pending.
    let mut m = as_user("bob", 0);
    update(&mut m, ch('a'));
    assert_eq!(update(&mut m, ch('y')), vec![Cmd::ApproveRequest(RequestId(9))]);
    for cancel in [key(KeyCode::Esc), ch('n')] {
        let mut m = as_user("bob", 0);
        update(&mut m, ch('a'));
        assert!(update(&mut m, cancel).is_empty());
        assert!(m.ui.approval().is_none());
    }
}

#[test]
fn approving_your_own_request_is_refused_and_audited() {
    let mut m = as_user("carol", 0);
    let cmds = update(&mut m, ch('a'));
    assert!(m.ui.approval().is_none(), "no view for your own request");
    let [Cmd::RecordRefusal { id, verdict, reason }] = cmds.as_slice() else { panic!("{cmds:?}") };
    assert_eq!((*id, *verdict), (RequestId(9), Verdict::Approve));
    assert!(reason.contains("nobody approves their own request"), "{reason}");
    assert!(notice(&m).starts_with("refused: nobody approves their own request"), "{}", notice(&m));
}

#[test]
fn a_non_approver_is_refused_with_the_approvers() {
    let mut m = as_user("mallory", 0);
    let cmds = update(&mut m, ch('a'));
    assert!(m.ui.approval().is_none());
    assert!(matches!(cmds.as_slice(), [Cmd::RecordRefusal { verdict: Verdict::Approve, .. }]), "{cmds:?}");
    assert!(notice(&m).contains("mallory is not an approver of prod (approvers: alice, bob)"), "{}", notice(&m));
    // Nor may they reject it.
    let mut m = as_user("mallory", 0);
    let cmds = update(&mut m, ch('x'));
    assert!(m.ui.reject().is_none());
    assert!(matches!(cmds.as_slice(), [Cmd::RecordRefusal { verdict: Verdict::Reject, .. }]), "{cmds:?}");
}

#[test]
fn a_on_a_request_that_is_not_pending_does_nothing() {
    for row in 1..5 {
        let mut m = as_user("alice", row);
        let before = m.world.approvals.clone();
        assert!(update(&mut m, ch('a')).is_empty(), "row {row}");
        assert!(update(&mut m, ch('x')).is_empty(), "row {row}");
        assert!(m.ui.approval().is_none() && m.ui.reject().is_none(), "row {row}");
        assert_eq!(m.world.approvals, before);
        assert!(notice(&m).contains("only a pending request"), "{}", notice(&m));
    }
}

#[test]
fn an_overdue_request_is_refused_as_expired() {
    let mut m = as_user("alice", 0);
    m.world.now += Duration::hours(2);
    // It reads expired at once, and sorts with the decided ones.
    assert_eq!(
        crate::model::approvals::shown_state(&m.world.approvals.requests[0], m.world.now),
        RequestState::Expired
    );
    m.ui.approval_row = m.world.request_rows().iter().position(|r| r.id == RequestId(9)).expect("listed");
    let cmds = update(&mut m, ch('a'));
    assert!(matches!(cmds.as_slice(), [Cmd::RecordRefusal { .. }]), "{cmds:?}");
    assert!(notice(&m).contains("expired at"), "{}", notice(&m));
}

#[test]
fn a_from_another_pane_goes_to_the_first_pending_request() {
    let mut m = gen_approvals_model();
    m.ui.focus = Pane::Environments;
    update(&mut m, ch('a'));
    assert_eq!(m.ui.focus, Pane::Approvals);
    assert_eq!(m.ui.approval().map(|v| v.id), Some(RequestId(9)));
    let mut empty = crate::test_support::gen_demo_model();
    assert!(update(&mut empty, ch('a')).is_empty());
    assert_eq!(notice(&empty), "no approval requests");
}

#[test]
fn a_request_made_stale_is_shown_with_the_problem() {
    let mut m = as_user("alice", 0);
    // Asked when prod ran v1.1.0; it runs v1.2.0 now.
    let stale = gen_request(10, &gen_plan(ActionKind::Rollback, "api", "prod"), "carol", Duration::minutes(1), "x");
    let mut stale = stale;
    stale.from =
        Some(opsdeck_core::store::ImageRef { tag: "v1.1.0".into(), digest: crate::test_support::gen_digest("v1.1.0") });
    m.world.approvals.requests.insert(0, stale);
    update(&mut m, ch('a'));
    let view = m.ui.approval().cloned().expect("shown, with the problem");
    assert!(view.problem.as_deref().is_some_and(|p| p.contains("someone else changed prod meanwhile")), "{view:?}");
    // Enter still goes to the flow, which refuses it for good.
    assert_eq!(update(&mut m, key(KeyCode::Enter)), vec![Cmd::ApproveRequest(RequestId(10))]);
}

#[test]
fn a_request_that_cannot_be_planned_now_is_refused_and_stays_pending() {
    let mut m = as_user("alice", 0);
    let down = crate::model::HostId { env: "prod".into(), host: "prod-2".into() };
    m.world.hosts.get_mut(&down).expect("prod-2").reach =
        crate::model::Reach::Down { reason: "docker: no answer within 3s".into(), since: m.world.now };
    let cmds = update(&mut m, ch('a'));
    assert!(m.ui.approval().is_none());
    assert!(matches!(cmds.as_slice(), [Cmd::RecordRefusal { .. }]), "{cmds:?}");
    assert!(
        notice(&m).contains("cannot plan request 9 now") && notice(&m).ends_with("it stays pending"),
        "{}",
        notice(&m)
    );
}

#[test]
fn a_rejection_needs_a_reason() {
    let mut m = as_user("bob", 0);
    assert!(update(&mut m, ch('x')).is_empty());
    assert_eq!(m.ui.reject().map(|r| r.id), Some(RequestId(9)));
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty(), "no reason, no rejection");
    assert!(m.ui.reject().is_some());
    assert!(notice(&m).contains("a rejection needs a reason"), "{}", notice(&m));
    typed(&mut m, "   ");
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty(), "blanks are no reason");
    for _ in 0..3 {
        update(&mut m, key(KeyCode::Backspace));
    }
    // Keys that mean something elsewhere are typed here.
    typed(&mut m, "not during the freeze q");
    update(&mut m, key(KeyCode::Backspace));
    update(&mut m, key(KeyCode::Backspace));
    assert!(!m.should_quit);
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert_eq!(cmds, vec![Cmd::RejectRequest { id: RequestId(9), reason: "not during the freeze".into() }]);
    assert!(m.ui.reject().is_none());
    // Esc leaves it pending.
    let mut m = as_user("bob", 0);
    update(&mut m, ch('x'));
    typed(&mut m, "no");
    assert!(update(&mut m, key(KeyCode::Esc)).is_empty());
    assert!(m.ui.reject().is_none());
}

#[test]
fn the_requester_may_withdraw_and_x_in_the_view_asks_why() {
    let mut m = as_user("carol", 0);
    update(&mut m, ch('x'));
    assert!(m.ui.reject().is_some(), "{}", notice(&m));
    let mut m = as_user("alice", 0);
    update(&mut m, ch('a'));
    update(&mut m, ch('x'));
    assert!(m.ui.approval().is_none());
    assert_eq!(m.ui.reject().map(|r| r.id), Some(RequestId(9)));
}

#[test]
fn a_view_closes_when_someone_else_decides_meanwhile() {
    let mut m = as_user("alice", 0);
    update(&mut m, ch('a'));
    let mut requests = m.world.approvals.requests.clone();
    requests[0].state = RequestState::Approved;
    requests[0].decided_by = Some("bob".into());
    update(&mut m, Msg::Fact(Fact::Requests(Ok(requests))));
    assert!(m.ui.approval().is_none());
    assert_eq!(notice(&m), "request #9 was approved by bob meanwhile");
}

#[test]
fn a_prod_promote_asks_why_and_files_a_request() {
    let mut m = crate::test_support::gen_demo_model_all_up();
    (m.ui.service_row, m.ui.env_col) = (0, 2);
    update(&mut m, ch('p'));
    let confirm = m.ui.confirm().cloned().expect("confirmation");
    assert_eq!(confirm.request.as_ref().map(|r| r.deciders.clone()), Some(vec!["bob".to_string()]));
    // The name, then Enter moves on to the reason; Enter without one files nothing.
    typed(&mut m, "prod");
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    assert!(m.ui.confirm().is_some_and(|c| c.on_reason()));
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    typed(&mut m, "release 1.3 ");
    // Tab goes back to the name; what is typed there goes to the name.
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, ch('x'));
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty(), "the name no longer matches");
    update(&mut m, key(KeyCode::Backspace));
    update(&mut m, key(KeyCode::Tab));
    typed(&mut m, "now");
    let cmds = update(&mut m, key(KeyCode::Enter));
    let [Cmd::FileRequest { plan, reason }] = cmds.as_slice() else { panic!("{cmds:?}") };
    assert_eq!((plan.subject().as_str(), reason.as_str()), ("api/prod", "release 1.3 now"));
    assert!(m.ui.confirm().is_none());
    // The result comes back as a notice.
    let filed = ApprovalResult::Filed {
        id: RequestId(10),
        subject: "api/prod".into(),
        deciders: vec!["bob".into()],
        expires_at: m.world.now + Duration::hours(1),
    };
    assert_eq!(update(&mut m, Msg::Approval(filed)), vec![Cmd::RefreshStore]);
    assert_eq!(notice(&m), "request #10 pending approval by bob (api/prod; expires 04:12 UTC)");
}

#[test]
fn a_staging_promote_still_runs_at_once() {
    let mut m = crate::test_support::gen_demo_model_all_up();
    (m.ui.service_row, m.ui.env_col) = (0, 1);
    update(&mut m, ch('r'));
    assert!(m.ui.confirm().is_some_and(|c| c.request.is_none()));
    let cmds = update(&mut m, ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::RunAction(_)]), "{cmds:?}");
}

#[test]
fn the_only_approver_cannot_file_a_request() {
    let mut m = crate::test_support::gen_demo_model_all_up();
    let mut config = (*m.world.config).clone();
    if let Some(prod) = config.environments.iter_mut().find(|e| e.name == "prod") {
        prod.approvers = vec!["alice".into()];
    }
    m.world.config = std::sync::Arc::new(config);
    (m.ui.service_row, m.ui.env_col) = (0, 2);
    update(&mut m, ch('p'));
    assert!(m.ui.confirm().is_none());
    assert!(notice(&m).contains("nobody but alice can approve changes to prod"), "{}", notice(&m));
}

#[test]
fn the_audit_filter_narrows_as_you_type() {
    let mut m = gen_approvals_model();
    update(&mut m, Msg::Fact(Fact::Audit(Ok(gen_audit_records()))));
    let all = m.world.audit.rows.len();
    assert_eq!(m.world.audit.rows[0].seq as usize, all, "newest first");
    update(&mut m, ch('A'));
    assert!(m.ui.is_open(crate::model::OverlayKind::Audit) && !m.ui.audit.editing);
    update(&mut m, ch('/'));
    assert!(m.ui.audit.editing);
    // Every printable key is typed, q and j included; case does not matter.
    typed(&mut m, "CAR");
    let carol: Vec<u64> = m.audit_rows().iter().map(|r| r.seq).collect();
    assert!(!carol.is_empty() && carol.len() < all, "{carol:?}");
    assert!(m.audit_rows().iter().all(|r| format!("{r:?}").to_lowercase().contains("car")));
    typed(&mut m, "olq");
    assert!(m.audit_rows().is_empty() && !m.should_quit);
    update(&mut m, key(KeyCode::Backspace));
    assert_eq!(m.audit_rows().len(), carol.len());
    // A word of the detail matches too.
    update(&mut m, key(KeyCode::Esc));
    assert!(m.ui.audit.filter.is_empty() && !m.ui.audit.editing && m.ui.is_open(crate::model::OverlayKind::Audit));
    update(&mut m, ch('/'));
    typed(&mut m, "freeze");
    assert_eq!(m.audit_rows().iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), vec!["rejection"]);
    // Enter keeps the filter; then Esc clears it, and Esc again closes the view.
    update(&mut m, key(KeyCode::Enter));
    assert!(!m.ui.audit.editing && m.ui.audit.filter == "freeze");
    update(&mut m, key(KeyCode::Esc));
    assert!(m.ui.audit.filter.is_empty() && m.ui.is_open(crate::model::OverlayKind::Audit));
    update(&mut m, key(KeyCode::Esc));
    assert!(!m.ui.is_open(crate::model::OverlayKind::Audit));
    // q closes it rather than quitting; / from the main screen opens it typing.
    update(&mut m, ch('/'));
    assert!(m.ui.is_open(crate::model::OverlayKind::Audit) && m.ui.audit.editing);
    update(&mut m, key(KeyCode::Enter));
    update(&mut m, ch('q'));
    assert!(!m.ui.is_open(crate::model::OverlayKind::Audit) && !m.should_quit);
}

#[test]
fn the_selected_record_stays_selected_as_new_ones_arrive() {
    let mut m = gen_approvals_model();
    let mut records = gen_audit_records();
    let newest = records.pop().expect("a record");
    update(&mut m, Msg::Fact(Fact::Audit(Ok(records.clone()))));
    update(&mut m, ch('A'));
    update(&mut m, ch('j'));
    update(&mut m, ch('j'));
    let seq = m.audit_rows()[m.ui.audit.row].seq;
    records.push(newest);
    update(&mut m, Msg::Fact(Fact::Audit(Ok(records))));
    assert_eq!(m.audit_rows()[m.ui.audit.row].seq, seq);
}

#[test]
fn requests_and_records_are_cleaned_on_the_way_in() {
    let mut m = gen_approvals_model();
    let mut requests = m.world.approvals.requests.clone();
    requests[0].reason = "release\x1b[2J now".into();
    update(&mut m, Msg::Fact(Fact::Requests(Ok(requests))));
    assert_eq!(m.world.approvals.requests[0].reason, "release[2J now");
    let mut records = gen_audit_records();
    records[0].entry.user = "da\x07ve".into();
    records[0].entry.detail["reason"] = serde_json::json!("a\nb\x1b");
    update(&mut m, Msg::Fact(Fact::Audit(Ok(records))));
    let oldest = m.world.audit.rows.last().expect("rows");
    assert_eq!(oldest.user, "dave");
    assert!(oldest.detail.ends_with("a b"), "{}", oldest.detail);
    // A read that fails keeps what was shown, with the reason.
    update(&mut m, Msg::Fact(Fact::Requests(Err("database is locked".into()))));
    assert_eq!(m.world.approvals.error.as_deref(), Some("database is locked"));
    assert!(!m.world.approvals.requests.is_empty());
}

#[test]
fn results_come_back_as_notices() {
    let mut m = gen_approvals_model();
    let cases = [
        (
            ApprovalResult::Approved {
                id: RequestId(9),
                subject: "promote api/prod".into(),
                requested_by: "carol".into(),
            },
            "approved request #9 (asked by carol): running promote api/prod",
        ),
        (
            ApprovalResult::Ended { id: RequestId(9), state: Some(RequestState::Done), reason: String::new() },
            "request #9 done",
        ),
        (
            ApprovalResult::Ended { id: RequestId(9), state: Some(RequestState::Failed), reason: "watch: 5xx".into() },
            "request #9 failed: watch: 5xx",
        ),
        (ApprovalResult::Rejected { id: RequestId(9), subject: "api/prod".into() }, "rejected request #9 (api/prod)"),
        (
            ApprovalResult::Refused { id: Some(RequestId(9)), reason: "request 9 is no longer pending".into() },
            "refused: request 9 is no longer pending",
        ),
    ];
    for (result, text) in cases {
        assert_eq!(update(&mut m, Msg::Approval(result)), vec![Cmd::RefreshStore]);
        assert_eq!(notice(&m), text);
    }
}
