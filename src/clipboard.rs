//! The terminal's clipboard through OSC 52: `ESC ] 52 ; c ; <base64> BEL` asks the terminal the
//! operator sits at to put the text on its clipboard, so copying works through SSH and on a
//! bastion with no display. Only the runtime, which owns stdout, writes it.

use base64::prelude::{Engine, BASE64_STANDARD};
use std::io::Write;

/// The OSC 52 sequence that copies `text`. Ended by BEL rather than ST (`ESC \`, what crossterm's
/// `osc52` feature writes): xterm, tmux (with `set-clipboard on`) and the usual terminals accept
/// BEL, and some older ones only BEL.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", BASE64_STANDARD.encode(text.as_bytes()))
}

/// Writes the sequence that copies `text` to `out` (the terminal), and flushes it.
pub fn copy(out: &mut dyn Write, text: &str) -> std::io::Result<()> {
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_the_introducer_and_bel() {
        assert_eq!(osc52("sha256:ab"), "\x1b]52;c;c2hhMjU2OmFi\x07");
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
        let mut out = Vec::new();
        copy(&mut out, "opsdeck promote api --to prod").expect("write");
        assert_eq!(out, b"\x1b]52;c;b3BzZGVjayBwcm9tb3RlIGFwaSAtLXRvIHByb2Q=\x07");
    }
}
