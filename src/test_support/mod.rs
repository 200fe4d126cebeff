//! The console's fixtures: models built on the core's fixture worlds ([`opsdeck_core::testing`]),
//! with the overlays and selections each snapshot test needs.

pub use opsdeck_core::testing::*;

mod actions;
pub use actions::*;

use crate::model::actions::{Confirm, RequestDraft};
use crate::model::{Model, Reach, SlotId};
use opsdeck_core::actions::ActionKind;

/// An empty model: every system pending.
pub fn gen_model() -> Model {
    Model::new(gen_config(), "alice".into(), gen_now())
}

/// The demo world (see [`gen_demo_world`]) in a console at rest.
pub fn gen_demo_model() -> Model {
    Model { world: gen_demo_world(), ..gen_model() }
}

/// The demo world with prod-2 answering (see [`gen_demo_world_all_up`]) in a console at rest.
pub fn gen_demo_model_all_up() -> Model {
    Model { world: gen_demo_world_all_up(), ..gen_model() }
}

/// The confirmation `p`/`r` opens for `service` in `env` (alice at the keyboard), with `typed`
/// already typed; an environment that requires approval asks for its name, and a promote or
/// rollback there that needs an approver for a reason (none typed yet).
pub fn gen_confirm(kind: ActionKind, service: &str, env: &str, typed: &str) -> Confirm {
    let plan = gen_plan(kind, service, env);
    let config = gen_config();
    let env_config = config.environment(env);
    let approval = env_config.is_some_and(|e| e.approval == opsdeck_core::config::ApprovalPolicy::Required);
    let request = env_config
        .filter(|_| opsdeck_core::approvals::needs_approval(&config, &plan))
        .map(|e| RequestDraft { deciders: opsdeck_core::approvals::deciders(e, "alice"), ..RequestDraft::default() });
    let silence = config.alertmanager.is_some().then_some(false);
    Confirm { plan, type_to_confirm: approval.then(|| env.to_string()), typed: typed.into(), request, silence }
}

/// The demo model with the silences list open on alice's silence.
pub fn gen_silences_model() -> Model {
    let mut m = gen_demo_model();
    m.world.silences.reach = Reach::Up { at: m.world.now };
    m.world.silences.silences = gen_silences();
    m.ui.show(crate::model::Overlay::Silences, true);
    m
}

/// The demo model, Alerts focused, the silence form open on HighErrorRate with severity dropped,
/// a comment typed and the comment field focused.
pub fn gen_silence_form_model() -> Model {
    let mut m = gen_demo_model();
    m.ui.focus = crate::model::Pane::Alerts;
    let alert = m.world.alert_rows().first().map(|a| (a.name.clone(), a.labels.clone()));
    if let Some((name, labels)) = alert {
        let mut form = crate::model::silence::SilenceForm::for_alert(&name, &labels);
        if let Some(l) = form.labels.iter_mut().find(|l| l.name == "severity") {
            l.keep = false;
        }
        form.comment = "rolling api back".into();
        form.field = crate::model::silence::FormField::Comment;
        m.ui.set_silence_form(Some(form));
    }
    m
}

/// The demo stack with every prod host up (so requests can be planned), alice at the keyboard,
/// and [`gen_requests`] in the store.
pub fn gen_approvals_model() -> Model {
    let mut m = gen_demo_model_all_up();
    m.world.approvals.requests = gen_requests();
    m.world.approvals.loaded = true;
    m
}

fn gen_key(c: char) -> crate::msg::Msg {
    crate::msg::Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// [`gen_approvals_model`] after alice pressed `a` on carol's pending request: the approval view.
pub fn gen_approval_view_model() -> Model {
    let mut m = gen_approvals_model();
    m.ui.focus = crate::model::Pane::Approvals;
    crate::update::update(&mut m, gen_key('a'));
    assert!(m.ui.approval().is_some(), "the approval view opens: {:?}", m.ui.notice);
    m
}

/// [`gen_approvals_model`] after alice pressed `x` on carol's pending request and typed `reason`.
pub fn gen_reject_model(reason: &str) -> Model {
    let mut m = gen_approvals_model();
    m.ui.focus = crate::model::Pane::Approvals;
    crate::update::update(&mut m, gen_key('x'));
    for c in reason.chars() {
        crate::update::update(&mut m, gen_key(c));
    }
    assert!(m.ui.reject().is_some(), "the reason input opens: {:?}", m.ui.notice);
    m
}

/// [`gen_approvals_model`] with the Audit view open on [`gen_audit_records`], taken in through
/// `update` as the store watcher's message.
pub fn gen_audit_model() -> Model {
    let mut m = gen_approvals_model();
    crate::update::update(&mut m, crate::msg::Msg::Fact(opsdeck_core::world::Fact::Audit(Ok(gen_audit_records()))));
    m.ui.show(crate::model::Overlay::Audit, true);
    m
}

/// The demo model (every host up) with ten minutes of history for every live slot: prod api's
/// latency climbing and its 5xx rate spiking two minutes ago, steady traffic elsewhere.
pub fn gen_history_model() -> Model {
    let mut m = gen_demo_model_all_up();
    let now = m.world.now;
    let live = [("dev", "blue"), ("staging", "green"), ("prod", "blue")];
    for (env, slot) in live {
        for (k, service) in ["api", "web"].into_iter().enumerate() {
            let hurt = env == "prod" && service == "api";
            let hosts: Vec<SlotId> = m
                .world
                .hosts
                .keys()
                .filter(|h| h.env == env)
                .map(|h| SlotId {
                    env: env.into(),
                    service: service.into(),
                    slot: slot.into(),
                    host: h.host.clone(),
                    replica: String::new(),
                })
                .collect();
            // Each host's server has its own counters (one server per slot and host).
            let keys: Vec<crate::model::history::ServerKey> =
                hosts.iter().map(crate::model::history::ServerKey::of).collect();
            let (mut requests, mut errors) = (10_000u64, 20u64);
            for i in 0..=300i64 {
                let at = now - chrono::Duration::seconds(600 - 2 * i);
                // A deterministic wobble, so sparklines have a shape.
                let wave = ((i * 7 + k as i64 * 3) % 11) as u64;
                requests += 30 + wave * 2 + if hurt && i > 200 { 20 } else { 0 };
                errors += if hurt && (235..=255).contains(&i) { 9 + wave } else { u64::from(i % 37 == 0) };
                for key in &keys {
                    m.world.history.record_counters(key.clone(), at, requests, errors);
                }
                if i % 3 == 0 {
                    let base = 4.0 + k as f64 * 2.0 + wave as f64 * 0.6;
                    let ms = if hurt && i > 200 { base + (i - 200) as f64 * 0.4 } else { base };
                    for (h, id) in hosts.iter().enumerate() {
                        m.world.history.record_latency(id, at, ms + h as f64 * 1.5);
                    }
                }
            }
        }
    }
    m
}

/// The history model with prod api's blue slot on prod-1 selected in the Health pane, its
/// chart open.
pub fn gen_chart_model() -> Model {
    let mut m = gen_history_model();
    m.ui.focus = crate::model::Pane::Health;
    (m.ui.env_col, m.ui.health_row) = (2, 0);
    m.ui.set_health_chart(Some(SlotId {
        env: "prod".into(),
        service: "api".into(),
        slot: "blue".into(),
        host: "prod-1".into(),
        replica: String::new(),
    }));
    m
}

/// The history model with prod api's blue slot's container detail open, loaded and masked as
/// `update` leaves it (the config marks `API_TOKEN` secret by its name).
pub fn gen_detail_model() -> Model {
    let mut m = gen_history_model();
    m.ui.focus = crate::model::Pane::Health;
    (m.ui.env_col, m.ui.health_row) = (2, 0);
    let slot = SlotId {
        env: "prod".into(),
        service: "api".into(),
        slot: "blue".into(),
        host: "prod-1".into(),
        replica: String::new(),
    };
    let detail = gen_container_detail("prod", "api", "blue", "v1.2.0");
    let masked = crate::model::container::masked_detail(&m.world.config, "api", detail);
    m.ui.set_container(Some(crate::model::container::ContainerView {
        host: crate::model::HostId { env: "prod".into(), host: "prod-1".into() },
        container_id: "api-prod-blue-id".into(),
        name: "api-prod-blue".into(),
        state: crate::model::container::DetailState::Loaded(Box::new(masked)),
        scroll: 0,
        slot,
    }));
    m
}

/// The Logs view on api/prod (`L` in the Environments pane): blue@prod-1 streaming a few
/// seconds of requests (one on stderr, one cut at 64 KiB, one carrying escape sequences),
/// green@prod-1 stopped, prod-2's slots unreachable; 41,337 lines already dropped.
pub fn gen_logs_model() -> Model {
    use crate::msg::{LogEvent, Msg};
    use opsdeck_backends::docker::logs::{LogLine, LogSource};
    let mut m = gen_demo_model_all_up();
    m.ui.env_col = 2;
    crate::update::update(&mut m, Msg::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('L'))));
    let generation = m.ui.logs.generation;
    let slots: Vec<SlotId> = m.ui.logs.slots.iter().map(|s| s.slot.clone()).collect();
    let base = m.world.now - chrono::Duration::seconds(30);
    let line = |i: i64, text: &str, source: LogSource, cut: usize| LogLine {
        at: Some(base + chrono::Duration::milliseconds(i * 750)),
        source,
        text: text.into(),
        cut,
    };
    for slot in &slots {
        let event = match (slot.host.as_str(), slot.slot.as_str()) {
            ("prod-1", "blue") => LogEvent::Streaming,
            ("prod-1", _) => LogEvent::Ended,
            _ => LogEvent::Failed(opsdeck_backends::BackendError::Timeout {
                system: "docker",
                after: std::time::Duration::from_secs(3),
            }),
        };
        crate::update::update(&mut m, Msg::Logs(generation, slot.clone(), event));
    }
    let blue = slots.iter().find(|s| s.host == "prod-1" && s.slot == "blue").cloned().expect("blue@prod-1");
    let green = slots.iter().find(|s| s.host == "prod-1" && s.slot == "green").cloned().expect("green@prod-1");
    let mut lines = Vec::new();
    for i in 0..36 {
        let text = match i % 9 {
            4 => "GET /slow?ms=250 200 251ms",
            7 => "GET / 500 0ms",
            _ => "GET / 200 0ms",
        };
        lines.push(line(i, text, LogSource::Stdout, 0));
    }
    lines.push(line(36, "\x1b[31mWARN\x1b[0m pool exhausted: 32 of 32 connections busy", LogSource::Stderr, 0));
    lines.push(line(37, &format!("payload dump {}", "A".repeat(60)), LogSource::Stdout, 983_040));
    lines.push(line(38, "GET /health 503 2ms", LogSource::Stdout, 0));
    let none = opsdeck_core::secrets::Secrets::default();
    let lines = lines.into_iter().map(|l| opsdeck_core::watch::log_text::shown(l, &none)).collect();
    crate::update::update(&mut m, Msg::Logs(generation, blue, LogEvent::Lines { lines, dropped: 41_337 }));
    let old = vec![opsdeck_core::watch::log_text::shown(
        line(-5, "stopped (0 requests cut off)", LogSource::Stderr, 0),
        &none,
    )];
    crate::update::update(&mut m, Msg::Logs(generation, green, LogEvent::Lines { lines: old, dropped: 0 }));
    m
}
