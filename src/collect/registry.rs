//! Polling the registry for each service's image history (tags grouped by digest).

use super::{pause, MsgTx};
use crate::config::Config;
use crate::msg::Msg;
use opsdeck_backends::registry::RegistryClient;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Every service's history, once, one message per service.
pub async fn histories(config: &Config) -> Vec<Msg> {
    let client = match RegistryClient::new(&config.registry.url, config.timeouts.registry) {
        Ok(c) => c,
        Err(e) => return config.services.iter().map(|s| Msg::Images(s.name.clone(), Err(e.clone()))).collect(),
    };
    let calls = config.services.iter().map(|s| {
        let client = &client;
        async move { Msg::Images(s.name.clone(), client.history(s.repository()).await) }
    });
    futures::future::join_all(calls).await
}

pub(super) async fn watch(config: Arc<Config>, tx: MsgTx, cancel: CancellationToken) {
    loop {
        let msgs = tokio::select! {
            _ = cancel.cancelled() => return,
            msgs = histories(&config) => msgs,
        };
        for msg in msgs {
            let _ = tx.send(msg);
        }
        if !pause(config.intervals.registry, &cancel).await {
            return;
        }
    }
}
