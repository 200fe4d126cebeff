//! a. The console's flow on a real Alertmanager: `s` on a firing alert, a comment, Enter -> the
//! silence is created (audited), listed active and the alert suppressed; `S`, `x`, `y` -> expired.

use crate::common::{alert_state, silence_until, CALL};
use crate::support;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::model::{Model, Pane};
use opsdeck::msg::{Cmd, Msg};
use opsdeck::stack::Alertmanager;
use opsdeck::update::update;
use opsdeck_backends::alertmanager::{AlertmanagerClient, NewAlert};
use opsdeck_core::actions::Executor;
use opsdeck_core::config::Config;
use opsdeck_core::outside::Outside;
use opsdeck_core::store::{Holder, Store};
use opsdeck_core::world::Fact;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// A config with no environments but this Alertmanager, its store in `dir`.
fn config_for(am_url: &str, dir: &std::path::Path) -> Arc<Config> {
    let text = format!(
        "state_path = \"{}\"\n[registry]\nurl = \"http://127.0.0.1:5000\"\n[alertmanager]\nurl = \"{am_url}\"\n\
         [[environments]]\nname = \"prod\"\nhaproxy = \"unix:///nonexistent/h.sock\"\nhosts = [{{ name = \"prod-1\", url = \"unix:///nonexistent/docker.sock\" }}]\n\
         [[services]]\nname = \"api\"\ncontainer_port = 8080\n\
         [services.environments.prod]\nbackend = \"api_prod\"\nurl = \"http://127.0.0.1:1\"\n",
        dir.join("state.db").display()
    );
    Arc::new(opsdeck_core::config::parse_str(&text).unwrap_or_else(|e| panic!("config: {e:?}")))
}

#[tokio::test]
async fn the_console_silences_an_alert_lists_it_and_expires_it() {
    if !support::stack_available() {
        return;
    }
    let dir = support::private_tempdir();
    let am = Alertmanager::start(dir.path()).await.expect("start alertmanager");
    let client = AlertmanagerClient::new(&am.url(), CALL).expect("client");
    let config = config_for(&am.url(), dir.path());
    let alert = NewAlert {
        labels: BTreeMap::from(
            [("alertname", "HighErrorRate"), ("service", "api"), ("env", "prod"), ("severity", "critical")]
                .map(|(k, v)| (k.to_string(), v.to_string())),
        ),
        starts_at: Some(chrono::Utc::now()),
        ends_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..NewAlert::default()
    };
    client.post_alerts(&[alert]).await.expect("post alert");
    assert_eq!(alert_state(&client, "HighErrorRate", "active").await, "active");

    let exec = Executor {
        ops: Arc::new(Outside::new(config.clone()).expect("ops")),
        store: Arc::new(Mutex::new(Store::open(&config.state_path).expect("store"))),
        events: tokio::sync::mpsc::unbounded_channel().0,
        holder: Holder::this_process("alice"),
    };
    let mut model = Model::new(config.clone(), "alice".into(), chrono::Utc::now());
    update(&mut model, Msg::Fact(Fact::Alerts(Ok(client.alerts().await.expect("alerts")))));
    model.ui.focus = Pane::Alerts;

    // s, the comment, Enter.
    update(&mut model, key(KeyCode::Char('s')));
    assert!(model.ui.silence_form().is_some(), "{:?}", model.ui.notice);
    update(&mut model, key(KeyCode::Tab));
    update(&mut model, key(KeyCode::Backspace));
    update(&mut model, key(KeyCode::Backspace));
    for c in "20m".chars() {
        update(&mut model, key(KeyCode::Char(c)));
    }
    update(&mut model, key(KeyCode::Tab));
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty(), "no comment, no silence");
    for c in "rolling api back".chars() {
        update(&mut model, key(KeyCode::Char(c)));
    }
    let cmds = update(&mut model, key(KeyCode::Enter));
    let [Cmd::CreateSilence(new)] = cmds.as_slice() else { panic!("{cmds:?}") };
    let id = opsdeck_core::actions::silences::create(&exec, new).await.expect("create silence");

    // Listed (through the collector's fetch, as the console polls it), active; the alert is
    // suppressed.
    let listed = opsdeck_core::watch::fetch_silences(&config).await.expect("alertmanager configured");
    update(&mut model, Msg::Fact(listed));
    let rows = model.world.silences.rows(20);
    let got = rows.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("{id} not in {rows:?}"));
    assert_eq!(
        (got.state.as_str(), got.created_by.as_str(), got.comment.as_str()),
        ("active", "alice", "rolling api back")
    );
    let names: Vec<&str> = got.matchers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["alertname", "env", "service", "severity"]);
    let minutes = (got.ends_at - got.starts_at).num_minutes();
    assert!((19..=20).contains(&minutes), "{minutes}");
    assert_eq!(alert_state(&client, "HighErrorRate", "suppressed").await, "suppressed");

    // S, x, y: expired.
    update(&mut model, key(KeyCode::Char('S')));
    update(&mut model, key(KeyCode::Char('x')));
    let cmds = update(&mut model, key(KeyCode::Char('y')));
    assert_eq!(cmds, vec![Cmd::ExpireSilence(id.clone())]);
    opsdeck_core::actions::silences::expire(&exec, &id, "alertname=HighErrorRate").await.expect("expire");
    let got = silence_until(&client, &id, |s| s.state == "expired").await;
    assert_eq!(got.state, "expired");
    assert_eq!(alert_state(&client, "HighErrorRate", "active").await, "active");

    // Both are in the audit trail, with who and what.
    let records = exec.store.lock().expect("store").audit(None).expect("audit");
    let silences: Vec<_> = records.iter().filter(|r| r.entry.kind == "silence").collect();
    let outcomes: Vec<&str> = silences.iter().map(|r| r.entry.outcome.as_str()).collect();
    assert_eq!(outcomes, ["created", "expired"]);
    assert!(silences.iter().all(|r| r.entry.user == "alice"));
    assert_eq!(silences[0].entry.detail["id"], id.as_str());
    assert_eq!(silences[0].entry.detail["comment"], "rolling api back");
    am.stop().await.expect("stop alertmanager");
}
