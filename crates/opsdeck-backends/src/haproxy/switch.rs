//! HAProxy as the [`TrafficSwitch`]: one runtime API client per environment.

use super::{parse_request_totals, parse_show_stat, HaproxyClient};
use crate::platform::{OpsResult, ServerCounters, TrafficSwitch};
use crate::types::{AdminState, ServerStat};
use crate::BackendResult;

/// Whether HAProxy counts a server up with nothing pending: `UP`, not `UP 1/2`. A server that
/// leaves maintenance comes back `UP 1/2` (recorded on 2.6.12: health at `rise`), one failed check
/// from DOWN until its next check passes; with the old slot already drained, that one check would
/// leave the backend no server (a burst of 503 under load, issue 14's failure seen once). The
/// switch tells HAProxy the new server is healthy (`set server … health up`, full health) instead.
pub fn fully_up(status: &str) -> bool {
    status == "UP" || status == "no check"
}

#[async_trait::async_trait]
impl TrafficSwitch for HaproxyClient {
    async fn set_server(&self, backend: &str, server: &str, state: AdminState) -> OpsResult<()> {
        self.set_state(backend, server, state).await.map_err(|e| e.to_string())
    }

    async fn counters(&self, backend: &str, server: &str) -> OpsResult<ServerCounters> {
        // One `show stat` answers everything: state, sessions, 5xx and requests agree in time.
        let text = self.command("show stat -1 4 -1").await.map_err(|e| e.to_string())?;
        let stat = parse_show_stat(&text)
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|s| s.backend == backend && s.server == server)
            .ok_or_else(|| format!("HAProxy has no server {backend}/{server}"))?;
        let requests = parse_request_totals(&text)
            .map_err(|e| e.to_string())?
            .get(&(backend.to_string(), server.to_string()))
            .copied()
            .unwrap_or(stat.total_sessions);
        Ok(ServerCounters {
            up: fully_up(&stat.status),
            requests,
            errors_5xx: stat.http_5xx,
            current_sessions: stat.current_sessions,
        })
    }

    async fn mark_up(&self, backend: &str, server: &str) -> OpsResult<()> {
        HaproxyClient::mark_up(self, backend, server).await.map_err(|e| e.to_string())
    }

    async fn set_share(&self, backend: &str, server: &str, percent: u8) -> OpsResult<()> {
        // During a canary both slots' servers get absolute weights (the new ones `percent`, the
        // stable ones the rest), so the split holds whatever the configured weights are (a
        // weight of 1 has no 10 %); 100 gives the configured weight back.
        let set = if percent >= 100 {
            self.set_weight_percent(backend, server, 100).await
        } else {
            self.set_weight(backend, server, u32::from(percent)).await
        };
        set.map_err(|e| e.to_string())
    }

    async fn set_address(&self, backend: &str, server: &str, address: &str, port: u16) -> OpsResult<()> {
        HaproxyClient::set_address(self, backend, server, address, port).await.map_err(|e| e.to_string())
    }

    async fn set_weight(&self, backend: &str, server: &str, weight: u32) -> OpsResult<()> {
        HaproxyClient::set_weight(self, backend, server, weight).await.map_err(|e| e.to_string())
    }

    async fn ready_when_checked(&self, backend: &str, server: &str) -> OpsResult<()> {
        HaproxyClient::ready_when_checked(self, backend, server).await.map_err(|e| e.to_string())
    }

    async fn shutdown_sessions(&self, backend: &str, server: &str) -> OpsResult<()> {
        HaproxyClient::shutdown_sessions(self, backend, server).await.map_err(|e| e.to_string())
    }

    async fn servers(&self) -> BackendResult<Vec<ServerStat>> {
        HaproxyClient::servers(self).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn up_one_check_from_down_is_not_fully_up() {
        assert!(super::fully_up("UP"));
        assert!(super::fully_up("no check"));
        for status in ["UP 1/2", "UP 1/3", "DOWN", "DOWN 1/2", "MAINT", "DRAIN", "NOLB"] {
            assert!(!super::fully_up(status), "{status}");
        }
    }
}
