//! The real systems behind [`Outside`]: routing by host and environment, health URLs, masking.
use super::*;
use std::collections::BTreeMap;

fn config(text_hosts: &str) -> Arc<Config> {
    let text = format!(
        "state_path = \"s.db\"\n[registry]\nurl = \"http://127.0.0.1:5000\"\n\
         [[environments]]\nname = \"dev\"\nhaproxy = \"unix:///tmp/h.sock\"\nhosts = [{text_hosts}]\n\
         [[services]]\nname = \"api\"\ncontainer_port = 8080\nhealth_path = \"/healthz\"\n\
         [services.environments.dev]\nbackend = \"api_dev\"\nurl = \"http://127.0.0.1:1\"\n"
    );
    Arc::new(crate::config::parse_str(&text).expect("config"))
}

fn spec(host: &str) -> SlotSpec {
    SlotSpec {
        service: "api".into(),
        env: "dev".into(),
        slot: "blue".into(),
        host: host.into(),
        image: "127.0.0.1:5000/api:v1".into(),
        digest: "sha256:aa".into(),
        container_port: 8080,
        host_port: 41000,
        env_vars: BTreeMap::new(),
    }
}

#[test]
fn engines_publish_and_probe_by_their_url() {
    let ops = Outside::new(config(
        "{ name = \"dev-1\", url = \"unix:///var/run/docker.sock\" }, { name = \"dev-2\", url = \"tcp://10.0.0.7:2375\" }",
    ))
    .expect("ops");
    assert_eq!(ops.platform("dev-1").expect("dev-1").probe_address("dev-1").expect("dev-1"), "127.0.0.1");
    assert_eq!(ops.platform("dev-2").expect("dev-2").probe_address("dev-2").expect("dev-2"), "10.0.0.7");
    assert_eq!(ops.health_url(&spec("dev-1")).expect("url"), "http://127.0.0.1:41000/healthz");
    assert_eq!(ops.health_url(&spec("dev-2")).expect("url"), "http://10.0.0.7:41000/healthz");
    assert!(ops.health_url(&spec("nowhere")).is_err());
}

#[test]
fn a_host_name_naming_two_engines_is_refused() {
    let mut twice = (*config("{ name = \"h\", url = \"unix:///var/run/docker.sock\" }")).clone();
    let mut prod = twice.environments[0].clone();
    prod.name = "prod".into();
    prod.hosts[0].url = "tcp://10.0.0.7:2375".into();
    twice.environments.push(prod.clone());
    let err = Outside::new(Arc::new(twice.clone()));
    assert!(err.is_err_and(|e| e.contains("host names must be unique")));
    // The same engine under the same name in two environments is one engine.
    twice.environments[1].hosts[0].url = "unix:///var/run/docker.sock".into();
    assert!(Outside::new(Arc::new(twice)).is_ok());
}

#[tokio::test]
async fn secret_values_in_error_lines_and_health_reasons_are_masked() {
    let mut config = (*config("{ name = \"dev-1\", url = \"unix:///nonexistent/docker.sock\" }")).clone();
    config.services[0].env.insert("API_TOKEN".into(), crate::config::EnvValue::plain("s3cr3t-Val-42"));
    let ops = Outside::new(Arc::new(config)).expect("ops");
    // An engine that echoes what it was given: here, a host named like the value.
    let err = ops.has_image("s3cr3t-Val-42", "x:1").await.expect_err("no such host");
    assert_eq!(err, format!("no host named {} in the config", crate::secrets::MASK));
    let health = ops.health(&spec("s3cr3t-Val-42")).await;
    assert!(!health.healthy && !health.reason.contains("s3cr3t-Val-42"), "{}", health.reason);
    assert!(!format!("{ops:?}").contains("s3cr3t-Val-42"));
}

#[tokio::test]
async fn an_engine_that_is_not_there_is_a_line_not_a_hang() {
    let ops = Outside::new(config("{ name = \"dev-1\", url = \"unix:///nonexistent/docker.sock\" }")).expect("ops");
    let err = ops.has_image("dev-1", "x:1").await.expect_err("no engine");
    assert!(err.starts_with("dev-1: docker"), "{err}");
    let health = ops.health(&spec("dev-1")).await;
    assert!(!health.healthy);
    assert!(health.reason.contains("http://127.0.0.1:41000/healthz"), "{}", health.reason);
}
