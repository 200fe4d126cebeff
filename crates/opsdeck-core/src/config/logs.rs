//! `[logs]`: how much of each followed container's output the Logs view keeps.

use serde::{Deserialize, Serialize};

/// The Logs view's memory bound.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogsConfig {
    /// Lines kept per followed slot (a ring: the oldest go first, and are counted as dropped).
    /// Also how many past lines are fetched when the view opens. Clamped to 10..=100000.
    pub lines: usize,
}

impl LogsConfig {
    pub const MIN_LINES: usize = 10;
    pub const MAX_LINES: usize = 100_000;

    /// [`LogsConfig::lines`] within its bounds.
    pub fn ring(&self) -> usize {
        self.lines.clamp(Self::MIN_LINES, Self::MAX_LINES)
    }
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig { lines: 2000 }
    }
}
