//! Measures (does not gate) the console's two hot paths at fleet scale with criterion: `update`
//! and drawing the whole screen. A world of 50 hosts in 3 environments, 1,000 slot containers,
//! 200 services with 100 tags each, 500 alerts. `cargo bench --bench scale` (release profile);
//! criterion prints each benchmark's time as [low estimate, estimate, high estimate].

use criterion::{criterion_group, criterion_main, Criterion};
use opsdeck::model::Model;
use opsdeck::msg::Msg;
use opsdeck_backends::types::{Alert, RegistryImage, ServerStat};
use opsdeck_core::testing::{gen_container, gen_now, gen_report, gen_server};
use opsdeck_core::world::{Fact, HostId, SlotId};
use std::fmt::Write;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVICES: usize = 200;
const TAGS: usize = 100;
const ALERTS: usize = 500;
/// Hosts per environment: 50 in all.
const HOSTS: [(&str, usize); 3] = [("dev", 10), ("staging", 15), ("prod", 25)];

fn config_text() -> String {
    let mut t = String::from("state_path = \"state.db\"\n[registry]\nurl = \"http://127.0.0.1:5000\"\n");
    t.push_str("[alertmanager]\nurl = \"http://127.0.0.1:9093\"\n");
    for (env, n) in HOSTS {
        let hosts: Vec<String> = (1..=n)
            .map(|i| {
                format!(
                    "{{ name = \"{env}-{i}\", url = \"tcp://10.0.{}.{i}:2376\", address = \"127.0.0.1\" }}",
                    env.len()
                )
            })
            .collect();
        let _ = write!(
            t,
            "\n[[environments]]\nname = \"{env}\"\nhaproxy = \"unix:///tmp/bench/haproxy.sock\"\nhosts = [{}]\n",
            hosts.join(", ")
        );
    }
    for s in 0..SERVICES {
        let _ = write!(t, "\n[[services]]\nname = \"svc{s:03}\"\ncontainer_port = 8080\n");
        for (i, (env, _)) in HOSTS.iter().enumerate() {
            let port = 20000 + s * 3 + i;
            let _ = write!(
                t,
                "[services.environments.{env}]\nbackend = \"svc{s:03}_{env}\"\nurl = \"http://127.0.0.1:{port}\"\n"
            );
        }
    }
    t
}

/// The facts a console at this scale has seen: 1,000 containers (each service's live slot on a
/// host of each environment, most of them spread over the hosts), its servers, health, history
/// and the alerts.
fn facts(config: &opsdeck_core::config::Config) -> Vec<Fact> {
    let mut out = Vec::new();
    let mut containers: Vec<(HostId, opsdeck_backends::types::ContainerInfo)> = Vec::new();
    for (env, hosts) in HOSTS {
        for s in 0..SERVICES {
            let service = format!("svc{s:03}");
            // 200 services x 3 environments = 600 live slots, plus 400 idle ones: 1,000.
            let host = format!("{env}-{}", 1 + s % hosts);
            let mut live = gen_container(env, &service, "blue", "v1.0.99", true);
            live.id = format!("{service}-{env}-blue");
            containers.push((HostId { env: env.into(), host: host.clone() }, live));
            if s % 3 != 0 {
                let mut idle = gen_container(env, &service, "green", "v1.0.98", false);
                idle.id = format!("{service}-{env}-green");
                containers.push((HostId { env: env.into(), host }, idle));
            }
        }
    }
    for env in &config.environments {
        for host in &env.hosts {
            let id = HostId { env: env.name.clone(), host: host.name.clone() };
            let mine: Vec<_> = containers.iter().filter(|(h, _)| *h == id).map(|(_, c)| c.clone()).collect();
            out.push(Fact::HostSnapshot(id, Ok(mine)));
        }
        let servers: Vec<ServerStat> = (0..SERVICES)
            .flat_map(|s| {
                let backend = format!("svc{s:03}_{}", env.name);
                [gen_server(&backend, "blue", true), gen_server(&backend, "green", false)]
            })
            .collect();
        out.push(Fact::Lb(env.name.clone(), Ok(servers)));
    }
    for (host, c) in &containers {
        out.push(Fact::Health(slot_of(host, c), gen_report(true, 12)));
    }
    for s in 0..SERVICES {
        let images: Vec<RegistryImage> = (0..TAGS)
            .map(|t| RegistryImage {
                digest: format!("sha256:{s:032x}{t:032x}"),
                tags: vec![format!("v1.0.{}", TAGS - 1 - t)],
                created: Some(gen_now() - chrono::Duration::hours(t as i64)),
                platforms: Vec::new(),
            })
            .collect();
        out.push(Fact::Images(format!("svc{s:03}"), Ok(images)));
    }
    let alerts: Vec<Alert> = (0..ALERTS)
        .map(|i| Alert {
            name: format!("HighErrorRate{i}"),
            labels: [("service".to_string(), format!("svc{:03}", i % SERVICES)), ("severity".into(), "warning".into())]
                .into(),
            annotations: [("summary".to_string(), "5xx above 5 % for 5 minutes".to_string())].into(),
            state: "active".into(),
            starts_at: Some(gen_now() - chrono::Duration::minutes(i as i64)),
            fingerprint: format!("{i:016x}"),
        })
        .collect();
    out.push(Fact::Alerts(Ok(alerts)));
    out
}

fn slot_of(host: &HostId, c: &opsdeck_backends::types::ContainerInfo) -> SlotId {
    let label = |k: &str| c.labels.get(k).cloned().unwrap_or_default();
    SlotId {
        env: host.env.clone(),
        service: label(opsdeck_backends::types::labels::SERVICE),
        slot: label(opsdeck_backends::types::labels::SLOT),
        host: host.host.clone(),
        replica: String::new(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// The world at scale, built from facts as the watchers send them.
fn scale_model() -> Model {
    let config = Arc::new(opsdeck_core::config::parse_str(&config_text()).expect("the scale config"));
    let mut model = Model::new(config.clone(), "alice".into(), gen_now());
    let all = facts(&config);
    let started = Instant::now();
    for fact in all.clone() {
        opsdeck::update::update(&mut model, Msg::Fact(fact));
    }
    let load = started.elapsed();
    let containers: usize = model.world.hosts.values().map(|h| h.containers().len()).sum();
    println!(
        "world: {} hosts, {containers} containers, {} services x {TAGS} tags, {ALERTS} alerts ({} facts applied in {})",
        model.world.hosts.len(),
        config.services.len(),
        all.len(),
        ms(load)
    );
    model
}

/// A container event in prod: a fact that changes what the screen shows.
fn container_event() -> Msg {
    let host = HostId { env: "prod".into(), host: "prod-7".into() };
    let mut changed = gen_container("prod", "svc006", "blue", "v1.0.99", true);
    changed.id = "svc006-prod-blue".into();
    Msg::Fact(Fact::ContainerChanged(host, changed))
}

fn scale(c: &mut Criterion) {
    let mut model = scale_model();
    let Msg::Fact(Fact::ContainerChanged(host, changed)) = container_event() else { unreachable!() };
    let slot = slot_of(&host, &changed);
    // A container event, a health probe, a tick and a key: what a console does all day.
    let mut update = c.benchmark_group("update");
    update.bench_function("a container event", |b| {
        b.iter(|| opsdeck::update::update(&mut model, black_box(container_event())))
    });
    update.bench_function("a /health answer", |b| {
        b.iter(|| opsdeck::update::update(&mut model, Msg::Fact(Fact::Health(slot.clone(), gen_report(true, 9)))))
    });
    update.bench_function("a tick", |b| b.iter(|| opsdeck::update::update(&mut model, Msg::Tick(gen_now()))));
    update.bench_function("a key (down)", |b| {
        let down = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Down);
        b.iter(|| opsdeck::update::update(&mut model, Msg::Key(down)))
    });
    update.finish();
    // After a key the world is as it was (its derived views kept); after a fact, what it can
    // have changed is derived again, once, by the frame that follows.
    let mut frame = c.benchmark_group("frame");
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        frame.bench_function(format!("every pane after a key, {w}x{h}"), |b| {
            b.iter(|| black_box(opsdeck::ui::render_to_buffer(&model, w, h)))
        });
        frame.bench_function(format!("a container event and the frame after it, {w}x{h}"), |b| {
            b.iter(|| {
                opsdeck::update::update(&mut model, container_event());
                black_box(opsdeck::ui::render_to_buffer(&model, w, h))
            })
        });
    }
    frame.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
