//! Destructive keys: `p` and `r` build a plan from the model and open a confirmation naming
//! exactly what will happen; only Enter on a satisfied confirmation runs it. On an environment
//! that requires approval the confirmation also asks why, and Enter files a request instead.

use crate::model::actions::{Confirm, RequestDraft};
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_core::actions::{plan, ActionKind, Target};
use opsdeck_core::approvals::{self, policy};
use opsdeck_core::config::ApprovalPolicy;

/// The longest environment name that can be typed.
const MAX_NAME: usize = 64;

/// Opens the confirmation for a promote or rollback of the selected service and environment.
pub(super) fn ask(model: &mut Model, kind: ActionKind) -> Vec<Cmd> {
    let (Some(service), Some(env)) = (model.selected_service(), model.selected_env()) else {
        return Vec::new();
    };
    let image = match model.ui.focus {
        Pane::Images if kind != ActionKind::Reapply => {
            model.world.image_rows(service).get(model.ui.image_row).map(|r| r.digest.clone())
        }
        _ => None,
    };
    let target = Target { kind, service: service.to_string(), env: env.to_string(), image, force: false };
    match plan(&model.world, &target, model.world.config.actions.timing(None)) {
        Ok(plan) => {
            let env = model.world.config.environment(&plan.env);
            let approval = env.is_some_and(|e| e.approval == ApprovalPolicy::Required);
            if let Some(lock) = model.world.actions.lock(&plan.service, &plan.env) {
                model.ui.notice = Some(format!("{}: locked by {} ({})", plan.subject(), lock.holder, lock.what));
                return Vec::new();
            }
            let mut request = None;
            if let Some(env) = env.filter(|_| approvals::needs_approval(&model.world.config, &plan)) {
                let deciders = policy::deciders(env, &model.world.user);
                if deciders.is_empty() {
                    model.ui.notice = Some(format!(
                        "nobody but {} can approve changes to {} (approvers: {}); nobody approves their own request",
                        model.world.user,
                        env.name,
                        env.approvers.join(", ")
                    ));
                    return Vec::new();
                }
                request = Some(RequestDraft { deciders, ..RequestDraft::default() });
            }
            model.ui.set_confirm(Some(Confirm {
                type_to_confirm: approval.then(|| plan.env.clone()),
                plan,
                typed: String::new(),
                request,
                silence: model.world.alerts.configured.then_some(false),
            }));
        }
        Err(reason) => model.ui.notice = Some(reason),
    }
    Vec::new()
}

/// Keys while a confirmation is open: it takes them all. With a request to file, Tab moves
/// between the name and the reason, and Enter on a matching name moves on to the reason.
pub(super) fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(confirm) = model.ui.confirm_mut() else { return Vec::new() };
    // `s` (Alt-s while a name or reason is typed) silences the service's alerts during it.
    let typing = confirm.type_to_confirm.is_some() || confirm.on_reason();
    let toggle = key.code == KeyCode::Char('s') && (!typing || key.modifiers.contains(KeyModifiers::ALT));
    if let Some(on) = confirm.silence.as_mut().filter(|_| toggle) {
        *on = !*on;
        return Vec::new();
    }
    match key.code {
        KeyCode::Esc => model.ui.set_confirm(None),
        KeyCode::Tab | KeyCode::BackTab => {
            if let Some(r) = confirm.request.as_mut() {
                r.on_reason = !r.on_reason;
            }
        }
        KeyCode::Enter if confirm.is_satisfied() => return go(model),
        KeyCode::Enter if confirm.name_matches() => {
            if let Some(r) = confirm.request.as_mut() {
                r.on_reason = true;
            }
            model.ui.notice = Some("say why: the approvers read it before they decide".into());
        }
        KeyCode::Enter => {
            let name = confirm.type_to_confirm.clone().unwrap_or_default();
            if let Some(r) = confirm.request.as_mut() {
                r.on_reason = false;
            }
            model.ui.notice = Some(format!("type {name} to confirm, or Esc to cancel"));
        }
        KeyCode::Char('n') if confirm.type_to_confirm.is_none() => model.ui.set_confirm(None),
        KeyCode::Char('y') if confirm.type_to_confirm.is_none() => return go(model),
        KeyCode::Backspace => {
            match confirm.request.as_mut().filter(|r| r.on_reason) {
                Some(r) => r.reason.pop(),
                None => confirm.typed.pop(),
            };
        }
        KeyCode::Char(c) if !c.is_control() => match confirm.request.as_mut().filter(|r| r.on_reason) {
            Some(r) if r.reason.chars().count() < policy::MAX_REASON => r.reason.push(c),
            Some(_) => {}
            None if confirm.type_to_confirm.is_some() && confirm.typed.chars().count() < MAX_NAME => {
                confirm.typed.push(c)
            }
            None => {}
        },
        _ => {}
    }
    Vec::new()
}

/// Runs the confirmed plan, or files its request.
fn go(model: &mut Model) -> Vec<Cmd> {
    let Some(confirm) = model.ui.take_confirm() else { return Vec::new() };
    let plan = Box::new(if confirm.silence == Some(true) { confirm.plan.with_silence() } else { confirm.plan });
    match confirm.request {
        Some(draft) => {
            model.ui.notice = Some(format!("filing a request: {}", plan.summary()));
            vec![Cmd::FileRequest { plan, reason: draft.reason.trim().to_string() }]
        }
        None => {
            model.ui.notice = Some(format!("started: {}", plan.summary()));
            vec![Cmd::RunAction(plan)]
        }
    }
}
