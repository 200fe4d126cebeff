//! The Health pane: every slot of the selected environment on every host, with HAProxy's view,
//! Docker's view and the service's own `/health` answer side by side, live slots first.

use super::columns::{self, Column};
use super::common::{self, health_glyph, health_style, pane_block, reason_age, PENDING};
use crate::model::views::{Health, SlotRow};
use crate::model::{HostId, Model, Reach};
use crate::theme::Theme;
use crate::ui::hits::Rows;
use opsdeck_backends::types::{AdminState, DockerHealth};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, StatefulWidget, Table, TableState, Widget};
use std::collections::HashSet;

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer, focused: bool) -> Option<Rows> {
    let env = model.selected_env();
    let keys = model.world.slot_keys(env);
    let problems = env.map(|e| model.world.live_problems(e)).unwrap_or_default();
    let subject = match (env, problems) {
        (Some(e), 0) => e.to_string(),
        (Some(e), n) => format!("{e} · {n} not healthy"),
        (None, _) => String::new(),
    };
    let block = pane_block(common::pane_title("Health", env.map(|_| subject.as_str())), theme, focused);
    let inner = block.inner(area);
    block.render(area, buf);
    if keys.is_empty() {
        Paragraph::new(Line::styled("no slots in this environment", theme.dim)).render(inner, buf);
        return None;
    }

    let selected = model.ui.health_row.min(keys.len() - 1);
    // The selected slot's whole story on one line: what the columns left out or cut short.
    let [table_area, detail_area] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let shown = columns::visible(keys.len(), selected, table_area.height);
    let live: HashSet<(&str, &str)> =
        keys.iter().filter(|k| k.live).map(|k| (k.id.env.as_str(), k.id.service.as_str())).collect();
    let rows: Vec<SlotRow> = keys[shown.clone()].iter().map(|k| model.world.slot_row(k)).collect();
    let fitted = columns::fit(slot_columns(model, theme, &rows, &live), inner.width, theme);
    let styles = rows.iter().map(|r| if r.live { theme.text } else { theme.dim });
    let table_rows: Vec<_> = fitted.rows.into_iter().zip(styles).map(|(row, s)| row.style(s)).collect();
    let highlight = if focused { theme.selected } else { theme.selected_blur };
    let mut state = TableState::default().with_selected(Some(selected - shown.start));
    let hits = Rows::new(table_area, fitted.header_height, shown.start, shown.end);
    let table = Table::new(table_rows, fitted.widths).header(fitted.header).row_highlight_style(highlight);
    StatefulWidget::render(table, table_area, buf, &mut state);

    let line = detail_line(model, theme, &rows[selected - shown.start]);
    Paragraph::new(common::fit_line(line, usize::from(detail_area.width))).render(detail_area, buf);
    Some(Rows { first: hits.first + state.offset(), ..hits })
}

/// Everything about the selected slot on one line:
/// "prod-2 blue: docker: no answer within 3s (42s) · haproxy UP ready 3/1200 5xx:2".
fn detail_line<'a>(model: &Model, theme: &Theme, row: &SlotRow) -> Line<'a> {
    let (health, style) = shown_health(theme, row);
    let reason = reason(model, row);
    let verdict = if !reason.is_empty() {
        reason
    } else if health == Health::Unknown && row.container.is_none() {
        format!("{PENDING} waiting for docker")
    } else {
        health_word(row, health).to_string()
    };
    let who = if row.id.replica.is_empty() {
        format!("{} {}", row.id.host, row.id.slot)
    } else {
        // The task's name says its service, environment and slot already.
        format!("{} on {}", opsdeck_core::text::clean(&row.id.replica), host_shown(row))
    };
    let mut spans = vec![Span::styled(format!("{who}: {verdict}"), style)];
    let mut more = |text: String| spans.push(Span::styled(format!(" · {text}"), theme.dim));
    if row.container.is_some() {
        more(format!("docker {}", docker_variants(model, theme, row)[0]));
    }
    if row.server.is_some() {
        more(format!("haproxy {}", haproxy_variants(model, theme, row)[0]));
    }
    if !row.fields.is_empty() {
        let f: Vec<String> = row.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        more(f.join(" "));
    }
    Line::from(spans)
}

/// A stopped idle slot is the rollback target doing its job, not a failure: it is shown dim
/// instead of as the unhealthy container the model (rightly, for live slots) calls it.
fn idle_and_stopped(row: &SlotRow) -> bool {
    !row.live && row.container.as_ref().is_some_and(|c| !c.is_running())
}

fn shown_health(theme: &Theme, row: &SlotRow) -> (Health, Style) {
    if idle_and_stopped(row) {
        return (Health::Unknown, theme.dim);
    }
    (row.health, health_style(theme, row.health))
}

fn health_word(row: &SlotRow, health: Health) -> &'static str {
    if idle_and_stopped(row) {
        "stopped"
    } else {
        health.as_str()
    }
}

/// The row's reason without the host prefix (the host has its own column), with how long the
/// host has been down when that is the reason.
fn reason(model: &Model, row: &SlotRow) -> String {
    if row.reason.is_empty() || idle_and_stopped(row) {
        return String::new();
    }
    let age = reason_age(model, &row.id.env, &row.reason).map(|a| format!(" ({a})")).unwrap_or_default();
    let prefix = format!("{}: ", row.id.host);
    let task = format!("{}: ", row.id.replica);
    let bare = row.reason.strip_prefix(&prefix).or_else(|| row.reason.strip_prefix(&task)).unwrap_or(&row.reason);
    format!("{bare}{age}")
}

/// The slot column: the slot, and a task's number in it (`blue.2`) where a slot has replicas.
fn slot_shown(row: &SlotRow) -> String {
    match row.id.replica.rsplit_once('.') {
        Some((_, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => format!("{}.{n}", row.id.slot),
        _ => row.id.slot.clone(),
    }
}

/// The host column: a task's node (Swarm places it), else the engine's host.
fn host_shown(row: &SlotRow) -> String {
    let node = row.container.as_ref().filter(|_| !row.id.replica.is_empty());
    match node.and_then(|c| c.label(opsdeck_backends::swarm::NODE_LABEL)) {
        Some(node) => opsdeck_core::text::clean(node).into_owned(),
        None => row.id.host.clone(),
    }
}

fn host_reach<'a>(model: &'a Model, row: &SlotRow) -> Option<&'a Reach> {
    let id = HostId { env: row.id.env.clone(), host: row.id.host.clone() };
    model.world.hosts.get(&id).map(|h| &h.reach)
}

/// The columns of `rows`; `live` names the services (by environment) that have a live slot.
fn slot_columns<'a>(model: &Model, theme: &Theme, rows: &[SlotRow], live: &HashSet<(&str, &str)>) -> Vec<Column<'a>> {
    let mut service = Column::new("svc", 0, 3).max(16);
    let mut slot = Column::new("slot", 0, 5);
    let mut host = Column::new("host", 1, 4).max(16);
    let mut health = Column::new("health", 0, 1);
    let mut haproxy = Column::new("proxy", 2, 4);
    let mut docker = Column::new("docker", 3, 4);
    let mut checked = Column::new("checked", 5, 3);
    let mut reason_col = Column::new("reason", 4, 12).flex();
    let mut fields = Column::new("fields", 6, 12).flex();
    // Slots can only be called idle once we know which one is live.
    let has_live = |r: &SlotRow| live.contains(&(r.id.env.as_str(), r.id.service.as_str()));
    for row in rows {
        let (h, style) = shown_health(theme, row);
        service.push(vec![Line::from(row.id.service.clone())]);
        let name = slot_shown(row);
        slot.push(if row.live {
            vec![Line::from(format!("{name} live")), Line::from(format!("{name}*"))]
        } else if has_live(row) {
            vec![Line::from(format!("{name} idle")), Line::from(name)]
        } else {
            vec![Line::from(name)]
        });
        host.push(vec![Line::from(host_shown(row))]);
        health.push(health_variants(row, h, style));
        haproxy.push(haproxy_variants(model, theme, row));
        docker.push(docker_variants(model, theme, row));
        checked.push(vec![Line::styled(row.checked_age.clone().unwrap_or_default(), theme.dim)]);
        reason_col.push(vec![Line::styled(reason(model, row), style)]);
        let f: Vec<String> = row.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        fields.push(vec![Line::styled(f.join(" "), theme.dim)]);
    }
    let explaining = rows.iter().any(|r| !reason(model, r).is_empty());
    let [latency, requests, errors] = super::health_trend::columns(model, theme, rows, explaining);
    vec![service, slot, host, health, latency, haproxy, docker, requests, errors, checked, reason_col, fields]
}

/// "● healthy 7ms" down to "●".
fn health_variants<'a>(row: &SlotRow, health: Health, style: Style) -> Vec<Line<'a>> {
    if health == Health::Unknown && row.container.is_none() {
        return vec![Line::styled(PENDING, style)];
    }
    let glyph = health_glyph(health);
    let latency = row.latency_ms.filter(|_| !idle_and_stopped(row)).map(|l| format!(" {l}ms")).unwrap_or_default();
    let word = health_word(row, health);
    vec![
        Line::styled(format!("{glyph} {word}{latency}"), style),
        Line::styled(format!("{glyph}{latency}"), style),
        Line::styled(glyph.to_string(), style),
    ]
}

/// HAProxy's server: "UP ready 3/1200 5xx:2" down to "UP".
fn haproxy_variants<'a>(model: &Model, theme: &Theme, row: &SlotRow) -> Vec<Line<'a>> {
    let Some(s) = &row.server else {
        let lb = model.world.lbs.get(&row.id.env).map(|lb| &lb.reach);
        return match lb {
            Some(Reach::Down { .. }) => vec![Line::styled("✗ down", theme.warn), Line::styled("✗", theme.warn)],
            Some(Reach::Up { .. }) => vec![Line::styled("no server", theme.dim), Line::styled("–", theme.dim)],
            _ => vec![Line::styled(PENDING, theme.dim)],
        };
    };
    let admin = match s.admin {
        AdminState::Ready => "ready",
        AdminState::Drain => "drain",
        AdminState::Maint => "maint",
    };
    let style = if s.takes_traffic() || !row.live { theme.text } else { theme.warn };
    let status = s.status.clone();
    vec![
        Line::styled(format!("{status} {admin} {}/{} 5xx:{}", s.current_sessions, s.total_sessions, s.http_5xx), style),
        Line::styled(format!("{status} {admin} {}", s.current_sessions), style),
        Line::styled(format!("{status} {admin}"), style),
        Line::styled(status, style),
    ]
}

/// Docker's state and HEALTHCHECK: "running (healthy)" down to "running".
fn docker_variants<'a>(model: &Model, theme: &Theme, row: &SlotRow) -> Vec<Line<'a>> {
    let Some(c) = &row.container else {
        return match host_reach(model, row) {
            Some(Reach::Down { .. }) => vec![Line::styled("✗ no answer", theme.warn), Line::styled("✗", theme.warn)],
            Some(Reach::Up { .. }) => vec![Line::styled("no container", theme.crit), Line::styled("none", theme.crit)],
            _ => vec![Line::styled(PENDING, theme.dim)],
        };
    };
    let (check, style) = match c.health {
        DockerHealth::None => ("", theme.text),
        DockerHealth::Starting => (" (starting)", theme.warn),
        DockerHealth::Healthy => (" (healthy)", theme.text),
        DockerHealth::Unhealthy => (" (unhealthy)", theme.crit),
    };
    vec![Line::styled(format!("{}{check}", c.state), style), Line::styled(c.state.clone(), style)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pane;
    use crate::test_support::gen_demo_model;
    use crate::ui::tests::{find, focused, pane};
    use insta::assert_snapshot;

    /// Health pane alone at 80x24 for prod, the unreachable prod-2 blue slot selected.
    #[test]
    fn health_80x24() {
        assert_snapshot!(pane(&focused(Pane::Health), 80, 24, render, true));
    }

    /// Health pane alone at 160x48 for prod: HAProxy sessions and 5xx, Docker health, reasons.
    #[test]
    fn health_160x48() {
        assert_snapshot!(pane(&focused(Pane::Health), 160, 48, render, true));
    }

    /// Health pane at 160x12 for staging: the unhealthy web slot's /health reason and fields.
    #[test]
    fn health_staging_wide() {
        let mut m = gen_demo_model();
        m.ui.env_col = 1;
        m.ui.health_row = 2;
        assert_snapshot!(pane(&m, 160, 12, render, false));
    }

    /// Health pane at 160x14 for a replicated prod: a row per task with its node, web's second
    /// task unhealthy and selected, the detail line naming it.
    #[test]
    fn health_swarm_tasks() {
        let mut m = crate::model::Model { world: opsdeck_core::testing::gen_swarm_world(), ..gen_demo_model() };
        (m.ui.env_col, m.ui.health_row) = (2, 4);
        assert_snapshot!(pane(&m, 160, 14, render, true));
    }

    /// Colour: staging's unhealthy web slot is crit, a stopped idle slot is dim, not crit.
    #[test]
    fn health_row_styles() {
        let theme = Theme::default();
        let mut m = gen_demo_model();
        m.ui.env_col = 1;
        let backend = pane(&m, 80, 12, render, false);
        let buf = backend.buffer();
        let (x, y) = find(buf, "▲").expect("unhealthy glyph");
        assert_eq!(buf[(x, y)].fg, theme.crit.fg.unwrap_or_default());
        assert!(find(buf, "web").is_some());
        let (x, y) = find(buf, "○").expect("idle glyph");
        assert!(buf[(x, y)].modifier.contains(ratatui::style::Modifier::DIM));
        assert_ne!(buf[(x, y)].fg, theme.crit.fg.unwrap_or_default());
    }
}
