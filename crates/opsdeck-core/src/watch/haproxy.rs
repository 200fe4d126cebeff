//! Polling an environment's traffic switch for its servers' state.

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

pub(super) async fn watch(env: String, config: Arc<Config>, tx: FactTx, cancel: CancellationToken) {
    loop {
        let fact = tokio::select! {
            _ = cancel.cancelled() => return,
            fact = servers(&env, &config) => fact,
        };
        let _ = tx.send(fact);
        if !pause(config.intervals.haproxy, &cancel).await {
            return;
        }
    }
}
