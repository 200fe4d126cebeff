//! `[keys]`: the console's key rebindings (`promote = "P"`, `next_pane = ["tab", "ctrl-n"]`),
//! kept as written, each action name and key with the line and column it sits at.
//!
//! Why the core keeps the table uninterpreted: what an action name or a key means belongs to the
//! terminal (crossterm's key codes, the console's actions), and this crate has no terminal in it.
//! But the file is read here, once, with unknown fields refused, and only here is the text at hand
//! to turn positions into lines and columns. So the core accepts the table and records where each
//! entry is; the console (`src/keymap/config.rs`) checks the names, the keys and the conflicts and
//! reports each problem at the place recorded here, as `file:line:col` like every config error.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// A place in the config file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    pub line: usize,
    pub column: usize,
}

/// One key as written (`"ctrl-r"`), and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyText {
    pub text: String,
    pub at: Place,
    span: Range<usize>,
}

/// One line of `[keys]`: an action's name and the key or keys it gets instead of its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub action: String,
    /// Where the action's name is.
    pub at: Place,
    span: Range<usize>,
    pub keys: Vec<KeyText>,
}

/// The `[keys]` table, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeysConfig {
    pub entries: Vec<KeyEntry>,
}

impl KeysConfig {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Fills in each name's and key's line and column from its byte span in `text` (the text it
    /// was parsed from).
    pub(super) fn locate(&mut self, text: &str) {
        let place = |span: &Range<usize>| {
            let (line, column) = super::load::line_col(text, span.start);
            Place { line, column }
        };
        for entry in &mut self.entries {
            entry.at = place(&entry.span);
            for key in &mut entry.keys {
                key.at = place(&key.span);
            }
        }
    }
}

/// A value of `[keys]`: one key (`"p"`) or several (`["p", "f5"]`), each with its span. A string
/// alone takes the span of the whole value (the outer [`Spanned`]).
struct KeyList(Vec<(String, Option<Range<usize>>)>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key (\"p\", \"ctrl-r\", \"f5\") or a list of keys")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<KeyList, E> {
                Ok(KeyList(vec![(s.to_string(), None)]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = seq.next_element::<Spanned<String>>()? {
                    let span = k.span();
                    keys.push((k.into_inner(), Some(span)));
                }
                if keys.is_empty() {
                    return Err(de::Error::custom("an empty list of keys: give at least one"));
                }
                Ok(KeyList(keys))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for KeysConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<Spanned<String>, Spanned<KeyList>>::deserialize(d)?;
        let mut entries: Vec<KeyEntry> = raw
            .into_iter()
            .map(|(name, value)| {
                let value_span = value.span();
                let keys = value
                    .into_inner()
                    .0
                    .into_iter()
                    .map(|(text, span)| KeyText {
                        text,
                        at: Place::default(),
                        span: span.unwrap_or(value_span.clone()),
                    })
                    .collect();
                let span = name.span();
                KeyEntry { action: name.into_inner(), at: Place::default(), span, keys }
            })
            .collect();
        entries.sort_by_key(|e| e.span.start);
        Ok(KeysConfig { entries })
    }
}

impl Serialize for KeysConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for e in &self.entries {
            let keys: Vec<&str> = e.keys.iter().map(|k| k.text.as_str()).collect();
            match keys.as_slice() {
                [one] => map.serialize_entry(&e.action, one)?,
                _ => map.serialize_entry(&e.action, &keys)?,
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Serialize)]
    struct Doc {
        keys: KeysConfig,
    }

    #[test]
    fn entries_keep_file_order_and_places() {
        let text = "[keys]\nquit = \"Q\"\npromote = [\"P\", \"f5\"]\n";
        let mut doc: Doc = toml::from_str(text).expect("parse");
        doc.keys.locate(text);
        let e = &doc.keys.entries;
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].action.as_str(), e[0].at), ("quit", Place { line: 2, column: 1 }));
        assert_eq!((e[0].keys[0].text.as_str(), e[0].keys[0].at), ("Q", Place { line: 2, column: 8 }));
        assert_eq!((e[1].keys[1].text.as_str(), e[1].keys[1].at), ("f5", Place { line: 3, column: 17 }));
        let back = toml::to_string(&doc).expect("write");
        assert!(back.contains("quit = \"Q\"") && back.contains("promote = [\"P\", \"f5\"]"), "{back}");
    }

    #[test]
    fn a_value_that_is_no_key_is_refused() {
        assert!(toml::from_str::<Doc>("[keys]\nquit = 3\n").is_err());
        assert!(toml::from_str::<Doc>("[keys]\nquit = []\n").is_err());
    }
}
