//! Gathering everything once, for `opsdeck status` and the commands: the same calls as the
//! console's watchers, folded into a [`World`] by the same [`World::apply`], so the printed state
//! is the state the console would show. No UI reducer runs here.

use crate::config::Config;
use crate::world::{Fact, HostId, World};
use std::sync::Arc;

/// Asks every system once (all at the same time, each bounded by its timeout), then probes the
/// running slots' `/health`, and returns the resulting world.
pub async fn gather(config: Arc<Config>, user: String) -> World {
    let mut world = World::new(config.clone(), user, chrono::Utc::now());
    let hosts = config.environments.iter().flat_map(|e| {
        let platform = crate::outside::platform_for(&config, e);
        e.hosts.iter().map(move |h| {
            let id = HostId { env: e.name.clone(), host: h.name.clone() };
            super::hosts::snapshot(id, platform.clone())
        })
    });
    let lbs = config.environments.iter().map(|e| super::haproxy::servers(&e.name, &config));
    let state_path = config.state_path.clone();
    let store = async move {
        tokio::task::spawn_blocking(move || super::store::read_once(&state_path))
            .await
            .unwrap_or_else(|_| Fact::Store(Err("store reader panicked".into())))
    };
    let (hosts, lbs, images, alerts, store) = tokio::join!(
        futures::future::join_all(hosts),
        futures::future::join_all(lbs),
        super::registry::histories(&config),
        super::alerts::alerts(&config),
        store,
    );
    for fact in hosts.into_iter().chain(lbs).chain(images).chain(alerts).chain([store]) {
        world.apply(fact);
    }
    let probes = world.probe_targets(None);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Fact>();
    super::Probes::new(config.timeouts.health).probe_all(probes, std::time::Duration::ZERO, &tx);
    drop(tx);
    while let Some(fact) = rx.recv().await {
        world.apply(fact);
    }
    world
}
