//! `C` from the keyboard: the confirmation before aborting our running action, and the abort
//! command; and the executor's drain progress folded into the model for the drain view.

use crate::model::actions::{AbortConfirm, DrainTrace, StageTrace};
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent};
use opsdeck_core::actions::ActionEvent;

/// `C`: the confirmation before aborting our running action (the selected one when it is
/// running, else our first running one). While the old slot still runs, the abort switches
/// traffic back; afterwards it only cancels (the watch is cut short).
pub(super) fn ask_abort(model: &mut Model) -> Vec<Cmd> {
    // Running first, as the Actions pane lists them (and `action_row` counts).
    let rows = crate::ui::actions::rows(model);
    let selected = (model.ui.focus == Pane::Actions)
        .then(|| rows.get(model.ui.action_row).copied())
        .flatten()
        .filter(|e| e.finish.is_none());
    let Some(entry) = selected.or_else(|| rows.iter().copied().find(|e| e.finish.is_none())) else {
        model.ui.notice = Some("no running action to abort".into());
        return Vec::new();
    };
    let a = &entry.action;
    if !model.world.actions.ours.contains(&entry.id.0) {
        model.ui.notice = Some(format!(
            "action #{} ({}/{}) runs in another console: only it can abort it",
            entry.id.0, a.service, a.env
        ));
        return Vec::new();
    }
    let plan: Option<opsdeck_core::actions::ActionPlan> = serde_json::from_value(a.plan.clone()).ok();
    let old_stopped = plan.as_ref().is_some_and(|p| {
        entry.steps.iter().any(|s| {
            p.steps
                .get(s.step_index as usize)
                .is_some_and(|st| matches!(st, opsdeck_core::actions::Step::StopOld { .. }))
        })
    });
    let switched = plan.as_ref().is_some_and(|p| {
        entry
            .steps
            .iter()
            .any(|s| p.steps.get(s.step_index as usize).is_some_and(|st| *st == opsdeck_core::actions::Step::Switch))
    });
    let old = plan.as_ref().map_or("the old slot".to_string(), |p| p.from_slot.clone());
    let question = match (switched, old_stopped) {
        (true, false) => format!("abort {} {} {} and switch traffic back to {old}?", a.env, a.service, a.kind),
        (false, _) => {
            format!("abort {} {} {}? (before the switch: it is undone, traffic never moves)", a.env, a.service, a.kind)
        }
        (true, true) => format!(
            "cancel {} {} {}? ({old} is stopped already: the action completes, its watch cut short)",
            a.env, a.service, a.kind
        ),
    };
    model.ui.set_abort(Some(AbortConfirm { id: entry.id.0, service: a.service.clone(), env: a.env.clone(), question }));
    Vec::new()
}

/// Keys while the abort confirmation is open: y or Enter aborts, anything else keeps going.
pub(super) fn on_abort_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(confirm) = model.ui.take_abort() else { return Vec::new() };
    match key.code {
        KeyCode::Char('y') | KeyCode::Enter => {
            model.ui.notice = Some(format!("aborting action #{}…", confirm.id));
            vec![Cmd::AbortAction { id: confirm.id, service: confirm.service, env: confirm.env }]
        }
        _ => {
            model.ui.notice = Some(format!("action #{} goes on", confirm.id));
            Vec::new()
        }
    }
}

/// Folds the executor's drain progress in; an action's trace goes when it ends.
pub(super) fn on_action_event(model: &mut Model, event: &ActionEvent) {
    match event {
        ActionEvent::Drain { id, server, sessions, elapsed_ms, at } => {
            let trace = model.world.actions.drains.entry(*id).or_default();
            if trace.server != *server {
                *trace = DrainTrace { server: opsdeck_core::text::cleaned(server), ..DrainTrace::default() };
            }
            trace.samples.push((*elapsed_ms, *sessions));
            // A long drain keeps its shape without growing without bound.
            if trace.samples.len() > 240 {
                trace.samples.remove(1);
            }
            trace.at = Some(*at);
        }
        ActionEvent::Stage { id, percent, ladder, requests, errors, held_ms, hold_ms, paused, at } => {
            let ladder = ladder.clone();
            let (requests, errors, held_ms, hold_ms, paused) = (*requests, *errors, *held_ms, *hold_ms, *paused);
            let trace =
                StageTrace { percent: *percent, ladder, requests, errors, held_ms, hold_ms, paused, at: Some(*at) };
            model.world.actions.stages.insert(*id, trace);
        }
        // The canary has left its stages (or ended): its view goes.
        ActionEvent::Step { id, label, .. } if !label.starts_with("canary") => {
            model.world.actions.stages.remove(id);
        }
        ActionEvent::Finished { id, .. } => {
            model.world.actions.drains.remove(id);
            model.world.actions.stages.remove(id);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
