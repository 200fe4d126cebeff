//! Polling Alertmanager's v2 API for alerts.

use super::{pause, MsgTx};
use crate::config::Config;
use crate::msg::Msg;
use opsdeck_backends::alertmanager::AlertmanagerClient;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Alertmanager's alerts, once (None when the config names no Alertmanager).
pub(super) async fn alerts(config: &Config) -> Option<Msg> {
    let am = config.alertmanager.as_ref()?;
    let result = match AlertmanagerClient::new(&am.url, config.timeouts.alertmanager) {
        Ok(client) => client.alerts().await,
        Err(e) => Err(e),
    };
    Some(Msg::Alerts(result))
}

pub(super) async fn watch(config: Arc<Config>, tx: MsgTx, cancel: CancellationToken) {
    loop {
        let msg = tokio::select! {
            _ = cancel.cancelled() => return,
            msg = alerts(&config) => msg,
        };
        if let Some(msg) = msg {
            let _ = tx.send(msg);
        }
        if !pause(config.intervals.alerts, &cancel).await {
            return;
        }
    }
}
