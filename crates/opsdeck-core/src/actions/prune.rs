//! Pruning a service's registry history: which images may go, and deleting them, each deletion
//! audited. An image may go only when it is past the service's `keep_images` newest, no container
//! of the service on any host uses it (live, idle, stopped or half-made by a running action), every
//! host answered (a host that did not may run it) and no action holds a lock on the service. When
//! any of that cannot be known, nothing of the service is pruned and the reason is said.

use crate::config::Config;
use crate::store::{AuditEntry, HeartbeatKeeper, Holder, LockId, LockOutcome, Store};
use crate::world::views::ImageRow;
use crate::world::{Reach, World};
use opsdeck_backends::types::labels;
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// What pruning a service would delete, or why it will not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrunePlan {
    pub service: String,
    /// The registry repository.
    pub repository: String,
    /// The images to delete, oldest last (the history's order).
    pub images: Vec<ImageRow>,
    /// Why nothing of this service is pruned, when it is not.
    pub refused: Option<String>,
}

impl PrunePlan {
    /// One line per image to delete: `api 666521e v1.0.0 daa48b8 (built 2026-11-23 10:46)`.
    pub fn lines(&self) -> Vec<String> {
        self.images
            .iter()
            .map(|im| {
                let created =
                    im.created.map(|t| format!(" (built {})", t.format("%Y-%m-%d %H:%M"))).unwrap_or_default();
                format!("{} {} {}{created}", self.service, short(&im.digest), im.tags.join(" "))
            })
            .collect()
    }
}

/// The 7 hex digits after `sha256:`.
fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    hex.get(..7).unwrap_or(hex)
}

/// What pruning `service` would do, from the state in `world` (read just before). Locks held by
/// `own` (this process, when it took them before reading the state) do not count.
pub fn plan(world: &World, service: &str, own: Option<&Holder>) -> PrunePlan {
    let repository = world.config.service(service).map(|s| s.repository().to_string()).unwrap_or_default();
    let refuse = |reason: String| PrunePlan {
        service: service.to_string(),
        repository: repository.clone(),
        images: Vec::new(),
        refused: Some(reason),
    };
    if world.config.service(service).is_none() {
        return refuse(format!("no service {service} in the config"));
    }
    if let Reach::Down { reason, .. } = &world.registry.reach {
        return refuse(format!("the registry did not answer: {reason}"));
    }
    if !world.registry.images.contains_key(service) {
        return refuse("the registry's history of it could not be read".into());
    }
    for env in &world.config.environments {
        for host in &env.hosts {
            let id = crate::world::HostId { env: env.name.clone(), host: host.name.clone() };
            match world.hosts.get(&id).map(|h| &h.reach) {
                Some(Reach::Up { .. }) => {}
                Some(Reach::Down { reason, .. }) => {
                    return refuse(format!(
                        "host {} ({}) did not answer, and may run one of its images: {reason}",
                        host.name, env.name
                    ))
                }
                _ => {
                    return refuse(format!(
                        "host {} ({}) was not read, and may run one of its images",
                        host.name, env.name
                    ))
                }
            }
        }
    }
    if let Some(e) = &world.actions.error {
        return refuse(format!("the state store could not be read, so running actions are unknown: {e}"));
    }
    let others = |l: &&crate::store::LockInfo| !own.is_some_and(|o| l.holder.host == o.host && l.holder.pid == o.pid);
    if let Some(lock) = world.actions.locks.iter().filter(others).find(|l| l.service == service) {
        return refuse(format!(
            "{}/{} is locked by {} ({}): prune when it is done",
            lock.service, lock.env, lock.holder.user, lock.what
        ));
    }
    let images = world
        .image_rows(service)
        .into_iter()
        .filter(|im| !im.kept && !used_by_a_container(world, service, im))
        .collect();
    PrunePlan { service: service.to_string(), repository, images, refused: None }
}

/// Whether a container of `service`, in any state on any host, was made from `image` (by the
/// digest opsdeck labels it with, or by the tag in its image reference).
fn used_by_a_container(world: &World, service: &str, image: &ImageRow) -> bool {
    world
        .hosts
        .values()
        .flat_map(|h| h.containers().values())
        .filter(|c| c.label(labels::SERVICE) == Some(service))
        .any(|c| {
            c.label(labels::DIGEST) == Some(image.digest.as_str())
                || c.image.rsplit_once(':').is_some_and(|(_, tag)| image.tags.iter().any(|t| t == tag))
        })
}

/// The locks a prune holds: every environment of every service it prunes, so no action starts
/// on them while their images are judged and deleted.
pub struct PruneLocks {
    store: Arc<Mutex<Store>>,
    ids: Vec<LockId>,
    /// Refreshes them while they are held: a prune waiting for its confirmation can outlast the
    /// stale bound, and a stale lock may be broken under it.
    keeper: Option<HeartbeatKeeper>,
}

impl PruneLocks {
    /// Takes them all, or none (and says who holds the one it could not take).
    pub fn take(config: &Config, holder: &Holder, services: &[String]) -> Result<PruneLocks, String> {
        let mut store = Store::open(&config.state_path).map_err(|e| e.to_string())?;
        let mut ids = Vec::new();
        for service in services {
            for env in &config.environments {
                let what = format!("prune {service}");
                let refused = match store.try_acquire(service, &env.name, holder, &what) {
                    Ok(LockOutcome::Acquired(id)) => {
                        ids.push(id);
                        continue;
                    }
                    Ok(LockOutcome::Held(info)) => {
                        let stale =
                            crate::store::is_stale(&info, chrono::Utc::now(), super::recover::HEARTBEAT_TIMEOUT);
                        let next = match stale {
                            Some(why) => format!("{why}: `opsdeck unlock {service} --env {}` breaks it", env.name),
                            None => "prune when it is done".into(),
                        };
                        format!("{service}/{} is locked by {} ({}): {next}", env.name, info.holder.user, info.what)
                    }
                    Err(e) => e.to_string(),
                };
                // A lock that cannot be let go here is left to go stale: its holder, this
                // process, ends, and the next action breaks it.
                for id in ids {
                    let _ = store.release(id);
                }
                return Err(refused);
            }
        }
        let store = Arc::new(Mutex::new(store));
        let keeper = HeartbeatKeeper::start(store.clone(), ids.clone(), super::executor::HEARTBEAT_EVERY);
        Ok(PruneLocks { store, ids, keeper: Some(keeper) })
    }

    /// Lets them go; returns what could not be let go.
    pub fn release(mut self) -> Vec<String> {
        if let Some(k) = self.keeper.take() {
            k.stop();
        }
        let ids = std::mem::take(&mut self.ids);
        let Ok(mut store) = self.store.lock() else { return vec!["the state store is unavailable".into()] };
        ids.into_iter().filter_map(|id| store.release(id).err().map(|e| e.to_string())).collect()
    }
}

/// How deleting one image ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pruned {
    pub service: String,
    pub digest: String,
    pub tags: Vec<String>,
    /// `None` when deleted; else why not.
    pub error: Option<String>,
}

/// Deletes `plan`'s images from the registry, one at a time (each within the registry timeout),
/// and audits each deletion as a `prune` record under `user`. Returns how each ended.
pub async fn execute(config: &Config, user: &str, plan: &PrunePlan) -> Vec<Pruned> {
    let client = match crate::outside::registry_client(config) {
        Ok(c) => c,
        Err(e) => {
            return plan
                .images
                .iter()
                .map(|im| Pruned {
                    service: plan.service.clone(),
                    digest: im.digest.clone(),
                    tags: im.tags.clone(),
                    error: Some(e.to_string()),
                })
                .collect()
        }
    };
    let mut out = Vec::new();
    for im in &plan.images {
        let deleted = client.delete_manifest(&plan.repository, &im.digest).await.map_err(|e| e.to_string());
        let pruned = Pruned {
            service: plan.service.clone(),
            digest: im.digest.clone(),
            tags: im.tags.clone(),
            error: deleted.err(),
        };
        let audited = audit(config, user, &pruned).await;
        out.push(match audited {
            Ok(()) => pruned,
            Err(e) => Pruned {
                error: Some(format!(
                    "{} (and the audit record failed: {e})",
                    pruned.error.as_deref().unwrap_or("deleted")
                )),
                ..pruned
            },
        });
    }
    out
}

/// The console's prune of `service`, after the operator confirmed the images `confirmed` (their
/// digests): takes the service's locks, reads the state again, and deletes those of the confirmed
/// images that the fresh plan still allows (never one more). Returns the fresh plan, cut to what
/// was deleted, and how each deletion ended; or why nothing was.
pub async fn prune_confirmed(
    config: Arc<Config>,
    user: String,
    service: String,
    confirmed: Vec<String>,
) -> Result<(PrunePlan, Vec<Pruned>), String> {
    let holder = Holder::this_process(&user);
    let (c, h, s) = (config.clone(), holder.clone(), service.clone());
    let locks = tokio::task::spawn_blocking(move || PruneLocks::take(&c, &h, &[s]))
        .await
        .map_err(|_| "the store task panicked".to_string())??;
    let world = crate::watch::gather(config.clone(), user.clone()).await;
    let mut fresh = plan(&world, &service, Some(&holder));
    let result = match &fresh.refused {
        Some(why) => Err(why.clone()),
        None => {
            fresh.images.retain(|im| confirmed.contains(&im.digest));
            Ok(execute(&config, &user, &fresh).await)
        }
    };
    // A lock that cannot be let go is left to go stale: it names this process, and the next
    // action breaks it once this process is gone or its heartbeat is old.
    let _ = tokio::task::spawn_blocking(move || locks.release()).await;
    result.map(|done| (fresh, done))
}

async fn audit(config: &Config, user: &str, pruned: &Pruned) -> Result<(), String> {
    let entry = AuditEntry {
        at: chrono::Utc::now(),
        user: user.to_string(),
        kind: "prune".into(),
        subject: pruned.service.clone(),
        detail: serde_json::json!({
            "digest": pruned.digest,
            "tags": pruned.tags,
            "error": pruned.error,
        }),
        outcome: if pruned.error.is_none() { "succeeded" } else { "failed" }.into(),
    };
    let path = config.state_path.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&path).map_err(|e| e.to_string())?;
        store.append_audit(entry).map(|_| ()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|_| "the store task panicked".to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{gen_container, gen_demo_world, gen_demo_world_all_up};
    use std::sync::Arc;

    fn keep(mut m: World, n: usize) -> World {
        let mut config = (*m.config).clone();
        for s in &mut config.services {
            s.keep_images = n;
        }
        m.config = Arc::new(config);
        m
    }

    fn me() -> Holder {
        Holder::this_process("ann")
    }

    fn tags(p: &PrunePlan) -> Vec<&str> {
        p.images.iter().map(|im| im.tags[0].as_str()).collect()
    }

    #[test]
    fn only_images_past_keep_images_and_used_nowhere_go() {
        let m = keep(gen_demo_world_all_up(), 1);
        let p = plan(&m, "api", Some(&me()));
        assert_eq!(p.refused, None);
        // v1.3.0 is within keep_images (and live); v1.2.0 live in prod, v1.1.0 idle there.
        assert_eq!(tags(&p), ["v1.0.0"]);
        assert_eq!(p.repository, "api");
        assert!(p.lines()[0].starts_with("api ") && p.lines()[0].contains("v1.0.0"), "{:?}", p.lines());
        assert!(plan(&keep(gen_demo_world_all_up(), 4), "api", Some(&me())).images.is_empty());
    }

    #[test]
    fn a_stopped_container_left_from_an_action_keeps_its_image() {
        let mut m = keep(gen_demo_world_all_up(), 1);
        let host = m.hosts.values_mut().next().expect("a host");
        let mut c = gen_container("dev", "api", "blue", "v1.0.0", false);
        c.labels.insert(labels::SLOT.into(), "renamed-by-hand".into());
        c.id = "leftover".into();
        host.insert(c);
        assert!(plan(&m, "api", Some(&me())).images.is_empty());
    }

    #[test]
    fn a_host_that_did_not_answer_refuses_the_whole_service() {
        let p = plan(&keep(gen_demo_world(), 1), "api", None);
        assert!(p.images.is_empty());
        let why = p.refused.expect("refused");
        assert!(why.contains("prod-2 (prod) did not answer") && why.contains("no answer within 3s"), "{why}");
    }

    #[test]
    fn another_holders_lock_refuses_and_our_own_does_not() {
        let mut m = keep(gen_demo_world_all_up(), 1);
        let lock = |holder: Holder| crate::store::LockInfo {
            id: LockId(1),
            service: "api".into(),
            env: "prod".into(),
            holder,
            what: "promote api prod v1.2.0 -> v1.3.0".into(),
            since: m.now,
            heartbeat: m.now,
        };
        m.actions.locks = vec![lock(me())];
        assert_eq!(tags(&plan(&m, "api", Some(&me()))), ["v1.0.0"]);
        let bob = Holder { user: "bob".into(), pid: me().pid + 1, ..me() };
        m.actions.locks = vec![lock(bob)];
        let why = plan(&m, "api", Some(&me())).refused.expect("refused");
        assert!(why.contains("api/prod is locked by bob (promote api prod"), "{why}");
        // web is not locked.
        assert_eq!(tags(&plan(&m, "web", Some(&me()))), ["v1.0.0"]);
    }

    #[test]
    fn an_unreadable_registry_or_store_refuses() {
        let mut m = keep(gen_demo_world_all_up(), 1);
        m.registry.reach = Reach::Down { reason: "connection refused".into(), since: m.now };
        assert!(plan(&m, "api", Some(&me())).refused.is_some_and(|w| w.contains("registry did not answer")));
        let mut m = keep(gen_demo_world_all_up(), 1);
        m.actions.error = Some("database is locked".into());
        assert!(plan(&m, "api", Some(&me())).refused.is_some_and(|w| w.contains("running actions are unknown")));
        assert!(plan(&m, "nope", Some(&me())).refused.is_some_and(|w| w.contains("no service nope")));
    }
}
