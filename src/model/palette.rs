//! The command palette (`:`): a line to type a command into, with the commands that match it. A
//! command does what its key does (a promote opens the same confirmation as `p`), after selecting
//! the service and environment it names.

use crate::keymap::Action;

/// What a palette command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCmd {
    Promote {
        service: String,
        env: String,
    },
    Rollback {
        service: String,
        env: String,
    },
    Canary {
        service: String,
        env: String,
    },
    Reapply {
        service: String,
        env: String,
    },
    Logs {
        service: String,
        env: String,
    },
    Prune {
        service: String,
    },
    /// Select this service and environment in the Environments pane.
    Select {
        service: String,
        env: String,
    },
    Audit,
    Silences,
    Runbooks,
    Runbook(String),
    Help,
    Quit,
}

impl PaletteCmd {
    /// The action whose key does the same from the panes: the palette shows that key (as the
    /// keymap binds it), so the keys are learnt from it.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            PaletteCmd::Promote { .. } => Action::Promote,
            PaletteCmd::Rollback { .. } => Action::Rollback,
            PaletteCmd::Canary { .. } => Action::Canary,
            PaletteCmd::Reapply { .. } => Action::Reapply,
            PaletteCmd::Logs { .. } => Action::Logs,
            PaletteCmd::Prune { .. } => Action::Prune,
            PaletteCmd::Audit => Action::Audit,
            PaletteCmd::Silences => Action::Silences,
            PaletteCmd::Runbooks => Action::Runbooks,
            PaletteCmd::Help => Action::Help,
            PaletteCmd::Quit => Action::Quit,
            PaletteCmd::Select { .. } | PaletteCmd::Runbook(_) => return None,
        })
    }
}

/// One command as the palette lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteEntry {
    /// What is typed and shown: `promote api prod`.
    pub text: String,
    /// What it does, dimmed beside it.
    pub hint: &'static str,
    pub cmd: PaletteCmd,
}

/// The open palette: what was typed and which match is selected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaletteState {
    pub query: String,
    pub selected: usize,
}
