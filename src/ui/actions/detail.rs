//! The selected action's detail: what it does (from -> to, hosts), each step with its note
//! and time, the outcome and why, and the locks held.

use super::*;

/// Lines above the steps: what the selected action does, and how it stands.
pub(super) const DETAIL_HEAD: u16 = 2;

pub(super) fn render_detail(
    model: &Model,
    theme: &Theme,
    entry: &JournalEntry,
    steps: &[StepView],
    area: Rect,
    buf: &mut Buffer,
) {
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
            (StepState::Running, Some(from), None) => took(model.world.now - from),
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
pub(super) fn choose(lines: Vec<Line<'_>>, width: usize) -> Line<'_> {
    let n = lines.len();
    lines.into_iter().enumerate().find(|(i, l)| l.width() <= width || i + 1 == n).map(|(_, l)| l).unwrap_or_default()
}

/// "#14 rollback api/prod: v1.2.0 8a1b0c7 -> v1.1.0 5d4e3f2 on prod-1, prod-2 by alice", and
/// shorter forms for narrow panes (the list row already names the service and environment).
pub(super) fn what_lines<'a>(theme: &Theme, entry: &JournalEntry) -> Vec<Line<'a>> {
    let a = &entry.action;
    let short = |im: &opsdeck_core::store::ImageRef| crate::model::views::short_digest(&im.digest).to_string();
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
pub(super) fn status_line<'a>(model: &Model, theme: &Theme, entry: &JournalEntry, steps: &[StepView]) -> Line<'a> {
    let a = &entry.action;
    match &entry.finish {
        None => {
            let done = steps.iter().filter(|s| s.state == StepState::Done).count();
            let ours = if model.world.actions.ours.contains(&entry.id.0) { "" } else { " (another console)" };
            Line::styled(
                format!("▶ running {} · {done}/{} steps done{ours}", took(model.world.now - a.started_at), steps.len()),
                theme.header,
            )
        }
        Some(f) => {
            let (word, style) = outcome_word(theme, f.outcome);
            let mut spans = vec![Span::styled(
                format!("{word} in {}, {} ago", took(f.at - a.started_at), short_age(f.at, model.world.now)),
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
pub(super) fn window(n: usize, height: usize, focus: usize) -> (std::ops::Range<usize>, usize, usize) {
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
pub(super) fn locks_line<'a>(model: &Model, theme: &Theme, locks: &[LockInfo], width: u16) -> Line<'a> {
    let mut spans = vec![Span::styled("◆ locks:", theme.warn)];
    for (i, l) in locks.iter().enumerate() {
        let sep = if i == 0 { " " } else { " · " };
        spans.push(Span::styled(
            format!("{sep}{}/{} {} since {}", l.service, l.env, l.holder, short_age(l.since, model.world.now)),
            theme.text,
        ));
    }
    common::fit_line(Line::from(spans), usize::from(width))
}
