//! opsdeck: a terminal operations console. One screen for every environment, the image history of
//! every service, health and alerts. The library holds everything; `main.rs` only wires it up.

pub mod actions;
pub mod approvals;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod identity;
pub mod keymap;
pub mod log;
pub mod model;
pub mod msg;
pub mod runbook;
pub mod runtime;
pub mod secrets;
pub mod stack;
pub mod status;
pub mod store;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod ui;
pub mod update;

#[cfg(test)]
pub mod test_support;
