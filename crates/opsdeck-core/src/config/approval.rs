//! An environment's `approval`: whether promotes, canaries and rollbacks there need a second
//! person, and whether a rollback to the release that ran there before (the warm or idle slot)
//! may go at once as a break-glass rollback.
//!
//! `approval = "required"` (or `"none"`, the default) is the short form; with it a rollback to
//! the previous release is break-glass. The table form names the rollback rule:
//! `approval.rollback = "required"` makes every rollback wait for an approver, as promotes do;
//! `approval.rollback = "break-glass"` is the default spelled out.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalPolicy {
    #[default]
    None,
    Required,
}

/// What a rollback needs where approval is required.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackApproval {
    /// Back to the release that ran before: at once, recorded and announced as break-glass. To
    /// any other release: approval, as a promote.
    #[default]
    BreakGlass,
    /// Every rollback waits for an approver.
    Required,
}

/// An environment's approval rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Approval {
    pub policy: ApprovalPolicy,
    /// Only read where `policy` is required.
    pub rollback: RollbackApproval,
}

impl From<ApprovalPolicy> for Approval {
    fn from(policy: ApprovalPolicy) -> Self {
        Approval { policy, rollback: RollbackApproval::default() }
    }
}

/// `env.approval == ApprovalPolicy::Required` reads as it always did.
impl PartialEq<ApprovalPolicy> for Approval {
    fn eq(&self, other: &ApprovalPolicy) -> bool {
        self.policy == *other
    }
}

impl Approval {
    pub fn is_required(&self) -> bool {
        self.policy == ApprovalPolicy::Required
    }

    /// Whether a rollback to the previous release goes at once here (where approval is required).
    pub fn break_glass(&self) -> bool {
        self.is_required() && self.rollback == RollbackApproval::BreakGlass
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Form {
    Short(ApprovalPolicy),
    Table(Table),
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Table {
    rollback: RollbackApproval,
}

impl<'de> Deserialize<'de> for Approval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Form::deserialize(d) {
            Ok(Form::Short(policy)) => Ok(policy.into()),
            // The table form exists to say how rollbacks are approved: approval is required.
            Ok(Form::Table(t)) => Ok(Approval { policy: ApprovalPolicy::Required, rollback: t.rollback }),
            Err(_) => Err(serde::de::Error::custom(
                "approval is \"none\", \"required\", or a table { rollback = \"required\" | \"break-glass\" }",
            )),
        }
    }
}

impl Serialize for Approval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_required() && self.rollback != RollbackApproval::default() {
            Table { rollback: self.rollback }.serialize(s)
        } else {
            self.policy.serialize(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Serialize)]
    struct Env {
        #[serde(default)]
        approval: Approval,
    }

    fn parse(text: &str) -> Result<Approval, String> {
        toml::from_str::<Env>(text).map(|e| e.approval).map_err(|e| e.to_string())
    }

    #[test]
    fn short_and_table_forms() {
        assert_eq!(parse("").expect("default"), Approval::default());
        assert!(!parse("").expect("default").is_required());
        let short = parse("approval = \"required\"").expect("short");
        assert!(short.is_required() && short.break_glass(), "a rollback to the previous release is break-glass");
        let strict = parse("approval.rollback = \"required\"").expect("dotted");
        assert_eq!(strict, Approval { policy: ApprovalPolicy::Required, rollback: RollbackApproval::Required });
        assert!(!strict.break_glass());
        let spelled = parse("[approval]\nrollback = \"break-glass\"").expect("table");
        assert!(spelled.break_glass());
        for bad in ["approval = \"maybe\"", "approval.rollback = \"sometimes\"", "approval.promote = \"none\""] {
            let e = parse(bad).expect_err(bad);
            assert!(e.contains("approval is \"none\", \"required\", or a table"), "{bad}: {e}");
        }
        // Written back as read.
        for text in ["approval = \"required\"\n", "approval = \"none\"\n", "[approval]\nrollback = \"required\"\n"] {
            let env: Env = toml::from_str(text).expect("parse");
            assert_eq!(toml::to_string(&env).expect("write"), text);
        }
    }
}
