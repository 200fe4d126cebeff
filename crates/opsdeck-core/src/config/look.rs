//! How the console looks, as far as the config says: the theme (`theme = "light"` or a file) and
//! each environment's colour (`color = "red"`). Only names are checked here; the console reads
//! theme files and turns names into terminal colours.

use serde::{Deserialize, Serialize};

/// The themes built into the console, by name; any other `theme` value is a file path.
pub const BUILTIN_THEMES: [&str; 4] = ["default", "light", "high-contrast", "mono"];

/// An environment's colour: one of the 16 basic ANSI colours, so it shows on any terminal. A
/// name outside this list is refused where it is written (serde reports the value's line and
/// column, and lists the names).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EnvColor {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    #[serde(alias = "grey")]
    Gray,
    #[serde(alias = "darkgrey")]
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
}

/// Whether `theme` names a file rather than a built-in theme: it has a path separator or ends
/// in `.toml`. Anything else must be one of [`BUILTIN_THEMES`].
pub fn is_theme_path(theme: &str) -> bool {
    theme.contains('/') || theme.ends_with(".toml")
}

/// The problem with a `theme` value, if any.
pub fn theme_problem(theme: &str) -> Option<String> {
    if is_theme_path(theme) || BUILTIN_THEMES.contains(&theme) {
        return None;
    }
    Some(format!(
        "theme `{theme}` is not built in (built-in: {}); a theme file is named by a path ending in .toml",
        BUILTIN_THEMES.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load::tests::GOOD;
    use crate::config::parse_str;

    fn problems(text: &str) -> Vec<String> {
        match parse_str(text) {
            Ok(_) => vec![],
            Err(ps) => ps.into_iter().map(|p| format!("{}:{}: {}", p.line, p.column, p.message)).collect(),
        }
    }

    #[test]
    fn an_environment_may_carry_a_colour() {
        let text = GOOD.replace("name = \"prod\"", "name = \"prod\"\ncolor = \"red\"");
        let c = parse_str(&text).expect("valid");
        assert_eq!(c.environments[1].color, Some(EnvColor::Red));
        assert_eq!(c.environments[0].color, None);
        let grey = GOOD.replace("name = \"prod\"", "name = \"prod\"\ncolor = \"lightcyan\"");
        assert_eq!(parse_str(&grey).expect("valid").environments[1].color, Some(EnvColor::LightCyan));
    }

    #[test]
    fn a_bad_colour_name_is_located() {
        let text = GOOD.replace("name = \"prod\"", "name = \"prod\"\ncolor = \"crimson\"");
        let ps = problems(&text);
        assert_eq!(ps.len(), 1, "{ps:?}");
        let line = text.lines().position(|l| l.starts_with("color")).expect("line") + 1;
        assert!(ps[0].starts_with(&format!("{line}:9: ")), "{ps:?}");
        assert!(ps[0].contains("unknown variant `crimson`") && ps[0].contains("lightred"), "{ps:?}");
    }

    #[test]
    fn theme_is_a_built_in_name_or_a_file() {
        let with = |v: &str| format!("theme = \"{v}\"\n{GOOD}");
        assert_eq!(parse_str(&with("light")).expect("valid").theme.as_deref(), Some("light"));
        assert!(problems(&with("themes/mine.toml")).is_empty());
        let ps = problems(&with("solarized"));
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert!(ps[0].starts_with("1:9: theme `solarized` is not built in"), "{ps:?}");
        assert_eq!(parse_str(GOOD).expect("valid").theme, None);
    }
}
