//! Polling the traffic switches for their servers' state: one poller per HAProxy, however many
//! environments share it.

use super::{pause, FactTx};
use crate::config::Config;
use crate::outside::switch_for;
use crate::world::Fact;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// One environment's servers, once.
pub(super) async fn servers(env: &str, config: &Config) -> Fact {
    let Some(env_config) = config.environment(env) else {
        let reason = format!("no environment named {env} in the config");
        return Fact::Lb(env.to_string(), Err(opsdeck_backends::BackendError::Other { system: "haproxy", reason }));
    };
    let result = match switch_for(config, env_config) {
        Ok(switch) => switch.servers().await,
        Err(e) => Err(e),
    };
    Fact::Lb(env.to_string(), result)
}

/// Polls one HAProxy for the environments that share it (`envs`, all naming the same runtime
/// API): one `show stat` and one `show servers state` per poll for all its backends, the answer
/// sent as each environment's fact.
pub(super) async fn watch(envs: Vec<String>, config: Arc<Config>, tx: FactTx, cancel: CancellationToken) {
    let Some(first) = envs.first().cloned() else { return };
    loop {
        let fact = tokio::select! {
            _ = cancel.cancelled() => return,
            fact = servers(&first, &config) => fact,
        };
        let Fact::Lb(_, result) = fact else { return };
        for env in &envs {
            if tx.send(Fact::Lb(env.clone(), result.clone())).is_err() {
                return;
            }
        }
        if !pause(config.intervals.haproxy, &cancel).await {
            return;
        }
    }
}

/// The environments grouped by the HAProxy they name, in config order: one poller each.
pub(super) fn by_haproxy(config: &Config) -> Vec<Vec<String>> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for env in &config.environments {
        match groups.iter_mut().find(|(address, _)| *address == env.haproxy) {
            Some((_, names)) => names.push(env.name.clone()),
            None => groups.push((env.haproxy.clone(), vec![env.name.clone()])),
        }
    }
    groups.into_iter().map(|(_, names)| names).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn environments_sharing_a_haproxy_share_its_poll() {
        let config = crate::testing::gen_config();
        // The fixture's three environments name one HAProxy, as the demo's do.
        assert_eq!(super::by_haproxy(&config), [["dev", "staging", "prod"]]);
        let mut other = (*config).clone();
        other.environments[0].haproxy = "unix:///elsewhere.sock".into();
        assert!(super::by_haproxy(&other).iter().any(|g| g == &[other.environments[0].name.clone()]));
    }
}
