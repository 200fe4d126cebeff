//! What may go into a registry URL: repository names, tags and digests, checked before any
//! request is built.

use super::SYSTEM;
use crate::error::{BackendError, BackendResult};

/// Repository names as the distribution spec allows them (`team/api`): lowercase components of
/// `[a-z0-9._-]` that start and end with a letter or digit. Checked because the name goes into
/// a URL path: `..` or `?` must not reach the registry.
pub(super) fn check_repo(repo: &str) -> BackendResult<()> {
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
pub(super) fn is_digest(s: &str) -> bool {
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

pub(super) fn check_reference(reference: &str) -> BackendResult<()> {
    if is_tag(reference) || is_digest(reference) {
        Ok(())
    } else {
        Err(BackendError::Other { system: SYSTEM, reason: format!("invalid tag or digest {reference:?}") })
    }
}

pub(super) fn check_digest(digest: &str) -> BackendResult<()> {
    if is_digest(digest) {
        Ok(())
    } else {
        Err(BackendError::Protocol { system: SYSTEM, reason: format!("invalid digest {digest:?}") })
    }
}
