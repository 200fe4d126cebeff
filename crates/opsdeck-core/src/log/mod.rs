//! opsdeck's own log file, `opsdeck.log` beside the state store: JSON lines written through
//! `tracing`, one per action event, recovery, notice and debug event of this process, each with
//! `time`, `level`, `pid`, `user`, `target`, `message` and the event's fields, secrets masked, so
//! what a console or a script did can be read (and searched) afterwards.
//!
//! [`init`] installs the process-wide subscriber once the config is loaded: the level comes from
//! `--log-level`, else `$OPSDECK_LOG`, else `info` ([`filter`]); the lines go to the file only
//! (the console runs in raw mode: nothing may reach the terminal). Writing never fails an action:
//! a line that cannot be written is dropped. The file lives in the shared folder, so it is opened
//! as [`crate::shared_files::open_append`] allows; a refused log is said once ([`LogFile::line`]
//! hands it to the caller to show), and left alone ([`layer`]).

pub mod filter;
pub mod layer;

use crate::config::Config;
use crate::secrets::Secrets;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracing_subscriber::layer::SubscriberExt;

/// Where `config`'s log goes: `opsdeck.log` beside its state store.
pub fn path_for(config: &Config) -> PathBuf {
    let dir = config.state_path.parent().map(PathBuf::from).unwrap_or_default();
    dir.join("opsdeck.log")
}

/// The subscriber for `config`'s log, written as `user`, at `filter`'s level: what [`init`]
/// installs, and what tests install on their own thread.
pub fn subscriber(
    config: &Config,
    user: &str,
    filter: tracing_subscriber::EnvFilter,
) -> impl tracing::Subscriber + Send + Sync {
    let layer = layer::JsonLayer::new(path_for(config), Arc::new(Secrets::from_config(config)), user);
    tracing_subscriber::registry().with(filter).with(layer)
}

/// Installs the log for this process: `level` (the `--log-level` flag) or `$OPSDECK_LOG` picks the
/// level. A level that cannot be read is an error to show; a second call (a demo that opens the
/// console on a config of its own) keeps the first log.
pub fn init(config: &Config, user: &str, level: Option<&str>) -> Result<(), String> {
    let env = std::env::var("OPSDECK_LOG").ok();
    let filter = filter::from(level, env.as_deref())?;
    // The default folder (the user's state folder) may not exist before the first store is
    // opened; the log wants it first. A folder that cannot be made leaves the lines dropped.
    if let Some(folder) = config.state_path.parent().filter(|f| !f.as_os_str().is_empty() && !f.exists()) {
        let _ = crate::store::permissions::prepare_folder(folder);
    }
    let _ = tracing::subscriber::set_global_default(subscriber(config, user, filter));
    Ok(())
}

/// What the console and the CLI log an action's lines through (see the module): a line at `info`.
#[derive(Debug, Clone)]
pub struct LogFile {
    path: PathBuf,
}

impl LogFile {
    /// The log beside `config`'s state store (the user is the one [`init`] was given).
    pub fn for_config(config: &Config, _user: &str) -> LogFile {
        LogFile { path: path_for(config) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Logs one line (cleaned and masked by the layer). When the file is refused (see the
    /// module), the line is dropped and, the first time in this process, why is returned for
    /// the caller to show.
    pub fn line(&self, text: &str) -> Option<String> {
        tracing::info!(target: "opsdeck::events", "{text}");
        layer::take_refusal()
    }
}

#[cfg(test)]
mod tests;
