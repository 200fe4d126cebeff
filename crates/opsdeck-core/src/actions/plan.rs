//! Plans: a promote or rollback as data (the steps it will take, on which hosts, from which
//! image to which), built from what the world knows. Pure: nothing here talks to the outside.

use crate::config::Config;
use crate::outside::SlotSpec;
use crate::world::views::{other_slot, ImageRef};
use crate::world::World;
use opsdeck_backends::types::labels;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub use super::step::{ActionKind, Step};
pub use timing::{basis_points, Timing};

mod canary;
mod timing;
use canary::canary_stages;

/// A promote or rollback, ready to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPlan {
    pub kind: ActionKind,
    pub service: String,
    pub env: String,
    pub backend: String,
    pub from_slot: String,
    pub to_slot: String,
    pub from: Option<ImageRef>,
    pub to: ImageRef,
    pub hosts: Vec<String>,
    /// Per host: the target image in the idle slot.
    pub new_slots: Vec<SlotSpec>,
    /// Per host: the live slot as it is now (what a switch back returns to).
    pub old_slots: Vec<SlotSpec>,
    /// Per host: what the idle slot held before (restored if the action fails before the switch).
    pub idle_before: Vec<Option<SlotSpec>>,
    /// The idle slot already holds the target: start it, no pull, no create.
    pub reuse_idle: bool,
    /// The gate (ran healthy in the environment before) was forced open.
    pub forced: bool,
    /// A rollback to the release that ran before (the idle or warm slot) in an environment whose
    /// approval rule lets it go at once: recorded and announced as break-glass.
    #[serde(default)]
    pub break_glass: bool,
    pub timing: Timing,
    pub steps: Vec<Step>,
}

impl ActionPlan {
    /// Asks for the service's alerts in the environment to be silenced while the action runs: a
    /// [`Step::Silence`] first and a [`Step::Unsilence`] last (the executor runs that one however
    /// the action ends). Asking twice changes nothing.
    pub fn with_silence(mut self) -> ActionPlan {
        if !self.silences() {
            self.steps.insert(0, Step::Silence);
            self.steps.push(Step::Unsilence);
        }
        self
    }

    /// Whether the action silences the service's alerts while it runs.
    pub fn silences(&self) -> bool {
        self.steps.contains(&Step::Silence)
    }

    /// The longest the action can take by its own bounds: what a silence it sets is created
    /// for, so one left behind by a killed opsdeck ends by itself.
    pub fn longest(&self) -> Duration {
        let t = self.timing;
        let per_step = t.step_timeout + t.stop_grace;
        let bounded = per_step * self.steps.len() as u32;
        bounded + t.health_wait * (self.hosts.len() as u32 + 1) + t.drain_wait * 2 + t.watch
    }

    pub fn subject(&self) -> String {
        format!("{}/{}", self.service, self.env)
    }

    /// `api/prod: v1.4.0 3f9c2e1 -> v1.3.2 8a1b0c7 on prod-1, prod-2`: what the confirmation shows.
    pub fn summary(&self) -> String {
        let from =
            self.from.as_ref().map(|f| format!("{} {}", f.tag, f.short_digest())).unwrap_or_else(|| "nothing".into());
        format!(
            "{} {}: {} -> {} {} on {}",
            self.kind.as_str(),
            self.subject(),
            from,
            self.to.tag,
            self.to.short_digest(),
            self.hosts.join(", ")
        )
    }

    pub fn new_slot(&self, host: &str) -> Option<&SlotSpec> {
        self.new_slots.iter().find(|s| s.host == host)
    }

    pub fn old_slot(&self, host: &str) -> Option<&SlotSpec> {
        self.old_slots.iter().find(|s| s.host == host)
    }
}

/// The plan that points HAProxy back at the slot whose containers run: wait until that slot is
/// healthy on every host (traffic never goes to a slot that is not), then ready it, drain and
/// retire the other.
fn plan_reapply(world: &World, service: &str, env: &str, timing: Timing) -> Result<ActionPlan, String> {
    let cell = world.service_cell(env, service).ok_or_else(|| format!("{service}/{env}: unknown"))?;
    let mismatch = cell.lb_mismatch.as_ref().ok_or_else(|| format!("{service}/{env}: HAProxy already agrees"))?;
    let running = mismatch.running_slot.clone();
    let other = other_slot(&running).to_string();
    // Reuse the ordinary plan's slot bookkeeping, with the slots named by what runs.
    let mut world = world.clone();
    let env_config = world.config.environment(env).cloned().ok_or_else(|| format!("no environment named {env}"))?;
    if let Some(lb) = world.lbs.get_mut(env) {
        for s in lb.servers_mut().iter_mut().filter(|s| s.backend == cell.backend) {
            let is_other = env_config.server_slot(&s.server).is_some_and(|(slot, _)| slot == other);
            s.admin = if is_other {
                opsdeck_backends::types::AdminState::Ready
            } else {
                opsdeck_backends::types::AdminState::Maint
            };
            s.status = if is_other { "UP".into() } else { "MAINT".into() };
        }
    }
    // Changed here, not through `apply`: the views derived from the original world (its live
    // slot above all) are made again from this copy.
    world.touched();
    let idle = world.service_cell(env, service).and_then(|c| c.idle_image).unwrap_or_default();
    let target =
        Target { kind: ActionKind::Reapply, service: service.into(), env: env.into(), image: None, force: false };
    let mut p = plan_switch(&world, &target, timing, Some(idle))?;
    p.reuse_idle = true;
    p.steps = p.hosts.iter().map(|h| Step::WaitHealthy { host: h.clone() }).collect();
    p.steps.extend([Step::Switch, Step::Drain, Step::Retire]);
    Ok(p)
}

/// What to deploy where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: ActionKind,
    pub service: String,
    pub env: String,
    /// A tag (or digest) from the registry history; None: the ladder's default (promote: the
    /// previous environment's live image; rollback: the idle slot's image).
    pub image: Option<String>,
    pub force: bool,
}

/// Builds the plan for `target` from what `world` knows. Errors are lines for the operator.
pub fn plan(world: &World, target: &Target, timing: Timing) -> Result<ActionPlan, String> {
    let planned = if target.kind == ActionKind::Reapply {
        plan_reapply(world, &target.service, &target.env, timing)
    } else {
        plan_switch(world, target, timing, None)
    };
    match &planned {
        Ok(p) => {
            tracing::debug!(service = %p.service, env = %p.env, steps = p.steps.len(), "plan made: {}", p.summary())
        }
        Err(e) => tracing::debug!(service = %target.service, env = %target.env, "no plan: {e}"),
    }
    planned
}

/// The blue-green plan for `target`; `image` overrides what the target names.
fn plan_switch(world: &World, target: &Target, timing: Timing, image: Option<ImageRef>) -> Result<ActionPlan, String> {
    let config: &Config = &world.config;
    let svc = config.service(&target.service).ok_or_else(|| format!("no service named {}", target.service))?;
    let env = config.environment(&target.env).ok_or_else(|| format!("no environment named {}", target.env))?;
    let route =
        svc.environments.get(&env.name).ok_or_else(|| format!("{} is not deployed in {}", svc.name, env.name))?;
    let cell = world.service_cell(&env.name, &svc.name).ok_or_else(|| format!("{}/{}: unknown", svc.name, env.name))?;
    // Without HAProxy's answer the slot taking traffic is only guessed from the containers: a
    // switch needs the real one (and the servers' ports), so it waits for HAProxy.
    if let Some(reason) = world.lbs.get(&env.name).and_then(|lb| lb.reach.down_reason()) {
        return Err(format!("{}: HAProxy is not answering ({reason}); nothing switched", env.name));
    }
    let from_slot = cell
        .live_slot
        .clone()
        .ok_or_else(|| format!("{}/{}: no live slot (is HAProxy answering?)", svc.name, env.name))?;
    let to_slot = other_slot(&from_slot).to_string();
    if let Some(host) = world.hosts.iter().find(|(id, h)| id.env == env.name && h.reach.is_down()).map(|(id, _)| id) {
        return Err(format!(
            "{}: host {} is unreachable; refusing to switch a partial environment",
            env.name, host.host
        ));
    }
    // A host that has not answered yet (a console just started, an engine slow to list) says
    // nothing of what its slots hold: no plan from half a picture.
    if let Some(host) = env.hosts.iter().find(|h| {
        let id = crate::world::HostId { env: env.name.clone(), host: h.name.clone() };
        !world.hosts.get(&id).is_some_and(|s| matches!(s.reach, crate::world::Reach::Up { .. }))
    }) {
        return Err(format!("{}: host {} has not answered yet; try again in a moment", env.name, host.name));
    }
    let to = match image {
        Some(image) => image,
        None => resolve_image(world, target, cell.idle_image.as_ref())?,
    };
    let same_image_allowed = matches!(target.kind, ActionKind::Reapply | ActionKind::Rotate);
    if !same_image_allowed && cell.image.as_ref().is_some_and(|live| live.digest == to.digest) {
        return Err(format!("{}/{} already runs {} ({})", svc.name, env.name, to.tag, to.short_digest()));
    }
    // Each host's slot is its own server; its address says which port the slot publishes there.
    let port_of = |slot: &str, host: &str| -> Result<u16, String> {
        if env.replicated() {
            // Replicas publish ports the platform picks; their servers follow them.
            return Ok(0);
        }
        let server = env.server_name(slot, host);
        world
            .lbs
            .get(&env.name)
            .and_then(|lb| lb.server(&route.backend, &server))
            .and_then(|s| s.address.rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
            .ok_or_else(|| format!("HAProxy backend {} has no server {server} with an address", route.backend))
    };
    let spec = |slot: &str, host: &str, image: &ImageRef| -> Result<SlotSpec, String> {
        Ok(SlotSpec {
            service: svc.name.clone(),
            env: env.name.clone(),
            slot: slot.into(),
            host: host.into(),
            image: image.reference.clone(),
            digest: image.digest.clone(),
            container_port: svc.container_port,
            host_port: port_of(slot, host)?,
            env_vars: svc.env_vars(),
        })
    };
    let hosts: Vec<String> = env.hosts.iter().map(|h| h.name.clone()).collect();
    let container = |host: &str, slot: &str| {
        world
            .hosts
            .iter()
            .filter(|(id, _)| id.env == env.name && id.host == host)
            .flat_map(|(_, h)| h.containers().values())
            .find(|c| {
                c.label(labels::SERVICE) == Some(&svc.name)
                    && c.label(labels::ENV) == Some(&env.name)
                    && c.label(labels::SLOT) == Some(slot)
            })
            .map(|c| ImageRef {
                reference: c.label(labels::IMAGE).unwrap_or(&c.image).to_string(),
                tag: crate::world::views::tag_of(c.label(labels::IMAGE).unwrap_or(&c.image)),
                digest: c.label(labels::DIGEST).unwrap_or_default().to_string(),
            })
    };
    let idle_before = hosts
        .iter()
        .map(|h| container(h, &to_slot).map(|im| spec(&to_slot, h, &im)).transpose())
        .collect::<Result<Vec<Option<SlotSpec>>, String>>()?;
    // A rotation exists to give the containers fresh values: never the idle slot as it is.
    let reuse_idle = target.kind != ActionKind::Rotate
        && idle_before.iter().all(|s| s.as_ref().is_some_and(|s| s.digest == to.digest));
    let old_slots = hosts
        .iter()
        .map(|h| {
            let im = container(h, &from_slot).or_else(|| cell.image.clone()).unwrap_or_default();
            spec(&from_slot, h, &im)
        })
        .collect::<Result<Vec<SlotSpec>, String>>()?;
    let new_slots = hosts.iter().map(|h| spec(&to_slot, h, &to)).collect::<Result<Vec<SlotSpec>, String>>()?;
    let mut steps: Vec<Step> = Vec::new();
    for h in &hosts {
        steps.push(Step::Prepare { host: h.clone() });
        steps.push(Step::Start { host: h.clone() });
        steps.push(Step::WaitHealthy { host: h.clone() });
    }
    if target.kind == ActionKind::Canary {
        steps.extend(canary_stages(&env.canary.stages));
    }
    steps.extend([Step::Switch, Step::Drain, Step::Retire]);
    // A rotation replaces values that may have leaked: the old containers do not stay up.
    if timing.keep_warm.is_zero() || target.kind == ActionKind::Rotate {
        steps.extend(hosts.iter().map(|h| Step::StopOld { host: h.clone() }));
    } else {
        steps.push(Step::KeepWarm);
    }
    if !timing.watch.is_zero() {
        steps.push(Step::Watch);
    }
    // Every switch here is watched with the environment's own gate.
    let timing = Timing {
        max_error_bp: basis_points(env.canary.max_error_rate),
        min_requests: env.canary.min_requests,
        canary_hold: env.canary.hold,
        ..timing
    };
    Ok(ActionPlan {
        kind: target.kind,
        service: svc.name.clone(),
        env: env.name.clone(),
        backend: route.backend.clone(),
        from_slot,
        to_slot,
        from: cell.image.clone(),
        to,
        hosts,
        new_slots,
        old_slots,
        idle_before,
        reuse_idle,
        forced: target.force,
        break_glass: target.kind == ActionKind::Rollback && reuse_idle && env.approval.break_glass(),
        timing,
        steps,
    })
}

/// The image a target names, with its digest, from the registry history (or, for a default
/// rollback, the idle slot).
fn resolve_image(world: &World, target: &Target, idle: Option<&ImageRef>) -> Result<ImageRef, String> {
    let history = world.registry.images.get(&target.service);
    let registry_host =
        world.config.registry.url.split_once("://").map(|(_, h)| h).unwrap_or(&world.config.registry.url);
    let repo = world.config.service(&target.service).map(|s| s.repository().to_string()).unwrap_or_default();
    let from_history = |wanted: &str| -> Result<ImageRef, String> {
        let history =
            history.ok_or_else(|| format!("no image history for {} (is the registry answering?)", target.service))?;
        let image = history
            .iter()
            .find(|im| im.digest == wanted || im.tags.iter().any(|t| t == wanted))
            .ok_or_else(|| format!("{}: no image tagged {wanted} in the registry", target.service))?;
        let tag = if image.tags.iter().any(|t| t == wanted) {
            wanted.to_string()
        } else {
            image.tags.first().cloned().unwrap_or_default()
        };
        Ok(ImageRef { reference: format!("{registry_host}/{repo}:{tag}"), tag, digest: image.digest.clone() })
    };
    match (&target.image, target.kind) {
        (Some(wanted), _) => from_history(wanted),
        (None, ActionKind::Reapply) => Err("a re-apply deploys no image".into()),
        (None, ActionKind::Rotate) => world
            .service_cell(&target.env, &target.service)
            .and_then(|c| c.image)
            .filter(|i| !i.digest.is_empty())
            .ok_or_else(|| format!("{}/{} runs no known image to redeploy", target.service, target.env)),
        (None, ActionKind::Rollback) => idle.filter(|i| !i.digest.is_empty()).cloned().ok_or_else(|| {
            format!("{}/{}: the idle slot holds no previous release; name a tag with --to", target.service, target.env)
        }),
        (None, ActionKind::Promote | ActionKind::Canary) => {
            let envs = &world.config.environments;
            let i = envs.iter().position(|e| e.name == target.env).unwrap_or(0);
            let prev = i
                .checked_sub(1)
                .and_then(|p| envs.get(p))
                .ok_or_else(|| format!("{} is the first environment: name an image with --image", target.env))?;
            let cell = world
                .service_cell(&prev.name, &target.service)
                .and_then(|c| c.image)
                .ok_or_else(|| format!("{}/{} runs no known image to promote", target.service, prev.name))?;
            Ok(cell)
        }
    }
}

/// The promotion gate: an image may enter an environment only after the same digest ran healthy
/// in the one before it. Returns why not, or None when the gate is open.
pub fn gate(world: &World, plan: &ActionPlan, ran_healthy_before: bool) -> Option<String> {
    // Only a promote brings a new image in; rollbacks and re-applies are not gated.
    if !matches!(plan.kind, ActionKind::Promote | ActionKind::Canary) || plan.forced {
        return None;
    }
    let envs = &world.config.environments;
    let i = envs.iter().position(|e| e.name == plan.env)?;
    let prev = envs.get(i.checked_sub(1)?)?;
    let healthy_now = world.service_cell(&prev.name, &plan.service).is_some_and(|c| {
        c.health == crate::world::views::Health::Healthy && c.image.is_some_and(|im| im.digest == plan.to.digest)
    });
    if healthy_now || ran_healthy_before {
        return None;
    }
    Some(format!(
        "{} {} has not run healthy in {}; promote it there first, or force it (audited)",
        plan.to.tag,
        plan.to.short_digest(),
        prev.name
    ))
}

#[cfg(test)]
mod tests;
