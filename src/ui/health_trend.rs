//! The Health pane's sparkline columns: `/health` latency, and HAProxy's req/s and 5xx/s, over
//! the last minutes (each character [`STEP`](super::spark::STEP), newest on the right).

use super::columns::Column;
use super::spark::{rate, spark, spark_mean};
use crate::model::history::Ring;
use crate::model::views::SlotRow;
use crate::model::Model;
use crate::theme::Theme;
use ratatui::text::Line;

/// Latency (kept from 80 columns, before Docker's state), then req/s and 5xx/s (from about 120),
/// which give way to the reasons column while a slot has a problem to explain (`explaining`).
/// Rows without history get blank cells; a column with no history at all is dropped.
pub fn columns<'a>(model: &Model, theme: &Theme, rows: &[SlotRow], explaining: bool) -> [Column<'a>; 3] {
    let rate_priority = if explaining { 5 } else { 4 };
    let mut latency = Column::new("latency", 3, 7);
    let mut requests = Column::new("req/s", rate_priority, 6);
    let mut errors = Column::new("5xx/s", rate_priority, 6);
    let now = model.world.now;
    for row in rows {
        let ring = model.world.history.latency.get(&row.id).filter(|r| !r.is_empty());
        latency.push(match ring {
            Some(r) => [16, 12, 7].iter().map(|n| Line::styled(spark(r, now, *n), theme.text)).collect(),
            None => vec![Line::default()],
        });
        let traffic = model.world.history.traffic_of(&row.id);
        requests.push(rate_cells(traffic.map(|t| &t.requests), model, theme.text));
        let bad = traffic.and_then(|t| t.errors.latest()).is_some_and(|s| s.value > 0.0);
        errors.push(rate_cells(traffic.map(|t| &t.errors), model, if bad { theme.crit } else { theme.dim }));
    }
    [latency, requests, errors]
}

/// "▃▄▅▄▃▂▃▄▅▆▅▄ 42" down to "▄▅▆▅▆▇".
fn rate_cells<'a>(ring: Option<&Ring>, model: &Model, style: ratatui::style::Style) -> Vec<Line<'a>> {
    let Some(ring) = ring.filter(|r| !r.is_empty()) else { return vec![Line::default()] };
    let now = rate(ring.latest().map_or(0.0, |s| s.value));
    let line = |n: usize, value: bool| {
        let spark = spark_mean(ring, model.world.now, n);
        Line::styled(if value { format!("{spark} {now}") } else { spark }, style)
    };
    vec![line(12, true), line(8, true), line(5, true), line(6, false)]
}
