//! HAProxy: servers, their admin states and weights over the runtime socket, and its refusals.

use crate::common::{bounded, COMPONENT_LIMIT};
use crate::support;
use opsdeck::stack::{self, free_port, Haproxy};
use opsdeck_backends::haproxy::HaproxyClient;
use opsdeck_backends::types::{AdminState, ServerStat};
use opsdeck_backends::BackendError;
use std::time::{Duration, Instant};

fn find<'a>(servers: &'a [ServerStat], name: &str) -> &'a ServerStat {
    servers
        .iter()
        .find(|s| s.backend == "be_app" && s.server == name)
        .unwrap_or_else(|| panic!("no be_app/{name} in {servers:?}"))
}

#[tokio::test]
async fn haproxy_servers_states_and_weights() {
    if !support::stack_available() {
        return;
    }
    bounded("haproxy", COMPONENT_LIMIT, async {
        let dir = tempfile::Builder::new().prefix("opsdeck-backends-haproxy-").tempdir().expect("tempdir");
        // blue: a server that answers every request 500; green: `disabled` in the config; red:
        // health-checked, on a port nothing listens on, so its checks take it DOWN.
        let blue_server = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let blue_port = blue_server.local_addr().expect("addr").port();
        let answer_500 = tokio::spawn(async move {
            while let Ok((mut stream, _)) = blue_server.accept().await {
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut request = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let reply = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                    let _ = stream.write_all(reply).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        let [front, green_port, red_port] = [(); 3].map(|()| free_port().expect("port"));
        let config = format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
             frontend fe_app\n    bind 127.0.0.1:{front}\n    default_backend be_app\n\n\
             backend be_app\n    balance roundrobin\n    \
             server blue 127.0.0.1:{blue_port} weight 100\n    \
             server green 127.0.0.1:{green_port} weight 100 disabled\n    \
             server red 127.0.0.1:{red_port} weight 100 check inter 200ms fall 2 rise 2\n    \
             server yellow 127.0.0.1:{blue_port} weight 100 check inter 60s fall 2 rise 1\n"
        );
        let haproxy = Haproxy::start(dir.path(), &config).await.expect("start haproxy");
        let client = HaproxyClient::new(&format!("unix://{}", haproxy.socket().display()), Duration::from_secs(3))
            .expect("haproxy client");

        let deadline = Instant::now() + Duration::from_secs(10);
        let servers = loop {
            let servers = client.servers().await.expect("servers");
            if find(&servers, "red").status.starts_with("DOWN") || Instant::now() >= deadline {
                break servers;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(servers.len(), 4, "servers only, no FRONTEND/BACKEND rows: {servers:?}");
        // A server back from maintenance is `UP 1/2`: one failed check from DOWN until its next
        // check (a minute away here). An action does not count it up; told it is healthy, it is.
        // (So is one not checked yet, as yellow may be: health starts at `rise`.)
        use opsdeck_backends::platform::TrafficSwitch;
        assert!(find(&servers, "yellow").status.starts_with("UP"), "{servers:?}");
        client.mark_up("be_app", "yellow").await.expect("health up");
        assert_eq!(find(&client.servers().await.expect("servers"), "yellow").status, "UP");
        client.set_state("be_app", "yellow", AdminState::Maint).await.expect("maint");
        client.set_state("be_app", "yellow", AdminState::Ready).await.expect("ready");
        let yellow = find(&client.servers().await.expect("servers"), "yellow").clone();
        assert!(yellow.status.starts_with("UP ") && yellow.takes_traffic(), "out of maint: {yellow:?}");
        assert!(!client.counters("be_app", "yellow").await.expect("counters").up, "one check from DOWN");
        client.mark_up("be_app", "yellow").await.expect("health up");
        assert_eq!(find(&client.servers().await.expect("servers"), "yellow").status, "UP");
        assert!(client.counters("be_app", "yellow").await.expect("counters").up);
        client.set_state("be_app", "yellow", AdminState::Maint).await.expect("out of the way");
        let (blue, green, red) = (find(&servers, "blue"), find(&servers, "green"), find(&servers, "red"));
        assert_eq!(blue.admin, AdminState::Ready, "{blue:?}");
        assert_eq!(blue.status, "no check", "{blue:?}");
        assert_eq!(blue.address, format!("127.0.0.1:{blue_port}"));
        assert_eq!(blue.weight, 100);
        assert!(blue.takes_traffic(), "{blue:?}");
        assert_eq!(green.admin, AdminState::Maint, "{green:?}");
        assert!(green.status.starts_with("MAINT"), "{green:?}");
        assert!(!green.takes_traffic());
        assert_eq!(green.address, format!("127.0.0.1:{green_port}"));
        assert!(red.status.starts_with("DOWN"), "red's checks fail: {red:?}");
        assert_eq!(red.admin, AdminState::Ready, "down is not an admin state: {red:?}");
        assert!(!red.takes_traffic(), "{red:?}");

        // Real traffic through the frontend: all of it to blue, which answers 500.
        let http = stack::loopback_client(Duration::from_secs(5)).expect("http client");
        for _ in 0..3 {
            let response = http.get(format!("http://127.0.0.1:{front}/")).send().await.expect("request via haproxy");
            assert_eq!(response.status().as_u16(), 500);
        }
        let servers = client.servers().await.expect("servers");
        let blue = find(&servers, "blue");
        assert_eq!((blue.total_sessions, blue.http_5xx, blue.current_sessions), (3, 3, 0), "{blue:?}");
        assert_eq!(blue.requests, 3, "req_tot, the base of the console's req/s: {blue:?}");
        assert_eq!(find(&servers, "red").total_sessions, 0);
        client.shutdown_sessions("be_app", "blue").await.expect("shutdown sessions");
        // Told it is healthy (as opsdeck does once it saw a slot answer), red is UP at once; its
        // own checks (fall 2, every 200 ms) need two failures to take it down again.
        client.mark_up("be_app", "red").await.expect("health up");
        let red = client.servers().await.expect("servers").into_iter().find(|s| s.server == "red").expect("red");
        assert!(red.status.starts_with("UP"), "health up is seen in the next read: {red:?}");

        // Every switch shows in the very next read.
        let steps = [
            ("blue", AdminState::Drain, AdminState::Drain, AdminState::Maint),
            ("green", AdminState::Ready, AdminState::Drain, AdminState::Ready),
            ("blue", AdminState::Maint, AdminState::Maint, AdminState::Ready),
            ("blue", AdminState::Ready, AdminState::Ready, AdminState::Ready),
            ("green", AdminState::Drain, AdminState::Ready, AdminState::Drain),
            ("green", AdminState::Maint, AdminState::Ready, AdminState::Maint),
            ("green", AdminState::Ready, AdminState::Ready, AdminState::Ready),
        ];
        for (server, to, want_blue, want_green) in steps {
            client.set_state("be_app", server, to).await.unwrap_or_else(|e| panic!("{server} -> {to:?}: {e}"));
            let servers = client.servers().await.expect("servers");
            let (blue, green) = (find(&servers, "blue"), find(&servers, "green"));
            assert_eq!((blue.admin, green.admin), (want_blue, want_green), "after {server} -> {to:?}: {servers:?}");
            for s in [blue, green] {
                assert_eq!(s.takes_traffic(), s.admin == AdminState::Ready, "{s:?}");
            }
        }

        client.set_weight("be_app", "blue", 42).await.expect("set weight");
        client.set_weight("be_app", "green", 0).await.expect("set weight 0");
        let servers = client.servers().await.expect("servers");
        assert_eq!(find(&servers, "blue").weight, 42, "{servers:?}");
        assert_eq!(find(&servers, "green").weight, 0, "{servers:?}");
        client.set_weight("be_app", "green", 256).await.expect("set the maximum weight");
        assert_eq!(find(&client.servers().await.expect("servers"), "green").weight, 256);
        let over = client.set_weight("be_app", "blue", 257).await;
        assert!(matches!(over, Err(BackendError::Other { .. })), "{over:?}");

        // Refusals: unknown backend, unknown server, unknown command.
        let unknown = client.set_state("be_nope", "blue", AdminState::Drain).await;
        assert!(
            matches!(&unknown, Err(BackendError::Protocol { reason, .. }) if reason.contains("No such backend")),
            "{unknown:?}"
        );
        let unknown = client.set_weight("be_app", "purple", 10).await;
        assert!(
            matches!(&unknown, Err(BackendError::Protocol { reason, .. }) if reason.contains("No such server")),
            "{unknown:?}"
        );
        let unknown = client.command("show no-such-thing").await;
        assert!(matches!(unknown, Err(BackendError::Protocol { .. })), "{unknown:?}");
        let bad_name = client.set_state("be_app", "blue; shutdown", AdminState::Drain).await;
        assert!(matches!(bad_name, Err(BackendError::Other { .. })), "{bad_name:?}");
        // Nothing of the above changed a server.
        let servers = client.servers().await.expect("servers");
        let admins: Vec<AdminState> = ["blue", "green", "red"].iter().map(|n| find(&servers, n).admin).collect();
        assert_eq!(admins, [AdminState::Ready; 3]);

        // A socket that is not there: a connect error at once, not a timeout.
        let missing = dir.path().join("no-such-dir/haproxy.sock");
        let nowhere =
            HaproxyClient::new(&format!("unix://{}", missing.display()), Duration::from_secs(5)).expect("client");
        let started = Instant::now();
        let result = nowhere.servers().await;
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        let reason = match &result {
            Err(BackendError::Connect { system: "haproxy", reason }) => reason.clone(),
            other => panic!("want a haproxy connect error, got {other:?}"),
        };
        assert!(reason.contains("no such socket"), "{reason}");

        // A burst of readers (several opsdeck processes at once) overflows the stats socket's
        // backlog: HAProxy accepts 10 at a time and the kernel refuses the rest with EAGAIN. Each
        // reader waits its turn within its deadline instead of calling HAProxy unreachable.
        let burst = futures::future::join_all((0..60).map(|_| client.servers())).await;
        let failed: Vec<String> = burst.iter().filter_map(|r| r.as_ref().err().map(|e| e.to_string())).collect();
        assert!(failed.is_empty(), "{} of 60 readers failed: {:?}", failed.len(), failed.first());

        haproxy.stop().await.expect("stop haproxy");
        answer_500.abort();
    })
    .await;
}
