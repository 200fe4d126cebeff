//! Colours and styles: one plain struct of [`Style`]s that every pane reads, filled from a theme
//! (built in, or a file: [`load`]), and how an environment's own colour shows on it.

mod load;
pub mod parse;

pub use load::{builtin_text, choose, from_text, no_color, BUILTIN};

use opsdeck_core::config::EnvColor;
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
    /// Whether environments' colours (`color = "red"`) show; a theme without colour says no.
    pub env_colors: bool,
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
            env_colors: true,
        }
    }
}

impl Theme {
    /// The style a role names ([`parse::ROLES`]), to fill from a theme file.
    fn role_mut(&mut self, role: &str) -> Option<&mut Style> {
        Some(match role {
            "text" => &mut self.text,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "crit" => &mut self.crit,
            "dim" => &mut self.dim,
            "border" => &mut self.border,
            "focus_border" => &mut self.focus_border,
            "title" => &mut self.title,
            "focus_title" => &mut self.focus_title,
            "header" => &mut self.header,
            "selected" => &mut self.selected,
            "selected_blur" => &mut self.selected_blur,
            "key" => &mut self.key,
            "notice" => &mut self.notice,
            "brand" => &mut self.brand,
            _ => return None,
        })
    }

    /// An environment's colour as this theme shows it: none when the theme has no colours.
    pub fn env_color(&self, color: Option<EnvColor>) -> Option<Color> {
        color.filter(|_| self.env_colors).map(terminal_color)
    }

    /// An environment's name in its colour (its column header); plain without one.
    pub fn env_name(&self, color: Option<EnvColor>) -> Style {
        self.env_color(color).map_or(Style::new(), |c| Style::new().fg(c))
    }

    /// This theme with the frame of overlays (their `focus_border`) in an environment's colour:
    /// what a confirmation or view acting on that environment is drawn with.
    pub fn framed_for(&self, color: Option<EnvColor>) -> Theme {
        match self.env_color(color) {
            Some(c) => Theme { focus_border: self.focus_border.fg(c), ..*self },
            None => *self,
        }
    }

    /// An environment's name in its colour, as a block of colour (reversed), in the title line:
    /// reversed and bold still set it apart on a theme without colours.
    pub fn env_tag(&self, color: Option<EnvColor>) -> Style {
        let style = Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        match self.env_color(color) {
            Some(c) => style.fg(c),
            None => style,
        }
    }
}

/// The 16-colour terminal colour of a config colour name.
pub fn terminal_color(color: EnvColor) -> Color {
    match color {
        EnvColor::Black => Color::Black,
        EnvColor::Red => Color::Red,
        EnvColor::Green => Color::Green,
        EnvColor::Yellow => Color::Yellow,
        EnvColor::Blue => Color::Blue,
        EnvColor::Magenta => Color::Magenta,
        EnvColor::Cyan => Color::Cyan,
        EnvColor::Gray => Color::Gray,
        EnvColor::DarkGray => Color::DarkGray,
        EnvColor::LightRed => Color::LightRed,
        EnvColor::LightGreen => Color::LightGreen,
        EnvColor::LightYellow => Color::LightYellow,
        EnvColor::LightBlue => Color::LightBlue,
        EnvColor::LightMagenta => Color::LightMagenta,
        EnvColor::LightCyan => Color::LightCyan,
        EnvColor::White => Color::White,
    }
}
