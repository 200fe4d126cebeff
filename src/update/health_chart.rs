//! The health chart view (`v`) and the history behind it and behind the Health pane's
//! sparklines: `/health` latencies and HAProxy's counters are recorded here as they come in.

use super::container::selected_slot;
use crate::keymap::Action;
use crate::model::{Model, Pane};
use crate::msg::Cmd;

/// `v`: chart the selected slot.
pub(super) fn open(model: &mut Model) {
    if let Some(slot) = selected_slot(model) {
        model.ui.set_health_chart(Some(slot));
    } else {
        model.ui.notice = Some("select a slot (Health pane) or a service (Environments pane) to chart".into());
    }
}

/// Keys while the chart is open: Esc or `v` closes, ↑/↓ chart the previous / next slot of the
/// Health pane, Enter opens that slot's container detail.
pub(super) fn on_action(model: &mut Model, action: Action) -> Vec<Cmd> {
    match action {
        Action::Close | Action::HealthChart => model.ui.set_health_chart(None),
        Action::Up | Action::Down if model.ui.focus == Pane::Health => {
            let n = model.world.slot_keys(model.selected_env()).len();
            let delta = if action == Action::Up { -1 } else { 1 };
            model.ui.health_row = super::keys::step(model.ui.health_row, delta, n);
            model.ui.set_health_chart(selected_slot(model));
        }
        Action::Confirm => {
            model.ui.set_health_chart(None);
            return super::container::open_selected(model);
        }
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
    use crate::model::SlotId;
    use crate::msg::Msg;
    use crate::test_support::{gen_demo_model, gen_now};
    use crate::update::update;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use opsdeck_backends::types::{HealthReport, HealthVerdict};
    use opsdeck_core::world::Fact;
    use std::time::Duration;

    fn key(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn slot(host: &str) -> SlotId {
        SlotId {
            env: "prod".into(),
            service: "api".into(),
            slot: "blue".into(),
            host: host.into(),
            replica: String::new(),
        }
    }

    #[test]
    fn haproxy_polls_become_rates_and_probes_latencies() {
        let mut m = gen_demo_model();
        let mut servers = m.world.lbs["prod"].servers().to_vec();
        update(&mut m, Msg::Fact(Fact::Lb("prod".into(), Ok(servers.clone()))));
        update(&mut m, Msg::Tick(gen_now() + chrono::Duration::seconds(4)));
        for s in servers.iter_mut().filter(|s| s.backend == "api_prod" && s.server == "blue-prod-1") {
            (s.requests, s.http_5xx) = (s.requests + 100, s.http_5xx + 2);
        }
        update(&mut m, Msg::Fact(Fact::Lb("prod".into(), Ok(servers))));
        let t = m.world.history.traffic_of(&slot("prod-1")).expect("api prod blue");
        assert_eq!(t.requests.latest().map(|s| s.value), Some(25.0));
        assert_eq!(t.errors.latest().map(|s| s.value), Some(0.5));
        let report = HealthReport {
            verdict: HealthVerdict::Healthy,
            reason: String::new(),
            http_status: Some(200),
            latency: Duration::from_millis(12),
            status_field: None,
            services: Default::default(),
            uptime_secs: None,
        };
        update(&mut m, Msg::Fact(Fact::Health(slot("prod-1"), report.clone())));
        let unreachable = HealthReport { verdict: HealthVerdict::Unreachable, ..report };
        update(&mut m, Msg::Fact(Fact::Health(slot("prod-1"), unreachable)));
        let ring = &m.world.history.latency[&slot("prod-1")];
        assert_eq!((ring.len(), ring.latest().map(|s| s.value)), (1, Some(12.0)), "no answer, no latency");
        // Ten minutes later the tick forgets it all.
        update(&mut m, Msg::Tick(gen_now() + chrono::Duration::minutes(11)));
        assert!(m.world.history.latency.is_empty() && m.world.history.traffic.is_empty());
    }

    #[test]
    fn v_charts_the_selected_slot_and_esc_closes() {
        let mut m = gen_demo_model();
        m.ui.focus = Pane::Health;
        (m.ui.env_col, m.ui.health_row) = (2, 0);
        update(&mut m, key(KeyCode::Char('v')));
        assert_eq!(m.ui.health_chart().cloned(), Some(slot("prod-1")));
        update(&mut m, key(KeyCode::Down));
        assert_eq!(m.ui.health_chart().cloned(), Some(slot("prod-2")), "↓ charts the next slot");
        update(&mut m, key(KeyCode::Esc));
        assert_eq!(m.ui.health_chart().cloned(), None);
        update(&mut m, key(KeyCode::Char('v')));
        update(&mut m, key(KeyCode::Enter));
        assert!(m.ui.health_chart().is_none() && m.ui.container().is_some(), "Enter: the slot's container");
    }
}
