//! The Alerts pane: Alertmanager's alerts, firing before silenced and critical first, with what
//! they concern (service/env), how long they have fired and, when there is room, their summary.

use super::columns::{self, Column};
use super::common::{outage_line, pane_block, pane_title, PENDING};
use crate::model::{short_age, Model, Reach};
use crate::theme::Theme;
use crate::ui::hits::Rows;
use opsdeck_backends::types::Alert;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, StatefulWidget, Table, TableState, Widget};

/// Index of the state column in [`alert_columns`]: when it does not fit, the state moves into
/// the severity column, because "silenced" matters more than the severity of a silenced alert.
const STATE: usize = 4;

/// Labels already shown in their own columns, left out of the "labels" column.
const SHOWN_LABELS: [&str; 4] = ["alertname", "severity", "service", "env"];

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer, focused: bool) -> Option<Rows> {
    // An unconfigured Alertmanager has no alerts to count, whatever is left in the model.
    let rows = if model.world.alerts.configured { model.world.alert_rows() } else { Vec::new() };
    let firing = rows.iter().filter(|a| is_active(a)).count();
    let silenced = rows.len() - firing;
    let subject = match (firing, silenced) {
        (0, 0) => None,
        (f, 0) => Some(format!("{f} firing")),
        (f, s) => Some(format!("{f} firing · {s} silenced")),
    };
    let block = pane_block(pane_title("Alerts", subject.as_deref()), theme, focused);
    let mut inner = block.inner(area);
    block.render(area, buf);

    if !model.world.alerts.configured {
        Paragraph::new(Line::styled("no alertmanager configured", theme.dim)).render(inner, buf);
        return None;
    }
    if let Some(line) = outage_line(model, theme, "alertmanager", &model.world.alerts.reach) {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        Paragraph::new(line).render(top, buf);
        inner = rest;
    }
    if rows.is_empty() {
        let text = match model.world.alerts.reach {
            Reach::Pending => Line::styled(format!("{PENDING} waiting for alertmanager"), theme.dim),
            Reach::Up { .. } => Line::styled("no alerts firing", theme.ok),
            Reach::Down { .. } => Line::default(),
        };
        Paragraph::new(text).render(inner, buf);
        return None;
    }

    let selected = model.ui.alert_row.min(rows.len() - 1);
    let window = columns::visible(rows.len(), selected, inner.height);
    let rows = &rows[window.clone()];
    let mut fitted = columns::fit(alert_columns(model, theme, rows, false), inner.width, theme);
    if !fitted.is_kept(STATE) {
        fitted = columns::fit(alert_columns(model, theme, rows, true), inner.width, theme);
    }
    let styles = rows.iter().map(|a| row_style(theme, a));
    let table_rows: Vec<_> = fitted.rows.into_iter().zip(styles).map(|(row, s)| row.style(s)).collect();
    let highlight = if focused { theme.selected } else { theme.selected_blur };
    let mut state = TableState::default().with_selected(Some(selected - window.start));
    let hits = Rows::new(inner, fitted.header_height, window.start, window.end);
    let table = Table::new(table_rows, fitted.widths).header(fitted.header).row_highlight_style(highlight);
    StatefulWidget::render(table, inner, buf, &mut state);
    Some(Rows { first: hits.first + state.offset(), ..hits })
}

fn is_active(alert: &Alert) -> bool {
    alert.state == "active"
}

fn severity(alert: &Alert) -> &str {
    alert.labels.get("severity").map_or("", String::as_str)
}

/// Critical firing alerts in the crit style: the first thing the eye should land on.
fn row_style(theme: &Theme, alert: &Alert) -> Style {
    match (is_active(alert), severity(alert)) {
        (false, _) => theme.dim,
        (true, "critical") => theme.crit,
        (true, "warning") => theme.warn,
        _ => theme.text,
    }
}

/// "active", or "silenced" for what Alertmanager calls suppressed.
fn state_word(alert: &Alert) -> &str {
    match alert.state.as_str() {
        "suppressed" => "silenced",
        s => s,
    }
}

/// "api/prod", "staging", or "" from the service and env labels.
fn target(alert: &Alert) -> String {
    match (alert.labels.get("service"), alert.labels.get("env")) {
        (Some(s), Some(e)) => format!("{s}/{e}"),
        (Some(x), None) | (None, Some(x)) => x.clone(),
        (None, None) => String::new(),
    }
}

/// With `merged_state`, a silenced alert's severity cell says "sil" and there is no state
/// column (narrow screens).
fn alert_columns<'a>(model: &Model, theme: &Theme, rows: &[&Alert], merged_state: bool) -> Vec<Column<'a>> {
    let mut sev = Column::new("sev", 0, 4);
    let mut name = Column::new("alert", 0, 8).max(32);
    let mut tgt = Column::new("where", 1, 4).max(24);
    let mut age = Column::new("age", 1, 3);
    // Priority 255 with an impossible minimum drops the column when the state is merged.
    let mut state = if merged_state { Column::new("state", 255, u16::MAX) } else { Column::new("state", 2, 8) };
    let mut summary = Column::new("summary", 3, 12).flex();
    let mut labels = Column::new("labels", 4, 12).flex();
    for alert in rows {
        let s = severity(alert);
        let short = match s {
            "critical" => "crit".to_string(),
            "warning" => "warn".to_string(),
            other => other.chars().take(4).collect(),
        };
        sev.push(if merged_state && !is_active(alert) {
            vec![Line::from("sil")]
        } else {
            vec![Line::from(s.to_string()), Line::from(short)]
        });
        name.push(vec![Line::from(alert.name.clone())]);
        tgt.push(vec![Line::from(target(alert))]);
        let since = alert.starts_at.map(|t| short_age(t, model.world.now)).unwrap_or_else(|| "?".into());
        age.push(vec![Line::from(since)]);
        state.push(vec![Line::from(state_word(alert).to_string())]);
        let text = alert.annotations.get("summary").or_else(|| alert.annotations.get("description"));
        summary.push(vec![Line::from(text.cloned().unwrap_or_default())]);
        let other: Vec<String> = alert
            .labels
            .iter()
            .filter(|(k, _)| !SHOWN_LABELS.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        labels.push(vec![Line::styled(other.join(" "), theme.dim)]);
    }
    vec![sev, name, tgt, age, state, summary, labels]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pane;
    use crate::test_support::gen_demo_model;
    use crate::ui::tests::{find, focused, pane};
    use chrono::Duration;
    use insta::assert_snapshot;

    /// Alerts pane alone at 80x24: the critical alert first, the silenced one after it.
    #[test]
    fn alerts_80x24() {
        assert_snapshot!(pane(&focused(Pane::Alerts), 80, 24, render, true));
    }

    /// Alerts pane alone at 160x48: severity, where, age, state and summary.
    #[test]
    fn alerts_160x48() {
        assert_snapshot!(pane(&focused(Pane::Alerts), 160, 48, render, true));
    }

    /// Alerts pane at 34x6 (its 80x24 size): the state moves into the severity column.
    #[test]
    fn alerts_narrow_merges_state() {
        assert_snapshot!(pane(&gen_demo_model(), 36, 6, render, false));
    }

    /// Alerts pane with Alertmanager down and nothing cached: the reason and since when.
    #[test]
    fn alerts_alertmanager_down() {
        let mut m = gen_demo_model();
        m.world.alerts.alerts.clear();
        m.world.alerts.reach = Reach::Down { reason: "HTTP 502".into(), since: m.world.now - Duration::minutes(3) };
        assert_snapshot!(pane(&m, 40, 5, render, false));
    }

    /// Alerts pane when the config names no Alertmanager.
    #[test]
    fn alerts_not_configured() {
        let mut m = gen_demo_model();
        m.world.alerts.configured = false;
        assert_snapshot!(pane(&m, 40, 5, render, false));
    }

    /// Alerts pane when Alertmanager answers with nothing firing.
    #[test]
    fn alerts_none_firing() {
        let mut m = gen_demo_model();
        m.world.alerts.alerts.clear();
        assert_snapshot!(pane(&m, 40, 5, render, false));
    }

    /// Colour: the active critical alert is drawn crit, the silenced one dim.
    #[test]
    fn alerts_row_styles() {
        let theme = Theme::default();
        let backend = pane(&gen_demo_model(), 80, 8, render, false);
        let buf = backend.buffer();
        let (x, y) = find(buf, "HighErrorRate").expect("critical alert");
        assert_eq!(buf[(x, y)].fg, theme.crit.fg.unwrap_or_default());
        let (x, y) = find(buf, "DiskFilling").expect("silenced alert");
        assert!(buf[(x, y)].modifier.contains(ratatui::style::Modifier::DIM));
    }
}
