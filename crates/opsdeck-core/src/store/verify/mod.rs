//! Checking the audit chain, and naming the first record that is wrong and how.
//!
//! The walk is one pass in seq order. Only when a record fails does a second pass look at the
//! others, to tell a changed record from one that was moved, or one renumbered because a record
//! before it was deleted or inserted. What it cannot catch: someone who rewrites the whole chain and
//! its head with the recipe in [`super::chain`]. Exported copies kept elsewhere catch that.

mod classify;
mod report;
mod walk;

#[cfg(test)]
mod tests;

pub use report::{AuditProblem, ProblemKind, VerifyReport};
