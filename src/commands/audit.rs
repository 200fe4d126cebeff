//! `opsdeck audit`: the audit trail printed (text or JSON), verified, and exported as JSON lines.
//!
//! Everything is read through the store's own export, so what is shown is exactly what is stored
//! and hashed: a record edited by hand still lists (its `detail` as a JSON string if it is no longer
//! JSON) instead of stopping the listing, and `at` is the stored text the hash covers. Nothing here
//! writes to the trail, and a state store that does not exist is not created.

use super::audit_json::write_json;
use crate::cli::{AuditAction, AuditArgs};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use opsdeck_core::audit::text::short_detail;
use opsdeck_core::config::Config;
use opsdeck_core::store::{Store, StoreError};
use opsdeck_core::text::cleaned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// `opsdeck audit [--since WHEN] [--json]`, `opsdeck audit verify`, `opsdeck audit export`.
pub async fn run(config: &Config, args: AuditArgs) -> ExitCode {
    match args.action {
        None => list(config, args.since, args.json, args.journal),
        Some(AuditAction::Verify { json }) => super::audit_verify::verify(config, json).await,
        Some(AuditAction::Export { jsonl: _, output }) => export(config, output.as_deref()),
    }
}

/// `--since`: an RFC 3339 time, or a duration ago (`1h`, `30m`, `2d 4h`), as humantime reads it.
pub fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let ago = humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is neither an RFC 3339 time nor a duration ago like 1h or 30m ({e})"))?;
    chrono::Duration::from_std(ago)
        .ok()
        .and_then(|ago| Utc::now().checked_sub_signed(ago))
        .ok_or_else(|| format!("{s:?} reaches back too far"))
}

/// One record as the export writes it (and `--json` prints it): the stored text of every field,
/// `detail` as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedRecord {
    pub seq: i64,
    pub at: String,
    pub user: String,
    pub kind: String,
    pub subject: String,
    pub detail: Value,
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Prints the trail, oldest first: one line per record, or a JSON array. The journal's own records
/// (kind `journal`: each action begun, each step, each end) only with `journal`; the action's
/// record says how it went.
pub fn list(config: &Config, since: Option<DateTime<Utc>>, json: bool, journal: bool) -> ExitCode {
    // The store compares `at` as text, fixed-width microseconds; so does this.
    let from = since.map(|t| t.trunc_subsecs(6).to_rfc3339_opts(SecondsFormat::Micros, true)).unwrap_or_default();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut count = 0u64;
    let result = (|| -> Result<(), Failure> {
        if json {
            out.write_all(b"[")?;
        }
        if let Some(store) = open_existing(config)? {
            let sink = LineSink::new(|line: &str| {
                let record: ExportedRecord = serde_json::from_str(line)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("an exported line: {e}")))?;
                let hidden = !journal && record.kind == opsdeck_core::store::journal_chain::KIND;
                if record.at.as_str() < from.as_str() || hidden {
                    return Ok(());
                }
                if json {
                    out.write_all(if count == 0 { b"\n  " } else { b",\n  " })?;
                    write_json(&mut out, &record)?;
                } else {
                    writeln!(out, "{}", text_line(&record))?;
                }
                count += 1;
                Ok(())
            });
            store.export_jsonl(sink)?;
        }
        if json {
            out.write_all(if count == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        out.flush()?;
        Ok(())
    })();
    finish(result)
}

/// Writes the whole trail as JSON lines to stdout, or to `output` (through a temporary file beside
/// it, so a failed export never leaves half a file under the name asked for).
pub fn export(config: &Config, output: Option<&Path>) -> ExitCode {
    let result = match output.filter(|p| *p != Path::new("-")) {
        None => {
            let stdout = io::stdout();
            let out = io::BufWriter::new(stdout.lock());
            open_existing(config).and_then(|store| match store {
                Some(store) => Ok(store.export_jsonl(out)?),
                None => Ok(0),
            })
        }
        Some(file) => export_to_file(config, file),
    };
    if let (Ok(n), Some(file)) = (&result, output) {
        err!("opsdeck: {} written to {}", records(*n), file.display());
    }
    finish(result.map(|_| ()))
}

fn export_to_file(config: &Config, file: &Path) -> Result<u64, Failure> {
    let name = file.file_name().ok_or_else(|| Failure::Other(format!("{}: not a file name", file.display())))?;
    let tmp = file.with_file_name(format!(".{}.{}.partial", name.to_string_lossy(), std::process::id()));
    let written = (|| -> Result<u64, Failure> {
        let f = std::fs::File::create(&tmp).map_err(|e| Failure::Other(format!("{}: {e}", tmp.display())))?;
        let mut out = io::BufWriter::new(f);
        let n = match open_existing(config)? {
            Some(store) => store.export_jsonl(&mut out)?,
            None => 0,
        };
        let f = out.into_inner().map_err(|e| Failure::Other(format!("{}: {}", tmp.display(), e.error())))?;
        f.sync_all().map_err(|e| Failure::Other(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, file).map_err(|e| Failure::Other(format!("{}: {e}", file.display())))?;
        Ok(n)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

pub(super) fn records(n: u64) -> String {
    format!("{n} record{}", if n == 1 { "" } else { "s" })
}

/// The store, or `None` when its file does not exist yet (no trail: nothing recorded).
fn open_existing(config: &Config) -> Result<Option<Store>, Failure> {
    if !config.state_path.exists() {
        err!("opsdeck: no state store at {} yet: the audit trail is empty", config.state_path.display());
        return Ok(None);
    }
    Ok(Some(Store::open(&config.state_path)?))
}

/// Why a command stopped.
enum Failure {
    Store(StoreError),
    Io(io::Error),
    Other(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            // The sink's own error (stdout closed, say), as the store passed it through.
            StoreError::Export { source, .. } => Failure::Io(source),
            e => Failure::Store(e),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn finish(result: Result<(), Failure>) -> ExitCode {
    let message = match result {
        Ok(()) => return ExitCode::SUCCESS,
        // A reader that stopped early (`| head`) is not an error worth a message.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(Failure::Io(e)) => e.to_string(),
        Err(Failure::Store(e)) => e.to_string(),
        Err(Failure::Other(e)) => e,
    };
    err!("opsdeck: audit trail: {}", cleaned(&message));
    ExitCode::FAILURE
}

/// A writer that hands each complete line to `each`, so the export streams through without the
/// whole trail in memory.
struct LineSink<F: FnMut(&str) -> io::Result<()>> {
    buf: Vec<u8>,
    each: F,
}

impl<F: FnMut(&str) -> io::Result<()>> LineSink<F> {
    fn new(each: F) -> Self {
        LineSink { buf: Vec::new(), each }
    }
}

impl<F: FnMut(&str) -> io::Result<()>> Write for LineSink<F> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]);
            (self.each)(&text)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One record as a text line: seq, time, user, kind, subject, outcome, and a short detail.
pub fn text_line(r: &ExportedRecord) -> String {
    let at = DateTime::parse_from_rfc3339(&r.at)
        .map(|t| t.with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| cleaned(&r.at));
    let line = format!(
        "{:>5}  {at:<20}  {:<10}  {:<10}  {:<14}  {:<10}  {}",
        r.seq,
        cleaned(&r.user),
        cleaned(&r.kind),
        cleaned(&r.subject),
        cleaned(&r.outcome),
        short_detail(&r.kind, &r.detail)
    );
    line.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsdeck_core::audit::text::DETAIL_WIDTH;
    use serde_json::json;

    fn record(kind: &str, detail: Value) -> ExportedRecord {
        ExportedRecord {
            seq: 3,
            at: "2026-03-01T10:20:30.123456Z".into(),
            user: "ann".into(),
            kind: kind.into(),
            subject: "api/prod".into(),
            detail,
            outcome: "succeeded".into(),
            prev_hash: "0".repeat(64),
            hash: "f".repeat(64),
        }
    }

    #[test]
    fn an_action_reads_as_from_to_and_duration() {
        let d = json!({
            "action": "promote", "id": 7, "hosts": ["prod-1"], "forced": false, "duration_ms": 2712, "reason": "",
            "from": {"tag": "v1.2.0", "digest": "sha256:8a1b0c7d9e"}, "to": {"tag": "v1.3.0", "digest": "sha256:3f9c2e1aa"},
        });
        assert_eq!(short_detail("action", &d), "promote v1.2.0 8a1b0c7 -> v1.3.0 3f9c2e1 in 2.7s");
        let line = text_line(&record("action", d));
        assert_eq!(
            line,
            "    3  2026-03-01T10:20:30Z  ann         action      api/prod        succeeded   \
             promote v1.2.0 8a1b0c7 -> v1.3.0 3f9c2e1 in 2.7s"
        );
        let first =
            json!({"action": "promote", "from": null, "to": {"tag": "v1", "digest": "sha256:abc"}, "reason": "x"});
        assert_eq!(short_detail("action", &first), "promote nothing -> v1 abc: x");
    }

    #[test]
    fn other_kinds_and_unknown_shapes_read_sensibly() {
        let refusal = json!({"action": "rollback", "summary": "...", "reason": "locked by bob"});
        assert_eq!(short_detail("refusal", &refusal), "rollback: locked by bob");
        let lock = json!({"holder": {"user": "bob", "host": "bastion", "pid": 42}, "what": "promote api/prod",
                          "forced": true, "reason": "forced from the command line"});
        assert_eq!(
            short_detail("lock_break", &lock),
            "lock of bob@bastion pid 42 (promote api/prod), forced: forced from the command line"
        );
        let unknown = json!({"request": 4, "reason": "release 1.3", "none": null});
        assert_eq!(short_detail("approval", &unknown), "reason=release 1.3 request=4");
        // A known kind whose detail lacks the expected fields falls back too.
        assert_eq!(short_detail("action", &json!({"x": 1})), "x=1");
        assert_eq!(short_detail("action", &json!("hand edited")), "hand edited");
    }

    #[test]
    fn text_is_cleaned_and_cut() {
        let mut r = record("refusal", json!({"action": "promote", "reason": "bad\u{1b}[2J tag\u{202e}"}));
        r.user = "ann\u{7}".into();
        let line = text_line(&r);
        assert!(!line.chars().any(|c| c.is_control() || c == '\u{202e}'), "{line:?}");
        assert!(line.contains("promote: bad[2J tag"), "{line}");
        let long = short_detail("x", &json!("y".repeat(500)));
        assert_eq!(long.chars().count(), DETAIL_WIDTH + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn json_escapes_what_a_terminal_would_act_on_and_keeps_the_values() {
        let r = record("refusal", json!({"reason": "a\u{1b}b\u{9b}c\u{202e}d é\t"}));
        let mut out = Vec::new();
        write_json(&mut out, &r).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(|c| c.is_control() || c == '\u{202e}'), "{text:?}");
        assert!(text.contains(r"a\u001bb\u009bc\u202ed é\t"), "{text}");
        let back: ExportedRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn since_takes_a_time_or_a_duration_ago() {
        let t = parse_since("2026-03-01T10:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-01T09:00:00+00:00");
        let ago = parse_since("1h").unwrap();
        let expected = Utc::now() - chrono::Duration::hours(1);
        assert!((ago - expected).num_seconds().abs() < 5);
        assert!(parse_since("30m").is_ok());
        assert!(parse_since("yesterday").unwrap_err().contains("neither"));
    }

    #[test]
    fn the_line_sink_hands_over_whole_lines() {
        let mut lines = Vec::new();
        let mut sink = LineSink::new(|l: &str| {
            lines.push(l.to_string());
            Ok(())
        });
        sink.write_all(b"one\ntw").unwrap();
        sink.write_all(b"o\nthree\n").unwrap();
        drop(sink);
        assert_eq!(lines, ["one", "two", "three"]);
    }

    #[test]
    fn silence_records_read_in_one_line() {
        let created =
            json!({"action": "silence", "id": "3f0c", "ends_at": "2026-03-01T11:20:30Z", "comment": "rolling back"});
        assert_eq!(short_detail("silence", &created), "silence 3f0c until 11:20 UTC: rolling back");
        let expired = json!({"action": "expire silence", "id": "3f0c", "reason": null});
        assert_eq!(short_detail("silence", &expired), "expire silence 3f0c");
        let failed = json!({"action": "expire silence", "id": "3f0c", "reason": "alertmanager: timed out"});
        assert_eq!(short_detail("silence", &failed), "expire silence 3f0c (alertmanager: timed out)");
    }
}
