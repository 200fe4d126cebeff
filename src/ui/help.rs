//! The help overlay: every key binding from [`keymap::BINDINGS`](crate::keymap::BINDINGS) with
//! its description, grouped, in a centred box drawn over everything else.

use super::common::centered;
use crate::keymap::{Action, BINDINGS};
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};

/// The help's sections, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Navigation,
    Panes,
    Actions,
    Other,
}

impl Group {
    const ALL: [Group; 4] = [Group::Navigation, Group::Panes, Group::Actions, Group::Other];

    fn title(self) -> &'static str {
        match self {
            Group::Navigation => "navigation",
            Group::Panes => "panes",
            Group::Actions => "actions",
            Group::Other => "other",
        }
    }

    /// Exhaustive on purpose: a new action does not compile until it is given a section.
    fn of(action: Action) -> Group {
        match action {
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Top | Action::Bottom => {
                Group::Navigation
            }
            Action::NextPane | Action::PrevPane => Group::Panes,
            Action::Promote | Action::Rollback | Action::Reapply | Action::Confirm => Group::Actions,
            Action::Help | Action::Close | Action::Quit => Group::Other,
        }
    }
}

pub fn render(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lines = lines(theme);
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 4;
    let height = lines.len() as u16 + 2;
    let rect = centered(area, width, height);
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(Line::styled(" Help: keys ", theme.focus_title));
    Paragraph::new(lines).block(block.padding(ratatui::widgets::Padding::horizontal(1))).render(rect, buf);
}

fn lines<'a>(theme: &Theme) -> Vec<Line<'a>> {
    let label_width = BINDINGS.iter().map(|b| Line::from(b.label).width()).max().unwrap_or(0);
    let mut out = Vec::new();
    for group in Group::ALL {
        let bindings: Vec<_> = BINDINGS.iter().filter(|b| Group::of(b.action) == group).collect();
        if bindings.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::styled(group.title(), theme.header));
        for b in bindings {
            let pad = " ".repeat(label_width.saturating_sub(Line::from(b.label).width()));
            out.push(Line::from(vec![
                Span::styled(format!("  {}{pad}", b.label), theme.key),
                Span::styled(format!("  {}", b.desc), theme.text),
            ]));
        }
    }
    out
}
