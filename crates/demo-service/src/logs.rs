//! Output on demand, for testing a log viewer: `/logs?lines=N&rate=R` prints N numbered lines to
//! stdout at R lines a second, and `/logs/nasty` prints what a log viewer must not pass to a
//! terminal (escape sequences, NUL, invalid UTF-8, bidi overrides, a 1 MiB line).

use std::io::Write;
use std::time::{Duration, Instant};

pub const MAX_LINES: u64 = 1_000_000;
pub const MAX_RATE: u64 = 100_000;
/// Lines are written in slices this often, so the rate holds without a sleep per line.
const SLICE: Duration = Duration::from_millis(10);

/// Prints `lines` lines (`log line I of N`) at `rate` a second; returns how long it took.
pub fn emit(out: &mut impl Write, lines: u64, rate: u64) -> std::io::Result<Duration> {
    let started = Instant::now();
    let rate = rate.max(1);
    let mut written = 0;
    while written < lines {
        // Lines due by now, at the rate.
        let due = ((started.elapsed().as_secs_f64() * rate as f64) as u64 + 1).min(lines);
        while written < due {
            written += 1;
            writeln!(out, "log line {written} of {lines}")?;
        }
        out.flush()?;
        if written < lines {
            std::thread::sleep(SLICE);
        }
    }
    Ok(started.elapsed())
}

/// The bytes of the nasty lines, each ending in a newline; the last says they are done.
pub fn nasty() -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"nasty: \x1b[31mred\x1b[0m and \x1b[1;4mbold underlined\x1b[0m\n");
    out.extend_from_slice(b"nasty: title \x1b]0;pwned\x07 and link \x1b]8;;http://x\x1b\\text\x1b]8;;\x1b\\\n");
    out.extend_from_slice(b"nasty: clear \x1b[2J\x1b[H home \x1b[10;10H moved \x1bc reset\n");
    out.extend_from_slice(b"nasty: nul \0 byte, bell \x07, backspace \x08, cr \r mid\n");
    out.extend_from_slice(b"nasty: invalid \xff\xfe\xc3 utf8\n");
    out.extend_from_slice("nasty: bidi \u{202E}desrever\u{202C} c1 \u{9b}31m\n".as_bytes());
    out.extend_from_slice(b"nasty: big ");
    out.extend(std::iter::repeat_n(b'A', 1024 * 1024));
    out.extend_from_slice(b" END\n");
    out.extend_from_slice(b"nasty: done\n");
    out
}

/// The process environment as one line, as a careless service logs it at start (the demo
/// prints it so the console's masking of secret values has something to mask).
pub fn environment_line(vars: impl Iterator<Item = (String, String)>) -> String {
    let mut vars: Vec<_> = vars.filter(|(k, _)| !matches!(k.as_str(), "PATH" | "HOME" | "HOSTNAME")).collect();
    vars.sort();
    let pairs: Vec<String> = vars.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("environment: {}", pairs.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_every_line_at_about_the_rate() {
        let mut out = Vec::new();
        let took = emit(&mut out, 500, 10_000).expect("emit");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text.lines().count(), 500);
        assert_eq!(text.lines().last(), Some("log line 500 of 500"));
        assert!(took >= Duration::from_millis(40) && took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn nasty_lines_hold_what_they_promise() {
        let n = nasty();
        assert!(n.contains(&0) && n.contains(&0x1b) && n.contains(&0xff));
        assert!(n.split(|b| *b == b'\n').any(|l| l.len() > 1024 * 1024));
        assert!(n.ends_with(b"nasty: done\n"));
    }

    #[test]
    fn the_environment_line_is_sorted_and_skips_the_dull() {
        let vars = [("B", "2"), ("PATH", "/bin"), ("A", "1")].map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(environment_line(vars.into_iter()), "environment: A=1 B=2");
    }
}
