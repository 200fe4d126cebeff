//! The client against a mock registry: paging, timeouts, garbage, caps, history and deletes.

use super::{client, digest};
use crate::error::BackendError;
use crate::health::mock::{serve, Reply};
use crate::registry::manifest::sha256_digest;
use crate::registry::{RegistryClient, MAX_PAGES};
use std::time::Duration;

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
                format!(r#"{{"manifests":[{{"digest":"{im2}","platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#),
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
