//! The state store's permissions. The store holds the locks, the journal and the audit trail of
//! every opsdeck user of a bastion: they share it through a group (the opsdeck group), and nobody
//! else may read or change it. So its folder has no permission bits for others (2770: setgid,
//! so files made in it stay in the group) and the file and its `-wal` and `-shm` companions are
//! neither readable nor writable by others (660). Looser permissions are refused, with the
//! command that fixes them; what opsdeck creates itself it creates that way.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode opsdeck gives a state folder it creates: the group's, setgid, nothing for others.
pub const DIR_MODE: u32 = 0o2770;
/// The mode opsdeck gives a store file it creates (SQLite gives `-wal` and `-shm` the same).
pub const FILE_MODE: u32 = 0o660;
/// The store file and the companions SQLite keeps beside it in WAL mode.
const SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// Permissions looser than the store allows, and the command that fixes them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "state store {}: {}; only its owner and group may use it: {fix}",
    path.display(),
    problems.join("; ")
)]
pub struct LoosePermissions {
    /// The store file.
    pub path: PathBuf,
    /// One phrase per folder or file that is too open, with its mode.
    pub problems: Vec<String>,
    /// What to run (or do) about it.
    pub fix: String,
}

/// The folder the store file lives in.
fn folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` with `suffix` appended to its file name (`state.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// The permission bits of `path`, or None when it is not there (or cannot be looked at: then
/// opening the store says why).
fn mode(path: &Path) -> Option<u32> {
    fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777)
}

/// What others may do, in words.
fn others(mode: u32, what: &str) -> String {
    let can: Vec<&str> = [(0o004, "read"), (0o002, "write"), (0o001, "enter")]
        .into_iter()
        .filter(|(bit, _)| mode & bit != 0)
        .map(|(_, word)| word)
        .collect();
    format!("{what} (mode {mode:04o}): others can {}", can.join(" and "))
}

/// Checks the store's folder and, of the store file and its `-wal` and `-shm`, those that exist.
/// Nothing there yet is fine: [`prepare`] creates it right.
pub fn check(path: &Path) -> Result<(), LoosePermissions> {
    let dir = folder(path);
    let mut problems = Vec::new();
    let dir_mode = mode(&dir);
    let loose_dir = dir_mode.filter(|m| m & 0o007 != 0);
    if let Some(m) = loose_dir {
        problems.push(others(m, &format!("folder {}", dir.display())));
    }
    let mut loose_files = false;
    for suffix in SUFFIXES {
        let file = with_suffix(path, suffix);
        if let Some(m) = mode(&file).filter(|m| m & 0o006 != 0) {
            problems.push(others(m, &file.display().to_string()));
            loose_files = true;
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let fix = if loose_dir.is_some_and(|m| m & 0o1000 != 0) {
        // A sticky, world-writable folder (/tmp) is everyone's: it cannot be closed, only left.
        format!(
            "give the store a folder of its own: state_path = \"{}\" (opsdeck creates it with mode {DIR_MODE:o})",
            dir.join("opsdeck").join(path.file_name().unwrap_or_default()).display()
        )
    } else {
        let mut commands = Vec::new();
        if loose_dir.is_some() {
            commands.push(format!("chmod {DIR_MODE:o} {}", sh_quote(&dir.display().to_string())));
        }
        if loose_files {
            commands.push(format!("chmod {FILE_MODE:o} {}*", sh_quote(&path.display().to_string())));
        }
        format!("run `{}`", commands.join(" && "))
    };
    Err(LoosePermissions { path: path.to_path_buf(), problems, fix })
}

/// Creates what is missing of the store's folder (mode [`DIR_MODE`]) and file (mode
/// [`FILE_MODE`]), whatever the umask. What exists is left as it is. Errors: the folder cannot be
/// created. A file that cannot be created here is left for SQLite to report.
pub fn prepare(path: &Path) -> io::Result<()> {
    prepare_folder(&folder(path))?;
    if let Ok(file) = fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path) {
        // An empty file is an empty database to SQLite, which gives `-wal` and `-shm` its mode.
        let _ = file.set_permissions(fs::Permissions::from_mode(FILE_MODE));
    }
    Ok(())
}

/// Creates the store's folder `dir` when it is missing (mode [`DIR_MODE`], whatever the umask),
/// without the store: the log beside it may be written before the first store is opened.
pub fn prepare_folder(dir: &Path) -> io::Result<()> {
    if !dir.is_dir() {
        fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
        // The umask took group bits, and mkdir ignores setgid: set the mode itself. Should this
        // fail (another process made the folder first), `check` judges what is there.
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE));
    }
    Ok(())
}

/// A temporary folder that passes [`check`] (tempfile's follow the umask: 0755 is common).
#[cfg(any(test, feature = "testing"))]
pub fn private_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().permissions(fs::Permissions::from_mode(0o700)).tempdir().expect("tempdir")
}

/// `s` as one word for a POSIX shell.
fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@%=,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn a_fresh_store_is_created_group_shared_and_passes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/state/state.db");
        prepare(&path).expect("prepare");
        assert_eq!(mode(&dir.path().join("a/state")), Some(DIR_MODE));
        assert_eq!(mode(&path), Some(FILE_MODE));
        check(&path).expect("fresh store passes");
        // SQLite's companions take the store's mode.
        drop(super::super::Store::open(&path).expect("open"));
        let conn = rusqlite::Connection::open(&path).expect("raw");
        conn.execute_batch("CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1);").expect("write");
        assert_eq!(mode(&with_suffix(&path, "-wal")), Some(FILE_MODE));
        assert_eq!(mode(&with_suffix(&path, "-shm")), Some(FILE_MODE));
        check(&path).expect("still passes");
    }

    #[test]
    fn a_private_folder_passes_and_existing_modes_are_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        set(dir.path(), 0o700);
        let path = dir.path().join("state.db");
        fs::write(&path, b"").expect("file");
        set(&path, 0o600);
        prepare(&path).expect("prepare");
        assert_eq!(mode(dir.path()), Some(0o700));
        assert_eq!(mode(&path), Some(0o600));
        check(&path).expect("owner-only passes");
        check(&dir.path().join("missing/state.db")).expect("nothing there yet passes");
    }

    #[test]
    fn a_folder_open_to_others_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.db");
        set(dir.path(), 0o755);
        let e = check(&path).expect_err("0755 folder");
        let line = e.to_string();
        assert_eq!(e.problems.len(), 1, "{line}");
        assert!(line.contains(&format!("folder {} (mode 0755): others can read and enter", dir.path().display())));
        assert!(line.ends_with(&format!("run `chmod 2770 {}`", dir.path().display())), "{line}");
        set(dir.path(), 0o2771);
        assert!(check(&path).expect_err("o+x").to_string().contains("others can enter"));
    }

    #[test]
    fn files_open_to_others_are_refused_each_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        set(dir.path(), 0o2770);
        let path = dir.path().join("state.db");
        for (suffix, m) in [("", 0o640), ("-wal", 0o644), ("-shm", 0o666)] {
            fs::write(with_suffix(&path, suffix), b"").expect("file");
            set(&with_suffix(&path, suffix), m);
        }
        let e = check(&path).expect_err("loose files");
        let line = e.to_string();
        assert_eq!(e.problems.len(), 2, "{line}");
        assert!(line.contains("state.db-wal (mode 0644): others can read;"), "{line}");
        assert!(line.contains("state.db-shm (mode 0666): others can read and write"), "{line}");
        assert!(line.ends_with(&format!("run `chmod 660 {}*`", path.display())), "{line}");
        // Both at once: one command.
        set(dir.path(), 0o777);
        let line = check(&path).expect_err("both").to_string();
        let want = format!("run `chmod 2770 {} && chmod 660 {}*`", dir.path().display(), path.display());
        assert!(line.ends_with(&want), "{line}");
        // The fix fixes it.
        set(dir.path(), 0o2770);
        for suffix in SUFFIXES {
            set(&with_suffix(&path, suffix), 0o660);
        }
        check(&path).expect("fixed");
    }

    #[test]
    fn a_shared_sticky_folder_is_left_not_closed() {
        let dir = tempfile::tempdir().expect("tempdir");
        set(dir.path(), 0o1777);
        let line = check(&dir.path().join("state.db")).expect_err("tmp-like").to_string();
        assert!(line.contains("give the store a folder of its own"), "{line}");
        assert!(line.contains(&dir.path().join("opsdeck/state.db").display().to_string()), "{line}");
    }

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(sh_quote("/var/lib/opsdeck"), "/var/lib/opsdeck");
        assert_eq!(sh_quote("/srv/my dir/it's"), r"'/srv/my dir/it'\''s'");
    }
}
