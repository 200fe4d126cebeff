//! Health over time, kept in memory and bounded: per slot, a ring of timestamped `/health`
//! latencies, and per HAProxy server, rings of request and 5xx rates computed from the deltas of
//! its counters between polls (a counter that goes down means HAProxy reloaded and restarted
//! it). Only `update` feeds it; the Health pane's sparklines and the chart view read it.

use super::SlotId;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, VecDeque};

/// How far back the history goes.
pub const WINDOW: Duration = Duration::minutes(10);

/// Most samples one ring holds, whatever the polling intervals: a 1 s HAProxy interval over
/// [`WINDOW`] is exactly this many.
pub const CAPACITY: usize = 600;

/// A rate is the counters' change over at least this long (or since the oldest poll kept):
/// the clock `update` sees moves in whole seconds, so a rate over one 2 s poll could be off by
/// half; over 10 s it is off by a tenth at most.
pub const RATE_BASE: Duration = Duration::seconds(10);

/// One measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// Samples oldest first, never more than [`CAPACITY`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ring {
    samples: VecDeque<Sample>,
}

impl Ring {
    /// Appends a sample, dropping the oldest when full.
    pub fn push(&mut self, at: DateTime<Utc>, value: f64) {
        if self.samples.len() == CAPACITY {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample { at, value });
    }

    /// Drops samples taken before `before`.
    pub fn prune(&mut self, before: DateTime<Utc>) {
        while self.samples.front().is_some_and(|s| s.at < before) {
            self.samples.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn latest(&self) -> Option<Sample> {
        self.samples.back().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter()
    }

    /// The highest sample in each of `n` buckets of `step`, oldest bucket first, the last one
    /// ending at `now`; `None` where a bucket has no sample. Highest, because a spike is what an
    /// operator looks for in a sparkline.
    pub fn buckets(&self, now: DateTime<Utc>, step: Duration, n: usize) -> Vec<Option<f64>> {
        self.bucketed(now, step, n).into_iter().map(|b| b.map(|(max, _, _)| max)).collect()
    }

    /// The mean of each bucket, as [`Ring::buckets`]: for rates, which are averages already.
    pub fn mean_buckets(&self, now: DateTime<Utc>, step: Duration, n: usize) -> Vec<Option<f64>> {
        self.bucketed(now, step, n).into_iter().map(|b| b.map(|(_, sum, count)| sum / count as f64)).collect()
    }

    /// Per bucket: (highest, sum, count).
    fn bucketed(&self, now: DateTime<Utc>, step: Duration, n: usize) -> Vec<Option<(f64, f64, usize)>> {
        let mut out = vec![None; n];
        let ms = step.num_milliseconds().max(1);
        for s in &self.samples {
            let ago = (now - s.at).num_milliseconds();
            if ago < 0 {
                continue;
            }
            let back = (ago / ms) as usize;
            if back >= n {
                continue;
            }
            let slot = &mut out[n - 1 - back];
            *slot = Some(match *slot {
                None => (s.value, s.value, 1),
                Some((max, sum, count)) => (f64::max(max, s.value), sum + s.value, count + 1),
            });
        }
        out
    }
}

/// HAProxy's counters for one server at one poll.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Counters {
    at: DateTime<Utc>,
    requests: u64,
    errors: u64,
}

/// One HAProxy server's traffic over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traffic {
    /// Requests per second.
    pub requests: Ring,
    /// 5xx responses per second.
    pub errors: Ring,
    /// Recent polls, oldest first: the base the next rate is computed from.
    polls: VecDeque<Counters>,
}

impl Traffic {
    /// Takes in one poll's counters and, when there is an older poll to compare with, records
    /// the rates since it.
    pub fn observe(&mut self, at: DateTime<Utc>, requests: u64, errors: u64) {
        let now = Counters { at, requests, errors };
        match self.polls.back_mut() {
            // HAProxy reloaded: its counters start again from zero, so nothing before is a base.
            Some(last) if requests < last.requests || errors < last.errors => self.polls.clear(),
            // Two polls within one tick of the clock: keep the newer counts, no rate yet.
            Some(last) if at <= last.at => {
                *last = Counters { at: last.at, ..now };
                return;
            }
            _ => {}
        }
        self.polls.push_back(now);
        // Keep the youngest poll that is at least RATE_BASE old as the base.
        while self.polls.len() > 2 && self.polls.get(1).is_some_and(|p| at - p.at >= RATE_BASE) {
            self.polls.pop_front();
        }
        let Some(base) = self.polls.front().copied().filter(|b| b.at < at) else { return };
        let secs = (at - base.at).num_milliseconds() as f64 / 1000.0;
        self.requests.push(at, (requests - base.requests) as f64 / secs);
        self.errors.push(at, (errors - base.errors) as f64 / secs);
    }

    fn prune(&mut self, before: DateTime<Utc>) {
        self.requests.prune(before);
        self.errors.prune(before);
        while self.polls.len() > 1 && self.polls.front().is_some_and(|p| p.at < before) {
            self.polls.pop_front();
        }
    }

    fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.errors.is_empty()
    }
}

/// HAProxy has one server per slot and host: `(env, service, slot, host)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerKey {
    pub env: String,
    pub service: String,
    pub slot: String,
    pub host: String,
}

impl ServerKey {
    pub fn of(slot: &SlotId) -> ServerKey {
        ServerKey {
            env: slot.env.clone(),
            service: slot.service.clone(),
            slot: slot.slot.clone(),
            host: slot.host.clone(),
        }
    }
}

/// Every slot's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// `/health` latency in milliseconds, per slot (per host).
    pub latency: BTreeMap<SlotId, Ring>,
    pub traffic: BTreeMap<ServerKey, Traffic>,
}

impl History {
    pub fn record_latency(&mut self, slot: &SlotId, at: DateTime<Utc>, ms: f64) {
        self.latency.entry(slot.clone()).or_default().push(at, ms);
    }

    pub fn record_counters(&mut self, key: ServerKey, at: DateTime<Utc>, requests: u64, errors: u64) {
        self.traffic.entry(key).or_default().observe(at, requests, errors);
    }

    /// Forgets what is older than [`WINDOW`], and slots with nothing left (containers long gone).
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let before = now - WINDOW;
        self.latency.retain(|_, ring| {
            ring.prune(before);
            !ring.is_empty()
        });
        self.traffic.retain(|_, t| {
            t.prune(before);
            !t.is_empty() || t.polls.back().is_some_and(|p| p.at >= before)
        });
    }

    pub fn traffic_of(&self, slot: &SlotId) -> Option<&Traffic> {
        self.traffic.get(&ServerKey::of(slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gen_now;

    fn secs(n: i64) -> DateTime<Utc> {
        gen_now() + Duration::seconds(n)
    }

    #[test]
    fn a_ring_never_holds_more_than_its_capacity() {
        let mut ring = Ring::default();
        for i in 0..(CAPACITY as i64 + 250) {
            ring.push(secs(i), i as f64);
        }
        assert_eq!(ring.len(), CAPACITY);
        assert_eq!(ring.iter().next().map(|s| s.value), Some(250.0), "the oldest went first");
        assert_eq!(ring.latest().map(|s| s.value), Some((CAPACITY + 249) as f64));
    }

    #[test]
    fn prune_forgets_what_is_older_than_the_window_and_empty_slots() {
        let mut h = History::default();
        let slot = SlotId {
            env: "prod".into(),
            service: "api".into(),
            slot: "blue".into(),
            host: "prod-1".into(),
            replica: String::new(),
        };
        h.record_latency(&slot, secs(0), 5.0);
        h.record_latency(&slot, secs(300), 6.0);
        h.prune(secs(0) + WINDOW + Duration::seconds(1));
        assert_eq!(h.latency[&slot].len(), 1);
        h.prune(secs(300) + WINDOW + Duration::seconds(1));
        assert!(h.latency.is_empty(), "a slot with nothing left is forgotten");
    }

    #[test]
    fn rates_come_from_counter_deltas() {
        let mut t = Traffic::default();
        t.observe(secs(0), 1000, 10);
        assert!(t.requests.is_empty(), "one poll is no rate");
        t.observe(secs(2), 1040, 12);
        assert_eq!(t.requests.latest().map(|s| s.value), Some(20.0));
        assert_eq!(t.errors.latest().map(|s| s.value), Some(1.0));
        // Polls every 2 s at 20 req/s: the base stays at least RATE_BASE behind.
        for i in 2..=10 {
            t.observe(secs(2 * i), 1000 + 40 * i as u64, 12);
        }
        assert!(t.polls.len() <= 7, "old polls are dropped: {}", t.polls.len());
        assert_eq!(t.requests.latest().map(|s| s.value), Some(20.0));
        assert_eq!(t.errors.latest().map(|s| s.value), Some(0.0), "no new 5xx since the base");
    }

    #[test]
    fn a_counter_reset_on_reload_is_not_a_negative_rate() {
        let mut t = Traffic::default();
        t.observe(secs(0), 5000, 40);
        t.observe(secs(2), 5100, 40);
        t.observe(secs(4), 30, 0); // HAProxy reloaded
        assert_eq!(t.requests.len(), 1, "no rate from across the reload");
        assert!(t.requests.iter().all(|s| s.value >= 0.0));
        t.observe(secs(6), 90, 3);
        assert_eq!(t.requests.latest().map(|s| s.value), Some(30.0));
        assert_eq!(t.errors.latest().map(|s| s.value), Some(1.5));
    }

    #[test]
    fn two_polls_in_one_tick_wait_for_the_clock() {
        let mut t = Traffic::default();
        t.observe(secs(0), 100, 0);
        t.observe(secs(0), 110, 0);
        assert!(t.requests.is_empty());
        t.observe(secs(1), 120, 0);
        assert_eq!(t.requests.latest().map(|s| s.value), Some(10.0), "from the newer counts of the first tick");
    }

    #[test]
    fn buckets_keep_the_highest_sample_oldest_first() {
        let mut ring = Ring::default();
        ring.push(secs(0), 1.0);
        ring.push(secs(3), 7.0);
        ring.push(secs(4), 2.0);
        ring.push(secs(19), 4.0);
        let b = ring.buckets(secs(20), Duration::seconds(5), 5);
        assert_eq!(b, vec![Some(1.0), Some(7.0), None, None, Some(4.0)]);
        let mean = ring.mean_buckets(secs(20), Duration::seconds(5), 5);
        assert_eq!(mean, vec![Some(1.0), Some(4.5), None, None, Some(4.0)]);
    }
}
