//! The Environments pane: services down, environments across in ladder order. Each cell says
//! what runs live (tag, slot), how healthy it is and how far it lags the environment before it;
//! the lines under the table explain the selected cell.

use super::columns::{self, Column};
use super::common::{self, health_glyph, health_style, pane_block, reason_age, PENDING};
use crate::model::views::{Health, ServiceCell};
use crate::model::{short_age, Model, Reach};
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, StatefulWidget, Table, TableState, Widget};

/// How many levels of detail a cell has, from "v1.2.0 blue ● ↓1" to "v1.2.0 ●".
const LEVELS: usize = 4;

/// A cell's variant at `level`, or its least detailed one when it has fewer.
fn at_level<'a>(variants: &[Line<'a>], level: usize) -> Line<'a> {
    variants.get(level).or(variants.last()).cloned().unwrap_or_default()
}

/// Lines under the table for the selected cell: what it runs, and why it is not healthy.
pub const DETAIL_LINES: u16 = 2;

/// Rows the pane needs to show everything: borders, header, one row per service, details.
pub fn wanted_height(model: &Model) -> u16 {
    let header =
        if model.world.config.environments.iter().any(|e| !down_hosts(model, &e.name).is_empty()) { 2 } else { 1 };
    2 + header + model.world.config.services.len() as u16 + DETAIL_LINES
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer, focused: bool) -> Option<super::hits::Rows> {
    let envs: Vec<&str> = model.world.config.environments.iter().map(|e| e.name.as_str()).collect();
    let services: Vec<&str> = model.world.config.services.iter().map(|s| s.name.as_str()).collect();
    let env_col = model.ui.env_col.min(envs.len().saturating_sub(1));

    // The title depends on how many environments fit, so the frame is drawn after fitting.
    let inner = pane_block(Line::default(), theme, focused).inner(area);
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(DETAIL_LINES)]).areas(inner);
    let row = model.ui.service_row.min(services.len().saturating_sub(1));
    let window = columns::visible(services.len(), row, table_area.height);
    let cols = table_columns(model, theme, &envs, &services[window.clone()], env_col, inner.width);

    let fitted = columns::fit(cols, table_area.width, theme);
    let shown = fitted.kept.len().saturating_sub(1);
    let title = if shown < envs.len() {
        common::pane_title("Environments", Some(&format!("{shown}/{} envs", envs.len())))
    } else {
        common::pane_title("Environments", None)
    };
    pane_block(title, theme, focused).render(area, buf);

    if services.is_empty() {
        Paragraph::new(Line::styled("no services configured", theme.dim)).render(table_area, buf);
        return None;
    }
    let selected_col = fitted.position(env_col + 1);
    let mut state = TableState::default().with_selected_cell(selected_col.map(|c| (row - window.start, c)));
    let highlight = if focused { theme.selected } else { theme.selected_blur };
    let table = Table::new(fitted.rows, fitted.widths.clone()).header(fitted.header).cell_highlight_style(highlight);
    StatefulWidget::render(table, table_area, buf, &mut state);

    if let (Some(service), Some(env)) = (services.get(row), envs.get(env_col)) {
        detail(model, theme, env, service, detail_area.width).render(detail_area, buf);
    }
    let rows = super::hits::Rows::new(table_area, fitted.header_height, window.start + state.offset(), window.end);
    Some(rows.with_columns(&fitted.widths, &fitted.kept))
}

/// The service column, then one column per environment, all at the same level of detail.
fn table_columns<'a>(
    model: &Model,
    theme: &Theme,
    envs: &[&str],
    services: &[&str],
    env_col: usize,
    width: u16,
) -> Vec<Column<'a>> {
    let mut service_col = Column::new("service", 0, 3).max(20);
    for s in services {
        service_col.push(vec![Line::from(s.to_string()), Line::from(common::truncate(s, 8))]);
    }
    let cells: Vec<Vec<Vec<Line>>> =
        envs.iter().map(|env| services.iter().map(|svc| cell_variants(model, theme, env, svc)).collect()).collect();
    let headers: Vec<Text> = envs.iter().map(|env| env_header(model, theme, env)).collect();
    // Every environment column shows the same level of detail, the most that fits them all,
    // so the ladder reads straight across.
    let fits = |level: usize| {
        let envs_width: usize = cells
            .iter()
            .zip(&headers)
            .map(|(col, header)| {
                let widest = col.iter().map(|v| at_level(v, level).width()).max().unwrap_or(0);
                widest.max(header.width()) + usize::from(columns::GAP)
            })
            .sum();
        usize::from(service_col.compact()) + envs_width <= usize::from(width)
    };
    let level = (0..LEVELS).find(|l| fits(*l)).unwrap_or(LEVELS - 1);
    let mut cols = vec![service_col];
    for (i, (col_cells, header)) in cells.into_iter().zip(headers).enumerate() {
        // The environments nearest the selected one stay when space runs out.
        let priority = 1 + i.abs_diff(env_col).min(250) as u8;
        let mut col = Column::new(header, priority, 8);
        for variants in col_cells {
            col.push(vec![at_level(&variants, level)]);
        }
        cols.push(col);
    }
    cols
}

/// Hosts of `env` that do not answer, with how long they have not.
fn down_hosts<'a>(model: &'a Model, env: &str) -> Vec<(&'a str, String)> {
    model
        .world
        .hosts
        .iter()
        .filter(|(id, _)| id.env == env)
        .filter_map(|(id, h)| common::down_age(model, &h.reach).map(|age| (id.host.as_str(), age)))
        .collect()
}

/// The environment's name, in its colour when it has one, and under it any host that does not
/// answer ("✗ prod-2 42s").
fn env_header<'a>(model: &Model, theme: &Theme, env: &str) -> Text<'a> {
    let down = down_hosts(model, env);
    let mut lines = vec![Line::styled(env.to_string(), theme.env_name(model.env_color(env)))];
    if let Some((first, age)) = down.first() {
        let more = if down.len() > 1 { format!(" +{}", down.len() - 1) } else { String::new() };
        lines.push(Line::styled(format!("✗ {first}{more} {age}"), theme.warn));
    }
    Text::from(lines)
}

/// Whether nothing about `env` has arrived yet.
fn env_pending(model: &Model, env: &str) -> bool {
    let hosts_pending =
        model.world.hosts.iter().filter(|(id, _)| id.env == env).all(|(_, h)| h.reach == Reach::Pending);
    hosts_pending && model.world.lbs.get(env).is_none_or(|lb| lb.reach == Reach::Pending)
}

/// Marks a service/environment that an action holds the lock on (one action at a time).
pub const LOCK_GLYPH: &str = "◆";

/// Marks a cell whose HAProxy disagrees with its running slot.
pub const MISMATCH_GLYPH: &str = "⇄";

/// Marks a service/environment with a request waiting for approval.
pub const PENDING_GLYPH: &str = "◇";

/// A cell's content from most to least detailed, "◆" appended while an action holds its lock,
/// "◇" while a request for it waits for approval, "⇄" while HAProxy disagrees with the running
/// slot.
fn cell_variants<'a>(model: &Model, theme: &Theme, env: &str, service: &str) -> Vec<Line<'a>> {
    let cell = model.world.cell(env, service);
    let variants = cell_content(model, theme, env, cell.as_deref());
    let mark = if model.world.actions.lock(service, env).is_some() {
        LOCK_GLYPH
    } else if model.world.pending_request(service, env).is_some() {
        PENDING_GLYPH
    } else if cell.is_some_and(|c| c.lb_mismatch.is_some()) {
        MISMATCH_GLYPH
    } else {
        return variants;
    };
    let n = variants.len();
    variants
        .into_iter()
        .enumerate()
        .map(|(level, mut line)| {
            // The roomier levels keep a space before the mark; the compact ones do not.
            let sep = if level == 0 || level + 2 < n { " " } else { "" };
            line.spans.push(Span::styled(format!("{sep}{mark}"), theme.warn));
            line
        })
        .collect()
}

/// A cell's content from most to least detailed: "v1.2.0 blue ● ↓1" down to "v1.2.0 ●".
fn cell_content<'a>(model: &Model, theme: &Theme, env: &str, cell: Option<&ServiceCell>) -> Vec<Line<'a>> {
    let Some(cell) = cell else {
        // The service is not routed in this environment.
        return vec![Line::styled("–", theme.dim)];
    };
    let style = health_style(theme, cell.health);
    let glyph = Span::styled(health_glyph(cell.health), style);
    let Some(image) = &cell.image else {
        if env_pending(model, env) {
            return vec![Line::styled(PENDING, theme.dim)];
        }
        return match (cell.health, &cell.live_slot) {
            (Health::Unreachable, _) => vec![
                Line::from(vec![glyph, Span::styled(" unreachable", style)]),
                Line::from(health_glyph(cell.health)).style(style),
            ],
            (_, Some(slot)) => vec![Line::from(vec![Span::styled(format!("? {slot} "), theme.dim), glyph])],
            (_, None) => vec![Line::styled("– none live", theme.dim), Line::styled("–", theme.dim)],
        };
    };
    let tag = if image.tag.is_empty() { image.short_digest().to_string() } else { image.tag.clone() };
    let tag_style = if cell.health == Health::Healthy { theme.text } else { style };
    let slot = cell.live_slot.clone().unwrap_or_default();
    let initial: String = slot.chars().take(1).collect();
    let drift = match cell.drift {
        Some(d) if d > 0 => format!("↓{d}"),
        _ => String::new(),
    };
    let tag_span = || Span::styled(tag.clone(), tag_style);
    let drift_span = |sep: &str| {
        if drift.is_empty() {
            Span::raw("")
        } else {
            Span::styled(format!("{sep}{drift}"), theme.warn)
        }
    };
    // With several hosts, how many of them serve the live slot healthy: `2/2`.
    let (healthy, hosts) = cell.healthy_hosts();
    let count = match hosts {
        0 | 1 => Span::raw(""),
        _ => Span::styled(format!(" {healthy}/{hosts}"), if healthy == hosts { theme.dim } else { style }),
    };
    vec![
        Line::from(vec![
            tag_span(),
            Span::styled(format!(" {slot} "), theme.dim),
            glyph.clone(),
            count,
            drift_span(" "),
        ]),
        // Narrower levels leave the count to the line under the table.
        Line::from(vec![tag_span(), Span::styled(format!(" {initial} "), theme.dim), glyph.clone(), drift_span("")]),
        Line::from(vec![tag_span(), Span::raw(" "), glyph.clone(), drift_span("")]),
        Line::from(vec![tag_span(), Span::raw(" "), glyph]),
    ]
}

/// The two lines under the table: what the selected cell runs (and holds for rollback), and
/// why it is not healthy, with for how long when a host is down, after who holds its lock.
fn detail<'a>(model: &Model, theme: &Theme, env: &str, service: &str, width: u16) -> Paragraph<'a> {
    let fit = |line: Line<'a>| common::fit_line(line, usize::from(width));
    let Some(cell) = model.world.cell(env, service) else {
        return Paragraph::new(fit(Line::styled(format!("{service} is not routed in {env}"), theme.dim)));
    };
    let what = summary(model, &cell);
    let style = health_style(theme, cell.health);
    let health = if !cell.reason.is_empty() {
        let age = reason_age(model, env, &cell.reason).map(|a| format!(" ({a})")).unwrap_or_default();
        Span::styled(format!("{} {}{age}", health_glyph(cell.health), cell.reason), style)
    } else if cell.image.is_none() && env_pending(model, env) {
        Span::styled(format!("{PENDING} waiting for {env}"), theme.dim)
    } else {
        Span::styled(format!("{} {}", health_glyph(cell.health), cell.health.as_str()), style)
    };
    let mut second = vec![health];
    if let Some(m) = &cell.lb_mismatch {
        second.insert(0, Span::styled(format!("{MISMATCH_GLYPH} {} · ", m.message), theme.warn));
    }
    if let Some(r) = model.world.pending_request(service, env) {
        let what = format!("{PENDING_GLYPH} request #{} by {} waits for approval · ", r.id, r.requested_by);
        second.insert(0, Span::styled(what, theme.notice));
    }
    if let Some(lock) = model.world.actions.lock(service, env) {
        let who = format!("{LOCK_GLYPH} locked by {} {} · ", lock.holder.user, short_age(lock.since, model.world.now));
        second.insert(0, Span::styled(who, theme.warn));
    }
    Paragraph::new(vec![fit(Line::styled(what, theme.text)), fit(Line::from(second))])
}

/// "api/prod: blue v1.2.0 8a1b0c7 · idle green v1.1.0 · 1 behind staging"
fn summary(model: &Model, cell: &ServiceCell) -> String {
    let mut out = format!("{}/{}:", cell.service, cell.env);
    match (&cell.live_slot, &cell.image) {
        (Some(slot), Some(image)) => out.push_str(&format!(" {slot} {} {}", image.tag, image.short_digest())),
        (Some(slot), None) => out.push_str(&format!(" {slot}")),
        (None, _) if env_pending(model, &cell.env) => out.push_str(&format!(" {PENDING}")),
        (None, _) => out.push_str(" nothing live"),
    }
    if let (healthy, hosts @ 2..) = cell.healthy_hosts() {
        out.push_str(&format!(" · {healthy}/{hosts} hosts healthy"));
    }
    if let (Some(slot), Some(idle)) = (&cell.live_slot, &cell.idle_image) {
        out.push_str(&format!(" · idle {} {}", crate::model::views::other_slot(slot), idle.tag));
        // Warm: still running, so a rollback is a switch.
        if let Some(until) = cell.idle_warm_until {
            out.push_str(&format!(" warm {}", short_age(model.world.now, until)));
        }
    }
    if let Some(d) = cell.drift.filter(|d| *d > 0) {
        let envs = &model.world.config.environments;
        let prev =
            envs.iter().position(|e| e.name == cell.env).and_then(|i| i.checked_sub(1)).and_then(|i| envs.get(i));
        if let Some(prev) = prev {
            out.push_str(&format!(" · {d} behind {}", prev.name));
        }
    }
    if let Some(at) = model
        .world
        .health
        .iter()
        .filter(|(id, _)| id.env == cell.env && id.service == cell.service)
        .map(|(_, e)| e.at)
        .max()
    {
        out.push_str(&format!(" · checked {} ago", short_age(at, model.world.now)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pane;
    use crate::ui::tests::{find, focused, pane};
    use insta::assert_snapshot;
    use std::sync::Arc;

    /// Environments pane alone at 80x24, focused, the unhealthy staging web cell selected.
    #[test]
    fn envs_80x24() {
        assert_snapshot!(pane(&focused(Pane::Environments), 80, 24, render, true));
    }

    /// Environments pane alone at 160x48, focused, the unhealthy staging web cell selected.
    #[test]
    fn envs_160x48() {
        assert_snapshot!(pane(&focused(Pane::Environments), 160, 48, render, true));
    }

    /// Environments pane at 40x10 with six environments: the selected one and its nearest
    /// neighbours stay, the rest are dropped whole and the title says how many are shown.
    #[test]
    fn envs_many_environments_narrow() {
        let mut m = focused(Pane::Environments);
        let mut config = (*m.world.config).clone();
        for name in ["qa", "perf", "canary"] {
            let mut env = config.environments[0].clone();
            env.name = name.into();
            config.environments.insert(1, env);
        }
        m.world.config = Arc::new(config);
        m.ui.env_col = 4;
        assert_snapshot!(pane(&m, 40, 10, render, true));
    }

    /// A cell with a request waiting carries the pending mark, and its detail line names the
    /// request and who asked.
    #[test]
    fn envs_pending_request_cell() {
        let mut m = crate::test_support::gen_approvals_model();
        (m.ui.service_row, m.ui.env_col) = (0, 2);
        let backend = pane(&m, 80, 8, render, true);
        let text = backend.to_string();
        assert!(text.contains("request #9 by carol waits for approval"), "{text}");
        let marked: Vec<&str> = text.lines().filter(|l| l.contains(PENDING_GLYPH)).collect();
        assert_eq!(marked.len(), 2, "the api row and the detail line:\n{text}");
        assert!(marked[0].contains("api"), "{text}");
    }

    /// A locked cell carries the lock mark (warn), and its detail line says who holds the lock
    /// and for how long.
    #[test]
    fn envs_locked_cell() {
        let theme = Theme::default();
        let mut m = crate::test_support::gen_actions_model();
        (m.ui.service_row, m.ui.env_col) = (0, 2);
        let backend = pane(&m, 80, 12, render, true);
        let buf = backend.buffer();
        let (x, y) = find(buf, LOCK_GLYPH).unwrap_or_else(|| panic!("no lock mark:\n{backend}"));
        assert_eq!(buf[(x, y)].fg, theme.warn.fg.unwrap_or_default());
        assert_eq!(y, find(buf, "api ").expect("api row").1, "the mark is in the api row");
        let text = backend.to_string();
        assert!(text.contains("◆ locked by alice 14s · ● healthy"), "{text}");
        // Only api/prod is locked.
        assert_eq!(text.matches(LOCK_GLYPH).count(), 2, "{text}");
    }

    /// Colour: the unhealthy staging web cell is crit, the unreachable prod cells warn, and the
    /// selected cell is drawn with the selection style.
    #[test]
    fn envs_cell_styles() {
        let theme = Theme::default();
        let m = focused(Pane::Environments);
        let backend = pane(&m, 80, 24, render, true);
        let buf = backend.buffer();
        let web_row = find(buf, "web ").expect("web row").1;
        let staging_x = find(buf, "staging").expect("staging header").0;
        let unhealthy = (staging_x..80).find(|x| buf[(*x, web_row)].symbol() == "▲").expect("▲ in the web row");
        assert_eq!(buf[(unhealthy, web_row)].fg, theme.crit.fg.unwrap_or_default());
        // The selected cell is reversed over its own colours.
        assert!(buf[(unhealthy, web_row)].modifier.contains(ratatui::style::Modifier::REVERSED));
        let prod_x = find(buf, "prod ").expect("prod header").0;
        let unreachable = (prod_x..80).find(|x| buf[(*x, web_row)].symbol() == "✗").expect("✗ in prod");
        assert_eq!(buf[(unreachable, web_row)].fg, theme.warn.fg.unwrap_or_default());
        let healthy = (0..staging_x).find(|x| buf[(*x, web_row)].symbol() == "●").expect("● in dev");
        assert_eq!(buf[(healthy, web_row)].fg, theme.ok.fg.unwrap_or_default());
    }
}
