//! Which theme the console draws with: `NO_COLOR` (non-empty) means `mono`; otherwise the
//! config's `theme`, a built-in name or a file; otherwise `default`. The built-in themes are the
//! files in `themes/`, compiled in so the binary needs nothing beside it.

use super::{parse, Theme};
use std::ffi::OsStr;
use std::path::Path;

/// The built-in themes, by name, as their files say them.
pub const BUILTIN: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// The text of the built-in theme `name`.
pub fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// A theme from a theme file's text: the default theme with the roles the file names replaced.
pub fn from_text(text: &str) -> Result<Theme, Vec<String>> {
    let file = parse::file(text)?;
    let mut theme = Theme::default();
    for (role, style) in file.styles {
        if let Some(slot) = theme.role_mut(&role) {
            *slot = style;
        }
    }
    if let Some(on) = file.env_colors {
        theme.env_colors = on;
    }
    Ok(theme)
}

/// Whether the `NO_COLOR` value asks for no colour: set and not empty (https://no-color.org).
pub fn no_color(value: Option<&OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// The theme to draw with, for the config's `theme` (a built-in name, or a file path already
/// made absolute by the config loader) and `NO_COLOR`. A theme file that cannot be read or has
/// problems is an error naming the file (and line and column), one line per problem.
pub fn choose(theme: Option<&str>, no_color: bool) -> Result<Theme, String> {
    let name = if no_color { Some("mono") } else { theme };
    let Some(name) = name else { return Ok(Theme::default()) };
    if let Some(text) = builtin_text(name) {
        return from_text(text).map_err(|problems| located(&format!("built-in theme {name}"), &problems));
    }
    let path = Path::new(name);
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read theme: {e}", path.display()))?;
    from_text(&text).map_err(|problems| located(&path.display().to_string(), &problems))
}

fn located(what: &str, problems: &[String]) -> String {
    problems.iter().map(|p| format!("{what}:{p}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier, Style};

    fn colours(theme: &Theme) -> Vec<Color> {
        let mut t = *theme;
        parse::ROLES
            .iter()
            .filter_map(|r| t.role_mut(r).map(|s| *s))
            .flat_map(|s: Style| [s.fg, s.bg])
            .flatten()
            .collect()
    }

    #[test]
    fn every_built_in_theme_parses_and_names_every_role() {
        for (name, text) in BUILTIN {
            let file = parse::file(text).unwrap_or_else(|p| panic!("{name}: {p:?}"));
            let named: Vec<&str> = file.styles.keys().map(String::as_str).collect();
            let mut roles = parse::ROLES.to_vec();
            roles.sort_unstable();
            assert_eq!(named, roles, "{name} names every role, so none is inherited from default");
        }
    }

    #[test]
    fn the_default_file_is_the_default_theme() {
        assert_eq!(choose(Some("default"), false), Ok(Theme::default()));
        assert_eq!(choose(None, false), Ok(Theme::default()));
    }

    #[test]
    fn the_default_theme_uses_only_the_16_named_colours() {
        let all = colours(&Theme::default());
        assert!(!all.is_empty());
        for c in all {
            assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?} is not safe on a 16-colour terminal");
        }
    }

    #[test]
    fn mono_has_no_colour_and_ignores_environment_colours() {
        let mono = choose(Some("mono"), false).expect("mono");
        assert_eq!(colours(&mono), Vec::<Color>::new());
        assert!(!mono.env_colors);
        assert_eq!(mono.env_color(Some(opsdeck_core::config::EnvColor::Red)), None);
        assert_eq!(mono.env_tag(Some(opsdeck_core::config::EnvColor::Red)).fg, None);
    }

    #[test]
    fn no_color_overrides_the_config() {
        assert!(no_color(Some(OsStr::new("1"))));
        assert!(!no_color(Some(OsStr::new(""))), "an empty NO_COLOR is as good as none");
        assert!(!no_color(None));
        assert_eq!(choose(Some("light"), true), choose(Some("mono"), false));
        assert_ne!(choose(Some("light"), false), choose(Some("mono"), false));
    }

    #[test]
    fn a_theme_file_replaces_the_roles_it_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "# mine\nok = \"lightgreen on black\"\n").expect("write");
        let theme = choose(path.to_str(), false).expect("valid");
        assert_eq!(theme.ok, Style::new().fg(Color::LightGreen).bg(Color::Black));
        assert_eq!(theme.crit, Theme::default().crit, "roles left out are the default's");
        assert_eq!(theme.crit.add_modifier, Modifier::BOLD);
    }

    #[test]
    fn a_bad_theme_file_is_located() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "ok = \"green\"\nwarn = \"mauve\"\n").expect("write");
        let e = choose(path.to_str(), false).expect_err("mauve");
        assert!(e.starts_with(&format!("{}:2:1: `warn`: `mauve` is not a colour", path.display())), "{e}");
        let e = choose(dir.path().join("none.toml").to_str(), false).expect_err("missing");
        assert!(e.contains("none.toml: cannot read theme"), "{e}");
    }
}
