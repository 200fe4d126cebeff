//! The headless commands: the same action layer and state as the console, for scripts, CI and
//! runbook steps. Each returns the process exit code.

/// `println!` for the commands: the message made [`opsdeck_core::text::printable`] first, so no
/// value from outside (a tag, a reason, a `/health` body) reaches the terminal with its escapes.
macro_rules! out {
    ($($arg:tt)*) => {
        println!("{}", opsdeck_core::text::printable(&format!($($arg)*)))
    };
}

/// `eprintln!` for the commands, made printable the same way.
macro_rules! err {
    ($($arg:tt)*) => {
        eprintln!("{}", opsdeck_core::text::printable(&format!($($arg)*)))
    };
}

pub mod action;
pub mod approvals;
pub mod audit;
mod audit_json;
pub mod dispatch;
pub mod doctor;
pub mod prune;
pub mod runbook;
