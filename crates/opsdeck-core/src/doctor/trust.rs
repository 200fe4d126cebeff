//! The checks of what opsdeck trusts on this machine: the state store and its audit chain, the
//! approval policy it records, the anchors off the bastion, opsdeck's log, and secrets written
//! into a config that others can read.

use super::{check, Check, Status};
use crate::store::VerifyReport;
use std::os::unix::fs::MetadataExt;

/// The state store: it opens (permissions, schema) and its audit chain is intact.
pub fn store(path: &std::path::Path, verified: Result<VerifyReport, String>) -> Check {
    let name = "state store";
    match verified {
        Ok(report) => match &report.problem {
            None => {
                check(name, Status::Ok, format!("{}: {} audit records, chain intact", path.display(), report.records))
            }
            Some(p) => check(
                name,
                Status::Fail,
                format!("{}: the audit trail has been altered: {p} (opsdeck audit verify)", path.display()),
            ),
        },
        Err(e) => check(name, Status::Fail, format!("{}: {e}", path.display())),
    }
}

/// opsdeck's log beside the store: a regular file opsdeck may append to (not a symlink, not a
/// FIFO, owned by a member of the store's group); created when missing.
pub fn log_file(state_path: &std::path::Path) -> Check {
    let folder = state_path.parent().unwrap_or(std::path::Path::new("."));
    let path = folder.join("opsdeck.log");
    // SAFETY: getgid has no preconditions.
    let group = crate::shared_files::group_of(folder).unwrap_or_else(|| unsafe { libc::getgid() });
    match crate::shared_files::open_append(&path, group) {
        Ok(_) => check("log file", Status::Ok, format!("{}: appended to", path.display())),
        Err(reason) => check("log file", Status::Fail, reason),
    }
}

/// The approval policy the store records: who recorded it and when, or that nobody has yet.
/// (A config weaker than it never gets this far: loading it is refused.)
pub fn policy(config: &crate::config::Config) -> Check {
    use crate::approvals::recorded;
    let name = "approval policy";
    let read =
        crate::store::Store::open(&config.state_path).map_err(|e| e.to_string()).and_then(|s| recorded::read(&s));
    let owner = recorded::owner_of(&config.state_path).map(|(_, n)| n).unwrap_or_else(|_| "its owner".into());
    match read {
        Ok(Some(r)) => check(
            name,
            Status::Ok,
            format!(
                "recorded by {} at {} (audit #{}); this config holds to it; changed only by root or {owner}",
                r.by,
                r.at.format("%Y-%m-%d %H:%M UTC"),
                r.seq
            ),
        ),
        Ok(None) if config.environments.iter().all(|e| e.approval == crate::config::ApprovalPolicy::None) => {
            check(name, Status::Ok, "no environment requires approval; nothing recorded")
        }
        Ok(None) => check(
            name,
            Status::Warn,
            format!("not recorded in the store yet: {owner} records it by running opsdeck (or `opsdeck policy set`)"),
        ),
        Err(e) => check(name, Status::Fail, e),
    }
}

/// The audit chain's anchors in the registry (after a catch-up, `pushed`): up to date, or how far
/// behind and why the last push failed.
pub fn anchors(state: Result<crate::store::AnchorState, String>, pushed: Result<usize, String>) -> Check {
    let name = "audit anchors";
    let state = match state {
        Ok(s) => s,
        Err(e) => return check(name, Status::Fail, e),
    };
    let last = state.pushed_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into());
    let behind = state.behind();
    if behind == 0 {
        let detail =
            format!("anchored in the registry up to record {} of {} (last pushed {last})", state.seq, state.head);
        return check(name, Status::Ok, detail);
    }
    let why = match (pushed, &state.error) {
        (Err(e), _) => e,
        (Ok(_), Some(e)) => e.clone(),
        (Ok(_), None) => "not pushed yet".into(),
    };
    let detail =
        format!("{behind} records behind (anchored up to {} of {}, last pushed {last}): {why}", state.seq, state.head);
    check(name, Status::Warn, detail)
}

/// Secrets written into the config itself: fine in a file only its users can read, a warning in
/// one that anyone on the machine can (they belong in `from_env`, `file` or `command`).
pub fn inline_secrets(config: &crate::config::Config, path: &std::path::Path) -> Check {
    let name = "config secrets";
    let inline: Vec<String> = config
        .services
        .iter()
        .flat_map(|s| {
            s.env.iter().filter(|(_, v)| v.secret && v.source.is_none()).map(move |(k, _)| format!("{}.{k}", s.name))
        })
        .collect();
    if inline.is_empty() {
        return check(name, Status::Ok, "no secret is written in the config");
    }
    let open = std::fs::metadata(path).map(|m| m.mode() & 0o004 != 0).unwrap_or(false);
    if open {
        return check(
            name,
            Status::Warn,
            format!(
                "{} is readable by every user and holds secrets {}: read them from {{ from_env }}, {{ file }} or {{ command }}, or chmod o-r it",
                path.display(),
                inline.join(", ")
            ),
        );
    }
    check(name, Status::Ok, format!("{} secrets in the config, which others cannot read", inline.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EnvValue, SecretSource};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn inline_secrets_in_a_file_others_can_read_are_a_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("opsdeck.toml");
        std::fs::write(&path, "# the config").expect("write");
        let mut config = crate::config::parse_str(crate::testing::CONFIG).expect("config");
        config.services[0].env.insert("API_TOKEN".into(), EnvValue::secret("t0k3n-value"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let open = inline_secrets(&config, &path);
        assert_eq!(open.status, Status::Warn, "{open:?}");
        assert!(open.detail.contains("api.API_TOKEN") && !open.detail.contains("t0k3n-value"), "{open:?}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert_eq!(inline_secrets(&config, &path).status, Status::Ok);
        config.services[0].env.insert("API_TOKEN".into(), EnvValue::from_source(SecretSource::FromEnv("T".into())));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let sourced = inline_secrets(&config, &path);
        assert_eq!((sourced.status, sourced.detail.as_str()), (Status::Ok, "no secret is written in the config"));
    }
}
