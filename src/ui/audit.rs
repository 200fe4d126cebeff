//! The Audit view (`A`): the end of the audit trail, newest first, over the panes: each record's
//! place in the chain, time, user, kind, subject, outcome and what it says in a few words; `/`
//! filters as you type, and the selected record's detail is shown in full under the list.

use super::columns::{self, Column};
use super::common::{fit_line, pane_block};
use crate::model::approvals::{AuditRow, AUDIT_TAIL};
use crate::model::Model;
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, StatefulWidget, Table, TableState, Widget};

/// Lines under the list: the selected record's detail in full (wrapped), and the filter.
const DETAIL: u16 = 2;

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let rows = model.audit_rows();
    let view = &model.ui.audit;
    let loaded = model.world.audit.rows.len();
    let total = model.world.audit.total();
    let count = if view.filter.trim().is_empty() {
        format!("{loaded} records")
    } else {
        format!("{} of {loaded} records", rows.len())
    };
    let tail = if total > loaded as u64 { format!(" (the last {AUDIT_TAIL} of {total})") } else { String::new() };
    let block = pane_block(Line::from(format!(" Audit trail · {count}{tail} ")), theme, true);
    let mut inner = block.inner(area);
    block.render(area, buf);
    if let Some(error) = &model.world.audit.error {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let line = Line::styled(format!("✗ cannot read the audit trail: {error} (opsdeck audit verify)"), theme.crit);
        Paragraph::new(fit_line(line, usize::from(top.width))).render(top, buf);
        inner = rest;
    }
    let [list_area, detail_area, filter_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL), Constraint::Length(1)]).areas(inner);
    let width = usize::from(inner.width);
    Paragraph::new(fit_line(filter_line(model, theme, rows.len()), width)).render(filter_area, buf);
    if rows.is_empty() {
        let text = if !model.world.audit.loaded && model.world.audit.error.is_none() {
            super::common::PENDING.to_string()
        } else if model.world.audit.rows.is_empty() {
            "no audit records yet".to_string()
        } else {
            format!("no record matches {:?}", view.filter.trim())
        };
        Paragraph::new(fit_line(Line::styled(text, theme.dim), width)).render(list_area, buf);
        return;
    }
    let selected = view.row.min(rows.len() - 1);
    let fitted = columns::fit(audit_columns(theme, &rows, list_area.width >= WIDE_TIME), list_area.width, theme);
    let mut state = TableState::default().with_selected(Some(selected));
    let table = Table::new(fitted.rows, fitted.widths).header(fitted.header).row_highlight_style(theme.selected);
    StatefulWidget::render(table, list_area, buf, &mut state);
    let r = rows[selected];
    let text =
        format!("#{} {} {} {} {}: {}", r.seq, r.at.format("%Y-%m-%d %H:%M:%S"), r.user, r.kind, r.subject, r.detail);
    let lines: Vec<Line<'_>> = super::confirm::wrap(&text, width)
        .into_iter()
        .take(usize::from(DETAIL))
        .map(|l| Line::styled(l, theme.text))
        .collect();
    Paragraph::new(lines).render(detail_area, buf);
}

/// The bottom line: the filter being typed (with a cursor), or the keys that apply.
fn filter_line<'a>(model: &Model, theme: &Theme, shown: usize) -> Line<'a> {
    let view = &model.ui.audit;
    let key = |k: &'static str| Span::styled(k, theme.key);
    let text = |t: String| Span::styled(t, theme.text);
    if view.editing {
        return Line::from(vec![
            key("/"),
            Span::styled(format!(" {}", view.filter), theme.header),
            Span::styled("█", theme.key),
            Span::styled(format!("   {shown} match · "), theme.dim),
            key("Enter"),
            text(" keeps it · ".into()),
            key("Esc"),
            text(" clears it".into()),
        ]);
    }
    let mut spans = Vec::new();
    if !view.filter.trim().is_empty() {
        spans.extend([Span::styled(format!("filter: {}", view.filter), theme.notice), Span::styled(" · ", theme.dim)]);
        spans.extend([key("/"), text(" edit · ".into()), key("Esc"), text(" clears it · ".into())]);
    } else {
        spans.extend([key("/"), text(" filter · ".into()), key("Esc"), text(" close · ".into())]);
    }
    spans.extend([key("↑↓"), text(" move · ".into()), key("A"), text(" closes".into())]);
    Line::from(spans)
}

/// An outcome's colour: what went as asked is ok, what was refused or failed stands out.
fn outcome_style(theme: &Theme, outcome: &str) -> Style {
    match outcome {
        "succeeded" | "done" | "approved" | "completed" => theme.ok,
        "failed" => theme.crit,
        "refused" | "rejected" | "rolled_back" | "rolled back" | "undone" | "broken" => theme.warn,
        "pending" => theme.notice,
        _ => theme.text,
    }
}

/// From this width on, times show their year and seconds; below it the detail gets that room.
const WIDE_TIME: u16 = 100;

fn audit_columns<'a>(theme: &Theme, rows: &[&AuditRow], wide: bool) -> Vec<Column<'a>> {
    let mut seq = Column::new("seq", 1, 3);
    let mut time = Column::new("time UTC", 0, 5);
    let mut user = Column::new("user", 0, 4).max(12);
    let mut kind = Column::new("kind", 0, 4).max(12);
    let mut subject = Column::new("subject", 1, 7).max(20);
    let mut outcome = Column::new("outcome", 1, 7).max(11);
    let mut detail = Column::new("detail", 2, 12).flex();
    for r in rows {
        seq.push(vec![Line::styled(r.seq.to_string(), theme.dim)]);
        let full = Line::from(r.at.format("%Y-%m-%d %H:%M:%S").to_string());
        let short = Line::from(r.at.format("%m-%d %H:%M").to_string());
        time.push(if wide { vec![full, short] } else { vec![short] });
        user.push(vec![Line::from(r.user.clone())]);
        kind.push(vec![Line::from(r.kind.clone())]);
        subject.push(vec![Line::from(r.subject.clone())]);
        outcome.push(vec![Line::styled(r.outcome.clone(), outcome_style(theme, &r.outcome))]);
        detail.push(vec![Line::styled(r.detail.clone(), theme.dim)]);
    }
    vec![seq, time, user, kind, subject, outcome, detail]
}

#[cfg(test)]
mod tests {
    use crate::test_support::gen_audit_model;
    use crate::ui::tests::screen;
    use insta::assert_snapshot;

    fn filtered(filter: &str, editing: bool) -> crate::model::Model {
        let mut m = gen_audit_model();
        m.ui.audit.filter = filter.into();
        m.ui.audit.editing = editing;
        m
    }

    /// Full screen 80x24: the Audit view, newest record first, unfiltered.
    #[test]
    fn audit_80x24() {
        assert_snapshot!(screen(&gen_audit_model(), 80, 24));
    }

    /// Full screen 160x48: the Audit view unfiltered.
    #[test]
    fn audit_160x48() {
        assert_snapshot!(screen(&gen_audit_model(), 160, 48));
    }

    /// Full screen 80x24: "carol" typed into the filter: her request, its refusal and rejection.
    #[test]
    fn audit_filtered_80x24() {
        assert_snapshot!(screen(&filtered("carol", true), 80, 24));
    }

    /// Full screen 160x48: the filter "REFUS" kept (case does not matter).
    #[test]
    fn audit_filtered_160x48() {
        assert_snapshot!(screen(&filtered("REFUS", false), 160, 48));
    }

    /// The title counts what the filter lets through; nothing matching says so.
    #[test]
    fn audit_counts_and_says_when_nothing_matches() {
        let all = gen_audit_model();
        let n = all.world.audit.rows.len();
        assert!(screen(&all, 120, 30).to_string().contains(&format!("Audit trail · {n} records")));
        let m = filtered("carol", false);
        let shown = m.audit_rows().len();
        assert!(shown > 0 && shown < n);
        assert!(screen(&m, 120, 30).to_string().contains(&format!("{shown} of {n} records")));
        let none = screen(&filtered("zzz", false), 120, 30).to_string();
        assert!(none.contains("no record matches \"zzz\""), "{none}");
    }
}
