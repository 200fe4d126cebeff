//! A replicated slot's servers kept in step with its replicas (Swarm's tasks): the traffic
//! switch's numbered servers of the slot (`blue1`, `blue2`, ... from HAProxy's
//! `server-template`) are pointed at the replicas the platform says run, each taking the slot's
//! admin state and weight. The sync keeps no state of its own: the switch's servers are the
//! record (a server at a running replica's address serves it, the others are spare), so two
//! opsdeck processes syncing at once converge, and a sync cut short is finished by the next.

use super::{OpsResult, Outside};
use opsdeck_backends::platform::Endpoint;
use opsdeck_backends::types::{AdminState, HealthVerdict, ServerStat};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

/// A replicated slot's servers after a sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotServers {
    /// One per running replica, pointed at it, by server number.
    pub live: Vec<String>,
    /// Pointed at a replica that went away, and not in maintenance: kept only while no replica
    /// runs, because they carry the slot's admin state and weight until one does.
    pub held: Vec<String>,
}

/// A live server and the replica it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveServer {
    pub server: String,
    pub endpoint: Endpoint,
    /// Its admin state once the sync is done.
    pub admin: AdminState,
}

/// What a sync found and did: the live servers with their replicas, and those held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Synced {
    pub live: Vec<LiveServer>,
    /// `(server, admin state)`.
    pub held: Vec<(String, AdminState)>,
}

impl Synced {
    pub(crate) fn servers(&self) -> SlotServers {
        SlotServers {
            live: self.live.iter().map(|l| l.server.clone()).collect(),
            held: self.held.iter().map(|(s, _)| s.clone()).collect(),
        }
    }

    /// Every server of the slot that carries its state: live, then held.
    pub(crate) fn all(&self) -> impl Iterator<Item = (&str, AdminState)> {
        let live = self.live.iter().map(|l| (l.server.as_str(), l.admin));
        live.chain(self.held.iter().map(|(s, a)| (s.as_str(), *a)))
    }
}

/// One change a sync makes to a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Move {
    /// A held server takes a new replica, keeping its state and weight. A ready one is drained
    /// first and readied once checked: the new replica may not answer yet.
    Readdress { server: String, endpoint: Endpoint, ready: bool },
    /// A server in maintenance takes a replica (pointed at it first unless it already is) and
    /// the slot's weight and state, when the slot has any.
    Take { server: String, endpoint: Endpoint, readdress: bool, weight: Option<u32>, state: Option<AdminState> },
    /// A held server no replica needs goes to maintenance: free for the next replica.
    Free { server: String },
}

/// What a sync will do, worked out from one look at the servers and the replicas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SyncPlan {
    pub moves: Vec<Move>,
    pub synced: Synced,
    /// Replicas left without a server: every numbered server is taken.
    pub unserved: usize,
}

/// Whether HAProxy's `ip:port` (`[v6]:port`) is `endpoint`.
fn is_at(address: &str, endpoint: &Endpoint) -> bool {
    match (address.parse::<SocketAddr>(), endpoint.address.parse::<IpAddr>()) {
        (Ok(at), Ok(ip)) => at.ip() == ip && at.port() == endpoint.port,
        _ => address == format!("{}:{}", endpoint.address, endpoint.port),
    }
}

/// Plans the sync of `slot`'s numbered servers among `servers` (one backend's) with the
/// replicas at `endpoints`. Pure: the switch and the platform were read before.
pub(crate) fn plan_sync(slot: &str, servers: &[ServerStat], endpoints: &[Endpoint]) -> SyncPlan {
    let mut rows: Vec<(u32, &ServerStat)> =
        servers.iter().filter_map(|s| Some((crate::config::replica_number(slot, &s.server)?, s))).collect();
    rows.sort_by_key(|(n, _)| *n);
    let mut unique: Vec<&Endpoint> = Vec::new();
    for e in endpoints {
        if !unique.iter().any(|u| u.address == e.address && u.port == e.port) {
            unique.push(e);
        }
    }
    let maint = |s: &ServerStat| s.admin == AdminState::Maint;
    // Each replica's server: of those at its address, one not in maintenance, else the first.
    // A second server at the same address (two syncs that raced) is spare like any other.
    let chosen: Vec<Option<&ServerStat>> = unique
        .iter()
        .map(|e| {
            let at: Vec<&ServerStat> = rows.iter().map(|(_, s)| *s).filter(|s| is_at(&s.address, e)).collect();
            at.iter().find(|s| !maint(s)).or(at.first()).copied()
        })
        .collect();
    let is_chosen = |s: &ServerStat| chosen.iter().flatten().any(|c| c.server == s.server);
    // The slot's state and weight: a live server's, else a held one's (a replica replaced).
    let in_order = || rows.iter().map(|(_, s)| *s);
    let source = in_order().find(|s| !maint(s) && is_chosen(s)).or_else(|| in_order().find(|s| !maint(s)));
    let take = |server: &ServerStat, endpoint: &Endpoint, readdress: bool| Move::Take {
        server: server.server.clone(),
        endpoint: endpoint.clone(),
        readdress,
        weight: source.map(|s| s.weight).filter(|w| *w != server.weight),
        state: source.map(|s| s.admin),
    };
    let mut plan = SyncPlan::default();
    let mut live: Vec<(u32, LiveServer)> = Vec::new();
    let number = |s: &ServerStat| rows.iter().find(|(_, r)| r.server == s.server).map_or(0, |(n, _)| *n);
    let mut held: VecDeque<&ServerStat> = in_order().filter(|s| !maint(s) && !is_chosen(s)).collect();
    let mut free: VecDeque<&ServerStat> = in_order().filter(|s| maint(s) && !is_chosen(s)).collect();
    let mut unserved: Vec<&Endpoint> = Vec::new();
    for (endpoint, server) in unique.iter().zip(&chosen) {
        let Some(server) = server else {
            unserved.push(endpoint);
            continue;
        };
        // In maintenance at a running replica's address (a port used again): it is spare that
        // happens to point at the replica already, and takes the slot's state like one.
        let admin = match source {
            Some(src) if maint(server) => {
                plan.moves.push(take(server, endpoint, false));
                src.admin
            }
            _ => server.admin,
        };
        let endpoint = (*endpoint).clone();
        live.push((number(server), LiveServer { server: server.server.clone(), endpoint, admin }));
    }
    for endpoint in unserved {
        let (server, admin) = if let Some(h) = held.pop_front() {
            let ready = h.admin == AdminState::Ready;
            plan.moves.push(Move::Readdress { server: h.server.clone(), endpoint: endpoint.clone(), ready });
            (h, h.admin)
        } else if let Some(f) = free.pop_front() {
            plan.moves.push(take(f, endpoint, true));
            (f, source.map_or(AdminState::Maint, |s| s.admin))
        } else {
            plan.unserved += 1;
            continue;
        };
        live.push((number(server), LiveServer { server: server.server.clone(), endpoint: endpoint.clone(), admin }));
    }
    if !live.is_empty() {
        plan.moves.extend(held.drain(..).map(|h| Move::Free { server: h.server.clone() }));
    }
    live.sort_by_key(|(n, _)| *n);
    plan.synced.live = live.into_iter().map(|(_, l)| l).collect();
    plan.synced.held = held.iter().map(|h| (h.server.clone(), h.admin)).collect();
    plan
}

/// `http://<address>:<port><path>`, an IPv6 address in brackets.
pub(crate) fn url(address: &str, port: u16, path: &str) -> String {
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    let address =
        if address.contains(':') && !address.starts_with('[') { format!("[{address}]") } else { address.into() };
    format!("http://{address}:{port}{path}")
}

/// Where a replicated slot is found: its platform host and name, and its service's health path.
struct Located<'a> {
    host: &'a str,
    name: String,
    health_path: &'a str,
}

impl Outside {
    /// The platform's host and name of `slot` of the service behind `backend` in `env`.
    fn locate(&self, env: &str, backend: &str, slot: &str) -> OpsResult<Located<'_>> {
        let e = self.config.environment(env).ok_or_else(|| format!("no environment named {env} in the config"))?;
        let host = e.hosts.first().map(|h| h.name.as_str()).ok_or_else(|| format!("{env} has no host"))?;
        let service = self
            .config
            .services
            .iter()
            .find(|s| s.environments.get(env).is_some_and(|r| r.backend == backend))
            .ok_or_else(|| format!("{env}: no service of the config uses backend {backend}"))?;
        Ok(Located { host, name: format!("{}-{env}-{slot}", service.name), health_path: &service.health_path })
    }

    /// Points `slot`'s numbered servers in `env`'s switch at the replicas that run now (see
    /// [`plan_sync`]): a new replica takes a held server (a replaced one's), else a server in
    /// maintenance, which takes the slot's weight and admin state, readied only once checked;
    /// held servers no replica needs go to maintenance while any replica runs. An error when a
    /// replica is left without a server (after doing the rest).
    pub async fn follow_replicas(&self, env: &str, backend: &str, slot: &str) -> OpsResult<SlotServers> {
        let result = self.sync_replicas(env, backend, slot).await.map(|s| s.servers());
        self.masked(result)
    }

    pub(crate) async fn sync_replicas(&self, env: &str, backend: &str, slot: &str) -> OpsResult<Synced> {
        let at = self.locate(env, backend, slot)?;
        let switch = self.switch(env)?;
        let platform = self.platform(at.host)?;
        let (endpoints, servers) = tokio::join!(platform.slot_endpoints(at.host, &at.name), switch.servers());
        let endpoints = endpoints
            .map_err(|e| format!("{env}: {e}"))?
            .ok_or_else(|| format!("{env}: the platform does not run {} as replicas", at.name))?;
        let servers: Vec<ServerStat> =
            servers.map_err(|e| format!("{env}: {e}"))?.into_iter().filter(|s| s.backend == backend).collect();
        let plan = plan_sync(slot, &servers, &endpoints);
        let failed = |server: &str, e: String| format!("{env}: {backend}/{server}: {e}");
        for m in &plan.moves {
            match m {
                Move::Readdress { server, endpoint, ready } => {
                    if *ready {
                        switch.set_server(backend, server, AdminState::Drain).await.map_err(|e| failed(server, e))?;
                    }
                    let (address, port) = (&endpoint.address, endpoint.port);
                    switch.set_address(backend, server, address, port).await.map_err(|e| failed(server, e))?;
                    if *ready {
                        switch.ready_when_checked(backend, server).await.map_err(|e| failed(server, e))?;
                    }
                }
                Move::Take { server, endpoint, readdress, weight, state } => {
                    if *readdress {
                        let (address, port) = (&endpoint.address, endpoint.port);
                        switch.set_address(backend, server, address, port).await.map_err(|e| failed(server, e))?;
                    }
                    if let Some(weight) = weight {
                        switch.set_weight(backend, server, *weight).await.map_err(|e| failed(server, e))?;
                    }
                    match state {
                        Some(AdminState::Ready) => switch.ready_when_checked(backend, server).await,
                        Some(other) => switch.set_server(backend, server, *other).await,
                        None => Ok(()),
                    }
                    .map_err(|e| failed(server, e))?;
                }
                Move::Free { server } => {
                    switch.set_server(backend, server, AdminState::Maint).await.map_err(|e| failed(server, e))?;
                }
            }
        }
        let total = servers.iter().filter(|s| crate::config::replica_number(slot, &s.server).is_some()).count();
        if plan.unserved > 0 && total == 0 {
            return Err(format!(
                "{env}: backend {backend} has no servers {slot}1, {slot}2, ...: add \
                 `server-template {slot} 1-<most replicas> 127.0.0.1:1 check disabled` to it"
            ));
        }
        if plan.unserved > 0 {
            return Err(format!(
                "{env}: backend {backend}: {} replica(s) of {} have no server: all {total} {slot} servers are taken; \
                 raise the count of its `server-template {slot} 1-{total}`",
                plan.unserved, at.name
            ));
        }
        Ok(plan.synced)
    }

    /// `/health` on every replica of the slot `name` on `host` (all must pass; none running is
    /// unhealthy), concurrently; None when all pass, else why, naming each replica that failed.
    pub(crate) async fn replicas_health(&self, endpoints: &[Endpoint], path: &str) -> Option<String> {
        if endpoints.is_empty() {
            return Some("no replica running".into());
        }
        let urls: Vec<String> = endpoints.iter().map(|e| url(&e.address, e.port, path)).collect();
        let reports = futures::future::join_all(urls.iter().map(|u| self.probe.probe(u))).await;
        let failed: Vec<String> = endpoints
            .iter()
            .zip(&urls)
            .zip(&reports)
            .filter(|(_, r)| r.verdict != HealthVerdict::Healthy)
            .map(|((e, u), r)| {
                let reason = if r.reason.is_empty() { "unhealthy" } else { r.reason.as_str() };
                format!("{} ({u}): {reason}", e.name)
            })
            .collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }

    /// Of `servers` (live after a sync of their slot), those whose replica answers `/health`
    /// now: only they may be told up. A server readdressed since the caller looked serves a
    /// replica nobody has probed yet; this probes it.
    pub(crate) async fn healthy_replicas(&self, env: &str, backend: &str, servers: &[&str]) -> OpsResult<Vec<String>> {
        let mut out = Vec::new();
        for slot in crate::config::SLOTS {
            if !servers.iter().any(|s| crate::config::replica_number(slot, s).is_some()) {
                continue;
            }
            let path = self.locate(env, backend, slot)?.health_path;
            let synced = self.sync_replicas(env, backend, slot).await?;
            let wanted: Vec<&LiveServer> =
                synced.live.iter().filter(|l| servers.contains(&l.server.as_str())).collect();
            let urls: Vec<String> = wanted.iter().map(|l| url(&l.endpoint.address, l.endpoint.port, path)).collect();
            let reports = futures::future::join_all(urls.iter().map(|u| self.probe.probe(u))).await;
            for (l, report) in wanted.iter().zip(reports) {
                if report.verdict == HealthVerdict::Healthy {
                    out.push(l.server.clone());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "replicas_tests.rs"]
mod tests;
