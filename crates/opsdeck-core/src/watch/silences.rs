//! Polling the alert manager (Alertmanager's v2 API) for silences, beside the alerts, so the `S` list stays live.

use super::{pause, FactTx};
use crate::config::Config;
use crate::outside::alert_manager;
use crate::world::Fact;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Alertmanager's silences, once (None when the config names no Alertmanager).
pub async fn silences(config: &Config) -> Option<Fact> {
    let result = match alert_manager(config)? {
        Ok(client) => client.silences().await,
        Err(e) => Err(e),
    };
    Some(Fact::Silences(result))
}

pub(super) async fn watch(config: Arc<Config>, tx: FactTx, cancel: CancellationToken) {
    loop {
        let fact = tokio::select! {
            _ = cancel.cancelled() => return,
            fact = silences(&config) => fact,
        };
        if let Some(fact) = fact {
            let _ = tx.send(fact);
        }
        if !pause(config.intervals.alerts, &cancel).await {
            return;
        }
    }
}
