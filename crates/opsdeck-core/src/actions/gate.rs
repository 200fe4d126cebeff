//! The promotion gate with the store's memory: an image enters an environment only after the
//! same digest ran healthy in the one before it.

use super::{ActionPlan, Executor};
use crate::config::Config;
use crate::store::{ActionOutcome, Store};
use crate::world::World;

/// The promotion gate with the store's memory: open when the digest runs healthy in the
/// environment before this one now, or was promoted there successfully before. Why not, else.
pub fn gate(config: &Config, exec: &Executor, world: &World, plan: &ActionPlan) -> Option<String> {
    let closed = super::plan::gate(world, plan, false);
    confirm_closed(config, exec, plan, closed)
}

/// The second half of [`gate`], for the action layer's own task: `closed` is the verdict of the
/// live state alone (`plan::gate(world, plan, false)`, pure, made where the world is); when it
/// is closed, the store's memory may still open it. The store is read only then.
pub fn confirm_closed(config: &Config, exec: &Executor, plan: &ActionPlan, closed: Option<String>) -> Option<String> {
    let reason = closed?;
    let prev = config
        .environments
        .iter()
        .position(|e| e.name == plan.env)
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| config.environments.get(i))
        .map(|e| e.name.clone());
    let remembered = match (&prev, exec.store.lock()) {
        (Some(prev), Ok(mut store)) => ran_healthy_in(&mut store, prev, &plan.to.digest),
        _ => false,
    };
    (!remembered).then_some(reason)
}

/// Whether `digest` was promoted into `env` by an action that succeeded (the gate's memory, for
/// an environment that has since moved on).
pub fn ran_healthy_in(store: &mut Store, env: &str, digest: &str) -> bool {
    store
        .recent_actions(500)
        .map(|entries| {
            entries.iter().any(|e| {
                e.action.env == env
                    && e.action.to.digest == digest
                    && e.finish.as_ref().is_some_and(|f| f.outcome == ActionOutcome::Succeeded)
            })
        })
        .unwrap_or(false)
}
