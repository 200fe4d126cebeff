//! The help overlay: every key binding of the model's [`Keymap`] with its description, grouped, in a centred box drawn over everything else. When one column is
//! taller than the screen (80x24), the groups are laid out in two columns side by side.

use super::common::{centered, fit_line};
use crate::keymap::{Action, Keymap};
use crate::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget};

/// Cells between the two columns.
const GAP: u16 = 3;

/// The help's sections, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Navigation,
    Panes,
    Logs,
    Copy,
    Actions,
    Approvals,
    Other,
}

impl Group {
    const ALL: [Group; 7] =
        [Group::Navigation, Group::Panes, Group::Logs, Group::Copy, Group::Actions, Group::Approvals, Group::Other];

    fn title(self) -> &'static str {
        match self {
            Group::Navigation => "navigation",
            Group::Panes => "panes",
            Group::Actions => "actions",
            Group::Approvals => "approvals and audit",
            Group::Logs => "logs",
            Group::Copy => "copy",
            Group::Other => "other",
        }
    }

    /// Exhaustive on purpose: a new action does not compile until it is given a section.
    fn of(action: Action) -> Group {
        match action {
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Top | Action::Bottom => {
                Group::Navigation
            }
            Action::NextPane | Action::PrevPane | Action::HealthChart => Group::Panes,
            Action::Promote | Action::Canary | Action::Rollback | Action::Reapply | Action::Confirm => Group::Actions,
            Action::Silence | Action::Silences | Action::Abort | Action::NextStage => Group::Actions,
            Action::Runbooks | Action::Prune => Group::Actions,
            Action::Approve | Action::Reject | Action::Audit | Action::Filter => Group::Approvals,
            Action::Logs | Action::Pause | Action::PageUp | Action::PageDown | Action::Wrap | Action::Timestamps => {
                Group::Logs
            }
            Action::Help | Action::Close | Action::Quit | Action::Palette => Group::Other,
            Action::Copy | Action::CopyCommand => Group::Copy,
        }
    }
}

pub fn render(keymap: &Keymap, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(Line::styled(" Help: keys ", theme.focus_title))
        .padding(Padding::horizontal(1));
    let one = join(&groups(keymap, theme, 2));
    if one.len() as u16 + 2 <= area.height {
        let rect = centered(area, width(&one) + 4, one.len() as u16 + 2);
        Clear.render(rect, buf);
        Paragraph::new(one).block(block).render(rect, buf);
        return;
    }
    let two = groups(keymap, theme, 1);
    let k = split_at(&two);
    let (mut left, mut right) = (join(&two[..k]), join(&two[k..]));
    if left.len().max(right.len()) as u16 + 2 > area.height {
        // Tight: no blank line between groups, so that the last binding still shows.
        let tight = |gs: &[Vec<Line<'static>>]| gs.iter().flatten().cloned().collect::<Vec<_>>();
        (left, right) = (tight(&two[..k]), tight(&two[k..]));
    }
    let (wl, wr) = (width(&left), width(&right));
    let rect = centered(area, wl + GAP + wr + 4, left.len().max(right.len()) as u16 + 2);
    Clear.render(rect, buf);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let wl = wl.min(inner.width);
    let left_area = Rect { width: wl, ..inner };
    let x = inner.x.saturating_add(wl + GAP).min(inner.right());
    let right_area = Rect { x, width: inner.right().saturating_sub(x), ..inner };
    let fit = |lines: Vec<Line<'static>>, w: u16| -> Vec<Line<'static>> {
        lines.into_iter().map(|l| fit_line(l, usize::from(w))).collect()
    };
    Paragraph::new(fit(left, left_area.width)).render(left_area, buf);
    Paragraph::new(fit(right, right_area.width)).render(right_area, buf);
}

/// Each group's lines: its title, then one line per binding, labels indented by `indent`.
fn groups(keymap: &Keymap, theme: &Theme, indent: usize) -> Vec<Vec<Line<'static>>> {
    let label_width = keymap.bindings().iter().map(|b| Line::from(b.label.as_str()).width()).max().unwrap_or(0);
    let pad = " ".repeat(indent);
    Group::ALL
        .iter()
        .filter_map(|group| {
            let bindings: Vec<_> = keymap.bindings().iter().filter(|b| Group::of(b.action) == *group).collect();
            if bindings.is_empty() {
                return None;
            }
            let mut lines = vec![Line::styled(group.title(), theme.header)];
            for b in bindings {
                let fill = " ".repeat(label_width.saturating_sub(Line::from(b.label.as_str()).width()));
                lines.push(Line::from(vec![
                    Span::styled(format!("{pad}{}{fill}", b.label), theme.key),
                    Span::styled(format!("  {}", b.desc), theme.text),
                ]));
            }
            Some(lines)
        })
        .collect()
}

/// Groups one after the other, a blank line between them.
fn join(groups: &[Vec<Line<'static>>]) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for g in groups {
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.extend(g.iter().cloned());
    }
    out
}

/// Where the groups split into two columns, in order: where the taller column is shortest.
fn split_at(groups: &[Vec<Line<'static>>]) -> usize {
    (1..groups.len()).min_by_key(|k| join(&groups[..*k]).len().max(join(&groups[*k..]).len())).unwrap_or(groups.len())
}

fn width(lines: &[Line<'_>]) -> u16 {
    lines.iter().map(Line::width).max().unwrap_or(0).min(usize::from(u16::MAX)) as u16
}
