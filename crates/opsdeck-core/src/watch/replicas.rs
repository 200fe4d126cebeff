//! Keeping a replicated environment's HAProxy servers in step with its replicas while the console
//! runs, not only while an action does: when Swarm replaces a task of the live slot (a node lost,
//! a task that crashed), its new task gets a server within one HAProxy poll. The sync itself is
//! the actions' own ([`crate::outside::Outside::follow_replicas`]), stateless and convergent, so
//! it may run beside an action's.

use super::pause;
use crate::config::{Config, SLOTS};
use crate::outside::Outside;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Every (env, backend) pair whose servers follow replicas.
pub(super) fn replicated_backends(config: &Config) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for env in config.environments.iter().filter(|e| e.replicated()) {
        for service in &config.services {
            if let Some(route) = service.environments.get(&env.name) {
                out.push((env.name.clone(), route.backend.clone()));
            }
        }
    }
    out
}

/// Syncs every replicated slot each HAProxy interval until `cancel` fires.
pub(super) async fn watch(config: Arc<Config>, cancel: CancellationToken) {
    let backends = replicated_backends(&config);
    if backends.is_empty() {
        return;
    }
    let ops = match Outside::new(config.clone()) {
        Ok(ops) => ops,
        Err(e) => {
            tracing::warn!(error = %e, "replicated servers are not kept in step");
            return;
        }
    };
    loop {
        for (env, backend) in &backends {
            for slot in SLOTS {
                let sync = ops.follow_replicas(env, backend, slot);
                let bounded = tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = tokio::time::timeout(config.intervals.haproxy.max(std::time::Duration::from_secs(5)), sync) => r,
                };
                match bounded {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::debug!(env, backend, slot, error = %e, "replicas not followed"),
                    Err(_) => tracing::debug!(env, backend, slot, "replica sync: no answer in time"),
                }
            }
        }
        if !pause(config.intervals.haproxy, &cancel).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_swarm_environments_follow_replicas() {
        let config = crate::testing::gen_config();
        assert!(super::replicated_backends(&config).is_empty());
        let mut swarm = (*config).clone();
        let prod = swarm.environments.iter_mut().find(|e| e.name == "prod").expect("prod");
        prod.platform = crate::config::PlatformKind::Swarm;
        prod.hosts.truncate(1);
        let found = super::replicated_backends(&swarm);
        assert!(!found.is_empty() && found.iter().all(|(env, _)| env == "prod"), "{found:?}");
    }
}
