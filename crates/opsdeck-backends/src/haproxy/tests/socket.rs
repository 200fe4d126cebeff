//! The client against a fake stats socket: addresses, refusals, timeouts, the merged server list.

use super::SHOW_STAT;
use crate::error::BackendError;
use crate::haproxy::{server_ref, HaproxyClient};
use crate::types::AdminState;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn addresses_and_names_are_checked() {
    assert!(HaproxyClient::new("unix:///run/haproxy.sock", Duration::from_secs(1)).is_ok());
    assert!(HaproxyClient::new("tcp://127.0.0.1:9999", Duration::from_secs(1)).is_ok());
    for bad in ["/run/haproxy.sock", "tcp://127.0.0.1", "unix://", "http://x:1"] {
        assert!(HaproxyClient::new(bad, Duration::from_secs(1)).is_err(), "{bad}");
    }
    assert!(server_ref("api_prod", "api-prod-blue").is_ok());
    assert!(server_ref("api", "x; shutdown sessions server api/y").is_err());
    assert!(server_ref("api", "").is_err());
}

/// A fake stats socket on a unix path: answers each command line with `answer(line)`.
async fn fake_socket(
    answer: fn(&str) -> &'static str,
    delay: Duration,
) -> (tempfile::TempDir, HaproxyClient, tokio::task::JoinHandle<()>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("admin.sock");
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut line = Vec::new();
                let mut byte = [0u8; 1];
                while stream.read(&mut byte).await.unwrap_or(0) == 1 && byte[0] != b'\n' {
                    line.push(byte[0]);
                }
                tokio::time::sleep(delay).await;
                let _ = stream.write_all(answer(&String::from_utf8_lossy(&line)).as_bytes()).await;
            });
        }
    });
    let client = HaproxyClient::new(&format!("unix://{}", path.display()), Duration::from_millis(500)).expect("client");
    (dir, client, task)
}

#[tokio::test]
async fn refusals_become_protocol_errors() {
    let (_dir, client, task) = fake_socket(
        |cmd| match cmd {
            "bogus" => "Unknown command, but maybe one of the following ones is a better match:\n  help [<command>]  : list matching or all commands\n\n",
            "show servers state nope" => "Can't find backend.\n\n",
            "set weight api_prod/api-prod-blue 5" => "\n",
            _ => "No such server.\n\n",
        },
        Duration::ZERO,
    )
    .await;
    let result = client.set_state("api_prod", "nope", AdminState::Drain).await;
    assert_eq!(
        result,
        Err(BackendError::Protocol {
            system: "haproxy",
            reason: "set server api_prod/nope state drain: No such server.".into()
        })
    );
    assert!(matches!(client.command("show servers state nope").await, Err(BackendError::Protocol { .. })));
    let result = client.command("bogus").await;
    assert!(
        matches!(&result, Err(BackendError::Protocol { reason, .. }) if reason.starts_with("bogus: Unknown command")),
        "{result:?}"
    );
    client.set_weight("api_prod", "api-prod-blue", 5).await.expect("empty answer is success");
    assert!(client.command("show info\nshutdown sessions server a/b").await.is_err(), "one command per call");
    task.abort();
}

#[tokio::test]
async fn slow_socket_times_out_and_missing_socket_is_a_connect_error() {
    let (dir, client, task) = fake_socket(|_| "\n", Duration::from_secs(30)).await;
    assert_eq!(
        client.set_weight("be", "s1", 5).await,
        Err(BackendError::Timeout { system: "haproxy", after: Duration::from_millis(500) })
    );
    assert!(client.set_weight("be", "s1", 257).await.is_err(), "over 256 is refused before sending");
    task.abort();
    let missing = HaproxyClient::new(&format!("unix://{}/none.sock", dir.path().display()), Duration::from_secs(1))
        .expect("client");
    let result = missing.command("show info").await;
    assert!(
        matches!(&result, Err(BackendError::Connect { reason, .. }) if reason.starts_with("no such socket")),
        "{result:?}"
    );
}

#[tokio::test]
async fn servers_take_admin_state_from_servers_state() {
    // blue: maint by bits although `show stat` says UP; spare: the recorded `disabled` then
    // `set ... state ready` case (bits 4) is ready although `show stat` still says MAINT.
    let (_dir, client, task) = fake_socket(
        |cmd| match cmd {
            "show stat -1 4 -1" => SHOW_STAT,
            "show servers state" => {
                "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n\
                3 api_prod 1 api-prod-blue 127.0.0.1 2 1 100\n3 api_prod 3 api-prod-spare 127.0.0.1 2 4 1\n\n"
            }
            _ => "Unknown command\n",
        },
        Duration::ZERO,
    )
    .await;
    let servers = client.servers().await.expect("servers");
    let admin: Vec<(&str, AdminState)> = servers.iter().map(|s| (s.server.as_str(), s.admin)).collect();
    assert_eq!(
        admin,
        [
            ("api-prod-blue", AdminState::Maint),
            ("api-prod-green", AdminState::Drain),
            ("api-prod-spare", AdminState::Ready),
            ("w1", AdminState::Ready),
        ]
    );
    task.abort();
}
