//! What recovery checks before it acts on a plan read back from the store. The store is writable
//! by the whole group, so an unfinished action may have been written or changed by hand: it is
//! acted on only when its journal rows are in the audit chain as written, when every slot it names
//! is one the config allows (service, environment, hosts, slots, HAProxy backend, the service's
//! repository in the config's registry), and when the registry knows every image it names. And
//! never does undoing an action touch a slot that HAProxy sends traffic to.

use super::plan::ActionPlan;
use crate::config::Config;
use crate::outside::{Outside, SlotSpec};
use crate::store::JournalEntry;
use opsdeck_backends::types::AdminState;
use std::collections::BTreeSet;

const SLOTS: [&str; 2] = ["blue", "green"];

/// Whether `plan`, read back for `entry`, matches the config; `Err` says the first thing that
/// does not. Pure: the chain and the registry are asked by the callers below.
pub fn matches_config(config: &Config, entry: &JournalEntry, plan: &ActionPlan) -> Result<(), String> {
    let a = &entry.action;
    if (plan.service.as_str(), plan.env.as_str()) != (a.service.as_str(), a.env.as_str()) {
        return Err(format!("its plan is for {}/{}, its row for {}/{}", plan.service, plan.env, a.service, a.env));
    }
    let svc = config.service(&plan.service).ok_or_else(|| format!("no service {} in the config", plan.service))?;
    let env = config.environment(&plan.env).ok_or_else(|| format!("no environment {} in the config", plan.env))?;
    let route =
        svc.environments.get(&env.name).ok_or_else(|| format!("{} is not deployed in {}", svc.name, env.name))?;
    if plan.backend != route.backend {
        return Err(format!(
            "HAProxy backend {} is not {}'s in {} ({})",
            plan.backend, svc.name, env.name, route.backend
        ));
    }
    if !SLOTS.contains(&plan.to_slot.as_str())
        || !SLOTS.contains(&plan.from_slot.as_str())
        || plan.to_slot == plan.from_slot
    {
        return Err(format!("slots {} -> {} are not blue and green", plan.from_slot, plan.to_slot));
    }
    let hosts: BTreeSet<&str> = env.hosts.iter().map(|h| h.name.as_str()).collect();
    if let Some(h) = plan.hosts.iter().find(|h| !hosts.contains(h.as_str())) {
        return Err(format!("host {h} is not one of {}'s", env.name));
    }
    let prefix = image_prefix(config, svc.repository());
    let specs = plan.new_slots.iter().map(|s| (s, &plan.to_slot));
    let specs = specs.chain(plan.idle_before.iter().flatten().map(|s| (s, &plan.to_slot)));
    for (spec, slot) in specs.chain(plan.old_slots.iter().map(|s| (s, &plan.from_slot))) {
        let names = (spec.service.as_str(), spec.env.as_str(), spec.slot.as_str());
        if names != (svc.name.as_str(), env.name.as_str(), slot.as_str()) || !plan.hosts.contains(&spec.host) {
            return Err(format!("slot {} on {} is not one of this action's", spec.container_name(), spec.host));
        }
        if spec.container_port != svc.container_port {
            return Err(format!(
                "{}: port {} is not the service's {}",
                spec.container_name(),
                spec.container_port,
                svc.container_port
            ));
        }
        if !(spec.image.starts_with(&format!("{prefix}:")) || spec.image.starts_with(&format!("{prefix}@"))) {
            return Err(format!("image {} is not from {prefix}", spec.image));
        }
    }
    if plan.new_slots.iter().any(|s| s.digest != plan.to.digest) {
        return Err(format!("its new slots do not all run {}", plan.to.digest));
    }
    Ok(())
}

/// `127.0.0.1:5000/api`: how the service's images are named in the config's registry.
fn image_prefix(config: &Config, repository: &str) -> String {
    let url = &config.registry.url;
    let host = url.split_once("://").map(|(_, h)| h).unwrap_or(url).trim_end_matches('/');
    format!("{host}/{repository}")
}

/// Whether the registry knows every image `plan` would run or give back: by digest where the slot
/// names one, else by its tag. An unreachable registry confirms nothing.
pub async fn images_known(ops: &Outside, config: &Config, plan: &ActionPlan) -> Result<(), String> {
    let repo = config.service(&plan.service).map(|s| s.repository().to_string()).unwrap_or_default();
    let specs: Vec<&SlotSpec> =
        plan.new_slots.iter().chain(plan.idle_before.iter().flatten()).chain(plan.old_slots.iter()).collect();
    let mut asked = BTreeSet::new();
    for spec in specs {
        let reference = if spec.digest.is_empty() {
            spec.image.rsplit_once(':').map(|(_, tag)| tag.to_string()).unwrap_or_default()
        } else {
            spec.digest.clone()
        };
        if !asked.insert(reference.clone()) {
            continue;
        }
        ops.image_digest(&repo, &reference)
            .await
            .map_err(|e| format!("the registry does not confirm {repo}@{reference}: {e}"))?;
    }
    Ok(())
}

/// Before the switch recovery undoes what the action made in its idle slot: refused when HAProxy
/// sends that slot traffic (a real action's idle slot never has it; a forged one's might).
pub async fn target_is_idle(ops: &Outside, plan: &ActionPlan) -> Result<(), String> {
    let env = ops.config().environment(&plan.env).ok_or_else(|| format!("no environment named {}", plan.env))?;
    let servers = ops.servers(&plan.env).await?;
    // Any of the slot's servers (one per host) ready and up means it takes traffic somewhere.
    let live = servers.iter().find(|s| {
        s.backend == plan.backend
            && env.is_slot_server(&plan.to_slot, &s.server)
            && s.admin == AdminState::Ready
            && s.status.starts_with("UP")
    });
    if let Some(server) = live {
        return Err(format!(
            "{} takes traffic in HAProxy ({}): undoing would stop a live slot",
            plan.to_slot, server.server
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "recover_check_tests.rs"]
mod tests;
