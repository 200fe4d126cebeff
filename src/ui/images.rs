//! The Images pane: the selected service's registry history, one row per digest with all its
//! tags, its age, where it runs (live, or idle as the rollback target) and whether pruning would
//! keep it.

use super::columns::{self, Column};
use super::common::{outage_line, pane_block, pane_title, PENDING};
use crate::model::views::{short_digest, ImageRow};
use crate::model::{short_age, Model, Reach};
use crate::theme::Theme;
use crate::ui::hits::Rows;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, StatefulWidget, Table, TableState, Widget};

/// Rows the pane needs to show the whole history: borders, header, images, an outage line.
pub fn wanted_height(model: &Model) -> u16 {
    let images = model.selected_service().and_then(|s| model.world.registry.images.get(s)).map_or(1, Vec::len);
    2 + 1 + images as u16 + u16::from(model.world.registry.reach.is_down())
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer, focused: bool) -> Option<Rows> {
    let service = model.selected_service();
    let block = pane_block(pane_title("Images", service), theme, focused);
    let mut inner = block.inner(area);
    block.render(area, buf);

    if let Some(line) = outage_line(model, theme, "registry", &model.world.registry.reach) {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        Paragraph::new(line).render(top, buf);
        inner = rest;
    }
    let Some(service) = service else {
        Paragraph::new(Line::styled("no services configured", theme.dim)).render(inner, buf);
        return None;
    };
    let rows = model.world.image_rows(service);
    if rows.is_empty() {
        let text = match model.world.registry.reach {
            Reach::Pending => Line::styled(format!("{PENDING} waiting for the registry"), theme.dim),
            Reach::Up { .. } => Line::styled(format!("no images of {service} in the registry"), theme.dim),
            Reach::Down { .. } => Line::default(),
        };
        Paragraph::new(text).render(inner, buf);
        return None;
    }

    // Only the rows on screen are built (a service keeps hundreds of tags); widths fit them.
    let selected = model.ui.image_row.min(rows.len() - 1);
    let window = columns::visible(rows.len(), selected, inner.height);
    let shown = &rows[window.clone()];
    let fitted = columns::fit(image_columns(model, theme, shown), inner.width, theme);
    let header_height = fitted.header_height;
    let styles = shown.iter().map(|r| if r.kept { theme.text } else { theme.dim });
    let table_rows: Vec<_> = fitted.rows.into_iter().zip(styles).map(|(row, style)| row.style(style)).collect();
    let highlight = if focused { theme.selected } else { theme.selected_blur };
    let mut state = TableState::default().with_selected(Some(selected - window.start));
    let table = Table::new(table_rows, fitted.widths).header(fitted.header).row_highlight_style(highlight);
    StatefulWidget::render(table, inner, buf, &mut state);
    Some(Rows::new(inner, header_height, window.start + state.offset(), window.end))
}

fn image_columns<'a>(model: &Model, theme: &Theme, rows: &[ImageRow]) -> Vec<Column<'a>> {
    let mut tags = Column::new("tags", 0, 6).max(40);
    let mut digest = Column::new("digest", 4, 7);
    let mut age = Column::new("age", 2, 3);
    let mut created = Column::new("created", 5, 16);
    let mut deployed = Column::new("live (idle)", 1, 4).max(40);
    let mut kept = Column::new("keep", 3, 4);
    for row in rows {
        let first = row.tags.first().cloned().unwrap_or_else(|| short_digest(&row.digest).to_string());
        let mut tag_variants = vec![Line::from(row.tags.join(" "))];
        if row.tags.len() > 1 {
            tag_variants.push(Line::from(format!("{first} +{}", row.tags.len() - 1)));
        }
        tag_variants.push(Line::from(first));
        tags.push(tag_variants);
        let short = short_digest(&row.digest).to_string();
        let mut digest_variants = Vec::new();
        if !row.platforms.is_empty() {
            // An index: the architectures it offers after its digest (`3f9c2e1 amd64 arm64`).
            let archs: Vec<&str> = row.platforms.iter().map(|p| p.split('/').nth(1).unwrap_or(p)).collect();
            digest_variants.push(Line::styled(format!("{short} {}", archs.join(" ")), theme.dim));
            digest_variants.push(Line::styled(format!("{short} +{}", row.platforms.len()), theme.dim));
        }
        digest_variants.push(Line::styled(short, theme.dim));
        digest.push(digest_variants);
        match row.created {
            Some(at) => {
                age.push(vec![Line::from(short_age(at, model.world.now))]);
                created.push(vec![Line::from(at.format("%Y-%m-%d %H:%M").to_string())]);
            }
            None => {
                age.push(vec![Line::styled("?", theme.dim)]);
                created.push(vec![Line::styled("?", theme.dim)]);
            }
        }
        deployed.push(vec![where_deployed(theme, row)]);
        kept.push(if row.kept {
            vec![Line::styled("kept", theme.dim)]
        } else {
            vec![Line::styled("prunable", theme.warn), Line::styled("prune", theme.warn)]
        });
    }
    vec![tags, digest, age, created, deployed, kept]
}

/// "prod (dev staging)": where it runs live, then in parentheses where the idle slot holds it
/// as the rollback target (the column header says so).
fn where_deployed<'a>(theme: &Theme, row: &ImageRow) -> Line<'a> {
    let mut spans = vec![Span::styled(row.deployed_in.join(" "), theme.ok)];
    if !row.idle_in.is_empty() {
        let sep = if row.deployed_in.is_empty() { "" } else { " " };
        spans.push(Span::styled(format!("{sep}({})", row.idle_in.join(" ")), theme.dim));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pane;
    use crate::test_support::gen_demo_model;
    use crate::ui::tests::{find, focused, pane};
    use chrono::Duration;
    use insta::assert_snapshot;
    use std::sync::Arc;

    /// Images pane alone at 80x24, focused, the second image of api selected.
    #[test]
    fn images_80x24() {
        assert_snapshot!(pane(&focused(Pane::Images), 80, 24, render, true));
    }

    /// Images pane alone at 160x48: every tag, digest, created date, where deployed, kept.
    #[test]
    fn images_160x48() {
        assert_snapshot!(pane(&focused(Pane::Images), 160, 48, render, true));
    }

    /// Images pane at 40x8 with the registry down before it ever answered: the reason and for
    /// how long, no table.
    #[test]
    fn images_registry_down_nothing_cached() {
        let mut m = gen_demo_model();
        m.world.registry.images.clear();
        m.world.registry.reach =
            Reach::Down { reason: "connection refused".into(), since: m.world.now - Duration::seconds(42) };
        assert_snapshot!(pane(&m, 40, 8, render, false));
    }

    /// Colour: with keep_images = 2, the oldest image, deployed nowhere, is prunable and the
    /// word is drawn in the warn style.
    #[test]
    fn images_prunable_is_warned() {
        let mut m = gen_demo_model();
        let mut config = (*m.world.config).clone();
        config.services[0].keep_images = 2;
        m.world.config = Arc::new(config);
        let theme = Theme::default();
        let backend = pane(&m, 80, 12, render, false);
        let (x, y) = find(backend.buffer(), "prunable").unwrap_or_else(|| panic!("no prunable image:\n{backend}"));
        assert_eq!(backend.buffer()[(x, y)].fg, theme.warn.fg.unwrap_or_default());
        assert!(find(backend.buffer(), "v1.0.0").is_some_and(|(_, row)| row == y));
    }

    /// Images pane at 100x12 where v1.3.0 is an image index for two platforms: one row, its
    /// index digest followed by the architectures it offers.
    #[test]
    fn images_an_index_lists_its_platforms() {
        let mut m = gen_demo_model();
        let api = m.world.registry.images.get_mut("api").expect("api history");
        api[0].platforms = vec!["linux/amd64".into(), "linux/arm64".into()];
        let backend = pane(&m, 100, 12, render, false);
        assert!(find(backend.buffer(), "amd64 arm64").is_some(), "{backend}");
        assert_snapshot!(backend);
    }
}
