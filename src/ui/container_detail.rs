//! The container detail overlay (Enter on a slot): what `docker inspect` says about the slot's
//! container and its image (tag, digest, created), its state, restarts, HEALTHCHECK log, ports,
//! labels and environment, secret values masked (by `update`, before the model kept them).

use super::common::{centered, fit_line, wrap_line, PENDING};
use crate::model::container::{image_digest, image_tag, ContainerView, DetailState};
use crate::model::short_age;
use crate::model::Model;
use crate::theme::Theme;
use chrono::{DateTime, Utc};
use opsdeck_backends::types::ContainerDetail;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget};

/// Widest the box gets: wide enough for a full digest and a health log line.
const MAX_WIDTH: u16 = 110;

pub fn render(model: &Model, view: &ContainerView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let rect = centered(area, area.width.saturating_sub(4).min(MAX_WIDTH), area.height.saturating_sub(2));
    Clear.render(rect, buf);
    let live = model.world.live_slot(&view.slot.env, &view.slot.service).is_some_and(|l| l == view.slot.slot);
    let title = format!(
        " Container {} · {} · {}{} ",
        view.name,
        view.slot.host,
        view.slot.slot,
        if live { " live" } else { "" }
    );
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(Line::styled(title, theme.focus_title))
        .padding(Padding::horizontal(1));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [body, keys] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let width = usize::from(body.width);
    let lines = match &view.state {
        DetailState::Loading => vec![Line::styled(format!("{PENDING} inspecting {} …", view.container_id), theme.dim)],
        DetailState::Failed(reason) => vec![
            Line::styled(format!("✗ {reason}"), theme.crit),
            Line::styled(format!("{} could not be inspected on {}", view.name, view.slot.host), theme.dim),
        ],
        DetailState::Loaded(d) => detail_lines(model, d, theme),
    };
    // Wrapped, not cut: a digest or an env value is read whole or not at all.
    let lines: Vec<Line<'_>> = lines.into_iter().flat_map(|l| wrap_line(l, width)).collect();
    let max_scroll = (lines.len() as u16).saturating_sub(body.height);
    let scroll = view.scroll.min(max_scroll);
    Paragraph::new(lines).scroll((scroll, 0)).render(body, buf);
    let more = if max_scroll > 0 { format!(" · line {}/{}", scroll + 1, max_scroll + 1) } else { String::new() };
    let hint = Line::styled(format!("Esc close · ↑↓ scroll{more}"), theme.dim);
    Paragraph::new(fit_line(hint, usize::from(keys.width))).render(keys, buf);
}

fn detail_lines<'a>(model: &Model, d: &ContainerDetail, theme: &Theme) -> Vec<Line<'a>> {
    let when = |t: Option<DateTime<Utc>>| {
        t.map_or("–".to_string(), |t| {
            format!("{} ({} ago)", t.format("%Y-%m-%d %H:%M:%S UTC"), short_age(t, model.world.now))
        })
    };
    let field = |name: &str, value: String| {
        Line::from(vec![Span::styled(format!("{name:<9}"), theme.header), Span::styled(value, theme.text)])
    };
    let mut out = vec![
        field("image", d.image.clone()),
        field("tag", image_tag(d)),
        field("digest", image_digest(d)),
        field("created", when(d.image_created)),
    ];
    let state_style = if d.state == "running" { theme.ok } else { theme.warn };
    let mut state =
        vec![Span::styled(format!("{:<9}", "state"), theme.header), Span::styled(d.state.clone(), state_style)];
    match d.state.as_str() {
        "running" => state.push(Span::styled(format!(" since {}", when(d.started_at)), theme.text)),
        _ => state.push(Span::styled(
            format!(" exit {} at {}", d.exit_code.unwrap_or_default(), when(d.finished_at)),
            theme.text,
        )),
    }
    out.push(Line::from(state));
    let restarts_style = if d.restart_count > 0 { theme.warn } else { theme.text };
    let mut health = vec![
        Span::styled(format!("{:<9}", "restarts"), theme.header),
        Span::styled(d.restart_count.to_string(), restarts_style),
    ];
    if let Some(h) = &d.health {
        let style = match h.as_str() {
            "healthy" => theme.ok,
            "unhealthy" => theme.crit,
            _ => theme.warn,
        };
        health.push(Span::styled(" · HEALTHCHECK ", theme.dim));
        health.push(Span::styled(h.clone(), style));
        if d.failing_streak > 0 {
            health.push(Span::styled(format!(" ({} failing in a row)", d.failing_streak), theme.crit));
        }
    }
    out.push(Line::from(health));
    if !d.error.is_empty() {
        out.push(field("error", d.error.clone()));
    }
    out.push(field("ports", if d.ports.is_empty() { "none".into() } else { d.ports.join(", ") }));
    out.push(field("id", d.id.chars().take(12).collect()));
    out.push(Line::default());
    out.push(Line::styled(format!("health log (last {})", d.health_log.len()), theme.header));
    if d.health_log.is_empty() {
        out.push(Line::styled("  no HEALTHCHECK runs", theme.dim));
    }
    for p in &d.health_log {
        let at = p
            .start
            .map_or("–".to_string(), |t| format!("{} ({} ago)", t.format("%H:%M:%S"), short_age(t, model.world.now)));
        let style = if p.exit_code == 0 { theme.text } else { theme.crit };
        out.push(Line::from(vec![
            Span::styled(format!("  {at}  "), theme.dim),
            Span::styled(format!("exit {}  ", p.exit_code), style),
            if p.output.is_empty() {
                Span::styled("(no output)", theme.dim)
            } else {
                Span::styled(p.output.clone(), theme.text)
            },
        ]));
    }
    out.push(Line::default());
    out.push(Line::styled(format!("labels ({})", d.labels.len()), theme.header));
    let key_width = d.labels.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    for (k, v) in &d.labels {
        out.push(Line::from(vec![
            Span::styled(format!("  {k:<key_width$}  "), theme.dim),
            Span::styled(v.clone(), theme.text),
        ]));
    }
    out.push(Line::default());
    out.push(Line::styled(format!("environment ({})", d.env.len()), theme.header));
    let name_width = d.env.iter().map(|v| v.name.chars().count()).max().unwrap_or(0);
    for v in &d.env {
        out.push(Line::from(vec![
            Span::styled(format!("  {:<name_width$}  ", v.name), theme.dim),
            Span::styled(v.value.clone(), theme.text),
        ]));
    }
    out
}
