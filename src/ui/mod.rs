//! Drawing: pure functions from the model to a buffer. This module owns the screen's layout
//! (title line, four panes, hint bar) and the order overlays are drawn in; each pane draws
//! itself in its own file and reads nothing but the [`Model`] and the [`Theme`].

mod alerts;
mod columns;
mod common;
mod envs;
mod health;
mod help;
mod images;
pub mod screenshot;
mod status_bar;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod screenshot_files;
mod title_bar;

use crate::model::{Model, Pane};
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

/// From this width on, panes sit side by side at equal widths and show more columns.
pub const WIDE: u16 = 120;

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
    let panes = PaneAreas::new(model, middle);
    let focus = model.ui.focus;
    envs::render(model, theme, panes.envs, buf, focus == Pane::Environments);
    images::render(model, theme, panes.images, buf, focus == Pane::Images);
    health::render(model, theme, panes.health, buf, focus == Pane::Health);
    alerts::render(model, theme, panes.alerts, buf, focus == Pane::Alerts);
    status_bar::render(model, theme, hints, buf);
    // Overlays last, in a fixed order, so they cover the panes.
    if model.ui.help_open {
        help::render(theme, area, buf);
    }
}

/// Where each pane goes.
struct PaneAreas {
    envs: Rect,
    images: Rect,
    health: Rect,
    alerts: Rect,
}

impl PaneAreas {
    /// Environments and Images on top, Health and Alerts below. The top row is as tall as the
    /// Environments table (or the image history) needs, up to half the screen; the bottom row
    /// gets the rest, because Health and Alerts are what a page at 03:12 is about. Narrow
    /// screens give the wider half of each row to the pane with more columns.
    fn new(model: &Model, area: Rect) -> PaneAreas {
        let want = envs::wanted_height(model).max(images::wanted_height(model));
        let top = want.clamp(7, (area.height / 2).max(7)).min(area.height);
        let [top_row, bottom_row] = Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(area);
        let (top_split, bottom_split) = if area.width >= WIDE { ((50, 50), (55, 45)) } else { ((55, 45), (55, 45)) };
        let [envs, images] =
            Layout::horizontal([Constraint::Percentage(top_split.0), Constraint::Percentage(top_split.1)])
                .areas(top_row);
        let [health, alerts] =
            Layout::horizontal([Constraint::Percentage(bottom_split.0), Constraint::Percentage(bottom_split.1)])
                .areas(bottom_row);
        PaneAreas { envs, images, health, alerts }
    }
}
