//! Polling the alert manager (Alertmanager's v2 API) for alerts.

use super::{pause, FactTx};
use crate::config::Config;
use crate::outside::alert_manager;
use crate::world::Fact;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Alertmanager's alerts, once (None when the config names no Alertmanager).
pub(super) async fn alerts(config: &Config) -> Option<Fact> {
    let result = match alert_manager(config)? {
        Ok(client) => client.alerts().await,
        Err(e) => Err(e),
    };
    Some(Fact::Alerts(result))
}

pub(super) async fn watch(config: Arc<Config>, tx: FactTx, cancel: CancellationToken) {
    loop {
        let fact = tokio::select! {
            _ = cancel.cancelled() => return,
            fact = alerts(&config) => fact,
        };
        if let Some(fact) = fact {
            if let Fact::Alerts(result) = &fact {
                let outcome = result.as_ref().map(|a| a.len().to_string()).unwrap_or_else(|e| e.to_string());
                tracing::debug!(alerts = %outcome, "alertmanager polled");
            }
            let _ = tx.send(fact);
        }
        if !pause(config.intervals.alerts, &cancel).await {
            return;
        }
    }
}
