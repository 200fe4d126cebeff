//! Polling an environment's HAProxy runtime API for its servers' state.

use super::{pause, MsgTx};
use crate::config::Config;
use crate::msg::Msg;
use opsdeck_backends::haproxy::HaproxyClient;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// One environment's HAProxy servers, once.
pub(super) async fn servers(env: &str, address: &str, config: &Config) -> Msg {
    let result = match HaproxyClient::new(address, config.timeouts.haproxy) {
        Ok(client) => client.servers().await,
        Err(e) => Err(e),
    };
    Msg::Lb(env.to_string(), result)
}

pub(super) async fn watch(env: String, address: String, config: Arc<Config>, tx: MsgTx, cancel: CancellationToken) {
    loop {
        let msg = tokio::select! {
            _ = cancel.cancelled() => return,
            msg = servers(&env, &address, &config) => msg,
        };
        let _ = tx.send(msg);
        if !pause(config.intervals.haproxy, &cancel).await {
            return;
        }
    }
}
