//! Snapshots of health over time and the container detail: the Health pane with sparklines,
//! the chart view (`v`) and the detail overlay (Enter), at 80x24 and 160x48 (and 120 columns,
//! where the rate sparklines join), plus the overlay's loading and failed states.

use super::tests::{find, pane, screen};
use super::*;
use crate::model::container::DetailState;
use crate::test_support::{gen_chart_model, gen_detail_model, gen_history_model};
use insta::assert_snapshot;
use opsdeck_core::secrets::MASK;

fn health_focused() -> Model {
    let mut m = gen_history_model();
    m.ui.focus = Pane::Health;
    (m.ui.env_col, m.ui.health_row) = (2, 0);
    m
}

/// Full screen 80x24, Health focused on prod with history: the latency sparkline column.
#[test]
fn history_screen_80x24_health_sparklines() {
    let backend = screen(&health_focused(), 80, 24);
    assert!(find(backend.buffer(), "latency").is_some(), "latency column at 80 columns");
    assert_snapshot!(backend);
}

/// Full screen 120x30, Health focused on prod with history: latency, req/s and 5xx/s.
#[test]
fn history_screen_120x30_health_sparklines() {
    let backend = screen(&health_focused(), 120, 30);
    for header in ["latency", "req/s", "5xx/s"] {
        assert!(find(backend.buffer(), header).is_some(), "{header} at 120 columns");
    }
    assert_snapshot!(backend);
}

/// Full screen 160x48, Health focused on prod with history: all three sparklines.
#[test]
fn history_screen_160x48_health_sparklines() {
    let backend = screen(&health_focused(), 160, 48);
    for header in ["latency", "req/s", "5xx/s"] {
        assert!(find(backend.buffer(), header).is_some(), "{header} at 160 columns");
    }
    assert_snapshot!(backend);
}

/// Health pane alone at 80x24 with history.
#[test]
fn history_health_pane_80x24() {
    assert_snapshot!(pane(&health_focused(), 80, 24, health::render, true));
}

/// Colour: prod api's 5xx/s cell is crit while its 5xx rate is above zero.
#[test]
fn history_5xx_sparkline_is_crit_while_errors_flow() {
    let mut m = health_focused();
    let key = crate::model::history::ServerKey {
        env: "prod".into(),
        service: "api".into(),
        slot: "blue".into(),
        host: "prod-1".into(),
    };
    let t = m.world.history.traffic.get_mut(&key).expect("prod api traffic");
    t.observe(m.world.now + chrono::Duration::seconds(2), u64::MAX / 4, u64::MAX / 4);
    m.world.now += chrono::Duration::seconds(2);
    let backend = pane(&m, 160, 12, health::render, true);
    let buf = backend.buffer();
    let (x, y) = find(buf, "5xx/s").expect("5xx column");
    assert_eq!(buf[(x, y + 1)].fg, Theme::default().crit.fg.unwrap_or_default(), "prod api blue's 5xx cell");
}

/// The chart view at 80x24: prod api blue's latency, req/s and 5xx/s over ten minutes.
#[test]
fn history_chart_80x24() {
    let backend = screen(&gen_chart_model(), 80, 24);
    let text = backend.to_string();
    assert!(text.contains("600s ago") && text.contains("300s ago") && text.contains("now"), "{text}");
    assert_snapshot!(backend);
}

/// The chart view at 160x48.
#[test]
fn history_chart_160x48() {
    assert_snapshot!(screen(&gen_chart_model(), 160, 48));
}

/// The chart of a slot with no samples yet says so instead of drawing empty axes.
#[test]
fn history_chart_without_samples() {
    let mut m = gen_chart_model();
    m.world.history = Default::default();
    let text = screen(&m, 80, 24).to_string();
    assert!(text.contains("no samples yet"), "{text}");
}

/// The container detail at 80x24: image, tag, digest, state, health log; secrets masked.
#[test]
fn detail_80x24() {
    let backend = screen(&gen_detail_model(), 80, 24);
    let text = backend.to_string();
    assert!(!text.contains("tok-3f9c2e1-secret"), "{text}");
    assert_snapshot!(backend);
}

/// The container detail at 160x48: everything, labels and environment included, secrets masked.
#[test]
fn detail_160x48() {
    let backend = screen(&gen_detail_model(), 160, 48);
    let text = backend.to_string();
    let line = |name: &str| text.lines().find(|l| l.contains(name)).unwrap_or_default().to_string();
    assert!(line("API_TOKEN").contains(MASK), "{text}");
    assert!(line("LOG_LEVEL").contains("info"), "{text}");
    assert!(!text.contains("tok-3f9c2e1-secret"), "{text}");
    assert_snapshot!(backend);
}

/// Scrolled to the end at 80x24: the environment, masked.
#[test]
fn detail_80x24_scrolled_to_the_environment() {
    let mut m = gen_detail_model();
    if let Some(v) = m.ui.container_mut() {
        v.scroll = u16::MAX / 2;
    }
    let text = screen(&m, 80, 24).to_string();
    let api_token = text.lines().find(|l| l.contains("API_TOKEN")).unwrap_or_default();
    assert!(api_token.contains(MASK), "{text}");
    assert!(text.contains("LOG_LEVEL"), "{text}");
    assert_snapshot!(text);
}

/// While the inspect runs, and when the host does not answer.
#[test]
fn detail_loading_and_failed() {
    let mut m = gen_detail_model();
    if let Some(v) = m.ui.container_mut() {
        v.state = DetailState::Loading;
    }
    assert!(screen(&m, 80, 24).to_string().contains("inspecting api-prod-blue-id"));
    if let Some(v) = m.ui.container_mut() {
        v.state = DetailState::Failed("docker: no answer within 3s".into());
    }
    assert_snapshot!(screen(&m, 80, 24));
}
