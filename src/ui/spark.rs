//! Sparklines as text, so they fit in a table cell: one block character per time bucket,
//! newest on the right, scaled to the highest value shown; a bucket with no sample is blank.

use crate::model::history::Ring;
use chrono::{DateTime, Duration, Utc};

/// Each character of a sparkline in the Health pane covers this long.
pub const STEP: Duration = Duration::seconds(15);

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `n` buckets of `ring` up to `now` as `n` characters, each its highest sample.
pub fn spark(ring: &Ring, now: DateTime<Utc>, n: usize) -> String {
    bars(&ring.buckets(now, STEP, n))
}

/// As [`spark`], each bucket its mean (for rates).
pub fn spark_mean(ring: &Ring, now: DateTime<Utc>, n: usize) -> String {
    bars(&ring.mean_buckets(now, STEP, n))
}

/// `values` as bars: zero is the lowest bar (measured, nothing there), any value above zero at
/// least the second, the highest the full block.
pub fn bars(values: &[Option<f64>]) -> String {
    let max = values.iter().flatten().copied().fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) if *v <= 0.0 || max <= 0.0 => BARS[0],
            Some(v) => BARS[((v / max) * 7.0).ceil().clamp(1.0, 7.0) as usize],
        })
        .collect()
}

/// A rate as people read it: `0`, `0.4`, `12`, `1.2k`.
pub fn rate(v: f64) -> String {
    if v <= 0.0 {
        "0".into()
    } else if v < 10.0 {
        format!("{v:.1}")
    } else if v < 1000.0 {
        format!("{v:.0}")
    } else {
        format!("{:.1}k", v / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_highest_and_leave_gaps_blank() {
        assert_eq!(bars(&[Some(0.0), Some(1.0), None, Some(4.0), Some(2.0)]), "▁▃ █▅");
        assert_eq!(bars(&[Some(0.0), Some(0.0)]), "▁▁");
        assert_eq!(bars(&[None, None]), "  ");
    }

    #[test]
    fn rates_read_short() {
        assert_eq!(
            (rate(0.0), rate(0.44), rate(42.4), rate(1234.0)),
            ("0".into(), "0.4".into(), "42".into(), "1.2k".into())
        );
    }
}
