//! Which alerts a runbook answers: a plain `alertname`, or label matchers in Alertmanager's style
//! (`{alertname="HighErrorRate", env=~"prod|staging", severity!="info"}`); all of a set must hold.

use regex::Regex;
use std::collections::BTreeMap;

/// One entry of the front matter's `alerts:` list.
#[derive(Debug, Clone)]
pub struct AlertMatcher {
    /// As written, for listing.
    pub source: String,
    pub labels: Vec<LabelMatcher>,
}

impl PartialEq for AlertMatcher {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

#[derive(Debug, Clone)]
pub struct LabelMatcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// Anchored at both ends, as Alertmanager's are; set for the regex ops.
    regex: Option<Regex>,
}

impl LabelMatcher {
    /// Whether the labels satisfy this matcher (a missing label is the empty string, as in
    /// Alertmanager).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.name).map(String::as_str).unwrap_or("");
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => v == self.value,
            (MatchOp::NotEqual, _) => v != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(v),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(v),
            _ => false,
        }
    }
}

impl AlertMatcher {
    /// Parses one entry: a bare alert name, or a matcher set with or without braces.
    pub fn parse(text: &str) -> Result<AlertMatcher, String> {
        let source = text.trim().to_string();
        if source.is_empty() {
            return Err("an empty alert entry".into());
        }
        let bare = source.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'));
        if bare {
            let m = LabelMatcher { name: "alertname".into(), op: MatchOp::Equal, value: source.clone(), regex: None };
            return Ok(AlertMatcher { source, labels: vec![m] });
        }
        let inner = source.strip_prefix('{').map(|s| s.strip_suffix('}').ok_or("a `{` without its `}`"));
        let inner = match inner {
            Some(r) => r?,
            None => source.as_str(),
        };
        let labels = split_outside_quotes(inner)?
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| parse_one(p.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if labels.is_empty() {
            return Err(format!("no label matcher in `{source}`"));
        }
        Ok(AlertMatcher { source, labels })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels.iter().all(|m| m.matches(labels))
    }
}

fn split_outside_quotes(s: &str) -> Result<Vec<String>, String> {
    let (mut parts, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(format!("an unclosed quote in `{s}`"));
    }
    parts.push(cur);
    Ok(parts)
}

fn parse_one(p: &str) -> Result<LabelMatcher, String> {
    let name_end = p.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(p.len());
    let (name, rest) = p.split_at(name_end);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("`{p}`: a matcher starts with a label name"));
    }
    let rest = rest.trim_start();
    let (op, value) = if let Some(v) = rest.strip_prefix("=~") {
        (MatchOp::Regex, v)
    } else if let Some(v) = rest.strip_prefix("!~") {
        (MatchOp::NotRegex, v)
    } else if let Some(v) = rest.strip_prefix("!=") {
        (MatchOp::NotEqual, v)
    } else if let Some(v) = rest.strip_prefix('=') {
        (MatchOp::Equal, v)
    } else {
        return Err(format!("`{p}`: expected one of = != =~ !~ after `{name}`"));
    };
    let value = unquote(value.trim()).map_err(|e| format!("`{p}`: {e}"))?;
    let regex = match op {
        MatchOp::Regex | MatchOp::NotRegex => {
            Some(Regex::new(&format!("^(?:{value})$")).map_err(|e| format!("`{p}`: not a regular expression ({e})"))?)
        }
        _ => None,
    };
    Ok(LabelMatcher { name: name.to_string(), op, value, regex })
}

fn unquote(v: &str) -> Result<String, String> {
    let Some(inner) = v.strip_prefix('"') else {
        return Ok(v.to_string());
    };
    let inner = inner.strip_suffix('"').ok_or("an unclosed quote")?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(c) => out.push(c),
                None => return Err("a trailing backslash".into()),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_bare_name_matches_the_alertname() {
        let m = AlertMatcher::parse("HighErrorRate").unwrap();
        assert!(m.matches(&labels(&[("alertname", "HighErrorRate"), ("env", "prod")])));
        assert!(!m.matches(&labels(&[("alertname", "HighLatency")])));
    }

    #[test]
    fn matcher_sets_work_like_alertmanagers() {
        let m = AlertMatcher::parse(r#"{alertname="HighErrorRate", env=~"prod|staging", severity!="info"}"#).unwrap();
        assert!(m.matches(&labels(&[("alertname", "HighErrorRate"), ("env", "prod"), ("severity", "critical")])));
        assert!(!m.matches(&labels(&[("alertname", "HighErrorRate"), ("env", "dev")])));
        // Anchored: "production" is not "prod".
        assert!(!m.matches(&labels(&[("alertname", "HighErrorRate"), ("env", "production")])));
        assert!(!m.matches(&labels(&[("alertname", "HighErrorRate"), ("env", "prod"), ("severity", "info")])));
        let m = AlertMatcher::parse(r#"service!~"db.*", alertname="X""#).unwrap();
        assert!(m.matches(&labels(&[("alertname", "X"), ("service", "api")])));
        assert!(!m.matches(&labels(&[("alertname", "X"), ("service", "db-main")])));
    }

    #[test]
    fn quoted_commas_and_escapes_stay_in_the_value() {
        let m = AlertMatcher::parse(r#"{summary="a, \"b\""}"#).unwrap();
        assert_eq!(m.labels[0].value, r#"a, "b""#);
    }

    #[test]
    fn bad_matchers_say_what_is_wrong() {
        for (text, want) in [
            ("{alertname=\"X\"", "without its"),
            ("env~prod", "expected one of"),
            ("env=~\"(\"", "regular expression"),
            ("alertname=\"X", "unclosed quote"),
            ("{}", "no label matcher"),
            ("=x", "label name"),
        ] {
            let err = AlertMatcher::parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
