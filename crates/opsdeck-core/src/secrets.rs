//! The config's secret values (see [`crate::config::EnvValue`]), to mask them wherever outside
//! text could carry one to the screen or the store: a health body that echoes its environment,
//! an alert annotation, an engine's error line.
//!
//! Secret values are given to the containers and to nothing else: the journal skips them
//! (`SlotSpec::env_vars` is not serialized), audit records and `status --json` never hold the
//! config's env, and every outside string passes through [`Secrets::mask`] on its way in
//! (`update`, for the console and `status`; `Outside`, for errors and health reasons an action
//! writes to the journal).

use crate::config::Config;
use std::borrow::Cow;
use std::fmt;

/// What a secret value is replaced with.
pub const MASK: &str = "••••";
/// Shorter values are masked only where they stand as a word of their own: masking every `on`
/// inside `json` would garble the screen, while `pw=on` must still not show the value.
pub const MIN_LEN: usize = 4;

/// Known secret values, longest first (a value inside another is masked as part of the longer).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: Vec<String>,
    /// Values under [`MIN_LEN`] characters, masked as whole words only.
    short: Vec<String>,
}

// Never prints a value: a Model or an Outside in a debug print stays safe.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} values)", self.values.len() + self.short.len())
    }
}

impl Secrets {
    /// Every secret value of every service in `config`, the registry's password, and the secret
    /// parts of its webhooks' URLs.
    pub fn from_config(config: &Config) -> Secrets {
        let registry = config.registry.password.as_ref().map(|p| p.value.clone());
        // A webhook's token (see `config::notify`) is as secret as a password.
        let hooks = config.notify.iter().flat_map(|n| n.secret_parts());
        let services = config.services.iter().flat_map(|s| s.secret_values()).map(str::to_string);
        Secrets::new(services.chain(registry).chain(hooks))
    }

    /// These values, and the forms they take once quoted in JSON or cleaned of control characters
    /// (so a value is found however the outside text carries it). Values under [`MIN_LEN`]
    /// characters are kept apart and masked as whole words; empty values are left out.
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Secrets {
        let mut out: Vec<String> = Vec::new();
        let mut short: Vec<String> = Vec::new();
        for value in values {
            let value = value.as_ref();
            let json = serde_json::to_string(value).ok().map(|q| q.trim_matches('"').to_string());
            let cleaned = crate::text::clean(value).into_owned();
            for form in [Some(value.to_string()), json, Some(cleaned)].into_iter().flatten() {
                let list = if form.chars().count() >= MIN_LEN { &mut out } else { &mut short };
                if !form.is_empty() && !list.contains(&form) {
                    list.push(form);
                }
            }
        }
        for list in [&mut out, &mut short] {
            list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        }
        Secrets { values: out, short }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.short.is_empty()
    }

    /// Whether `text` holds a known secret value.
    pub fn reveals(&self, text: &str) -> bool {
        self.values.iter().any(|v| text.contains(v.as_str()))
            || self.short.iter().any(|v| !word_matches(text, v).is_empty())
    }

    /// `text` with every known secret value replaced by [`MASK`]; borrowed when there is none.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), MASK));
            }
        }
        for value in &self.short {
            let at = word_matches(&out, value);
            if !at.is_empty() {
                out = Cow::Owned(replace_at(&out, &at, value.len()));
            }
        }
        out
    }

    /// [`Secrets::mask`] for an owned string (no copy when there is nothing to mask).
    pub fn mask_owned(&self, text: String) -> String {
        match self.mask(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(masked) => masked,
        }
    }
}

/// Where `value` occurs in `text` with no letter or digit right before or after it.
fn word_matches(text: &str, value: &str) -> Vec<usize> {
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(value)
        .filter(|(at, _)| {
            !is_word(text[..*at].chars().next_back()) && !is_word(text[at + value.len()..].chars().next())
        })
        .map(|(at, _)| at)
        .collect()
}

/// `text` with [`MASK`] in place of the `len` bytes at each of `at` (sorted, not overlapping).
fn replace_at(text: &str, at: &[usize], len: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for &start in at {
        out.push_str(&text[from..start]);
        out.push_str(MASK);
        from = start + len;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_masked_and_clean_text_is_borrowed() {
        let s = Secrets::new(["s3cr3t-Val-42"]);
        assert_eq!(s.mask("token=s3cr3t-Val-42; again s3cr3t-Val-42"), format!("token={MASK}; again {MASK}"));
        assert!(matches!(s.mask("nothing here"), Cow::Borrowed(_)));
        assert_eq!(s.mask_owned("x s3cr3t-Val-42".into()), format!("x {MASK}"));
        assert!(s.reveals("…s3cr3t-Val-42…"));
        assert!(!s.reveals("s3cr3t"));
    }

    #[test]
    fn short_values_are_masked_as_whole_words() {
        let s = Secrets::new(["abc", "on", ""]);
        assert!(!s.is_empty());
        assert_eq!(s.mask("pw=abc, flag on"), format!("pw={MASK}, flag {MASK}"));
        // Inside a longer word they are letters of that word, not the value.
        assert_eq!(s.mask("abcdef json lemon"), "abcdef json lemon");
        assert!(s.reveals("x:abc") && !s.reveals("xabc"));
        assert!(Secrets::new([""]).is_empty());
    }

    #[test]
    fn the_longest_value_wins_where_values_overlap() {
        let s = Secrets::new(["pass", "password-of-db"]);
        assert_eq!(s.mask("a password-of-db and a pass"), format!("a {MASK} and a {MASK}"));
    }

    #[test]
    fn json_quoted_and_cleaned_forms_are_masked_too() {
        let s = Secrets::new(["quo\"te\\d"]);
        assert_eq!(s.mask(r#"{"env":"quo\"te\\d"}"#), format!(r#"{{"env":"{MASK}"}}"#));
        let s = Secrets::new(["tab\tbed-value"]);
        assert_eq!(s.mask("tab bed-value"), MASK);
    }

    #[test]
    fn from_config_takes_marked_and_named_secrets_only() {
        let mut config = crate::config::parse_str(crate::testing::CONFIG).expect("config");
        let env = &mut config.services[0].env;
        env.insert("LOG_LEVEL".into(), crate::config::EnvValue::plain("debug-level"));
        env.insert("DB_URL".into(), crate::config::EnvValue::secret("pg://db-secret"));
        // Built in code without the mark: the name still makes it secret.
        env.insert("API_TOKEN".into(), crate::config::EnvValue::plain("t0k3n-val"));
        let s = Secrets::from_config(&config);
        assert!(s.reveals("pg://db-secret") && s.reveals("t0k3n-val"));
        assert!(!s.reveals("debug-level"));
        assert_eq!(format!("{s:?}"), "Secrets(2 values)");
    }
}
