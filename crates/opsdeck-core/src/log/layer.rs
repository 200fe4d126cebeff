//! The layer that turns each `tracing` event into one JSON line of `opsdeck.log`: our own rather
//! than `tracing-subscriber`'s JSON formatter, because the fields are fixed (`time`, `level`,
//! `pid`, `user`, `target`, `message`, then the event's own, flat) and every string must be
//! cleaned of control characters and have the config's secrets masked before it is written.

use crate::secrets::Secrets;
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Keys every line has; an event field of the same name is dropped rather than let it pass for
/// one of them (a `user` field must not hide who ran the process).
pub const FIXED: [&str; 6] = ["time", "level", "pid", "user", "target", "message"];

/// Whether this process already said its log was refused (once is enough).
static REFUSAL_SAID: AtomicBool = AtomicBool::new(false);
/// The refusal not yet handed to a caller to show.
static REFUSAL: Mutex<Option<String>> = Mutex::new(None);

/// Why the log was refused, the first time only (see [`crate::log`]).
pub fn take_refusal() -> Option<String> {
    REFUSAL.lock().ok().and_then(|mut r| r.take())
}

/// Writes events to `path` as JSON lines.
pub struct JsonLayer {
    path: PathBuf,
    secrets: Arc<Secrets>,
    user: String,
    pid: u32,
}

impl JsonLayer {
    pub fn new(path: PathBuf, secrets: Arc<Secrets>, user: &str) -> JsonLayer {
        JsonLayer { path, secrets, user: user.into(), pid: std::process::id() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line for `event` (with its newline).
    fn line(&self, event: &Event<'_>) -> String {
        let mut fields = Fields { secrets: &self.secrets, map: Map::new(), message: String::new() };
        event.record(&mut fields);
        let meta = event.metadata();
        let mut out = Map::new();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        out.insert("time".into(), now.into());
        out.insert("level".into(), meta.level().as_str().to_ascii_lowercase().into());
        out.insert("pid".into(), self.pid.into());
        out.insert("user".into(), self.secrets.mask(&self.user).into_owned().into());
        out.insert("target".into(), meta.target().into());
        out.insert("message".into(), fields.message.into());
        for (k, v) in fields.map {
            if !FIXED.contains(&k.as_str()) {
                out.insert(k, v);
            }
        }
        let mut line = Value::Object(out).to_string();
        line.push('\n');
        line
    }

    fn write(&self, line: &str) {
        // Shared by the opsdeck group, like the store beside it.
        let folder = self.path.parent().unwrap_or(Path::new("."));
        // SAFETY: getgid has no preconditions.
        let group = crate::shared_files::group_of(folder).unwrap_or_else(|| unsafe { libc::getgid() });
        match crate::shared_files::open_append(&self.path, group) {
            Ok(mut f) => {
                let _ = f.write_all(line.as_bytes());
            }
            Err(reason) if reason.contains("refused") && !REFUSAL_SAID.swap(true, Ordering::Relaxed) => {
                if let Ok(mut r) = REFUSAL.lock() {
                    *r = Some(format!("opsdeck's log {reason}; nothing is written to it"));
                }
            }
            Err(_) => {}
        }
    }
}

impl<S: Subscriber> Layer<S> for JsonLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        self.write(&self.line(event));
    }
}

/// An event's fields as JSON: strings (and anything printed) cleaned and masked, numbers and
/// booleans as they are.
struct Fields<'a> {
    secrets: &'a Secrets,
    map: Map<String, Value>,
    message: String,
}

impl Fields<'_> {
    fn text(&mut self, field: &Field, value: String) {
        let value = self.secrets.mask_owned(crate::text::clean(&value).into_owned());
        if field.name() == "message" {
            self.message = value;
        } else {
            self.map.insert(field.name().into(), value.into());
        }
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.text(field, format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field, value.to_string());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.text(field, value.to_string());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.map.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.map.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.map.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.map.insert(field.name().into(), value.into());
    }
}
