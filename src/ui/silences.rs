//! The silences list `S` opens in place of the panes: active first (ending soonest), then
//! pending, then recently expired; each with its matchers, author, comment and end; the selected
//! one's comment in full under the list, and the expiry confirmation `x` asks for.

use super::columns::{self, Column};
use super::common::{fit_line, pane_block, wrap_line};
use crate::model::silence::matcher_text;
use crate::model::{short_age, Model};
use crate::theme::Theme;
use crate::update::RECENT_EXPIRED;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, StatefulWidget, Table, TableState, Widget};

/// Lines under the list: the selected silence's matchers and comment in full, and the keys.
const DETAIL: u16 = 4;

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let rows = model.world.silences.rows(RECENT_EXPIRED);
    let active = rows.iter().filter(|s| s.state == "active").count();
    let block = pane_block(Line::from(format!(" Silences · {active} active ")), theme, true);
    let mut inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    if let Some(line) = super::common::outage_line(model, theme, "alertmanager", &model.world.silences.reach) {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        Paragraph::new(fit_line(line, width)).render(top, buf);
        inner = rest;
    }
    let [list_area, detail_area] = Layout::vertical([Constraint::Min(0), Constraint::Length(DETAIL)]).areas(inner);
    let keys = keys_line(model, theme);
    if rows.is_empty() {
        let text = match model.world.silences.reach {
            crate::model::Reach::Pending => super::common::PENDING,
            _ => "no silences: s on an alert in the Alerts pane sets one",
        };
        Paragraph::new(vec![Line::styled(text, theme.dim), Line::default(), keys]).render(inner, buf);
        return;
    }
    let selected = model.ui.silences.row.min(rows.len() - 1);

    let mut state = Column::new("state", 0, 7);
    let mut matchers = Column::new("matchers", 0, 12).max(60);
    let mut by = Column::new("by", 2, 3).max(12);
    let mut ends = Column::new("ends", 1, 6);
    let mut comment = Column::new("comment", 3, 8).flex();
    for s in &rows {
        state.push(vec![Line::styled(s.state.clone(), super::silence::state_style(theme, &s.state))]);
        let all: Vec<String> = s.matchers.iter().map(matcher_text).collect();
        // Shorter: the alertname alone, with how many more.
        let short = s
            .matchers
            .iter()
            .find(|m| m.name == "alertname")
            .or(s.matchers.first())
            .map(|m| {
                let more = s.matchers.len().saturating_sub(1);
                if more > 0 {
                    format!("{} +{more}", matcher_text(m))
                } else {
                    matcher_text(m)
                }
            })
            .unwrap_or_default();
        matchers.push(vec![Line::from(all.join(", ")), Line::from(short)]);
        by.push(vec![Line::from(s.created_by.clone())]);
        let when = if s.state == "expired" {
            format!("{} ago", short_age(s.ends_at, model.world.now))
        } else {
            format!("in {}", short_age(model.world.now, s.ends_at))
        };
        ends.push(vec![Line::styled(when, theme.dim)]);
        comment.push(vec![Line::styled(s.comment.clone(), theme.dim)]);
    }
    let fitted = columns::fit(vec![state, matchers, by, ends, comment], list_area.width, theme);
    let mut table_state = TableState::default().with_selected(Some(selected));
    let table = Table::new(fitted.rows, fitted.widths).header(fitted.header).row_highlight_style(theme.selected);
    StatefulWidget::render(table, list_area, buf, &mut table_state);

    let s = rows[selected];
    let mut detail: Vec<Line<'_>> = Vec::new();
    let what = s.matchers.iter().map(matcher_text).collect::<Vec<_>>().join(", ");
    detail.extend(wrap_line(
        Line::from(vec![
            Span::styled(format!("{} ", s.id), theme.dim),
            Span::styled(what, theme.text),
            Span::styled(format!(" · by {} · ", s.created_by), theme.dim),
            Span::styled(s.comment.clone(), theme.text),
        ]),
        width,
    ));
    detail.truncate(usize::from(DETAIL) - 1);
    while detail.len() < usize::from(DETAIL) - 1 {
        detail.push(Line::default());
    }
    detail.push(keys);
    Paragraph::new(detail.into_iter().map(|l| fit_line(l, width)).collect::<Vec<_>>()).render(detail_area, buf);
}

/// The keys, or the expiry question while it is asked.
fn keys_line<'a>(model: &Model, theme: &Theme) -> Line<'a> {
    if let Some(id) = &model.ui.silences.confirm_expire {
        return Line::from(vec![
            Span::styled(format!("expire silence {id} now? "), theme.notice),
            Span::styled("y", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("Enter", theme.key),
            Span::styled(" expires · any other key keeps it", theme.text),
        ]);
    }
    Line::from(vec![
        Span::styled("x", theme.key),
        Span::styled(" expires the selected · ", theme.text),
        Span::styled("↑/↓", theme.key),
        Span::styled(" move · ", theme.text),
        Span::styled("Esc", theme.key),
        Span::styled("/", theme.dim),
        Span::styled("S", theme.key),
        Span::styled(" close", theme.text),
    ])
}
