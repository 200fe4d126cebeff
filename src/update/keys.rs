//! Keys: the keymap turns a key into an [`Action`]; here the action becomes a change of focus,
//! selection or overlay. Nothing on this path does I/O.

use super::{approvals, audit, container, health_chart, logs};
use crate::keymap::Action;
use crate::model::{Model, Overlay, OverlayKind, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyEvent, KeyEventKind};
use opsdeck_core::actions::ActionKind;

pub(super) fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    // One stack decides who gets a key: the overlay on top. Inputs and questions take every key
    // as typed (`?` or `q` typed into them is text); views get the keymap's actions.
    let top = model.ui.overlays.top().map(Overlay::kind);
    match top {
        Some(OverlayKind::Confirm) => return super::confirm::on_key(model, key),
        Some(OverlayKind::Palette) => return super::palette::on_key(model, key),
        Some(OverlayKind::Abort) => return super::abort::on_abort_key(model, key),
        Some(OverlayKind::Prune) => return super::prune::on_key(model, key),
        Some(OverlayKind::SilenceForm) => return super::silence::on_form_key(model, key),
        Some(OverlayKind::Silences) => return super::silence::on_list_key(model, key),
        Some(OverlayKind::Runbook) => return super::runbook::on_key(model, key),
        Some(OverlayKind::Reject) => return approvals::on_reject_key(model, key),
        Some(OverlayKind::Approval) => return approvals::on_view_key(model, key),
        Some(OverlayKind::Logs) if model.ui.logs.editing => return logs::on_edit_key(model, key),
        Some(OverlayKind::Audit) if model.ui.audit.editing => return audit::on_edit_key(model, key),
        _ => {}
    }
    let Some(action) = model.keymap.action_for(&key) else {
        return Vec::new();
    };
    model.ui.notice = None;
    if top == Some(OverlayKind::Help) {
        // The help overlay takes every key: any of ?, Esc or q closes it (q does not quit from
        // inside help, so a reflexive second q never ends the session by surprise).
        if matches!(action, Action::Help | Action::Close | Action::Quit) {
            model.ui.show(Overlay::Help, false);
        }
        return Vec::new();
    }
    // `?` opens help over whatever is open: one place for every view and the panes.
    if action == Action::Help {
        model.ui.show(Overlay::Help, true);
        return Vec::new();
    }
    match top {
        Some(OverlayKind::Container) => return container::on_action(model, action),
        Some(OverlayKind::HealthChart) => return health_chart::on_action(model, action),
        Some(OverlayKind::Logs) => return logs::on_action(model, action),
        Some(OverlayKind::Audit) => return audit::on_action(model, action),
        _ => {}
    }
    match action {
        Action::Quit => {
            model.should_quit = true;
            return vec![Cmd::Quit];
        }
        Action::Confirm if matches!(model.ui.focus, Pane::Health | Pane::Environments) => {
            return container::open_selected(model)
        }
        Action::HealthChart => health_chart::open(model),
        Action::Confirm if model.ui.focus == Pane::Alerts => return super::runbook::open_for_alert(model),
        // Help was taken above, before the overlays.
        Action::Close | Action::Confirm | Action::Help => {}
        Action::Runbooks => return super::runbook::open_list(model),
        Action::Copy => return super::copy::copy(model, false),
        Action::CopyCommand => return super::copy::copy(model, true),
        Action::Promote => return super::confirm::ask(model, ActionKind::Promote),
        Action::Canary => return super::confirm::ask(model, ActionKind::Canary),
        Action::Rollback => return super::confirm::ask(model, ActionKind::Rollback),
        Action::Reapply => return super::confirm::ask(model, ActionKind::Reapply),
        Action::Approve => return approvals::approve(model),
        Action::Reject => return approvals::reject(model),
        Action::Audit => audit::open(model, false),
        Action::Filter => audit::open(model, true),
        Action::Silence => return super::silence::open_form(model),
        Action::Silences => return super::silence::open_list(model),
        Action::Abort => return super::abort::ask_abort(model),
        Action::Prune => return super::prune::open(model),
        Action::Palette => super::palette::open(model),
        Action::Logs => return logs::open(model),
        Action::Pause => return super::steer::steer(model, false),
        Action::NextStage => return super::steer::steer(model, true),
        Action::PageUp | Action::PageDown | Action::Wrap | Action::Timestamps => {}
        Action::NextPane => model.ui.focus = model.ui.focus.next(),
        Action::PrevPane => model.ui.focus = model.ui.focus.prev(),
        Action::Up => move_row(model, -1),
        Action::Down => move_row(model, 1),
        Action::Top => move_row(model, i64::MIN / 2),
        Action::Bottom => move_row(model, i64::MAX / 2),
        Action::Left | Action::Right if model.ui.focus == Pane::Environments => {
            let n = model.world.config.environments.len();
            let delta = if action == Action::Left { -1 } else { 1 };
            model.ui.env_col = step(model.ui.env_col, delta, n);
            model.ui.health_row = 0;
        }
        Action::Left | Action::Right => {}
    }
    Vec::new()
}

/// Moves the focused pane's selection by `delta`, clamped to its rows.
pub(super) fn move_row(model: &mut Model, delta: i64) {
    match model.ui.focus {
        Pane::Environments => {
            let n = model.world.config.services.len();
            let before = model.ui.service_row;
            model.ui.service_row = step(before, delta, n);
            if before != model.ui.service_row {
                model.ui.image_row = 0;
            }
        }
        Pane::Images => {
            let n = model.selected_service().map(|s| model.world.image_rows(s).len()).unwrap_or(0);
            model.ui.image_row = step(model.ui.image_row, delta, n);
        }
        Pane::Health => {
            let n = model.world.slot_keys(model.selected_env()).len();
            model.ui.health_row = step(model.ui.health_row, delta, n);
        }
        Pane::Alerts => {
            let n = model.world.alerts.alerts.len();
            model.ui.alert_row = step(model.ui.alert_row, delta, n);
        }
        Pane::Actions => {
            let n = model.world.actions.recent.len();
            model.ui.action_row = step(model.ui.action_row, delta, n);
        }
        Pane::Approvals => {
            let n = model.world.request_rows().len();
            model.ui.approval_row = step(model.ui.approval_row, delta, n);
        }
    }
}

pub(super) fn step(current: usize, delta: i64, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (current as i64).saturating_add(delta).clamp(0, len as i64 - 1) as usize
}
