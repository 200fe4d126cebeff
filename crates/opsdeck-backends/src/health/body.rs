//! Bodies read up to a cap, and the short text views of them that go into reason lines.

use bytes::{Bytes, BytesMut};

/// A body read up to a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Capped {
    /// The whole body, no longer than the cap.
    Complete(Bytes),
    /// The body went past the cap; this is its first `cap` bytes, the rest was never read.
    Over(Bytes),
}

impl Capped {
    pub(crate) fn bytes(&self) -> &Bytes {
        match self {
            Capped::Complete(b) | Capped::Over(b) => b,
        }
    }
}

/// Reads the body chunk by chunk and stops at `cap`, so a hostile or broken server cannot make
/// us hold more than `cap` bytes (the connection is dropped with the response).
pub(crate) async fn read_capped(response: &mut reqwest::Response, cap: usize) -> Result<Capped, reqwest::Error> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if buf.len() + chunk.len() > cap {
            let room = cap - buf.len();
            buf.extend_from_slice(&chunk[..room]);
            return Ok(Capped::Over(buf.freeze()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Capped::Complete(buf.freeze()))
}

/// One bytes-in-a-line view of a body: lossy UTF-8, whitespace runs folded to one space,
/// cut at `max_chars` with an ellipsis.
pub(crate) fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = folded.chars();
    let cut: String = chars.by_ref().take(max_chars).collect();
    if chars.next().is_some() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// `4 MiB`, `64 KiB`: a cap as the error line says it.
pub(crate) fn size_words(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn excerpt_folds_whitespace_and_cuts() {
        assert_eq!(excerpt(b"  a\n\tb  c ", 10), "a b c");
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
        assert_eq!(excerpt(&[0xff, b'a'], 10), "\u{fffd}a");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_words(4 << 20), "4 MiB");
        assert_eq!(size_words(64 << 10), "64 KiB");
        assert_eq!(size_words(1000), "1000 bytes");
    }
}
