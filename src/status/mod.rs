//! `opsdeck status [--json]`: the console's state printed once, for scripts and tests. The JSON
//! shape is a public interface, documented in the README; `json.rs` builds it from the same
//! derived views the panes draw.

mod json;
mod text;

pub use json::{to_json, StatusJson};
pub use text::to_text;
