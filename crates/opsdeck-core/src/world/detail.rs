//! A container's `docker inspect` as opsdeck may keep it: every string cleaned, known secret
//! values masked, and the value of every secret variable replaced by the mask, so neither the
//! console nor a printout ever holds a secret value.

use crate::config::{is_secret_name, Config};
use crate::secrets::MASK;
use crate::text::Sanitize;
use opsdeck_backends::types::{ContainerDetail, EnvVar, HealthProbe};

/// How many HEALTHCHECK runs the view keeps (Docker keeps five).
pub const HEALTH_LOG: usize = 5;

/// The detail as the view may keep it: every string cleaned of control characters and known
/// secret values masked (by [`Sanitize`], inside `update`'s masking), and the value of every
/// variable that is secret by name or marked secret in the config replaced by the mask.
pub fn masked_detail(config: &Config, service: &str, detail: ContainerDetail) -> ContainerDetail {
    let marked = |name: &str| {
        is_secret_name(name) || config.service(service).and_then(|s| s.env.get(name)).is_some_and(|v| v.secret)
    };
    let env = detail
        .env
        .into_iter()
        .map(|v| {
            let value = if marked(&v.name) && !v.value.is_empty() { MASK.to_string() } else { v.value };
            EnvVar { name: v.name, value }
        })
        .collect();
    let skip = detail.health_log.len().saturating_sub(HEALTH_LOG);
    let health_log = detail.health_log.into_iter().skip(skip).collect();
    ContainerDetail { env, health_log, ..detail }.sanitized()
}

impl Sanitize for ContainerDetail {
    fn sanitized(self) -> Self {
        ContainerDetail {
            id: self.id.sanitized(),
            name: self.name.sanitized(),
            image: self.image.sanitized(),
            image_id: self.image_id.sanitized(),
            repo_digests: self.repo_digests.sanitized(),
            state: self.state.sanitized(),
            error: self.error.sanitized(),
            health: self.health.sanitized(),
            health_log: self
                .health_log
                .into_iter()
                .map(|p| HealthProbe { output: p.output.trim().to_string().sanitized().trim().to_string(), ..p })
                .collect(),
            ports: self.ports.sanitized(),
            labels: self.labels.sanitized(),
            env: self
                .env
                .into_iter()
                .map(|v| EnvVar { name: v.name.sanitized(), value: v.value.sanitized() })
                .collect(),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{gen_config, gen_container_detail};

    #[test]
    fn secret_values_are_masked_by_name_by_mark_and_wherever_they_appear() {
        use crate::secrets::Secrets;
        use std::sync::Arc;
        let mut config = (*gen_config()).clone();
        let api = config.services.iter_mut().find(|s| s.name == "api").expect("api");
        api.env.insert("DB_URL".into(), crate::config::EnvValue::secret("pg://user:hunter22@db"));
        let secrets = Arc::new(Secrets::from_config(&config));
        let mut d = gen_container_detail("prod", "api", "blue", "v1.2.0");
        d.env.push(EnvVar { name: "DB_URL".into(), value: "pg://user:hunter22@db".into() });
        d.env.push(EnvVar { name: "db_password".into(), value: "p4ss-w0rd".into() });
        d.env.push(EnvVar { name: "ECHO".into(), value: "copy of pg://user:hunter22@db".into() });
        d.labels.insert("note".into(), "url pg://user:hunter22@db\x1b[2J".into());
        d.health_log[0].output = "ok\n\x1b[31mred\x1b[0m\n".into();
        let m = crate::text::masking(&secrets, || masked_detail(&config, "api", d));
        let env: Vec<(String, String)> = m.env.iter().map(|v| (v.name.clone(), v.value.clone())).collect();
        assert!(env.contains(&("API_TOKEN".into(), MASK.into())), "*_TOKEN by name: {env:?}");
        assert!(env.contains(&("DB_URL".into(), MASK.into())), "marked in the config");
        assert!(env.contains(&("db_password".into(), MASK.into())), "*PASSWORD* in any case");
        assert!(env.contains(&("ECHO".into(), format!("copy of {MASK}"))), "a known value anywhere");
        assert!(env.contains(&("LOG_LEVEL".into(), "info".into())), "plain values stay");
        assert_eq!(m.labels["note"], format!("url {MASK}[2J"));
        assert_eq!(m.health_log[0].output, "ok [31mred[0m");
        let all = format!("{m:?} {env:?}");
        assert!(!all.contains("hunter22") && !all.contains("p4ss-w0rd") && !all.contains('\x1b'), "{all}");
    }
}
