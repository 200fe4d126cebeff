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
    docker: &bollard::Docker,
    binary: &[u8],
    releases: &[Release],
    registry_host: &str,
) -> Result<Vec<PushedImage>> {
    let binary_print = format!("{:016x}", fnv1a(binary));
    let jobs: Vec<(&str, &Release)> = SERVICES.iter().flat_map(|s| releases.iter().map(move |r| (*s, r))).collect();
    stream::iter(jobs)
        .map(|(service, release)| {
            let binary_print = binary_print.as_str();
            async move {
                let local = ensure_built(docker, binary, binary_print, service, release).await?;
                push(docker, &local, service, release, registry_host).await
            }
        })
        .buffered(PARALLEL)
        .try_collect()
        .await
}

/// `opsdeck-demo/<service>:<version>`, built unless an image made from this binary and sha
/// is already there.
async fn ensure_built(
    docker: &bollard::Docker,
    binary: &[u8],
    binary_print: &str,
    service: &str,
    release: &Release,
) -> Result<String> {
    let local = format!("{LOCAL_PREFIX}/{service}:{}", release.version);
    let key = format!("{binary_print}/{}", release.sha);
    let cached = lifecycle::local_image(docker, &local, QUICK_LIMIT).await?;
    if cached.as_ref().and_then(|i| i.labels.get(CACHE_LABEL)) == Some(&key) {
        say!("cached {service}:{}", release.version);
        return Ok(local);
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
        ]),
        labels: BTreeMap::from([(CACHE_LABEL.to_string(), key)]),
    };
    lifecycle::build_image(docker, &spec, BUILD_LIMIT)
        .await
        .wrap_err_with(|| format!("building {service}:{}", release.version))?;
    say!("built {service}:{}", release.version);
    Ok(local)
}

/// Tags the local build with each of the release's tags in the registry and pushes them.
async fn push(
    docker: &bollard::Docker,
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
