//! Colours and styles: one plain struct of [`Style`]s that every pane reads, so a theme file can
//! later replace any of them without touching drawing code.

use ratatui::style::{Color, Modifier, Style};

/// Every style the screen uses, by meaning rather than by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Ordinary text.
    pub text: Style,
    /// Healthy, up, answered.
    pub ok: Style,
    /// Unreachable, behind, silenced-but-notable: look soon.
    pub warn: Style,
    /// Unhealthy, critical alert firing: look now.
    pub crit: Style,
    /// Secondary detail (idle slots, ages, pending "…").
    pub dim: Style,
    /// Border of an unfocused pane.
    pub border: Style,
    /// Border of the focused pane.
    pub focus_border: Style,
    /// Pane titles.
    pub title: Style,
    /// Title of the focused pane.
    pub focus_title: Style,
    /// Table column headers.
    pub header: Style,
    /// The selection in the focused pane.
    pub selected: Style,
    /// The selection in an unfocused pane: still findable, not competing with the focus.
    pub selected_blur: Style,
    /// Key names in the hint bar and the help overlay.
    pub key: Style,
    /// The status bar's one-line notice.
    pub notice: Style,
    /// The product name in the title line.
    pub brand: Style,
}

impl Default for Theme {
    /// A dark-terminal palette made only of the 16 basic ANSI colours and modifiers, so it reads
    /// the same over SSH on any terminal. Dim text uses the DIM modifier rather than "bright
    /// black", which some palettes (Solarized) make the same colour as the background.
    fn default() -> Self {
        Theme {
            text: Style::new(),
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            crit: Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD),
            dim: Style::new().add_modifier(Modifier::DIM),
            border: Style::new().fg(Color::Gray),
            focus_border: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD),
            focus_title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            header: Style::new().add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            selected_blur: Style::new().add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            notice: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            brand: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        }
    }
}
