//! Private registries: credentials, a custom CA, and the two ways a registry asks for them. A
//! request answered `401` with `WWW-Authenticate: Basic …` is sent again with the credentials; one
//! answered `Bearer realm=…,service=…,scope=…` fetches a token from the realm (with the
//! credentials, when there are any) and is sent again with it. The header that worked is kept for
//! the next requests. A refusal names the registry, the user and what was refused, never the
//! password or a token.

use super::{RegistryClient, SYSTEM};
use crate::error::{BackendError, BackendResult};
use crate::health::{exchange, parse_json, Answer};
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A token answer is small.
const TOKEN_CAP: usize = 64 * 1024;

/// A user name and password (or identity token) for the registry.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryCredentials {
    pub username: String,
    pub password: String,
}

// The password never reaches a debug print.
impl fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryCredentials").field("username", &self.username).field("password", &"••••").finish()
    }
}

/// How to reach a private registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryOptions {
    pub credentials: Option<RegistryCredentials>,
    /// A CA (PEM) that signs the registry's certificate, beside the system's.
    pub ca: Option<PathBuf>,
}

/// What a `401` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Challenge {
    Basic,
    Bearer { realm: String, params: BTreeMap<String, String> },
}

/// Parses `Basic realm="x"` or `Bearer realm="https://auth/token",service="registry",scope="..."`.
pub(super) fn parse_challenge(header: &str) -> Option<Challenge> {
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => {
            let mut params = BTreeMap::new();
            let mut rest = rest.trim();
            while !rest.is_empty() {
                let (key, after) = rest.split_once('=')?;
                let (value, after) = match after.strip_prefix('"') {
                    Some(quoted) => {
                        let end = quoted.find('"')?;
                        (&quoted[..end], &quoted[end + 1..])
                    }
                    None => after.split_once(',').map_or((after, ""), |(v, a)| (v, a)),
                };
                params.insert(key.trim().to_ascii_lowercase(), value.to_string());
                rest = after.trim_start_matches([',', ' ']);
            }
            let realm = params.remove("realm")?;
            Some(Challenge::Bearer { realm, params })
        }
        _ => None,
    }
}

impl RegistryClient {
    /// Sends `request` with the Authorization that worked last; on a `401` with a challenge, asks
    /// for what it wants and sends it once more.
    pub(super) async fn send_authed(&self, request: reqwest::RequestBuilder, cap: usize) -> BackendResult<Answer> {
        let retry = request.try_clone();
        let first = match self.current_auth() {
            Some(h) => request.header(AUTHORIZATION, h),
            None => request,
        };
        let err = match exchange(SYSTEM, self.timeout, first, cap).await {
            Err(BackendError::Status { status: 401, reason, .. }) => reason,
            other => return other,
        };
        let Some(retry) = retry else { return Err(self.refused(401, &err)) };
        let Some(probe) = retry.try_clone() else { return Err(self.refused(401, &err)) };
        // The challenge is in the 401's headers: ask once more, raw, to read them.
        let challenge = crate::error::with_timeout(SYSTEM, self.timeout, async {
            let answer =
                probe.send().await.map_err(|e| BackendError::Connect { system: SYSTEM, reason: e.to_string() })?;
            Ok(answer.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).and_then(parse_challenge))
        })
        .await?;
        let header = match challenge {
            Some(Challenge::Basic) => self.basic().ok_or_else(|| self.refused(401, "credentials required"))?,
            Some(Challenge::Bearer { realm, params }) => self.token(&realm, &params).await?,
            None => return Err(self.refused(401, &err)),
        };
        let answer = exchange(SYSTEM, self.timeout, retry.header(AUTHORIZATION, &header), cap).await;
        match answer {
            Ok(a) => {
                self.remember_auth(header);
                Ok(a)
            }
            Err(BackendError::Status { status, reason, .. }) if status == 401 || status == 403 => {
                Err(self.refused(status, &reason))
            }
            Err(e) => Err(e),
        }
    }

    /// `Basic base64(user:password)`, when there are credentials.
    fn basic(&self) -> Option<String> {
        use base64::Engine as _;
        let c = self.options.credentials.as_ref()?;
        let pair = format!("{}:{}", c.username, c.password);
        Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
    }

    /// A bearer token from `realm` for the challenge's service and scope.
    async fn token(&self, realm: &str, params: &BTreeMap<String, String>) -> BackendResult<String> {
        let mut url = reqwest::Url::parse(realm)
            .map_err(|e| BackendError::Protocol { system: SYSTEM, reason: format!("token realm {realm:?}: {e}") })?;
        for key in ["service", "scope"] {
            if let Some(v) = params.get(key) {
                url.query_pairs_mut().append_pair(key, v);
            }
        }
        let mut request = self.http.get(url);
        if let Some(basic) = self.basic() {
            request = request.header(AUTHORIZATION, basic);
        }
        let answer = match exchange(SYSTEM, self.timeout, request, TOKEN_CAP).await {
            Err(BackendError::Status { status, reason, .. }) => return Err(self.refused(status, &reason)),
            other => other?,
        };
        let body: serde_json::Value = parse_json(SYSTEM, &answer.body)?;
        let token = body["token"].as_str().or_else(|| body["access_token"].as_str()).filter(|t| !t.is_empty());
        let token = token.ok_or_else(|| BackendError::Protocol {
            system: SYSTEM,
            reason: format!("the token server {realm} answered no token"),
        })?;
        Ok(format!("Bearer {token}"))
    }

    /// A refusal, naming the registry and the user (never the password).
    fn refused(&self, status: u16, reason: &str) -> BackendError {
        let who = match &self.options.credentials {
            Some(c) => format!("as {}", c.username),
            None => "without credentials".to_string(),
        };
        BackendError::Status { system: SYSTEM, status, reason: format!("{} refused {who}: {reason}", self.base) }
    }

    fn current_auth(&self) -> Option<String> {
        self.auth_header.lock().ok().and_then(|h| h.clone())
    }

    fn remember_auth(&self, header: String) {
        if let Ok(mut h) = self.auth_header.lock() {
            *h = Some(header);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_read() {
        assert_eq!(parse_challenge("Basic realm=\"Registry Realm\""), Some(Challenge::Basic));
        let c = parse_challenge(
            r#"Bearer realm="http://127.0.0.1:9/token",service="registry.local",scope="repository:api:pull""#,
        );
        let Some(Challenge::Bearer { realm, params }) = c else { panic!("{c:?}") };
        assert_eq!(realm, "http://127.0.0.1:9/token");
        assert_eq!(params["service"], "registry.local");
        assert_eq!(params["scope"], "repository:api:pull");
        assert_eq!(parse_challenge("Negotiate abc"), None);
        assert_eq!(parse_challenge("Bearer service=\"x\""), None, "no realm");
    }

    #[test]
    fn credentials_never_print_their_password() {
        let c = RegistryCredentials { username: "ci".into(), password: "hunter22".into() };
        assert!(!format!("{c:?}").contains("hunter22"));
    }
}
