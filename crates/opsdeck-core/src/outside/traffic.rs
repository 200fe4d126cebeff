//! A slot's traffic as an action moves it: every server of the slot at once (one per host, named
//! by [`crate::config::EnvironmentConfig::server_name`]; on a platform of replicas, the servers
//! following them, synced first by [`super::replicas`]), so a switch readies the new slot on all
//! hosts before any old server drains, and a drain waits for all of them.

use super::{OpsResult, Outside, ServerCounters};
use opsdeck_backends::types::AdminState;

/// Every server of one slot, read one after the other within a poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotTraffic {
    /// `(server, counters)` in the config's host order.
    pub servers: Vec<(String, ServerCounters)>,
}

impl SlotTraffic {
    /// Every server is up (a slot with no server is not).
    pub fn all_up(&self) -> bool {
        !self.servers.is_empty() && self.servers.iter().all(|(_, c)| c.up)
    }

    /// The servers not up yet, for a line that says which host lags.
    pub fn not_up(&self) -> Vec<&str> {
        self.servers.iter().filter(|(_, c)| !c.up).map(|(s, _)| s.as_str()).collect()
    }

    /// The slot's requests, 5xx and open sessions, summed over its servers.
    pub fn total(&self) -> ServerCounters {
        self.servers.iter().fold(ServerCounters { up: self.all_up(), ..Default::default() }, |mut t, (_, c)| {
            t.requests += c.requests;
            t.errors_5xx += c.errors_5xx;
            t.current_sessions += c.current_sessions;
            t
        })
    }
}

impl Outside {
    /// Whether `env`'s slots are replicas whose servers follow them.
    fn replicated(&self, env: &str) -> OpsResult<bool> {
        let e = self.config.environment(env).ok_or_else(|| format!("no environment named {env} in the config"))?;
        Ok(e.replicated())
    }

    /// The servers of `slot` in `env`'s switch that carry its state: one per host; replicated,
    /// the live and held ones after a sync, with their admin state (not read for fixed servers).
    async fn carriers(&self, env: &str, backend: &str, slot: &str) -> OpsResult<Vec<(String, Option<AdminState>)>> {
        if self.replicated(env)? {
            let synced = self.sync_replicas(env, backend, slot).await?;
            return Ok(synced.all().map(|(s, a)| (s.to_string(), Some(a))).collect());
        }
        let e = self.config.environment(env).ok_or_else(|| format!("no environment named {env} in the config"))?;
        Ok(e.slot_servers(slot).into_iter().map(|(_, server)| (server, None)).collect())
    }

    /// The servers of `slot` that take its traffic: one per host; replicated, the live ones.
    async fn traffic_servers(&self, env: &str, backend: &str, slot: &str) -> OpsResult<Vec<String>> {
        if self.replicated(env)? {
            let synced = self.sync_replicas(env, backend, slot).await?;
            return Ok(synced.live.into_iter().map(|l| l.server).collect());
        }
        Ok(self.carriers(env, backend, slot).await?.into_iter().map(|(s, _)| s).collect())
    }

    /// Sets every server of `slot` to `state`; the first refusal ends it, naming the server.
    /// Replicated, after a sync: readying a slot with no replica running is an error, and a
    /// server leaving maintenance is readied only once checked (HAProxy's check, or opsdeck's
    /// own probe through [`Outside::mark_up`]), so no replica takes traffic unchecked.
    pub async fn set_slot(&self, env: &str, backend: &str, slot: &str, state: AdminState) -> OpsResult<()> {
        let result = async {
            let switch = self.switch(env)?;
            let replicated = self.replicated(env)?;
            let servers = self.carriers(env, backend, slot).await?;
            if replicated && state == AdminState::Ready && servers.is_empty() {
                return Err(format!("{env}: {slot} has no running replica"));
            }
            for (server, was) in servers {
                let set = if state == AdminState::Ready && was == Some(AdminState::Maint) {
                    switch.ready_when_checked(backend, &server).await
                } else {
                    switch.set_server(backend, &server, state).await
                };
                set.map_err(|e| format!("{env}: {backend}/{server}: {e}"))?;
            }
            Ok(())
        }
        .await;
        self.masked(result)
    }

    /// Every server of `slot` taking its traffic: its state and counters.
    pub async fn slot_traffic(&self, env: &str, backend: &str, slot: &str) -> OpsResult<SlotTraffic> {
        let result = async {
            let switch = self.switch(env)?;
            let mut out = SlotTraffic::default();
            for server in self.traffic_servers(env, backend, slot).await? {
                let c = switch.counters(backend, &server).await.map_err(|e| format!("{env}: {e}"))?;
                out.servers.push((server, c));
            }
            Ok(out)
        }
        .await;
        self.masked(result)
    }

    /// Tells the switch that these servers (of one backend) are healthy: opsdeck has just seen
    /// their slot answer `/health`. Replicated, only those still live after a sync whose replica
    /// answers `/health` now (each is probed): a server may serve another replica by now.
    pub async fn mark_up(&self, env: &str, backend: &str, servers: &[&str]) -> OpsResult<()> {
        let result = async {
            let switch = self.switch(env)?;
            let servers: Vec<String> = if self.replicated(env)? {
                self.healthy_replicas(env, backend, servers).await?
            } else {
                servers.iter().map(|s| s.to_string()).collect()
            };
            for server in servers {
                switch.mark_up(backend, &server).await.map_err(|e| format!("{env}: {backend}/{server}: {e}"))?;
            }
            Ok(())
        }
        .await;
        self.masked(result)
    }

    /// Gives every server of `slot` `percent` % of its configured weight.
    pub async fn set_slot_share(&self, env: &str, backend: &str, slot: &str, percent: u8) -> OpsResult<()> {
        let result = async {
            let switch = self.switch(env)?;
            for (server, _) in self.carriers(env, backend, slot).await? {
                switch
                    .set_share(backend, &server, percent)
                    .await
                    .map_err(|e| format!("{env}: {backend}/{server}: {e}"))?;
            }
            Ok(())
        }
        .await;
        self.masked(result)
    }

    /// Closes the sessions still open on every server of `slot`.
    pub async fn shutdown_slot(&self, env: &str, backend: &str, slot: &str) -> OpsResult<()> {
        let result = async {
            let switch = self.switch(env)?;
            for (server, _) in self.carriers(env, backend, slot).await? {
                switch
                    .shutdown_sessions(backend, &server)
                    .await
                    .map_err(|e| format!("{env}: {backend}/{server}: {e}"))?;
            }
            Ok(())
        }
        .await;
        self.masked(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(up: bool, requests: u64, sessions: u64) -> ServerCounters {
        ServerCounters { up, requests, errors_5xx: requests / 10, current_sessions: sessions }
    }

    #[test]
    fn a_slot_is_up_when_every_host_is_and_counts_add_up() {
        let t = SlotTraffic {
            servers: vec![
                ("blue-prod-1".into(), counters(true, 100, 2)),
                ("blue-prod-2".into(), counters(false, 50, 1)),
            ],
        };
        assert!(!t.all_up());
        assert_eq!(t.not_up(), ["blue-prod-2"]);
        assert_eq!(t.total(), ServerCounters { up: false, requests: 150, errors_5xx: 15, current_sessions: 3 });
        assert!(!SlotTraffic::default().all_up(), "no server is no traffic");
    }
}
