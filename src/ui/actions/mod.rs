//! The Actions pane: running actions first, then recent ones (from the shared journal, so other
//! users' and other processes' actions show too), the selected action's steps with what each did
//! and how long it took, and the locks held right now.

use super::columns::{self, Column};
use super::common::{self, fit_line, pane_block, pane_title};
use crate::keymap::Action;
use crate::model::{short_age, Model};
use crate::theme::Theme;
use crate::ui::hits::Rows;
use chrono::{DateTime, Duration, Utc};
use opsdeck_core::actions::ActionPlan;
use opsdeck_core::store::{ActionOutcome, JournalEntry, LockInfo, StepPhase};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, StatefulWidget, Table, TableState, Widget};
use std::collections::BTreeMap;

/// From this inner width on, the selected action's steps sit beside the list instead of below it.
const BESIDE: u16 = 100;

/// Steps shown under the list at least (when there are that many), however many actions there are.
const MIN_STEPS: u16 = 3;

/// The actions in the order the pane lists them (and `action_row` counts): running first, then
/// the rest, each group newest first as the journal gives them.
pub fn rows(model: &Model) -> Vec<&JournalEntry> {
    let recent = &model.world.actions.recent;
    recent.iter().filter(|e| e.finish.is_none()).chain(recent.iter().filter(|e| e.finish.is_some())).collect()
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer, focused: bool) -> Option<Rows> {
    let rows = rows(model);
    let running = rows.iter().filter(|e| e.finish.is_none()).count();
    let subject = (running > 0).then(|| format!("{running} running"));
    let block = pane_block(pane_title("Actions", subject.as_deref()), theme, focused);
    let mut inner = block.inner(area);
    block.render(area, buf);

    if let Some(error) = &model.world.actions.error {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let line = Line::styled(format!("✗ state store: {error}"), theme.crit);
        Paragraph::new(fit_line(line, usize::from(top.width))).render(top, buf);
        inner = rest;
    }
    if !model.world.actions.locks.is_empty() {
        let [rest, bottom] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        Paragraph::new(locks_line(model, theme, &model.world.actions.locks, bottom.width)).render(bottom, buf);
        inner = rest;
    }
    if rows.is_empty() {
        // Named by the keys the keymap binds now, not the defaults.
        let keys = &model.keymap;
        let (promote, rollback) = (keys.label(Action::Promote), keys.label(Action::Rollback));
        let text = if model.world.actions.error.is_some() {
            String::new()
        } else {
            format!("no actions yet: {promote} promotes, {rollback} rolls back")
        };
        Paragraph::new(fit_line(Line::styled(text, theme.dim), usize::from(inner.width))).render(inner, buf);
        return None;
    }

    let selected = model.ui.action_row.min(rows.len() - 1);
    let entry = rows[selected];
    let steps = step_views(entry);
    let (list_area, steps_area) = if inner.width >= BESIDE {
        let [list, _, steps] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        (list, steps)
    } else {
        // The list as tall as it needs, leaving the steps a few lines; the steps get the rest.
        let list_want = rows.len() as u16 + 1;
        let steps_min = DETAIL_HEAD + MIN_STEPS.min(steps.len() as u16);
        let list = list_want.min(inner.height.saturating_sub(steps_min).max(2));
        let [list, steps] = Layout::vertical([Constraint::Length(list), Constraint::Min(0)]).areas(inner);
        (list, steps)
    };

    let fitted = columns::fit(action_columns(model, theme, &rows), list_area.width, theme);
    let highlight = if focused { theme.selected } else { theme.selected_blur };
    let mut state = TableState::default().with_selected(Some(selected));
    let header_height = fitted.header_height;
    let table = Table::new(fitted.rows, fitted.widths).header(fitted.header).row_highlight_style(highlight);
    StatefulWidget::render(table, list_area, buf, &mut state);
    let hits = Rows::new(list_area, header_height, state.offset(), rows.len());

    // On top of the detail, what the operator watches while it lasts: the old server's sessions
    // while it drains; a canary's ladder and figures while it holds a stage.
    let drain = model.world.actions.drains.get(&entry.id.0).filter(|_| super::drain::shown(entry));
    let steps_area =
        on_top(steps_area, super::drain::HEIGHT, drain, |t, area| super::drain::render(t, theme, area, buf));
    let stage = model.world.actions.stages.get(&entry.id.0).filter(|_| entry.finish.is_none());
    let steps_area =
        on_top(steps_area, super::canary::HEIGHT, stage, |s, area| super::canary::render(s, theme, area, buf));
    render_detail(model, theme, entry, &steps, steps_area, buf);
    Some(hits)
}

/// `area` less `height` lines at its top, where `draw` draws `what`, when there is one and room
/// is left for the detail's head.
fn on_top<T>(area: Rect, height: u16, what: Option<&T>, draw: impl FnOnce(&T, Rect)) -> Rect {
    match what {
        Some(what) if area.height > height + DETAIL_HEAD => {
            let [top, rest] = Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area);
            draw(what, top);
            rest
        }
        _ => area,
    }
}

/// Where a step is, as the journal tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepState {
    Done,
    Running,
    Failed,
    /// Not started: still to come, or (for an action that ended) never run.
    Pending,
}

/// One step of an action: the journal's "started" and "finished"/"failed" records collapsed,
/// or the plan's step when the journal has nothing for it yet.
#[derive(Debug, Clone, PartialEq)]
struct StepView {
    label: String,
    state: StepState,
    note: String,
    started: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
}

/// Every step of `entry` in plan order: the plan (when the journal holds one this version reads)
/// says which steps there are; the journal says what became of them.
fn step_views(entry: &JournalEntry) -> Vec<StepView> {
    let plan: Option<ActionPlan> = serde_json::from_value(entry.action.plan.clone()).ok();
    let mut seen: BTreeMap<u32, StepView> = BTreeMap::new();
    for rec in &entry.steps {
        let view = seen.entry(rec.step_index).or_insert_with(|| StepView {
            label: rec.step_name.clone(),
            state: StepState::Pending,
            note: String::new(),
            started: None,
            ended: None,
        });
        match rec.phase {
            StepPhase::Started => {
                view.state = StepState::Running;
                view.started = Some(rec.at);
            }
            StepPhase::Finished | StepPhase::Failed => {
                view.state = if rec.phase == StepPhase::Finished { StepState::Done } else { StepState::Failed };
                view.ended = Some(rec.at);
                view.note = rec.detail.clone();
            }
        }
    }
    let planned = plan.as_ref().map_or(0, |p| p.steps.len());
    let journaled = seen.keys().next_back().map_or(0, |i| *i as usize + 1);
    (0..planned.max(journaled))
        .map(|i| {
            let mut view = seen.remove(&(i as u32)).unwrap_or_else(|| StepView {
                label: plan.as_ref().and_then(|p| p.steps.get(i).map(|s| s.label(p))).unwrap_or_default(),
                state: StepState::Pending,
                note: String::new(),
                started: None,
                ended: None,
            });
            // A step that started in an action that has ended never finished: its process died.
            if view.state == StepState::Running && entry.finish.is_some() {
                view.state = StepState::Failed;
                view.note = "did not finish".into();
            }
            view
        })
        .collect()
}

/// "40ms", "0.3s", "2.1s", "48s", "1m16s", "2h05m".
fn took(d: Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    match ms {
        ms if ms < 100 => format!("{ms}ms"),
        ms if ms < 10_000 => format!("{:.1}s", ms as f64 / 1000.0),
        ms if ms < 60_000 => format!("{}s", ms / 1000),
        ms if ms < 3_600_000 => format!("{}m{:02}s", ms / 60_000, ms / 1000 % 60),
        ms => format!("{}h{:02}m", ms / 3_600_000, ms / 60_000 % 60),
    }
}

/// The outcome as a word, in its colour: succeeded ok, failed crit, rolled back and undone warn
/// (traffic is back where it was, but what was asked for did not happen).
fn outcome_word(theme: &Theme, outcome: ActionOutcome) -> (&'static str, Style) {
    match outcome {
        ActionOutcome::Succeeded => ("succeeded", theme.ok),
        ActionOutcome::Failed => ("failed", theme.crit),
        ActionOutcome::RolledBack => ("rolled back", theme.warn),
        ActionOutcome::Undone => ("undone", theme.warn),
    }
}

fn step_glyph(theme: &Theme, state: StepState) -> (&'static str, Style) {
    match state {
        StepState::Done => ("✓", theme.ok),
        StepState::Running => ("▶", theme.header),
        StepState::Failed => ("✗", theme.crit),
        StepState::Pending => ("·", theme.dim),
    }
}

/// The step an eye looks for: the running one, the failed one, or else the last that ran.
fn focus_step(steps: &[StepView]) -> usize {
    steps
        .iter()
        .position(|s| matches!(s.state, StepState::Running | StepState::Failed))
        .or_else(|| steps.iter().rposition(|s| s.state == StepState::Done))
        .unwrap_or(0)
}

/// The list's columns, most important kept first: where and how it stands, then its kind and
/// age, what changed, the running step or why it did not succeed, who ran it and how long it took.
fn action_columns<'a>(model: &Model, theme: &Theme, rows: &[&JournalEntry]) -> Vec<Column<'a>> {
    let mut id = Column::new("id", 5, 3);
    let mut kind = Column::new("kind", 1, 4);
    let mut target = Column::new("where", 0, 6).max(24);
    let mut change = Column::new("change", 2, 8).max(34);
    let mut user = Column::new("by", 4, 3).max(12);
    let mut state = Column::new("state", 0, 6);
    // No header: it reads on from the state ("▶ 6/12 prod-2: wait for green healthy"). Left out
    // rather than cut to a few letters: the lines under the list say it in full.
    let mut why = Column::new("", 3, 20).flex();
    let mut age = Column::new("age", 1, 3);
    let mut duration = Column::new("took", 4, 4);
    for e in rows {
        let a = &e.action;
        id.push(vec![Line::styled(e.id.to_string(), theme.dim)]);
        let short: String = a.kind.chars().take(4).collect();
        kind.push(vec![Line::from(a.kind.clone()), Line::from(short)]);
        target.push(vec![Line::from(format!("{}/{}", a.service, a.env))]);
        let from = a.from.as_ref().map_or("none", |f| f.tag.as_str());
        change.push(vec![Line::from(format!("{from} -> {}", a.to.tag)), Line::from(format!("-> {}", a.to.tag))]);
        user.push(vec![Line::from(a.user.clone())]);
        age.push(vec![Line::styled(short_age(a.started_at, model.world.now), theme.dim)]);
        match &e.finish {
            None => {
                let steps = step_views(e);
                let at = focus_step(&steps);
                state.push(vec![Line::styled(format!("▶ {}/{}", at + 1, steps.len()), theme.header)]);
                let label = steps.get(at).map_or(String::new(), |s| s.label.clone());
                why.push(vec![Line::styled(label, theme.header)]);
                // Still going: the age says for how long.
                duration.push(vec![Line::default()]);
            }
            Some(f) => {
                let (word, style) = outcome_word(theme, f.outcome);
                state.push(vec![Line::styled(word, style)]);
                why.push(vec![Line::styled(f.reason.clone(), theme.dim)]);
                duration.push(vec![Line::styled(took(f.at - a.started_at), theme.dim)]);
            }
        }
    }
    vec![id, kind, target, change, user, state, why, age, duration]
}

mod detail;

#[cfg(test)]
use detail::window;
use detail::{locks_line, render_detail, DETAIL_HEAD};

#[cfg(test)]
mod tests;
