//! Who is at the keyboard: the user the kernel says runs this process (its real uid), or, only
//! when that user is root, the user who ran `sudo` (`SUDO_USER`, when it names a real account).
//! Nothing else in the environment is trusted: anyone can set `SUDO_USER`, `USER` or `LOGNAME`,
//! but only root can set the real uid, and root is trusted anyway. The title bar, locks, requests
//! and audit records all take their name from here.

use std::ffi::{CStr, CString};

/// The identity of this process, as above. A uid with no account is `uid-<n>`.
pub fn current_user() -> String {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    resolve(uid, std::env::var("SUDO_USER").ok(), name_of_uid, account_exists)
}

/// The rule itself, with the account lookups passed in (tests give their own).
fn resolve(
    uid: u32,
    sudo_user: Option<String>,
    name_of_uid: impl Fn(u32) -> Option<String>,
    account_exists: impl Fn(&str) -> bool,
) -> String {
    if uid == 0 {
        if let Some(user) = sudo_user.filter(|u| !u.is_empty() && account_exists(u)) {
            return crate::text::cleaned(&user);
        }
    }
    name_of_uid(uid).map(|n| crate::text::cleaned(&n)).unwrap_or_else(|| format!("uid-{uid}"))
}

/// The account name of `uid`, if it has one.
pub fn name_of_uid(uid: u32) -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; the name is copied at once,
    // before any other passwd call can reuse the storage.
    unsafe {
        let pw = libc::getpwuid(uid);
        if pw.is_null() || (*pw).pw_name.is_null() {
            None
        } else {
            Some(CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned())
        }
    }
}

fn account_exists(name: &str) -> bool {
    let Ok(name) = CString::new(name) else { return false };
    // SAFETY: `name` is a valid NUL-terminated string for the duration of the call; only the
    // pointer's nullness is read.
    unsafe { !libc::getpwnam(name.as_ptr()).is_null() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(uid: u32) -> Option<String> {
        match uid {
            0 => Some("root".into()),
            1001 => Some("opsa".into()),
            _ => None,
        }
    }

    fn exists(name: &str) -> bool {
        ["root", "opsa", "opsb"].contains(&name)
    }

    #[test]
    fn sudo_user_counts_only_for_root() {
        assert_eq!(resolve(0, Some("opsb".into()), names, exists), "opsb");
        assert_eq!(resolve(1001, Some("opsb".into()), names, exists), "opsa", "a user cannot borrow a name");
        assert_eq!(resolve(1001, None, names, exists), "opsa");
        assert_eq!(resolve(0, None, names, exists), "root");
    }

    #[test]
    fn sudo_user_must_name_an_account_and_a_uid_without_one_is_its_number() {
        assert_eq!(resolve(0, Some("nobody-here".into()), names, exists), "root");
        assert_eq!(resolve(0, Some(String::new()), names, exists), "root");
        assert_eq!(resolve(4242, None, names, exists), "uid-4242");
    }

    #[test]
    fn this_process_is_named_by_its_real_uid() {
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        if uid != 0 {
            assert_eq!(Some(current_user()), name_of_uid(uid).map(|n| crate::text::cleaned(&n)));
        }
        assert!(account_exists("root") && !account_exists("no such user\0"));
    }
}
