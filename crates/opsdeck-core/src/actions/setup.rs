//! The executor a process runs its actions on: its own store connection and the real outside
//! world, after settling what dead processes left unfinished.

use super::recover::recover;
use super::{ActionEvent, Executor};
use crate::config::Config;
use crate::outside::Outside;
use crate::store::{Holder, Store};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedReceiver;

/// An executor for this process, with the real outside world; unfinished actions of dead
/// processes are settled first.
pub async fn executor(
    config: &Arc<Config>,
    user: &str,
) -> Result<(Executor, Vec<String>, UnboundedReceiver<ActionEvent>), String> {
    let store = Store::open(&config.state_path).map_err(|e| e.to_string())?;
    let ops = Outside::new(config.clone())?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let exec = Executor {
        ops: Arc::new(ops),
        store: Arc::new(Mutex::new(store)),
        events: tx,
        holder: Holder::this_process(user),
    };
    let recovered = recover(&exec, config).await;
    Ok((exec, recovered, rx))
}
