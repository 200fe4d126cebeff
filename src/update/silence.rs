//! Silences from the keyboard: `s` opens the silence form on the selected alert, `S` the
//! silences list (`x` expires the selected one, after a y).

use super::keys::step;
use crate::keymap::Action;
use crate::model::silence::{FormField, SilenceForm, MAX_COMMENT, MAX_DURATION_TEXT};
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_backends::alertmanager::NewSilence;

/// Expired silences the list shows under the live ones.
pub const RECENT_EXPIRED: usize = 20;

/// `s`: the form for the alert selected in the Alerts pane.
pub(super) fn open_form(model: &mut Model) -> Vec<Cmd> {
    if model.ui.focus != Pane::Alerts {
        model.ui.notice = Some("s silences the selected alert: Tab to the Alerts pane first".into());
        return Vec::new();
    }
    let rows = model.world.alert_rows();
    let Some(alert) = rows.get(model.ui.alert_row.min(rows.len().saturating_sub(1))) else {
        model.ui.notice = Some("no alert to silence".into());
        return Vec::new();
    };
    let form = SilenceForm::for_alert(&alert.name, &alert.labels);
    model.ui.set_silence_form(Some(form));
    Vec::new()
}

/// Keys while the form is open: it takes them all.
pub(super) fn on_form_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(form) = model.ui.silence_form_mut() else { return Vec::new() };
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        model.should_quit = true;
        return vec![Cmd::Quit];
    }
    match key.code {
        KeyCode::Esc => model.ui.set_silence_form(None),
        KeyCode::Tab => form.field = form.field.next(),
        KeyCode::BackTab => form.field = form.field.prev(),
        KeyCode::Enter => return submit(model),
        KeyCode::Up if form.field == FormField::Matchers => form.label_row = form.label_row.saturating_sub(1),
        KeyCode::Down if form.field == FormField::Matchers => {
            form.label_row = step(form.label_row, 1, form.labels.len())
        }
        KeyCode::Char(' ') if form.field == FormField::Matchers => {
            if let Some(label) = form.labels.get_mut(form.label_row) {
                if label.name == "alertname" {
                    form.error = Some("alertname is always kept: it names what is silenced".into());
                } else {
                    label.keep = !label.keep;
                    form.error = None;
                }
            }
        }
        KeyCode::Backspace => {
            match form.field {
                FormField::Duration => form.duration.pop(),
                FormField::Comment => form.comment.pop(),
                FormField::Matchers => None,
            };
        }
        KeyCode::Char(c) if !c.is_control() => match form.field {
            FormField::Duration if form.duration.chars().count() < MAX_DURATION_TEXT => form.duration.push(c),
            FormField::Comment if form.comment.chars().count() < MAX_COMMENT => form.comment.push(c),
            FormField::Matchers => match c {
                'k' => form.label_row = form.label_row.saturating_sub(1),
                'j' => form.label_row = step(form.label_row, 1, form.labels.len()),
                _ => {}
            },
            _ => {}
        },
        _ => {}
    }
    Vec::new()
}

/// Enter: a checked silence to create (author: the console's user), or the form says what is
/// missing and moves to it.
fn submit(model: &mut Model) -> Vec<Cmd> {
    let Some(form) = model.ui.silence_form_mut() else { return Vec::new() };
    match form.validate() {
        Ok((matchers, duration, comment)) => {
            let starts_at = model.world.now;
            let ends_at = starts_at + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::hours(1));
            let silence = NewSilence { matchers, starts_at, ends_at, created_by: model.world.user.clone(), comment };
            model.ui.notice = Some(format!("silencing {} for {}…", form.alert, humantime::format_duration(duration)));
            model.ui.set_silence_form(None);
            vec![Cmd::CreateSilence(silence)]
        }
        Err(e) => {
            form.field = if e.contains("comment") {
                FormField::Comment
            } else if e.contains("duration") {
                FormField::Duration
            } else {
                FormField::Matchers
            };
            form.error = Some(e);
            Vec::new()
        }
    }
}

/// `S`: the silences list.
pub(super) fn open_list(model: &mut Model) -> Vec<Cmd> {
    if model.world.alerts.configured {
        model.ui.silences = crate::model::silence::SilencesView::default();
        model.ui.show(crate::model::Overlay::Silences, true);
    } else {
        model.ui.notice = Some("no Alertmanager in the config: nothing to list".into());
    }
    Vec::new()
}

/// Keys while the list is open: it takes them all.
pub(super) fn on_list_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    if let Some(id) = model.ui.silences.confirm_expire.take() {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                model.ui.notice = Some(format!("expiring silence {id}…"));
                vec![Cmd::ExpireSilence(id)]
            }
            _ => Vec::new(),
        };
    }
    let n = model.world.silences.rows(RECENT_EXPIRED).len();
    let view = &mut model.ui.silences;
    match key.code {
        KeyCode::Char('x') | KeyCode::Delete => {
            let rows = model.world.silences.rows(RECENT_EXPIRED);
            match rows.get(view.row.min(n.saturating_sub(1))) {
                Some(s) if s.state == "expired" => model.ui.notice = Some(format!("silence {} already expired", s.id)),
                Some(s) => view.confirm_expire = Some(s.id.clone()),
                None => {}
            }
            return Vec::new();
        }
        KeyCode::Char('S') => {
            model.ui.show(crate::model::Overlay::Silences, false);
            return Vec::new();
        }
        _ => {}
    }
    match model.keymap.action_for(&key) {
        Some(Action::Quit) if key.modifiers.contains(KeyModifiers::CONTROL) => {
            model.should_quit = true;
            return vec![Cmd::Quit];
        }
        Some(Action::Close | Action::Quit) => model.ui.show(crate::model::Overlay::Silences, false),
        Some(Action::Up) => view.row = step(view.row, -1, n),
        Some(Action::Down) => view.row = step(view.row, 1, n),
        Some(Action::Top) => view.row = 0,
        Some(Action::Bottom) => view.row = n.saturating_sub(1),
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
