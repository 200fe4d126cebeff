//! The health chart view (`v`), over the panes: one slot's `/health` latency, and its HAProxy
//! server's req/s and 5xx/s, over the history's window, x axis in seconds ago.

use super::common::{fit_line, pane_block};
use super::spark::rate;
use crate::model::history::{Ring, WINDOW};
use crate::model::{Model, SlotId};
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Clear, Dataset, GraphType, LegendPosition, Paragraph, Widget};

pub fn render(model: &Model, slot: &SlotId, theme: &Theme, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let window = WINDOW.num_seconds();
    let live = model.world.live_slot(&slot.env, &slot.service).is_some_and(|l| l == slot.slot);
    let title = format!(
        " Health over time · {}/{} {}{} on {} · last {}m ",
        slot.service,
        slot.env,
        slot.slot,
        if live { " live" } else { "" },
        slot.host,
        window / 60
    );
    let block = pane_block(Line::from(title), theme, true);
    let inner = block.inner(area);
    block.render(area, buf);
    let latency = model.world.history.latency.get(slot);
    let traffic = model.world.history.traffic_of(slot);
    let [summary, top, bottom, keys] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Fill(1), Constraint::Length(1)])
            .areas(inner);
    let width = usize::from(inner.width);
    Paragraph::new(fit_line(summary_line(model, slot, theme), width)).render(summary, buf);
    let hint = Line::styled("Esc/v close · ↑↓ previous/next slot · Enter container detail", theme.dim);
    Paragraph::new(fit_line(hint, width)).render(keys, buf);
    if latency.is_none() && traffic.is_none() {
        let line =
            Line::styled("no samples yet: /health answers and HAProxy polls are recorded as they come in", theme.dim);
        Paragraph::new(fit_line(line, width)).render(top, buf);
        return;
    }
    let lat = points(model, latency);
    chart(&[("latency ms", &lat, theme.ok)], "ms", window, theme).render(top, buf);
    let req = points(model, traffic.map(|t| &t.requests));
    let err = points(model, traffic.map(|t| &t.errors));
    chart(&[("req/s", &req, theme.text), ("5xx/s", &err, theme.crit)], "per s", window, theme).render(bottom, buf);
}

/// "latency 7ms (max 12ms) · 40 req/s · 0 5xx/s (max 3.2)".
fn summary_line<'a>(model: &Model, slot: &SlotId, theme: &Theme) -> Line<'a> {
    let latest = |r: Option<&Ring>| r.and_then(Ring::latest).map(|s| s.value);
    let max = |r: Option<&Ring>| r.and_then(|r| r.iter().map(|s| s.value).reduce(f64::max));
    let latency = model.world.history.latency.get(slot);
    let traffic = model.world.history.traffic_of(slot);
    let (req, err) = (traffic.map(|t| &t.requests), traffic.map(|t| &t.errors));
    let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.0}ms"));
    let per = |v: Option<f64>| v.map_or("–".to_string(), rate);
    let err_style = if latest(err).is_some_and(|v| v > 0.0) { theme.crit } else { theme.text };
    Line::from(vec![
        Span::styled(format!("latency {} (max {})", ms(latest(latency)), ms(max(latency))), theme.text),
        Span::styled(" · ", theme.dim),
        Span::styled(format!("{} req/s (max {})", per(latest(req)), per(max(req))), theme.text),
        Span::styled(" · ", theme.dim),
        Span::styled(format!("{} 5xx/s (max {})", per(latest(err)), per(max(err))), err_style),
    ])
}

/// Samples as (seconds ago, negative; value).
fn points(model: &Model, ring: Option<&Ring>) -> Vec<(f64, f64)> {
    ring.map(|r| r.iter().map(|s| (-((model.world.now - s.at).num_milliseconds() as f64) / 1000.0, s.value)).collect())
        .unwrap_or_default()
}

/// One line of a chart: its legend name, its points, its colour.
type Series<'a> = (&'a str, &'a [(f64, f64)], Style);

fn chart<'a>(series: &[Series<'a>], unit: &'a str, window: i64, theme: &Theme) -> Chart<'a> {
    let top = series.iter().flat_map(|(_, p, _)| p.iter().map(|(_, y)| *y)).fold(0.0_f64, f64::max);
    let top = if top <= 0.0 { 1.0 } else { top * 1.1 };
    let datasets = series
        .iter()
        .map(|(name, data, style)| {
            Dataset::default().name(*name).marker(Marker::Braille).graph_type(GraphType::Line).style(*style).data(data)
        })
        .collect();
    let w = window as f64;
    Chart::new(datasets)
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Percentage(50), Constraint::Percentage(60)))
        .x_axis(
            // Labels, not a title: ratatui draws an x title over the chart's right end, where
            // the newest (most wanted) samples are.
            Axis::default().bounds([-w, 0.0]).style(theme.dim).labels([
                format!("{window}s ago"),
                format!("{}s ago", window / 2),
                "now".to_string(),
            ]),
        )
        .y_axis(Axis::default().title(Line::styled(unit, theme.dim)).bounds([0.0, top]).style(theme.dim).labels([
            "0".to_string(),
            rate(top / 2.0),
            rate(top),
        ]))
}
