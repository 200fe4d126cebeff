//! The Logs view's state: for each followed slot a ring of its last lines (bounded by count and
//! by bytes, what falls out counted as dropped) and whether its stream is up; the lines of all
//! slots merged by time; the filter, pause and scroll-back, wrap and timestamps. Lines are
//! cleaned and masked by `update` before they get here.

use super::SlotId;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

pub use opsdeck_core::text::thousands;
pub use opsdeck_core::watch::log_text::ShownLine;

/// A slot's ring never holds more text than this, whatever its line count (64 KiB lines would
/// otherwise make a 2000-line ring 128 MiB).
pub const MAX_RING_BYTES: usize = 8 * 1024 * 1024;

/// Lines PgUp and PgDn move.
pub const PAGE: usize = 20;

/// One kept line, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Arrival order across every slot of the view: ties in time keep it, and pause cuts at it.
    pub seq: u64,
    /// Docker's timestamp (or the line before it's, or the arrival time when Docker gave none).
    pub at: DateTime<Utc>,
    pub stderr: bool,
    /// Cleaned, masked, with the cut marker when the line was cut.
    pub text: String,
}

/// How a slot's stream is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum LogReach {
    Connecting,
    Streaming,
    /// The engine did not answer or refused; retried.
    Unreachable {
        reason: String,
        since: DateTime<Utc>,
    },
    /// The stream ended: the container stopped (or was never started), or the engine went away;
    /// followed again once the container runs.
    Ended(String),
}

/// One followed slot.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotLog {
    pub slot: SlotId,
    pub lines: VecDeque<LogEntry>,
    /// Bytes of text in `lines`.
    pub bytes: usize,
    /// Lines received and no longer kept (pushed out of the ring, or dropped before they got
    /// here because a burst was longer than the ring).
    pub dropped: u64,
    pub reach: LogReach,
}

impl SlotLog {
    /// `blue@prod-1`: how a slot is named in a merged view.
    pub fn label(&self) -> String {
        format!("{}@{}", self.slot.slot, self.slot.host)
    }
}

/// The Logs view (`L`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogsView {
    /// Which opening of the view messages belong to: a closed view's late lines are ignored.
    pub generation: u64,
    pub service: String,
    pub env: String,
    pub slots: Vec<SlotLog>,
    /// Lines kept per slot (`[logs] lines`).
    pub capacity: usize,
    pub next_seq: u64,
    pub filter: String,
    /// The filter is being typed.
    pub editing: bool,
    /// Paused: only lines that arrived before this seq are shown, so the screen holds still.
    pub paused_at: Option<u64>,
    /// Shown lines between the bottom of the screen and the newest shown line.
    pub scroll: usize,
    pub wrap: bool,
    pub timestamps: bool,
}

impl Default for LogsView {
    fn default() -> Self {
        LogsView {
            generation: 0,
            service: String::new(),
            env: String::new(),
            slots: Vec::new(),
            capacity: 2000,
            next_seq: 0,
            filter: String::new(),
            editing: false,
            paused_at: None,
            scroll: 0,
            wrap: false,
            timestamps: true,
        }
    }
}

impl LogsView {
    /// A fresh view following `slots` (the previous one's lines are gone; its wrap and
    /// timestamps choices stay).
    pub fn reopen(&mut self, service: &str, env: &str, slots: Vec<SlotId>, capacity: usize) {
        *self = LogsView {
            generation: self.generation + 1,
            service: service.into(),
            env: env.into(),
            slots: slots
                .into_iter()
                .map(|slot| SlotLog { slot, lines: VecDeque::new(), bytes: 0, dropped: 0, reach: LogReach::Connecting })
                .collect(),
            capacity: capacity.max(1),
            wrap: self.wrap,
            timestamps: self.timestamps,
            ..LogsView::default()
        };
    }

    /// Closes the view and lets its lines go.
    pub fn close(&mut self) {
        let (generation, wrap, timestamps) = (self.generation, self.wrap, self.timestamps);
        *self = LogsView { generation, wrap, timestamps, ..LogsView::default() };
    }

    /// Adds cleaned lines `(at, stderr, text)` to slot `index`'s ring, `dropped_before` more
    /// having been dropped upstream; the oldest fall out past the ring's bounds.
    pub fn push(&mut self, index: usize, lines: Vec<ShownLine>, dropped_before: u64, now: DateTime<Utc>) {
        let capacity = self.capacity;
        let Some(slot) = self.slots.get_mut(index) else { return };
        slot.dropped += dropped_before;
        // A burst longer than the ring: its head would fall out at once.
        let skip = lines.len().saturating_sub(capacity);
        slot.dropped += skip as u64;
        let mut last_at = slot.lines.back().map(|l| l.at);
        for (at, stderr, text) in lines.into_iter().skip(skip) {
            let at = at.or(last_at).unwrap_or(now);
            last_at = Some(at);
            slot.bytes += text.len();
            slot.lines.push_back(LogEntry { seq: self.next_seq, at, stderr, text });
            self.next_seq += 1;
        }
        while slot.lines.len() > capacity || (slot.bytes > MAX_RING_BYTES && slot.lines.len() > 1) {
            if let Some(old) = slot.lines.pop_front() {
                slot.bytes -= old.text.len();
                slot.dropped += 1;
            }
        }
    }

    pub fn kept(&self) -> usize {
        self.slots.iter().map(|s| s.lines.len()).sum()
    }

    pub fn dropped(&self) -> u64 {
        self.slots.iter().map(|s| s.dropped).sum()
    }

    /// Lines that arrived after the pause (not shown until the view follows again).
    pub fn held_back(&self) -> u64 {
        self.paused_at.map(|p| self.next_seq.saturating_sub(p)).unwrap_or(0)
    }

    pub fn slot_index(&self, slot: &SlotId) -> Option<usize> {
        self.slots.iter().position(|s| &s.slot == slot)
    }

    /// The lines to show, oldest first: every slot's merged by time (arrival order on ties),
    /// those the filter lets through (case-insensitive), none newer than the pause. Each with
    /// its slot's index.
    pub fn rows(&self) -> Vec<(usize, &LogEntry)> {
        let needle = self.filter.trim().to_lowercase();
        let until = self.paused_at.unwrap_or(u64::MAX);
        let mut rows: Vec<(usize, &LogEntry)> = self
            .slots
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.lines.iter().map(move |l| (i, l)))
            .filter(|(_, l)| l.seq < until && (needle.is_empty() || contains_folded(&l.text, &needle)))
            .collect();
        // Each slot's lines are already in order: the sort merges the runs.
        if self.slots.len() > 1 {
            rows.sort_by_key(|(_, l)| (l.at, l.seq));
        }
        rows
    }

    /// Pauses (the screen holds still) where it is now.
    pub fn pause(&mut self) {
        if self.paused_at.is_none() {
            self.paused_at = Some(self.next_seq);
        }
    }

    /// Back to following the newest line.
    pub fn follow(&mut self) {
        self.paused_at = None;
        self.scroll = 0;
    }

    /// Scrolls back (positive) or forward by `delta` lines; scrolling back pauses.
    pub fn scroll_by(&mut self, delta: i64) {
        if delta > 0 {
            self.pause();
        }
        let max = self.rows().len().saturating_sub(1);
        self.scroll = (self.scroll as i64).saturating_add(delta).clamp(0, max as i64) as usize;
    }
}

/// Whether `text` contains `needle` (already lower case), ignoring case; without allocating for
/// ASCII needles, since this runs over every kept line on each draw.
fn contains_folded(text: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let n = needle.as_bytes();
        text.as_bytes().windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        text.to_lowercase().contains(needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn slot(name: &str) -> SlotId {
        SlotId {
            env: "prod".into(),
            service: "api".into(),
            slot: name.into(),
            host: "prod-1".into(),
            replica: String::new(),
        }
    }

    fn t(s: u32) -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, s).single()
    }

    fn view(capacity: usize) -> LogsView {
        let mut v = LogsView::default();
        v.reopen("api", "prod", vec![slot("blue"), slot("green")], capacity);
        v
    }

    fn texts(v: &LogsView) -> Vec<String> {
        v.rows().iter().map(|(_, l)| l.text.clone()).collect()
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(41_337), "41,337");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn the_ring_keeps_the_last_n_and_counts_the_rest() {
        let mut v = view(3);
        let now = t(0).expect("time");
        v.push(0, (0..5).map(|i| (t(i), false, format!("b{i}"))).collect(), 0, now);
        assert_eq!(texts(&v), ["b2", "b3", "b4"]);
        assert_eq!((v.kept(), v.dropped()), (3, 2));
        v.push(0, vec![(t(6), false, "b6".into())], 10, now);
        assert_eq!(texts(&v), ["b3", "b4", "b6"]);
        assert_eq!((v.kept(), v.dropped()), (3, 13));
        // Every line received is kept or counted.
        assert_eq!(v.kept() as u64 + v.dropped(), 5 + 1 + 10);
    }

    #[test]
    fn a_burst_longer_than_the_ring_keeps_its_tail() {
        let mut v = view(100);
        v.push(0, (0..10_000).map(|i| (None, false, format!("l{i}"))).collect(), 0, t(0).expect("time"));
        assert_eq!(v.kept(), 100);
        assert_eq!(v.dropped(), 9_900);
        assert_eq!(texts(&v).first().map(String::as_str), Some("l9900"));
    }

    #[test]
    fn the_ring_is_bounded_in_bytes_too() {
        let mut v = view(2000);
        let big = "x".repeat(64 * 1024);
        v.push(0, (0..200).map(|_| (None, false, big.clone())).collect(), 0, t(0).expect("time"));
        assert!(v.slots[0].bytes <= MAX_RING_BYTES);
        assert_eq!(v.kept(), MAX_RING_BYTES / big.len());
        assert_eq!(v.kept() as u64 + v.dropped(), 200);
    }

    #[test]
    fn slots_merge_by_time_and_ties_keep_arrival_order() {
        let mut v = view(10);
        let now = t(30).expect("time");
        v.push(0, vec![(t(1), false, "blue 1".into()), (t(3), false, "blue 3".into())], 0, now);
        v.push(
            1,
            vec![(t(2), false, "green 2".into()), (t(3), false, "green 3".into()), (None, false, "green ?".into())],
            0,
            now,
        );
        assert_eq!(texts(&v), ["blue 1", "green 2", "blue 3", "green 3", "green ?"]);
        assert_eq!(v.rows()[1].0, 1, "each row knows its slot");
    }

    #[test]
    fn the_filter_ignores_case_and_pause_holds_the_screen_still() {
        let mut v = view(10);
        let now = t(0).expect("time");
        v.push(0, vec![(t(1), false, "GET /health 200".into()), (t(2), false, "error: boom".into())], 0, now);
        v.filter = "ERROR".into();
        assert_eq!(texts(&v), ["error: boom"]);
        v.filter.clear();
        v.pause();
        v.push(0, vec![(t(3), false, "later".into())], 0, now);
        assert_eq!(texts(&v), ["GET /health 200", "error: boom"]);
        assert_eq!(v.held_back(), 1);
        v.follow();
        assert_eq!(texts(&v).last().map(String::as_str), Some("later"));
    }

    #[test]
    fn scrolling_back_pauses_and_stays_within_the_lines() {
        let mut v = view(10);
        v.push(0, (0..5).map(|i| (t(i), false, format!("{i}"))).collect(), 0, t(0).expect("time"));
        v.scroll_by(2);
        assert!(v.paused_at.is_some());
        assert_eq!(v.scroll, 2);
        v.scroll_by(100);
        assert_eq!(v.scroll, 4);
        v.scroll_by(-100);
        assert_eq!(v.scroll, 0);
        assert!(v.paused_at.is_some(), "scrolling forward does not follow by itself");
    }
}
