//! The container detail overlay: Enter on a slot (Health pane) or on a cell (Environments pane,
//! its live slot) opens it and asks the runtime to inspect the container; the answer fills it.

use crate::keymap::Action;
use crate::model::container::{masked_detail, ContainerView, DetailState};
use crate::model::{HostId, Model, Pane, SlotId};
use crate::msg::Cmd;
use opsdeck_backends::types::ContainerDetail;
use opsdeck_backends::BackendError;
use opsdeck_core::text::cleaned;

/// Enter in a main pane: open the detail of the selected slot, if the pane has one.
pub(super) fn open_selected(model: &mut Model) -> Vec<Cmd> {
    match selected_slot(model) {
        Some(slot) => open(model, slot),
        None => Vec::new(),
    }
}

/// The slot Enter (and `v`) is about: the Health pane's selected row, or the Environments
/// pane's selected cell's live slot (on the first host that has it).
pub(super) fn selected_slot(model: &Model) -> Option<SlotId> {
    match model.ui.focus {
        Pane::Health => {
            let rows = model.world.slot_rows(model.selected_env());
            rows.get(model.ui.health_row.min(rows.len().saturating_sub(1))).map(|r| r.id.clone())
        }
        Pane::Environments => {
            let (env, service) = (model.selected_env()?, model.selected_service()?);
            let live = model.world.live_slot(env, service)?;
            let rows = model.world.slot_rows(Some(env));
            let mine = rows.into_iter().filter(|r| r.id.service == service && r.id.slot == live);
            let mut mine: Vec<_> = mine.collect();
            mine.sort_by_key(|r| r.container.is_none());
            mine.into_iter().next().map(|r| r.id)
        }
        _ => None,
    }
}

/// Opens the overlay on `slot` and asks for its inspect. A container not seen yet (its host
/// is down) is asked for by its slot name: the engine's answer, or its silence, is the story.
fn open(model: &mut Model, slot: SlotId) -> Vec<Cmd> {
    let host = HostId { env: slot.env.clone(), host: slot.host.clone() };
    let known = model.world.hosts.get(&host).and_then(|h| {
        // A task row is about that task, not the slot's first one.
        let mut all = h.slot_containers_all(&slot.service, &slot.env, &slot.slot);
        if slot.replica.is_empty() {
            all.next()
        } else {
            all.find(|c| c.name == slot.replica)
        }
    });
    let name = format!("{}-{}-{}", slot.service, slot.env, slot.slot);
    let (container_id, name) = match known {
        Some(c) => (c.id.clone(), c.name.clone()),
        None => (name.clone(), name),
    };
    model.ui.set_container(Some(ContainerView {
        slot,
        host: host.clone(),
        container_id: container_id.clone(),
        name,
        state: DetailState::Loading,
        scroll: 0,
    }));
    vec![Cmd::InspectContainer { host, container_id }]
}

/// The inspect's answer: kept only if the overlay still shows that container.
pub(super) fn on_detail(model: &mut Model, container_id: String, result: Result<Box<ContainerDetail>, BackendError>) {
    let config = model.world.config.clone();
    let Some(view) = model.ui.container_mut().filter(|v| v.container_id == container_id) else { return };
    view.state = match result {
        Ok(detail) => DetailState::Loaded(Box::new(masked_detail(&config, &view.slot.service, *detail))),
        Err(e) => DetailState::Failed(cleaned(&e.to_string())),
    };
}

/// Keys while the overlay is open: Esc closes, arrows scroll, q quits, ? helps.
pub(super) fn on_action(model: &mut Model, action: Action) -> Vec<Cmd> {
    let Some(view) = model.ui.container_mut() else { return Vec::new() };
    match action {
        Action::Close | Action::Confirm => model.ui.set_container(None),
        Action::Up => view.scroll = view.scroll.saturating_sub(1),
        Action::Down => view.scroll = view.scroll.saturating_add(1),
        Action::Top => view.scroll = 0,
        Action::Bottom => view.scroll = u16::MAX / 2,
        Action::Quit => {
            model.should_quit = true;
            return vec![Cmd::Quit];
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use crate::test_support::{gen_container_detail, gen_demo_model};
    use crate::update::update;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use opsdeck_core::secrets::MASK;

    fn key(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn prod_health() -> Model {
        let mut m = gen_demo_model();
        m.ui.focus = Pane::Health;
        (m.ui.env_col, m.ui.health_row) = (2, 0);
        m
    }

    #[test]
    fn enter_on_a_slot_opens_the_detail_and_asks_for_the_inspect() {
        let mut m = prod_health();
        let cmds = update(&mut m, key(KeyCode::Enter));
        let host = HostId { env: "prod".into(), host: "prod-1".into() };
        assert_eq!(cmds, vec![Cmd::InspectContainer { host, container_id: "api-prod-blue-id".into() }]);
        let view = m.ui.container().expect("open");
        assert_eq!((view.name.as_str(), &view.state), ("api-prod-blue", &DetailState::Loading));
    }

    #[test]
    fn a_slot_on_a_dead_host_is_asked_for_by_name_and_its_error_shown() {
        let mut m = prod_health();
        m.ui.health_row = 1; // prod-2, unreachable
        let cmds = update(&mut m, key(KeyCode::Enter));
        let host = HostId { env: "prod".into(), host: "prod-2".into() };
        assert_eq!(cmds, vec![Cmd::InspectContainer { host, container_id: "api-prod-blue".into() }]);
        let err = BackendError::Timeout { system: "docker", after: std::time::Duration::from_secs(3) };
        update(&mut m, Msg::ContainerDetail("api-prod-blue".into(), Err(err)));
        let state = &m.ui.container().expect("open").state;
        assert_eq!(state, &DetailState::Failed("docker: no answer within 3s".into()));
        // Keys still answer: Esc closes.
        update(&mut m, key(KeyCode::Esc));
        assert!(m.ui.container().is_none());
    }

    #[test]
    fn the_answer_is_masked_and_a_stale_one_ignored() {
        let mut m = prod_health();
        update(&mut m, key(KeyCode::Enter));
        let other = gen_container_detail("prod", "web", "blue", "v1.2.0");
        update(&mut m, Msg::ContainerDetail("web-prod-blue-id".into(), Ok(Box::new(other))));
        assert_eq!(m.ui.container().map(|v| &v.state), Some(&DetailState::Loading), "not ours");
        let mut d = gen_container_detail("prod", "api", "blue", "v1.2.0");
        d.name = "api-prod-blue\x1b]0;pwned\x07".into();
        update(&mut m, Msg::ContainerDetail("api-prod-blue-id".into(), Ok(Box::new(d))));
        let DetailState::Loaded(d) = &m.ui.container().expect("open").state else { panic!("not loaded") };
        assert_eq!(d.name, "api-prod-blue]0;pwned");
        let token = d.env.iter().find(|v| v.name == "API_TOKEN").expect("API_TOKEN");
        assert_eq!(token.value, MASK);
        assert!(!format!("{m:?}").contains("tok-3f9c2e1-secret"));
    }

    #[test]
    fn enter_on_an_environment_cell_opens_its_live_slot() {
        let mut m = gen_demo_model();
        (m.ui.service_row, m.ui.env_col) = (1, 1); // web in staging, live green
        let cmds = update(&mut m, key(KeyCode::Enter));
        let host = HostId { env: "staging".into(), host: "staging-1".into() };
        assert_eq!(cmds, vec![Cmd::InspectContainer { host, container_id: "web-staging-green-id".into() }]);
    }

    #[test]
    fn keys_scroll_and_close_the_overlay_and_q_still_quits() {
        let mut m = prod_health();
        update(&mut m, key(KeyCode::Enter));
        update(&mut m, key(KeyCode::Char('j')));
        update(&mut m, key(KeyCode::Char('j')));
        update(&mut m, key(KeyCode::Char('k')));
        assert_eq!(m.ui.container().map(|v| v.scroll), Some(1));
        assert_eq!(m.ui.focus, Pane::Health, "Tab does nothing under the overlay");
        assert_eq!(update(&mut m, key(KeyCode::Char('q'))), vec![Cmd::Quit]);
    }
}
