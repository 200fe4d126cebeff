//! The registry: pushed tags grouped by digest into a history, paged tag lists, and deletes.

use crate::common::{
    bounded, build_demo_image, demo_binary, docker, unique_hex, DockerLeftovers, CALL, PUSH, TEST_LIMIT,
};
use crate::support;
use chrono::{DateTime, Utc};
use opsdeck::stack::{self, Registry};
use opsdeck_backends::docker::lifecycle;
use opsdeck_backends::registry::RegistryClient;
use opsdeck_backends::BackendError;
use std::collections::BTreeSet;

#[tokio::test]
async fn registry_history_groups_pushed_tags_by_digest_and_deletes() {
    if !support::stack_available() {
        return;
    }
    // Found (or built) before the clock starts.
    demo_binary();
    let leftovers = DockerLeftovers::new();
    bounded("registry", TEST_LIMIT, async {
        let dir = tempfile::Builder::new().prefix("opsdeck-backends-registry-").tempdir().expect("tempdir");
        let registry = Registry::start(dir.path()).await.expect("start docker-registry");
        let repo = format!("{}/svc", registry.host());
        let docker = docker().await;
        let started = Utc::now();

        // Three releases, built one after the other (so creation times increase), with unique
        // sha tags so that no earlier run's build cache can hand back an old image.
        let releases: Vec<(&str, String, bool)> =
            vec![("v1.0.0", unique_hex(7), false), ("v1.1.0", unique_hex(7), false), ("v1.2.0", unique_hex(7), true)];
        let mut pushed: Vec<(String, Vec<String>)> = Vec::new(); // (digest, tags), oldest first
        let mut all_refs = Vec::new();
        for (version, sha, latest) in &releases {
            let mut tags = vec![version.to_string(), sha.clone()];
            if *latest {
                tags.push("latest".into());
            }
            let refs: Vec<String> = tags.iter().map(|t| format!("{repo}:{t}")).collect();
            build_demo_image(
                &docker,
                &refs,
                &[("DEMO_VERSION", version), ("DEMO_IMAGE_TAG", sha), ("DEMO_SERVICE", "svc")],
                &leftovers.run,
            )
            .await;
            let mut digest = None::<String>;
            for reference in &refs {
                let reported = lifecycle::push_image(&docker, reference, PUSH).await.expect("push");
                let reported = reported.unwrap_or_else(|| panic!("push of {reference} reported no digest"));
                if let Some(d) = &digest {
                    assert_eq!(&reported, d, "every tag of one image pushes the same manifest");
                }
                digest = Some(reported);
            }
            let digest = digest.expect("pushed");
            for reference in &refs {
                let repo_digest = lifecycle::repo_digest(&docker, reference, &repo, CALL).await.expect("repo digest");
                assert_eq!(repo_digest.as_deref(), Some(digest.as_str()), "RepoDigests of {reference}");
            }
            all_refs.extend(refs);
            pushed.push((digest, tags));
        }
        let digests: BTreeSet<&String> = pushed.iter().map(|(d, _)| d).collect();
        assert_eq!(digests.len(), 3, "three builds, three digests: {pushed:?}");

        let client = RegistryClient::new(&registry.url(), CALL).expect("registry client");
        let all_tags: BTreeSet<String> = pushed.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
        let listed = client.list_tags("svc").await.expect("list tags");
        assert_eq!(listed.len(), all_tags.len(), "no duplicates: {listed:?}");
        assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), all_tags);
        assert_eq!(client.list_repositories().await.expect("catalog"), ["svc"]);
        assert_eq!(client.manifest_digest("svc", "latest").await.expect("latest"), pushed[2].0);

        let history = client.history("svc").await.expect("history");
        let got: Vec<(&str, Vec<&str>)> =
            history.iter().map(|i| (i.digest.as_str(), i.tags.iter().map(String::as_str).collect())).collect();
        let (a, b, c) = (&releases[0].1, &releases[1].1, &releases[2].1);
        let want: Vec<(&str, Vec<&str>)> = vec![
            (pushed[2].0.as_str(), vec!["v1.2.0", c.as_str(), "latest"]),
            (pushed[1].0.as_str(), vec!["v1.1.0", b.as_str()]),
            (pushed[0].0.as_str(), vec!["v1.0.0", a.as_str()]),
        ];
        assert_eq!(got, want, "newest first, tags grouped and ordered");
        let mut previous: Option<DateTime<Utc>> = None;
        for image in &history {
            let created = image.created.unwrap_or_else(|| panic!("no created time for {}", image.digest));
            assert!(created > started - chrono::Duration::seconds(5) && created <= Utc::now(), "{created}");
            if let Some(p) = previous {
                assert!(created < p, "newest first: {created} after {p}");
            }
            previous = Some(created);
            // The same instant Docker recorded in the image config.
            let reference = format!("{repo}:{}", image.tags[0]);
            let inspected = docker.inspect_image(&reference).await.expect("inspect");
            assert_eq!(inspected.created, Some(created), "{reference}");
        }

        // More tags than one page (the client asks for 100 a page and follows `Link`): 150 more
        // on the middle image, put straight into the registry by manifest.
        let http = stack::loopback_client(CALL).expect("http client");
        let manifest_url = |reference: &str| format!("{}/v2/svc/manifests/{reference}", registry.url());
        let manifest = http
            .get(manifest_url(&pushed[1].0))
            .header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
            .send()
            .await
            .expect("get manifest");
        assert!(manifest.status().is_success(), "{}", manifest.status());
        let media_type = manifest.headers().get("content-type").cloned().expect("content type");
        let body = manifest.bytes().await.expect("manifest body");
        let extra: Vec<String> = (0..150).map(|i| format!("extra-{i:03}")).collect();
        for tag in &extra {
            let put = http
                .put(manifest_url(tag))
                .header("Content-Type", media_type.clone())
                .body(body.clone())
                .send()
                .await
                .expect("put manifest");
            assert!(put.status().is_success(), "PUT {tag}: {}", put.status());
        }
        let listed = client.list_tags("svc").await.expect("list tags over pages");
        assert_eq!(listed.len(), all_tags.len() + extra.len(), "no tag lost or repeated across pages");
        let history = client.history("svc").await.expect("history over pages");
        assert_eq!(history.len(), 3);
        let mut want_b = vec!["v1.1.0".to_string(), b.clone()];
        want_b.extend(extra.iter().cloned());
        assert_eq!(history[1].digest, pushed[1].0);
        assert_eq!(history[1].tags, want_b);

        // A watcher's looks: the same images; then `latest` moved to the middle image is seen at
        // the next look (a moving tag is asked about every look; release tags every ten minutes).
        let watched = client.watched_history("svc").await.expect("a watcher's first look");
        assert_eq!(watched, history);
        let put = http
            .put(manifest_url("latest"))
            .header("Content-Type", media_type.clone())
            .body(body.clone())
            .send()
            .await
            .expect("move latest");
        assert!(put.status().is_success(), "PUT latest: {}", put.status());
        let watched = client.watched_history("svc").await.expect("a watcher's next look");
        assert!(watched[1].tags.contains(&"latest".to_string()), "{:?}", watched[1]);
        assert!(!watched[0].tags.contains(&"latest".to_string()), "{:?}", watched[0]);
        assert_eq!(watched, client.history("svc").await.expect("history"), "the same as a full look");

        // Deleting the oldest image by digest takes its tags with it.
        client.delete_manifest("svc", &pushed[0].0).await.expect("delete the oldest manifest");
        let history = client.history("svc").await.expect("history after delete");
        let left: Vec<&str> = history.iter().map(|i| i.digest.as_str()).collect();
        assert_eq!(left, [pushed[2].0.as_str(), pushed[1].0.as_str()]);
        let listed: BTreeSet<String> = client.list_tags("svc").await.expect("tags after delete").into_iter().collect();
        let want_tags: BTreeSet<String> =
            pushed[1..].iter().flat_map(|(_, t)| t.iter().cloned()).chain(extra.iter().cloned()).collect();
        assert_eq!(listed, want_tags, "the deleted image's tags are gone");
        let gone = client.manifest_digest("svc", "v1.0.0").await;
        assert!(matches!(gone, Err(BackendError::Status { status: 404, .. })), "{gone:?}");
        let again = client.delete_manifest("svc", &pushed[0].0).await;
        assert!(matches!(again, Err(BackendError::Status { status: 404, .. })), "{again:?}");
        assert!(client.delete_manifest("svc", "v1.1.0").await.is_err(), "a tag is not a digest");

        // Local clean-up through the backends: each reference, then nothing is left.
        for reference in &all_refs {
            lifecycle::remove_image(&docker, reference, CALL).await.expect("remove image");
        }
        for reference in &all_refs {
            assert_eq!(lifecycle::local_image(&docker, reference, CALL).await.expect("inspect"), None, "{reference}");
        }
        registry.stop().await.expect("stop the registry");
    })
    .await;
    drop(leftovers);
}
