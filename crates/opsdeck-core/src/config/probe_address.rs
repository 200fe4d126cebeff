//! Where a host's published ports are reached from the bastion (the address `/health` is probed
//! on), from its engine URL or its `address`.

use super::HostConfig;

impl HostConfig {
    /// Where this host's published ports are reached from the bastion.
    pub fn probe_address(&self) -> String {
        if let Some(a) = &self.address {
            return a.clone();
        }
        let rest = self.url.split_once("://").map(|(_, r)| r).unwrap_or(&self.url);
        if self.url.starts_with("unix://") || rest.is_empty() {
            return "127.0.0.1".into();
        }
        let host_port = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
        let host_port = host_port.split('/').next().unwrap_or(host_port);
        match host_port.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
            _ => host_port.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HostConfig;

    fn host(url: &str) -> HostConfig {
        HostConfig { name: "h".into(), url: url.into(), context: None, address: None, tls: None }
    }

    #[test]
    fn probe_address_follows_the_engine_url() {
        assert_eq!(host("unix:///var/run/docker.sock").probe_address(), "127.0.0.1");
        assert_eq!(host("tcp://10.0.0.5:2376").probe_address(), "10.0.0.5");
        assert_eq!(host("ssh://deploy@prod-1").probe_address(), "prod-1");
        assert_eq!(host("ssh://deploy@prod-1:2222").probe_address(), "prod-1");
        let mut h = host("ssh://deploy@prod-1");
        h.address = Some("127.0.0.1".into());
        assert_eq!(h.probe_address(), "127.0.0.1");
    }
}
