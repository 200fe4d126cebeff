//! The demo's images: the demo-service binary packed with its Dockerfile, built once per
//! service and release under a stable local name (`opsdeck-demo/api:v1.3.0`, kept between runs
//! as a cache), then tagged into the demo registry and pushed there.

use super::plan::{fnv1a, Release, SERVICES};
use color_eyre::eyre::{Result, WrapErr};
use futures::{stream, StreamExt, TryStreamExt};
use opsdeck_backends::docker::lifecycle::{self, BuildSpec, ContextFile};
use std::collections::BTreeMap;
use std::time::Duration;

/// The Dockerfile every release is built from (shipped with the demo service).
const DOCKERFILE: &str = include_str!("../../crates/demo-service/Dockerfile");
/// Local repository prefix of the cached builds.
const LOCAL_PREFIX: &str = "opsdeck-demo";
/// Image label holding what a cached build was made from; a mismatch means rebuild.
const CACHE_LABEL: &str = "opsdeck.demo.build";
const BUILD_LIMIT: Duration = Duration::from_secs(180);
const PUSH_LIMIT: Duration = Duration::from_secs(120);
const QUICK_LIMIT: Duration = Duration::from_secs(20);
/// Builds and pushes in flight at once: enough to overlap, few enough not to swamp the engine.
const PARALLEL: usize = 4;

/// One release of one service, in the demo registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    pub service: String,
    pub version: String,
    /// `127.0.0.1:PORT/<service>:<version>`.
    pub reference: String,
    /// The manifest digest in the registry.
    pub digest: String,
    /// Every registry reference tagged locally for the push (`down` untags them).
    pub pushed_refs: Vec<String>,
}

/// Builds what the cache lacks, then pushes every service x release to `registry_host`
/// (`127.0.0.1:PORT`).
pub async fn build_and_push(
    docker: &opsdeck_backends::docker::Client,
    binary: &[u8],
    releases: &[Release],
    registry_host: &str,
) -> Result<Vec<PushedImage>> {
    // What a build is made of: the binary and the Dockerfile (a changed one rebuilds).
    let binary_print = format!("{:016x}{:016x}", fnv1a(binary), fnv1a(DOCKERFILE.as_bytes()));
    // Built one at a time, oldest release first: the registry orders history by each image's
    // `created` time, and parallel builds would finish (and so be dated) in any order.
    // Each release's cache key includes the image id of the release before it, so rebuilding one
    // rebuilds every newer one too and the dates stay in release order.
    let mut built = Vec::new();
    for service in SERVICES {
        let mut previous = String::new();
        for release in releases {
            let key = format!("{binary_print}/{}/{}/{previous}", release.sha, release.fail_rate);
            let (local, id) = ensure_built(docker, binary, &key, service, release).await?;
            previous = id;
            built.push((local, service, release));
        }
    }
    stream::iter(built)
        .map(|(local, service, release)| async move { push(docker, &local, service, release, registry_host).await })
        .buffered(PARALLEL)
        .try_collect()
        .await
}

/// `opsdeck-demo/<service>:<version>`, built unless an image made from this binary and sha
/// is already there.
async fn ensure_built(
    docker: &opsdeck_backends::docker::Client,
    binary: &[u8],
    key: &str,
    service: &str,
    release: &Release,
) -> Result<(String, String)> {
    let local = format!("{LOCAL_PREFIX}/{service}:{}", release.version);
    let cached = lifecycle::local_image(docker, &local, QUICK_LIMIT).await?;
    if let Some(image) = cached.filter(|i| i.labels.get(CACHE_LABEL).map(String::as_str) == Some(key)) {
        say!("cached {service}:{}", release.version);
        return Ok((local, image.id));
    }
    let spec = BuildSpec {
        files: vec![
            ContextFile { path: "Dockerfile".into(), contents: DOCKERFILE.as_bytes().to_vec(), mode: 0o644 },
            ContextFile { path: "demo-service".into(), contents: binary.to_vec(), mode: 0o755 },
        ],
        tags: release.tags().iter().map(|t| format!("{LOCAL_PREFIX}/{service}:{t}")).collect(),
        build_args: BTreeMap::from([
            ("DEMO_VERSION".to_string(), release.version.to_string()),
            ("DEMO_IMAGE_TAG".to_string(), release.sha.clone()),
            ("DEMO_SERVICE".to_string(), service.to_string()),
            ("DEMO_FAIL_RATE".to_string(), release.fail_rate.to_string()),
        ]),
        labels: BTreeMap::from([(CACHE_LABEL.to_string(), key.to_string())]),
    };
    let id = lifecycle::build_image(docker, &spec, BUILD_LIMIT)
        .await
        .wrap_err_with(|| format!("building {service}:{}", release.version))?;
    say!("built {service}:{}", release.version);
    Ok((local, id))
}

/// Tags the local build with each of the release's tags in the registry and pushes them.
async fn push(
    docker: &opsdeck_backends::docker::Client,
    local: &str,
    service: &str,
    release: &Release,
    registry_host: &str,
) -> Result<PushedImage> {
    let mut pushed_refs = Vec::new();
    let mut digest = None;
    for tag in release.tags() {
        let reference = format!("{registry_host}/{service}:{tag}");
        lifecycle::tag_image(docker, local, &reference, QUICK_LIMIT).await?;
        pushed_refs.push(reference.clone());
        let reported = lifecycle::push_image(docker, &reference, PUSH_LIMIT)
            .await
            .wrap_err_with(|| format!("pushing {reference}"))?;
        digest = digest.or(reported);
    }
    let reference = format!("{registry_host}/{service}:{}", release.version);
    let digest = match digest {
        Some(d) => d,
        None => lifecycle::repo_digest(docker, &reference, &format!("{registry_host}/{service}"), QUICK_LIMIT)
            .await?
            .unwrap_or_default(),
    };
    say!("pushed {service}:{} ({})", release.version, short(&digest));
    Ok(PushedImage { service: service.into(), version: release.version.into(), reference, digest, pushed_refs })
}

/// `sha256:0123456789ab...` -> `0123456789ab`, as the screen shows digests.
fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &hex[..hex.len().min(12)]
}
