//! Screenshots as SVG: a rendered [`Buffer`] becomes an image with its colours, one `<text>` per
//! screen line and one `<tspan>` per run of equally styled cells, so README screenshots are
//! generated from the same buffers the snapshot tests check instead of drawn by hand.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;
use std::fmt::Write;

/// Width of one terminal cell in pixels (0.6 em, the advance of common monospace fonts).
pub const CELL_WIDTH: f32 = 8.4;
/// Height of one terminal line in pixels.
pub const CELL_HEIGHT: f32 = 18.0;
/// Monospace fonts likely to be installed wherever the SVG is viewed.
const FONT_FAMILY: &str = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace";
/// Font size in pixels.
const FONT_SIZE: f32 = 14.0;
/// Distance from a line's top to the text baseline.
const BASELINE: f32 = 13.5;
/// A terminal's own colours (for cells that use `Color::Reset`) and its 16 ANSI colours: themes
/// for light backgrounds are shown on a light terminal.
pub struct TerminalColors {
    pub fg: &'static str,
    pub bg: &'static str,
    pub ansi: [&'static str; 16],
}

/// A common dark terminal palette.
pub const DARK: TerminalColors = TerminalColors {
    fg: "#cccccc",
    bg: "#1e1e1e",
    ansi: [
        "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5", "#666666", "#f14c4c",
        "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
    ],
};

/// A common light terminal palette (the same ANSI colours as a light editor theme shows them).
pub const LIGHT: TerminalColors = TerminalColors {
    fg: "#333333",
    bg: "#ffffff",
    ansi: [
        "#000000", "#cd3131", "#00bc00", "#949800", "#0451a5", "#bc05bc", "#0598bc", "#555555", "#666666", "#cd3131",
        "#14ce14", "#b5ba00", "#0451a5", "#bc05bc", "#0598bc", "#a5a5a5",
    ],
};

/// The look of one run of cells, after REVERSED has swapped the colours.
#[derive(Debug, Clone, PartialEq)]
struct Look {
    fg: String,
    bg: String,
    modifier: Modifier,
}

/// One run of same-looking cells on a line.
struct Run {
    x: u16,
    cells: u16,
    text: String,
    look: Look,
}

/// Renders `buf` as a standalone SVG document, as a dark terminal shows it.
pub fn buffer_to_svg(buf: &Buffer) -> String {
    buffer_to_svg_on(buf, &DARK)
}

/// Renders `buf` as a standalone SVG document, as a terminal with colours `term` shows it.
pub fn buffer_to_svg_on(buf: &Buffer, term: &TerminalColors) -> String {
    let area = buf.area;
    let (w, h) = (f32::from(area.width) * CELL_WIDTH, f32::from(area.height) * CELL_HEIGHT);
    let mut out = String::new();
    let _ = write!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.1}" height="{h:.1}" "#);
    let _ = writeln!(out, r#"viewBox="0 0 {w:.1} {h:.1}" font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">"#);
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="{}"/>"#, term.bg);
    let lines: Vec<Vec<Run>> = (0..area.height).map(|y| runs(buf, area.y + y, term)).collect();
    out.push_str("<g shape-rendering=\"crispEdges\">\n");
    for (row, runs) in lines.iter().enumerate() {
        for run in runs.iter().filter(|r| r.look.bg != term.bg) {
            let _ = writeln!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{CELL_HEIGHT:.1}" fill="{}"/>"#,
                f32::from(run.x) * CELL_WIDTH,
                row as f32 * CELL_HEIGHT,
                f32::from(run.cells) * CELL_WIDTH,
                run.look.bg
            );
        }
    }
    out.push_str("</g>\n");
    for (row, runs) in lines.iter().enumerate() {
        let _ = write!(out, r#"<text y="{:.1}" xml:space="preserve">"#, row as f32 * CELL_HEIGHT + BASELINE);
        for run in runs {
            write_tspan(&mut out, run);
        }
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// A run as a `<tspan>` placed at its cell and stretched to its cells' width, so a glyph drawn
/// from a fallback font cannot push the rest of the line out of its columns.
fn write_tspan(out: &mut String, run: &Run) {
    let m = run.look.modifier;
    let decorated = m.intersects(Modifier::UNDERLINED | Modifier::CROSSED_OUT);
    if m.contains(Modifier::HIDDEN) || (run.text.trim().is_empty() && !decorated) {
        return;
    }
    let _ = write!(
        out,
        r#"<tspan x="{:.1}" textLength="{:.1}" lengthAdjust="spacingAndGlyphs" fill="{}""#,
        f32::from(run.x) * CELL_WIDTH,
        f32::from(run.cells) * CELL_WIDTH,
        run.look.fg
    );
    if m.contains(Modifier::BOLD) {
        out.push_str(r#" font-weight="bold""#);
    }
    if m.contains(Modifier::ITALIC) {
        out.push_str(r#" font-style="italic""#);
    }
    if m.contains(Modifier::DIM) {
        out.push_str(r#" fill-opacity="0.6""#);
    }
    match (m.contains(Modifier::UNDERLINED), m.contains(Modifier::CROSSED_OUT)) {
        (true, true) => out.push_str(r#" text-decoration="underline line-through""#),
        (true, false) => out.push_str(r#" text-decoration="underline""#),
        (false, true) => out.push_str(r#" text-decoration="line-through""#),
        (false, false) => {}
    }
    let _ = write!(out, ">{}</tspan>", escape(&run.text));
}

/// The runs of line `y`: cells hidden behind a wide symbol are skipped, as a terminal does.
fn runs(buf: &Buffer, y: u16, term: &TerminalColors) -> Vec<Run> {
    let area = buf.area;
    let mut runs: Vec<Run> = Vec::new();
    let mut x = area.x;
    while x < area.right() {
        let cell = &buf[(x, y)];
        let symbol = cell.symbol();
        let cells = (Span::raw(symbol).width() as u16).clamp(1, area.right() - x);
        let look = look(cell.fg, cell.bg, cell.modifier, term);
        match runs.last_mut() {
            Some(run) if run.look == look => {
                run.text.push_str(symbol);
                run.cells += cells;
            }
            _ => runs.push(Run { x: x - area.x, cells, text: symbol.to_string(), look }),
        }
        x += cells;
    }
    runs
}

fn look(fg: Color, bg: Color, modifier: Modifier, term: &TerminalColors) -> Look {
    let (fg, bg) = (hex(fg, term.fg, &term.ansi), hex(bg, term.bg, &term.ansi));
    let (fg, bg) = if modifier.contains(Modifier::REVERSED) { (bg, fg) } else { (fg, bg) };
    Look { fg, bg, modifier: modifier - Modifier::REVERSED }
}

/// `#rrggbb` for a ratatui colour; `reset` is the terminal's own colour for that layer.
pub fn hex(color: Color, reset: &str, palette: &[&str; 16]) -> String {
    let ansi = |i: usize| palette[i].to_string();
    match color {
        Color::Reset => reset.to_string(),
        Color::Black => ansi(0),
        Color::Red => ansi(1),
        Color::Green => ansi(2),
        Color::Yellow => ansi(3),
        Color::Blue => ansi(4),
        Color::Magenta => ansi(5),
        Color::Cyan => ansi(6),
        Color::Gray => ansi(7),
        Color::DarkGray => ansi(8),
        Color::LightRed => ansi(9),
        Color::LightGreen => ansi(10),
        Color::LightYellow => ansi(11),
        Color::LightBlue => ansi(12),
        Color::LightMagenta => ansi(13),
        Color::LightCyan => ansi(14),
        Color::White => ansi(15),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => indexed(i, palette),
    }
}

/// xterm's 256-colour table: the 16 ANSI colours, a 6x6x6 cube, then 24 greys.
fn indexed(i: u8, palette: &[&str; 16]) -> String {
    match i {
        0..=15 => palette[usize::from(i)].to_string(),
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            let i = i - 16;
            format!("#{:02x}{:02x}{:02x}", level(i / 36), level(i / 6 % 6), level(i % 6))
        }
        232..=255 => {
            let v = 8 + (i - 232) * 10;
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

/// Text made safe for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn text_is_escaped() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 1));
        buf.set_string(0, 0, "a<b>&\"c'", Style::new());
        let svg = buffer_to_svg(&buf);
        assert!(svg.contains("a&lt;b&gt;&amp;&quot;c&apos;"), "{svg}");
        assert!(!svg.contains("a<b"));
    }

    #[test]
    fn one_text_element_per_line() {
        let buf = crate::ui::render_to_buffer(&crate::test_support::gen_demo_model(), 80, 24);
        let svg = buffer_to_svg(&buf);
        assert_eq!(svg.matches("<text ").count(), 24);
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn styles_become_colours_and_runs() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 1));
        buf.set_string(0, 0, "ok", Style::new().fg(Color::Green));
        buf.set_string(3, 0, "bad", Style::new().fg(Color::Rgb(255, 0, 0)).add_modifier(Modifier::REVERSED));
        let svg = buffer_to_svg(&buf);
        assert!(svg.contains(&format!(r#"fill="{}">ok</tspan>"#, DARK.ansi[2])), "{svg}");
        // Reversed: the red becomes the background, the default background the text colour.
        assert!(svg.contains(r##"fill="#ff0000"/>"##), "{svg}");
        assert!(svg.contains(&format!(r#"fill="{}">bad</tspan>"#, DARK.bg)), "{svg}");
        let light = buffer_to_svg_on(&buf, &LIGHT);
        assert!(light.contains(&format!(r#"fill="{}">bad</tspan>"#, LIGHT.bg)), "{light}");
    }

    #[test]
    fn indexed_colours_follow_xterm() {
        let p = &DARK.ansi;
        assert_eq!(indexed(1, p), DARK.ansi[1]);
        assert_eq!(indexed(16, p), "#000000");
        assert_eq!(indexed(196, p), "#ff0000");
        assert_eq!(indexed(231, p), "#ffffff");
        assert_eq!(indexed(232, p), "#080808");
        assert_eq!(indexed(255, p), "#eeeeee");
    }
}
