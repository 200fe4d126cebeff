//! Finding runbooks: every `*.md` file in the config's runbook folders (not recursive). A file
//! that does not parse is kept as an error (file, line, what is wrong); the others work. A
//! runbook runs commands, so a folder or file anyone can write to, and a symlink out of its
//! folder, are refused (see [`crate::shared_files`]) and listed like the other errors.

use super::{parse, ParseError, Runbook};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A file or folder that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    Parse(ParseError),
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    /// Not trusted: a folder or file anyone can write to, or a symlink out of its folder.
    Refused {
        path: PathBuf,
        reason: String,
    },
    /// Two files give the same name; the first (in folder order, then file name) is kept.
    Duplicate {
        name: String,
        kept: PathBuf,
        ignored: PathBuf,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Parse(e) => write!(f, "{e}"),
            LoadError::Unreadable { path, reason } => write!(f, "{}: cannot read: {reason}", path.display()),
            LoadError::Refused { path, reason } => write!(f, "{}: {reason}", path.display()),
            LoadError::Duplicate { name, kept, ignored } => write!(
                f,
                "{}:1: runbook name `{name}` is also used by {}; this one is ignored",
                ignored.display(),
                kept.display()
            ),
        }
    }
}

/// Every runbook found, in name order, and every file that failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub runbooks: Vec<Runbook>,
    pub errors: Vec<LoadError>,
}

impl Catalog {
    pub fn get(&self, name: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.name == name)
    }

    /// The runbook for an alert: the one its `runbook` annotation names, else the first (by name)
    /// whose matchers hold.
    pub fn for_alert(
        &self,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> Option<&Runbook> {
        if let Some(named) = annotations.get("runbook").and_then(|n| self.get(n.trim())) {
            return Some(named);
        }
        self.runbooks.iter().find(|r| r.answers(labels, &BTreeMap::new()))
    }
}

/// Reads every folder (a missing folder is no error: it just has no runbooks).
pub fn load_all(folders: &[PathBuf]) -> Catalog {
    let mut catalog = Catalog::default();
    let mut by_name: BTreeMap<String, Runbook> = BTreeMap::new();
    for folder in folders {
        let entries = match std::fs::read_dir(folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                catalog.errors.push(LoadError::Unreadable { path: folder.clone(), reason: e.to_string() });
                continue;
            }
        };
        let folder_meta = std::fs::metadata(folder);
        if let Some(reason) = folder_meta.ok().and_then(|m| crate::shared_files::world_writable(folder, &m)) {
            catalog.errors.push(LoadError::Refused { path: folder.clone(), reason });
            continue;
        }
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
            .collect();
        files.sort();
        for path in files {
            if let Some(reason) = crate::shared_files::unsafe_entry(folder, &path) {
                catalog.errors.push(LoadError::Refused { path, reason });
                continue;
            }
            match load_file(&path) {
                Ok(rb) => match by_name.get(&rb.name) {
                    Some(kept) => catalog.errors.push(LoadError::Duplicate {
                        name: rb.name.clone(),
                        kept: kept.path.clone(),
                        ignored: path,
                    }),
                    None => {
                        by_name.insert(rb.name.clone(), rb);
                    }
                },
                Err(e) => catalog.errors.push(e),
            }
        }
    }
    catalog.runbooks = by_name.into_values().collect();
    catalog
}

fn load_file(path: &Path) -> Result<Runbook, LoadError> {
    let unreadable = |reason: String| LoadError::Unreadable { path: path.to_path_buf(), reason };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if meta.len() > super::MAX_FILE_BYTES as u64 {
        return Err(LoadError::Parse(ParseError {
            path: path.to_path_buf(),
            line: 1,
            message: format!("{} bytes: a runbook is at most {} bytes", meta.len(), super::MAX_FILE_BYTES),
        }));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| unreadable(format!("not UTF-8 ({e})")))?;
    parse(path, &text).map_err(LoadError::Parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_file_is_listed_and_the_rest_work() {
        let dir = tempfile::tempdir().unwrap();
        let good = "---\nname: a\nsummary: s\nalerts: [A]\n---\n## one\n";
        std::fs::write(dir.path().join("a.md"), good).unwrap();
        std::fs::write(dir.path().join("b.md"), "---\nname: b\nsummary: s\n---\n## x\n```python\nx\n```\n").unwrap();
        std::fs::write(dir.path().join("c.md"), good).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a runbook").unwrap();
        let cat = load_all(&[dir.path().to_path_buf(), dir.path().join("missing")]);
        assert_eq!(cat.runbooks.len(), 1);
        assert_eq!(cat.errors.len(), 2, "{:?}", cat.errors);
        let text: Vec<String> = cat.errors.iter().map(|e| e.to_string()).collect();
        assert!(
            text[0].ends_with("b.md:6: unknown block kind `python`: a step's block is sh, opsdeck or http"),
            "{}",
            text[0]
        );
        assert!(text[1].contains("c.md:1: runbook name `a` is also used by"), "{}", text[1]);
    }

    #[test]
    fn an_alert_finds_its_runbook_by_annotation_then_matchers() {
        let cat = load_all(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../runbooks")]);
        let labels: BTreeMap<String, String> = [("alertname", "HighErrorRate"), ("service", "api"), ("env", "prod")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        assert_eq!(cat.for_alert(&labels, &BTreeMap::new()).unwrap().name, "high-error-rate-after-deploy");
        let named: BTreeMap<String, String> = [("runbook".to_string(), "database-cpu-high".to_string())].into();
        assert_eq!(cat.for_alert(&labels, &named).unwrap().name, "database-cpu-high");
        let other: BTreeMap<String, String> = [("alertname".to_string(), "DiskFull".to_string())].into();
        assert!(cat.for_alert(&other, &BTreeMap::new()).is_none());
    }

    #[test]
    fn folders_and_files_anyone_can_write_and_links_out_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let good = "---\nname: NAME\nsummary: s\nalerts: [A]\n---\n## one\n";
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), good.replace("NAME", "a")).unwrap();
        std::fs::write(outside.path().join("evil.md"), good.replace("NAME", "evil")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("evil.md"), dir.path().join("evil.md")).unwrap();
        std::fs::write(dir.path().join("open.md"), good.replace("NAME", "open")).unwrap();
        std::fs::set_permissions(dir.path().join("open.md"), std::fs::Permissions::from_mode(0o666)).unwrap();
        let cat = load_all(&[dir.path().to_path_buf()]);
        let names: Vec<&str> = cat.runbooks.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a"]);
        let errors: Vec<String> = cat.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("evil.md: refused: a symlink out of its folder")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("open.md: refused: anyone can write to it")), "{errors:?}");

        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let cat = load_all(&[dir.path().to_path_buf()]);
        assert!(cat.runbooks.is_empty());
        assert!(cat.errors[0].to_string().contains("refused: anyone can write to it (chmod o-w"), "{:?}", cat.errors);
    }
}
