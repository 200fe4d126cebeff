//! The Logs view (`L`), drawn over the panes: the followed slots' lines merged by time, newest at
//! the bottom, each with its time and (when several slots are followed) its slot; what the ring
//! kept and dropped in the title; a line per slot whose stream is not up (unreachable, ended);
//! the filter or the keys at the bottom, with whether it follows or is paused.

use super::common::{fit_line, pane_block};
use crate::model::logs::{thousands, LogEntry, LogReach, LogsView};
use crate::model::{short_age, Model};
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};
use unicode_width::UnicodeWidthChar;

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let view = &model.ui.logs;
    let block = pane_block(title(view), theme, true);
    let inner = block.inner(area);
    block.render(area, buf);
    let troubles: Vec<Line<'_>> = view.slots.iter().filter_map(|s| reach_line(model, s, theme)).collect();
    let shown_troubles = (troubles.len() as u16).min(inner.height.saturating_sub(2) / 2);
    let [trouble_area, lines_area, bottom] =
        Layout::vertical([Constraint::Length(shown_troubles), Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let width = usize::from(inner.width);
    let fitted: Vec<Line<'_>> =
        troubles.into_iter().take(usize::from(shown_troubles)).map(|l| fit_line(l, width)).collect();
    Paragraph::new(fitted).render(trouble_area, buf);
    let rows = view.rows();
    Paragraph::new(fit_line(bottom_line(view, theme, rows.len()), width)).render(bottom, buf);
    if rows.is_empty() {
        let text = if view.filter.trim().is_empty() {
            "waiting for lines…".to_string()
        } else {
            format!("no line matches {:?}", view.filter.trim())
        };
        Paragraph::new(Line::styled(text, theme.dim)).render(lines_area, buf);
        return;
    }
    let labels = slot_labels(view);
    let height = usize::from(lines_area.height);
    let end = rows.len() - view.scroll.min(rows.len() - 1);
    // From the newest shown line up, until the screen is full.
    let mut screen: Vec<Line<'_>> = Vec::with_capacity(height);
    for (slot, entry) in rows[..end].iter().rev() {
        if screen.len() >= height {
            break;
        }
        let prefix = prefix(view, &labels, *slot, entry, theme);
        let mut drawn = draw_entry(view, prefix, entry, theme, width, height);
        drawn.reverse();
        screen.extend(drawn);
    }
    screen.truncate(height);
    screen.reverse();
    Paragraph::new(screen).render(lines_area, buf);
}

/// ` Logs: api/prod (2 slots) · kept 2,000 · dropped 41,337 `.
fn title(view: &LogsView) -> Line<'static> {
    let what = match view.slots.as_slice() {
        [one] => format!("{}/{} {}", view.service, view.env, one.label()),
        many => format!("{}/{} ({} slots)", view.service, view.env, many.len()),
    };
    Line::from(format!(
        " Logs: {what} · kept {} · dropped {} ",
        thousands(view.kept() as u64),
        thousands(view.dropped())
    ))
}

/// A slot whose stream is not up, said in a line.
fn reach_line<'a>(model: &Model, slot: &crate::model::logs::SlotLog, theme: &Theme) -> Option<Line<'a>> {
    let label = slot.label();
    match &slot.reach {
        LogReach::Streaming => None,
        LogReach::Connecting => Some(Line::styled(format!("… {label}: connecting"), theme.dim)),
        LogReach::Unreachable { reason, since } => Some(Line::styled(
            format!("✗ {label}: unreachable for {}: {reason} (retrying)", short_age(*since, model.world.now)),
            theme.crit,
        )),
        LogReach::Ended(reason) => Some(Line::styled(format!("· {label}: stream ended: {reason}"), theme.dim)),
    }
}

/// How each slot is named before its lines: nothing for one slot, its colour and `blue` (or
/// `blue@prod-1` when the slots span hosts) for several.
fn slot_labels(view: &LogsView) -> Vec<String> {
    if view.slots.len() < 2 {
        return vec![String::new(); view.slots.len()];
    }
    let one_host = view.slots.iter().all(|s| s.slot.host == view.slots[0].slot.host);
    let names: Vec<String> =
        view.slots.iter().map(|s| if one_host { s.slot.slot.clone() } else { s.label() }).collect();
    let w = names.iter().map(String::len).max().unwrap_or(0);
    names.into_iter().map(|n| format!("{n:<w$} ")).collect()
}

fn slot_style(theme: &Theme, slot: usize) -> Style {
    [theme.key, theme.notice, theme.ok, theme.header][slot % 4]
}

fn prefix<'a>(view: &LogsView, labels: &[String], slot: usize, entry: &LogEntry, theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    if view.timestamps {
        spans.push(Span::styled(entry.at.format("%H:%M:%S%.3f ").to_string(), theme.dim));
    }
    if let Some(label) = labels.get(slot).filter(|l| !l.is_empty()) {
        spans.push(Span::styled(label.clone(), slot_style(theme, slot)));
    }
    spans
}

/// One log line as screen rows: cut at the edge, or wrapped (continuations indented under the
/// text, at most a screenful).
fn draw_entry<'a>(
    view: &LogsView,
    prefix: Vec<Span<'a>>,
    entry: &LogEntry,
    theme: &Theme,
    width: usize,
    height: usize,
) -> Vec<Line<'a>> {
    let style = if entry.stderr { theme.warn } else { theme.text };
    let lead: usize = prefix.iter().map(Span::width).sum();
    let room = width.saturating_sub(lead).max(1);
    let chunks = chunk(&entry.text, room, if view.wrap { height } else { 1 });
    let cut = !view.wrap && chunks.first().is_some_and(|c| c.len() < entry.text.len());
    let mut rows = Vec::with_capacity(chunks.len());
    for (i, piece) in chunks.into_iter().enumerate() {
        let mut spans = if i == 0 { prefix.clone() } else { vec![Span::raw(" ".repeat(lead))] };
        spans.push(Span::styled(piece, style));
        let line = Line::from(spans);
        // Not wrapped: a line longer than the screen ends in "…".
        rows.push(if cut { fit_line(line, width) } else { line });
    }
    rows
}

/// `text` in pieces of at most `width` cells, at most `limit` of them (the last one one cell
/// over when there is more, so a cut line can be marked).
fn chunk(text: &str, width: usize, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            out.push(std::mem::take(&mut piece));
            used = 0;
            if out.len() == limit {
                // One more character tells fit_line the line goes on.
                if let Some(p) = out.last_mut() {
                    p.push(c);
                }
                return out;
            }
        }
        piece.push(c);
        used += w;
    }
    if !piece.is_empty() || out.is_empty() {
        out.push(piece);
    }
    out
}

/// The bottom line: the filter being typed, or following/paused and the keys.
fn bottom_line<'a>(view: &LogsView, theme: &Theme, shown: usize) -> Line<'a> {
    let key = |k: &'static str| Span::styled(k, theme.key);
    let text = |t: &'static str| Span::styled(t, theme.text);
    if view.editing {
        return Line::from(vec![
            key("/"),
            Span::styled(format!(" {}", view.filter), theme.header),
            Span::styled("█", theme.key),
            Span::styled(format!("   {} match · ", thousands(shown as u64)), theme.dim),
            key("Enter"),
            text(" keeps it · "),
            key("Esc"),
            text(" clears it"),
        ]);
    }
    let mut spans = match view.paused_at {
        Some(_) => vec![Span::styled(format!("‖ paused, {} new", thousands(view.held_back())), theme.warn)],
        None => vec![Span::styled("● following", theme.ok)],
    };
    spans.push(Span::styled(" · ", theme.dim));
    if !view.filter.trim().is_empty() {
        spans.push(Span::styled(format!("filter: {} ({} match)", view.filter, thousands(shown as u64)), theme.notice));
        spans.push(Span::styled(" · ", theme.dim));
    }
    let space = if view.paused_at.is_some() { " follow · " } else { " pause · " };
    spans.extend([
        key("Space"),
        text(space),
        key("↑↓ PgUp PgDn"),
        text(" back · "),
        key("G"),
        text(" now · "),
        key("/"),
        text(" filter · "),
        key("w"),
        text(" wrap · "),
        key("t"),
        text(" time · "),
        key("Esc"),
        text(" close"),
    ]);
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use crate::test_support::gen_logs_model;
    use crate::ui::tests::screen;
    use insta::assert_snapshot;

    /// Full screen 80x24: the Logs view on api/prod following, newest line at the bottom, the
    /// stopped and unreachable slots said above the lines, kept and dropped in the title.
    #[test]
    fn logs_80x24() {
        assert_snapshot!(screen(&gen_logs_model(), 80, 24));
    }

    /// Full screen 160x48: the same, wider.
    #[test]
    fn logs_160x48() {
        assert_snapshot!(screen(&gen_logs_model(), 160, 48));
    }

    /// Full screen 80x24: paused and scrolled back a line, long lines wrapped, no timestamps.
    #[test]
    fn logs_paused_wrapped_80x24() {
        let mut m = gen_logs_model();
        m.ui.logs.wrap = true;
        m.ui.logs.timestamps = false;
        m.ui.logs.scroll_by(1);
        assert_snapshot!(screen(&m, 80, 24));
    }

    /// Full screen 160x48: the filter "500" kept: only the failed requests.
    #[test]
    fn logs_filtered_160x48() {
        let mut m = gen_logs_model();
        m.ui.logs.filter = "500".into();
        assert_snapshot!(screen(&m, 160, 48));
    }

    /// Full screen 80x24: the filter being typed, matching nothing.
    #[test]
    fn logs_filter_typed_80x24() {
        let mut m = gen_logs_model();
        m.ui.logs.filter = "zzz".into();
        m.ui.logs.editing = true;
        assert_snapshot!(screen(&m, 80, 24));
    }

    /// Counts, states and the cut marker, in words.
    #[test]
    fn logs_say_what_they_kept_dropped_and_cut() {
        let m = gen_logs_model();
        let text = screen(&m, 200, 60).to_string();
        assert!(text.contains("Logs: api/prod (4 slots) · kept 40 · dropped 41,337"), "{text}");
        assert!(text.contains("green@prod-1: stream ended: the container stopped, resumes when it runs"), "{text}");
        assert!(text.contains("blue@prod-2: unreachable for 0s: docker: no answer within 3s (retrying)"), "{text}");
        assert!(text.contains("[+983,040 bytes cut] payload dump AAA"), "{text}");
        assert!(text.contains("WARN pool exhausted"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("● following"), "{text}");
    }
}
