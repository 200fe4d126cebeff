//! Approval requests: a promote or rollback on an environment that requires approval, waiting in
//! the store for another person's decision, and every change of its state audited with it.
//!
//! A request is decided once. Each change re-reads the request inside an IMMEDIATE transaction,
//! so of two approvers deciding at the same moment (two processes, two users) one changes it and
//! the other is refused; the audit record of a change commits in the same transaction, so the
//! trail never shows a decision that did not happen, nor misses one that did.
//!
//! What may be decided by whom is checked here too (nobody approves their own request; only the
//! environment's approvers decide), with the approvers' list passed in from the config: the rules
//! that need the live environment (is the request still what prod would do?) are in
//! [`crate::approvals`].

mod decide;
mod decision;
mod file;
mod finish;
mod model;
mod read;
mod rows;
mod trail;

#[cfg(test)]
mod tests;

pub use decision::{Decided, Decision, RequestEnd, Verdict};
pub use model::{NewRequest, Request, RequestFilter, RequestId, RequestState};
