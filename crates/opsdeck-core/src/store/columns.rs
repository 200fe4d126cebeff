//! The columns that `actions` and `requests` rows share, read and parsed one way for both: the
//! images (from and to, each a tag and a digest) and the JSON text of hosts and plan.

use rusqlite::Row;
use serde::de::DeserializeOwned;

use super::error::StoreError;
use super::journal::ImageRef;

/// The images of a row as stored: `from_tag, from_digest, to_tag, to_digest`, in that order.
pub(super) struct RawImages {
    from_tag: Option<String>,
    from_digest: Option<String>,
    to_tag: String,
    to_digest: String,
}

impl RawImages {
    /// Reads the four image columns, starting at column `first`.
    pub(super) fn read(r: &Row<'_>, first: usize) -> rusqlite::Result<RawImages> {
        Ok(RawImages {
            from_tag: r.get(first)?,
            from_digest: r.get(first + 1)?,
            to_tag: r.get(first + 2)?,
            to_digest: r.get(first + 3)?,
        })
    }

    /// `(from, to)`: `from` is both a tag and a digest, or neither (a first deploy). `bad` names
    /// the row in the error.
    pub(super) fn parse(self, bad: impl Fn(String) -> StoreError) -> Result<(Option<ImageRef>, ImageRef), StoreError> {
        let from = match (self.from_tag, self.from_digest) {
            (Some(tag), Some(digest)) => Some(ImageRef { tag, digest }),
            (None, None) => None,
            _ => return Err(bad("from has a tag or a digest but not both".into())),
        };
        Ok((from, ImageRef { tag: self.to_tag, digest: self.to_digest }))
    }
}

/// A JSON text column (`hosts`, `plan`) parsed; `bad` names the row in the error.
pub(super) fn json<T: DeserializeOwned>(
    column: &str,
    text: &str,
    bad: impl Fn(String) -> StoreError,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| bad(format!("{column}: {e}")))
}
