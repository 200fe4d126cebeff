//! The headless commands: the same action layer and state as the console, for scripts, CI and
//! runbook steps. Each returns the process exit code.

pub mod action;
pub mod approvals;
pub mod audit;
mod audit_json;
pub mod dispatch;
pub mod doctor;
pub mod prune;
pub mod runbook;
