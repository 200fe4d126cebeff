//! Polling an environment's HAProxy runtime API for its servers' state.

use super::{pause, FactTx};
use crate::config::Config;
use crate::world::Fact;
use opsdeck_backends::haproxy::HaproxyClient;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// One environment's HAProxy servers, once.
pub(super) async fn servers(env: &str, address: &str, config: &Config) -> Fact {
    let result = match HaproxyClient::new(address, config.timeouts.haproxy) {
        Ok(client) => client.servers().await,
        Err(e) => Err(e),
    };
    Fact::Lb(env.to_string(), result)
}

pub(super) async fn watch(env: String, address: String, config: Arc<Config>, tx: FactTx, cancel: CancellationToken) {
    loop {
        let fact = tokio::select! {
            _ = cancel.cancelled() => return,
            fact = servers(&env, &address, &config) => fact,
        };
        let _ = tx.send(fact);
        if !pause(config.intervals.haproxy, &cancel).await {
            return;
        }
    }
}
