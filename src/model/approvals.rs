//! The console's side of approvals and the audit trail: the approval view `a` opens, the reason
//! `x` asks for, and the Audit view's filter. What the store said lives in [`opsdeck_core::world`].

use opsdeck_core::actions::ActionPlan;
use opsdeck_core::store::{Request, RequestId};

pub use opsdeck_core::world::approvals::{shown_state, ApprovalsState, AuditRow, AuditState, AUDIT_TAIL, KEEP_DECIDED};

/// The approval view `a` opens on a pending request: exactly what approving will run.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalView {
    pub id: RequestId,
    /// The plan made now from the live state, or (when it cannot be made now) the one the
    /// requester saw.
    pub plan: ActionPlan,
    /// Whether `plan` was made from the live state.
    pub live: bool,
    /// Why approving would refuse it instead of running it (it no longer matches the environment).
    pub problem: Option<String>,
}

/// The reason `x` asks for before a request is rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectInput {
    pub id: RequestId,
    pub reason: String,
}

/// The Audit view: open or not, and its filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditView {
    /// Case-insensitive; matches user, kind, subject, outcome and detail.
    pub filter: String,
    /// Keys are typed into the filter.
    pub editing: bool,
    /// The selected row among those the filter shows.
    pub row: usize,
}

impl super::Model {
    /// The request selected in the Approvals pane.
    pub fn selected_request(&self) -> Option<&Request> {
        let rows = self.world.request_rows();
        rows.get(self.ui.approval_row.min(rows.len().saturating_sub(1))).copied()
    }

    /// The audit rows the Audit view's filter lets through, newest first.
    pub fn audit_rows(&self) -> Vec<&AuditRow> {
        let needle = self.ui.audit.filter.trim().to_lowercase();
        self.world.audit.rows.iter().filter(|r| needle.is_empty() || r.matches(&needle)).collect()
    }
}
