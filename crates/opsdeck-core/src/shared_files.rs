//! Files in folders other people can write to: the state store's folder (shared by the opsdeck
//! group) and the runbook folders. Anyone who can write there could plant a symlink to a file of
//! the victim's, a FIFO that blocks whoever opens it, or a runbook that runs their commands, so
//! what opsdeck opens there is checked first: no symlinks, regular files only, owned by someone
//! allowed to put them there, not writable by the world.

use std::fs::{File, Metadata};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Opens `path` to append to it (creating it `0660`), refusing a symlink (`O_NOFOLLOW`), a FIFO
/// or device (`O_NONBLOCK`, then the type is checked on the open file), and a file whose owner
/// is neither root, this user, nor a member of `group` (the store folder's group).
pub fn open_append(path: &Path, group: u32) -> Result<File, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o660)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => format!("{}: refused: it is a symlink (remove it)", path.display()),
            _ => format!("{}: {e}", path.display()),
        })?;
    let meta = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.file_type().is_file() {
        return Err(format!("{}: refused: not a regular file (remove it)", path.display()));
    }
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    if meta.uid() != 0 && meta.uid() != me && !in_group(meta.uid(), group) {
        return Err(format!(
            "{}: refused: owned by uid {}, who is not in the store's group (remove it)",
            path.display(),
            meta.uid()
        ));
    }
    Ok(file)
}

/// The group that owns `folder` (the store's group, for the store's folder).
pub fn group_of(folder: &Path) -> Option<u32> {
    std::fs::metadata(folder).ok().map(|m| m.gid())
}

/// Why `meta` (of `path`) may not be trusted as a runbook folder or file: writable by others.
pub fn world_writable(path: &Path, meta: &Metadata) -> Option<String> {
    (meta.permissions().mode() & 0o002 != 0)
        .then(|| format!("refused: anyone can write to it (chmod o-w {})", path.display()))
}

/// Why `path`, found in `folder`, may not be read as one of its files: a symlink whose target is
/// outside the folder, or a file anyone can write to.
pub fn unsafe_entry(folder: &Path, path: &Path) -> Option<String> {
    let link = std::fs::symlink_metadata(path).ok()?;
    if link.file_type().is_symlink() {
        let target = std::fs::canonicalize(path).ok()?;
        let home = std::fs::canonicalize(folder).ok()?;
        if !target.starts_with(&home) {
            return Some(format!("refused: a symlink out of its folder, to {}", target.display()));
        }
    }
    let meta = std::fs::metadata(path).ok()?;
    world_writable(path, &meta)
}

/// Whether the account with `uid` is in group `gid`, as its primary group or a listed member.
fn in_group(uid: u32, gid: u32) -> bool {
    // SAFETY: getpwuid and getgrgid return pointers into static storage or null; everything
    // needed is read before the next passwd or group call, in this function, on this thread.
    unsafe {
        let pw = libc::getpwuid(uid);
        if pw.is_null() {
            return false;
        }
        if (*pw).pw_gid == gid {
            return true;
        }
        let name = std::ffi::CStr::from_ptr((*pw).pw_name).to_owned();
        let gr = libc::getgrgid(gid);
        if gr.is_null() || (*gr).gr_mem.is_null() {
            return false;
        }
        let mut member = (*gr).gr_mem;
        while !(*member).is_null() {
            if std::ffi::CStr::from_ptr(*member) == name.as_c_str() {
                return true;
            }
            member = member.add(1);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_or_a_fifo_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gid = group_of(dir.path()).expect("group");
        let target = dir.path().join("victim");
        std::fs::write(&target, "precious\n").expect("write");
        let link = dir.path().join("opsdeck.log");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = open_append(&link, gid).expect_err("symlink");
        assert!(err.contains("refused: it is a symlink"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious\n");

        let fifo = dir.path().join("fifo.log");
        let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("cstring");
        // SAFETY: a valid path; mkfifo only creates the node.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = open_append(&fifo, gid).expect_err("fifo");
        assert!(err.contains("not a regular file") || err.contains("No such device"), "{err}");

        let plain = dir.path().join("plain.log");
        assert!(open_append(&plain, gid).is_ok());
        assert!(std::fs::metadata(&plain).expect("meta").is_file());
    }

    #[test]
    fn runbook_entries_that_leave_the_folder_or_anyone_may_write_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("x.md"), "x").expect("write");
        std::fs::write(dir.path().join("in.md"), "x").expect("write");
        std::os::unix::fs::symlink(outside.path().join("x.md"), dir.path().join("out.md")).expect("symlink");
        std::os::unix::fs::symlink(dir.path().join("in.md"), dir.path().join("alias.md")).expect("symlink");
        assert_eq!(unsafe_entry(dir.path(), &dir.path().join("in.md")), None);
        assert_eq!(unsafe_entry(dir.path(), &dir.path().join("alias.md")), None, "a link inside is fine");
        let why = unsafe_entry(dir.path(), &dir.path().join("out.md")).expect("refused");
        assert!(why.contains("a symlink out of its folder"), "{why}");
        let open = dir.path().join("open.md");
        std::fs::write(&open, "x").expect("write");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        assert!(unsafe_entry(dir.path(), &open).is_some_and(|w| w.contains("anyone can write")));
    }
}
