//! What is checked or picked without a server: names and digests, `Link` targets, an index's image.

use super::digest;
use crate::registry::manifest::pick_platform_manifest;
use crate::registry::names::{check_reference, check_repo, is_digest};
use crate::registry::pages::next_link;
use reqwest::header::{HeaderMap, LINK};
use reqwest::Url;

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
