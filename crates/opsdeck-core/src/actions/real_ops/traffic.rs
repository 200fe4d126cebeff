//! The traffic calls of [`RealOps`]: the environment's HAProxy servers, and Alertmanager's
//! silences.

use super::*;

/// The calls themselves; [`SlotOps`] masks what they hand back.
impl RealOps {
    pub(super) async fn raw_set_server(
        &self,
        env: &str,
        backend: &str,
        server: &str,
        state: AdminState,
    ) -> OpsResult<()> {
        self.lb(env)?.set_state(backend, server, state).await.map_err(|e| format!("{env}: {e}"))
    }

    pub(super) async fn raw_counters(&self, env: &str, backend: &str, server: &str) -> OpsResult<ServerCounters> {
        // One `show stat` answers everything: state, sessions, 5xx and requests agree in time.
        let text = self.lb(env)?.command("show stat -1 4 -1").await.map_err(|e| format!("{env}: {e}"))?;
        let stat = parse_show_stat(&text)
            .map_err(|e| format!("{env}: {e}"))?
            .into_iter()
            .find(|s| s.backend == backend && s.server == server)
            .ok_or_else(|| format!("{env}: HAProxy has no server {backend}/{server}"))?;
        let requests = parse_request_totals(&text)
            .map_err(|e| format!("{env}: {e}"))?
            .get(&(backend.to_string(), server.to_string()))
            .copied()
            .unwrap_or(stat.total_sessions);
        Ok(ServerCounters {
            up: stat.status.starts_with("UP") || stat.status == "no check",
            requests,
            errors_5xx: stat.http_5xx,
            current_sessions: stat.current_sessions,
        })
    }

    pub(super) async fn raw_shutdown_sessions(&self, env: &str, backend: &str, server: &str) -> OpsResult<()> {
        self.lb(env)?.shutdown_sessions(backend, server).await.map_err(|e| format!("{env}: {e}"))
    }

    /// The config's Alertmanager (each request bounded by its timeout).
    pub(super) fn alertmanager(&self) -> OpsResult<AlertmanagerClient> {
        let am = self.config.alertmanager.as_ref().ok_or(crate::actions::ops::NO_ALERTMANAGER)?;
        AlertmanagerClient::new(&am.url, self.config.timeouts.alertmanager).map_err(|e| e.to_string())
    }
}
