//! Image references as text: repository and tag, the digest a repository holds, the digest a push
//! reported.

/// `127.0.0.1:5000/api:v1` -> (`127.0.0.1:5000/api`, `v1`); no tag means `latest`. A colon
/// before the last `/` is a registry port, not a tag.
pub fn split_reference(reference: &str) -> (&str, &str) {
    let name_start = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[name_start..].rfind(':') {
        Some(i) => (&reference[..name_start + i], &reference[name_start + i + 1..]),
        None => (reference, "latest"),
    }
}

/// The digest in `repo_digests` that belongs to `repository`.
pub fn digest_for_repository(repo_digests: &[String], repository: &str) -> Option<String> {
    repo_digests
        .iter()
        .find_map(|d| d.strip_prefix(repository).and_then(|rest| rest.strip_prefix('@')))
        .map(str::to_string)
}

/// The push stream ends with `v1.2.0: digest: sha256:... size: 527`.
pub(super) fn digest_in_status(status: &str) -> Option<String> {
    let (_, after) = status.split_once("digest: ")?;
    let digest = after.split_whitespace().next()?;
    digest.starts_with("sha256:").then(|| digest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_at_the_tag_not_the_port() {
        assert_eq!(split_reference("127.0.0.1:5000/api:v1.2.0"), ("127.0.0.1:5000/api", "v1.2.0"));
        assert_eq!(split_reference("127.0.0.1:5000/api"), ("127.0.0.1:5000/api", "latest"));
        assert_eq!(split_reference("api:abc1234"), ("api", "abc1234"));
        assert_eq!(split_reference("opsdeck-demo/web"), ("opsdeck-demo/web", "latest"));
    }

    #[test]
    fn repo_digest_is_picked_by_repository() {
        let digests = vec!["127.0.0.1:5000/api@sha256:aaa".to_string(), "127.0.0.1:5001/api@sha256:bbb".to_string()];
        assert_eq!(digest_for_repository(&digests, "127.0.0.1:5001/api"), Some("sha256:bbb".into()));
        assert_eq!(digest_for_repository(&digests, "127.0.0.1:5000/ap"), None);
    }

    #[test]
    fn push_status_carries_the_digest() {
        assert_eq!(digest_in_status("v1.2.0: digest: sha256:0123abcd size: 527"), Some("sha256:0123abcd".into()));
        assert_eq!(digest_in_status("Pushed"), None);
    }
}
