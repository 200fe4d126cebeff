//! opsdeck's clients for the systems it watches and drives: Docker engines, the OCI registry,
//! HAProxy's runtime API, Alertmanager and services' `/health`. Plain async functions returning
//! domain types; nothing here knows about terminals, messages or the UI.

pub mod alertmanager;
pub mod docker;
pub mod error;
pub mod haproxy;
pub mod health;
mod http;
pub mod platform;
pub mod registry;
pub mod swarm;
pub mod types;

pub use error::{BackendError, BackendResult};
