//! A private registry's two challenges against a mock registry and token server (the real
//! registry behind htpasswd and TLS is in `tests/backends_real`): basic credentials, a bearer
//! token fetched with them and kept, and a refusal that names the user and never the password.

use crate::error::BackendError;
use crate::health::mock::{serve, Reply};
use crate::registry::{RegistryClient, RegistryCredentials, RegistryOptions};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TAGS: &str = r#"{"name":"api","tags":["v1"]}"#;

fn with(user: &str, password: &str) -> RegistryOptions {
    RegistryOptions {
        credentials: Some(RegistryCredentials { username: user.into(), password: password.into() }),
        ca: None,
    }
}

fn client(url: &str, options: RegistryOptions) -> RegistryClient {
    RegistryClient::with_options(url, Duration::from_secs(2), options).expect("client")
}

#[tokio::test]
async fn basic_credentials_are_sent_when_asked_for() {
    // ci:s3cret
    let server = serve(|req| match req.header("authorization") {
        Some("Basic Y2k6czNjcmV0") => Reply::json(200, TAGS),
        _ => Reply::json(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
            .header("WWW-Authenticate", "Basic realm=\"Registry Realm\""),
    })
    .await;
    let c = client(&server.url, with("ci", "s3cret"));
    assert_eq!(c.list_tags("api").await.expect("tags"), ["v1"]);
    // The header that worked is kept: the next call asks once.
    let before = server.requests().len();
    c.list_tags("api").await.expect("tags again");
    assert_eq!(server.requests().len(), before + 1);

    let wrong = client(&server.url, with("ci", "wrong-pass")).list_tags("api").await.expect_err("refused");
    let line = wrong.to_string();
    assert!(line.contains("refused as ci") && line.contains("401"), "{line}");
    assert!(!line.contains("wrong-pass"), "{line}");
    let anonymous = client(&server.url, RegistryOptions::default()).list_tags("api").await.expect_err("refused");
    assert!(anonymous.to_string().contains("refused without credentials"), "{anonymous}");
}

#[tokio::test]
async fn a_bearer_challenge_fetches_a_token_with_the_credentials() {
    let base = Arc::new(Mutex::new(String::new()));
    let realm = base.clone();
    let server = serve(move |req| {
        let target = req.target.as_str();
        if target.starts_with("/token?") {
            assert!(target.contains("service=reg") && target.contains("scope=repository%3Aapi%3Apull"), "{target}");
            return match req.header("authorization") {
                Some("Basic Y2k6czNjcmV0") => Reply::json(200, r#"{"token":"tok-1","expires_in":300}"#),
                _ => Reply::json(401, r#"{"errors":[{"code":"DENIED","message":"bad credentials"}]}"#),
            };
        }
        match req.header("authorization") {
            Some("Bearer tok-1") => Reply::json(200, TAGS),
            _ => {
                let url = realm.lock().map(|u| u.clone()).unwrap_or_default();
                let challenge = format!(r#"Bearer realm="{url}/token",service="reg",scope="repository:api:pull""#);
                Reply::json(401, r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#).header("WWW-Authenticate", &challenge)
            }
        }
    })
    .await;
    *base.lock().expect("lock") = server.url.clone();
    assert_eq!(client(&server.url, with("ci", "s3cret")).list_tags("api").await.expect("tags"), ["v1"]);
    let denied = client(&server.url, with("ci", "nope")).list_tags("api").await.expect_err("denied");
    assert!(
        matches!(&denied, BackendError::Status { status: 401, reason, .. } if reason.contains("refused as ci: DENIED: bad credentials")),
        "{denied:?}"
    );
}
