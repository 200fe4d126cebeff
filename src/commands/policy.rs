//! `opsdeck policy show` and `opsdeck policy set`: the approval policy the state store records
//! (see [`opsdeck_core::approvals::recorded`]), shown to anyone, recorded again only by the
//! store's owner or root, and every change an audit record.

use opsdeck_core::approvals::recorded::{self, Policy, Recorded};
use opsdeck_core::config::Config;
use opsdeck_core::store::Store;
use std::process::ExitCode;

/// Exit code for a change refused (not the owner, not confirmed).
const EXIT_REFUSED: u8 = 3;

/// The recorded policy, and whether `config` is held to it.
pub fn show(config: &Config, json: bool) -> ExitCode {
    let store = match Store::open(&config.state_path) {
        Ok(s) => s,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let recorded = match recorded::read(&store) {
        Ok(r) => r,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let owner = recorded::owner_of(&config.state_path).map(|(_, n)| n).unwrap_or_else(|e| e);
    let mine = Policy::of(config);
    let changes = recorded.as_ref().map(|r| r.policy.changes_to(&mine)).unwrap_or_default();
    if json {
        let value = serde_json::json!({
            "recorded": recorded.as_ref().map(|r| serde_json::json!({
                "seq": r.seq, "by": r.by, "at": r.at, "policy": r.policy,
            })),
            "owner": owner,
            "config_differs": changes,
        });
        match super::audit_json::to_safe_string(&value) {
            Ok(s) => out!("{s}"),
            Err(e) => {
                err!("opsdeck: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    match &recorded {
        Some(r) => {
            out!("recorded by {} at {} (audit #{}); changed only by root or {owner}", r.by, when(r), r.seq);
            print_rules(&r.policy);
            if !changes.is_empty() {
                out!("this config differs (stricter, or it would have been refused):");
                for c in &changes {
                    out!("  {c}");
                }
            }
        }
        None => {
            out!("no policy recorded yet: {owner}'s next opsdeck run records its config's (or `opsdeck policy set`)")
        }
    }
    ExitCode::SUCCESS
}

/// Records `config`'s policy as the store's: for the store's owner or root, after a confirmation.
pub fn set(config: &Config, user: &str, yes: bool) -> ExitCode {
    let (before, changes) = match recorded::changes(config) {
        Ok(x) => x,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = recorded::may_change(&config.state_path) {
        err!("opsdeck: {e}");
        return ExitCode::from(EXIT_REFUSED);
    }
    if before.is_some() && changes.is_empty() {
        out!("the store already records this policy: nothing to change");
        return ExitCode::SUCCESS;
    }
    err!("the approval policy becomes:");
    for c in &changes {
        err!("  {c}");
    }
    if !yes && !super::ask_yes("record it?") {
        err!("opsdeck: not confirmed; the policy is unchanged");
        return ExitCode::from(EXIT_REFUSED);
    }
    match recorded::set(config, user) {
        Ok((Some(r), _)) => {
            out!("policy recorded by {} at {} (audit #{})", r.by, when(&r), r.seq);
            ExitCode::SUCCESS
        }
        Ok((None, _)) => ExitCode::SUCCESS,
        Err(e) => {
            err!("opsdeck: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_rules(policy: &Policy) {
    for rule in &policy.environments {
        out!("  {}: {}", rule.name, rule.summary());
    }
}

fn when(r: &Recorded) -> String {
    r.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
