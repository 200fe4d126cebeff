//! Polling the registry for each service's image history (tags grouped by digest).

use super::{pause, FactTx};
use crate::config::Config;
use crate::world::Fact;
use opsdeck_backends::registry::RegistryClient;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Every service's history, once, one message per service.
pub async fn histories(config: &Config) -> Vec<Fact> {
    match crate::outside::registry_client(config) {
        Ok(client) => looks(config, &client, false).await,
        Err(e) => config.services.iter().map(|s| Fact::Images(s.name.clone(), Err(e.clone()))).collect(),
    }
}

/// One look at every service's history through `client`; `watched`: as a watcher that looks
/// again (only the tags due are resolved again, see [`RegistryClient::watched_history`]).
async fn looks(config: &Config, client: &RegistryClient, watched: bool) -> Vec<Fact> {
    let calls = config.services.iter().map(|s| async move {
        let history =
            if watched { client.watched_history(s.repository()).await } else { client.history(s.repository()).await };
        Fact::Images(s.name.clone(), history)
    });
    futures::future::join_all(calls).await
}

/// Polls the registry with one client for the watcher's life: its connections, the image facts
/// it fetched once per digest, and the tags it resolved are kept between looks.
pub(super) async fn watch(config: Arc<Config>, tx: FactTx, cancel: CancellationToken) {
    let client = match crate::outside::registry_client(&config) {
        Ok(c) => c,
        Err(e) => {
            for s in &config.services {
                let _ = tx.send(Fact::Images(s.name.clone(), Err(e.clone())));
            }
            return;
        }
    };
    loop {
        let facts = tokio::select! {
            _ = cancel.cancelled() => return,
            facts = looks(&config, &client, true) => facts,
        };
        tracing::debug!(facts = facts.len(), "registry polled");
        for fact in facts {
            let _ = tx.send(fact);
        }
        if !pause(config.intervals.registry, &cancel).await {
            return;
        }
    }
}
