//! The bottom line: the current notice, if any, then key hints generated from the model's
//! [`Keymap`](crate::keymap::Keymap) (the bindings marked `hint`), so the bar always says what the
//! keys really do, rebound or not.

use super::common::fit_line;
use crate::keymap::{Action, Binding};
use crate::model::Model;
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    line(model, theme, area.width as usize).render(area, buf);
}

/// The notice wins over hints: when the hints do not fit with their full descriptions they take
/// their short ones, then are dropped from the end until the line fits, and only then is the
/// notice itself shortened.
fn line<'a>(model: &Model, theme: &Theme, width: usize) -> Line<'a> {
    let hints = |short: bool| -> Vec<[Span<'a>; 2]> {
        model
            .keymap
            .bindings()
            .iter()
            .filter(|b| b.hint)
            .map(|b| {
                let desc = if short { short_desc(b) } else { b.desc };
                [Span::styled(format!(" {}", b.label), theme.key), Span::styled(format!(" {desc} "), theme.dim)]
            })
            .collect()
    };
    let notice: Vec<Span<'a>> = match &model.ui.notice {
        Some(n) => vec![Span::styled(format!(" {n} "), theme.notice), Span::styled("│", theme.dim)],
        None => Vec::new(),
    };
    let (full, short) = (hints(false), hints(true));
    let candidates = std::iter::once((&full, full.len())).chain((0..=short.len()).rev().map(|keep| (&short, keep)));
    for (hints, keep) in candidates {
        let mut spans = notice.clone();
        spans.extend(hints.iter().take(keep).flatten().cloned());
        let line = Line::from(spans);
        if line.width() <= width {
            return line;
        }
    }
    fit_line(Line::from(notice), width)
}

/// A hint's description in a word or two, for a bar too narrow for the full ones ("? help"
/// rather than "? show or hide this help"); the help overlay always has the full text.
fn short_desc(binding: &Binding) -> &'static str {
    match binding.action {
        Action::Promote => "promote",
        Action::Rollback => "roll back",
        Action::Help => "help",
        _ => binding.desc,
    }
}
