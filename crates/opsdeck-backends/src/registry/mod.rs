//! The OCI Distribution API client: tags and repositories (paginated), manifest digests, image
//! creation times, a repository's image history grouped by digest, and manifest deletion.
//! Every request is bounded by the client's timeout and every body by a size cap.

mod artifacts;
mod auth;
mod manifest;
mod names;
mod pages;
mod tag_cache;
mod tags;
#[cfg(test)]
mod tests;
mod version;

pub use artifacts::Artifact;
pub use auth::{RegistryCredentials, RegistryOptions};
pub use tag_cache::TagCache;
pub use tags::group_by_digest;

use crate::error::{BackendError, BackendResult};
use crate::health::{parse_json, Answer};
use crate::types::RegistryImage;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use manifest::{content_digest, pick_platform_manifest, sha256_digest};
use names::{check_digest, check_reference, check_repo};
use reqwest::header::ACCEPT;
use reqwest::Url;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
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
    created_cache: Mutex<HashMap<String, ImageFacts>>,
    /// Per repository, the tags a watcher resolved and when ([`RegistryClient::watched_history`]).
    tag_caches: Mutex<HashMap<String, TagCache>>,
    options: RegistryOptions,
    /// The Authorization that worked last (a bearer token, or basic credentials).
    auth_header: Mutex<Option<String>>,
}

/// What [`RegistryClient::image_facts`] learns of an image, once.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ImageFacts {
    created: Option<DateTime<Utc>>,
    platforms: Vec<String>,
}

impl RegistryClient {
    /// A client for the registry at `base_url` (`http://` or `https://`); every request ends
    /// within `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> BackendResult<Self> {
        RegistryClient::with_options(base_url, timeout, RegistryOptions::default())
    }

    /// A client for a private registry: credentials, a CA of its own (see [`auth`]).
    pub fn with_options(base_url: &str, timeout: Duration, options: RegistryOptions) -> BackendResult<Self> {
        let (base, parsed, http) = crate::http::client_with_ca(SYSTEM, base_url, timeout, options.ca.as_deref())?;
        Ok(RegistryClient {
            http,
            base,
            base_origin: parsed,
            timeout,
            created_cache: Mutex::new(HashMap::new()),
            tag_caches: Mutex::new(HashMap::new()),
            options,
            auth_header: Mutex::new(None),
        })
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
        self.image_facts(repo, digest).await.map(|f| f.created)
    }

    /// What the history shows of image `digest` besides its tags: when it was built, and the
    /// platforms it offers when it is an index. Remembered (content-addressed, never stale).
    async fn image_facts(&self, repo: &str, digest: &str) -> BackendResult<ImageFacts> {
        check_repo(repo)?;
        check_digest(digest)?;
        if let Some(known) = self.cached_facts(digest) {
            return Ok(known);
        }
        let mut manifest = self.manifest_json(repo, digest).await?;
        let platforms = manifest::platforms(&manifest);
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
        let facts = ImageFacts { created, platforms };
        self.remember_facts(digest, facts.clone());
        Ok(facts)
    }

    /// The repository's images: every tag resolved to its digest (8 at a time), grouped by
    /// digest, with creation times, newest first. A tag deleted while we looked is skipped; a
    /// creation time the registry cannot give is left unknown.
    pub async fn history(&self, repo: &str) -> BackendResult<Vec<RegistryImage>> {
        let tags = self.list_tags(repo).await?;
        let mut pairs = Vec::with_capacity(tags.len());
        for (tag, digest) in self.resolve(repo, tags).await {
            match digest {
                Ok(digest) => pairs.push((tag, digest)),
                Err(BackendError::Status { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.images_of(repo, pairs).await
    }

    /// [`RegistryClient::history`] for a watcher that looks again and again: the tag list every
    /// time, but only the tags [`TagCache`] says are due resolved again (new and moving tags,
    /// and a few release tags not asked for a while); the rest keep the digest they had.
    pub async fn watched_history(&self, repo: &str) -> BackendResult<Vec<RegistryImage>> {
        let tags = self.list_tags(repo).await?;
        let now = std::time::Instant::now();
        let due = self.with_tag_cache(repo, |c| c.to_resolve(&tags, now));
        let resolved = self.resolve(repo, due).await;
        let mut failed = None;
        self.with_tag_cache(repo, |cache| {
            for (tag, digest) in &resolved {
                match digest {
                    Ok(digest) => cache.resolved(tag, digest, now),
                    Err(BackendError::Status { status: 404, .. }) => cache.forget(tag),
                    Err(e) => failed = failed.take().or(Some(e.clone())),
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        let pairs = self.with_tag_cache(repo, |c| c.pairs(&tags));
        self.images_of(repo, pairs).await
    }

    /// Each tag's digest, 8 at a time.
    async fn resolve(&self, repo: &str, tags: Vec<String>) -> Vec<(String, BackendResult<String>)> {
        futures::stream::iter(tags)
            .map(|tag| async move {
                let digest = self.manifest_digest(repo, &tag).await;
                (tag, digest)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await
    }

    /// (tag, digest) pairs as images: grouped by digest, with what each image's manifest says
    /// (fetched once per digest for the client's life).
    async fn images_of(&self, repo: &str, pairs: Vec<(String, String)>) -> BackendResult<Vec<RegistryImage>> {
        let digests: BTreeSet<String> = pairs.iter().map(|(_, d)| d.clone()).collect();
        let facts: HashMap<String, ImageFacts> = futures::stream::iter(digests)
            .map(|digest| async move {
                let facts = self.image_facts(repo, &digest).await;
                (digest, facts)
            })
            .buffer_unordered(CONCURRENCY)
            .filter_map(|(digest, facts)| async move { facts.ok().map(|f| (digest, f)) })
            .collect()
            .await;
        let created: HashMap<String, DateTime<Utc>> =
            facts.iter().filter_map(|(d, f)| f.created.map(|t| (d.clone(), t))).collect();
        let mut images = group_by_digest(pairs, &created);
        for image in &mut images {
            image.platforms = facts.get(&image.digest).map(|f| f.platforms.clone()).unwrap_or_default();
        }
        Ok(images)
    }

    fn with_tag_cache<T>(&self, repo: &str, f: impl FnOnce(&mut TagCache) -> T) -> T {
        let mut caches = self.tag_caches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(caches.entry(repo.to_string()).or_default())
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
        self.send_authed(request, cap).await
    }

    async fn manifest_json(&self, repo: &str, reference: &str) -> BackendResult<Value> {
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"))?;
        let answer = self.send(self.http.get(url).header(ACCEPT, MANIFEST_ACCEPT), MANIFEST_CAP).await?;
        parse_json(SYSTEM, &answer.body)
    }

    fn cached_facts(&self, digest: &str) -> Option<ImageFacts> {
        self.created_cache.lock().ok().and_then(|cache| cache.get(digest).cloned())
    }

    fn remember_facts(&self, digest: &str, facts: ImageFacts) {
        if let Ok(mut cache) = self.created_cache.lock() {
            if cache.len() >= CREATED_CACHE_MAX {
                cache.clear();
            }
            cache.insert(digest.to_string(), facts);
        }
    }
}

#[async_trait::async_trait]
impl crate::platform::Images for RegistryClient {
    async fn digest_of(&self, repo: &str, reference: &str) -> BackendResult<String> {
        self.manifest_digest(repo, reference).await
    }
}
