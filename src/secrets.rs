//! The config's secret values (see [`crate::config::EnvValue`]), to mask them wherever outside
//! text could carry one to the screen or the store: a health body that echoes its environment,
//! an alert annotation, an engine's error line.
//!
//! Secret values are given to the containers and to nothing else: the journal skips them
//! (`SlotSpec::env_vars` is not serialized), audit records and `status --json` never hold the
//! config's env, and every outside string passes through [`Secrets::mask`] on its way in
//! (`update`, for the console and `status`; `RealOps`, for errors and health reasons an action
//! writes to the journal).

use crate::config::Config;
use std::borrow::Cow;
use std::fmt;

/// What a secret value is replaced with.
pub const MASK: &str = "••••";
/// Shorter values are not masked: masking `on` or `1` would mask half the screen and hide nothing.
pub const MIN_LEN: usize = 4;

/// Known secret values, longest first (a value inside another is masked as part of the longer).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: Vec<String>,
}

// Never prints a value: a Model or a RealOps in a debug print stays safe.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// Every secret value of every service in `config`.
    pub fn from_config(config: &Config) -> Secrets {
        Secrets::new(config.services.iter().flat_map(|s| s.secret_values()))
    }

    /// These values, and the forms they take once quoted in JSON or cleaned of control characters
    /// (so a value is found however the outside text carries it). Values under [`MIN_LEN`]
    /// characters are left out.
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Secrets {
        let mut out: Vec<String> = Vec::new();
        for value in values {
            let value = value.as_ref();
            let json = serde_json::to_string(value).ok().map(|q| q.trim_matches('"').to_string());
            let cleaned = crate::text::clean(value).into_owned();
            for form in [Some(value.to_string()), json, Some(cleaned)].into_iter().flatten() {
                if form.chars().count() >= MIN_LEN && !out.contains(&form) {
                    out.push(form);
                }
            }
        }
        out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Secrets { values: out }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether `text` holds a known secret value.
    pub fn reveals(&self, text: &str) -> bool {
        self.values.iter().any(|v| text.contains(v.as_str()))
    }

    /// `text` with every known secret value replaced by [`MASK`]; borrowed when there is none.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), MASK));
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
    fn short_values_are_not_masked() {
        let s = Secrets::new(["abc", "on", ""]);
        assert!(s.is_empty());
        assert_eq!(s.mask("abc on"), "abc on");
        assert!(!Secrets::new(["abcd"]).is_empty());
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
        let mut config = crate::config::parse_str(crate::test_support::CONFIG).expect("config");
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

    /// Everything the console takes in from outside, each carrying the secret: after `update`,
    /// the model, `status --json`, `status` text and every pane on screen hold only the mask.
    #[test]
    fn update_masks_every_outside_string_it_takes_in() {
        use crate::model::{HostId, Model, Pane, SlotId};
        use crate::msg::Msg;
        use crate::update::update;
        use opsdeck_backends::types::{Alert, HealthReport, HealthVerdict};
        use opsdeck_backends::BackendError;
        use std::sync::Arc;

        const LEAK: &str = "s3cr3t-Val-42";
        let text = crate::test_support::CONFIG.replacen(
            "container_port = 8080",
            &format!("container_port = 8080\nenv = {{ API_TOKEN = \"{LEAK}\", LOG_LEVEL = \"info\" }}"),
            1,
        );
        let config = Arc::new(crate::config::parse_str(&text).expect("config"));
        let mut m = Model::new(config, "alice".into(), crate::test_support::gen_now());
        let dev = HostId { env: "dev".into(), host: "dev-1".into() };
        let mut c = crate::test_support::gen_container("dev", "api", "blue", "v1.3.0", true);
        c.status = format!("Up 2 hours (token {LEAK})");
        c.labels.insert("note".into(), format!("env API_TOKEN={LEAK}"));
        update(&mut m, Msg::HostSnapshot(dev.clone(), Ok(vec![c])));
        let slot = SlotId { env: "dev".into(), service: "api".into(), slot: "blue".into(), host: "dev-1".into() };
        let report = HealthReport {
            verdict: HealthVerdict::Unhealthy,
            reason: format!("HTTP 503: {{\"token\":\"{LEAK}\"}}"),
            http_status: Some(503),
            latency: std::time::Duration::from_millis(12),
            status_field: Some(format!("bad {LEAK}")),
            services: [("auth".to_string(), format!("rejected {LEAK}"))].into(),
            uptime_secs: Some(3),
        };
        update(&mut m, Msg::Health(slot, report));
        let alert = Alert {
            name: "TokenLeak".into(),
            labels: [("service".to_string(), "api".to_string())].into(),
            annotations: [("summary".to_string(), format!("token {LEAK} seen in logs"))].into(),
            state: "active".into(),
            starts_at: None,
            fingerprint: "f1".into(),
        };
        update(&mut m, Msg::Alerts(Ok(vec![alert])));
        let staging = HostId { env: "staging".into(), host: "staging-1".into() };
        let err = BackendError::Other { system: "docker", reason: format!("create: env API_TOKEN={LEAK} invalid") };
        update(&mut m, Msg::HostSnapshot(staging, Err(err)));
        update(&mut m, Msg::Notice(format!("notice {LEAK}")));

        let model_text = format!("{m:?}");
        assert!(!model_text.contains(LEAK), "the model holds the secret: {model_text}");
        assert!(model_text.contains(MASK), "nothing was masked: {model_text}");
        let json = serde_json::to_string(&crate::status::to_json(&m)).expect("json");
        assert!(!json.contains(LEAK) && json.contains(MASK), "{json}");
        let status = crate::status::to_text(&m);
        assert!(!status.contains(LEAK), "{status}");
        for pane in Pane::ALL {
            m.ui.focus = pane;
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("test backend");
            terminal.draw(|f| crate::ui::render(&m, f)).expect("draw");
            let buf = terminal.backend().buffer();
            let screen: String = buf.content().iter().map(|c| c.symbol()).collect();
            assert!(!screen.contains(LEAK), "{pane:?}: {screen}");
        }
    }
}
