//! Audit records as JSON lines that are safe to print: the same values, with every character a
//! terminal would act on written as an escape.

use super::audit::ExportedRecord;
use serde::Serialize;
use std::io::{self, Write};

/// One record as compact JSON, with every character [`opsdeck_core::text::clean`] would remove written
/// as a `\u` escape: the same JSON values (hashes still check), but nothing that reaches a
/// terminal raw can move its cursor or reorder text.
pub(super) fn write_json(out: &mut impl Write, record: &ExportedRecord) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, TerminalSafe);
    record.serialize(&mut ser).map_err(io::Error::other)
}

/// Any value as compact JSON escaped the same way (`approvals --json`).
pub(super) fn to_safe_string(value: &impl Serialize) -> io::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, TerminalSafe);
    value.serialize(&mut ser).map_err(io::Error::other)?;
    String::from_utf8(out).map_err(io::Error::other)
}

struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        // serde_json has already escaped quotes, backslashes and C0 controls out of `fragment`.
        if matches!(opsdeck_core::text::clean(fragment), std::borrow::Cow::Borrowed(_)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut one = [0u8; 4];
        for c in fragment.chars() {
            let s: &str = c.encode_utf8(&mut one);
            if opsdeck_core::text::clean(s) == s {
                writer.write_all(s.as_bytes())?;
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{u:04x}")?;
                }
            }
        }
        Ok(())
    }
}
