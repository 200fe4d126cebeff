//! Approvals between people: a promote or rollback on an environment whose policy is
//! `approval = "required"` becomes a pending request in the state store (who, what, why, when,
//! until when); another person on the environment's approvers' list approves it (it then runs at
//! once, in the approver's process) or rejects it. The rules are in `policy`; joining them to the
//! store, the live state and the executor is `flow`. Identity is the OS user
//! ([`crate::identity::current_user`]: the real uid's user, or `SUDO_USER` for root only).

pub mod flow;
pub mod policy;
pub mod recorded;

pub use flow::{
    approve, decision, file, outlook, prepare, prepare_with, reject, run, run_abortable, Filed, Outlook, Prepared,
};
pub use policy::{deciders, needs_approval, requires_approval};
