//! Polling Alertmanager's v2 API for silences, beside the alerts, so the `S` list stays live.

use super::{pause, FactTx};
use crate::config::Config;
use crate::world::Fact;
use opsdeck_backends::alertmanager::AlertmanagerClient;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Alertmanager's silences, once (None when the config names no Alertmanager).
pub async fn silences(config: &Config) -> Option<Fact> {
    let am = config.alertmanager.as_ref()?;
    let result = match AlertmanagerClient::new(&am.url, config.timeouts.alertmanager) {
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
