//! The demo's slot containers: per service and environment, `<service>-<env>-blue` and
//! `-green`, the live one running the environment's release and the idle one holding the
//! release before it, created but not running. Each carries opsdeck's slot labels and the
//! `opsdeck.demo` label naming its demo directory, which is how `down` finds them.

use super::images::PushedImage;
use super::plan::{env_releases, hosts, live_slot, other_slot, CONTAINER_PORT, ENVS, SERVICES, SERVICE_ENV, VERSIONS};
use super::state::SlotRecord;
use crate::stack::free_port;
use color_eyre::eyre::{eyre, Result, WrapErr};
use futures::future::try_join_all;
use opsdeck_backends::docker::lifecycle::{self, SlotSpec};
use opsdeck_backends::types::labels;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

/// Marks every container of a demo with its directory.
pub const DEMO_LABEL: &str = "opsdeck.demo";
const CALL_LIMIT: Duration = Duration::from_secs(30);
/// Live slots answer `/health` within a second of starting; this bounds the wait.
const HEALTHY_LIMIT: Duration = Duration::from_secs(20);

/// The slots to create (twelve with one prod host, four more per extra one), with their images
/// and fresh host ports: every host publishes on 127.0.0.1, so each slot has its own port.
pub fn plan(images: &[PushedImage], prod_hosts: usize) -> Result<Vec<SlotRecord>> {
    let mut slots = Vec::new();
    for service in SERVICES {
        for env in ENVS {
            let (live_release, idle_release) = env_releases(env);
            let live = live_slot(env);
            for host in hosts(env, prod_hosts) {
                for (slot, release, is_live) in [(live, live_release, true), (other_slot(live), idle_release, false)] {
                    let version = VERSIONS[release];
                    let image = images
                        .iter()
                        .find(|i| i.service == service && i.version == version)
                        .ok_or_else(|| eyre!("no image for {service}:{version}"))?;
                    slots.push(SlotRecord {
                        name: format!("{service}-{env}-{slot}"),
                        service: service.into(),
                        env: env.into(),
                        host: host.clone(),
                        slot: slot.into(),
                        image: image.reference.clone(),
                        digest: image.digest.clone(),
                        version: version.into(),
                        host_port: free_port()?,
                        live: is_live,
                    });
                }
            }
        }
    }
    Ok(slots)
}

/// Every slot container's name, `<service>-<env>-<slot>`.
pub fn names() -> Vec<String> {
    let mut out = Vec::new();
    for service in SERVICES {
        for env in ENVS {
            for slot in ["blue", "green"] {
                out.push(format!("{service}-{env}-{slot}"));
            }
        }
    }
    out
}

/// Fails, with what to do, if a container with one of the slots' names exists and is not from
/// this demo directory (another demo, or something else entirely): container names are
/// engine-wide, so two demos cannot run on one engine. Leftovers of this demo are removed.
pub async fn clear_names(docker: &opsdeck_backends::docker::Client, demo_dir: &Path) -> Result<()> {
    let ours = demo_dir.display().to_string();
    let labelled = lifecycle::list_containers_by_label(docker, &[], CALL_LIMIT).await?;
    for name in names() {
        let Some(existing) = labelled.iter().find(|c| c.name == name) else { continue };
        match existing.label(DEMO_LABEL) {
            Some(dir) if dir == ours => lifecycle::remove_container(docker, &name, CALL_LIMIT).await?,
            Some(dir) => {
                return Err(eyre!(
                    "container {name} belongs to the demo in {dir}: stop it first with `opsdeck demo down --dir {dir}`"
                ))
            }
            None => {
                return Err(eyre!(
                    "container {name} already exists and is not part of a demo; remove it (`docker rm -f {name}`) \
                     or run the demo on another engine"
                ))
            }
        }
    }
    Ok(())
}

/// Creates every slot on its host's engine and starts the live ones, all at once.
pub async fn create_all(
    clients: &HashMap<String, opsdeck_backends::docker::Client>,
    slots: &[SlotRecord],
    demo_dir: &Path,
) -> Result<()> {
    try_join_all(slots.iter().map(|slot| async move {
        let docker = clients.get(&slot.host).ok_or_else(|| eyre!("no engine for host {}", slot.host))?;
        create_one(docker, slot, demo_dir).await
    }))
    .await?;
    Ok(())
}

async fn create_one(docker: &opsdeck_backends::docker::Client, slot: &SlotRecord, demo_dir: &Path) -> Result<()> {
    let spec = SlotSpec {
        name: slot.name.clone(),
        image: slot.image.clone(),
        labels: BTreeMap::from([
            (labels::SERVICE.to_string(), slot.service.clone()),
            (labels::ENV.to_string(), slot.env.clone()),
            (labels::SLOT.to_string(), slot.slot.clone()),
            (labels::IMAGE.to_string(), slot.image.clone()),
            (labels::DIGEST.to_string(), slot.digest.clone()),
            (DEMO_LABEL.to_string(), demo_dir.display().to_string()),
        ]),
        // What opsdeck gives the slots it makes, from the config the demo writes.
        env: SERVICE_ENV.iter().map(|(name, value, _)| (name.to_string(), value.to_string())).collect(),
        container_port: CONTAINER_PORT,
        host_port: slot.host_port,
        host_ip: "127.0.0.1".into(),
    };
    lifecycle::create_container(docker, &spec, CALL_LIMIT)
        .await
        .wrap_err_with(|| format!("creating {} on {}", slot.name, slot.host))?;
    if slot.live {
        lifecycle::start_container(docker, &slot.name, CALL_LIMIT)
            .await
            .wrap_err_with(|| format!("starting {}", slot.name))?;
    }
    Ok(())
}

/// Waits until every live slot answers `/health` with 200 on its published port.
pub async fn wait_live_healthy(slots: &[SlotRecord]) -> Result<()> {
    let client = crate::stack::loopback_client(Duration::from_secs(1))?;
    let started = Instant::now();
    for slot in slots.iter().filter(|s| s.live) {
        let url = format!("http://127.0.0.1:{}/health", slot.host_port);
        loop {
            match client.get(&url).send().await {
                Ok(r) if r.status().is_success() => break,
                _ if started.elapsed() > HEALTHY_LIMIT => {
                    return Err(eyre!(
                        "{} did not answer {url} within {}s (see `docker logs {}`)",
                        slot.name,
                        HEALTHY_LIMIT.as_secs(),
                        slot.name
                    ))
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    Ok(())
}

/// Removes every container labelled with this demo directory; returns how many.
pub async fn remove_all(docker: &opsdeck_backends::docker::Client, demo_dir: &Path) -> Result<usize> {
    let dir = demo_dir.display().to_string();
    let found = lifecycle::list_containers_by_label(docker, &[(DEMO_LABEL, Some(&dir))], CALL_LIMIT).await?;
    try_join_all(found.iter().map(|c| lifecycle::remove_container(docker, &c.id, CALL_LIMIT))).await?;
    Ok(found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images() -> Vec<PushedImage> {
        SERVICES
            .iter()
            .flat_map(|s| {
                VERSIONS.iter().map(move |v| PushedImage {
                    service: s.to_string(),
                    version: v.to_string(),
                    reference: format!("127.0.0.1:5000/{s}:{v}"),
                    digest: format!("sha256:{s}{v}"),
                    pushed_refs: vec![],
                })
            })
            .collect()
    }

    #[test]
    fn twelve_slots_live_and_idle() {
        let slots = plan(&images(), 1).expect("plan");
        assert_eq!(slots.len(), 12);
        assert_eq!(slots.iter().filter(|s| s.live).count(), 6);
        let prod_live = slots.iter().find(|s| s.name == "api-prod-blue").expect("api-prod-blue");
        assert!(prod_live.live);
        assert_eq!(prod_live.image, "127.0.0.1:5000/api:v1.2.0");
        let prod_idle = slots.iter().find(|s| s.name == "api-prod-green").expect("api-prod-green");
        assert!(!prod_idle.live);
        assert_eq!(prod_idle.version, "v1.1.0");
        let ports: std::collections::BTreeSet<u16> = slots.iter().map(|s| s.host_port).collect();
        assert_eq!(ports.len(), 12, "every slot has its own port");
        let mut planned: Vec<String> = slots.iter().map(|s| s.name.clone()).collect();
        let mut named = names();
        planned.sort();
        named.sort();
        assert_eq!(planned, named);
    }

    #[test]
    fn a_second_prod_host_gets_its_own_slots_and_ports() {
        let slots = plan(&images(), 2).expect("plan");
        assert_eq!(slots.len(), 16);
        let on = |host: &str| slots.iter().filter(|s| s.host == host).count();
        assert_eq!((on("prod-1"), on("prod-2"), on("dev-1")), (4, 4, 4));
        let ports: std::collections::BTreeSet<u16> = slots.iter().map(|s| s.host_port).collect();
        assert_eq!(ports.len(), 16, "every slot has its own port on 127.0.0.1");
    }
}
