//! The confirmation `C` opens before it aborts (or cancels) a running action: what will happen,
//! and y to go on.

use super::common::centered;
use super::silence::{boxed, key};
use crate::model::actions::AbortConfirm;
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

/// Widest the box gets: it fits 80 columns with a margin.
const MAX_WIDTH: u16 = 76;

/// The confirmation before an abort: what will happen, y to go on.
pub fn render(confirm: &AbortConfirm, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = MAX_WIDTH.min(area.width);
    let inner = usize::from(width.saturating_sub(4));
    let mut lines: Vec<Line<'_>> =
        super::confirm::wrap(&confirm.question, inner).into_iter().map(|l| Line::styled(l, theme.header)).collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        key("y", theme),
        Span::styled("/", theme.dim),
        key("Enter", theme),
        Span::styled(" aborts · any other key lets it go on", theme.text),
    ]));
    let rect = centered(area, width, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    let block = boxed(format!(" Abort action #{} ", confirm.id), theme);
    Paragraph::new(lines).block(block).render(rect, buf);
}
