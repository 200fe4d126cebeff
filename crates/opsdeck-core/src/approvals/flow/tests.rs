//! The approval flow on a temporary store and the fixture model (prod requires alice's or bob's
//! approval): who may approve, expiry, a request made stale by another change, rejection, and an
//! approved request running through the executor to `done`.

use super::*;
use crate::actions::ActionKind;
use crate::outside::{Alerts, HealthProbe, OpsResult, Outside, Platform, ServerCounters, SlotSpec, TrafficSwitch};
use crate::store::{Holder, RequestFilter};
use crate::testing::{gen_config, gen_container, gen_demo_world_all_up, gen_now, gen_plan};
use futures::stream::BoxStream;
use opsdeck_backends::alertmanager::NewSilence;
use opsdeck_backends::platform::{LogSession, SlotNews};
use opsdeck_backends::types::AdminState;
use opsdeck_backends::types::{Alert, ContainerDetail, ContainerInfo, HealthReport, ServerStat, Silence};
use opsdeck_backends::{BackendError, BackendResult};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    // A store's folder is its group's only: the store refuses a looser one.
    let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
    std::fs::set_permissions(dir.path(), private).expect("chmod");
    let store = Store::open(dir.path().join("state.db")).expect("store");
    (dir, store)
}

fn file_as(store: &mut Store, kind: ActionKind, by: &str) -> Request {
    let plan = gen_plan(kind, "api", "prod");
    let filed = file(store, &gen_config(), &plan, by, "release", gen_now()).expect("filed");
    assert_eq!(filed.deciders, if by == "alice" { vec!["bob"] } else { vec!["alice", "bob"] });
    filed.request
}

fn prepare_as(
    store: &mut Store,
    world: &World,
    by: &str,
    id: RequestId,
    now: DateTime<Utc>,
) -> Result<Prepared, String> {
    prepare(store, world, by, id, now, Timing::default(), None)
}

fn last_audit(store: &Store) -> (String, String, String) {
    let r = store.audit(None).expect("audit").pop().expect("a record");
    (r.entry.kind, r.entry.user, r.entry.outcome)
}

fn state(store: &Store, id: RequestId) -> RequestState {
    store.request(id).expect("read").expect("request").state
}

#[test]
fn nobody_approves_their_own_request() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    let e = prepare_as(&mut store, &gen_demo_world_all_up(), "alice", id, gen_now()).expect_err("own");
    assert!(e.contains("nobody approves their own request"), "{e}");
    assert_eq!(last_audit(&store), ("refusal".into(), "alice".into(), "refused".into()));
    assert_eq!(state(&store, id), RequestState::Pending, "bob can still approve it");
}

#[test]
fn a_non_approver_is_refused() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    let e = prepare_as(&mut store, &gen_demo_world_all_up(), "mallory", id, gen_now()).expect_err("not listed");
    assert!(e.contains("mallory is not an approver of prod"), "{e}");
    assert_eq!(last_audit(&store), ("refusal".into(), "mallory".into(), "refused".into()));
    assert_eq!(state(&store, id), RequestState::Pending);
    let e = prepare_as(&mut store, &gen_demo_world_all_up(), "bob", RequestId(99), gen_now()).expect_err("unknown");
    assert_eq!(e, "no request 99");
}

#[test]
fn an_expired_request_is_refused_and_marked() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    let later = gen_now() + chrono::Duration::hours(2);
    let e = prepare_as(&mut store, &gen_demo_world_all_up(), "bob", id, later).expect_err("expired");
    assert!(e.contains("expired at"), "{e}");
    assert_eq!(state(&store, id), RequestState::Expired);
    let kinds: Vec<String> = store.audit(None).expect("audit").into_iter().map(|r| r.entry.kind).collect();
    assert_eq!(kinds, ["request", "expiry", "refusal"]);
}

#[test]
fn a_request_made_stale_by_another_change_is_refused_for_good() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Rollback, "alice").id;
    // Meanwhile prod's live slot was given v1.3.0 by someone else.
    let mut world = gen_demo_world_all_up();
    for (hid, host) in world.hosts.iter_mut().filter(|(h, _)| h.env == "prod") {
        let c = gen_container(&hid.env, "api", "blue", "v1.3.0", true);
        host.insert(c);
    }
    let e = prepare_as(&mut store, &world, "bob", id, gen_now()).expect_err("stale");
    assert!(e.contains("someone else changed prod meanwhile"), "{e}");
    assert!(e.contains("now runs v1.3.0") && e.contains("request 1 is refused"), "{e}");
    let request = store.request(id).expect("read").expect("request");
    assert_eq!((request.state, request.decided_by.as_deref()), (RequestState::Refused, Some("bob")));
    assert_eq!(last_audit(&store), ("refusal".into(), "bob".into(), "refused".into()));
    // It cannot be approved after that, even on an unchanged environment.
    let e = prepare_as(&mut store, &gen_demo_world_all_up(), "bob", id, gen_now()).expect_err("refused");
    assert!(e.contains("no longer pending: refused by bob"), "{e}");
}

#[test]
fn a_request_that_cannot_be_planned_now_stays_pending() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    // prod-2 is down in this model: no partial switch, and no verdict on the request either.
    let e = prepare_as(&mut store, &crate::testing::gen_demo_world(), "bob", id, gen_now()).expect_err("down");
    assert!(e.contains("cannot plan request 1 now") && e.contains("unreachable"), "{e}");
    assert_eq!(state(&store, id), RequestState::Pending);
}

#[test]
fn a_rejection_needs_a_reason() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    let e = reject(&mut store, &gen_config(), id, "bob", "   ", gen_now()).expect_err("no reason");
    assert_eq!(e, "a rejection needs a reason");
    assert_eq!(state(&store, id), RequestState::Pending);
    let r = reject(&mut store, &gen_config(), id, "bob", "freeze until Monday", gen_now()).expect("rejected");
    assert_eq!(r.state, RequestState::Rejected);
    assert_eq!(r.decision_reason.as_deref(), Some("freeze until Monday"));
    assert_eq!(last_audit(&store), ("rejection".into(), "bob".into(), "rejected".into()));
    let e = prepare_as(&mut store, &gen_demo_world_all_up(), "bob", id, gen_now()).expect_err("rejected");
    assert!(e.contains("no longer pending: rejected by bob"), "{e}");
}

#[test]
fn an_approval_is_recorded_once() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    let ready = prepare_as(&mut store, &gen_demo_world_all_up(), "bob", id, gen_now()).expect("ready");
    assert_eq!(ready.plan.to.tag, "v1.3.0");
    let approved = approve(&mut store, &gen_config(), &ready.request, "bob", gen_now()).expect("approved");
    assert_eq!(approved.state, RequestState::Approved);
    let e = approve(&mut store, &gen_config(), &ready.request, "bob", gen_now()).expect_err("twice");
    assert!(e.contains("no longer pending: approved by bob"), "{e}");
    assert!(store.requests(&RequestFilter::pending()).expect("list").is_empty());
}

/// Outside systems where everything works at once.
#[derive(Debug)]
struct Smooth;

#[async_trait::async_trait]
impl Platform for Smooth {
    fn probe_address(&self, _: &str) -> OpsResult<String> {
        Ok("127.0.0.1".into())
    }
    async fn has_image(&self, _: &str, _: &str) -> OpsResult<bool> {
        Ok(true)
    }
    async fn pull(&self, _: &str, _: &str) -> OpsResult<()> {
        Ok(())
    }
    async fn slot_digest(&self, _: &str, _: &str) -> OpsResult<Option<String>> {
        Ok(None)
    }
    async fn is_running(&self, _: &str, _: &str) -> OpsResult<bool> {
        Ok(true)
    }
    async fn recreate(&self, _: &SlotSpec) -> OpsResult<()> {
        Ok(())
    }
    async fn start(&self, _: &str, _: &str) -> OpsResult<()> {
        Ok(())
    }
    async fn stop(&self, _: &str, _: &str, _: Duration) -> OpsResult<()> {
        Ok(())
    }
    async fn remove(&self, _: &str, _: &str) -> OpsResult<()> {
        Ok(())
    }
    async fn verdict(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    async fn list_slots(&self, _: &str) -> BackendResult<Vec<ContainerInfo>> {
        Ok(Vec::new())
    }
    fn follow(&self, _: &str, _: Duration) -> BoxStream<'static, SlotNews> {
        Box::pin(futures::stream::empty())
    }
    async fn inspect(&self, _: &str, slot: &str) -> BackendResult<ContainerDetail> {
        Err(BackendError::Other { system: "smooth", reason: format!("no detail of {slot}") })
    }
    async fn log_session(&self, _: &str) -> BackendResult<Box<dyn LogSession>> {
        Err(BackendError::Other { system: "smooth", reason: "no logs".into() })
    }
}

#[async_trait::async_trait]
impl TrafficSwitch for Smooth {
    async fn set_server(&self, _: &str, _: &str, _: AdminState) -> OpsResult<()> {
        Ok(())
    }
    async fn counters(&self, _: &str, _: &str) -> OpsResult<ServerCounters> {
        Ok(ServerCounters { up: true, ..ServerCounters::default() })
    }
    async fn shutdown_sessions(&self, _: &str, _: &str) -> OpsResult<()> {
        Ok(())
    }
    async fn servers(&self) -> BackendResult<Vec<ServerStat>> {
        Ok(Vec::new())
    }
}

#[async_trait::async_trait]
impl crate::outside::Images for Smooth {
    // Every image is known: the registry's answer is not what these tests are about.
    async fn digest_of(&self, _repo: &str, reference: &str) -> BackendResult<String> {
        Ok(reference.to_string())
    }
}

#[async_trait::async_trait]
impl HealthProbe for Smooth {
    async fn probe(&self, _: &str) -> HealthReport {
        crate::testing::gen_report(true, 5)
    }
}

#[async_trait::async_trait]
impl Alerts for Smooth {
    async fn alerts(&self) -> BackendResult<Vec<Alert>> {
        Ok(Vec::new())
    }
    async fn silences(&self) -> BackendResult<Vec<Silence>> {
        Ok(Vec::new())
    }
    async fn create_silence(&self, _: &NewSilence) -> BackendResult<String> {
        Ok("s-1".into())
    }
    async fn expire_silence(&self, _: &str) -> BackendResult<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_approved_request_runs_in_the_approvers_name_and_ends_done() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    let world = gen_demo_world_all_up();
    let (now, fallback) = (gen_now(), Timing::default());
    let ready = prepare(&mut store, &world, "bob", id, now, fallback, Some(Duration::ZERO)).expect("ready");
    assert!(!ready.plan.steps.contains(&crate::actions::Step::Watch), "the approver's --watch 0s");
    let approved = approve(&mut store, &gen_config(), &ready.request, "bob", gen_now()).expect("approved");
    let (events, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let exec = Executor {
        ops: Arc::new(Outside::faked(gen_config(), Arc::new(Smooth))),
        store: Arc::new(Mutex::new(store)),
        events,
        holder: Holder::this_process("bob"),
    };
    let (report, ended) = run(&exec, &approved, ready.plan, CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let ended = ended.expect("ended");
    assert_eq!((ended.state, ended.action_id.map(|a| a.0)), (RequestState::Done, report.id));
    assert!(matches!(seen.recv().await, Some(ActionEvent::Started { .. })), "events reach the caller");
    let store = exec.store.lock().expect("store");
    // The journal's own records (kind `journal`) aside: what people did.
    let trail: Vec<(String, String, String)> = store
        .audit(None)
        .expect("audit")
        .into_iter()
        .filter(|r| r.entry.kind != crate::store::journal_chain::KIND)
        .map(|r| (r.entry.kind, r.entry.user, r.entry.outcome))
        .collect();
    let t = |k: &str, u: &str, o: &str| (k.to_string(), u.to_string(), o.to_string());
    assert_eq!(
        trail,
        vec![
            t("request", "alice", "pending"),
            t("approval", "bob", "approved"),
            t("action", "bob", "succeeded"),
            t("request", "bob", "done"),
        ]
    );
}

#[tokio::test]
async fn a_request_whose_approver_died_mid_action_ends_with_the_recovery() {
    let (_dir, mut store) = store();
    let id = file_as(&mut store, ActionKind::Promote, "alice").id;
    let world = gen_demo_world_all_up();
    let ready = prepare_as(&mut store, &world, "bob", id, gen_now()).expect("ready");
    let approved = approve(&mut store, &gen_config(), &ready.request, "bob", gen_now()).expect("approved");
    // bob's opsdeck journaled the action and linked the request, then died before any step.
    let plan = ready.plan;
    let record = crate::store::ActionRecord {
        kind: plan.kind.as_str().into(),
        service: plan.service.clone(),
        env: plan.env.clone(),
        from: None,
        to: crate::store::ImageRef { tag: plan.to.tag.clone(), digest: plan.to.digest.clone() },
        hosts: plan.hosts.clone(),
        user: "bob".into(),
        started_at: gen_now(),
        plan: serde_json::to_value(&plan).expect("plan json"),
    };
    let action = store.journal_begin(&record).expect("journaled");
    assert!(store.attach_action(approved.id, action).expect("attach"));
    let (events, _seen) = tokio::sync::mpsc::unbounded_channel();
    let exec = Executor {
        ops: Arc::new(Outside::faked(gen_config(), Arc::new(Smooth))),
        store: Arc::new(Mutex::new(store)),
        events,
        holder: Holder::this_process("carol"),
    };
    let lines = crate::actions::recover::recover(&exec, &gen_config()).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    let store = exec.store.lock().expect("store");
    let request = store.request(approved.id).expect("read").expect("request");
    assert_eq!(request.state, RequestState::Failed, "undone before the switch: the request did not do its job");
    assert!(request.decision_reason.as_deref().is_some_and(|r| r.contains("recovered")), "{request:?}");
    let last = store.audit(None).expect("audit").pop().expect("record");
    assert_eq!(
        (last.entry.kind.as_str(), last.entry.user.as_str(), last.entry.outcome.as_str()),
        ("request", "carol", "failed")
    );
}

#[test]
fn the_webhooks_hear_of_a_request_and_its_decision() {
    let (_dir, mut store) = store();
    let mut config = (*gen_config()).clone();
    let (url, events) = ("http://127.0.0.1:9/hook".to_string(), crate::config::NotifyEvent::all());
    config.notify = vec![crate::config::NotifyConfig { url, format: crate::config::NotifyFormat::Json, events }];
    let plan = gen_plan(ActionKind::Promote, "api", "prod");
    let filed = file(&mut store, &config, &plan, "carol", "notify-flow-test", gen_now()).expect("filed");
    reject(&mut store, &config, filed.request.id, "bob", "notify-flow-test: freeze", gen_now()).expect("rejected");
    let sent = crate::notify::SENT.lock().expect("sent").clone();
    let ours: Vec<_> = sent.iter().filter(|n| n.reason.starts_with("notify-flow-test")).collect();
    let seen: Vec<_> = ours.iter().map(|n| (n.event, n.user.as_str(), n.outcome.as_deref())).collect();
    use crate::config::NotifyEvent::{ApprovalDecided, ApprovalRequested};
    assert_eq!(seen, [(ApprovalRequested, "carol", Some("pending")), (ApprovalDecided, "bob", Some("rejected"))]);
}
