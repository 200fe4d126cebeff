//! Reading a theme file: `role = "style words"` lines, each role one of [`ROLES`], each style a
//! foreground colour, `on` and a background colour, and modifiers; and `env_colors = false` for a
//! theme that ignores environments' colours. A problem is reported with the line and column it is
//! at, as config problems are.

use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Every role a theme names, in the order the files list them.
pub const ROLES: [&str; 15] = [
    "text",
    "ok",
    "warn",
    "crit",
    "dim",
    "border",
    "focus_border",
    "title",
    "focus_title",
    "header",
    "selected",
    "selected_blur",
    "key",
    "notice",
    "brand",
];

/// One style from its words: `"lightred bold"`, `"black on yellow bold"`, `""`.
pub fn style(words: &str) -> Result<Style, String> {
    let mut style = Style::new();
    let mut tokens = words.split_whitespace().peekable();
    let mut fg_set = false;
    while let Some(word) = tokens.next() {
        let modifier = match word.to_ascii_lowercase().as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underlined" | "underline" => Some(Modifier::UNDERLINED),
            "reversed" | "reverse" => Some(Modifier::REVERSED),
            "crossed_out" => Some(Modifier::CROSSED_OUT),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
        } else if word.eq_ignore_ascii_case("on") {
            let Some(bg) = tokens.next() else { return Err("`on` needs a background colour after it".into()) };
            style = style.bg(colour(bg)?);
        } else if fg_set {
            return Err(format!("`{word}`: a style has one foreground colour (a background goes after `on`)"));
        } else {
            style = style.fg(colour(word)?);
            fg_set = true;
        }
    }
    Ok(style)
}

fn colour(word: &str) -> Result<Color, String> {
    Color::from_str(word)
        .map_err(|_| format!("`{word}` is not a colour (a name such as red or lightcyan, a number 0-255, or #rrggbb)"))
}

/// What a theme file says: styles by role (roles it leaves out are not in the map), and whether
/// environments' colours show, when it says.
#[derive(Debug, Default, PartialEq)]
pub struct ThemeFile {
    pub styles: BTreeMap<String, Style>,
    pub env_colors: Option<bool>,
}

/// The one key of a theme file that is not a role.
pub const ENV_COLORS: &str = "env_colors";

/// A theme file's contents, or every problem in it as `line:col: message`.
pub fn file(text: &str) -> Result<ThemeFile, Vec<String>> {
    let table: BTreeMap<String, toml::Value> = toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        vec![format!("{line}:{col}: {}", e.message().trim().replace('\n', " "))]
    })?;
    let mut parsed = ThemeFile::default();
    let mut problems = Vec::new();
    for (role, value) in table {
        let (line, col) = locate_key(text, &role);
        if role == ENV_COLORS {
            match value.as_bool() {
                Some(b) => parsed.env_colors = Some(b),
                None => problems.push(format!("{line}:{col}: `{ENV_COLORS}` must be true or false")),
            }
            continue;
        }
        if !ROLES.contains(&role.as_str()) {
            problems
                .push(format!("{line}:{col}: unknown role `{role}` (roles: {}; and {ENV_COLORS})", ROLES.join(", ")));
            continue;
        }
        let Some(words) = value.as_str() else {
            problems.push(format!("{line}:{col}: `{role}` must be a string of style words"));
            continue;
        };
        match style(words) {
            Ok(s) => {
                parsed.styles.insert(role, s);
            }
            Err(e) => problems.push(format!("{line}:{col}: `{role}`: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// Where `key = ` starts in the text (1-based), or 1:1.
fn locate_key(text: &str, key: &str) -> (usize, usize) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return line_col(text, offset + line.len() - trimmed.len());
            }
        }
        offset += line.len();
    }
    (1, 1)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_words_make_styles() {
        assert_eq!(style(""), Ok(Style::new()));
        assert_eq!(style("lightred bold"), Ok(Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD)));
        assert_eq!(
            style("black on yellow bold"),
            Ok(Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD))
        );
        assert_eq!(style("#ff8000"), Ok(Style::new().fg(Color::Rgb(255, 128, 0))));
        assert!(style("red green").is_err());
        assert!(style("on").is_err());
        assert!(style("chartreuse-ish").unwrap_err().contains("not a colour"));
    }

    #[test]
    fn problems_say_where_they_are() {
        let text = "ok = \"green\"\n  okay = \"red\"\ncrit = \"blinky\"\nwarn = 3\n";
        let problems = file(text).unwrap_err();
        assert!(problems.iter().any(|p| p.starts_with("2:3: unknown role `okay`")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("3:1: `crit`: `blinky` is not a colour")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("4:1: `warn` must be a string")), "{problems:?}");
        let broken = file("ok = \"green\nwarn").unwrap_err();
        assert!(broken[0].starts_with("2:5: "), "{broken:?}");
        let flag = file("env_colors = \"no\"\n").unwrap_err();
        assert!(flag[0].starts_with("1:1: `env_colors` must be true or false"), "{flag:?}");
        assert_eq!(file("env_colors = false\n").map(|f| f.env_colors), Ok(Some(false)));
    }
}
