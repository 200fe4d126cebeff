//! How the store writes times: UTC RFC 3339 text with exactly six fractional digits.
//!
//! Fixed width makes text order the same as time order (so `WHERE at >= ?` works on the column) and
//! makes the text a stable input to the audit hash; text keeps the file readable with `sqlite3`.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use std::path::Path;

use super::error::{corrupt, StoreError};

/// The stored form of `t` (microseconds; finer digits are dropped).
pub(crate) fn to_text(t: DateTime<Utc>) -> String {
    t.trunc_subsecs(6).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `t` as it will read back from the store.
pub(crate) fn stored(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Reads a stored time; anything else is a damaged or hand-edited file.
pub(crate) fn from_text(path: &Path, column: &str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(path, format!("{column}: not a time: {text:?} ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_fixed_width_and_round_trips() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z").unwrap().with_timezone(&Utc);
        let s = to_text(t);
        assert_eq!(s, "2026-01-02T03:04:05.123456Z");
        assert_eq!(from_text(Path::new("x"), "at", &s).unwrap(), stored(t));
        let whole = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap().with_timezone(&Utc);
        assert_eq!(to_text(whole), "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn garbage_is_corrupt() {
        assert!(matches!(from_text(Path::new("x"), "at", "yesterday"), Err(StoreError::Corrupt { .. })));
    }
}
