//! The Logs view's keys and news. `L` opens it on every slot of the selected service in the
//! selected environment (or, in the Health pane, on the selected slot); inside it `/` filters as
//! you type, Space pauses, ↑↓ PgUp PgDn scroll back (which pauses), `G`/End follows again, `w`
//! wraps, `t` shows times, Esc/q/L close. Lines come in cleaned and masked by their follower
//! (`opsdeck_core::watch::log_text`): folding a batch in is only moving it into the ring.

use super::filter::FilterKey;
use crate::keymap::Action;
use crate::model::logs::{LogReach, PAGE};
use crate::model::{Model, Pane, SlotId};
use crate::msg::{Cmd, LogEvent};
use crossterm::event::KeyEvent;
use opsdeck_core::text::cleaned;

/// Opens the view on what the focused pane has selected.
pub(super) fn open(model: &mut Model) -> Vec<Cmd> {
    let (Some(service), Some(env)) = (model.selected_service(), model.selected_env()) else {
        return Vec::new();
    };
    let (mut service, env) = (service.to_string(), env.to_string());
    let rows = model.world.slot_rows(Some(&env));
    let slots: Vec<SlotId> = if model.ui.focus == Pane::Health {
        match rows.get(model.ui.health_row) {
            Some(row) => {
                service = row.id.service.clone();
                vec![row.id.clone()]
            }
            None => Vec::new(),
        }
    } else {
        rows.into_iter().filter(|r| r.id.service == service).map(|r| r.id).collect()
    };
    if slots.is_empty() {
        model.ui.notice = Some(format!("no slots of {service} in {env} to follow"));
        return Vec::new();
    }
    let tail = model.world.config.logs.ring();
    model.ui.logs.reopen(&service, &env, slots.clone(), tail);
    model.ui.show(crate::model::Overlay::Logs, true);
    vec![Cmd::FollowLogs { generation: model.ui.logs.generation, slots, tail }]
}

/// News from a follower: ignored unless it belongs to the open view.
pub(super) fn on_event(model: &mut Model, generation: u64, slot: SlotId, event: LogEvent) {
    let open = model.ui.is_open(crate::model::OverlayKind::Logs);
    let view = &mut model.ui.logs;
    if !open || view.generation != generation {
        return;
    }
    let Some(index) = view.slot_index(&slot) else { return };
    let now = model.world.now;
    match event {
        LogEvent::Streaming => view.slots[index].reach = LogReach::Streaming,
        // Cleaned and masked by the follower: nothing slow here, on the path that draws.
        LogEvent::Lines { lines, dropped } => view.push(index, lines, dropped, now),
        LogEvent::Failed(e) => {
            let reason = cleaned(&e.to_string());
            let reach = &mut view.slots[index].reach;
            *reach = match reach {
                LogReach::Unreachable { since, .. } => LogReach::Unreachable { reason, since: *since },
                LogReach::Streaming => LogReach::Ended(reason),
                _ => LogReach::Unreachable { reason, since: now },
            };
        }
        LogEvent::Ended => {
            view.slots[index].reach = LogReach::Ended("the container stopped, resumes when it runs".into())
        }
    }
}

/// Keys while the filter is typed: every printable key goes into it.
pub(super) fn on_edit_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let view = &mut model.ui.logs;
    match super::filter::edit(&mut view.filter, &mut view.editing, &key) {
        FilterKey::Quit => {
            model.should_quit = true;
            return vec![Cmd::Quit];
        }
        FilterKey::Changed => view.scroll = 0,
        FilterKey::Kept | FilterKey::Other => {}
    }
    Vec::new()
}

/// Keys while the view is open and the filter is not being typed.
pub(super) fn on_action(model: &mut Model, action: Action) -> Vec<Cmd> {
    let view = &mut model.ui.logs;
    match action {
        Action::Close if !view.filter.is_empty() => {
            view.filter.clear();
            view.scroll = 0;
        }
        // q closes the view rather than quitting, as in help and the Audit view.
        Action::Close | Action::Quit | Action::Logs => {
            view.close();
            model.ui.show(crate::model::Overlay::Logs, false);
            return vec![Cmd::StopLogs];
        }
        Action::Filter => view.editing = true,
        Action::Pause if view.paused_at.is_some() => view.follow(),
        Action::Pause => view.pause(),
        Action::Up => view.scroll_by(1),
        Action::Down => view.scroll_by(-1),
        Action::PageUp => view.scroll_by(PAGE as i64),
        Action::PageDown => view.scroll_by(-(PAGE as i64)),
        Action::Top => view.scroll_by(i64::MAX / 2),
        Action::Bottom => view.follow(),
        Action::Wrap => view.wrap = !view.wrap,
        Action::Timestamps => view.timestamps = !view.timestamps,
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use crate::test_support::gen_demo_model_all_up;
    use crate::update::update;
    use crossterm::event::KeyEvent;
    use crossterm::event::{KeyCode, KeyModifiers};
    use opsdeck_backends::docker::logs::{LogLine, LogSource};

    fn key(model: &mut Model, c: KeyCode) -> Vec<Cmd> {
        update(model, Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)))
    }

    /// A line as its follower sends it (cleaned, masked with `secrets`).
    fn sent(text: &str, secrets: &opsdeck_core::secrets::Secrets) -> crate::model::logs::ShownLine {
        let raw = LogLine { at: None, source: LogSource::Stdout, text: text.into(), cut: 0 };
        opsdeck_core::watch::log_text::shown(raw, secrets)
    }

    #[test]
    fn l_follows_the_service_slots_or_the_selected_slot() {
        let mut m = gen_demo_model_all_up();
        let cmds = key(&mut m, KeyCode::Char('L'));
        let [Cmd::FollowLogs { generation, slots, tail }] = cmds.as_slice() else { panic!("{cmds:?}") };
        assert!(m.ui.is_open(crate::model::OverlayKind::Logs));
        assert_eq!((*generation, *tail), (m.ui.logs.generation, 2000));
        let service = m.selected_service().expect("service").to_string();
        assert!(slots.len() >= 2 && slots.iter().all(|s| s.service == service), "{slots:?}");
        // Closing stops the followers; a late line of that view is ignored.
        assert_eq!(key(&mut m, KeyCode::Char('q')), vec![Cmd::StopLogs]);
        assert!(!m.ui.is_open(crate::model::OverlayKind::Logs) && !m.should_quit);
        let late = Msg::Logs(
            *generation,
            slots[0].clone(),
            LogEvent::Lines { lines: vec![sent("late", &m.world.secrets)], dropped: 0 },
        );
        update(&mut m, late);
        assert_eq!(m.ui.logs.kept(), 0);
        // In the Health pane: the selected slot only.
        m.ui.focus = Pane::Health;
        let cmds = key(&mut m, KeyCode::Char('L'));
        let [Cmd::FollowLogs { slots, .. }] = cmds.as_slice() else { panic!("{cmds:?}") };
        assert_eq!(slots.len(), 1);
    }

    #[test]
    fn lines_are_masked_and_counted_and_keys_move_the_view() {
        let mut m = gen_demo_model_all_up();
        m.world.secrets = std::sync::Arc::new(opsdeck_core::secrets::Secrets::new(["s3cr3t-Val-42"]));
        key(&mut m, KeyCode::Char('L'));
        let (generation, slot) = (m.ui.logs.generation, m.ui.logs.slots[0].slot.clone());
        update(&mut m, Msg::Logs(generation, slot.clone(), LogEvent::Streaming));
        let lines = vec![
            sent("environment: API_TOKEN=s3cr3t-Val-42", &m.world.secrets),
            sent("\x1b[1mGET /\x1b[0m 200", &m.world.secrets),
        ];
        update(&mut m, Msg::Logs(generation, slot.clone(), LogEvent::Lines { lines, dropped: 7 }));
        let texts: Vec<_> = m.ui.logs.rows().iter().map(|(_, l)| l.text.clone()).collect();
        assert_eq!(texts, ["environment: API_TOKEN=••••", "GET / 200"]);
        assert_eq!((m.ui.logs.kept(), m.ui.logs.dropped()), (2, 7));
        key(&mut m, KeyCode::Char(' '));
        assert!(m.ui.logs.paused_at.is_some());
        key(&mut m, KeyCode::Char('G'));
        assert!(m.ui.logs.paused_at.is_none());
        key(&mut m, KeyCode::Up);
        assert!(m.ui.logs.paused_at.is_some() && m.ui.logs.scroll == 1);
        key(&mut m, KeyCode::Char('w'));
        key(&mut m, KeyCode::Char('t'));
        assert!(m.ui.logs.wrap && !m.ui.logs.timestamps);
        key(&mut m, KeyCode::Char('/'));
        for c in "get".chars() {
            key(&mut m, KeyCode::Char(c));
        }
        assert_eq!(m.ui.logs.rows().len(), 1);
        key(&mut m, KeyCode::Enter);
        key(&mut m, KeyCode::Esc);
        assert!(
            m.ui.logs.filter.is_empty() && m.ui.is_open(crate::model::OverlayKind::Logs),
            "Esc clears the filter first"
        );
        update(
            &mut m,
            Msg::Logs(
                generation,
                slot,
                LogEvent::Failed(opsdeck_backends::BackendError::Timeout {
                    system: "docker",
                    after: std::time::Duration::from_secs(3),
                }),
            ),
        );
        assert!(matches!(m.ui.logs.slots[0].reach, LogReach::Ended(_)));
    }
}
