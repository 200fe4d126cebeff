//! Reading a list that comes in pages: following `Link: <...>; rel="next"` on the registry's own
//! origin, de-duplicating as it goes, and stopping at [`MAX_PAGES`].

use super::{RegistryClient, LIST_CAP, MAX_PAGES, SYSTEM};
use crate::error::{BackendError, BackendResult};
use crate::health::parse_json;
use reqwest::header::{HeaderMap, LINK};
use reqwest::Url;
use serde_json::Value;
use std::collections::HashSet;

impl RegistryClient {
    pub(super) async fn paginate(&self, first: Url, key: &'static str) -> BackendResult<Vec<String>> {
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
pub(super) fn next_link(headers: &HeaderMap, current: &Url, base: &Url) -> BackendResult<Option<Url>> {
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
