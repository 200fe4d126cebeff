//! Destructive keys: `p` and `r` build a plan from the model and open a confirmation naming
//! exactly what will happen; only Enter on a satisfied confirmation runs it.

use crate::actions::{plan, ActionKind, Target};
use crate::config::ApprovalPolicy;
use crate::model::actions::Confirm;
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent};

/// Opens the confirmation for a promote or rollback of the selected service and environment.
pub(super) fn ask(model: &mut Model, kind: ActionKind) -> Vec<Cmd> {
    let (Some(service), Some(env)) = (model.selected_service(), model.selected_env()) else {
        return Vec::new();
    };
    let image = match model.ui.focus {
        Pane::Images if kind != ActionKind::Reapply => {
            model.image_rows(service).get(model.ui.image_row).map(|r| r.digest.clone())
        }
        _ => None,
    };
    let target = Target { kind, service: service.to_string(), env: env.to_string(), image, force: false };
    match plan(model, &target, model.config.actions.timing(None)) {
        Ok(plan) => {
            let approval = model.config.environment(&plan.env).is_some_and(|e| e.approval == ApprovalPolicy::Required);
            if let Some(lock) = model.actions.lock(&plan.service, &plan.env) {
                model.ui.notice = Some(format!("{}: locked by {} ({})", plan.subject(), lock.holder, lock.what));
                return Vec::new();
            }
            model.ui.confirm =
                Some(Confirm { type_to_confirm: approval.then(|| plan.env.clone()), plan, typed: String::new() });
        }
        Err(reason) => model.ui.notice = Some(reason),
    }
    Vec::new()
}

/// Keys while a confirmation is open: it takes them all.
pub(super) fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(confirm) = model.ui.confirm.as_mut() else { return Vec::new() };
    match key.code {
        KeyCode::Esc => model.ui.confirm = None,
        KeyCode::Enter if confirm.is_satisfied() => {
            let plan = confirm.plan.clone();
            model.ui.confirm = None;
            model.ui.notice = Some(format!("started: {}", plan.summary()));
            return vec![Cmd::RunAction(Box::new(plan))];
        }
        KeyCode::Enter => {
            let name = confirm.type_to_confirm.clone().unwrap_or_default();
            model.ui.notice = Some(format!("type {name} to confirm, or Esc to cancel"));
        }
        KeyCode::Char('n') if confirm.type_to_confirm.is_none() => model.ui.confirm = None,
        KeyCode::Char('y') if confirm.type_to_confirm.is_none() => {
            let plan = confirm.plan.clone();
            model.ui.confirm = None;
            model.ui.notice = Some(format!("started: {}", plan.summary()));
            return vec![Cmd::RunAction(Box::new(plan))];
        }
        KeyCode::Backspace => {
            confirm.typed.pop();
        }
        KeyCode::Char(c) if confirm.type_to_confirm.is_some() && confirm.typed.len() < 64 => confirm.typed.push(c),
        _ => {}
    }
    Vec::new()
}
