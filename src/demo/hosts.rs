//! prod's other hosts in the demo (`--prod-hosts 2`): each a Docker engine of its own (its own
//! `dockerd`, socket, data root, exec root, pid file and bridge, all in the demo directory; see
//! [`crate::stack::Engine`]), which pulls the releases from the demo registry like any host
//! would, and whose containers `down` removes before it stops the engine.

use super::plan::{hosts, MAX_PROD_HOSTS};
use super::state::{DemoInfo, EngineRecord};
use crate::stack::{self, Engine};
use color_eyre::eyre::{Result, WrapErr};
use futures::future::try_join_all;
use opsdeck_backends::docker::{connect, lifecycle, Client, DockerEndpoint};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

const DOCKER_LIMIT: Duration = Duration::from_secs(10);
/// A pull of a demo release (a few MiB from a registry on loopback).
const PULL_LIMIT: Duration = Duration::from_secs(60);

/// The hosts beyond the first of prod: the ones that get an engine of their own.
pub fn extra_hosts(prod_hosts: usize) -> Vec<String> {
    hosts("prod", prod_hosts).into_iter().skip(1).collect()
}

/// Starts an engine for each extra prod host, all at once.
pub async fn start_engines(dir: &Path, prod_hosts: usize) -> Result<Vec<Engine>> {
    try_join_all(extra_hosts(prod_hosts).into_iter().map(|host| async move {
        Engine::start(dir, &host).await.wrap_err_with(|| format!("starting the Docker engine for {host}"))
    }))
    .await
}

/// What `demo.json` keeps of a started engine.
pub fn record(host: &str, engine: &Engine) -> EngineRecord {
    EngineRecord { host: host.to_string(), pid: engine.pid(), url: engine.url(), marker: engine.marker() }
}

/// A client per host: the local engine for the first host of each environment, the recorded
/// engine for the others.
pub async fn clients(local: &Client, info: &DemoInfo) -> Result<HashMap<String, Client>> {
    let mut out = HashMap::new();
    for slot in &info.slots {
        if out.contains_key(&slot.host) {
            continue;
        }
        let client = match info.engines.iter().find(|e| e.host == slot.host) {
            Some(e) => connect_to(&e.url).await?,
            None => local.clone(),
        };
        out.insert(slot.host.clone(), client);
    }
    Ok(out)
}

async fn connect_to(url: &str) -> Result<Client> {
    let endpoint = DockerEndpoint { url: url.to_string(), tls: None, timeout: DOCKER_LIMIT };
    connect(&endpoint).await.wrap_err_with(|| format!("cannot reach the demo engine at {url}"))
}

/// Pulls each release the extra hosts' slots run from the demo registry onto their engines.
pub async fn pull_releases(clients: &HashMap<String, Client>, info: &DemoInfo) -> Result<()> {
    let wanted: BTreeSet<(&str, &str)> = info
        .slots
        .iter()
        .filter(|s| info.engines.iter().any(|e| e.host == s.host))
        .map(|s| (s.host.as_str(), s.image.as_str()))
        .collect();
    try_join_all(wanted.into_iter().map(|(host, image)| async move {
        let Some(client) = clients.get(host) else { return Ok(()) };
        lifecycle::pull_image(client, image, PULL_LIMIT).await.wrap_err_with(|| format!("{host}: pulling {image}"))
    }))
    .await?;
    Ok(())
}

/// Removes the demo's containers from each recorded engine and stops it, then stops any engine
/// of this directory that was not recorded (an `up` killed while starting one). Returns what
/// could not be done, one line each.
pub async fn stop_engines(dir: &Path, info: Option<&DemoInfo>) -> Vec<String> {
    let mut problems = Vec::new();
    for e in info.map(|i| i.engines.as_slice()).unwrap_or_default() {
        if let Ok(client) = connect_to(&e.url).await {
            if let Err(err) = super::slots::remove_all(&client, dir).await {
                problems.push(format!("{}: {err}", e.host));
            }
        }
    }
    for host in extra_hosts(MAX_PROD_HOSTS) {
        if let Err(err) = stack::stop_engine_in(dir, &host, super::STOP_GRACE).await {
            problems.push(format!("engine {host}: {err}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosts_past_the_first_get_an_engine() {
        assert!(extra_hosts(1).is_empty());
        assert_eq!(extra_hosts(2), ["prod-2"]);
        assert_eq!(extra_hosts(MAX_PROD_HOSTS).len(), MAX_PROD_HOSTS - 1);
    }
}
