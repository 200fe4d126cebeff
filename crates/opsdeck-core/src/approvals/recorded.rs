//! The approval policy the shared store records, so that it is not the caller's to choose: a
//! private config with `approval = "none"` for prod is refused against a store that requires it.
//!
//! The policy lives in the audit trail itself, as the newest record of kind `policy`: the first
//! opsdeck run by the store's owner (or root) with a config where an environment requires approval
//! records its config's policy there, and `opsdeck
//! policy set` (owner or root only) records a new one. Every config loaded afterwards is compared
//! with it; one that allows what the record does not (no approval where it is required, an
//! approver it does not name, an environment that switches a guarded environment's traffic
//! without its approval) is refused with each difference named. A config that is stricter is
//! fine. A row edited by hand no longer matches its hash and is refused too; a chain rewritten
//! whole is what the registry anchors catch (`audit verify`).

use crate::config::{ApprovalPolicy, Config, RollbackApproval};
use crate::store::{AuditEntry, Store};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The audit kind of a policy record.
pub const KIND: &str = "policy";

/// One environment's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvRule {
    pub name: String,
    pub approval: ApprovalPolicy,
    /// How rollbacks are approved where approval is required. A record written before
    /// break-glass rollbacks existed required approval for every rollback: so it reads.
    #[serde(default = "every_rollback")]
    pub rollback: RollbackApproval,
    pub approvers: Vec<String>,
    /// Where the environment switches traffic: `HAPROXY#BACKEND` for each of its services. Another
    /// environment that switches one of these is held to this environment's rule.
    pub routes: Vec<String>,
}

fn every_rollback() -> RollbackApproval {
    RollbackApproval::Required
}

/// Every environment's rule, as a config states it or the store records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub environments: Vec<EnvRule>,
}

/// The policy the store records, and which record says so.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub policy: Policy,
    pub seq: u64,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// How a loaded config stands against the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// The store records a policy and the config allows nothing more.
    Holds(Recorded),
    /// There was none: this run (by the owner or root) recorded the config's.
    FirstRecorded(Recorded),
    /// None is recorded yet, and this user may not record it: the owner's next run will.
    Unrecorded { owner: String },
    /// The store cannot be opened here: every command that needs it says why when it does.
    NoStore(String),
}

impl Policy {
    pub fn of(config: &Config) -> Policy {
        let environments = config
            .environments
            .iter()
            .map(|env| {
                let mut routes: Vec<String> = config
                    .services
                    .iter()
                    .filter_map(|s| s.environments.get(&env.name))
                    .map(|r| format!("{}#{}", env.haproxy, r.backend))
                    .collect();
                routes.sort();
                routes.dedup();
                let mut approvers = env.approvers.clone();
                approvers.sort();
                let (approval, rollback) = (env.approval.policy, env.approval.rollback);
                EnvRule { name: env.name.clone(), approval, rollback, approvers, routes }
            })
            .collect();
        Policy { environments }
    }

    fn env(&self, name: &str) -> Option<&EnvRule> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// What `config` allows that this policy does not, one line each (empty: nothing).
    pub fn weakened_by(&self, config: &Policy) -> Vec<String> {
        let mut out = Vec::new();
        for rule in self.environments.iter().filter(|r| r.approval == ApprovalPolicy::Required) {
            let allowed: BTreeSet<&String> = rule.approvers.iter().collect();
            if let Some(env) = config.env(&rule.name) {
                if env.approval != ApprovalPolicy::Required {
                    out.push(format!(
                        "{}: the store requires approval, this config says approval = \"none\"",
                        rule.name
                    ));
                } else {
                    if rule.rollback == RollbackApproval::Required && env.rollback != RollbackApproval::Required {
                        out.push(format!(
                            "{}: the store requires approval for every rollback, this config lets a rollback to \
                             the previous release go without it (approval.rollback = \"required\" keeps it)",
                            rule.name
                        ));
                    }
                    let extra: Vec<&str> =
                        env.approvers.iter().filter(|a| !allowed.contains(a)).map(String::as_str).collect();
                    if !extra.is_empty() {
                        out.push(format!(
                            "{}: approvers {} are not in the store's policy ({})",
                            rule.name,
                            extra.join(", "),
                            rule.approvers.join(", ")
                        ));
                    }
                }
            }
            for other in config.environments.iter().filter(|e| e.name != rule.name) {
                let held =
                    other.approval == ApprovalPolicy::Required && other.approvers.iter().all(|a| allowed.contains(a));
                if let Some(route) = other.routes.iter().find(|r| rule.routes.contains(r)).filter(|_| !held) {
                    out.push(format!(
                        "{}: switches {route}, as {} does, without {}'s approval",
                        other.name, rule.name, rule.name
                    ));
                }
            }
        }
        out
    }

    /// Every difference between this policy and `new`, one line each, for `policy set` to show.
    pub fn changes_to(&self, new: &Policy) -> Vec<String> {
        let mut out = Vec::new();
        for rule in &self.environments {
            match new.env(&rule.name) {
                None => out.push(format!("{}: no longer in the policy", rule.name)),
                Some(n) if n != rule => out.push(format!("{}: {} -> {}", rule.name, rule.summary(), n.summary())),
                Some(_) => {}
            }
        }
        for n in new.environments.iter().filter(|n| self.env(&n.name).is_none()) {
            out.push(format!("{}: new, {}", n.name, n.summary()));
        }
        out
    }
}

impl EnvRule {
    /// `approval required by alice, bob; routes 2` or `no approval; routes 1`.
    pub fn summary(&self) -> String {
        let approval = match self.approval {
            ApprovalPolicy::Required => {
                let rollbacks = match self.rollback {
                    RollbackApproval::Required => "every rollback approved too",
                    RollbackApproval::BreakGlass => "rollbacks to the previous release break-glass",
                };
                format!("approval required by {}; {rollbacks}", self.approvers.join(", "))
            }
            ApprovalPolicy::None => "no approval".to_string(),
        };
        format!(
            "{approval}; switches {}",
            if self.routes.is_empty() { "nothing".into() } else { self.routes.join(", ") }
        )
    }
}

/// The policy the store records, or `None`. A record whose row was edited after it was written is
/// an error: nobody may trust it, and nobody may quietly replace it either.
pub fn read(store: &Store) -> Result<Option<Recorded>, String> {
    let Some(found) = store.latest_audit_of(KIND).map_err(|e| e.to_string())? else { return Ok(None) };
    let seq = found.record.seq;
    if !found.intact {
        return Err(format!(
            "the approval policy recorded in audit record #{seq} was changed after it was written: \
             run `opsdeck audit verify`; the store's owner records it again with `opsdeck policy set`"
        ));
    }
    let policy = serde_json::from_value::<Policy>(found.record.entry.detail["policy"].clone())
        .map_err(|e| format!("audit record #{seq} does not hold an approval policy: {e}"))?;
    Ok(Some(Recorded { policy, seq, by: found.record.entry.user, at: found.record.entry.at }))
}

/// The store file's owner, by name (or `uid-N`).
pub fn owner_of(state_path: &Path) -> Result<(u32, String), String> {
    let meta = std::fs::metadata(state_path).map_err(|e| format!("{}: {e}", state_path.display()))?;
    let uid = meta.uid();
    Ok((uid, crate::identity::name_of_uid(uid).unwrap_or_else(|| format!("uid-{uid}"))))
}

/// Whether this process may record the policy: its real uid is root or owns the store file.
pub fn may_change(state_path: &Path) -> Result<(), String> {
    let (owner, name) = owner_of(state_path)?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    if uid == 0 || uid == owner {
        return Ok(());
    }
    Err(format!("only root or {name}, who owns {}, may change the approval policy", state_path.display()))
}

/// The audit entry recording `policy`.
fn entry(policy: &Policy, user: &str, outcome: &str, changes: &[String]) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        user: user.to_string(),
        kind: KIND.into(),
        subject: "approval policy".into(),
        detail: serde_json::json!({ "policy": policy, "changes": changes }),
        outcome: outcome.into(),
    }
}

/// Checks `config` against the store it names (recording its policy first when there is none
/// and this user may). Refused: one line per difference, and who may change the policy.
pub fn enforce(config: &Config, config_path: &Path, user: &str) -> Result<Standing, String> {
    let mut store = match Store::open(&config.state_path) {
        Ok(s) => s,
        Err(e) => return Ok(Standing::NoStore(e.to_string())),
    };
    let mine = Policy::of(config);
    if let Some(recorded) = read(&store)? {
        let weaker = recorded.policy.weakened_by(&mine);
        if weaker.is_empty() {
            return Ok(Standing::Holds(recorded));
        }
        let owner = owner_of(&config.state_path).map(|(_, n)| n).unwrap_or_else(|_| "its owner".into());
        return Err(format!(
            "{}: this config weakens the approval policy the state store records (audit #{}, by {} at {}):\n  {}\n\
             Only root or {owner} (who owns {}) changes it: `opsdeck policy set --config FILE`.",
            config_path.display(),
            recorded.seq,
            recorded.by,
            recorded.at.format("%Y-%m-%d %H:%M UTC"),
            weaker.join("\n  "),
            config.state_path.display()
        ));
    }
    // A policy that requires nothing has nothing to hold anyone to: the trail gets no record
    // until an environment requires approval.
    let guards = mine.environments.iter().any(|e| e.approval == ApprovalPolicy::Required);
    if !guards || may_change(&config.state_path).is_err() {
        let owner = owner_of(&config.state_path).map(|(_, n)| n).unwrap_or_else(|e| e);
        return Ok(Standing::Unrecorded { owner });
    }
    match store.append_audit_if_first(entry(&mine, user, "recorded", &[])).map_err(|e| e.to_string())? {
        Some(r) => Ok(Standing::FirstRecorded(Recorded { policy: mine, seq: r.seq, by: r.entry.user, at: r.entry.at })),
        // Another process recorded one meanwhile: hold this config to it.
        None => enforce(config, config_path, user),
    }
}

/// What recording `config`'s policy would change: the policy recorded now (`None` when there is
/// none, or when the record was edited by hand: the owner's new one replaces it) and one line per
/// difference.
pub fn changes(config: &Config) -> Result<(Option<Recorded>, Vec<String>), String> {
    let store = Store::open(&config.state_path).map_err(|e| e.to_string())?;
    let new = Policy::of(config);
    let before = read(&store).unwrap_or(None);
    let changes = match &before {
        Some(r) => r.policy.changes_to(&new),
        None => new.environments.iter().map(|e| format!("{}: {}", e.name, e.summary())).collect(),
    };
    Ok((before, changes))
}

/// `opsdeck policy set`: records `config`'s policy (owner or root only). Returns the record and
/// what changed; nothing is written when nothing would change.
pub fn set(config: &Config, user: &str) -> Result<(Option<Recorded>, Vec<String>), String> {
    // Opened (so created when new) before the owner is asked for.
    let (before, changes) = self::changes(config)?;
    may_change(&config.state_path)?;
    if before.is_some() && changes.is_empty() {
        return Ok((before, changes));
    }
    let mut store = Store::open(&config.state_path).map_err(|e| e.to_string())?;
    let new = Policy::of(config);
    let r = store.append_audit(entry(&new, user, "changed", &changes)).map_err(|e| e.to_string())?;
    Ok((Some(Recorded { policy: new, seq: r.seq, by: r.entry.user, at: r.entry.at }), changes))
}

#[cfg(test)]
#[path = "recorded_tests.rs"]
mod tests;
