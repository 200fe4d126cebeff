//! Background tasks that watch the outside systems. Each sends owned results as [`crate::world::Fact`]s and
//! never touches the model; each call has its timeout; each loop ends when the token is
//! cancelled. `once` gathers the same facts a single time, for `opsdeck status`.

mod alerts;
mod anchors;
mod haproxy;
mod health;
mod hosts;
mod inspect;
pub mod log_text;
mod logs;
mod once;
mod registry;
mod replicas;
mod silences;
mod store;

pub use health::Probes;
pub use inspect::inspect_container;
pub use logs::{LogEvent, LogFollowers, LogNews, LogTx};
pub use once::gather;
pub use registry::histories as fetch_images;
pub use silences::silences as fetch_silences;
pub use store::spawn_store_watcher;

use crate::config::Config;
use crate::outside::platform_for;
use crate::world::HostId;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// Where watchers send what they learn.
pub type FactTx = UnboundedSender<crate::world::Fact>;

/// Starts one watcher per host (through its environment's platform), per traffic switch, and one
/// each for the registry and Alertmanager, and the task that keeps the audit chain anchored in the
/// registry. They run until `cancel` fires.
pub fn spawn_watchers(config: &Arc<Config>, tx: &FactTx, cancel: &CancellationToken) {
    for env in &config.environments {
        let platform = platform_for(config, env);
        for host in &env.hosts {
            let id = HostId { env: env.name.clone(), host: host.name.clone() };
            let reconcile = config.intervals.reconcile;
            tokio::spawn(hosts::watch_host(id, platform.clone(), reconcile, tx.clone(), cancel.clone()));
        }
    }
    for envs in haproxy::by_haproxy(config) {
        tokio::spawn(haproxy::watch(envs, config.clone(), tx.clone(), cancel.clone()));
    }
    tokio::spawn(replicas::watch(config.clone(), cancel.clone()));
    tokio::spawn(registry::watch(config.clone(), tx.clone(), cancel.clone()));
    tokio::spawn(anchors::watch(config.clone(), cancel.clone()));
    if config.alertmanager.is_some() {
        tokio::spawn(alerts::watch(config.clone(), tx.clone(), cancel.clone()));
        tokio::spawn(silences::watch(config.clone(), tx.clone(), cancel.clone()));
    }
}

/// Sleeps for `period`, or returns false at once when cancelled.
async fn pause(period: std::time::Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(period) => true,
    }
}
