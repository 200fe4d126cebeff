//! `update` masks every outside string it takes in: the model, `status` and every pane on screen
//! hold only the mask of a configured secret.

use opsdeck_core::secrets::MASK;

/// Everything the console takes in from outside, each carrying the secret: after `update`,
/// the model, `status --json`, `status` text and every pane on screen hold only the mask.
#[test]
fn update_masks_every_outside_string_it_takes_in() {
    use crate::model::{HostId, Model, Pane, SlotId};
    use crate::msg::Msg;
    use crate::update::update;
    use opsdeck_backends::types::{Alert, HealthReport, HealthVerdict};
    use opsdeck_backends::BackendError;
    use opsdeck_core::world::Fact;
    use std::sync::Arc;

    const LEAK: &str = "s3cr3t-Val-42";
    let text = crate::test_support::CONFIG.replacen(
        "container_port = 8080",
        &format!("container_port = 8080\nenv = {{ API_TOKEN = \"{LEAK}\", LOG_LEVEL = \"info\" }}"),
        1,
    );
    let config = Arc::new(opsdeck_core::config::parse_str(&text).expect("config"));
    let mut m = Model::new(config, "alice".into(), crate::test_support::gen_now());
    let dev = HostId { env: "dev".into(), host: "dev-1".into() };
    let mut c = crate::test_support::gen_container("dev", "api", "blue", "v1.3.0", true);
    c.status = format!("Up 2 hours (token {LEAK})");
    c.labels.insert("note".into(), format!("env API_TOKEN={LEAK}"));
    update(&mut m, Msg::Fact(Fact::HostSnapshot(dev.clone(), Ok(vec![c]))));
    let slot = SlotId {
        env: "dev".into(),
        service: "api".into(),
        slot: "blue".into(),
        host: "dev-1".into(),
        replica: String::new(),
    };
    let report = HealthReport {
        verdict: HealthVerdict::Unhealthy,
        reason: format!("HTTP 503: {{\"token\":\"{LEAK}\"}}"),
        http_status: Some(503),
        latency: std::time::Duration::from_millis(12),
        status_field: Some(format!("bad {LEAK}")),
        services: [("auth".to_string(), format!("rejected {LEAK}"))].into(),
        uptime_secs: Some(3),
    };
    update(&mut m, Msg::Fact(Fact::Health(slot, report)));
    let alert = Alert {
        name: "TokenLeak".into(),
        labels: [("service".to_string(), "api".to_string())].into(),
        annotations: [("summary".to_string(), format!("token {LEAK} seen in logs"))].into(),
        state: "active".into(),
        starts_at: None,
        fingerprint: "f1".into(),
    };
    update(&mut m, Msg::Fact(Fact::Alerts(Ok(vec![alert]))));
    let staging = HostId { env: "staging".into(), host: "staging-1".into() };
    let err = BackendError::Other { system: "docker", reason: format!("create: env API_TOKEN={LEAK} invalid") };
    update(&mut m, Msg::Fact(Fact::HostSnapshot(staging, Err(err))));
    update(&mut m, Msg::Notice(format!("notice {LEAK}")));

    let model_text = format!("{m:?}");
    assert!(!model_text.contains(LEAK), "the model holds the secret: {model_text}");
    assert!(model_text.contains(MASK), "nothing was masked: {model_text}");
    let json = serde_json::to_string(&crate::status::to_json(&m.world)).expect("json");
    assert!(!json.contains(LEAK) && json.contains(MASK), "{json}");
    let status = crate::status::to_text(&m.world);
    assert!(!status.contains(LEAK), "{status}");
    for pane in Pane::ALL {
        m.ui.focus = pane;
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("test backend");
        terminal.draw(|f| crate::ui::render(&m, f)).expect("draw");
        let buf = terminal.backend().buffer();
        let screen: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(!screen.contains(LEAK), "{pane:?}: {screen}");
    }
}
