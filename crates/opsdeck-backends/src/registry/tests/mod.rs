//! The registry client's unit tests, by scenario; the helpers here are shared by all of them.

mod auth;
mod checks;
mod client;
mod order;

use super::RegistryClient;
use std::time::Duration;

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(t, d)| (t.to_string(), d.to_string())).collect()
}

fn client(url: &str, ms: u64) -> RegistryClient {
    RegistryClient::new(url, Duration::from_millis(ms)).expect("client")
}
