//! Polling Alertmanager's v2 API for silences, beside the alerts, so the `S` list stays live.

use super::{pause, MsgTx};
use crate::config::Config;
use crate::msg::Msg;
use opsdeck_backends::alertmanager::AlertmanagerClient;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Alertmanager's silences, once (None when the config names no Alertmanager).
pub async fn silences(config: &Config) -> Option<Msg> {
    let am = config.alertmanager.as_ref()?;
    let result = match AlertmanagerClient::new(&am.url, config.timeouts.alertmanager) {
        Ok(client) => client.silences().await,
        Err(e) => Err(e),
    };
    Some(Msg::Silences(result))
}

pub(super) async fn watch(config: Arc<Config>, tx: MsgTx, cancel: CancellationToken) {
    loop {
        let msg = tokio::select! {
            _ = cancel.cancelled() => return,
            msg = silences(&config) => msg,
        };
        if let Some(msg) = msg {
            let _ = tx.send(msg);
        }
        if !pause(config.intervals.alerts, &cancel).await {
            return;
        }
    }
}
