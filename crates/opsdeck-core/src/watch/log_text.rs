//! A container's log line made fit for the screen, in the follower's task so that nothing of it
//! runs on the path that draws: escape sequences dropped (as a terminal's parser, vte, reads
//! them), then control characters, secret values masked, and a cut line starting with how much
//! was cut.

use crate::secrets::Secrets;
use crate::text::clean;
use opsdeck_backends::docker::logs::{LogLine, LogSource};

/// A line as a follower sends it, already fit for the screen: Docker's time, whether it came on
/// stderr, and its cleaned, masked text (see `watch::log_text`).
pub type ShownLine = (Option<chrono::DateTime<chrono::Utc>>, bool, String);

/// `line` as the Logs view keeps and shows it.
pub fn shown(line: LogLine, secrets: &Secrets) -> ShownLine {
    let mut text = secrets.mask_owned(clean(&strip_ansi(&line.text)).into_owned());
    if line.cut > 0 {
        // In front, where it shows whether the line is wrapped or cut at the screen's edge.
        text = format!("[+{} bytes cut] {text}", crate::text::thousands(line.cut as u64));
    }
    (line.at, line.source == LogSource::Stderr, text)
}

/// The printable text of `input`, without its escape sequences (CSI, OSC, DCS and the rest),
/// as a terminal's parser (vte) reads them; a tab becomes a space.
pub fn strip_ansi(input: &str) -> String {
    struct Printable(String);
    impl vte::Perform for Printable {
        fn print(&mut self, c: char) {
            self.0.push(c);
        }
        fn execute(&mut self, byte: u8) {
            if byte == b'\t' {
                self.0.push(' ');
            }
        }
    }
    if input.bytes().all(|b| (0x20..0x80).contains(&b)) {
        return input.to_string();
    }
    let mut out = Printable(String::with_capacity(input.len()));
    vte::Parser::new().advance(&mut out, input.as_bytes());
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> LogLine {
        LogLine { at: None, source: LogSource::Stdout, text: text.into(), cut: 0 }
    }

    #[test]
    fn escape_sequences_and_control_characters_are_removed() {
        let cases = [
            ("\x1b[31mred\x1b[0m plain", "red plain"),
            ("title \x1b]0;pwned\x07 after", "title  after"),
            ("link \x1b]8;;http://x\x1b\\text\x1b]8;;\x1b\\", "link text"),
            ("clear\x1b[2J\x1b[H home \x1bc reset", "clear home  reset"),
            ("nul \0 bell \x07 bs \x08 cr \r tab\there", "nul  bell  bs  cr  tab here"),
            ("bidi \u{202E}x\u{202C} c1 \u{9b}31m", "bidi x c1 31m"),
            ("invalid \u{fffd}\u{fffd} utf8", "invalid \u{fffd}\u{fffd} utf8"),
            ("plain", "plain"),
        ];
        for (input, want) in cases {
            let (_, _, got) = shown(raw(input), &Secrets::default());
            assert_eq!(got, want, "{input:?}");
            assert!(!got.chars().any(char::is_control), "{got:?}");
        }
    }

    #[test]
    fn a_cut_line_says_how_much_was_cut() {
        let (_, _, text) = shown(LogLine { cut: 983_040, ..raw("AAAA") }, &Secrets::default());
        assert_eq!(text, "[+983,040 bytes cut] AAAA");
    }

    #[test]
    fn secret_values_are_masked_and_stderr_kept() {
        let secrets = Secrets::new(["s3cr3t-Val-42"]);
        let line = LogLine { source: LogSource::Stderr, ..raw("environment: API_TOKEN=s3cr3t-Val-42") };
        let (_, stderr, text) = shown(line, &secrets);
        assert_eq!((stderr, text.as_str()), (true, "environment: API_TOKEN=••••"));
    }
}
