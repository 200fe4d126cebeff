//! Silences and aborts from the keyboard: `s` opens the silence form on the selected alert,
//! `S` the silences list (`x` expires the selected one, after a y), `C` asks before aborting our
//! running action; and the executor's drain progress folded into the model.

use super::keys::step;
use crate::actions::ActionEvent;
use crate::keymap::{action_for, Action};
use crate::model::silence::{AbortConfirm, DrainTrace, FormField, SilenceForm, MAX_COMMENT, MAX_DURATION_TEXT};
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_backends::alertmanager::NewSilence;

/// Expired silences the list shows under the live ones.
pub const RECENT_EXPIRED: usize = 20;

/// `s`: the form for the alert selected in the Alerts pane.
pub(super) fn open_form(model: &mut Model) -> Vec<Cmd> {
    if model.ui.focus != Pane::Alerts {
        model.ui.notice = Some("s silences the selected alert: Tab to the Alerts pane first".into());
        return Vec::new();
    }
    let rows = model.alert_rows();
    let Some(alert) = rows.get(model.ui.alert_row.min(rows.len().saturating_sub(1))) else {
        model.ui.notice = Some("no alert to silence".into());
        return Vec::new();
    };
    let form = SilenceForm::for_alert(&alert.name, &alert.labels);
    model.ui.silence_form = Some(form);
    Vec::new()
}

/// Keys while the form is open: it takes them all.
pub(super) fn on_form_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(form) = model.ui.silence_form.as_mut() else { return Vec::new() };
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        model.should_quit = true;
        return vec![Cmd::Quit];
    }
    match key.code {
        KeyCode::Esc => model.ui.silence_form = None,
        KeyCode::Tab => form.field = form.field.next(),
        KeyCode::BackTab => form.field = form.field.prev(),
        KeyCode::Enter => return submit(model),
        KeyCode::Up if form.field == FormField::Matchers => form.label_row = form.label_row.saturating_sub(1),
        KeyCode::Down if form.field == FormField::Matchers => {
            form.label_row = step(form.label_row, 1, form.labels.len())
        }
        KeyCode::Char(' ') if form.field == FormField::Matchers => {
            if let Some(label) = form.labels.get_mut(form.label_row) {
                if label.name == "alertname" {
                    form.error = Some("alertname is always kept: it names what is silenced".into());
                } else {
                    label.keep = !label.keep;
                    form.error = None;
                }
            }
        }
        KeyCode::Backspace => {
            match form.field {
                FormField::Duration => form.duration.pop(),
                FormField::Comment => form.comment.pop(),
                FormField::Matchers => None,
            };
        }
        KeyCode::Char(c) if !c.is_control() => match form.field {
            FormField::Duration if form.duration.chars().count() < MAX_DURATION_TEXT => form.duration.push(c),
            FormField::Comment if form.comment.chars().count() < MAX_COMMENT => form.comment.push(c),
            FormField::Matchers => match c {
                'k' => form.label_row = form.label_row.saturating_sub(1),
                'j' => form.label_row = step(form.label_row, 1, form.labels.len()),
                _ => {}
            },
            _ => {}
        },
        _ => {}
    }
    Vec::new()
}

/// Enter: a checked silence to create (author: the console's user), or the form says what is
/// missing and moves to it.
fn submit(model: &mut Model) -> Vec<Cmd> {
    let Some(form) = model.ui.silence_form.as_mut() else { return Vec::new() };
    match form.validate() {
        Ok((matchers, duration, comment)) => {
            let starts_at = model.now;
            let ends_at = starts_at + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::hours(1));
            let silence = NewSilence { matchers, starts_at, ends_at, created_by: model.user.clone(), comment };
            model.ui.notice = Some(format!("silencing {} for {}…", form.alert, humantime::format_duration(duration)));
            model.ui.silence_form = None;
            vec![Cmd::CreateSilence(silence)]
        }
        Err(e) => {
            form.field = if e.contains("comment") {
                FormField::Comment
            } else if e.contains("duration") {
                FormField::Duration
            } else {
                FormField::Matchers
            };
            form.error = Some(e);
            Vec::new()
        }
    }
}

/// `S`: the silences list.
pub(super) fn open_list(model: &mut Model) -> Vec<Cmd> {
    if model.alerts.configured {
        model.ui.silences = crate::model::silence::SilencesView { open: true, ..Default::default() };
    } else {
        model.ui.notice = Some("no Alertmanager in the config: nothing to list".into());
    }
    Vec::new()
}

/// Keys while the list is open: it takes them all.
pub(super) fn on_list_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    if let Some(id) = model.ui.silences.confirm_expire.take() {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                model.ui.notice = Some(format!("expiring silence {id}…"));
                vec![Cmd::ExpireSilence(id)]
            }
            _ => Vec::new(),
        };
    }
    let n = model.silences.rows(RECENT_EXPIRED).len();
    let view = &mut model.ui.silences;
    match key.code {
        KeyCode::Char('x') | KeyCode::Delete => {
            let rows = model.silences.rows(RECENT_EXPIRED);
            match rows.get(view.row.min(n.saturating_sub(1))) {
                Some(s) if s.state == "expired" => model.ui.notice = Some(format!("silence {} already expired", s.id)),
                Some(s) => view.confirm_expire = Some(s.id.clone()),
                None => {}
            }
            return Vec::new();
        }
        KeyCode::Char('S') => {
            view.open = false;
            return Vec::new();
        }
        _ => {}
    }
    match action_for(&key) {
        Some(Action::Quit) if key.modifiers.contains(KeyModifiers::CONTROL) => {
            model.should_quit = true;
            return vec![Cmd::Quit];
        }
        Some(Action::Close | Action::Quit) => view.open = false,
        Some(Action::Up) => view.row = step(view.row, -1, n),
        Some(Action::Down) => view.row = step(view.row, 1, n),
        Some(Action::Top) => view.row = 0,
        Some(Action::Bottom) => view.row = n.saturating_sub(1),
        _ => {}
    }
    Vec::new()
}

/// `C`: the confirmation before aborting our running action (the selected one when it is
/// running, else our first running one). While the old slot still runs, the abort switches
/// traffic back; afterwards it only cancels (the watch is cut short).
pub(super) fn ask_abort(model: &mut Model) -> Vec<Cmd> {
    // Running first, as the Actions pane lists them (and `action_row` counts).
    let recent = &model.actions.recent;
    let rows: Vec<&crate::store::JournalEntry> =
        recent.iter().filter(|e| e.finish.is_none()).chain(recent.iter().filter(|e| e.finish.is_some())).collect();
    let selected = (model.ui.focus == Pane::Actions)
        .then(|| rows.get(model.ui.action_row).copied())
        .flatten()
        .filter(|e| e.finish.is_none());
    let Some(entry) = selected.or_else(|| rows.iter().copied().find(|e| e.finish.is_none())) else {
        model.ui.notice = Some("no running action to abort".into());
        return Vec::new();
    };
    let a = &entry.action;
    if !model.actions.ours.contains(&entry.id.0) {
        model.ui.notice = Some(format!(
            "action #{} ({}/{}) runs in another console: only it can abort it",
            entry.id.0, a.service, a.env
        ));
        return Vec::new();
    }
    let plan: Option<crate::actions::ActionPlan> = serde_json::from_value(a.plan.clone()).ok();
    let old_stopped = plan.as_ref().is_some_and(|p| {
        entry.steps.iter().any(|s| {
            p.steps.get(s.step_index as usize).is_some_and(|st| matches!(st, crate::actions::Step::StopOld { .. }))
        })
    });
    let switched = plan.as_ref().is_some_and(|p| {
        entry
            .steps
            .iter()
            .any(|s| p.steps.get(s.step_index as usize).is_some_and(|st| *st == crate::actions::Step::Switch))
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
    model.ui.abort = Some(AbortConfirm { id: entry.id.0, service: a.service.clone(), env: a.env.clone(), question });
    Vec::new()
}

/// Keys while the abort confirmation is open: y or Enter aborts, anything else keeps going.
pub(super) fn on_abort_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(confirm) = model.ui.abort.take() else { return Vec::new() };
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
            let trace = model.actions.drains.entry(*id).or_default();
            if trace.server != *server {
                *trace = DrainTrace { server: crate::text::cleaned(server), ..DrainTrace::default() };
            }
            trace.samples.push((*elapsed_ms, *sessions));
            // A long drain keeps its shape without growing without bound.
            if trace.samples.len() > 240 {
                trace.samples.remove(1);
            }
            trace.at = Some(*at);
        }
        ActionEvent::Finished { id, .. } => {
            model.actions.drains.remove(id);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
