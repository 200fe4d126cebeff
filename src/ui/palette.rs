//! The command palette (`:`): at the bottom of the screen, the commands matching what was typed
//! (the selected one highlighted, what each does and the key that does the same from the panes,
//! as the keymap binds it, dimmed beside it) over the line being typed.

use super::common::truncate;
use super::silence::boxed;
use crate::model::palette::PaletteState;
use crate::model::Model;
use crate::theme::Theme;
use crate::update::palette::matching;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

/// Most matches listed at once; the list scrolls to keep the selected one in sight.
const MAX_ROWS: usize = 8;

/// Draws the palette over the bottom of `middle` (the panes' area).
pub fn render(model: &Model, state: &PaletteState, theme: &Theme, middle: Rect, buf: &mut Buffer) {
    let found = matching(model, &state.query);
    let rows = found.len().clamp(1, MAX_ROWS);
    let height = (rows as u16 + 3).min(middle.height);
    let rect = Rect { y: middle.bottom().saturating_sub(height), height, ..middle };
    let inner = usize::from(rect.width.saturating_sub(4));
    let selected = state.selected.min(found.len().saturating_sub(1));
    let first = selected.saturating_sub(MAX_ROWS - 1);
    let mut lines: Vec<Line<'_>> = Vec::new();
    if found.is_empty() {
        lines.push(Line::styled("no command matches", theme.dim));
    }
    let width = found.iter().map(|e| e.text.chars().count()).max().unwrap_or(0).min(inner);
    for (i, entry) in found.iter().enumerate().skip(first).take(MAX_ROWS) {
        let style = if i == selected { theme.selected } else { theme.text };
        let text = truncate(&format!("{:<width$}", entry.text), inner);
        let key = entry.cmd.action().map(|a| model.keymap.label(a)).filter(|k| !k.is_empty());
        let hint = match key {
            Some(key) => format!("  {} · {key}", entry.hint),
            None => format!("  {}", entry.hint),
        };
        let hint = truncate(&hint, inner.saturating_sub(text.chars().count()));
        lines.push(Line::from(vec![Span::styled(text, style), Span::styled(hint, theme.dim)]));
    }
    let typed = truncate(&state.query, inner.saturating_sub(3));
    lines.push(Line::from(vec![
        Span::styled(": ", theme.header),
        Span::styled(typed, theme.text),
        Span::styled("▏", theme.key),
    ]));
    Clear.render(rect, buf);
    let title = format!(
        " Command · {} of {} · ↑↓ pick · Tab complete · Enter run · Esc leave ",
        found.len().min(selected + 1),
        found.len()
    );
    Paragraph::new(lines).block(boxed(title, theme)).render(rect, buf);
}

#[cfg(test)]
mod tests {
    use super::super::tests::screen;
    use crate::model::palette::PaletteState;
    use crate::test_support::gen_demo_model_all_up;
    use insta::assert_snapshot;

    fn with_query(query: &str, selected: usize) -> crate::model::Model {
        let mut m = gen_demo_model_all_up();
        m.ui.set_palette(Some(PaletteState { query: query.into(), selected }));
        m
    }

    #[test]
    fn palette_80x24() {
        let text = screen(&with_query("pro", 1), 80, 24).to_string();
        assert!(text.contains("promote api staging") && text.contains(": pro"), "{text}");
        assert_snapshot!(text);
    }

    #[test]
    fn palette_160x48() {
        assert_snapshot!(screen(&with_query("", 0), 160, 48));
    }

    /// Each command shows the key that does the same, as `[keys]` binds it.
    #[test]
    fn palette_shows_the_bound_keys() {
        let mut m = with_query("pro", 0);
        assert!(screen(&m, 80, 24).to_string().contains("promote api dev      confirm first · p"));
        m.keymap = crate::keymap::gen_keymap("promote = \"f5\"\n");
        let text = screen(&m, 80, 24).to_string();
        assert!(text.contains("promote api dev      confirm first · F5"), "{text}");
    }

    #[test]
    fn palette_nothing_matches_80x24() {
        let text = screen(&with_query("frob", 0), 80, 24).to_string();
        assert!(text.contains("no command matches") && text.contains("0 of 0"), "{text}");
    }
}
