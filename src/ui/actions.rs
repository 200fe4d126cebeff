//! The Actions pane: running actions first, then recent ones (from the shared journal, so other
//! users' and other processes' actions show too), the selected action's steps with what each did
//! and how long it took, and the locks held right now.

use super::columns::{self, Column};
use super::common::{self, fit_line, pane_block, pane_title};
use crate::actions::ActionPlan;
use crate::model::{short_age, Model};
use crate::store::{ActionOutcome, JournalEntry, LockInfo, StepPhase};
use crate::theme::Theme;
use chrono::{DateTime, Duration, Utc};
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
    let recent = &model.actions.recent;
    recent.iter().filter(|e| e.finish.is_none()).chain(recent.iter().filter(|e| e.finish.is_some())).collect()
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer, focused: bool) {
    let rows = rows(model);
    let running = rows.iter().filter(|e| e.finish.is_none()).count();
    let subject = (running > 0).then(|| format!("{running} running"));
    let block = pane_block(pane_title("Actions", subject.as_deref()), theme, focused);
    let mut inner = block.inner(area);
    block.render(area, buf);

    if let Some(error) = &model.actions.error {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let line = Line::styled(format!("✗ state store: {error}"), theme.crit);
        Paragraph::new(fit_line(line, usize::from(top.width))).render(top, buf);
        inner = rest;
    }
    if !model.actions.locks.is_empty() {
        let [rest, bottom] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        Paragraph::new(locks_line(model, theme, &model.actions.locks, bottom.width)).render(bottom, buf);
        inner = rest;
    }
    if rows.is_empty() {
        let text = if model.actions.error.is_some() { "" } else { "no actions yet: p promotes, r rolls back" };
        Paragraph::new(fit_line(Line::styled(text, theme.dim), usize::from(inner.width))).render(inner, buf);
        return;
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
    let table = Table::new(fitted.rows, fitted.widths).header(fitted.header).row_highlight_style(highlight);
    StatefulWidget::render(table, list_area, buf, &mut state);

    let steps_area = match model.actions.drains.get(&entry.id.0).filter(|_| super::drain::shown(entry)) {
        Some(trace) if steps_area.height > super::drain::HEIGHT + DETAIL_HEAD => {
            // On top of the detail: while it drains, this is what the operator watches.
            let [drain, rest] =
                Layout::vertical([Constraint::Length(super::drain::HEIGHT), Constraint::Min(0)]).areas(steps_area);
            super::drain::render(trace, theme, drain, buf);
            rest
        }
        _ => steps_area,
    };
    render_detail(model, theme, entry, &steps, steps_area, buf);
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
        age.push(vec![Line::styled(short_age(a.started_at, model.now), theme.dim)]);
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

/// Lines above the steps: what the selected action does, and how it stands.
const DETAIL_HEAD: u16 = 2;

fn render_detail(model: &Model, theme: &Theme, entry: &JournalEntry, steps: &[StepView], area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let width = usize::from(area.width);
    let [head, list] = Layout::vertical([Constraint::Length(DETAIL_HEAD), Constraint::Min(0)]).areas(area);
    let head_lines = vec![
        fit_line(choose(what_lines(theme, entry), width), width),
        fit_line(status_line(model, theme, entry, steps), width),
    ];
    Paragraph::new(head_lines).render(head, buf);
    if list.height == 0 || steps.is_empty() {
        return;
    }

    let (shown, above, below) = window(steps.len(), usize::from(list.height), focus_step(steps));
    let [top, table_area, bottom] = Layout::vertical([
        Constraint::Length(u16::from(above > 0)),
        Constraint::Length(shown.len() as u16),
        Constraint::Length(u16::from(below > 0)),
    ])
    .areas(list);
    let more = |n: usize, where_: &str| Line::styled(format!("  … {n} {where_}"), theme.dim);
    if above > 0 {
        let done = steps[..above].iter().all(|s| s.state == StepState::Done);
        let line = if done { Line::styled(format!("✓ … {above} done"), theme.ok) } else { more(above, "earlier") };
        Paragraph::new(line).render(top, buf);
    }
    if below > 0 {
        Paragraph::new(more(below, "more")).render(bottom, buf);
    }

    let mut step = Column::new("step", 0, 8).max(48);
    let mut time = Column::new("took", 1, 4);
    let mut note = Column::new("note", 2, 8).flex();
    for s in &steps[shown] {
        let (glyph, style) = step_glyph(theme, s.state);
        let label_style = match s.state {
            StepState::Pending => theme.dim,
            StepState::Running => theme.header,
            _ => theme.text,
        };
        let label = || Span::styled(s.label.clone(), label_style);
        step.push(vec![Line::from(vec![Span::styled(format!("{glyph} "), style), label()])]);
        let t = match (s.state, s.started, s.ended) {
            (_, Some(from), Some(to)) => took(to - from),
            (StepState::Running, Some(from), None) => took(model.now - from),
            _ => String::new(),
        };
        time.push(vec![Line::styled(t, if s.state == StepState::Running { theme.text } else { theme.dim })]);
        let note_style = if s.state == StepState::Failed { theme.crit } else { theme.dim };
        let text = if s.state == StepState::Pending && entry.finish.is_some() { "not run" } else { s.note.as_str() };
        note.push(vec![Line::styled(text.to_string(), note_style)]);
    }
    let fitted = columns::fit(vec![step, time, note], table_area.width, theme);
    Widget::render(Table::new(fitted.rows, fitted.widths), table_area, buf);
}

/// The first of `lines` that fits `width`, or the last.
fn choose(lines: Vec<Line<'_>>, width: usize) -> Line<'_> {
    let n = lines.len();
    lines.into_iter().enumerate().find(|(i, l)| l.width() <= width || i + 1 == n).map(|(_, l)| l).unwrap_or_default()
}

/// "#14 rollback api/prod: v1.2.0 8a1b0c7 -> v1.1.0 5d4e3f2 on prod-1, prod-2 by alice", and
/// shorter forms for narrow panes (the list row already names the service and environment).
fn what_lines<'a>(theme: &Theme, entry: &JournalEntry) -> Vec<Line<'a>> {
    let a = &entry.action;
    let short = |im: &crate::store::ImageRef| crate::model::views::short_digest(&im.digest).to_string();
    let from_full = a.from.as_ref().map_or("nothing".to_string(), |f| format!("{} {}", f.tag, short(f)));
    let from_tag = a.from.as_ref().map_or("nothing", |f| f.tag.as_str());
    let hosts = a.hosts.join(", ");
    let id = Span::styled(format!("{} ", entry.id), theme.dim);
    let subject = format!("{} {}/{}: ", a.kind, a.service, a.env);
    [
        format!("{subject}{from_full} -> {} {} on {hosts} by {}", a.to.tag, short(&a.to), a.user),
        format!("{from_full} -> {} {} on {hosts} by {}", a.to.tag, short(&a.to), a.user),
        format!("{from_tag} -> {} on {hosts} by {}", a.to.tag, a.user),
        format!("{from_tag} -> {} by {}", a.to.tag, a.user),
    ]
    .into_iter()
    .map(|text| Line::from(vec![id.clone(), Span::styled(text, theme.text)]))
    .collect()
}

/// "▶ running 14s · step 6/12", or "rolled back after 1m16s, 40m ago: <why>".
fn status_line<'a>(model: &Model, theme: &Theme, entry: &JournalEntry, steps: &[StepView]) -> Line<'a> {
    let a = &entry.action;
    match &entry.finish {
        None => {
            let done = steps.iter().filter(|s| s.state == StepState::Done).count();
            let ours = if model.actions.ours.contains(&entry.id.0) { "" } else { " (another console)" };
            Line::styled(
                format!("▶ running {} · {done}/{} steps done{ours}", took(model.now - a.started_at), steps.len()),
                theme.header,
            )
        }
        Some(f) => {
            let (word, style) = outcome_word(theme, f.outcome);
            let mut spans = vec![Span::styled(
                format!("{word} in {}, {} ago", took(f.at - a.started_at), short_age(f.at, model.now)),
                style,
            )];
            if !f.reason.is_empty() {
                spans.push(Span::styled(format!(": {}", f.reason), style));
            }
            Line::from(spans)
        }
    }
}

/// Which of `n` steps fit in `height` lines around `focus`: the range shown, and how many are
/// hidden above and below (each hidden group takes one line to say so). The step before the
/// focus stays in view, for context.
fn window(n: usize, height: usize, focus: usize) -> (std::ops::Range<usize>, usize, usize) {
    if n <= height {
        return (0..n, 0, 0);
    }
    if height < 3 {
        let start = focus.min(n - height.max(1).min(n));
        let end = (start + height).min(n);
        return (start..end, 0, 0);
    }
    let body = height - 2;
    let first = if body >= 2 { focus.saturating_sub(1) } else { focus };
    let tail_start = n - (height - 1);
    if first == 0 {
        (0..height - 1, 0, n - (height - 1))
    } else if first >= tail_start {
        (tail_start..n, tail_start, 0)
    } else {
        (first..first + body, first, n - (first + body))
    }
}

/// "locks: api/prod alice@bastion pid 4242 14s · web/dev …": who holds what, for how long.
fn locks_line<'a>(model: &Model, theme: &Theme, locks: &[LockInfo], width: u16) -> Line<'a> {
    let mut spans = vec![Span::styled("◆ locks:", theme.warn)];
    for (i, l) in locks.iter().enumerate() {
        let sep = if i == 0 { " " } else { " · " };
        spans.push(Span::styled(
            format!("{sep}{}/{} {} since {}", l.service, l.env, l.holder, short_age(l.since, model.now)),
            theme.text,
        ));
    }
    common::fit_line(Line::from(spans), usize::from(width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pane;
    use crate::test_support::{gen_actions_model, gen_demo_model};
    use crate::ui::tests::{find, pane};
    use insta::assert_snapshot;

    fn actions_model(row: usize) -> Model {
        let mut m = gen_actions_model();
        m.ui.focus = Pane::Actions;
        m.ui.action_row = row;
        m
    }

    /// Actions pane alone at 80x24, the running prod rollback selected: five steps done, the
    /// sixth running, the rest pending; the lock it holds at the bottom.
    #[test]
    fn actions_running_80x24() {
        assert_snapshot!(pane(&actions_model(0), 80, 24, render, true));
    }

    /// Actions pane alone at 160x48, the running prod rollback selected: steps beside the list.
    #[test]
    fn actions_running_160x48() {
        assert_snapshot!(pane(&actions_model(0), 160, 48, render, true));
    }

    /// Actions pane at 80x24, the web promote rolled back by its watch selected, with the reason.
    #[test]
    fn actions_rolled_back_80x24() {
        assert_snapshot!(pane(&actions_model(1), 80, 24, render, true));
    }

    /// Actions pane at 160x48, the web promote rolled back by its watch selected.
    #[test]
    fn actions_rolled_back_160x48() {
        assert_snapshot!(pane(&actions_model(1), 160, 48, render, true));
    }

    /// Actions pane at 80x24, the staging promote that succeeded selected: every step done.
    #[test]
    fn actions_succeeded_80x24() {
        assert_snapshot!(pane(&actions_model(3), 80, 24, render, true));
    }

    /// Actions pane at 160x48, the staging promote that succeeded selected.
    #[test]
    fn actions_succeeded_160x48() {
        assert_snapshot!(pane(&actions_model(3), 160, 48, render, true));
    }

    /// Actions pane at 36x14 (its slot at 80x24), the running rollback selected: the list keeps
    /// where and state, the steps window keeps the running step in view.
    #[test]
    fn actions_running_narrow() {
        assert_snapshot!(pane(&actions_model(0), 36, 14, render, true));
    }

    /// Actions pane with nothing journaled yet, and with the state store unreadable.
    #[test]
    fn actions_empty_and_store_error() {
        let m = gen_demo_model();
        assert_snapshot!("actions_empty", pane(&m, 44, 5, render, false));
        let mut m = gen_actions_model();
        m.actions.error = Some("database is locked".into());
        assert_snapshot!("actions_store_error", pane(&m, 44, 8, render, false));
    }

    /// Colour: succeeded is ok, failed crit, rolled back warn; a failed step's reason is crit.
    #[test]
    fn actions_outcome_styles() {
        let theme = Theme::default();
        let backend = pane(&actions_model(2), 160, 48, render, false);
        let buf = backend.buffer();
        for (word, style) in [("succeeded", theme.ok), ("failed", theme.crit), ("rolled back", theme.warn)] {
            let (x, y) = find(buf, word).unwrap_or_else(|| panic!("no {word}:\n{backend}"));
            assert_eq!(buf[(x, y)].fg, style.fg.unwrap_or_default(), "{word}");
        }
        let (x, y) = find(buf, "start: no answer within 2m").expect("the failed step's reason");
        assert_eq!(buf[(x, y)].fg, theme.crit.fg.unwrap_or_default());
        let (x, y) = find(buf, "✗ dev-1: start green").expect("the failed step");
        assert_eq!(buf[(x, y)].fg, theme.crit.fg.unwrap_or_default());
        let undone = {
            let mut m = actions_model(0);
            m.actions.recent[1].finish.as_mut().expect("finished").outcome = ActionOutcome::Undone;
            m
        };
        let backend = pane(&undone, 160, 48, render, false);
        let (x, y) = find(backend.buffer(), "undone").expect("undone");
        assert_eq!(backend.buffer()[(x, y)].fg, theme.warn.fg.unwrap_or_default());
    }

    /// The journal's two records per step collapse into one line each, in plan order, with the
    /// plan's steps not yet journaled pending after them.
    #[test]
    fn steps_collapse_per_index() {
        let m = gen_actions_model();
        let steps = step_views(&m.actions.recent[0]);
        assert_eq!(steps.len(), 12);
        let states: Vec<StepState> = steps.iter().map(|s| s.state).collect();
        assert_eq!(&states[..5], &[StepState::Done; 5]);
        assert_eq!(&states[5..], &[vec![StepState::Running], vec![StepState::Pending; 6]].concat()[..]);
        assert_eq!(steps[5].label, "prod-2: wait for green healthy");
        assert_eq!(steps[2].note, "healthy after 2.1s");
        assert_eq!(focus_step(&steps), 5);
        // A step left "started" by an action that ended did not finish.
        let mut e = m.actions.recent[0].clone();
        e.finish = m.actions.recent[1].finish.clone();
        assert_eq!(step_views(&e)[5].state, StepState::Failed);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(took(Duration::milliseconds(40)), "40ms");
        assert_eq!(took(Duration::milliseconds(300)), "0.3s");
        assert_eq!(took(Duration::seconds(48)), "48s");
        assert_eq!(took(Duration::seconds(76)), "1m16s");
        assert_eq!(took(Duration::minutes(125)), "2h05m");
    }

    #[test]
    fn the_window_keeps_the_focus_in_view() {
        assert_eq!(window(5, 8, 2), (0..5, 0, 0));
        assert_eq!(window(12, 5, 0), (0..4, 0, 8));
        assert_eq!(window(12, 5, 5), (4..7, 4, 5));
        assert_eq!(window(12, 5, 11), (8..12, 8, 0));
        for n in 1..14 {
            for h in 1..14 {
                for f in 0..n {
                    let (r, above, below) = window(n, h, f);
                    let lines = r.len() + usize::from(above > 0) + usize::from(below > 0);
                    assert!(lines <= h.max(1), "n={n} h={h} f={f}");
                    assert!(r.contains(&f) || r.is_empty(), "n={n} h={h} f={f} {r:?}");
                    if h >= 3 || n <= h {
                        assert_eq!(above + r.len() + below, n, "n={n} h={h} f={f}");
                    }
                }
            }
        }
    }
}
