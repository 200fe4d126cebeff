//! The mouse: a click focuses the pane under it and selects the row clicked (in Environments,
//! the environment column too); the wheel moves the selection of the list under the pointer, or
//! scrolls the open view; a click on a confirmation's `Enter` or `Esc` hint presses that key.
//! Where things are comes from the last frame's layout ([`Hits`]), recorded by the renderer.

use super::keys;
use crate::keymap::Action;
use crate::model::{Model, OverlayKind, Pane};
use crate::msg::Cmd;
use crate::ui::hits::{Hits, Press};
use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};

/// Lines the Logs view scrolls per notch of the wheel (as terminals scroll text).
const LOG_LINES_PER_NOTCH: usize = 3;

pub(super) fn on_mouse(model: &mut Model, event: MouseEvent, hits: &Hits) -> Vec<Cmd> {
    if !model.world.config.mouse {
        return Vec::new();
    }
    let (x, y) = (event.column, event.row);
    match event.kind {
        MouseEventKind::Down(MouseButton::Left) => click(model, x, y, hits),
        MouseEventKind::ScrollUp => wheel(model, -1, x, y, hits),
        MouseEventKind::ScrollDown => wheel(model, 1, x, y, hits),
        _ => Vec::new(),
    }
}

fn click(model: &mut Model, x: u16, y: u16, hits: &Hits) -> Vec<Cmd> {
    if let Some(press) = hits.button_at(x, y) {
        // Exactly what the key does, through the same path.
        let code = match press {
            Press::Confirm => KeyCode::Enter,
            Press::Cancel => KeyCode::Esc,
        };
        return keys::on_key(model, KeyEvent::from(code));
    }
    let Some(pane) = hits.pane_at(x, y) else { return Vec::new() };
    model.ui.notice = None;
    model.ui.focus = pane.pane;
    let Some(rows) = &pane.rows else { return Vec::new() };
    if let Some(row) = rows.row_at(y) {
        keys::move_row(model, row as i64 - selected_row(model, pane.pane) as i64);
        // Column 0 is the service name; the others are the environments in ladder order.
        if let Some(col) = rows.column_at(x).filter(|c| pane.pane == Pane::Environments && *c > 0) {
            if model.ui.env_col != col - 1 {
                model.ui.env_col = col - 1;
                model.ui.health_row = 0;
            }
        }
    }
    Vec::new()
}

fn wheel(model: &mut Model, delta: i64, x: u16, y: u16, hits: &Hits) -> Vec<Cmd> {
    let (action, code) = if delta < 0 { (Action::Up, KeyCode::Up) } else { (Action::Down, KeyCode::Down) };
    match model.ui.overlays.top().map(|o| o.kind()) {
        None => {
            let Some(pane) = hits.pane_at(x, y).map(|p| p.pane) else { return Vec::new() };
            model.ui.focus = pane;
            keys::move_row(model, delta);
            Vec::new()
        }
        // The views scroll (even while their filter is typed), as their ↑ ↓ keys do.
        Some(OverlayKind::Logs) => {
            (0..LOG_LINES_PER_NOTCH).flat_map(|_| super::logs::on_action(model, action)).collect()
        }
        Some(OverlayKind::Audit) => super::audit::on_action(model, action),
        Some(OverlayKind::Container) => super::container::on_action(model, action),
        Some(OverlayKind::HealthChart) => super::health_chart::on_action(model, action),
        // Where text is typed the arrows mean nothing to scroll, and help has nothing to scroll.
        Some(OverlayKind::Confirm | OverlayKind::SilenceForm | OverlayKind::Reject | OverlayKind::Help) => Vec::new(),
        // The silences list reads its keys through the keymap: the key bound to ↑ / ↓ there.
        Some(OverlayKind::Silences) => {
            let key = bound(model, action).unwrap_or_else(|| KeyEvent::from(code));
            keys::on_key(model, key)
        }
        // The runbook and the palette read the arrows as such.
        Some(_) => keys::on_key(model, KeyEvent::from(code)),
    }
}

/// A key the keymap in force binds to `action` (`[keys]` may have moved it off the arrows).
fn bound(model: &Model, action: Action) -> Option<KeyEvent> {
    let binding = model.keymap.bindings().iter().find(|b| b.action == action)?;
    binding.keys.first().map(|k| KeyEvent::new(k.code, k.mods))
}

/// The focused selection of `pane`, as `keys::move_row` moves it.
fn selected_row(model: &Model, pane: Pane) -> usize {
    match pane {
        Pane::Environments => model.ui.service_row,
        Pane::Images => model.ui.image_row,
        Pane::Health => model.ui.health_row,
        Pane::Alerts => model.ui.alert_row,
        Pane::Actions => model.ui.action_row,
        Pane::Approvals => model.ui.approval_row,
    }
}

#[cfg(test)]
#[path = "mouse_tests.rs"]
mod tests;
