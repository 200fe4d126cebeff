//! The demo's HAProxy frontends (one per service and environment, each on a fresh loopback
//! port) and the wait until HAProxy's checks see every live slot's server up.

use super::{haproxy_cfg, plan, FrontendRecord, SlotRecord, TRAFFIC_LIMIT};
use crate::stack::{self, Haproxy};
use color_eyre::eyre::{eyre, Result};
use std::time::{Duration, Instant};

/// One frontend per service and environment, each on a fresh port.
pub(super) fn plan() -> Result<Vec<FrontendRecord>> {
    let mut out = Vec::new();
    for service in plan::SERVICES {
        for env in plan::ENVS {
            let port = stack::free_port()?;
            out.push(FrontendRecord {
                service: service.into(),
                env: env.into(),
                backend: format!("{service}_{env}"),
                port,
                url: format!("http://127.0.0.1:{port}"),
            });
        }
    }
    Ok(out)
}

/// Waits until HAProxy's checks see every live slot up, so traffic flows when `up` returns.
pub(super) async fn wait_live_servers_up(haproxy: &Haproxy, slots: &[SlotRecord]) -> Result<()> {
    let started = Instant::now();
    loop {
        let stat = haproxy.command("show stat").await.unwrap_or_default();
        let down: Vec<String> = slots
            .iter()
            .filter(|s| {
                let server = haproxy_cfg::server_name(slots, s);
                s.live && !server_is_up(&stat, &format!("{}_{}", s.service, s.env), &server)
            })
            .map(|s| format!("{} on {}", s.name, s.host))
            .collect();
        if down.is_empty() {
            return Ok(());
        }
        if started.elapsed() > TRAFFIC_LIMIT {
            return Err(eyre!("HAProxy does not see {} up after {}s", down.join(", "), TRAFFIC_LIMIT.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether `show stat` CSV has `backend`/`server` with a status starting `UP`.
fn server_is_up(stat: &str, backend: &str, server: &str) -> bool {
    stat.lines().any(|line| {
        let cols: Vec<&str> = line.split(',').collect();
        cols.len() > 17 && cols[0] == backend && cols[1] == server && cols[17].starts_with("UP")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_name_up_servers() {
        let stat =
            "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status\n\
                    api_prod,blue,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP\n\
                    api_prod,green,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT\n";
        assert!(server_is_up(stat, "api_prod", "blue"));
        assert!(!server_is_up(stat, "api_prod", "green"));
        assert!(!server_is_up(stat, "web_prod", "blue"));
    }
}
