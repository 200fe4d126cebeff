//! The drain view inside the Actions pane: while a switch drains, the old server's current
//! sessions (HAProxy's `scur`, from the executor's progress) falling to zero, as a line and a
//! sparkline, with the key that aborts back.

use super::common::fit_line;
use crate::model::actions::DrainTrace;
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

/// Lines the view takes: the count and the sparkline.
pub const HEIGHT: u16 = 2;

/// Whether the view belongs on screen for `entry`: from the drain until the old slot is stopped
/// (then `C` no longer goes back, and the count is history).
pub fn shown(entry: &opsdeck_core::store::JournalEntry) -> bool {
    let Ok(plan) = serde_json::from_value::<opsdeck_core::actions::ActionPlan>(entry.action.plan.clone()) else {
        return false;
    };
    entry.finish.is_none()
        && !entry.steps.iter().any(|s| {
            plan.steps
                .get(s.step_index as usize)
                .is_some_and(|st| matches!(st, opsdeck_core::actions::Step::StopOld { .. }))
        })
}

pub fn render(trace: &DrainTrace, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let [text, spark] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let (first, now) = (trace.first(), trace.now());
    let style = if now == 0 { theme.ok } else { theme.warn };
    let line = Line::from(vec![
        Span::styled(format!("draining {}: ", trace.server), theme.header),
        Span::styled(format!("{first} → {now} sessions"), style),
        Span::styled(format!(" ({:.1} s)", trace.elapsed_ms() as f64 / 1000.0), theme.dim),
    ]);
    Paragraph::new(fit_line(line, usize::from(text.width))).render(text, buf);
    // The sparkline, with the key that aborts back at its right when there is room for both.
    let hint = Line::from(vec![Span::styled("C", theme.key), Span::styled(" aborts back", theme.dim)]);
    let hint_width = hint.width() as u16 + 1;
    let (spark, hint_area) = if spark.width >= hint_width + 8 {
        let [s, h] = Layout::horizontal([Constraint::Min(0), Constraint::Length(hint_width)]).areas(spark);
        (s, Some(h))
    } else {
        (spark, None)
    };
    if let Some(area) = hint_area {
        Paragraph::new(hint).alignment(ratatui::layout::Alignment::Right).render(area, buf);
    }
    // The newest looks that fit, oldest on the left; scaled to where the drain began.
    let data: Vec<u64> = trace.samples.iter().map(|s| s.1).collect();
    let shown = &data[data.len().saturating_sub(usize::from(spark.width))..];
    Sparkline::default().data(shown).max(first.max(1)).style(style).render(spark, buf);
}
