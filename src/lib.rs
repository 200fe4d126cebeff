//! opsdeck: a terminal operations console. One screen for every environment, the image history of
//! every service, health and alerts. The library holds everything; `main.rs` only wires it up.

pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod demo;
pub mod keymap;
pub mod model;
pub mod msg;
pub mod runtime;
pub mod stack;
pub mod status;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;

#[cfg(test)]
pub mod test_support;
