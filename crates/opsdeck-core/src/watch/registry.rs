//! Polling the registry for each service's image history (tags grouped by digest).

use super::{pause, FactTx};
use crate::config::Config;
use crate::world::Fact;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Every service's history, once, one message per service.
pub async fn histories(config: &Config) -> Vec<Fact> {
    let client = match crate::outside::registry_client(config) {
        Ok(c) => c,
        Err(e) => return config.services.iter().map(|s| Fact::Images(s.name.clone(), Err(e.clone()))).collect(),
    };
    let calls = config.services.iter().map(|s| {
        let client = &client;
        async move { Fact::Images(s.name.clone(), client.history(s.repository()).await) }
    });
    futures::future::join_all(calls).await
}

pub(super) async fn watch(config: Arc<Config>, tx: FactTx, cancel: CancellationToken) {
    loop {
        let facts = tokio::select! {
            _ = cancel.cancelled() => return,
            facts = histories(&config) => facts,
        };
        for fact in facts {
            let _ = tx.send(fact);
        }
        if !pause(config.intervals.registry, &cancel).await {
            return;
        }
    }
}
