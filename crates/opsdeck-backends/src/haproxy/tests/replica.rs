//! Servers following replicas: readdressing (HAProxy always answers that command, success too),
//! absolute weights, and readying a new replica only once it is checked.

use crate::error::BackendError;
use crate::haproxy::{address_changed, HaproxyClient};
use crate::platform::TrafficSwitch;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `show servers state api_prod` recorded from HAProxy 2.6.12: blue1 from
/// `server-template blue 1-2 127.0.0.1:1 check disabled` (check state 14: configured, enabled,
/// paused by maintenance), n1 without `check` (8).
const STATE: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n\
3 api_prod 1 blue1 127.0.0.1 0 5 1 1 2 1 0 0 14 0 0 0 - 18992 - 0 0 - - 0\n\
3 api_prod 2 n1 127.0.0.1 0 5 1 1 2 1 0 0 8 0 0 0 - 1 - 0 0 - - 0\n\n";

/// A fake stats socket that records every command line and answers with `answer(line)`.
async fn recording_socket(
    answer: fn(&str) -> &'static str,
) -> (tempfile::TempDir, HaproxyClient, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("admin.sock");
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            while stream.read(&mut byte).await.unwrap_or(0) == 1 && byte[0] != b'\n' {
                line.push(byte[0]);
            }
            let line = String::from_utf8_lossy(&line).to_string();
            log.lock().expect("log").push(line.clone());
            let _ = stream.write_all(answer(&line).as_bytes()).await;
        }
    });
    let client = HaproxyClient::new(&format!("unix://{}", path.display()), Duration::from_millis(500)).expect("client");
    (dir, client, seen, task)
}

#[test]
fn what_set_server_addr_answers_when_it_worked() {
    for ok in [
        "IP changed from '127.0.0.1' to '127.0.0.2', port changed from '1' to '18992' by 'stats socket command'\n\n",
        "no need to change the addr, port changed from '1' to '18992' by 'stats socket command'\n",
        "No need to change the addr, port changed from '1' to '18992' by 'stats socket command'\n",
        "IP changed from '127.0.0.2' to '127.0.0.1', no need to change the port by 'stats socket command'\n",
    ] {
        assert!(address_changed(ok), "{ok}");
    }
    for refused in [
        "Invalid addr '10.0.0.300' by 'stats socket command'\n",
        "No such server.\n",
        "can't change <port> when <port> is in mapped mode by 'stats socket command'\n",
        "",
        "\n",
    ] {
        assert!(!address_changed(refused), "{refused}");
    }
}

#[tokio::test]
async fn set_address_sends_ip_and_port_and_reads_the_answer() {
    let (_dir, client, seen, task) = recording_socket(|cmd| {
        if cmd.contains("blue9") {
            "No such server.\n\n"
        } else {
            "IP changed from '127.0.0.1' to '10.0.0.7', port changed from '1' to '30001' by 'stats socket command'\n\n"
        }
    })
    .await;
    let switch: &dyn TrafficSwitch = &client;
    switch.set_address("api_prod", "blue1", "10.0.0.7", 30001).await.expect("readdressed");
    switch.set_address("api_prod", "blue2", "fd00::7", 30002).await.expect("IPv6 too");
    let refused = switch.set_address("api_prod", "blue9", "10.0.0.7", 30001).await.expect_err("no such server");
    assert!(refused.contains("No such server"), "{refused}");
    // Refused before anything is sent: not an IP, port 0, a name that would change the command.
    for (server, address, port) in [
        ("blue1", "node-1.example", 30001),
        ("blue1", "10.0.0.7 port 1; shutdown sessions", 30001),
        ("blue1", "10.0.0.7", 0),
        ("blue1;x", "10.0.0.7", 30001),
    ] {
        assert!(switch.set_address("api_prod", server, address, port).await.is_err(), "{server} {address}");
    }
    assert_eq!(
        *seen.lock().expect("seen"),
        [
            "set server api_prod/blue1 addr 10.0.0.7 port 30001",
            "set server api_prod/blue2 addr fd00::7 port 30002",
            "set server api_prod/blue9 addr 10.0.0.7 port 30001",
        ]
    );
    task.abort();
}

#[tokio::test]
async fn absolute_weight_and_ready_only_once_checked() {
    let (_dir, client, seen, task) = recording_socket(|cmd| match cmd {
        "show servers state api_prod" => STATE,
        "show servers state nope" => "Can't find backend.\n\n",
        _ => "\n",
    })
    .await;
    let switch: &dyn TrafficSwitch = &client;
    switch.set_weight("api_prod", "blue1", 42).await.expect("weight");
    assert!(switch.set_weight("api_prod", "blue1", 257).await.is_err(), "over HAProxy's maximum");
    switch.ready_when_checked("api_prod", "blue1").await.expect("checked server");
    switch.ready_when_checked("api_prod", "n1").await.expect("unchecked server");
    let missing = switch.ready_when_checked("api_prod", "blue7").await.expect_err("no such server");
    assert!(missing.contains("no server blue7"), "{missing}");
    assert!(switch.ready_when_checked("nope", "blue1").await.is_err());
    assert_eq!(
        *seen.lock().expect("seen"),
        [
            "set weight api_prod/blue1 42",
            "show servers state api_prod",
            // Drain first: leaving maintenance for drain takes no new traffic, and `health down`
            // there sticks through `ready` (it would not through maint -> ready).
            "set server api_prod/blue1 state drain; set server api_prod/blue1 health down; \
             set server api_prod/blue1 state ready",
            "show servers state api_prod",
            // No check: marked down, nothing would bring it back up.
            "set server api_prod/n1 state ready",
            "show servers state api_prod",
            "show servers state nope",
        ]
    );
    task.abort();
}

#[tokio::test]
async fn a_refusal_inside_the_readying_line_is_an_error() {
    let (_dir, client, _seen, task) = recording_socket(|cmd| match cmd {
        "show servers state api_prod" => STATE,
        _ => "\n\nNo such server.\n\n",
    })
    .await;
    let result = client.ready_when_checked("api_prod", "blue1").await;
    assert!(
        matches!(&result, Err(BackendError::Protocol { reason, .. }) if reason.contains("No such server")),
        "{result:?}"
    );
    task.abort();
}
