//! Which of a repository's tags a watcher asks the registry about this time. A digest is content
//! and never changes; a tag may be moved. Release tags (`v1.2.3`, a git sha) are moved rarely,
//! so each is asked again only when it has not been for [`RECHECK`], at most [`RECHECKS_PER_LOOK`]
//! per look (oldest first); a new tag at once; a moving tag (`latest`, `main`, anything else)
//! every look. So a repository of 1,000 release tags costs its tag list and a few HEADs a look,
//! not 1,000. `history` (pruning, the CLI) still asks about every tag.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a release tag's digest is trusted before it is asked again.
pub const RECHECK: Duration = Duration::from_secs(600);
/// Release tags asked again per look at most, the oldest first.
pub const RECHECKS_PER_LOOK: usize = 32;

/// One repository's tags as last resolved: tag -> (digest, when asked).
#[derive(Debug, Default, Clone)]
pub struct TagCache {
    known: HashMap<String, (String, Instant)>,
}

/// Whether `tag` names a release (a version or a commit), which is moved rarely.
pub fn is_release_tag(tag: &str) -> bool {
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let semver = version.split(['-', '+']).next().is_some_and(|core| {
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() >= 2 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    let sha = (7..=40).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_hexdigit());
    semver || sha
}

impl TagCache {
    /// Of `tags` (the repository's list now), those to resolve at `now`; the rest keep their
    /// cached digest. Tags no longer listed are forgotten.
    pub fn to_resolve(&mut self, tags: &[String], now: Instant) -> Vec<String> {
        self.known.retain(|t, _| tags.contains(t));
        let mut due: Vec<(&String, Instant)> = Vec::new();
        let mut out = Vec::new();
        for tag in tags {
            match self.known.get(tag) {
                None => out.push(tag.clone()),
                Some(_) if !is_release_tag(tag) => out.push(tag.clone()),
                Some((_, at)) if now.duration_since(*at) >= RECHECK => due.push((tag, *at)),
                Some(_) => {}
            }
        }
        due.sort_by_key(|(_, at)| *at);
        out.extend(due.into_iter().take(RECHECKS_PER_LOOK).map(|(t, _)| t.clone()));
        out
    }

    /// Records what a tag resolves to now.
    pub fn resolved(&mut self, tag: &str, digest: &str, now: Instant) {
        self.known.insert(tag.to_string(), (digest.to_string(), now));
    }

    /// Forgets a tag (it was deleted while we looked).
    pub fn forget(&mut self, tag: &str) {
        self.known.remove(tag);
    }

    /// Every listed tag with the digest it resolves to, as far as known.
    pub fn pairs(&self, tags: &[String]) -> Vec<(String, String)> {
        tags.iter().filter_map(|t| self.known.get(t).map(|(d, _)| (t.clone(), d.clone()))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn release_tags_are_versions_and_commits() {
        for t in ["v1.2.0", "1.2", "v1.4.0-rc.1", "2.0.1+build7", "abc1234", "0123456789abcdef0123456789abcdef01234567"]
        {
            assert!(is_release_tag(t), "{t}");
        }
        for t in ["latest", "main", "stable", "v1", "prod-2024", "abc12", "v1..2"] {
            assert!(!is_release_tag(t), "{t}");
        }
    }

    #[test]
    fn a_thousand_release_tags_cost_a_few_heads_a_look() {
        let mut cache = TagCache::default();
        let mut listed: Vec<String> = (0..1000).map(|i| format!("v1.{i}.0")).collect();
        listed.push("latest".into());
        let t0 = Instant::now();
        // The first look resolves everything.
        let first = cache.to_resolve(&listed, t0);
        assert_eq!(first.len(), 1001);
        for t in &first {
            cache.resolved(t, "sha256:x", t0);
        }
        // The next: only the moving tag, and a new one.
        listed.push("v2.0.0".into());
        assert_eq!(cache.to_resolve(&listed, t0 + Duration::from_secs(30)), tags(&["latest", "v2.0.0"]));
        cache.resolved("v2.0.0", "sha256:y", t0 + Duration::from_secs(30));
        // Past the recheck time: a bounded number of the oldest release tags each look.
        let later = cache.to_resolve(&listed, t0 + RECHECK + Duration::from_secs(1));
        assert_eq!(later.len(), 1 + RECHECKS_PER_LOOK, "{later:?}");
        assert!(!later.contains(&"v2.0.0".to_string()), "checked recently");
        // A tag no longer listed is forgotten, and known pairs come back for the history.
        listed.retain(|t| t != "v1.0.0");
        cache.to_resolve(&listed, t0);
        assert_eq!(cache.pairs(&tags(&["v1.0.0", "v2.0.0"])), [("v2.0.0".to_string(), "sha256:y".to_string())]);
    }
}
