//! A service's environment values: `NAME = "value"`, `NAME = { value = "...", secret = true }`, or
//! a secret read from where it lives: `{ from_env = "VAR" }`, `{ file = "/run/secrets/x" }`,
//! `{ command = ["pass", "show", "api/token"] }` (read when the config is loaded, see
//! [`super::secret_source`]). A value is also secret when its name says so (`*_TOKEN`, `*_KEY`,
//! `*PASSWORD*`, `*SECRET*`, any case). Secret values go to the containers and nowhere else: see
//! [`crate::secrets`].

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One environment value of a service.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvValue {
    /// The value; for one read from a source, empty until the config is loaded.
    pub value: String,
    /// Marked `secret = true`, named like a secret, or read from a source (set when read).
    pub secret: bool,
    /// Where the value lives, when it is not written in the config.
    pub source: Option<SecretSource>,
}

/// Where a secret value is read from, when the config is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// An environment variable of the opsdeck process.
    FromEnv(String),
    /// A file's content (one trailing newline dropped); relative to the config's folder.
    File(std::path::PathBuf),
    /// A command's standard output (one trailing newline dropped), bounded in time.
    Command(Vec<String>),
}

impl EnvValue {
    pub fn plain(value: impl Into<String>) -> EnvValue {
        EnvValue { value: value.into(), secret: false, source: None }
    }

    pub fn secret(value: impl Into<String>) -> EnvValue {
        EnvValue { value: value.into(), secret: true, source: None }
    }

    /// A secret read from `source` when the config is loaded.
    pub fn from_source(source: SecretSource) -> EnvValue {
        EnvValue { value: String::new(), secret: true, source: Some(source) }
    }
}

/// Whether a variable's name marks its value secret: `*_TOKEN`, `*_KEY`, `*_PASS`, `*_PWD`,
/// `*_CREDENTIALS`, `*_DSN`, `DATABASE_URL`, `*PASSWORD*`, `*PASSWD*`, `*SECRET*`, in any case.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const SUFFIXES: [&str; 6] = ["_TOKEN", "_KEY", "_PASS", "_PWD", "_CREDENTIALS", "_DSN"];
    const INSIDE: [&str; 3] = ["PASSWORD", "PASSWD", "SECRET"];
    SUFFIXES.iter().any(|s| upper.ends_with(s))
        || INSIDE.iter().any(|s| upper.contains(s))
        || upper == "DATABASE_URL"
        || upper.ends_with("_DATABASE_URL")
}

/// Whether a value carries a password whatever its name: a URL with one in its user part
/// (`postgres://app:hunter2@db/app`).
pub fn is_secret_value(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once("://") else { return false };
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').is_some_and(|(user, _)| user.split_once(':').is_some_and(|(_, pw)| !pw.is_empty()))
}

// A secret value never reaches a debug print (a test failure, a log line).
impl fmt::Debug for EnvValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            f.debug_struct("EnvValue").field("value", &crate::secrets::MASK).field("secret", &true).finish()
        } else {
            fmt::Debug::fmt(&self.value, f)
        }
    }
}

impl Serialize for EnvValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Where it lives, never the value read from there.
        if let Some(source) = &self.source {
            return source.serialize(s);
        }
        if !self.secret {
            return s.serialize_str(&self.value);
        }
        let mut table = s.serialize_struct("EnvValue", 2)?;
        table.serialize_field("value", &self.value)?;
        table.serialize_field("secret", &true)?;
        table.end()
    }
}

const FIELDS: &[&str] = &["value", "secret", "from_env", "file", "command"];

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EnvValueVisitor)
    }
}

struct EnvValueVisitor;

impl<'de> Visitor<'de> for EnvValueVisitor {
    type Value = EnvValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, or a table: { value = \"...\", secret = true }, { from_env = \"VAR\" }, { file = \"PATH\" } or { command = [\"prog\", \"arg\"] }")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
        Ok(EnvValue::plain(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<EnvValue, E> {
        Ok(EnvValue::plain(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvValue, A::Error> {
        let (mut value, mut secret, mut source) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            let from = match key.as_str() {
                "value" if value.is_some() => return Err(de::Error::duplicate_field("value")),
                "value" => {
                    value = Some(map.next_value::<String>()?);
                    continue;
                }
                "secret" if secret.is_some() => return Err(de::Error::duplicate_field("secret")),
                "secret" => {
                    secret = Some(map.next_value::<bool>()?);
                    continue;
                }
                "from_env" => SecretSource::FromEnv(map.next_value()?),
                "file" => SecretSource::File(map.next_value()?),
                "command" => {
                    let argv: Vec<String> = map.next_value()?;
                    if argv.is_empty() || argv[0].is_empty() {
                        return Err(de::Error::custom("command = [...] names a program and its arguments"));
                    }
                    SecretSource::Command(argv)
                }
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            };
            if source.is_some() {
                return Err(de::Error::custom("one source per value: from_env, file or command"));
            }
            source = Some(from);
        }
        match (value, source) {
            (Some(_), Some(_)) => Err(de::Error::custom("a value is written here or read from a source, not both")),
            (None, Some(source)) if secret != Some(false) => Ok(EnvValue::from_source(source)),
            (None, Some(_)) => Err(de::Error::custom("a value read from a source is secret: drop secret = false")),
            (Some(value), None) => Ok(EnvValue { value, secret: secret.unwrap_or(false), source: None }),
            (None, None) => Err(de::Error::missing_field("value")),
        }
    }
}

/// The `env` table, with values named like secrets marked secret.
pub(super) fn deserialize_env<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, EnvValue>, D::Error> {
    let mut env = BTreeMap::<String, EnvValue>::deserialize(d)?;
    for (name, v) in env.iter_mut() {
        v.secret |= is_secret_name(name) || is_secret_value(&v.value);
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_str;

    /// A one-service config with `env` written right after the service's port.
    fn with_env(env: &str) -> String {
        format!(
            "state_path = \"s.db\"\n[registry]\nurl = \"http://127.0.0.1:5000\"\n\
             [[environments]]\nname = \"dev\"\nhaproxy = \"unix:///tmp/h.sock\"\n\
             hosts = [{{ name = \"dev-1\", url = \"unix:///var/run/docker.sock\" }}]\n\
             [[services]]\nname = \"api\"\ncontainer_port = 8080\n{env}\n\
             [services.environments.dev]\nbackend = \"api_dev\"\nurl = \"http://127.0.0.1:1\"\n"
        )
    }

    fn problems(text: &str) -> Vec<String> {
        match parse_str(text) {
            Ok(_) => vec![],
            Err(ps) => ps.into_iter().map(|p| format!("{}:{}: {}", p.line, p.column, p.message)).collect(),
        }
    }

    #[test]
    fn plain_and_secret_values_and_names_that_mean_secret() {
        let text = with_env(
            "env = { LOG_LEVEL = \"info\", DB = { value = \"pg://u:p@db\", secret = true }, \
             API_TOKEN = \"t0k3n-value\", signing_key = \"k3y-value\", DbPassword = \"pw-value\", \
             MY_SECRET_THING = \"s3-value\", OPEN = { value = \"shown\" } }",
        );
        let c = parse_str(&text).expect("valid");
        let env = &c.services[0].env;
        assert_eq!(env["LOG_LEVEL"], EnvValue::plain("info"));
        assert_eq!(env["OPEN"], EnvValue::plain("shown"));
        for name in ["DB", "API_TOKEN", "signing_key", "DbPassword", "MY_SECRET_THING"] {
            assert!(env[name].secret, "{name}");
        }
        assert_eq!(env["DB"].value, "pg://u:p@db");
        let vars = c.services[0].env_vars();
        assert_eq!(vars["API_TOKEN"], "t0k3n-value");
        assert_eq!(vars["LOG_LEVEL"], "info");
        // Debug output holds no secret value.
        let debug = format!("{c:?}");
        for secret in ["pg://u:p@db", "t0k3n-value", "k3y-value", "pw-value", "s3-value"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("\"info\""), "{debug}");
    }

    #[test]
    fn names_like_secrets() {
        for name in ["API_TOKEN", "api_token", "AWS_SECRET_ACCESS_KEY", "SIGNING_KEY", "password", "DB_PASSWORD_FILE"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["TOKEN", "KEYS", "LOG_LEVEL", "KEY_ID", "TOKENS_PER_SEC"] {
            assert!(!is_secret_name(name), "{name}");
        }
        for name in ["SMTP_PASS", "db_pwd", "MYSQL_PASSWD_FILE", "GCP_CREDENTIALS", "SENTRY_DSN", "DATABASE_URL"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["PASSPORT_ID", "PWD_DIR", "DSN_HOST", "DATABASE_URL_TIMEOUT", "CREDENTIALS_PATH"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn urls_with_a_password_are_secret_whatever_their_name() {
        for value in ["postgres://app:hunter2@db:5432/app", "redis://:pw@cache", "https://u:p@h/x?y=1"] {
            assert!(is_secret_value(value), "{value}");
        }
        for value in ["https://example.com/a@b", "postgres://app@db/app", "mailto:x@y", "plain", "http://u:@h"] {
            assert!(!is_secret_value(value), "{value}");
        }
    }

    #[test]
    fn a_bad_env_value_is_a_located_clear_error() {
        let text = with_env("env = { A = { value = \"x\", secert = true } }");
        let ps = problems(&text);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert!(ps[0].contains("unknown field `secert`, expected one of `value`, `secret`, `from_env`"), "{ps:?}");
        let line = text.lines().position(|l| l.starts_with("env =")).expect("line") + 1;
        assert!(ps[0].starts_with(&format!("{line}:")), "{ps:?}");

        let ps = problems(&with_env("env = { PORT = 8080 }"));
        assert!(
            ps[0].contains("expected a string, or a table: { value = \"...\", secret = true }, { from_env"),
            "{ps:?}"
        );
        let ps = problems(&with_env("env = { A = { secret = true } }"));
        assert!(ps[0].contains("missing field `value`"), "{ps:?}");
        let ps = problems(&with_env("env = { A = { value = \"x\", secret = \"yes\" } }"));
        assert!(ps[0].contains("invalid type"), "{ps:?}");
    }

    #[test]
    fn serializing_keeps_the_secret_mark() {
        let text = with_env("[services.env]\nA = \"plain\"\nB = { value = \"hidden\", secret = true }");
        let c = parse_str(&text).expect("valid");
        let back = toml::to_string(&c).expect("serialize");
        let again = parse_str(&back).expect("round trip");
        assert_eq!(again.services[0].env, c.services[0].env);
    }
}
