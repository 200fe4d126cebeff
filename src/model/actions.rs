//! Actions and locks as the console shows them: read from the shared state store's journal (so
//! actions run by other opsdeck processes and other users show too), the confirmation a
//! destructive key opens, the drain trace of our running actions and the abort confirmation.

use opsdeck_core::actions::ActionPlan;

pub use opsdeck_core::world::actions::{ActionsState, DrainTrace, StageTrace};

/// A confirmation that names exactly what will happen before anything does.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub plan: ActionPlan,
    /// Set when the environment requires approval: its name must be typed to confirm.
    pub type_to_confirm: Option<String>,
    /// What has been typed so far.
    pub typed: String,
    /// Set when the action needs another person's approval: Enter files a request instead of
    /// running it, and a reason is asked for.
    pub request: Option<RequestDraft>,
    /// `s` in the confirmation: silence the service's alerts in the environment while the action
    /// runs (expired when it ends). None when the config names no Alertmanager (not offered).
    pub silence: Option<bool>,
}

/// The request a confirmation files: why, and who will be asked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestDraft {
    pub reason: String,
    /// Who can approve it: the environment's approvers but the requester.
    pub deciders: Vec<String>,
    /// Keys go to the reason (else to the environment's name).
    pub on_reason: bool,
}

impl Confirm {
    /// Whether the typed name matches (always, when none is asked for).
    pub fn name_matches(&self) -> bool {
        self.type_to_confirm.as_ref().is_none_or(|name| &self.typed == name)
    }

    /// Whether a reason is still missing for the request this files.
    pub fn needs_reason(&self) -> bool {
        self.request.as_ref().is_some_and(|r| r.reason.trim().is_empty())
    }

    /// Whether Enter would run it (or file its request) now.
    pub fn is_satisfied(&self) -> bool {
        self.name_matches() && !self.needs_reason()
    }

    /// Whether keys go to the reason rather than the name.
    pub fn on_reason(&self) -> bool {
        self.request.as_ref().is_some_and(|r| r.on_reason)
    }
}

/// The confirmation `C` opens before it aborts (or cancels) a running action.
#[derive(Debug, Clone, PartialEq)]
pub struct AbortConfirm {
    pub id: i64,
    pub service: String,
    pub env: String,
    /// What will happen, as the box says it.
    pub question: String,
}
