//! The canary view inside the Actions pane: while one of our canaries holds a stage, its ladder
//! with the stage it is at, the new slot's 5xx share and answers so far, the time left in the
//! stage (or that its clock is paused), and the keys that steer it.

use super::common::fit_line;
use crate::model::actions::StageTrace;
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Lines the view takes: the ladder, and the stage's figures with the keys.
pub const HEIGHT: u16 = 2;

pub fn render(stage: &StageTrace, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let [ladder_area, figures_area] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let mut ladder = vec![Span::styled("canary ", theme.header)];
    for (i, percent) in stage.ladder.iter().enumerate() {
        if i > 0 {
            ladder.push(Span::styled(" › ", theme.dim));
        }
        let (text, style) = match percent.cmp(&stage.percent) {
            std::cmp::Ordering::Less => (format!("{percent} % ✓"), theme.ok),
            std::cmp::Ordering::Equal => (format!("[{percent} %]"), theme.warn),
            std::cmp::Ordering::Greater => (format!("{percent} %"), theme.dim),
        };
        ladder.push(Span::styled(text, style));
    }
    Paragraph::new(fit_line(Line::from(ladder), usize::from(ladder_area.width))).render(ladder_area, buf);

    let share = stage.share();
    let share_style = if stage.errors == 0 { theme.ok } else { theme.warn };
    let clock = if stage.paused {
        Span::styled("paused", theme.warn)
    } else {
        match stage.left_secs() {
            0 => Span::styled("held: waiting for enough requests", theme.dim),
            left => Span::styled(format!("{left}s left"), theme.dim),
        }
    };
    let figures = Line::from(vec![
        Span::styled(format!("{} %: ", stage.percent), theme.header),
        Span::styled(format!("{share:.1} % 5xx"), share_style),
        Span::styled(format!(" ({} of {}) · ", stage.errors, stage.requests), theme.dim),
        clock,
    ]);
    let hint = Line::from(vec![
        Span::styled("Space", theme.key),
        Span::styled(if stage.paused { " go on " } else { " pause " }, theme.dim),
        Span::styled(">", theme.key),
        Span::styled(" next ", theme.dim),
        Span::styled("C", theme.key),
        Span::styled(" abort", theme.dim),
    ]);
    let hint_width = hint.width() as u16 + 1;
    if figures_area.width >= figures.width() as u16 + hint_width {
        let [f, h] = Layout::horizontal([Constraint::Min(0), Constraint::Length(hint_width)]).areas(figures_area);
        Paragraph::new(figures).render(f, buf);
        Paragraph::new(hint).alignment(Alignment::Right).render(h, buf);
    } else {
        Paragraph::new(fit_line(figures, usize::from(figures_area.width))).render(figures_area, buf);
    }
}
