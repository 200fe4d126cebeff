//! The OCI Distribution API client: tags and repositories (paginated), manifest digests, image
//! creation times, a repository's image history grouped by digest, and manifest deletion.
//! Every request is bounded by the client's timeout and every body by a size cap.

use crate::error::{BackendError, BackendResult};
use crate::health::{exchange, parse_json, Answer};
use crate::types::RegistryImage;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use reqwest::header::{HeaderMap, ACCEPT, LINK};
use reqwest::Url;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

const SYSTEM: &str = "registry";

/// Manifests and image configs are a few KiB; anything near this is not a real one.
const MANIFEST_CAP: usize = 4 << 20;
/// One page of a tag or repository list (also when the registry ignores `n` and sends all).
const LIST_CAP: usize = 4 << 20;
/// Tags or repositories asked for per page.
const PAGE_SIZE: usize = 100;
/// Pages followed before giving up: a registry whose `Link` never ends must not loop us forever.
pub const MAX_PAGES: usize = 50;
/// Requests in flight at once while resolving a repository's tags.
const CONCURRENCY: usize = 8;
/// Digests whose creation time is remembered (content-addressed, so it never goes stale).
const CREATED_CACHE_MAX: usize = 4096;

/// Every manifest kind opsdeck understands. Without the Docker v2 types a Docker registry would
/// convert to schema 1 and report a different digest than `docker push` printed.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A client for one registry endpoint. Cheap to share behind a reference; clones share the pool.
#[derive(Debug)]
pub struct RegistryClient {
    http: reqwest::Client,
    /// `http://host:port` or `https://host/prefix`, without the trailing slash.
    base: String,
    base_origin: reqwest::Url,
    timeout: Duration,
    created_cache: Mutex<HashMap<String, Option<DateTime<Utc>>>>,
}

impl RegistryClient {
    /// A client for the registry at `base_url` (`http://` or `https://`); every request ends
    /// within `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> BackendResult<Self> {
        let (base, parsed, http) = crate::http::client_for(SYSTEM, base_url, timeout)?;
        Ok(RegistryClient { http, base, base_origin: parsed, timeout, created_cache: Mutex::new(HashMap::new()) })
    }

    /// Every tag of `repo`, in the registry's order, following `Link` pages (at most
    /// [`MAX_PAGES`]; more is an error rather than a silently partial list, since pruning
    /// decides from it).
    pub async fn list_tags(&self, repo: &str) -> BackendResult<Vec<String>> {
        check_repo(repo)?;
        let first = self.url(&format!("/v2/{repo}/tags/list?n={PAGE_SIZE}"))?;
        self.paginate(first, "tags").await
    }

    /// Every repository in the registry (`/v2/_catalog`), following `Link` pages.
    pub async fn list_repositories(&self) -> BackendResult<Vec<String>> {
        let first = self.url(&format!("/v2/_catalog?n={PAGE_SIZE}"))?;
        self.paginate(first, "repositories").await
    }

    /// The digest `reference` (a tag or a digest) resolves to: `Docker-Content-Digest` from a
    /// HEAD, or, when a registry leaves that header out, the sha256 of the manifest as served.
    pub async fn manifest_digest(&self, repo: &str, reference: &str) -> BackendResult<String> {
        check_repo(repo)?;
        check_reference(reference)?;
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"))?;
        let head = self.send(self.http.head(url.clone()).header(ACCEPT, MANIFEST_ACCEPT), MANIFEST_CAP).await?;
        if let Some(digest) = content_digest(&head.headers)? {
            return Ok(digest);
        }
        let get = self.send(self.http.get(url).header(ACCEPT, MANIFEST_ACCEPT), MANIFEST_CAP).await?;
        if let Some(digest) = content_digest(&get.headers)? {
            return Ok(digest);
        }
        Ok(sha256_digest(&get.body))
    }

    /// When the image `digest` was built: the `created` field of its config. For an index or
    /// manifest list, the linux/amd64 image (else the first real one) speaks for it. `None`
    /// when the image does not say (artifacts, schema 1, reproducible builds without a date).
    pub async fn image_created(&self, repo: &str, digest: &str) -> BackendResult<Option<DateTime<Utc>>> {
        check_repo(repo)?;
        check_digest(digest)?;
        if let Some(known) = self.cached_created(digest) {
            return Ok(known);
        }
        let mut manifest = self.manifest_json(repo, digest).await?;
        if let Some(child) = pick_platform_manifest(&manifest)? {
            manifest = self.manifest_json(repo, &child).await?;
        }
        let created = match manifest.get("config").and_then(|c| c.get("digest")).and_then(Value::as_str) {
            None => None,
            Some(config_digest) => {
                check_digest(config_digest)?;
                let url = self.url(&format!("/v2/{repo}/blobs/{config_digest}"))?;
                let answer = self.send(self.http.get(url), MANIFEST_CAP).await?;
                let config: Value = parse_json(SYSTEM, &answer.body)?;
                config
                    .get("created")
                    .and_then(Value::as_str)
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc))
            }
        };
        self.remember_created(digest, created);
        Ok(created)
    }

    /// The repository's images: every tag resolved to its digest (8 at a time), grouped by
    /// digest, with creation times, newest first. A tag deleted while we looked is skipped; a
    /// creation time the registry cannot give is left unknown.
    pub async fn history(&self, repo: &str) -> BackendResult<Vec<RegistryImage>> {
        let tags = self.list_tags(repo).await?;
        let resolved: Vec<(String, BackendResult<String>)> = futures::stream::iter(tags)
            .map(|tag| async move {
                let digest = self.manifest_digest(repo, &tag).await;
                (tag, digest)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut pairs = Vec::with_capacity(resolved.len());
        for (tag, digest) in resolved {
            match digest {
                Ok(digest) => pairs.push((tag, digest)),
                Err(BackendError::Status { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let digests: BTreeSet<String> = pairs.iter().map(|(_, d)| d.clone()).collect();
        let created: HashMap<String, DateTime<Utc>> = futures::stream::iter(digests)
            .map(|digest| async move {
                let created = self.image_created(repo, &digest).await;
                (digest, created)
            })
            .buffer_unordered(CONCURRENCY)
            .filter_map(|(digest, created)| async move { created.ok().flatten().map(|t| (digest, t)) })
            .collect()
            .await;
        Ok(group_by_digest(pairs, &created))
    }

    /// Deletes the manifest `digest` from `repo` (every tag on it goes with it). The registry
    /// must allow deletes; one that does not answers 405, reported as [`BackendError::Status`].
    pub async fn delete_manifest(&self, repo: &str, digest: &str) -> BackendResult<()> {
        check_repo(repo)?;
        check_digest(digest)?;
        let url = self.url(&format!("/v2/{repo}/manifests/{digest}"))?;
        self.send(self.http.delete(url), MANIFEST_CAP).await?;
        if let Ok(mut cache) = self.created_cache.lock() {
            cache.remove(digest);
        }
        Ok(())
    }

    fn url(&self, path_and_query: &str) -> BackendResult<Url> {
        Url::parse(&format!("{}{path_and_query}", self.base))
            .map_err(|e| BackendError::Other { system: SYSTEM, reason: format!("bad url {path_and_query}: {e}") })
    }

    async fn send(&self, request: reqwest::RequestBuilder, cap: usize) -> BackendResult<Answer> {
        exchange(SYSTEM, self.timeout, request, cap).await
    }

    async fn manifest_json(&self, repo: &str, reference: &str) -> BackendResult<Value> {
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"))?;
        let answer = self.send(self.http.get(url).header(ACCEPT, MANIFEST_ACCEPT), MANIFEST_CAP).await?;
        parse_json(SYSTEM, &answer.body)
    }

    async fn paginate(&self, first: Url, key: &'static str) -> BackendResult<Vec<String>> {
        let mut items = Vec::new();
        let mut seen_items = HashSet::new();
        let mut visited = HashSet::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            // A registry that links back to a page already read has nothing new to say.
            if !visited.insert(url.as_str().to_string()) {
                break;
            }
            if visited.len() > MAX_PAGES {
                return Err(BackendError::Protocol {
                    system: SYSTEM,
                    reason: format!("more than {MAX_PAGES} pages of {key}; stopped reading"),
                });
            }
            let answer = self.send(self.http.get(url.clone()), LIST_CAP).await?;
            let page: Value = parse_json(SYSTEM, &answer.body)?;
            for item in string_list(&page, key)? {
                if seen_items.insert(item.clone()) {
                    items.push(item);
                }
            }
            next = next_link(&answer.headers, &url, &self.base_origin)?;
        }
        Ok(items)
    }

    fn cached_created(&self, digest: &str) -> Option<Option<DateTime<Utc>>> {
        self.created_cache.lock().ok().and_then(|cache| cache.get(digest).copied())
    }

    fn remember_created(&self, digest: &str, created: Option<DateTime<Utc>>) {
        if let Ok(mut cache) = self.created_cache.lock() {
            if cache.len() >= CREATED_CACHE_MAX {
                cache.clear();
            }
            cache.insert(digest.to_string(), created);
        }
    }
}

/// `page[key]` as a list of strings; `null` or absent (a repository with no tags left) is empty.
fn string_list(page: &Value, key: &str) -> BackendResult<Vec<String>> {
    match page.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| BackendError::Protocol {
                    system: SYSTEM,
                    reason: format!("{key} holds a non-string: {v}"),
                })
            })
            .collect(),
        Some(other) => Err(BackendError::Protocol { system: SYSTEM, reason: format!("{key} is not a list: {other}") }),
    }
}

/// The `rel="next"` target of a `Link` header, resolved against the page it came with. A link to
/// another origin is refused: the registry must not send us elsewhere.
fn next_link(headers: &HeaderMap, current: &Url, base: &Url) -> BackendResult<Option<Url>> {
    for value in headers.get_all(LINK) {
        let Ok(value) = value.to_str() else { continue };
        for link in value.split(',') {
            let mut parts = link.split(';');
            let target = parts.next().unwrap_or("").trim();
            let is_next = parts.any(|p| {
                let p = p.trim().replace(' ', "");
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if !is_next {
                continue;
            }
            let Some(target) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
                return Err(BackendError::Protocol { system: SYSTEM, reason: format!("bad Link header: {value}") });
            };
            let url = current.join(target).map_err(|e| BackendError::Protocol {
                system: SYSTEM,
                reason: format!("bad Link target {target}: {e}"),
            })?;
            if url.origin() != base.origin() {
                return Err(BackendError::Protocol {
                    system: SYSTEM,
                    reason: format!("Link points to another server: {target}"),
                });
            }
            return Ok(Some(url));
        }
    }
    Ok(None)
}

/// `Docker-Content-Digest`, when present; a malformed one is an error (it would end up in URLs).
fn content_digest(headers: &HeaderMap) -> BackendResult<Option<String>> {
    let Some(value) = headers.get("docker-content-digest") else {
        return Ok(None);
    };
    let digest = value.to_str().unwrap_or("").trim();
    if is_digest(digest) {
        Ok(Some(digest.to_string()))
    } else {
        Err(BackendError::Protocol { system: SYSTEM, reason: format!("bad Docker-Content-Digest: {value:?}") })
    }
}

fn sha256_digest(body: &[u8]) -> String {
    let hash = Sha256::digest(body);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// For an index or manifest list, the digest of the image that represents it: linux/amd64, else
/// the first entry that is not an attestation (`unknown/unknown`). `None` for a plain manifest.
fn pick_platform_manifest(manifest: &Value) -> BackendResult<Option<String>> {
    let Some(entries) = manifest.get("manifests").and_then(Value::as_array) else {
        return Ok(None);
    };
    let platform = |entry: &Value| {
        let p = entry.get("platform");
        let field = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str).unwrap_or("").to_string();
        (field("os"), field("architecture"))
    };
    let chosen = entries
        .iter()
        .find(|e| platform(e) == ("linux".into(), "amd64".into()))
        .or_else(|| entries.iter().find(|e| platform(e) != ("unknown".into(), "unknown".into())))
        .or_else(|| entries.first());
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let digest = chosen.get("digest").and_then(Value::as_str).unwrap_or("");
    check_digest(digest)?;
    Ok(Some(digest.to_string()))
}

/// Groups `(tag, digest)` pairs into images. Tags inside an image: versions newest first, then
/// git shas, then the rest (`latest`, branch names) alphabetically. Images: newest `created`
/// first; unknown or equal times after, by their highest version tag; then by digest, so the
/// order is stable.
pub fn group_by_digest(pairs: Vec<(String, String)>, created: &HashMap<String, DateTime<Utc>>) -> Vec<RegistryImage> {
    let mut by_digest: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (tag, digest) in pairs {
        by_digest.entry(digest).or_default().insert(tag);
    }
    let mut images: Vec<RegistryImage> = by_digest
        .into_iter()
        .map(|(digest, tags)| {
            let mut tags: Vec<String> = tags.into_iter().collect();
            tags.sort_by(|a, b| compare_tags(a, b));
            RegistryImage { created: created.get(&digest).copied(), digest, tags }
        })
        .collect();
    images.sort_by_cached_key(|image| {
        let best_version = image.tags.iter().filter_map(|t| Version::parse(t)).max();
        (image.created.is_none(), Reverse(image.created), Reverse(best_version), image.digest.clone())
    });
    images
}

/// What a tag says about itself; the order of the variants is the display order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TagKind {
    /// `vMAJOR.MINOR.PATCH` (newest first, so wrapped in `Reverse`).
    Version(Reverse<Version>),
    /// A git commit, 7 to 40 lowercase hex digits.
    GitSha,
    Other,
}

fn tag_kind(tag: &str) -> TagKind {
    if let Some(version) = Version::parse(tag) {
        TagKind::Version(Reverse(version))
    } else if (7..=40).contains(&tag.len()) && tag.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        TagKind::GitSha
    } else {
        TagKind::Other
    }
}

fn compare_tags(a: &str, b: &str) -> Ordering {
    tag_kind(a).cmp(&tag_kind(b)).then_with(|| a.cmp(b))
}

/// A semantic version from a tag (`v1.4.0`, `1.4.0`, `v2.0.0-rc.1`), ordered by semver rules.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
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
    fn parse(tag: &str) -> Option<Version> {
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

/// Repository names as the distribution spec allows them (`team/api`): lowercase components of
/// `[a-z0-9._-]` that start and end with a letter or digit. Checked because the name goes into
/// a URL path: `..` or `?` must not reach the registry.
fn check_repo(repo: &str) -> BackendResult<()> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
            && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    if repo.len() <= 255 && repo.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(BackendError::Other { system: SYSTEM, reason: format!("invalid repository name {repo:?}") })
    }
}

fn is_tag(reference: &str) -> bool {
    let mut bytes = reference.bytes();
    reference.len() <= 128
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `algorithm:encoded` as the OCI spec defines a digest.
fn is_digest(s: &str) -> bool {
    let Some((algorithm, encoded)) = s.split_once(':') else {
        return false;
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .split(['+', '.', '_', '-'])
            .all(|p| !p.is_empty() && p.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9')));
    let encoded_ok =
        !encoded.is_empty() && encoded.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    let sha256_ok = algorithm != "sha256"
        || (encoded.len() == 64 && encoded.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    algorithm_ok && encoded_ok && sha256_ok
}

fn check_reference(reference: &str) -> BackendResult<()> {
    if is_tag(reference) || is_digest(reference) {
        Ok(())
    } else {
        Err(BackendError::Other { system: SYSTEM, reason: format!("invalid tag or digest {reference:?}") })
    }
}

fn check_digest(digest: &str) -> BackendResult<()> {
    if is_digest(digest) {
        Ok(())
    } else {
        Err(BackendError::Protocol { system: SYSTEM, reason: format!("invalid digest {digest:?}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::mock::{serve, Reply};
    use chrono::TimeZone;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(t, d)| (t.to_string(), d.to_string())).collect()
    }

    fn client(url: &str, ms: u64) -> RegistryClient {
        RegistryClient::new(url, Duration::from_millis(ms)).expect("client")
    }

    #[test]
    fn tags_in_an_image_sort_versions_then_shas_then_others() {
        let a = digest('a');
        let images = group_by_digest(
            pairs(&[
                ("latest", &a),
                ("3f9c2e1", &a),
                ("v1.4.0", &a),
                ("v1.10.0", &a),
                ("v1.10.0-rc.1", &a),
                ("v1.9.12", &a),
                ("0123456789abcdef0123456789abcdef01234567", &a),
                ("main", &a),
                ("abc", &a),
            ]),
            &HashMap::new(),
        );
        assert_eq!(images.len(), 1);
        assert_eq!(
            images[0].tags,
            [
                "v1.10.0",
                "v1.10.0-rc.1",
                "v1.9.12",
                "v1.4.0",
                "0123456789abcdef0123456789abcdef01234567",
                "3f9c2e1",
                "abc",
                "latest",
                "main"
            ]
        );
    }

    #[test]
    fn semver_prerelease_order() {
        let order =
            ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0"];
        for w in order.windows(2) {
            let (a, b) = (Version::parse(w[0]).expect("a"), Version::parse(w[1]).expect("b"));
            assert!(a < b, "{} < {}", w[0], w[1]);
        }
        for not_a_version in ["v1.2", "v1.2.3.4", "va.b.c", "v1.2.3-", "v1..3", "latest"] {
            assert_eq!(Version::parse(not_a_version), None, "{not_a_version}");
        }
    }

    #[test]
    fn images_sort_newest_first_then_unknown_by_version() {
        let (a, b, c, d, e) = (digest('a'), digest('b'), digest('c'), digest('d'), digest('e'));
        let t = |h| Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).single().expect("time");
        let created = HashMap::from([(a.clone(), t(10)), (b.clone(), t(12)), (c.clone(), t(12))]);
        let images = group_by_digest(
            pairs(&[
                ("v1.3.2", &a),
                ("8a1b0c7", &a),
                ("v1.4.0", &b),
                ("3f9c2e1", &b),
                ("latest", &b),
                ("v1.4.1", &c),
                ("v0.9.0", &d),
                ("feature-x", &e),
                ("v1.0.0", &e),
                ("v1.1.0", &e),
            ]),
            &created,
        );
        let order: Vec<&str> = images.iter().map(|i| i.tags[0].as_str()).collect();
        // c and b tie on time: the higher version wins. d and e are unknown: by version too.
        assert_eq!(order, ["v1.4.1", "v1.4.0", "v1.3.2", "v1.1.0", "v0.9.0"]);
        assert_eq!(images[1].tags, ["v1.4.0", "3f9c2e1", "latest"]);
        assert_eq!(images[1].created, Some(t(12)));
        assert_eq!(images[3].created, None);
    }

    #[test]
    fn digests_and_names_are_checked_before_reaching_a_url() {
        assert!(is_digest(&digest('0')));
        assert!(!is_digest("sha256:abc"));
        assert!(!is_digest("sha256:../../x"));
        assert!(is_digest("sha512:abcDEF012"));
        assert!(check_repo("team/api").is_ok());
        assert!(check_repo("api").is_ok());
        for bad in ["", "../api", "api/", "Api", "api?x=1", "a//b", "api%2f"] {
            assert!(check_repo(bad).is_err(), "{bad}");
        }
        assert!(check_reference("v1.2.3").is_ok());
        assert!(check_reference("latest?n=1").is_err());
        assert!(check_reference(".hidden").is_err());
    }

    #[test]
    fn link_header_resolves_relative_and_refuses_other_origins() {
        let base = Url::parse("http://127.0.0.1:5000").expect("url");
        let current = Url::parse("http://127.0.0.1:5000/v2/api/tags/list?n=100").expect("url");
        let mut headers = HeaderMap::new();
        headers.insert(LINK, "</v2/api/tags/list?last=v1&n=100>; rel=\"next\"".parse().expect("header"));
        let next = next_link(&headers, &current, &base).expect("ok").expect("some");
        assert_eq!(next.as_str(), "http://127.0.0.1:5000/v2/api/tags/list?last=v1&n=100");
        headers.insert(LINK, "<http://evil.example/v2/x>; rel=\"next\"".parse().expect("header"));
        assert!(next_link(&headers, &current, &base).is_err());
        headers.insert(LINK, "</x>; rel=\"prev\"".parse().expect("header"));
        assert_eq!(next_link(&headers, &current, &base).expect("ok"), None);
    }

    #[test]
    fn index_picks_linux_amd64_else_first_real_image() {
        let (a, b, c) = (digest('a'), digest('b'), digest('c'));
        let index = serde_json::json!({"manifests": [
            {"digest": a, "platform": {"os": "unknown", "architecture": "unknown"}},
            {"digest": b, "platform": {"os": "linux", "architecture": "arm64"}},
            {"digest": c, "platform": {"os": "linux", "architecture": "amd64"}},
        ]});
        assert_eq!(pick_platform_manifest(&index).expect("ok"), Some(c.clone()));
        let index = serde_json::json!({"manifests": [
            {"digest": a, "platform": {"os": "unknown", "architecture": "unknown"}},
            {"digest": b, "platform": {"os": "linux", "architecture": "arm64"}},
        ]});
        assert_eq!(pick_platform_manifest(&index).expect("ok"), Some(b));
        assert_eq!(pick_platform_manifest(&serde_json::json!({"config": {}})).expect("ok"), None);
    }

    #[tokio::test]
    async fn tags_follow_link_pages() {
        let server = serve(|req| match req.target.as_str() {
            "/v2/api/tags/list?n=100" => Reply::json(200, r#"{"name":"api","tags":["v1.0.0","v1.1.0"]}"#)
                .header("Link", "</v2/api/tags/list?last=v1.1.0&n=100>; rel=\"next\""),
            "/v2/api/tags/list?last=v1.1.0&n=100" => Reply::json(200, r#"{"name":"api","tags":["latest","v1.1.0"]}"#)
                .header("Link", "</v2/api/tags/list?last=latest&n=100>; rel=\"next\""),
            "/v2/api/tags/list?last=latest&n=100" => Reply::json(200, r#"{"name":"api","tags":null}"#),
            _ => Reply::json(
                404,
                r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
            ),
        })
        .await;
        let tags = client(&server.url, 2000).list_tags("api").await.expect("tags");
        assert_eq!(tags, ["v1.0.0", "v1.1.0", "latest"]);
        assert_eq!(server.requests().len(), 3);
        let missing = client(&server.url, 2000).list_tags("nope").await;
        assert_eq!(
            missing,
            Err(BackendError::Status {
                system: "registry",
                status: 404,
                reason: "NAME_UNKNOWN: repository name not known to registry".into()
            })
        );
    }

    #[tokio::test]
    async fn endless_pagination_stops_at_the_page_cap() {
        // Every page links to a new, longer one: the registry never says it is done.
        let server = serve(|req| {
            let n = req.target.len();
            Reply::json(200, format!(r#"{{"repositories":["r{n}"]}}"#))
                .header("Link", &format!("<{}x>; rel=\"next\"", req.target))
        })
        .await;
        let result = client(&server.url, 2000).list_repositories().await;
        assert!(
            matches!(&result, Err(BackendError::Protocol { reason, .. }) if reason.contains("more than 50 pages")),
            "{result:?}"
        );
        assert_eq!(server.requests().len(), MAX_PAGES);
    }

    #[tokio::test]
    async fn hanging_registry_times_out() {
        let server = serve(|_| Reply::Hang).await;
        let started = std::time::Instant::now();
        let result = client(&server.url, 300).list_tags("api").await;
        assert_eq!(result, Err(BackendError::Timeout { system: "registry", after: Duration::from_millis(300) }));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn garbage_json_is_a_protocol_error() {
        let server = serve(|_| Reply::json(200, "{\"tags\": [1, 2")).await;
        let result = client(&server.url, 2000).list_tags("api").await;
        assert!(matches!(result, Err(BackendError::Protocol { system: "registry", .. })), "{result:?}");
        let server = serve(|_| Reply::json(200, r#"{"tags": [1, 2]}"#)).await;
        let result = client(&server.url, 2000).list_tags("api").await;
        assert!(matches!(result, Err(BackendError::Protocol { system: "registry", .. })), "{result:?}");
    }

    #[tokio::test]
    async fn oversized_manifest_is_refused() {
        let server = serve(|_| Reply::Huge { status: 200, len: 50 << 20, declare_length: false }).await;
        let started = std::time::Instant::now();
        let result = client(&server.url, 5000).image_created("api", &digest('a')).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(result, Err(BackendError::Protocol { system: "registry", reason: "answer over 4 MiB".into() }));
    }

    #[tokio::test]
    async fn digest_falls_back_to_sha256_of_the_manifest() {
        let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
        let server = serve(move |_| Reply::json(200, manifest)).await;
        let got = client(&server.url, 2000).manifest_digest("api", "v1.0.0").await.expect("digest");
        assert_eq!(got, sha256_digest(manifest.as_bytes()));
        let requests = server.requests();
        assert_eq!(requests.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), ["HEAD", "GET"]);
        let accept = requests[0].header("accept").unwrap_or("");
        assert!(accept.contains("application/vnd.docker.distribution.manifest.v2+json"), "{accept}");
        assert!(accept.contains("application/vnd.oci.image.index.v1+json"), "{accept}");
    }

    #[tokio::test]
    async fn history_groups_tags_and_reads_created_through_an_index() {
        let (index, image, config, other) = (digest('1'), digest('2'), digest('3'), digest('4'));
        let (i2, im2, c2) = (index.clone(), image.clone(), config.clone());
        let server = serve(move |req| {
            let path = req.target.as_str();
            let with_digest = |d: &str| Reply::json(200, "{}").header("Docker-Content-Digest", d);
            match (req.method.as_str(), path) {
                (_, "/v2/api/tags/list?n=100") => {
                    Reply::json(200, r#"{"tags":["latest","v1.0.0","3f9c2e1","v0.9.0","gone"]}"#)
                }
                ("HEAD", "/v2/api/manifests/latest" | "/v2/api/manifests/v1.0.0" | "/v2/api/manifests/3f9c2e1") => {
                    with_digest(&i2)
                }
                ("HEAD", "/v2/api/manifests/v0.9.0") => with_digest(&other),
                ("HEAD", "/v2/api/manifests/gone") => Reply::json(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#),
                ("GET", p) if p == format!("/v2/api/manifests/{i2}") => Reply::json(
                    200,
                    format!(
                        r#"{{"manifests":[{{"digest":"{im2}","platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#
                    ),
                ),
                ("GET", p) if p == format!("/v2/api/manifests/{im2}") => {
                    Reply::json(200, format!(r#"{{"config":{{"digest":"{c2}"}},"layers":[]}}"#))
                }
                ("GET", p) if p == format!("/v2/api/blobs/{c2}") => {
                    Reply::json(200, r#"{"created":"2024-05-01T10:00:00.123456789Z","architecture":"amd64"}"#)
                }
                // The other image's manifest is garbage: its time stays unknown, history still works.
                _ => Reply::json(200, "not json"),
            }
        })
        .await;
        let registry = client(&server.url, 2000);
        let history = registry.history("api").await.expect("history");
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].digest, index);
        assert_eq!(history[0].tags, ["v1.0.0", "3f9c2e1", "latest"]);
        let created = history[0].created.expect("created");
        assert_eq!(created.to_rfc3339(), "2024-05-01T10:00:00.123456789+00:00");
        assert_eq!(history[1].tags, ["v0.9.0"]);
        assert_eq!(history[1].created, None);
        // The creation time of a digest is asked for once, then remembered.
        let before = server.requests().len();
        assert_eq!(registry.image_created("api", &index).await.expect("cached"), Some(created));
        assert_eq!(server.requests().len(), before);
    }

    #[tokio::test]
    async fn delete_sends_delete_by_digest_and_reports_refusal() {
        let server = serve(|req| match req.method.as_str() {
            "DELETE" if req.target.ends_with(&digest('a')) => Reply::new(202, ""),
            _ => Reply::json(405, r#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}"#),
        })
        .await;
        let registry = client(&server.url, 2000);
        registry.delete_manifest("api", &digest('a')).await.expect("deleted");
        assert!(registry.delete_manifest("api", "v1.0.0").await.is_err(), "tags are not deletable references");
        let refused = registry.delete_manifest("api", &digest('b')).await;
        assert_eq!(
            refused,
            Err(BackendError::Status {
                system: "registry",
                status: 405,
                reason: "UNSUPPORTED: The operation is unsupported.".into()
            })
        );
    }

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(RegistryClient::new("127.0.0.1:5000", Duration::from_secs(1)).is_err());
        assert!(RegistryClient::new("ftp://x", Duration::from_secs(1)).is_err());
        assert!(RegistryClient::new("http://127.0.0.1:5000/", Duration::from_secs(1)).is_ok());
    }
}
