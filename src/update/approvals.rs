//! Approving and rejecting from the console: `a` opens the approval view (exactly what the
//! request will run, planned again from the live state), `x` asks for a reason. What the store
//! would refuse (the operator's own request, not an approver, expired) is refused here first,
//! with the store's own words, and audited through a command; the store decides for real when the
//! runtime carries the command out.

use crate::model::approvals::{shown_state, ApprovalView, RejectInput};
use crate::model::{Model, Pane};
use crate::msg::{ApprovalResult, Cmd};
use crossterm::event::{KeyCode, KeyEvent};
use opsdeck_core::approvals::{self, policy};
use opsdeck_core::store::{Request, RequestState, Verdict};
use opsdeck_core::text::cleaned;

/// `a`: the approval view for the selected request, or why not.
pub(super) fn approve(model: &mut Model) -> Vec<Cmd> {
    let Some(request) = target(model) else { return Vec::new() };
    if request.state != RequestState::Pending {
        model.ui.notice = Some(format!(
            "request #{} is {}: only a pending request is approved",
            request.id,
            state_of(&request, model)
        ));
        return Vec::new();
    }
    let attempt =
        approvals::decision(&model.world.config, &request, Verdict::Approve, &model.world.user, "", model.world.now);
    if let Some(reason) = request.refusal_for(&attempt) {
        return refuse(model, &request, Verdict::Approve, reason);
    }
    match view(model, &request) {
        Ok(view) => model.ui.set_approval(Some(view)),
        Err(reason) => {
            let cmds = refuse(model, &request, Verdict::Approve, reason);
            model.ui.notice = model.ui.notice.take().map(|n| format!("{n}; it stays pending"));
            return cmds;
        }
    }
    Vec::new()
}

/// `x`: the reason input for rejecting the selected request, or why not. A requester may reject
/// (withdraw) their own request; anyone else must be an approver.
pub(super) fn reject(model: &mut Model) -> Vec<Cmd> {
    let Some(request) = target(model) else { return Vec::new() };
    open_reject(model, &request)
}

/// Keys while the approval view is open: it takes them all.
pub(super) fn on_view_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(view) = model.ui.approval() else { return Vec::new() };
    let id = view.id;
    match key.code {
        KeyCode::Enter | KeyCode::Char('y') => {
            model.ui.set_approval(None);
            let subject = model.world.approvals.get(id).map(Request::subject).unwrap_or_default();
            model.ui.notice = Some(format!("approving request #{id} ({subject})…"));
            return vec![Cmd::ApproveRequest(id)];
        }
        KeyCode::Char('x') => {
            model.ui.set_approval(None);
            if let Some(request) = model.world.approvals.get(id).cloned() {
                return open_reject(model, &request);
            }
        }
        KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => model.ui.set_approval(None),
        _ => {}
    }
    Vec::new()
}

/// Keys while a rejection's reason is typed: it takes them all.
pub(super) fn on_reject_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(input) = model.ui.reject_mut() else { return Vec::new() };
    match key.code {
        KeyCode::Esc => model.ui.set_reject(None),
        KeyCode::Enter => match policy::reason(&input.reason) {
            Ok(reason) => {
                let id = input.id;
                model.ui.set_reject(None);
                model.ui.notice = Some(format!("rejecting request #{id}…"));
                return vec![Cmd::RejectRequest { id, reason }];
            }
            Err(_) => model.ui.notice = Some("a rejection needs a reason: type why, or Esc to cancel".into()),
        },
        KeyCode::Backspace => {
            input.reason.pop();
        }
        KeyCode::Char(c) if !c.is_control() && input.reason.chars().count() < policy::MAX_REASON => {
            input.reason.push(c)
        }
        _ => {}
    }
    Vec::new()
}

/// After the store's requests came in: the selection stays in range, and an approval view or
/// reason input whose request was decided meanwhile closes with a notice.
pub(super) fn after_requests(model: &mut Model) {
    let n = model.world.request_rows().len();
    model.ui.approval_row = model.ui.approval_row.min(n.saturating_sub(1));
    let open = model.ui.approval().map(|v| v.id).or(model.ui.reject().map(|r| r.id));
    let Some(id) = open else { return };
    let Some(request) = model.world.approvals.get(id) else { return };
    if shown_state(request, model.world.now) != RequestState::Pending {
        let by = request.decided_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
        model.ui.notice = Some(format!("request #{id} was {}{by} meanwhile", state_of(request, model)));
        model.ui.set_approval(None);
        model.ui.set_reject(None);
    }
}

/// After the audit trail's end came in (newest first in the world): the record that was
/// `selected` stays selected as newer ones arrive above it.
pub(super) fn after_audit(model: &mut Model, selected: Option<u64>) {
    let rows = model.audit_rows();
    let at = selected.and_then(|seq| rows.iter().position(|r| r.seq == seq));
    model.ui.audit.row = at.unwrap_or(model.ui.audit.row).min(rows.len().saturating_sub(1));
}

/// What became of an approval command: a notice, and the store read again at once.
pub(super) fn on_result(model: &mut Model, result: ApprovalResult) -> Vec<Cmd> {
    let text = match result {
        ApprovalResult::Filed { id, subject, deciders, expires_at } => format!(
            "request #{id} pending approval by {} ({subject}; expires {} UTC)",
            deciders.join(", "),
            expires_at.format("%H:%M")
        ),
        ApprovalResult::Approved { id, subject, requested_by } => {
            format!("approved request #{id} (asked by {requested_by}): running {subject}")
        }
        ApprovalResult::Ended { id, state: Some(state), reason } if reason.is_empty() => {
            format!("request #{id} {state}")
        }
        ApprovalResult::Ended { id, state: Some(state), reason } => format!("request #{id} {state}: {reason}"),
        ApprovalResult::Ended { id, state: None, reason } => {
            format!("request #{id}: its end could not be recorded ({reason})")
        }
        ApprovalResult::Rejected { id, subject } => format!("rejected request #{id} ({subject})"),
        ApprovalResult::Refused { reason, .. } => format!("refused: {reason}"),
    };
    model.ui.notice = Some(cleaned(&text));
    vec![Cmd::RefreshStore]
}

/// The request `a` or `x` is about: the one selected in the Approvals pane. From another pane,
/// the keys move focus there and take the first pending request.
fn target(model: &mut Model) -> Option<Request> {
    if model.ui.focus != Pane::Approvals {
        model.ui.focus = Pane::Approvals;
        model.ui.approval_row = 0;
    }
    let request = model.selected_request().cloned();
    if request.is_none() {
        model.ui.notice = Some("no approval requests".into());
    }
    request
}

fn open_reject(model: &mut Model, request: &Request) -> Vec<Cmd> {
    if request.state != RequestState::Pending {
        model.ui.notice = Some(format!(
            "request #{} is {}: only a pending request is rejected",
            request.id,
            state_of(request, model)
        ));
        return Vec::new();
    }
    // The reason comes next: ask the rules with a stand-in, so only who and when are checked.
    let attempt =
        approvals::decision(&model.world.config, request, Verdict::Reject, &model.world.user, "…", model.world.now);
    if let Some(reason) = request.refusal_for(&attempt) {
        return refuse(model, request, Verdict::Reject, reason);
    }
    model.ui.set_reject(Some(RejectInput { id: request.id, reason: String::new() }));
    Vec::new()
}

/// Refused up front: the notice says why, and the attempt is audited as the store would.
fn refuse(model: &mut Model, request: &Request, verdict: Verdict, reason: String) -> Vec<Cmd> {
    model.ui.notice = Some(format!("refused: {reason}"));
    vec![Cmd::RecordRefusal { id: request.id, verdict, reason }]
}

fn state_of(request: &Request, model: &Model) -> RequestState {
    shown_state(request, model.world.now)
}

/// What approving `request` would run, planned again from the live state as
/// [`approvals::prepare`] will plan it: the requester's timing, the same kind and image. A request
/// that no longer matches the environment is still shown (with the problem: approving it then
/// refuses it for good); one that cannot be planned now (a host down) is refused and stays
/// pending.
fn view(model: &Model, request: &Request) -> Result<ApprovalView, String> {
    let id = request.id;
    let mut problem = None;
    let live = model.world.service_cell(&request.env, &request.service).and_then(|c| c.image);
    if let Some(live) = live.filter(|l| Some(l.digest.as_str()) != request.from.as_ref().map(|f| f.digest.as_str())) {
        let asked = request.from.as_ref().map_or("nothing".to_string(), |f| f.tag.clone());
        problem = Some(format!(
            "someone else changed {} meanwhile: {} now runs {} ({}), the request was made when it ran {asked}",
            request.env,
            request.subject(),
            live.tag,
            live.short_digest()
        ));
    }
    let timing = policy::timing(request, model.world.config.actions.timing(None));
    let planned =
        policy::target(request, &model.world).and_then(|t| opsdeck_core::actions::plan(&model.world, &t, timing));
    match planned {
        Ok(plan) => {
            if problem.is_none() {
                problem = policy::still_matches(request, &plan).err();
            }
            Ok(ApprovalView { id, plan, live: true, problem })
        }
        // It moved on: show what was asked for, and why approving refuses it.
        Err(e) if problem.is_some() => match serde_json::from_value(request.plan.clone()) {
            Ok(plan) => Ok(ApprovalView { id, plan, live: false, problem }),
            Err(_) => Err(format!("cannot plan request {id} now: {e}")),
        },
        Err(e) => Err(format!("cannot plan request {id} now: {e}")),
    }
}

#[cfg(test)]
mod tests;
