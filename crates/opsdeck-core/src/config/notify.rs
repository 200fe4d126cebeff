//! `[[notify]]`: webhooks told of actions and approvals (see [`crate::notify`]), and how their
//! URLs are shown. A webhook URL is a credential (a Slack hook's path is its token), so wherever
//! one is shown (doctor, errors, the log) its secret parts are masked by [`masked_url`].

use crate::secrets::MASK;
use serde::{Deserialize, Serialize};

/// One webhook.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Where to POST, `http://` or `https://`. Secret in part: never shown whole.
    pub url: String,
    /// The body's shape.
    #[serde(default)]
    pub format: NotifyFormat,
    /// What it is told of; none given means all.
    #[serde(default = "NotifyEvent::all")]
    pub events: Vec<NotifyEvent>,
}

impl NotifyConfig {
    /// Whether this webhook wants `event`.
    pub fn wants(&self, event: NotifyEvent) -> bool {
        self.events.contains(&event)
    }

    /// The URL as it may be shown.
    pub fn shown_url(&self) -> String {
        masked_url(&self.url)
    }

    /// The parts of the URL that are secret (see [`masked_url`]), for the log's masking.
    pub fn secret_parts(&self) -> Vec<String> {
        secret_parts(&self.url)
    }
}

/// A body Slack (and what speaks its incoming-webhook dialect) reads, or a plain JSON object.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NotifyFormat {
    /// `{"text": "..."}`.
    Slack,
    /// `{"event", "service", "env", "action_id", "user", "outcome", "reason", "time"}`.
    #[default]
    Json,
}

/// What a webhook can be told of.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum NotifyEvent {
    ActionStarted,
    ActionSucceeded,
    ActionFailed,
    AutoRollback,
    BreakGlass,
    ApprovalRequested,
    ApprovalDecided,
}

impl NotifyEvent {
    pub fn all() -> Vec<NotifyEvent> {
        use NotifyEvent::*;
        vec![ActionStarted, ActionSucceeded, ActionFailed, AutoRollback, BreakGlass, ApprovalRequested, ApprovalDecided]
    }

    /// The name written in the config and sent in a JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::ActionStarted => "action_started",
            NotifyEvent::ActionSucceeded => "action_succeeded",
            NotifyEvent::ActionFailed => "action_failed",
            NotifyEvent::AutoRollback => "auto_rollback",
            NotifyEvent::BreakGlass => "break_glass",
            NotifyEvent::ApprovalRequested => "approval_requested",
            NotifyEvent::ApprovalDecided => "approval_decided",
        }
    }
}

/// Why `url` cannot be a webhook, if it cannot (said without the URL: it may hold a token).
pub fn url_problem(url: &str) -> Option<String> {
    match reqwest::Url::parse(url) {
        Err(e) => Some(format!("notify url cannot be read ({e})")),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Some("notify url must be http:// or https://".into()),
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("notify url has no host".into()),
        Ok(_) => None,
    }
}

/// `url` with its secret parts masked: the user and password, every query value, the fragment,
/// and the path after `/services/` (a Slack-style hook's token, one mask per segment). A URL
/// that cannot be read shows only its scheme.
pub fn masked_url(url: &str) -> String {
    let Ok(mut u) = reqwest::Url::parse(url) else {
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("?");
        return format!("{scheme}://{MASK}");
    };
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_username(MASK);
        let _ = u.set_password(None);
    }
    if let Some(hook) = hook_path(u.path()) {
        u.set_path(&hook);
    }
    if u.query().is_some() {
        let keys: Vec<String> = u.query_pairs().map(|(k, _)| k.into_owned()).collect();
        let query: Vec<String> = keys.iter().map(|k| format!("{k}={MASK}")).collect();
        u.set_query(Some(&query.join("&")));
    }
    if u.fragment().is_some() {
        u.set_fragment(Some(MASK));
    }
    // The URL type escapes the mask's bullets; shown, they read as bullets again.
    u.to_string().replace(&url_escaped(MASK), MASK)
}

/// The secret parts of `url`, as written in it and decoded (see [`masked_url`]).
fn secret_parts(url: &str) -> Vec<String> {
    let Ok(u) = reqwest::Url::parse(url) else { return Vec::new() };
    let mut parts: Vec<String> = Vec::new();
    parts.extend([u.username().to_string()].into_iter().filter(|s| !s.is_empty()));
    parts.extend(u.password().map(str::to_string));
    parts.extend(u.query_pairs().map(|(_, v)| v.into_owned()));
    parts.extend(u.fragment().map(str::to_string));
    if let Some((_, tail)) = u.path().split_once("/services/") {
        parts.extend(tail.split('/').filter(|s| !s.is_empty()).map(str::to_string));
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// The path with each segment after `/services/` masked, when it has one.
fn hook_path(path: &str) -> Option<String> {
    let (head, tail) = path.split_once("/services/")?;
    let masked: Vec<&str> = tail.split('/').map(|s| if s.is_empty() { s } else { MASK }).collect();
    Some(format!("{head}/services/{}", masked.join("/")))
}

fn url_escaped(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_urls_secret_parts_are_masked() {
        let slack = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX";
        assert_eq!(masked_url(slack), format!("https://hooks.slack.com/services/{MASK}/{MASK}/{MASK}"));
        let basic = "https://bot:pa55word@chat.example.com/hook?token=abc123&room=ops";
        let shown = masked_url(basic);
        assert_eq!(shown, format!("https://{MASK}@chat.example.com/hook?token={MASK}&room={MASK}"));
        assert!(!shown.contains("pa55word") && !shown.contains("abc123") && !shown.contains("bot"), "{shown}");
        assert_eq!(
            masked_url("http://127.0.0.1:9/plain"),
            "http://127.0.0.1:9/plain",
            "nothing secret, nothing hidden"
        );
        assert_eq!(masked_url("not a url with a t0ken"), format!("?://{MASK}"));
    }

    #[test]
    fn the_secret_parts_are_known_to_the_logs_masking() {
        let parts = secret_parts("https://bot:pa55word@h.example/services/T1/B2/sekrit?token=abc123#frag");
        for p in ["bot", "pa55word", "T1", "B2", "sekrit", "abc123", "frag"] {
            assert!(parts.iter().any(|x| x == p), "{p} not in {parts:?}");
        }
    }

    /// The fixture config with `notify` appended.
    fn parsed(notify: &str) -> Result<crate::config::Config, Vec<String>> {
        let text = format!("{}\n{notify}", crate::testing::CONFIG);
        crate::config::parse_str(&text).map_err(|ps| ps.iter().map(|p| format!("{}:{}", p.line, p.message)).collect())
    }

    /// The line (1-based) of the whole text that holds `needle`: the appended entry's.
    fn line_of(needle: &str) -> usize {
        let before = format!("{}\n", crate::testing::CONFIG).lines().count();
        let entry = ["[[notify]]", "url = \"ftp://", "events = [\"action_started\", \"deployed\"]"];
        before + 1 + entry.iter().position(|l| l.contains(needle)).unwrap_or(0)
    }

    #[test]
    fn a_good_entry_is_read_with_its_defaults() {
        let c = parsed("[[notify]]\nurl = \"https://hooks.example/services/T1/B2/x\"\nformat = \"slack\"\nevents = [\"auto_rollback\", \"break_glass\"]\n\n[[notify]]\nurl = \"http://127.0.0.1:8080/hook\"\n").expect("valid");
        assert_eq!(c.notify.len(), 2);
        assert_eq!(c.notify[0].format, NotifyFormat::Slack);
        assert!(c.notify[0].wants(NotifyEvent::BreakGlass) && !c.notify[0].wants(NotifyEvent::ActionStarted));
        assert_eq!(c.notify[1].format, NotifyFormat::Json, "json by default");
        assert_eq!(c.notify[1].events, NotifyEvent::all(), "every event by default");
        let secrets = crate::secrets::Secrets::from_config(&c);
        assert_eq!(secrets.mask("hook x/B2"), format!("hook {MASK}/{MASK}"), "the token is masked in the log");
    }

    #[test]
    fn an_unknown_event_or_field_is_a_located_config_error() {
        let ps = parsed("[[notify]]\nurl = \"https://h.example/x\"\nevents = [\"action_started\", \"deployed\"]\n")
            .expect_err("unknown event");
        assert!(ps[0].contains("unknown variant `deployed`") && ps[0].contains("approval_decided"), "{ps:?}");
        assert!(ps[0].starts_with(&format!("{}:", line_of("deployed"))), "{ps:?}");
        let ps = parsed("[[notify]]\nurl = \"https://h.example/x\"\nchannel = \"ops\"\n").expect_err("field");
        assert!(ps[0].contains("unknown field `channel`"), "{ps:?}");
    }

    #[test]
    fn a_bad_url_is_a_config_error_that_does_not_repeat_it() {
        let ps = parsed("[[notify]]\nurl = \"ftp://bot:pa55word@h.example/x\"\n").expect_err("bad url");
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert!(ps[0].contains("notify url must be http:// or https://") && !ps[0].contains("pa55word"), "{ps:?}");
        assert!(ps[0].starts_with(&format!("{}:", line_of("ftp://"))), "{ps:?}");
    }

    #[test]
    fn urls_are_checked_without_being_repeated() {
        assert_eq!(url_problem("https://hooks.example/x"), None);
        assert!(url_problem("ftp://h/x").is_some_and(|p| p.contains("http:// or https://")));
        let p = url_problem("hooks.example/t0ken-secret").expect("relative");
        assert!(!p.contains("t0ken"), "{p}");
    }
}
