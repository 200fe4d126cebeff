//! `opsdeck prune` on the real demo stack (the CNCF registry with deletes enabled, the Docker
//! engine, the state store): with `keep_images = 1`, only the image that no slot uses and that is
//! past the newest goes; a dry run and an unconfirmed run delete nothing; the deletion reaches
//! the registry, is audited, and the locks are let go; the console's `P` in the Images pane does
//! the same for web; a host that does not answer refuses the service.

mod support;

use std::time::Duration;
use support::pty::Console;
use support::{stack_available, with_extra_host, Demo};

/// `status --json`'s api image tags, one list per image.
fn api_images(demo: &Demo) -> Vec<Vec<String>> {
    let v = demo.status_json();
    let images = v["images"]["api"].as_array().cloned().unwrap_or_else(|| panic!("{v}"));
    images
        .iter()
        .map(|im| im["tags"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .collect()
}

fn has_tag(images: &[Vec<String>], tag: &str) -> bool {
    images.iter().any(|tags| tags.iter().any(|t| t == tag))
}

#[test]
fn prune_deletes_only_what_nothing_needs() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let config = demo.config();
    let text = std::fs::read_to_string(&config).expect("config");
    assert!(text.contains("name = \"api\"\n"), "{text}");
    assert!(text.contains("name = \"web\"\n"), "{text}");
    let kept_one = text.replacen("name = \"api\"\n", "name = \"api\"\nkeep_images = 1\n", 1).replacen(
        "name = \"web\"\n",
        "name = \"web\"\nkeep_images = 1\n",
        1,
    );
    std::fs::write(&config, &kept_one).expect("config");
    let before = api_images(&demo);
    assert!(has_tag(&before, "v1.0.0") && has_tag(&before, "v1.1.0"), "{before:?}");

    // The dry run: v1.3.0 is the newest (and live in dev and staging), v1.2.0 live in prod,
    // v1.1.0 idle there: only v1.0.0 goes.
    let (st, out, err) = demo.opsdeck(&["prune", "--dry-run", "--json", "api"]);
    assert!(st.success(), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("prune json");
    let plan = &v["plans"][0];
    assert_eq!(plan["service"], "api");
    assert!(plan["refused"].is_null(), "{out}");
    let tags: Vec<&str> =
        plan["images"].as_array().expect("images").iter().filter_map(|im| im["tags"][0].as_str()).collect();
    assert_eq!(tags, ["v1.0.0"], "{out}");
    assert_eq!(v["pruned"], serde_json::json!([]));

    // Not a terminal and no --yes: nothing deleted.
    let (st, _, err) = demo.opsdeck(&["prune", "api"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("pass --yes"), "{err}");
    assert!(has_tag(&api_images(&demo), "v1.0.0"));

    // For real.
    let (st, out, err) = demo.opsdeck(&["prune", "--yes", "api"]);
    assert!(st.success(), "{out}{err}");
    assert!(out.contains("api: 1 image to delete") && out.contains("deleted api sha256:"), "{out}");
    let after = api_images(&demo);
    assert!(!has_tag(&after, "v1.0.0"), "{after:?}");
    for kept in ["v1.1.0", "v1.2.0", "v1.3.0"] {
        assert!(has_tag(&after, kept), "{kept} went: {after:?}");
    }
    let (st, out, err) = demo.opsdeck(&["audit", "export"]);
    assert!(st.success(), "{err}");
    let record = out.lines().find(|l| l.contains("\"kind\":\"prune\"")).unwrap_or_else(|| panic!("{out}"));
    assert!(record.contains("\"v1.0.0\"") && record.contains("\"outcome\":\"succeeded\""), "{record}");
    let (st, _, err) = demo.opsdeck(&["audit", "verify"]);
    assert!(st.success(), "{err}");

    // In the console: web's row, the Images pane, P shows what will go, y deletes it.
    let cfg = config.to_str().expect("utf-8 path").to_string();
    let mut console = Console::spawn(&["--config", &cfg], 120, 40);
    console.wait_text("healthy", Duration::from_secs(20));
    console.send("j\t");
    console.wait_text("Images · web", Duration::from_secs(5));
    // "prunable", cut to "prune" at this width.
    console.wait_text("prune", Duration::from_secs(10));
    console.send("P");
    console.wait_for("the prune overlay", Duration::from_secs(5), |s| {
        s.contains("Prune web") && s.contains("Delete 1 image of web") && s.contains("v1.0.0")
    });
    console.send("y");
    console.wait_text("✓ deleted web", Duration::from_secs(30));
    console.wait_text("web: pruned 1 image", Duration::from_secs(5));
    console.send("\x1b");
    // The Images pane is read again at once: web's v1.0.0 is gone from it.
    console.wait_for("v1.0.0 gone from the Images pane", Duration::from_secs(10), |s| {
        !s.contains("Prune web") && !s.contains("v1.0.0")
    });
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(10)).is_some_and(|s| s.success()), "opsdeck did not quit");

    // Again: nothing left to prune, and the locks of the last runs were let go (it takes them).
    let (st, out, err) = demo.opsdeck(&["prune", "--yes"]);
    assert!(st.success(), "{out}{err}");
    assert!(out.contains("api: nothing to prune") && out.contains("web: nothing to prune"), "{out}");
    let (_, out, _) = demo.opsdeck(&["audit", "export"]);
    assert_eq!(out.lines().filter(|l| l.contains("\"kind\":\"prune\"")).count(), 2, "{out}");

    // A prod host whose engine refuses: it may run any image, so api is not pruned.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let with_dead_host = with_extra_host(
        &kept_one.replacen("keep_images = 1", "keep_images = 0", 1),
        "prod",
        "prod-9",
        &format!("tcp://127.0.0.1:{port}"),
    );
    std::fs::write(&config, with_dead_host).expect("config");
    let (st, out, err) = demo.opsdeck(&["prune", "--yes", "api"]);
    assert_eq!(st.code(), Some(3), "{out}{err}");
    assert!(out.contains("api: not pruned: host prod-9 (prod) did not answer"), "{out}");
    assert!(has_tag(&api_images(&demo), "v1.1.0"));
}
