//! The last frame's layout as plain data: where each pane, its table rows and columns, and a
//! dialog's buttons were drawn. The renderer records it beside the buffer; `update` looks a mouse
//! click up in it, so hit testing needs no renderer state and no second layout pass.

use crate::model::Pane;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::Line;

/// Everything a click can land on, in the frame as last drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    /// The panes drawn (none while a view takes their place).
    pub panes: Vec<PaneHit>,
    /// Whether a view or dialog covers the panes: a click then does not reach them.
    pub covered: bool,
    /// The buttons of the dialog on top, if it has any.
    pub buttons: Vec<Button>,
}

/// One pane: its frame, and its table when it shows one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneHit {
    pub pane: Pane,
    pub area: Rect,
    pub rows: Option<Rows>,
}

/// A table's body as drawn: which row is on which line, which column at which cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows {
    /// The lines of the rows (the header left out).
    pub area: Rect,
    /// The index (in the pane's whole list) of the row on the first line.
    pub first: usize,
    /// One past the index of the last row the table had.
    pub end: usize,
    /// Per column kept, its index among the columns the pane built, its first cell and width.
    pub columns: Vec<(usize, u16, u16)>,
}

/// What pressing a dialog's button does: the same as its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// Enter: run, file the request, or move on to what is still missing.
    Confirm,
    /// Esc: close the dialog, nothing done.
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Button {
    pub area: Rect,
    pub press: Press,
}

impl Hits {
    /// The pane at this cell, unless something covers the panes.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<&PaneHit> {
        if self.covered {
            return None;
        }
        self.panes.iter().find(|p| p.area.contains(Position { x, y }))
    }

    /// The button at this cell.
    pub fn button_at(&self, x: u16, y: u16) -> Option<Press> {
        self.buttons.iter().find(|b| b.area.contains(Position { x, y })).map(|b| b.press)
    }
}

impl Rows {
    /// A table drawn in `table` with a header `header` lines tall, its first line showing row
    /// `first` of a list whose rows end at `end`.
    pub fn new(table: Rect, header: u16, first: usize, end: usize) -> Rows {
        let header = header.min(table.height);
        let area = Rect { y: table.y + header, height: table.height - header, ..table };
        Rows { area, first, end, columns: Vec::new() }
    }

    /// The columns as a [`ratatui::widgets::Table`] lays them out: `widths` from the left, one
    /// cell apart (no highlight symbol); `kept` names each one's index among the columns built.
    pub fn with_columns(mut self, widths: &[Constraint], kept: &[usize]) -> Rows {
        let cells = Layout::horizontal(widths.iter().copied()).spacing(super::columns::GAP).split(self.area);
        self.columns = kept.iter().zip(cells.iter()).map(|(k, r)| (*k, r.x, r.width)).collect();
        self
    }

    /// The row (index in the whole list) drawn on line `y`, if any.
    pub fn row_at(&self, y: u16) -> Option<usize> {
        if y < self.area.y || y >= self.area.bottom() {
            return None;
        }
        let row = self.first + usize::from(y - self.area.y);
        (row < self.end).then_some(row)
    }

    /// The column (index among the columns built) drawn at cell `x`, if any.
    pub fn column_at(&self, x: u16) -> Option<usize> {
        self.columns.iter().find(|(_, at, width)| x >= *at && x < at + width).map(|(k, _, _)| *k)
    }
}

/// The buttons in a dialog's hint line drawn at (`x`, `y`), `width` cells wide: "Enter … to run"
/// presses Enter (up to the "Esc" hint), "Esc … to cancel" presses Esc (to the line's end). The
/// hints themselves are the buttons, so the dialog looks as it did before the mouse.
pub fn buttons(line: &Line<'_>, x: u16, y: u16, width: u16) -> Vec<Button> {
    let mut at = 0u16;
    let mut spans = Vec::new();
    for span in &line.spans {
        let w = u16::try_from(span.width()).unwrap_or(u16::MAX);
        spans.push((span.content.as_ref(), at, w));
        at = at.saturating_add(w);
    }
    let start = |key: &str| spans.iter().position(|(text, _, _)| *text == key);
    let (Some(enter), Some(esc)) = (start("Enter"), start("Esc")) else { return Vec::new() };
    if esc <= enter {
        return Vec::new();
    }
    // The run button ends where its words do, not at the " · " before the next hint.
    let words: String = spans[enter..esc].iter().map(|(t, _, _)| *t).collect();
    let run_width = super::common::text_width(words.trim_end_matches([' ', '·']));
    let cell = |from: u16, w: u16| {
        let from = from.min(width);
        Rect::new(x + from, y, w.min(width - from), 1)
    };
    let run = cell(spans[enter].1, u16::try_from(run_width).unwrap_or(u16::MAX));
    let cancel = cell(spans[esc].1, at - spans[esc].1);
    [(run, Press::Confirm), (cancel, Press::Cancel)]
        .into_iter()
        .filter(|(area, _)| area.width > 0)
        .map(|(area, press)| Button { area, press })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_columns_are_found_by_cell() {
        // A table at (1,1) 20x5 with a one-line header, scrolled to row 10 of 13.
        let rows = Rows::new(Rect::new(1, 1, 20, 5), 1, 10, 13)
            .with_columns(&[Constraint::Length(4), Constraint::Length(6)], &[0, 2]);
        assert_eq!(rows.row_at(1), None, "the header");
        assert_eq!(rows.row_at(2), Some(10));
        assert_eq!(rows.row_at(4), Some(12));
        assert_eq!(rows.row_at(5), None, "past the last row");
        assert_eq!(rows.column_at(1), Some(0));
        assert_eq!(rows.column_at(5), None, "the gap");
        assert_eq!(rows.column_at(6), Some(2));
        assert_eq!(rows.column_at(12), None);
    }

    #[test]
    fn a_covered_screen_has_no_panes_to_click() {
        let pane = PaneHit { pane: Pane::Health, area: Rect::new(0, 0, 10, 10), rows: None };
        let mut hits = Hits { panes: vec![pane], ..Hits::default() };
        assert_eq!(hits.pane_at(3, 3).map(|p| p.pane), Some(Pane::Health));
        assert!(hits.pane_at(10, 3).is_none());
        hits.covered = true;
        assert!(hits.pane_at(3, 3).is_none());
    }

    #[test]
    fn the_hints_of_a_confirmation_are_its_buttons() {
        use ratatui::text::Span;
        let line = Line::from(vec![
            Span::raw("Enter"),
            Span::raw("/"),
            Span::raw("y"),
            Span::raw(" to run · "),
            Span::raw("Esc"),
            Span::raw("/"),
            Span::raw("n"),
            Span::raw(" to cancel"),
        ]);
        let b = buttons(&line, 10, 5, 60);
        assert_eq!(b[0], Button { area: Rect::new(10, 5, 14, 1), press: Press::Confirm }, "Enter/y to run");
        assert_eq!(b[1], Button { area: Rect::new(27, 5, 15, 1), press: Press::Cancel }, "Esc/n to cancel");
        assert!(buttons(&Line::from("no hints here"), 0, 0, 40).is_empty());
        // Cut by a narrow box: only what is drawn can be pressed.
        let b = buttons(&line, 10, 5, 20);
        assert_eq!(b[1].area, Rect::new(27, 5, 3, 1));
    }
}
