//! Drawing: pure functions from the model to a buffer. This module owns the screen's layout
//! (title line, the panes, hint bar) and the order overlays are drawn in; each pane draws
//! itself in its own file and reads nothing but the [`Model`] and the [`Theme`].

mod abort;
mod actions;
mod alerts;
mod approvals;
mod audit;
mod columns;
mod common;
mod confirm;
mod container_detail;
mod drain;
mod envs;
mod health;
mod health_chart;
mod health_trend;
#[cfg(test)]
mod health_view_tests;
mod help;
mod images;
mod logs;
mod palette;
mod prune;
mod request_view;
mod runbook;
mod runbook_prose;
pub mod screenshot;
#[cfg(test)]
mod screenshot_files;
mod silence;
mod silences;
mod spark;
mod status_bar;
#[cfg(test)]
mod tests;
mod title_bar;

use crate::model::{Model, Pane};
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

/// From this width on, panes sit side by side at equal widths and show more columns.
pub const WIDE: u16 = 120;

/// From this width on, the bottom row has room for Actions (and Approvals under it) beside Health
/// and Alerts.
pub const THREE_ACROSS: u16 = 140;

/// Draws the whole screen for `model` with the default theme.
pub fn render(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    render_with(model, &Theme::default(), area, frame.buffer_mut());
}

/// Draws the whole screen into `buf` (no terminal needed): `status` and the screenshot
/// generator use this, and so do the tests.
pub fn render_to_buffer(model: &Model, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    render_with(model, &Theme::default(), area, &mut buf);
    buf
}

/// Draws the whole screen for `model` with `theme` into `area` of `buf`.
pub fn render_with(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let [title, middle, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    title_bar::render(model, theme, title, buf);
    if model.ui.logs.open {
        // The Logs view takes the panes' place, and they are not drawn under it: a flood of lines
        // redraws often, and should cost only the view. Help is the one overlay opened from it.
        logs::render(model, theme, middle, buf);
        status_bar::render(model, theme, hints, buf);
        if model.ui.help_open {
            help::render(theme, area, buf);
        }
        return;
    }
    let panes = PaneAreas::new(model, middle);
    let focus = model.ui.focus;
    envs::render(model, theme, panes.envs, buf, focus == Pane::Environments);
    images::render(model, theme, panes.images, buf, focus == Pane::Images);
    health::render(model, theme, panes.health, buf, focus == Pane::Health);
    if let Some(area) = panes.alerts {
        alerts::render(model, theme, area, buf, focus == Pane::Alerts);
    }
    if let Some(area) = panes.actions {
        actions::render(model, theme, area, buf, focus == Pane::Actions);
    }
    if let Some(area) = panes.approvals {
        approvals::render(model, theme, area, buf, focus == Pane::Approvals);
    }
    status_bar::render(model, theme, hints, buf);
    // Overlays last, in a fixed order, so they cover the panes: the Audit view (in place of the
    // panes), the health chart (in place of the panes), the container detail, the silences list, the command palette, the confirmation,
    // the silence form, the abort question, the prune overlay, the approval view, the rejection's reason, then help.
    if model.ui.audit.open {
        audit::render(model, theme, middle, buf);
    }
    if let Some(slot) = &model.ui.health_chart {
        health_chart::render(model, slot, theme, middle, buf);
    }
    if let Some(view) = &model.ui.container {
        container_detail::render(model, view, theme, area, buf);
    }
    if model.ui.silences.open {
        silences::render(model, theme, middle, buf);
    }
    if model.ui.runbook.is_some() {
        runbook::render(model, theme, middle, buf);
    }
    if let Some(state) = &model.ui.palette {
        palette::render(model, state, theme, middle, buf);
    }
    if let Some(c) = &model.ui.confirm {
        confirm::render(c, theme, area, buf);
    }
    if let Some(form) = &model.ui.silence_form {
        silence::render_form(model, form, theme, area, buf);
    }
    if let Some(abort) = &model.ui.abort {
        abort::render(abort, theme, area, buf);
    }
    if let Some(view) = &model.ui.prune {
        prune::render(view, theme, area, buf);
    }
    if let Some(view) = &model.ui.approval {
        request_view::render_approval(model, view, theme, area, buf);
    }
    if let Some(input) = &model.ui.reject {
        request_view::render_reject(model, input, theme, area, buf);
    }
    if model.ui.help_open {
        help::render(theme, area, buf);
    }
}

/// Where each pane goes. Below [`THREE_ACROSS`] columns Alerts, Actions and Approvals share one
/// slot, so two of them are `None`.
struct PaneAreas {
    envs: Rect,
    images: Rect,
    health: Rect,
    alerts: Option<Rect>,
    actions: Option<Rect>,
    approvals: Option<Rect>,
}

impl PaneAreas {
    /// Environments and Images on top, Health and Alerts below. The top row is as tall as the
    /// Environments table (or the image history) needs, up to half the screen; the bottom row
    /// gets the rest, because Health and Alerts are what a page at 03:12 is about. Narrow
    /// screens give the wider half of each row to the pane with more columns. The Alerts slot
    /// goes to the focused one of Alerts, Actions and Approvals; else to Actions while an action
    /// runs, to Approvals while a request is pending, to Alerts otherwise. From [`THREE_ACROSS`]
    /// columns on Actions gets its own third of the bottom row, shared with Approvals (under it)
    /// when there are requests or Approvals is focused.
    fn new(model: &Model, area: Rect) -> PaneAreas {
        let want = envs::wanted_height(model).max(images::wanted_height(model));
        let top = want.clamp(7, (area.height / 2).max(7)).min(area.height);
        let [top_row, bottom_row] = Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(area);
        let (top_split, bottom_split) = if area.width >= WIDE { ((50, 50), (55, 45)) } else { ((55, 45), (55, 45)) };
        let [envs, images] =
            Layout::horizontal([Constraint::Percentage(top_split.0), Constraint::Percentage(top_split.1)])
                .areas(top_row);
        let focus = model.ui.focus;
        if area.width >= THREE_ACROSS {
            let [health, alerts, third] = Layout::horizontal([
                Constraint::Percentage(40),
                Constraint::Percentage(25),
                Constraint::Percentage(35),
            ])
            .areas(bottom_row);
            let (actions, approvals) = if focus == Pane::Approvals || !model.world.approvals.requests.is_empty() {
                let want = approvals::wanted_height(model).max(8);
                let height = want.min(third.height / 2).max(third.height.min(8));
                let [actions, approvals] =
                    Layout::vertical([Constraint::Min(0), Constraint::Length(height)]).areas(third);
                (actions, Some(approvals))
            } else {
                (third, None)
            };
            return PaneAreas { envs, images, health, alerts: Some(alerts), actions: Some(actions), approvals };
        }
        // Focused, Actions or Approvals gets the wider half: its detail is what the operator came
        // to read.
        let wide_right = matches!(focus, Pane::Actions | Pane::Approvals);
        let bottom_split = if wide_right { (bottom_split.1, bottom_split.0) } else { bottom_split };
        let [health, right] =
            Layout::horizontal([Constraint::Percentage(bottom_split.0), Constraint::Percentage(bottom_split.1)])
                .areas(bottom_row);
        let running = model.world.actions.running().next().is_some();
        let pending = model.world.pending_requests() > 0;
        let slot = match focus {
            Pane::Alerts | Pane::Actions | Pane::Approvals => focus,
            _ if running => Pane::Actions,
            _ if pending => Pane::Approvals,
            _ => Pane::Alerts,
        };
        PaneAreas {
            envs,
            images,
            health,
            alerts: (slot == Pane::Alerts).then_some(right),
            actions: (slot == Pane::Actions).then_some(right),
            approvals: (slot == Pane::Approvals).then_some(right),
        }
    }
}
