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
pub mod action_json;
pub mod approvals;
pub mod audit;
mod audit_json;
mod audit_verify;
pub mod dispatch;
pub mod doctor;
pub mod generate;
pub mod policy;
pub mod prune;
pub mod runbook;
pub mod runbook_json;

/// Asks `question` on the terminal and reads y/N; false (and says so) when stdin is not a
/// terminal, where `--yes` is the way to say yes.
pub(crate) fn ask_yes(question: &str) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        err!("opsdeck: not a terminal: pass --yes to go on");
        return false;
    }
    eprint!("{} [y/N] ", opsdeck_core::text::printable(question));
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if stdin.lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim(), "y" | "Y" | "yes")
}
