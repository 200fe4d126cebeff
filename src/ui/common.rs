//! Small pieces every pane shares: health glyphs and their styles, the pane frame, ages of
//! outages, and width-aware truncation (so text is shortened with "…", never cut mid-word
//! silently or wrapped into the next column).

use crate::model::views::Health;
use crate::model::{short_age, Model, Reach};
use crate::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

/// Shown where data has not arrived yet, so "nothing yet" never looks like "nothing there".
pub const PENDING: &str = "…";

/// The one-cell symbol for a health verdict. Shapes differ as well as colours, so the screen
/// still reads on a monochrome terminal and in snapshots.
pub fn health_glyph(health: Health) -> &'static str {
    match health {
        Health::Healthy => "●",
        Health::Unhealthy => "▲",
        Health::Unreachable => "✗",
        Health::Unknown => "○",
    }
}

/// Unhealthy is a known failure (crit); unreachable means we cannot see (warn).
pub fn health_style(theme: &Theme, health: Health) -> Style {
    match health {
        Health::Healthy => theme.ok,
        Health::Unhealthy => theme.crit,
        Health::Unreachable => theme.warn,
        Health::Unknown => theme.dim,
    }
}

/// The frame of a pane. The focused one gets a thick border as well as a colour, so focus is
/// visible without colour (and in snapshots).
pub fn pane_block<'a>(title: Line<'a>, theme: &Theme, focused: bool) -> Block<'a> {
    let (border, title_style, kind) = if focused {
        (theme.focus_border, theme.focus_title, BorderType::Thick)
    } else {
        (theme.border, theme.title, BorderType::Plain)
    };
    Block::bordered().border_type(kind).border_style(border).title(title.style(title_style))
}

/// A title like " Images · api ": the pane's name and what it is showing.
pub fn pane_title<'a>(name: &'a str, subject: Option<&str>) -> Line<'a> {
    match subject {
        Some(s) => Line::from(format!(" {name} · {s} ")),
        None => Line::from(format!(" {name} ")),
    }
}

/// How long a system has been down, when it is.
pub fn down_age(model: &Model, reach: &Reach) -> Option<String> {
    match reach {
        Reach::Down { since, .. } => Some(short_age(*since, model.world.now)),
        _ => None,
    }
}

/// The line a pane shows when its source is down: "registry: connection refused (42s)".
pub fn outage_line<'a>(model: &Model, theme: &Theme, system: &str, reach: &Reach) -> Option<Line<'a>> {
    let reason = reach.down_reason()?;
    let age = down_age(model, reach).unwrap_or_default();
    Some(Line::styled(format!("{system}: {reason} ({age})"), theme.warn))
}

/// The age to append to a health reason that comes from a host or HAProxy being down
/// ("prod-2: docker: no answer within 3s" -> "42s"), so the reason says for how long.
pub fn reason_age(model: &Model, env: &str, reason: &str) -> Option<String> {
    let host = model.world.hosts.iter().filter(|(id, _)| id.env == env).find(|(id, h)| {
        h.reach.down_reason().is_some_and(|r| reason == r || reason.starts_with(&format!("{}: ", id.host)))
    });
    if let Some((_, h)) = host {
        return down_age(model, &h.reach);
    }
    let lb = model.world.lbs.get(env).filter(|lb| lb.reach.down_reason() == Some(reason))?;
    down_age(model, &lb.reach)
}

/// Terminal cells `s` takes.
pub fn text_width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` shortened to `width` cells, ending in "…" when anything was removed.
pub fn truncate(s: &str, width: usize) -> String {
    if text_width(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut tmp = [0u8; 4];
    for c in s.chars() {
        let w = text_width(c.encode_utf8(&mut tmp));
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A styled line shortened to `width` cells, span by span, ending in "…" when cut.
pub fn fit_line(line: Line<'_>, width: usize) -> Line<'_> {
    if line.width() <= width {
        return line;
    }
    let style = line.style;
    let mut spans = Vec::new();
    let mut left = width;
    for span in line.spans {
        let w = span.width();
        if w < left {
            left -= w;
            spans.push(span);
            continue;
        }
        // This span does not fit with room for the ellipsis: cut it and stop.
        spans.push(Span::styled(truncate(&span.content, left), span.style));
        break;
    }
    Line::from(spans).style(style)
}

/// A styled line broken between words into lines of at most `width` cells, each word keeping its
/// span's style (a word longer than a line is cut with "…").
pub fn wrap_line(line: Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let style = span.style;
        // Words with the spaces before them, so a span that starts mid-line keeps its spacing.
        let mut rest: &str = &span.content;
        while !rest.is_empty() {
            let lead = rest.len() - rest.trim_start_matches(' ').len();
            let word_end = rest[lead..].find(' ').map_or(rest.len(), |i| lead + i);
            let (piece, tail) = rest.split_at(word_end);
            rest = tail;
            let w = text_width(piece);
            if used + w > width && used > 0 {
                out.push(finish(std::mem::take(&mut current)));
                let word = piece.trim_start_matches(' ');
                current.push(Span::styled(truncate(word, width), style));
                used = text_width(word).min(width);
            } else {
                current.push(Span::styled(truncate(piece, width), style));
                used += w.min(width);
            }
        }
    }
    out.push(finish(current));
    out
}

/// A wrapped line without the spaces it ended on.
fn finish(mut spans: Vec<Span<'static>>) -> Line<'static> {
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end_matches(' ');
        if !trimmed.is_empty() {
            last.content = trimmed.to_string().into();
            break;
        }
        spans.pop();
    }
    Line::from(spans)
}

/// A rectangle of `width` x `height` centred in `area`, clamped to it.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(area.x + (area.width - width) / 2, area.y + (area.height - height) / 2, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_marks_what_was_removed() {
        assert_eq!(truncate("v1.3.0", 6), "v1.3.0");
        assert_eq!(truncate("v1.3.0-rc1", 6), "v1.3.…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("abc", 1), "…");
        let line = fit_line(Line::from(vec![Span::raw("v1.2.0 "), Span::raw("blue")]), 9);
        assert_eq!(line.to_string(), "v1.2.0 b…");
        assert!(line.width() <= 9);
    }

    #[test]
    fn wrapped_lines_keep_styles_and_break_between_words() {
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let line = Line::from(vec![Span::raw("asked by carol: "), Span::styled("release one point three", bold)]);
        let lines = wrap_line(line, 20);
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, vec!["asked by carol:", "release one point", "three"]);
        assert!(lines.iter().all(|l| l.width() <= 20));
        assert_eq!(lines[1].spans[0].style, bold);
        assert_eq!(wrap_line(Line::from("abcdefghij"), 4)[0].to_string(), "abc…");
    }

    #[test]
    fn centered_stays_inside() {
        let r = centered(Rect::new(0, 0, 80, 24), 100, 10);
        assert_eq!(r, Rect::new(0, 7, 80, 10));
    }
}
