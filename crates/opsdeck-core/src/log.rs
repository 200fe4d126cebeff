//! opsdeck's own log file, `opsdeck.log` beside the state store: one line per action event,
//! recovery and notice of this process, with time, pid and user, secrets masked, so what a console
//! or a script did can be read afterwards. Writing it never fails an action: a log that cannot be
//! written is skipped. It lives in the shared folder, so it is opened as
//! [`crate::shared_files::open_append`] allows: never through a symlink, only a regular file owned
//! by a member of the store's group; a refused log is said once, and left alone.

use crate::config::Config;
use crate::secrets::Secrets;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether this process already said its log was refused (once is enough).
static REFUSAL_SAID: AtomicBool = AtomicBool::new(false);

/// Where this process logs, and what it must never write there.
#[derive(Debug, Clone)]
pub struct LogFile {
    path: PathBuf,
    secrets: std::sync::Arc<Secrets>,
    user: String,
}

impl LogFile {
    /// The log beside `config`'s state store.
    pub fn for_config(config: &Config, user: &str) -> LogFile {
        let dir = config.state_path.parent().map(PathBuf::from).unwrap_or_default();
        LogFile {
            path: dir.join("opsdeck.log"),
            secrets: std::sync::Arc::new(Secrets::from_config(config)),
            user: user.into(),
        }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Appends one line (control characters removed, secrets masked). When the file is refused
    /// (see the module), the line is dropped and, the first time in this process, why is
    /// returned for the caller to show.
    pub fn line(&self, text: &str) -> Option<String> {
        let text = self.secrets.mask_owned(crate::text::cleaned(text));
        let line = format!(
            "{} pid={} user={} {text}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            std::process::id(),
            self.user
        );
        // Shared by the opsdeck group, like the store beside it.
        let folder = self.path.parent().unwrap_or(std::path::Path::new("."));
        // SAFETY: getgid has no preconditions.
        let group = crate::shared_files::group_of(folder).unwrap_or_else(|| unsafe { libc::getgid() });
        match crate::shared_files::open_append(&self.path, group) {
            Ok(mut f) => {
                let _ = f.write_all(line.as_bytes());
                None
            }
            Err(reason) if reason.contains("refused") && !REFUSAL_SAID.swap(true, Ordering::Relaxed) => {
                Some(format!("opsdeck's log {reason}; nothing is written to it"))
            }
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_appended_cleaned_and_masked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = (*crate::testing::gen_config()).clone();
        config.state_path = dir.path().join("state.db");
        let mut log = LogFile::for_config(&config, "alice");
        log.secrets = std::sync::Arc::new(Secrets::new(["hunter22"]));
        log.line("action #1 started\x1b[2J");
        log.line("reason: token hunter22 refused");
        let text = std::fs::read_to_string(log.path()).expect("log");
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("user=alice action #1 started[2J"), "{text}");
        assert!(!text.contains("hunter22") && text.contains("••••"), "{text}");
    }
}
