//! The Audit view's keys: `A` opens and closes it, `/` filters as you type (Enter keeps the
//! filter, Esc clears it), the usual keys move through the records.

use super::filter::FilterKey;
use crate::keymap::Action;
use crate::model::{Model, Overlay};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent};

/// Opens the view on the newest record, typing into the filter at once when `editing`.
pub(super) fn open(model: &mut Model, editing: bool) {
    model.ui.show(Overlay::Audit, true);
    let view = &mut model.ui.audit;
    view.editing = editing;
    view.row = 0;
}

/// Keys while the filter is typed: every printable key goes into it.
pub(super) fn on_edit_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let view = &mut model.ui.audit;
    match super::filter::edit(&mut view.filter, &mut view.editing, &key) {
        FilterKey::Quit => {
            model.should_quit = true;
            return vec![Cmd::Quit];
        }
        FilterKey::Changed => view.row = 0,
        FilterKey::Kept => {}
        FilterKey::Other => match key.code {
            KeyCode::Up => move_row(model, -1),
            KeyCode::Down => move_row(model, 1),
            _ => {}
        },
    }
    Vec::new()
}

/// Keys while the view is open and the filter is not being typed.
pub(super) fn on_action(model: &mut Model, action: Action) -> Vec<Cmd> {
    let view = &mut model.ui.audit;
    match action {
        Action::Close if !view.filter.is_empty() => {
            view.filter.clear();
            view.row = 0;
        }
        // q closes the view rather than quitting, as in help: a reflexive second q stays safe.
        Action::Close | Action::Audit | Action::Quit => model.ui.show(Overlay::Audit, false),
        Action::Filter => view.editing = true,
        Action::Up => move_row(model, -1),
        Action::Down => move_row(model, 1),
        Action::Top => move_row(model, i64::MIN / 2),
        Action::Bottom => move_row(model, i64::MAX / 2),
        _ => {}
    }
    Vec::new()
}

fn move_row(model: &mut Model, delta: i64) {
    let n = model.audit_rows().len();
    model.ui.audit.row = super::keys::step(model.ui.audit.row, delta, n);
}
