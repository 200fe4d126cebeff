//! Drawing: pure functions from the model to a buffer. This module owns the screen's layout
//! (title line, the panes, hint bar) and the order overlays are drawn in; each pane draws
//! itself in its own file and reads nothing but the [`Model`] and the [`Theme`].

mod abort;
pub(crate) mod actions;
mod alerts;
mod approvals;
mod audit;
mod canary;
mod columns;
mod common;
mod confirm;
mod confirm_facts;
mod container_detail;
mod drain;
mod envs;
mod health;
mod health_chart;
mod health_trend;
#[cfg(test)]
mod health_view_tests;
mod help;
pub mod hits;
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
#[cfg(test)]
mod theme_tests;
mod title_bar;

use crate::model::{Model, Overlay, OverlayKind, Pane};
use crate::theme::Theme;
use hits::{Hits, PaneHit};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

/// From this width on, panes sit side by side at equal widths and show more columns.
pub const WIDE: u16 = 120;

/// From this width on, the bottom row has room for Actions (and Approvals under it) beside Health
/// and Alerts.
pub const THREE_ACROSS: u16 = 140;

/// Draws the whole screen for `model` with its theme.
pub fn render(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    render_with(model, &model.theme, area, frame.buffer_mut());
}

/// Draws the whole screen into `buf` (no terminal needed): `status` and the screenshot
/// generator use this, and so do the tests.
pub fn render_to_buffer(model: &Model, width: u16, height: u16) -> Buffer {
    render_frame(model, width, height).0
}

/// Draws the whole screen into a buffer, and says where everything a click can land on went.
pub fn render_frame(model: &Model, width: u16, height: u16) -> (Buffer, Hits) {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    let hits = render_with(model, &model.theme, area, &mut buf);
    (buf, hits)
}

/// Draws the whole screen for `model` with `theme` into `area` of `buf`; returns the frame's
/// layout for hit testing.
pub fn render_with(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) -> Hits {
    let [title, middle, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    title_bar::render(model, theme, title, buf);
    let stack: Vec<&Overlay> = model.ui.overlays.iter().collect();
    // The Logs view takes the panes' place, and nothing under it is drawn: a flood of lines
    // redraws often, and should cost only the view.
    let logs_at = stack.iter().rposition(|o| o.kind() == OverlayKind::Logs);
    let mut hits = Hits { covered: !stack.is_empty(), ..Hits::default() };
    if logs_at.is_none() {
        hits.panes = render_panes(model, theme, middle, buf);
    }
    status_bar::render(model, theme, hints, buf);
    // Overlays last, bottom to top as they were opened (the top one gets the keys), so they
    // cover the panes and each other in the order the operator sees them.
    for overlay in &stack[logs_at.unwrap_or(0)..] {
        // Only the top dialog's buttons can be pressed.
        hits.buttons = render_overlay(model, overlay, theme, [area, middle], buf);
    }
    hits
}

fn render_panes(model: &Model, theme: &Theme, middle: Rect, buf: &mut Buffer) -> Vec<PaneHit> {
    let panes = PaneAreas::new(model, middle);
    let focus = model.ui.focus;
    let mut hits = Vec::new();
    let mut draw = |pane: Pane, area: Option<Rect>, render: PaneRender| {
        if let Some(area) = area {
            let rows = render(model, theme, area, buf, focus == pane);
            hits.push(PaneHit { pane, area, rows });
        }
    };
    draw(Pane::Environments, Some(panes.envs), envs::render);
    draw(Pane::Images, Some(panes.images), images::render);
    draw(Pane::Health, Some(panes.health), health::render);
    draw(Pane::Alerts, panes.alerts, alerts::render);
    draw(Pane::Actions, panes.actions, actions::render);
    draw(Pane::Approvals, panes.approvals, approvals::render);
    hits
}

/// A pane's drawing: its table's rows as drawn, for hit testing, when it shows one.
type PaneRender = fn(&Model, &Theme, Rect, &mut Buffer, bool) -> Option<hits::Rows>;

/// One overlay: the views in place of the panes (`middle`), the dialogs over the whole screen.
/// One that acts on an environment is framed in that environment's colour. Returns its buttons,
/// if it has any.
fn render_overlay(
    model: &Model,
    overlay: &Overlay,
    theme: &Theme,
    [area, middle]: [Rect; 2],
    buf: &mut Buffer,
) -> Vec<hits::Button> {
    let framed = theme.framed_for(overlay_env(model, overlay).and_then(|env| model.env_color(env)));
    let theme = &framed;
    match overlay {
        Overlay::Confirm(c) => return confirm::render(c, theme, area, buf),
        Overlay::Logs => logs::render(model, theme, middle, buf),
        Overlay::Audit => audit::render(model, theme, middle, buf),
        Overlay::HealthChart(slot) => health_chart::render(model, slot, theme, middle, buf),
        Overlay::Container(view) => container_detail::render(model, view, theme, area, buf),
        Overlay::Silences => silences::render(model, theme, middle, buf),
        Overlay::Runbook(_) => runbook::render(model, theme, middle, buf),
        Overlay::Palette(state) => palette::render(model, state, theme, middle, buf),
        Overlay::SilenceForm(form) => silence::render_form(model, form, theme, area, buf),
        Overlay::Abort(abort) => abort::render(abort, theme, area, buf),
        Overlay::Prune(view) => prune::render(view, theme, area, buf),
        Overlay::Approval(view) => request_view::render_approval(model, view, theme, area, buf),
        Overlay::Reject(input) => request_view::render_reject(model, input, theme, area, buf),
        Overlay::Help => help::render(&model.keymap, theme, area, buf),
    }
    Vec::new()
}

/// The environment an overlay acts on or shows, if one.
fn overlay_env<'a>(model: &'a Model, overlay: &'a Overlay) -> Option<&'a str> {
    match overlay {
        Overlay::Confirm(c) => Some(&c.plan.env),
        Overlay::Abort(a) => Some(&a.env),
        Overlay::Approval(view) => Some(&view.plan.env),
        Overlay::Reject(input) => model.world.approvals.get(input.id).map(|r| r.env.as_str()),
        Overlay::Container(view) => Some(&view.slot.env),
        Overlay::HealthChart(slot) => Some(&slot.env),
        _ => None,
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
