//! Fitting a table's columns to the width it gets: columns are kept by importance while their
//! minimum fits, then widened toward their content, and each cell takes the most detailed of its
//! variants that fits. A column that does not fit is dropped whole, never squeezed into garble.

use super::common::fit_line;
use crate::theme::Theme;
use ratatui::layout::Constraint;
use ratatui::text::{Line, Text};
use ratatui::widgets::{Cell, Row};

/// Cells between columns (the [`ratatui::widgets::Table`] default).
pub const GAP: u16 = 1;

/// One column before fitting.
pub struct Column<'a> {
    /// One line, or two when the column has something to say about itself (a host down).
    pub header: Text<'a>,
    /// 0 is kept first; larger numbers are dropped first when space runs out.
    pub priority: u8,
    /// Narrowest useful width: below it the column is dropped rather than squeezed.
    pub min: u16,
    /// Widest the column may become; `None` means as wide as its widest cell.
    pub max: Option<u16>,
    /// A column of free text (a reason, a summary): kept at `min` when it fits, and given
    /// whatever width is left once the other columns have theirs.
    pub flex: bool,
    /// Per row, the cell's content from most to least detailed. The first that fits is shown;
    /// if none fits, the last is shortened with "…".
    pub cells: Vec<Vec<Line<'a>>>,
}

impl<'a> Column<'a> {
    pub fn new(header: impl Into<Text<'a>>, priority: u8, min: u16) -> Column<'a> {
        Column { header: header.into(), priority, min, max: None, flex: false, cells: Vec::new() }
    }

    pub fn max(mut self, max: u16) -> Column<'a> {
        self.max = Some(max);
        self
    }

    pub fn flex(mut self) -> Column<'a> {
        self.flex = true;
        self
    }

    /// Whether every cell is blank.
    fn is_empty(&self) -> bool {
        self.cells.iter().all(|v| v.iter().all(|l| l.width() == 0))
    }

    /// Adds one row's cell variants, most detailed first.
    pub fn push(&mut self, variants: Vec<Line<'a>>) {
        self.cells.push(variants);
    }

    /// The width of the least detailed content (and the header): the narrowest the column can
    /// be without cutting anything.
    pub fn compact(&self) -> u16 {
        self.level_widths().last().copied().unwrap_or(0)
    }

    /// Per level of detail (most detailed first), the width that shows every row at that level
    /// (a row with fewer variants uses its last), never narrower than the header, capped by `max`.
    fn level_widths(&self) -> Vec<u16> {
        let levels = self.cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
        (0..levels)
            .map(|level| {
                let widest =
                    self.cells.iter().filter_map(|v| v.get(level).or(v.last())).map(Line::width).max().unwrap_or(0);
                let w = widest.max(self.header.width()).min(usize::from(u16::MAX)) as u16;
                self.max.map_or(w, |m| w.min(m))
            })
            .collect()
    }
}

/// The columns that fit, ready for a [`ratatui::widgets::Table`].
pub struct Fitted<'a> {
    /// Indexes (into the columns given) of the columns kept, in their original order.
    pub kept: Vec<usize>,
    pub widths: Vec<Constraint>,
    pub header: Row<'a>,
    /// Lines the header takes (where the rows start, for hit testing).
    pub header_height: u16,
    pub rows: Vec<Row<'a>>,
}

impl Fitted<'_> {
    /// Where column `index` (of the columns given) ended up, if it was kept.
    pub fn position(&self, index: usize) -> Option<usize> {
        self.kept.iter().position(|k| *k == index)
    }

    pub fn is_kept(&self, index: usize) -> bool {
        self.position(index).is_some()
    }
}

/// The rows of a table of `len` rows that can show when `selected` is shown in `height` lines:
/// a [`ratatui::widgets::Table`] with a fresh state scrolls just far enough for the selected row,
/// so only these need building (a fleet's thousand slots cost a frame nothing). Widths then fit
/// what is on screen.
pub fn visible(len: usize, selected: usize, height: u16) -> std::ops::Range<usize> {
    let height = usize::from(height).max(1);
    let start = selected.min(len.saturating_sub(1)).saturating_sub(height - 1);
    start..len.min(start + height)
}

/// Fits `columns` into `width` cells. Every column must have the same number of rows.
pub fn fit<'a>(columns: Vec<Column<'a>>, width: u16, theme: &Theme) -> Fitted<'a> {
    let widths = choose_widths(&columns, width);
    let kept: Vec<usize> = (0..columns.len()).filter(|i| widths[*i].is_some()).collect();
    let n_rows = columns.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    let header_height = columns.iter().zip(&widths).filter(|(_, w)| w.is_some()).map(|(c, _)| c.header.height()).max();
    let header_height = header_height.unwrap_or(1).max(1) as u16;
    let mut header = Vec::new();
    let mut rows: Vec<Vec<Cell<'a>>> = vec![Vec::new(); n_rows];
    for (column, w) in columns.into_iter().zip(&widths) {
        let Some(w) = *w else { continue };
        let lines: Vec<Line<'a>> = column.header.lines.into_iter().map(|l| fit_line(l, w as usize)).collect();
        header.push(Cell::from(Text::from(lines)));
        for (row, variants) in rows.iter_mut().zip(column.cells) {
            row.push(Cell::from(choose_variant(variants, w as usize)));
        }
    }
    Fitted {
        widths: widths.iter().flatten().map(|w| Constraint::Length(*w)).collect(),
        kept,
        header: Row::new(header).height(header_height).style(theme.header),
        header_height,
        rows: rows.into_iter().map(Row::new).collect(),
    }
}

/// Per column, its width, or None when dropped. Priority-0 columns are always kept (at `min`
/// when nothing more fits); every other column is kept only if its compact content fits whole.
/// Spare width then widens kept columns toward their most detailed content, by priority.
fn choose_widths(columns: &[Column<'_>], width: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|i| (columns[*i].priority, *i));
    let mut widths: Vec<Option<u16>> = vec![None; columns.len()];
    let mut used: u16 = 0;
    let gap = |used: u16| if used == 0 { 0 } else { GAP };
    for &i in order.iter().filter(|i| columns[**i].priority == 0) {
        let w = columns[i].min.min(columns[i].compact());
        used = used.saturating_add(gap(used)).saturating_add(w);
        widths[i] = Some(w);
    }
    for &i in &order {
        let compact = if columns[i].flex { columns[i].min } else { columns[i].compact().max(columns[i].min) };
        match widths[i].as_mut() {
            Some(w) => {
                let grow = compact.saturating_sub(*w).min(width.saturating_sub(used));
                *w += grow;
                used += grow;
            }
            // A column with nothing in it would only show its header.
            None if columns[i].is_empty() => {}
            None => {
                let need = compact.saturating_add(gap(used));
                if used.saturating_add(need) <= width {
                    used += need;
                    widths[i] = Some(compact);
                }
            }
        }
    }
    grow_by_levels(columns, &order, &mut widths, &mut used, width);
    for &i in order.iter().filter(|i| columns[**i].flex) {
        let Some(mut w) = widths[i] else { continue };
        let want = columns[i].level_widths()[0];
        let grow = want.saturating_sub(w).min(width.saturating_sub(used));
        w += grow;
        used += grow;
        // Free text cut short is worth more than a less important column: drop those, least
        // important first, until the text fits.
        while w < want {
            let victim = order
                .iter()
                .rev()
                .copied()
                .find(|v| widths[*v].is_some() && columns[*v].priority > columns[i].priority);
            let Some(v) = victim else { break };
            let freed = widths[v].take().unwrap_or(0) + GAP;
            used -= freed;
            let grow = (want - w).min(width.saturating_sub(used));
            w += grow;
            used += grow;
        }
        widths[i] = Some(w);
    }
    // What dropped columns freed beyond the text's needs goes back to the others.
    grow_by_levels(columns, &order, &mut widths, &mut used, width);
    widths
}

/// Widens kept columns by whole levels of detail only: half a level would show the same cells as
/// before with blank space after them, space another column could have used.
fn grow_by_levels(columns: &[Column<'_>], order: &[usize], widths: &mut [Option<u16>], used: &mut u16, width: u16) {
    for &i in order.iter().filter(|i| !columns[**i].flex) {
        if let Some(w) = widths[i].as_mut() {
            let room = *w + width.saturating_sub(*used);
            if let Some(better) = columns[i].level_widths().into_iter().find(|l| *l > *w && *l <= room) {
                *used += better - *w;
                *w = better;
            }
        }
    }
}

fn choose_variant(variants: Vec<Line<'_>>, width: usize) -> Line<'_> {
    let n = variants.len();
    let mut last = None;
    for (i, v) in variants.into_iter().enumerate() {
        if v.width() <= width {
            return v;
        }
        if i + 1 == n {
            last = Some(v);
        }
    }
    last.map(|v| fit_line(v, width)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_visible_rows_are_those_a_fresh_table_shows() {
        assert_eq!(visible(100, 0, 10), 0..10);
        assert_eq!(visible(100, 9, 10), 0..10);
        // The selected row is the last one shown once it is below the first screen.
        assert_eq!(visible(100, 42, 10), 33..43);
        assert_eq!(visible(100, 500, 10), 90..100);
        assert_eq!(visible(5, 3, 10), 0..5);
        assert_eq!(visible(0, 0, 10), 0..0);
    }

    fn col(name: &'static str, priority: u8, min: u16, cells: &[&[&'static str]]) -> Column<'static> {
        let mut c = Column::new(name, priority, min);
        for v in cells {
            c.push(v.iter().map(|s| Line::from(*s)).collect());
        }
        c
    }

    #[test]
    fn columns_are_dropped_by_priority_not_squeezed() {
        let cols = vec![
            col("name", 0, 6, &[&["api-gateway", "api-g…"]]),
            col("digest", 2, 7, &[&["3f9c2e1"]]),
            col("age", 1, 3, &[&["12d"]]),
        ];
        let widths = choose_widths(&cols, 12);
        assert_eq!(widths, vec![Some(6), None, Some(3)]);
        let widths = choose_widths(&cols, 40);
        assert_eq!(widths, vec![Some(11), Some(7), Some(3)]);
    }

    #[test]
    fn free_text_takes_what_is_left() {
        let reason = "docker: no answer within 3s (42s)";
        let mut cols = vec![col("host", 0, 4, &[&["prod-2"]]), col("reason", 1, 8, &[&[reason]])];
        cols[1].flex = true;
        assert_eq!(choose_widths(&cols, 20), vec![Some(6), Some(13)]);
        assert_eq!(choose_widths(&cols, 100), vec![Some(6), Some(33)]);
        assert_eq!(choose_widths(&cols, 12), vec![Some(6), None]);
        // A less important column gives way to the text.
        cols.push(col("fields", 2, 6, &[&["db=ok"]]));
        assert_eq!(choose_widths(&cols, 30), vec![Some(6), Some(23), None]);
        assert_eq!(choose_widths(&cols, 60), vec![Some(6), Some(33), Some(6)]);
    }

    #[test]
    fn blank_columns_are_left_out() {
        let cols = vec![col("name", 0, 4, &[&["api"]]), col("labels", 1, 4, &[&[""]])];
        assert_eq!(choose_widths(&cols, 40), vec![Some(4), None]);
    }

    #[test]
    fn cells_take_the_most_detailed_variant_that_fits() {
        let v = || vec![Line::from("v1.2.0 blue ● ↓1"), Line::from("v1.2.0 b ●↓1"), Line::from("v1.2.0 ●")];
        assert_eq!(choose_variant(v(), 20).to_string(), "v1.2.0 blue ● ↓1");
        assert_eq!(choose_variant(v(), 12).to_string(), "v1.2.0 b ●↓1");
        assert_eq!(choose_variant(v(), 5).to_string(), "v1.2…");
    }
}
