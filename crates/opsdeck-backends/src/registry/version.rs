//! Semantic versions read from tags (`v1.4.0`, `2.0.0-rc.1`), ordered by semver's rules.

use std::cmp::Ordering;

/// A semantic version from a tag (`v1.4.0`, `1.4.0`, `v2.0.0-rc.1`), ordered by semver rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Version {
    core: (u64, u64, u64),
    pre: Vec<PreId>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreId {
    // Numeric identifiers sort before alphanumeric ones (semver 11.4.3).
    Num(u64),
    Alnum(String),
}

impl Version {
    pub(super) fn parse(tag: &str) -> Option<Version> {
        let text = tag.strip_prefix('v').unwrap_or(tag);
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (text, None),
        };
        let number = |s: &str| -> Option<u64> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        let mut parts = core.split('.');
        let major = number(parts.next()?)?;
        let minor = number(parts.next()?)?;
        let patch = number(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(pre) => pre
                .split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        None
                    } else {
                        Some(number(id).map(PreId::Num).unwrap_or_else(|| PreId::Alnum(id.to_string())))
                    }
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some(Version { core: (major, minor, patch), pre })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core.cmp(&other.core).then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            // A release is newer than any of its pre-releases.
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
