//! What an action does to a swarm: make a slot's service (0 replicas), scale it up and down,
//! delete it, and read what it runs. Every update quotes the version it read, and is read and
//! made again when another change came in between.

use super::spec::{
    foreign_labels, label, refusal, replicas_now, replicas_wanted, service_spec, swarm_busy, version, with_replicas,
    STOP_GRACE,
};
use super::{read, tasks, SwarmCluster};
use crate::docker::docker_error;
use crate::docker::lifecycle::docker_credentials;
use crate::platform::{Endpoint, OpsResult, SlotSpec};
use crate::types::labels;
use bollard::auth::DockerCredentials;
use bollard::models::{Service, ServiceSpec};
use bollard::query_parameters::UpdateServiceOptionsBuilder;
use bollard::Docker;
use std::time::{Duration, Instant};

/// An update that lost a race with another change is read and made again this many times.
const ATTEMPTS: usize = 3;
/// How often a stopping service's tasks are looked at.
const STOP_POLL: Duration = Duration::from_millis(250);

impl SwarmCluster {
    pub(super) async fn raw_slot_digest(&self, host: &str, name: &str) -> OpsResult<Option<String>> {
        let found = self.service(host, name).await?;
        Ok(found.map(|s| label(&s, labels::DIGEST).unwrap_or_default().to_string()))
    }

    pub(super) async fn raw_is_running(&self, host: &str, name: &str) -> OpsResult<bool> {
        let docker = self.docker(host).await?;
        let found = read::one(docker, name, self.read_timeout()).await.map_err(|e| format!("{host}: {e}"))?;
        let Some(p) = found else { return Ok(false) };
        let Some(service) = p.services.first() else { return Ok(false) };
        let id = service.id.as_deref().unwrap_or_default();
        let running = tasks::current(&p.tasks, id).values().any(|t| tasks::wanted(t) && tasks::runs(t, &p.nodes));
        Ok(replicas_now(service) > 0 && running)
    }

    pub(super) async fn raw_recreate(&self, spec: &SlotSpec) -> OpsResult<()> {
        let (host, name) = (&spec.host, spec.container_name());
        let placement = self.placement.get(&spec.service).cloned().unwrap_or_default();
        let fresh = |found: &Service| match swarm_busy(found) {
            Some(busy) => Err(format!("{host}: {}", refusal(&busy))),
            None => {
                let mut kept = foreign_labels(found);
                kept.extend(self.extra_labels.clone());
                Ok(Some(service_spec(spec, &placement, &kept)))
            }
        };
        if self.update_with(host, &name, fresh).await? {
            return Ok(());
        }
        let docker = self.docker(host).await?;
        let made = service_spec(spec, &placement, &self.extra_labels);
        let credentials = self.credentials(&spec.image);
        let limit = self.change_timeout();
        let client = slow(docker, limit);
        match tokio::time::timeout(limit, client.create_service(made, credentials)).await {
            Err(_) => Err(format!("{host}: create service {name}: no answer within {}", secs(limit))),
            Ok(Err(e)) => Err(format!("{host}: create service {name} from {}: {}", spec.image, docker_error(&e))),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// Scales the service to the tasks it runs when started; returns once Swarm took it.
    pub(super) async fn raw_start(&self, host: &str, name: &str) -> OpsResult<()> {
        let scale = |found: &Service| {
            let wanted = replicas_wanted(found, &self.placement);
            match replicas_now(found) == wanted {
                true => Ok(None),
                false => Ok(Some(with_replicas(found.spec.clone().unwrap_or_default(), wanted))),
            }
        };
        match self.update_with(host, name, scale).await? {
            true => Ok(()),
            false => Err(format!("{host}: start {name}: no such service")),
        }
    }

    /// Scales the service to 0 and waits until none of its tasks runs (Swarm stops each with
    /// its own grace, [`STOP_GRACE`]). The spec stays: starting it again is a cold rollback.
    pub(super) async fn raw_stop(&self, host: &str, name: &str, grace: Duration) -> OpsResult<()> {
        let to_zero = |found: &Service| match replicas_now(found) {
            0 => Ok(None),
            _ => Ok(Some(with_replicas(found.spec.clone().unwrap_or_default(), 0))),
        };
        if !self.update_with(host, name, to_zero).await? {
            // Nothing to stop is what was asked for.
            return Ok(());
        }
        let docker = self.docker(host).await?;
        let limit = grace.max(STOP_GRACE) + self.change_timeout();
        let started = Instant::now();
        loop {
            let found = read::service(docker, name, self.read_timeout()).await.map_err(|e| format!("{host}: {e}"))?;
            let Some(id) = found.and_then(|s| s.id) else { return Ok(()) };
            let listed = read::tasks(docker, std::slice::from_ref(&id), self.read_timeout())
                .await
                .map_err(|e| format!("{host}: stop {name}: {e}"))?;
            let live = listed.iter().filter(|t| tasks::has_container(tasks::state(t))).count();
            if live == 0 {
                return Ok(());
            }
            if started.elapsed() >= limit {
                return Err(format!("{host}: stop {name}: {live} task(s) still running after {}", secs(limit)));
            }
            tokio::time::sleep(STOP_POLL).await;
        }
    }

    pub(super) async fn raw_remove(&self, host: &str, name: &str) -> OpsResult<()> {
        let docker = self.docker(host).await?;
        let limit = self.change_timeout();
        let client = slow(docker, limit);
        match tokio::time::timeout(limit, client.delete_service(name)).await {
            Err(_) => Err(format!("{host}: remove service {name}: no answer within {}", secs(limit))),
            Ok(Ok(())) => Ok(()),
            // Nothing to remove is what was asked for.
            Ok(Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })) => Ok(()),
            Ok(Err(e)) => Err(format!("{host}: remove service {name}: {}", docker_error(&e))),
        }
    }

    pub(super) async fn raw_verdict(&self, host: &str, name: &str) -> Option<String> {
        let docker = match self.docker(host).await {
            Ok(d) => d,
            Err(e) => return Some(e),
        };
        match read::one(docker, name, self.read_timeout()).await {
            Err(e) => Some(format!("{host}: {e}")),
            Ok(None) => Some(format!("no service {name}")),
            Ok(Some(p)) => p.services.first().and_then(|s| tasks::verdict(s, &p.tasks, &p.nodes)),
        }
    }

    pub(super) async fn raw_endpoints(&self, host: &str, name: &str) -> OpsResult<Vec<Endpoint>> {
        let docker = self.docker(host).await?;
        let found = read::one(docker, name, self.read_timeout()).await.map_err(|e| format!("{host}: {e}"))?;
        let Some(p) = found else { return Ok(Vec::new()) };
        let fallback = &self.manager.probe_address;
        Ok(p.services.first().map(|s| tasks::endpoints(s, &p.tasks, &p.nodes, fallback)).unwrap_or_default())
    }

    async fn service(&self, host: &str, name: &str) -> OpsResult<Option<Service>> {
        let docker = self.docker(host).await?;
        read::service(docker, name, self.read_timeout()).await.map_err(|e| format!("{host}: {e}"))
    }

    /// Reads the service and updates it to what `change` makes of it (None: nothing to change),
    /// quoting the version read. False when there is no such service.
    async fn update_with(
        &self,
        host: &str,
        name: &str,
        change: impl Fn(&Service) -> OpsResult<Option<ServiceSpec>>,
    ) -> OpsResult<bool> {
        let docker = self.docker(host).await?;
        let limit = self.change_timeout();
        for attempt in 1..=ATTEMPTS {
            let Some(found) = self.service(host, name).await? else { return Ok(false) };
            let Some(spec) = change(&found)? else { return Ok(true) };
            let version = version(&found, name).map_err(|e| format!("{host}: {e}"))?;
            let image =
                spec.task_template.as_ref().and_then(|t| t.container_spec.as_ref()).and_then(|c| c.image.clone());
            let credentials = image.and_then(|i| self.credentials(&i));
            let options = UpdateServiceOptionsBuilder::default().version(version).build();
            let client = slow(docker, limit);
            match tokio::time::timeout(limit, client.update_service(name, spec, options, credentials)).await {
                Err(_) => return Err(format!("{host}: update service {name}: no answer within {}", secs(limit))),
                Ok(Ok(_)) => return Ok(true),
                Ok(Err(e)) if out_of_sequence(&e) && attempt < ATTEMPTS => continue,
                Ok(Err(e)) => return Err(format!("{host}: update service {name}: {}", docker_error(&e))),
            }
        }
        Err(format!("{host}: update service {name}: it kept changing under opsdeck"))
    }

    /// The registry's credentials, for an image from that registry only.
    fn credentials(&self, image: &str) -> Option<DockerCredentials> {
        let auth = self.registry_auth.as_ref().filter(|(server, _)| image.starts_with(&format!("{server}/")))?;
        Some(docker_credentials(auth))
    }
}

/// Another change to the service came in between our read and our update.
fn out_of_sequence(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { message, .. } if message.contains("out of sequence"))
}

/// The client with its own deadline for one slow call (Docker's client keeps one for every
/// request, counted in whole seconds).
fn slow(docker: &Docker, limit: Duration) -> Docker {
    docker.clone().with_timeout(Duration::from_secs(limit.as_secs_f64().ceil().max(1.0) as u64))
}

fn secs(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}
