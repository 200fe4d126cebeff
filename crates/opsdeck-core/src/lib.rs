//! opsdeck without the terminal: the config, the shared state store, identity and secrets; the
//! world (what every outside system last said, changed only by facts) and the watchers that send
//! those facts; the action layer (plans, the gate, the executor, recovery, prune, silences),
//! approvals, runbooks and the audit trail's text. The console and the CLI are two faces of it;
//! nothing here knows of a terminal.

pub mod actions;
pub mod approvals;
pub mod audit;
pub mod config;
pub mod doctor;
pub mod identity;
pub mod log;
pub mod notify;
pub mod outside;
pub mod runbook;
pub mod secrets;
pub mod shared_files;
pub mod store;
pub mod text;
pub mod watch;
pub mod world;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
