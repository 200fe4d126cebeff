//! Gathering everything once, for `opsdeck status`: the same calls and the same `update` as the
//! console, so the printed state is the state the console would show.

use crate::config::Config;
use crate::model::{HostId, Model};
use crate::msg::{Cmd, Msg};
use crate::update::update;
use std::sync::Arc;

/// Asks every system once (all at the same time, each bounded by its timeout), then probes the
/// running slots' `/health`, and returns the resulting model.
pub async fn gather_once(config: Arc<Config>, user: String) -> Model {
    let mut model = Model::new(config.clone(), user, chrono::Utc::now());
    let hosts = config.environments.iter().flat_map(|e| {
        e.hosts.iter().map(|h| {
            let id = HostId { env: e.name.clone(), host: h.name.clone() };
            let endpoint = super::docker::endpoint(h, config.timeouts.docker);
            async move { super::docker::snapshot(id, &endpoint).await }
        })
    });
    let lbs = config.environments.iter().map(|e| super::haproxy::servers(&e.name, &e.haproxy, &config));
    let state_path = config.state_path.clone();
    let store = async move {
        tokio::task::spawn_blocking(move || super::store::read_once(&state_path))
            .await
            .unwrap_or_else(|_| Msg::Store(Err("store reader panicked".into())))
    };
    let (hosts, lbs, images, alerts, store) = tokio::join!(
        futures::future::join_all(hosts),
        futures::future::join_all(lbs),
        super::registry::histories(&config),
        super::alerts::alerts(&config),
        store,
    );
    let mut probes = Vec::new();
    for msg in hosts.into_iter().chain(lbs).chain(images).chain(alerts).chain([store]) {
        for cmd in update(&mut model, msg) {
            if let Cmd::ProbeHealth(targets) = cmd {
                probes.extend(targets);
            }
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    super::probe_all(probes, config.timeouts.health, &tx);
    drop(tx);
    while let Some(msg) = rx.recv().await {
        update(&mut model, msg);
    }
    model
}
