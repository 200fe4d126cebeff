//! The demo's fixed story: two services, three environments, four releases, and which release
//! each environment runs (prod one release behind staging, so there is something to promote).

/// Services deployed; each is a repository in the registry.
pub const SERVICES: [&str; 2] = ["api", "web"];
/// Environments, in promotion order.
pub const ENVS: [&str; 3] = ["dev", "staging", "prod"];
/// Releases, oldest first.
pub const VERSIONS: [&str; 4] = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"];
/// A release candidate, newer than every release and deployed nowhere: its containers answer
/// [`CANDIDATE_FAIL_RATE`] of `/` with 500 (from the image's own environment), so a canary of it
/// rolls itself back.
pub const CANDIDATE: &str = "v1.4.0-rc.1";
/// The share of `/` requests the release candidate fails (`DEMO_FAIL_RATE` in its image).
pub const CANDIDATE_FAIL_RATE: &str = "0.1";
/// The port every demo container listens on.
pub const CONTAINER_PORT: u16 = 8080;
/// Environment every demo slot gets, as `(name, value, secret)`. `API_TOKEN` is secret (marked,
/// and by its name): the containers have it; the screen, the store and the audit trail never do.
pub const SERVICE_ENV: [(&str, &str, bool); 2] = [("LOG_LEVEL", "info", false), ("API_TOKEN", "s3cr3t-Val-42", true)];

/// One release: its version tag and the git-sha-like tag that names the same image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: &'static str,
    pub sha: String,
    /// The newest release also carries `latest`.
    pub latest: bool,
    /// `DEMO_FAIL_RATE` baked into the image (`"0"` for the releases).
    pub fail_rate: &'static str,
}

impl Release {
    /// Every tag the release's image gets.
    pub fn tags(&self) -> Vec<String> {
        let mut tags = vec![self.version.to_string(), self.sha.clone()];
        if self.latest {
            tags.push("latest".into());
        }
        tags
    }
}

/// The four releases, then the release candidate; the newest release is tagged with `head_sha`
/// (the real `git rev-parse --short HEAD`) when there is one, the others with stable made-up shas.
pub fn releases(head_sha: Option<&str>) -> Vec<Release> {
    let newest = VERSIONS.len() - 1;
    let mut out: Vec<Release> = VERSIONS
        .iter()
        .enumerate()
        .map(|(i, version)| Release {
            version,
            sha: match head_sha {
                Some(sha) if i == newest => sha.to_string(),
                _ => fake_sha(version),
            },
            latest: i == newest,
            fail_rate: "0",
        })
        .collect();
    out.push(Release { version: CANDIDATE, sha: fake_sha(CANDIDATE), latest: false, fail_rate: CANDIDATE_FAIL_RATE });
    out
}

/// Seven hex digits derived from the version (FNV-1a), the same on every machine.
fn fake_sha(version: &str) -> String {
    format!("{:07x}", fnv1a(version.as_bytes()) & 0x0fff_ffff)
}

/// FNV-1a, 64 bits: a stable fingerprint (std's hasher may change between Rust releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Whether `s` looks like a short git sha the design accepts as a tag (7-40 hex).
pub fn is_sha_tag(s: &str) -> bool {
    (7..=40).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

/// What an environment runs: (live release index, idle release index) into [`VERSIONS`].
pub fn env_releases(env: &str) -> (usize, usize) {
    match env {
        "prod" => (2, 1),
        _ => (3, 2),
    }
}

/// The hosts of an environment: one per environment, and `prod_hosts` for prod (`prod-1` on the
/// local engine, `prod-2`... each on an engine of its own).
pub fn hosts(env: &str, prod_hosts: usize) -> Vec<String> {
    let n = if env == "prod" { prod_hosts.max(1) } else { 1 };
    (1..=n).map(|i| format!("{env}-{i}")).collect()
}

/// The most hosts `--prod-hosts` takes: each beyond the first is a `dockerd` of its own.
pub const MAX_PROD_HOSTS: usize = 3;

/// Which slot is live in an environment (varied, so both colours show up on screen).
pub fn live_slot(env: &str) -> &'static str {
    if env == "staging" {
        "green"
    } else {
        "blue"
    }
}

pub use opsdeck_core::world::views::other_slot;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_carry_version_sha_and_latest() {
        let rs = releases(Some("abc1234"));
        assert_eq!(rs.len(), 5);
        assert_eq!(rs[3].tags(), ["v1.3.0", "abc1234", "latest"]);
        assert_eq!(rs[0].tags().len(), 2);
        assert!(rs.iter().all(|r| is_sha_tag(&r.sha)), "{rs:?}");
        assert_eq!(releases(None)[0], rs[0], "older fakes do not depend on HEAD");
        let shas: std::collections::BTreeSet<_> = releases(None).into_iter().map(|r| r.sha).collect();
        assert_eq!(shas.len(), 5);
        // The candidate: newest, not `latest`, failing a tenth of its answers.
        assert_eq!((rs[4].version, rs[4].latest, rs[4].fail_rate), ("v1.4.0-rc.1", false, "0.1"));
        assert!(rs[..4].iter().all(|r| r.fail_rate == "0"));
    }

    #[test]
    fn prod_is_one_release_behind_staging() {
        assert_eq!(VERSIONS[env_releases("staging").0], "v1.3.0");
        assert_eq!(VERSIONS[env_releases("prod").0], "v1.2.0");
        assert_eq!(VERSIONS[env_releases("prod").1], "v1.1.0");
        assert_eq!(other_slot(live_slot("prod")), "green");
    }

    #[test]
    fn prod_alone_spreads_over_hosts() {
        assert_eq!(hosts("prod", 2), ["prod-1", "prod-2"]);
        assert_eq!(hosts("dev", 2), ["dev-1"]);
        assert_eq!(hosts("prod", 0), ["prod-1"]);
    }

    #[test]
    fn sha_tags() {
        assert!(is_sha_tag("0a1b2c3"));
        assert!(!is_sha_tag("v1.0.0"));
        assert!(!is_sha_tag("abc12"));
    }
}
