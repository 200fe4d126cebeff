//! Sharing the demo with its approvers (`opsdeck demo up --approvers A,B`). An approval runs the
//! action in the approver's own process, as that OS user, so each approver needs what an action
//! touches: the state store, the Docker socket and HAProxy's runtime API.
//!
//! What `up` does: it picks a group every approver is in (see [`shared_group`]), makes the demo
//! directory that group's (setgid, mode 2770, so files made there later stay in the group),
//! creates the state store with mode 660 (SQLite gives its `-wal` and `-shm` files the store's
//! mode), and asks HAProxy for its runtime API socket with `mode 660 gid <group>`. The Docker
//! socket it leaves as it is: the approvers must be in its group (`docker`), and `up` says so
//! when one is not. A user who is to request changes must be in the chosen group too.

use color_eyre::eyre::{Result, WrapErr};
use std::ffi::{CStr, CString};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// The group the demo is shared through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedGroup {
    pub gid: u32,
    pub name: String,
}

/// One OS user's ids.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Account {
    name: String,
    primary: u32,
    groups: Vec<u32>,
}

/// The group to share the demo through: one that every approver is in. Preferred: one that is no
/// approver's own (primary) group and not the Docker socket's (a group for the purpose, such as
/// `opsdeck`); else the Docker socket's group, which they need anyway; else any shared group but
/// root's. `Err` says why there is none (an unknown user, no common group).
pub fn shared_group(approvers: &[String]) -> Result<SharedGroup, String> {
    let accounts = approvers.iter().map(|a| account(a)).collect::<Result<Vec<_>, _>>()?;
    let docker = docker_socket_gid();
    let gid = choose(&accounts, docker).ok_or_else(|| {
        format!(
            "the approvers {} share no group; create one: groupadd opsdeck && usermod -aG opsdeck <each approver>",
            approvers.join(", ")
        )
    })?;
    Ok(SharedGroup { gid, name: group_name(gid).unwrap_or_else(|| gid.to_string()) })
}

/// The approvers who are not in the Docker socket's group: their approvals could not run.
pub fn missing_docker(approvers: &[String]) -> Vec<String> {
    let Some(docker) = docker_socket_gid() else { return Vec::new() };
    approvers
        .iter()
        .filter(|a| account(a).is_ok_and(|acc| acc.primary != docker && !acc.groups.contains(&docker)))
        .cloned()
        .collect()
}

/// See [`shared_group`]; pure, for the tests.
fn choose(accounts: &[Account], docker: Option<u32>) -> Option<u32> {
    let first = accounts.first()?;
    let mut common: Vec<u32> = first.groups.iter().copied().filter(|g| *g != 0).collect();
    common.retain(|g| accounts.iter().all(|a| a.primary == *g || a.groups.contains(g)));
    let purpose_made = common.iter().copied().find(|g| Some(*g) != docker && accounts.iter().all(|a| a.primary != *g));
    purpose_made.or_else(|| docker.filter(|d| common.contains(d))).or_else(|| common.first().copied())
}

/// Makes `dir` the group's, setgid and group-writable (2770).
pub fn share_dir(dir: &Path, group: &SharedGroup) -> Result<()> {
    chgrp(dir, group.gid)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o2770))
        .wrap_err_with(|| format!("cannot make {} group-writable", dir.display()))
}

/// Creates the state store at `path` (with its schema) and gives it and its companions to the group.
pub fn share_store(path: &Path, group: &SharedGroup) -> Result<()> {
    drop(opsdeck_core::store::Store::open(path).wrap_err("cannot create the demo's state store")?);
    let companions = ["", "-wal", "-shm"].map(|suffix| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    });
    for file in companions.iter().filter(|p| p.exists()) {
        chgrp(file, group.gid)?;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o660))
            .wrap_err_with(|| format!("cannot make {} group-writable", file.display()))?;
    }
    Ok(())
}

fn chgrp(path: &Path, gid: u32) -> Result<()> {
    std::os::unix::fs::chown(path, None, Some(gid))
        .wrap_err_with(|| format!("cannot give {} to group {gid} (run demo up as root or as a member)", path.display()))
}

/// The group of the Docker socket, the one that lets a user run containers.
fn docker_socket_gid() -> Option<u32> {
    std::fs::metadata(crate::stack::DOCKER_SOCKET).ok().map(|m| m.gid())
}

/// Looks `name` up in the user database, with every group it is in.
fn account(name: &str) -> Result<Account, String> {
    let unknown = || format!("no user {name:?} on this machine");
    let c_name = CString::new(name).map_err(|_| unknown())?;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: zeroed passwd is a valid out-parameter (plain pointers and integers).
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; `buf` outlives every use of `pwd`'s strings,
    // and we copy out the one integer we need before it goes.
    let rc = unsafe { libc::getpwnam_r(c_name.as_ptr(), &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() {
        return Err(unknown());
    }
    let primary = pwd.pw_gid;
    let mut groups: Vec<libc::gid_t> = vec![0; 64];
    loop {
        let mut n = libc::c_int::try_from(groups.len()).map_err(|_| unknown())?;
        // SAFETY: `groups` has room for `n` entries; glibc writes at most that many and sets `n`.
        let rc = unsafe { libc::getgrouplist(c_name.as_ptr(), primary, groups.as_mut_ptr(), &mut n) };
        let n = usize::try_from(n).unwrap_or(0);
        if rc >= 0 {
            groups.truncate(n);
            break;
        }
        // Too small: glibc said how many there are.
        if n <= groups.len() || n > 65_536 {
            return Err(format!("cannot list the groups of {name}"));
        }
        groups.resize(n, 0);
    }
    Ok(Account { name: name.into(), primary, groups })
}

fn group_name(gid: u32) -> Option<String> {
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: zeroed group is a valid out-parameter.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; the name is copied out while `buf` lives.
    let rc = unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || grp.gr_name.is_null() {
        return None;
    }
    // SAFETY: gr_name points into `buf`, NUL-terminated by getgrgid_r.
    Some(unsafe { CStr::from_ptr(grp.gr_name) }.to_string_lossy().into_owned())
}

/// What `up` does with `--approvers`: shares the directory when it can, and says what it did or
/// why it could not. Never fatal: the demo still comes up, usable by whoever started it.
pub fn share(dir: &Path, approvers: &[String]) -> Option<SharedGroup> {
    if approvers.is_empty() {
        return None;
    }
    let shared = shared_group(approvers).and_then(|g| share_dir(dir, &g).map(|()| g).map_err(|e| format!("{e:#}")));
    let group = match shared {
        Ok(g) => g,
        Err(why) => {
            say!("warning: not sharing the demo with its approvers: {why}");
            return None;
        }
    };
    let missing = missing_docker(approvers);
    if !missing.is_empty() {
        say!(
            "warning: {} not in the Docker socket's group: their approvals cannot run (usermod -aG docker <user>)",
            missing.join(", ")
        );
    }
    say!("shared with group {} ({}): state store, HAProxy runtime API", group.name, group.gid);
    Some(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(name: &str, primary: u32, groups: &[u32]) -> Account {
        Account { name: name.into(), primary, groups: groups.to_vec() }
    }

    #[test]
    fn a_purpose_made_group_wins_over_docker_and_private_groups() {
        let alice = acc("alice", 1001, &[1001, 108, 2000]);
        let bob = acc("bob", 1002, &[1002, 108, 2000]);
        assert_eq!(choose(&[alice.clone(), bob.clone()], Some(108)), Some(2000));
        let alice = acc("alice", 1001, &[1001, 108]);
        assert_eq!(choose(&[alice.clone(), bob], Some(108)), Some(108), "docker, which they need anyway");
        let carol = acc("carol", 1003, &[1003]);
        assert_eq!(choose(&[alice.clone(), carol], Some(108)), None);
        // One approver: their own group would shut every requester out; docker does not.
        assert_eq!(choose(&[alice], Some(108)), Some(108));
        assert_eq!(choose(&[acc("root", 0, &[0])], None), None, "never root's group");
    }

    #[test]
    fn root_is_an_account_and_strangers_are_not() {
        let root = account("root").expect("root");
        assert_eq!(root.primary, 0);
        assert_eq!(root.name, "root");
        assert!(root.groups.contains(&0));
        let e = account("no-such-user-opsdeck").expect_err("unknown");
        assert!(e.contains("no user"), "{e}");
        assert_eq!(group_name(0).as_deref(), Some("root"));
        assert!(shared_group(&["no-such-user-opsdeck".into()]).is_err());
    }

    #[test]
    fn a_shared_store_is_group_writable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let group = SharedGroup { gid: std::fs::metadata(dir.path()).expect("meta").gid(), name: "g".into() };
        share_dir(dir.path(), &group).expect("dir");
        let path = dir.path().join("state.db");
        share_store(&path, &group).expect("store");
        assert!(path.exists(), "created");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o660);
        let dir_mode = std::fs::metadata(dir.path()).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(dir_mode, 0o2770);
        opsdeck_core::store::Store::open(&path).expect("still opens");
    }
}
