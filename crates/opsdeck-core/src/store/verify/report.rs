//! What a check of the audit chain reports: the record count and the first problem, by kind.

use std::fmt;

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many records the trail holds.
    pub records: u64,
    /// The first thing wrong, or `None` when the chain is intact.
    pub problem: Option<AuditProblem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            None => write!(f, "audit trail intact: {} records", self.records),
            Some(p) => write!(f, "audit trail broken: {p}"),
        }
    }
}

/// The first bad record: its seq, what kind of tampering it shows, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditProblem {
    pub seq: i64,
    pub kind: ProblemKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A field of the record was changed.
    Changed,
    /// The record is missing (cut out, or cut from the end).
    Deleted,
    /// The record is not one the chain ever held.
    Inserted,
    /// The record holds another record's content or place.
    Reordered,
    /// The chain's head (last seq and hash) is gone, so cuts from the end cannot be ruled out.
    HeadMissing,
}

impl fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ProblemKind::Changed => "changed",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Reordered => "reordered",
            ProblemKind::HeadMissing => "head missing",
        };
        write!(f, "record {}: {kind}: {}", self.seq, self.detail)
    }
}

pub(super) fn problem(seq: i64, kind: ProblemKind, detail: impl Into<String>) -> AuditProblem {
    AuditProblem { seq, kind, detail: detail.into() }
}
