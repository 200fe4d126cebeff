//! The runbook overlay's keys and the runner's events. The overlay is modal: every key goes
//! here while it is open. Enter works out what the current step runs and shows it; y (or the
//! environment's name, where the keys would ask for it) runs it; s skips it with a reason; c
//! cancels a running step; Esc leaves (the progress is in the store, so reopening resumes).

use crate::model::runbook::{AlertRef, RunbookUi, RunbookView, StepPhase, StepResultLine};
use crate::model::Model;
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_core::runbook::events::{RunbookCmd, RunbookEvent};
use opsdeck_core::runbook::session::Session;
use opsdeck_core::runbook::Runbook;
use opsdeck_core::store::RunbookRun;
use opsdeck_core::text::cleaned;

/// `b`: the list of runbooks (read again from the folders).
pub(super) fn open_list(model: &mut Model) -> Vec<Cmd> {
    model.ui.set_runbook(Some(RunbookUi::List { row: 0 }));
    vec![Cmd::Runbook(RunbookCmd::Load)]
}

/// Enter in the Alerts pane: the selected alert's runbook, or a notice that none matches. Before
/// the folders are read, the alert is remembered and its runbook opens once they are.
pub(super) fn open_for_alert(model: &mut Model) -> Vec<Cmd> {
    let rows = model.world.alert_rows();
    let Some(alert) = rows.get(model.ui.alert_row.min(rows.len().saturating_sub(1))).copied().cloned() else {
        model.ui.notice = Some("no alert selected".into());
        return Vec::new();
    };
    if model.world.runbooks.catalog.is_none() {
        model.ui.pending_runbook_alert = Some(alert.fingerprint.clone());
        model.ui.notice = Some("reading the runbooks; this alert's opens when they are read".into());
        return vec![Cmd::Runbook(RunbookCmd::Load)];
    }
    open_for(model, alert)
}

/// The runbook of an alert asked for before the folders were read, if it is still firing and the
/// operator has not opened anything that takes keys meanwhile (a dialog is never covered).
fn open_pending(model: &mut Model) -> Vec<Cmd> {
    let Some(fingerprint) = model.ui.pending_runbook_alert.take() else {
        return Vec::new();
    };
    if model.ui.overlays.iter().any(|o| o.kind().is_dialog()) {
        return Vec::new();
    }
    match model.world.alerts.alerts.iter().find(|a| a.fingerprint == fingerprint).cloned() {
        Some(alert) => open_for(model, alert),
        None => {
            model.ui.notice = Some("the alert whose runbook was asked for is gone".into());
            Vec::new()
        }
    }
}

fn open_for(model: &mut Model, alert: opsdeck_backends::types::Alert) -> Vec<Cmd> {
    let Some(catalog) = &model.world.runbooks.catalog else {
        return Vec::new();
    };
    match catalog.for_alert(&alert.labels, &alert.annotations) {
        None => {
            model.ui.notice = Some(format!("no runbook matches {} (b lists them all)", cleaned(&alert.name)));
            Vec::new()
        }
        Some(rb) => {
            let rb = rb.clone();
            let alert = AlertRef { name: alert.name, fingerprint: alert.fingerprint, labels: alert.labels };
            model.ui.notice = None;
            open_view(model, rb, Some(alert))
        }
    }
}

/// The runbook called `name` (from the command palette), with no alert.
pub(super) fn open_named(model: &mut Model, name: &str) -> Vec<Cmd> {
    match model.world.runbooks.catalog.as_ref().and_then(|c| c.get(name)).cloned() {
        Some(rb) => open_view(model, rb, None),
        None => {
            model.ui.notice = Some(format!("no runbook {name}"));
            Vec::new()
        }
    }
}

fn open_view(model: &mut Model, runbook: Runbook, alert: Option<AlertRef>) -> Vec<Cmd> {
    let view = RunbookView::new(runbook, alert);
    let session = session_of(model, &view);
    model.ui.set_runbook(Some(RunbookUi::View(Box::new(view))));
    vec![Cmd::Runbook(RunbookCmd::LoadProgress(Box::new(session)))]
}

fn session_of(model: &Model, view: &RunbookView) -> Session {
    Session {
        runbook: view.runbook.clone(),
        alert: view.alert_key(),
        labels: view.alert.as_ref().map(|a| a.labels.clone()).unwrap_or_default(),
        user: model.world.user.clone(),
        state_path: model.world.config.state_path.clone(),
    }
}

pub(super) fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        // Ctrl-C still quits from anywhere; a running step is cancelled on the way out.
        model.should_quit = true;
        return vec![Cmd::Runbook(RunbookCmd::Cancel), Cmd::Quit];
    }
    match model.ui.take_runbook() {
        None => Vec::new(),
        Some(RunbookUi::List { row }) => on_list_key(model, row, key),
        Some(RunbookUi::View(view)) => on_view_key(model, view, key),
    }
}

fn on_list_key(model: &mut Model, row: usize, key: KeyEvent) -> Vec<Cmd> {
    let n = model.world.runbooks.catalog.as_ref().map(|c| c.runbooks.len()).unwrap_or(0);
    let row = match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('b') => return Vec::new(),
        KeyCode::Up | KeyCode::Char('k') => super::keys::step(row, -1, n),
        KeyCode::Down | KeyCode::Char('j') => super::keys::step(row, 1, n),
        KeyCode::Enter => {
            let rb = model.world.runbooks.catalog.as_ref().and_then(|c| c.runbooks.get(row)).cloned();
            if let Some(rb) = rb {
                return open_view(model, rb, None);
            }
            row
        }
        _ => row,
    };
    model.ui.set_runbook(Some(RunbookUi::List { row }));
    Vec::new()
}

fn on_view_key(model: &mut Model, mut view: Box<RunbookView>, key: KeyEvent) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    let phase = std::mem::replace(&mut view.phase, StepPhase::Idle);
    view.phase = match phase {
        StepPhase::Idle => match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return Vec::new(),
            KeyCode::Enter if view.loaded && !view.finished() => {
                view.error = None;
                let session = session_of(model, &view);
                cmds.push(Cmd::Runbook(RunbookCmd::Prepare { session: Box::new(session), step: view.current }));
                StepPhase::Preparing
            }
            KeyCode::Char('s') if view.loaded && !view.finished() => StepPhase::SkipReason { input: String::new() },
            // A finished run starts again from its first step.
            KeyCode::Char('R') if view.loaded && view.finished() => {
                // The store starts it again; the view follows when it has.
                view.loaded = false;
                view.last = None;
                view.output.clear();
                let session = session_of(model, &view);
                cmds.push(Cmd::Runbook(RunbookCmd::Restart(Box::new(session))));
                StepPhase::Idle
            }
            _ => StepPhase::Idle,
        },
        StepPhase::Preparing => match key.code {
            KeyCode::Esc => StepPhase::Idle,
            _ => StepPhase::Preparing,
        },
        StepPhase::Confirm { prepared, what, typed, mut input } => {
            let confirmed = match (&typed, key.code) {
                (_, KeyCode::Esc) => {
                    view.phase = StepPhase::Idle;
                    model.ui.set_runbook(Some(RunbookUi::View(view)));
                    return Vec::new();
                }
                (None, KeyCode::Char('y') | KeyCode::Enter) => true,
                (None, KeyCode::Char('n')) => {
                    view.phase = StepPhase::Idle;
                    model.ui.set_runbook(Some(RunbookUi::View(view)));
                    return Vec::new();
                }
                (Some(env), KeyCode::Enter) => input == *env,
                (Some(_), KeyCode::Backspace) => {
                    input.pop();
                    false
                }
                (Some(_), KeyCode::Char(c)) if input.chars().count() < 64 => {
                    input.push(c);
                    false
                }
                _ => false,
            };
            if confirmed {
                let session = session_of(model, &view);
                view.output.clear();
                view.dropped = 0;
                view.last = None;
                cmds.push(Cmd::Runbook(RunbookCmd::Execute {
                    session: Box::new(session),
                    step: view.current,
                    prepared: prepared.clone(),
                    what: what.clone(),
                }));
                StepPhase::Running { what }
            } else {
                StepPhase::Confirm { prepared, what, typed, input }
            }
        }
        StepPhase::Running { what } => {
            match key.code {
                KeyCode::Char('c') => cmds.push(Cmd::Runbook(RunbookCmd::Cancel)),
                KeyCode::Esc => {
                    model.ui.notice = Some("a step is running: c cancels it, then Esc leaves".into());
                }
                _ => {}
            }
            StepPhase::Running { what }
        }
        StepPhase::SkipReason { mut input } => match key.code {
            KeyCode::Esc => StepPhase::Idle,
            KeyCode::Enter if !input.trim().is_empty() => {
                let session = session_of(model, &view);
                cmds.push(Cmd::Runbook(RunbookCmd::Skip {
                    session: Box::new(session),
                    step: view.current,
                    reason: input.trim().to_string(),
                }));
                StepPhase::Idle
            }
            KeyCode::Backspace => {
                input.pop();
                StepPhase::SkipReason { input }
            }
            KeyCode::Char(c) if input.chars().count() < 200 => {
                input.push(c);
                StepPhase::SkipReason { input }
            }
            _ => StepPhase::SkipReason { input },
        },
    };
    model.ui.set_runbook(Some(RunbookUi::View(view)));
    cmds
}

/// The open view, if it is `runbook`'s.
fn view_of<'a>(model: &'a mut Model, runbook: &str) -> Option<&'a mut RunbookView> {
    match model.ui.runbook_mut() {
        Some(RunbookUi::View(v)) if v.runbook.name == runbook => Some(v),
        _ => None,
    }
}

fn apply_run(view: &mut RunbookView, run: &RunbookRun) {
    let n = view.runbook.steps.len();
    view.outcomes = run.outcomes.iter().take(n).cloned().collect();
    view.outcomes.resize(n, None);
    view.current = run.next_step.min(n);
    view.updated_by = Some(cleaned(&run.updated_by));
}

pub(super) fn on_event(model: &mut Model, event: RunbookEvent) -> Vec<Cmd> {
    match event {
        RunbookEvent::Loaded(catalog) => {
            let n = catalog.runbooks.len();
            model.world.runbooks.catalog = Some(catalog);
            if let Some(RunbookUi::List { row }) = model.ui.runbook_mut() {
                *row = (*row).min(n.saturating_sub(1));
            }
            open_pending(model)
        }
        RunbookEvent::Progress { runbook, alert, run } => {
            if let Some(view) = view_of(model, &runbook).filter(|v| v.alert_key() == alert) {
                view.loaded = true;
                match run {
                    Ok(Some(run)) => apply_run(view, &run),
                    Ok(None) => {}
                    Err(e) => view.error = Some(cleaned(&e)),
                }
            }
            Vec::new()
        }
        RunbookEvent::Prepared { runbook, step, result } => {
            let config = model.world.config.clone();
            if let Some(view) = view_of(model, &runbook) {
                if view.phase == StepPhase::Preparing && view.current == step {
                    view.phase = match result {
                        Ok(prepared) => {
                            let what = model_mask(&prepared.what());
                            let typed = prepared.typed_confirmation(&config);
                            StepPhase::Confirm { prepared: Box::new(prepared), what, typed, input: String::new() }
                        }
                        Err(e) => {
                            view.error = Some(cleaned(&e));
                            StepPhase::Idle
                        }
                    };
                }
            }
            Vec::new()
        }
        RunbookEvent::Line { runbook, step, line } => {
            if let Some(view) = view_of(model, &runbook).filter(|v| v.current == step) {
                view.push_line(cleaned(&line));
            }
            Vec::new()
        }
        RunbookEvent::Ended { runbook, step, report, run } => {
            let notice =
                format!("{runbook} step {}: {} ({})", step + 1, report.outcome.as_str(), cleaned(&report.summary));
            if let Some(view) = view_of(model, &runbook) {
                view.phase = StepPhase::Idle;
                view.last = Some(StepResultLine {
                    step,
                    outcome: report.outcome.as_str().into(),
                    summary: cleaned(&report.summary),
                    millis: report.duration.as_millis() as u64,
                });
                match run {
                    Ok(run) => apply_run(view, &run),
                    Err(e) => view.error = Some(format!("not recorded: {}", cleaned(&e))),
                }
            } else {
                model.ui.notice = Some(notice);
            }
            vec![Cmd::RefreshStore]
        }
        RunbookEvent::Skipped { runbook, step: _, run } => {
            if let Some(view) = view_of(model, &runbook) {
                match run {
                    Ok(run) => apply_run(view, &run),
                    Err(e) => view.error = Some(cleaned(&e)),
                }
            }
            vec![Cmd::RefreshStore]
        }
    }
}

/// Outside text for the view: cleaned, masked (inside `update`'s masking scope) line by line.
fn model_mask(text: &str) -> String {
    text.lines().map(cleaned).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests;
