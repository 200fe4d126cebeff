//! The memo forgets exactly enough: after each kind of fact, every view looked up through it is
//! the view derived afresh from the world, in every environment and for every service, though
//! every view was looked up (and kept) just before the fact.

use crate::testing::{gen_container, gen_demo_world, gen_now, gen_report, gen_server};
use crate::world::{Fact, HostId, SlotId, World};
use opsdeck_backends::types::{AdminState, RegistryImage};

const ENVS: [&str; 4] = ["dev", "staging", "prod", "nowhere"];
const SERVICES: [&str; 3] = ["api", "web", "nothing"];

/// Looks every view up, so the memo holds them all.
fn fill(w: &World) {
    for env in ENVS {
        let _ = (w.slot_keys(Some(env)), w.live_problems(env));
        for service in SERVICES {
            let _ = (w.live_slot(env, service), w.cell(env, service));
        }
    }
}

fn assert_fresh(w: &World, after: &str) {
    for env in ENVS {
        assert_eq!(w.slot_keys(Some(env)).as_slice(), w.derive_slot_keys(env).as_slice(), "{env} keys after {after}");
        let problems =
            w.derive_slot_keys(env).iter().filter(|k| k.live && w.slot_key_health(k) != super::Health::Healthy).count();
        assert_eq!(w.live_problems(env), problems, "{env} problems after {after}");
        for service in SERVICES {
            assert_eq!(w.live_slot(env, service), w.derive_live_slot(env, service), "{service}/{env} after {after}");
            assert_eq!(
                w.cell(env, service).as_deref(),
                w.service_cell(env, service).as_ref(),
                "{service}/{env} cell after {after}"
            );
        }
    }
}

/// Every view, derived afresh, as text: to tell whether a fact changed any.
fn views(w: &World) -> String {
    let mut out = String::new();
    for env in ENVS {
        out += &format!("{:?}", w.derive_slot_keys(env));
        for service in SERVICES {
            out += &format!("{:?}{:?}", w.derive_live_slot(env, service), w.service_cell(env, service));
        }
    }
    out
}

fn slot(env: &str, service: &str, slot: &str, host: &str) -> SlotId {
    SlotId { env: env.into(), service: service.into(), slot: slot.into(), host: host.into(), replica: String::new() }
}

#[test]
fn every_fact_leaves_the_memo_as_fresh_as_the_world() {
    let mut w = gen_demo_world();
    let prod1 = HostId { env: "prod".into(), host: "prod-1".into() };
    let staging1 = HostId { env: "staging".into(), host: "staging-1".into() };
    let dev1 = HostId { env: "dev".into(), host: "dev-1".into() };
    // A release between staging's and prod's: prod is two behind now.
    let mut newer = w.registry.images.get("api").cloned().unwrap_or_default();
    newer.insert(
        1,
        RegistryImage {
            digest: crate::testing::gen_digest("v1.2.5"),
            tags: vec!["v1.2.5".into()],
            created: Some(gen_now()),
            platforms: Vec::new(),
        },
    );
    let prod_servers: Vec<_> = ["api", "web"]
        .iter()
        .flat_map(|s| {
            let backend = format!("{s}_prod");
            // Traffic moved to green on prod.
            [gen_server(&backend, "blue", false), gen_server(&backend, "green", true)]
        })
        .map(|mut s| {
            if s.server == "blue" {
                s.admin = AdminState::Maint;
            }
            s
        })
        .collect();
    // Each fact, and whether it changes what the views show (so the test is not vacuous).
    let facts: Vec<(&str, Fact)> = vec![
        ("a health answer", Fact::Health(slot("prod", "api", "blue", "prod-1"), gen_report(false, 40))),
        (
            "a container started",
            Fact::ContainerChanged(dev1.clone(), gen_container("dev", "api", "green", "v1.4.0", true)),
        ),
        (
            "a container stopped",
            Fact::ContainerChanged(dev1.clone(), gen_container("dev", "api", "blue", "v1.3.0", false)),
        ),
        ("new images", Fact::Images("api".into(), Ok(newer))),
        // staging's live container now runs v1.2.5: prod's drift (against staging) changes too.
        (
            "a live container replaced",
            Fact::ContainerChanged(staging1, gen_container("staging", "api", "green", "v1.2.5", true)),
        ),
        ("HAProxy's servers", Fact::Lb("prod".into(), Ok(prod_servers))),
        ("a container removed", Fact::ContainerRemoved(prod1.clone(), "web-prod-blue-id".into())),
        ("an unknown container removed", Fact::ContainerRemoved(prod1.clone(), "nothing-id".into())),
        (
            "a host's error",
            Fact::HostSnapshot(
                dev1.clone(),
                Err(opsdeck_backends::BackendError::Timeout {
                    system: "docker",
                    after: std::time::Duration::from_secs(3),
                }),
            ),
        ),
        ("a host's list", Fact::HostSnapshot(prod1, Ok(vec![gen_container("prod", "api", "green", "v1.3.0", true)]))),
        ("alerts", Fact::Alerts(Ok(Vec::new()))),
        ("the store", Fact::Store(Ok((Vec::new(), Vec::new())))),
    ];
    assert_fresh(&w, "nothing");
    for (what, fact) in facts {
        fill(&w);
        let before = views(&w);
        w.apply(fact);
        assert_fresh(&w, what);
        let quiet = ["an unknown container removed", "alerts", "the store"];
        assert_eq!(views(&w) == before, quiet.contains(&what), "{what}: changed the views, or not");
    }
}
