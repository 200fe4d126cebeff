//! `opsdeck demo up --swarm`: prod on a single-node Docker Swarm made of the local engine. Each
//! prod slot is a Swarm service of [`REPLICAS`] tasks publishing their port in host mode; HAProxy
//! holds numbered servers per slot (`server-template`) that opsdeck addresses as tasks come and go.
//! The engine is made a swarm only when it is not one already, and `demo down` leaves the swarm
//! again only then: the engine ends as the demo found it.

use super::slots::DEMO_LABEL;
use super::state::SlotRecord;
use crate::stack;
use color_eyre::eyre::{eyre, Result};
use opsdeck_backends::docker::{Client, DockerEndpoint};
use opsdeck_backends::platform::Platform;
use opsdeck_backends::swarm::{admin, Placement, SwarmCluster, SwarmManager};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

/// Tasks per prod slot.
pub const REPLICAS: u32 = 2;
/// Numbered servers per slot in HAProxy: a replica being replaced needs one more for a moment.
pub const TEMPLATE_SERVERS: u32 = 8;
/// The environment on the swarm.
pub const SWARM_ENV: &str = "prod";
const CALL_LIMIT: Duration = Duration::from_secs(30);
/// Tasks of a local image start within seconds; this bounds the wait for the live ones.
const HEALTHY_LIMIT: Duration = Duration::from_secs(60);

/// What `down` needs to leave the engine as `up` found it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmRecord {
    /// The demo made the engine a swarm (and `down` leaves it again).
    pub created: bool,
    /// Swarm's `docker_gwbridge` network came with the demo's swarm (and `down` removes it).
    #[serde(default)]
    pub gwbridge_created: bool,
}

/// Makes the local engine a single-node swarm unless it is one; says whether it did.
pub async fn join(docker: &Client) -> Result<SwarmRecord> {
    if admin::is_member(docker, CALL_LIMIT).await? {
        say!("the engine is a swarm already: prod runs on it, and demo down leaves it a swarm");
        return Ok(SwarmRecord { created: false, gwbridge_created: false });
    }
    let had_gwbridge = admin::has_network(docker, admin::GWBRIDGE, CALL_LIMIT).await?;
    // Loopback only: the demo's swarm talks to nobody.
    admin::init_local(docker, stack::free_port()?, CALL_LIMIT).await?;
    say!("the engine is now a single-node swarm (demo down leaves it)");
    Ok(SwarmRecord { created: true, gwbridge_created: !had_gwbridge })
}

/// Leaves the swarm if the demo made it; a line per problem.
pub async fn leave(docker: &Client, record: SwarmRecord) -> Vec<String> {
    if !record.created {
        return Vec::new();
    }
    if let Err(e) = admin::leave(docker, CALL_LIMIT).await {
        return vec![e.to_string()];
    }
    if record.gwbridge_created {
        if let Err(e) = admin::remove_network(docker, admin::GWBRIDGE, CALL_LIMIT).await {
            return vec![e.to_string()];
        }
    }
    Vec::new()
}

/// The swarm as opsdeck's platform sees it, the demo's label on every service it makes.
pub fn cluster(demo_dir: &Path) -> SwarmCluster {
    let endpoint = DockerEndpoint { url: format!("unix://{}", stack::DOCKER_SOCKET), tls: None, timeout: CALL_LIMIT };
    let manager = SwarmManager { name: format!("{SWARM_ENV}-1"), endpoint, probe_address: "127.0.0.1".into() };
    let placement: HashMap<String, Placement> = super::plan::SERVICES
        .iter()
        .map(|s| (s.to_string(), Placement { replicas: REPLICAS, constraints: Vec::new() }))
        .collect();
    let mut cluster = SwarmCluster::new(manager, placement);
    cluster.extra_labels = BTreeMap::from([(DEMO_LABEL.to_string(), demo_dir.display().to_string())]);
    cluster
}

/// Makes every prod slot a service (the idle ones at 0 tasks) and scales the live ones up.
pub async fn create_slots(cluster: &SwarmCluster, slots: &[SlotRecord]) -> Result<()> {
    for slot in slots.iter().filter(|s| s.env == SWARM_ENV) {
        let spec = opsdeck_backends::platform::SlotSpec {
            service: slot.service.clone(),
            env: slot.env.clone(),
            slot: slot.slot.clone(),
            host: cluster.manager.name.clone(),
            image: slot.image.clone(),
            digest: slot.digest.clone(),
            container_port: super::plan::CONTAINER_PORT,
            host_port: 0,
            env_vars: super::plan::SERVICE_ENV.iter().map(|(k, v, _)| (k.to_string(), v.to_string())).collect(),
        };
        cluster.recreate(&spec).await.map_err(|e| eyre!("creating service {}: {e}", slot.name))?;
        if slot.live {
            cluster.start(&spec.host, &slot.name).await.map_err(|e| eyre!("scaling up {}: {e}", slot.name))?;
        }
    }
    Ok(())
}

/// Waits until every live prod slot has [`REPLICAS`] tasks answering `/health`.
pub async fn wait_live_healthy(cluster: &SwarmCluster, slots: &[SlotRecord]) -> Result<()> {
    let client = stack::loopback_client(Duration::from_secs(1))?;
    let started = Instant::now();
    for slot in slots.iter().filter(|s| s.env == SWARM_ENV && s.live) {
        loop {
            let endpoints = cluster.slot_endpoints(&cluster.manager.name, &slot.name).await.ok().flatten();
            let endpoints = endpoints.unwrap_or_default();
            let mut healthy = 0;
            for e in &endpoints {
                let url = format!("http://{}:{}/health", e.address, e.port);
                if client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                    healthy += 1;
                }
            }
            if healthy >= REPLICAS as usize {
                break;
            }
            if started.elapsed() > HEALTHY_LIMIT {
                let verdict = cluster.verdict(&cluster.manager.name, &slot.name).await.unwrap_or_default();
                return Err(eyre!(
                    "{}: {healthy} of {REPLICAS} tasks healthy after {}s {verdict} (see `docker service ps {}`)",
                    slot.name,
                    HEALTHY_LIMIT.as_secs(),
                    slot.name
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// Removes every service labelled with this demo directory; returns how many. An engine that is
/// not a swarm has none.
pub async fn remove_services(docker: &Client, demo_dir: &Path) -> Result<usize> {
    let dir = demo_dir.display().to_string();
    Ok(admin::remove_labelled(docker, DEMO_LABEL, &dir, CALL_LIMIT).await?.len())
}

/// Points HAProxy's servers of every live prod slot at its tasks and readies them, through
/// opsdeck's own switch (the config at `config_path`), and waits until HAProxy sees them up.
pub async fn route_live(config_path: &Path, slots: &[SlotRecord]) -> Result<()> {
    let config = std::sync::Arc::new(opsdeck_core::config::load(config_path)?);
    let ops = opsdeck_core::outside::Outside::new(config.clone()).map_err(|e| eyre!(e))?;
    let started = Instant::now();
    for slot in slots.iter().filter(|s| s.env == SWARM_ENV && s.live) {
        let backend = config
            .service(&slot.service)
            .and_then(|s| s.environments.get(SWARM_ENV))
            .map(|r| r.backend.clone())
            .ok_or_else(|| eyre!("the demo config has no {} route for {}", SWARM_ENV, slot.service))?;
        ops.set_slot(SWARM_ENV, &backend, &slot.slot, opsdeck_backends::types::AdminState::Ready)
            .await
            .map_err(|e| eyre!("readying {}: {e}", slot.name))?;
        loop {
            let traffic = ops.slot_traffic(SWARM_ENV, &backend, &slot.slot).await.map_err(|e| eyre!(e))?;
            if traffic.all_up() && traffic.servers.len() >= REPLICAS as usize {
                break;
            }
            if started.elapsed() > HEALTHY_LIMIT {
                return Err(eyre!(
                    "HAProxy does not see {}'s {REPLICAS} tasks up after {}s ({} not up)",
                    slot.name,
                    HEALTHY_LIMIT.as_secs(),
                    traffic.not_up().join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}
