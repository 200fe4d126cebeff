//! The runbook overlay, over the panes: `b`'s list of runbooks (with the files that did not
//! parse), or one runbook: its steps marked done, skipped, failed or current; the current step's
//! prose and block; exactly what will run while it is confirmed; its streaming output, exit
//! status and duration; and the keys that apply now.

use super::common::{centered, fit_line, pane_block, truncate, wrap_line};
use crate::model::runbook::{RunbookUi, RunbookView, StepPhase};
use crate::model::Model;
use crate::theme::Theme;
use opsdeck_core::runbook::StepBlock;
use opsdeck_core::text::clean;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};

/// From this width on, the steps sit in a column beside the current step.
const SIDE_BY_SIDE: u16 = 100;

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    match model.ui.runbook() {
        Some(RunbookUi::List { row }) => render_list(model, *row, theme, area, buf),
        Some(RunbookUi::View(view)) => render_view(view, theme, area, buf),
        None => {}
    }
}

fn render_list(model: &Model, row: usize, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = pane_block(Line::from(" Runbooks "), theme, true);
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let [list, hint] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let mut lines = Vec::new();
    match &model.world.runbooks.catalog {
        None => lines.push(Line::styled(super::common::PENDING, theme.dim)),
        Some(c) => {
            if c.runbooks.is_empty() {
                let folders: Vec<String> =
                    model.world.config.runbooks.iter().map(|p| p.display().to_string()).collect();
                lines.push(Line::styled(format!("no runbooks in {}", folders.join(", ")), theme.dim));
            }
            let name_w = c.runbooks.iter().map(|r| r.name.len()).max().unwrap_or(0).min(36);
            for (i, rb) in c.runbooks.iter().enumerate() {
                let alerts: Vec<&str> = rb.alerts.iter().map(|a| a.source.as_str()).collect();
                let style = if i == row { theme.selected } else { theme.text };
                let line = Line::from(vec![
                    Span::styled(
                        format!("{:name_w$}  ", truncate(&rb.name, name_w)),
                        style.add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!("{:>2} steps  ", rb.steps.len()), style),
                    Span::styled(clean(&alerts.join(" | ")).into_owned(), if i == row { style } else { theme.warn }),
                    Span::styled(format!("  {}", clean(&rb.summary)), if i == row { style } else { theme.dim }),
                ]);
                lines.push(fit_line(line, width));
            }
            if !c.errors.is_empty() {
                lines.push(Line::default());
                lines.push(Line::styled(format!("not usable ({}):", c.errors.len()), theme.crit));
                for e in &c.errors {
                    for l in wrap_line(Line::styled(format!("✗ {}", clean(&e.to_string())), theme.crit), width) {
                        lines.push(l);
                    }
                }
            }
        }
    }
    Paragraph::new(lines).render(list, buf);
    hints(&[("↑↓", "choose"), ("Enter", "open"), ("Esc", "close")], theme, hint, buf);
}

fn render_view(view: &RunbookView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let rb = &view.runbook;
    let title = rb.title.as_deref().unwrap_or(&rb.name);
    let mut head = format!(" Runbook · {}", clean(title));
    if let Some(a) = &view.alert {
        let place: Vec<&str> = ["service", "env"].iter().filter_map(|k| a.labels.get(*k).map(String::as_str)).collect();
        head.push_str(&format!(" · for {} {}", clean(&a.name), clean(&place.join("/"))));
    }
    head.push(' ');
    let block = pane_block(Line::from(head), theme, true);
    let inner = block.inner(area);
    block.render(area, buf);
    let [body, hint] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let (steps_area, detail_area) = if body.width >= SIDE_BY_SIDE {
        let w = (body.width * 35 / 100).clamp(28, 48);
        let [s, gap, d] =
            Layout::horizontal([Constraint::Length(w), Constraint::Length(1), Constraint::Min(0)]).areas(body);
        let _ = gap;
        (s, d)
    } else {
        let h = (rb.steps.len() as u16 + 1).min(body.height / 3).max(2);
        let [s, d] = Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(body);
        (s, d)
    };
    render_steps(view, theme, steps_area, buf);
    render_detail(view, theme, detail_area, buf);
    match &view.phase {
        StepPhase::Idle if !view.loaded => line(Line::styled("reading where this run stands…", theme.dim), hint, buf),
        StepPhase::Idle if view.finished() => {
            hints(&[("R", "run it again from step 1"), ("Esc", "leave")], theme, hint, buf);
        }
        StepPhase::Idle => hints(
            &[("Enter", "run this step"), ("s", "skip it (say why)"), ("Esc", "leave (progress kept)")],
            theme,
            hint,
            buf,
        ),
        StepPhase::Preparing => {
            line(Line::styled("working out exactly what this step runs…  Esc back", theme.dim), hint, buf)
        }
        StepPhase::Running { .. } => hints(&[("c", "cancel the step")], theme, hint, buf),
        StepPhase::SkipReason { input } => line(
            Line::from(vec![
                Span::styled("why skip it? ", theme.warn),
                Span::styled(format!("{input}▏"), theme.text),
                Span::styled("  Enter record · Esc back", theme.dim),
            ]),
            hint,
            buf,
        ),
        StepPhase::Confirm { .. } => {}
    }
    if let StepPhase::Confirm { what, typed, input, .. } = &view.phase {
        render_confirm(view, what, typed.as_deref(), input, theme, area, buf);
    }
}

fn mark(outcome: Option<&str>, current: bool, theme: &Theme) -> (&'static str, Style) {
    match (outcome, current) {
        (Some("failed" | "timed_out" | "cancelled"), true) => ("✗", theme.crit.add_modifier(Modifier::BOLD)),
        (_, true) => ("▶", theme.focus_title),
        (Some("succeeded"), _) => ("✓", theme.ok),
        (Some("requested"), _) => ("✓", theme.warn),
        (Some("skipped"), _) => ("↷", theme.dim),
        (Some(_), _) => ("✗", theme.crit),
        (None, _) => ("·", theme.dim),
    }
}

fn render_steps(view: &RunbookView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    let mut lines: Vec<Line> = Vec::new();
    for (i, step) in view.runbook.steps.iter().enumerate() {
        let current = i == view.current;
        let (glyph, style) = mark(view.outcomes.get(i).and_then(|o| o.as_deref()), current, theme);
        let text_style = if current { theme.text.add_modifier(Modifier::BOLD) } else { theme.text };
        let l = Line::from(vec![
            Span::styled(format!("{glyph} "), style),
            Span::styled(format!("{}. ", i + 1), theme.dim),
            Span::styled(clean(&step.title).into_owned(), text_style),
            Span::styled(format!("  {}", step.block.kind()), theme.dim),
        ]);
        lines.push(fit_line(l, width));
    }
    if view.finished() && view.loaded {
        lines.push(Line::styled("✓ all steps done", theme.ok));
    }
    // Keep the current step in sight on a short screen.
    let h = usize::from(area.height);
    let skip = if view.current >= h { view.current + 1 - h } else { 0 };
    Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).render(area, buf);
}

fn render_detail(view: &RunbookView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    let mut top: Vec<Line> = Vec::new();
    let n = view.runbook.steps.len();
    let Some(step) = view.runbook.steps.get(view.current) else {
        top.push(Line::styled(format!("All {n} steps done."), theme.ok));
        if let Some(by) = &view.updated_by {
            top.push(Line::styled(format!("last step recorded by {by}"), theme.dim));
        }
        push_result(view, theme, width, &mut top);
        Paragraph::new(top).render(area, buf);
        return;
    };
    top.push(fit_line(
        Line::from(vec![
            Span::styled(format!("Step {} of {n}: ", view.current + 1), theme.dim),
            Span::styled(clean(&step.title).into_owned(), theme.title.add_modifier(Modifier::BOLD)),
        ]),
        width,
    ));
    if let Some(by) = view.updated_by.as_ref().filter(|_| view.current > 0) {
        top.push(Line::styled(format!("resumed: last step recorded by {by}"), theme.dim));
    }
    top.push(Line::default());
    top.extend(super::runbook_prose::lines(&step.prose, theme, width));
    top.push(Line::default());
    match &step.block {
        StepBlock::Manual => top.push(Line::styled("a manual check: Enter when done", theme.warn)),
        block => {
            for l in block.describe().lines() {
                top.push(fit_line(
                    Line::from(vec![Span::styled("┃ ", theme.dim), Span::styled(clean(l).into_owned(), theme.key)]),
                    width,
                ));
            }
        }
    }
    if let Some(e) = &view.error {
        for l in wrap_line(Line::styled(format!("✗ {e}"), theme.crit), width) {
            top.push(l);
        }
    }
    // The output gets what is left; the newest lines stay in sight.
    let mut bottom: Vec<Line> = Vec::new();
    if matches!(view.phase, StepPhase::Running { .. }) || !view.output.is_empty() || view.last.is_some() {
        bottom.push(Line::styled("output", theme.header));
    }
    let mut out_lines: Vec<Line> =
        view.output.iter().map(|l| fit_line(Line::styled(format!("  {l}"), theme.text), width)).collect();
    if let StepPhase::Running { .. } = view.phase {
        out_lines.push(Line::styled("  running…", theme.dim));
    }
    let mut tail: Vec<Line> = Vec::new();
    push_result(view, theme, width, &mut tail);
    let room = usize::from(area.height).saturating_sub(top.len() + bottom.len() + tail.len() + 1);
    let cut = out_lines.len().saturating_sub(room.max(1));
    let dropped = view.dropped + cut as u64;
    if dropped > 0 && room > 1 {
        bottom.push(Line::styled(format!("  … {dropped} earlier lines not shown"), theme.dim));
        out_lines.drain(..(cut + 1).min(out_lines.len()));
    } else {
        out_lines.drain(..cut.min(out_lines.len()));
    }
    let all: Vec<Line> = top.into_iter().chain(bottom).chain(out_lines).chain(tail).collect();
    // When even the prose does not fit, its end gives way, not the output.
    Paragraph::new(all.clone()).render(area, buf);
    if all.len() > usize::from(area.height) {
        let keep = usize::from(area.height);
        let start = all.len() - keep;
        Clear.render(area, buf);
        Paragraph::new(all[start..].to_vec()).render(area, buf);
    }
}

fn push_result(view: &RunbookView, theme: &Theme, width: usize, out: &mut Vec<Line<'static>>) {
    if let Some(r) = &view.last {
        let style = match r.outcome.as_str() {
            "succeeded" | "requested" => theme.ok,
            "skipped" => theme.dim,
            _ => theme.crit,
        };
        let glyph = if style == theme.crit { "✗" } else { "✓" };
        let dur = humantime::format_duration(std::time::Duration::from_millis(r.millis));
        out.push(fit_line(
            Line::styled(format!("{glyph} step {} {}: {} ({dur})", r.step + 1, r.outcome, r.summary), style),
            width,
        ));
    }
}

fn render_confirm(
    view: &RunbookView,
    what: &str,
    typed: Option<&str>,
    input: &str,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let step = view.current + 1;
    let mut lines: Vec<Line> = vec![Line::styled("This runs exactly:", theme.dim), Line::default()];
    let max_w = usize::from(area.width.saturating_sub(6)).max(20);
    for l in what.lines() {
        for w in wrap_line(Line::styled(l.to_string(), theme.key), max_w) {
            lines.push(w);
        }
    }
    lines.push(Line::default());
    match typed {
        Some(env) => lines.push(Line::from(vec![
            Span::styled(format!("{env} requires approval: type {env} and Enter: "), theme.warn),
            Span::styled(format!("{input}▏"), theme.text),
        ])),
        None => lines.push(Line::from(vec![
            Span::styled("y", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("Enter", theme.key),
            Span::styled(" run   ", theme.dim),
            Span::styled("Esc", theme.key),
            Span::styled(" cancel", theme.dim),
        ])),
    }
    let w = lines.iter().map(Line::width).max().unwrap_or(20).clamp(30, max_w) as u16 + 4;
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, w, h);
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(Line::styled(format!(" Run step {step}? "), theme.focus_title));
    Paragraph::new(lines).block(block).render(rect, buf);
}

fn hints(keys: &[(&str, &str)], theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut spans = Vec::new();
    for (i, (k, d)) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim));
        }
        spans.push(Span::styled(k.to_string(), theme.key));
        spans.push(Span::styled(format!(" {d}"), theme.dim));
    }
    line(Line::from(spans), area, buf);
}

fn line(l: Line<'_>, area: Rect, buf: &mut Buffer) {
    Paragraph::new(fit_line(l, usize::from(area.width))).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::super::tests::screen;
    use crate::model::runbook::{RunbookUi, StepPhase};
    use crate::test_support::{gen_demo_model, gen_runbook_catalog, gen_runbook_model};
    use insta::assert_snapshot;

    fn confirm_rollback() -> StepPhase {
        let plan = crate::test_support::gen_plan(opsdeck_core::actions::ActionKind::Rollback, "api", "prod");
        let prepared =
            opsdeck_core::runbook::run::PreparedStep::Builtin(opsdeck_core::runbook::run::builtin::Prepared::Action {
                plan: Box::new(plan.clone()),
                request: false,
            });
        StepPhase::Confirm { what: plan.summary(), prepared: Box::new(prepared), typed: None, input: String::new() }
    }

    /// The firing alert's runbook opened at its first step, 80x24.
    #[test]
    fn runbook_view_first_step_80x24() {
        assert_snapshot!(screen(&gen_runbook_model(0, StepPhase::Idle), 80, 24));
    }

    /// Resumed at step 2 (the rollback), the health step's output above, 160x48.
    #[test]
    fn runbook_view_resumed_160x48() {
        assert_snapshot!(screen(&gen_runbook_model(1, StepPhase::Idle), 160, 48));
    }

    /// The rollback step's confirmation: exactly what will run, 80x24.
    #[test]
    fn runbook_confirm_rollback_80x24() {
        assert_snapshot!(screen(&gen_runbook_model(1, confirm_rollback()), 80, 24));
    }

    /// A skip's reason being typed, 160x48.
    #[test]
    fn runbook_skip_reason_160x48() {
        let phase = StepPhase::SkipReason { input: "already rolled back by hand".into() };
        assert_snapshot!(screen(&gen_runbook_model(2, phase), 160, 48));
    }

    /// `b`: the runbook list with a file that does not parse, 80x24 and 160x48.
    #[test]
    fn runbook_list_80x24_and_160x48() {
        let mut m = gen_demo_model();
        m.world.runbooks.catalog = Some(gen_runbook_catalog());
        m.ui.set_runbook(Some(RunbookUi::List { row: 3 }));
        assert_snapshot!("runbook_list_80x24", screen(&m, 80, 24));
        assert_snapshot!("runbook_list_160x48", screen(&m, 160, 48));
    }
}
