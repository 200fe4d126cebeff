//! Fixtures for unit and snapshot tests: a three-environment config and a model filled as the
//! demo stack fills it, at a fixed time, with no Docker daemon or network.

use crate::actions::{ActionKind, ActionPlan, Step, Target, Timing};
use crate::config::Config;
use crate::model::actions::{Confirm, RequestDraft};
use crate::model::{HealthEntry, Model, Reach, SlotId};
use crate::store::{
    ActionFinish, ActionId, ActionOutcome, ActionRecord, AuditEntry, AuditRecord, Holder, ImageRef, JournalEntry,
    LockId, LockInfo, Request, RequestId, RequestState, StepPhase, StepRecord,
};
use chrono::{DateTime, TimeZone, Utc};
use opsdeck_backends::types::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub const CONFIG: &str = r#"
state_path = "state.db"
[registry]
url = "http://127.0.0.1:5000"
[alertmanager]
url = "http://127.0.0.1:9093"

[[environments]]
name = "dev"
haproxy = "unix:///tmp/demo/haproxy.sock"
hosts = [{ name = "dev-1", url = "unix:///var/run/docker.sock" }]

[[environments]]
name = "staging"
haproxy = "unix:///tmp/demo/haproxy.sock"
hosts = [{ name = "staging-1", url = "unix:///var/run/docker.sock" }]

[[environments]]
name = "prod"
haproxy = "unix:///tmp/demo/haproxy.sock"
approval = "required"
approvers = ["alice", "bob"]
hosts = [
  { name = "prod-1", url = "unix:///var/run/docker.sock" },
  { name = "prod-2", url = "tcp://10.9.9.9:2375", address = "127.0.0.1" },
]

[[services]]
name = "api"
container_port = 8080
[services.environments.dev]
backend = "api_dev"
url = "http://127.0.0.1:18001"
[services.environments.staging]
backend = "api_staging"
url = "http://127.0.0.1:18002"
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:18003"

[[services]]
name = "web"
container_port = 8080
[services.environments.dev]
backend = "web_dev"
url = "http://127.0.0.1:18004"
[services.environments.staging]
backend = "web_staging"
url = "http://127.0.0.1:18005"
[services.environments.prod]
backend = "web_prod"
url = "http://127.0.0.1:18006"
"#;

/// 2026-11-23 03:12:00 UTC: the page in the design's story.
pub fn gen_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 12, 0).single().unwrap_or_default()
}

pub fn gen_config() -> Arc<Config> {
    Arc::new(crate::config::parse_str(CONFIG).expect("fixture config parses"))
}

/// An empty model: every system pending.
pub fn gen_model() -> Model {
    Model::new(gen_config(), "alice".into(), gen_now())
}

pub fn gen_digest(version: &str) -> String {
    let seed: u32 = version.bytes().map(u32::from).sum();
    format!("sha256:{:08x}{}", seed.wrapping_mul(2_654_435_761), "ab12".repeat(14))
}

/// A slot container as Docker would list it.
pub fn gen_container(env: &str, service: &str, slot: &str, version: &str, running: bool) -> ContainerInfo {
    let reference = format!("127.0.0.1:5000/{service}:{version}");
    let labels: BTreeMap<String, String> = [
        (labels::SERVICE, service.to_string()),
        (labels::ENV, env.to_string()),
        (labels::SLOT, slot.to_string()),
        (labels::IMAGE, reference.clone()),
        (labels::DIGEST, gen_digest(version)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let port = 20000 + (env.len() * 100 + service.len() * 10 + slot.len()) as u16;
    ContainerInfo {
        id: format!("{service}-{env}-{slot}-id"),
        name: format!("{service}-{env}-{slot}"),
        labels,
        image: reference,
        state: if running { "running" } else { "exited" }.into(),
        status: if running { "Up 2 hours (healthy)" } else { "Exited (0) 2 hours ago" }.into(),
        health: if running { DockerHealth::Healthy } else { DockerHealth::None },
        ports: [(8080, port)].into(),
        created: Some(gen_now() - chrono::Duration::hours(2)),
    }
}

fn gen_server(backend: &str, server: &str, live: bool) -> ServerStat {
    ServerStat {
        backend: backend.into(),
        server: server.into(),
        status: if live { "UP" } else { "MAINT" }.into(),
        admin: if live { AdminState::Ready } else { AdminState::Maint },
        current_sessions: if live { 3 } else { 0 },
        total_sessions: if live { 1200 } else { 0 },
        weight: 1,
        http_5xx: if live { 2 } else { 0 },
        requests: if live { 1180 } else { 0 },
        address: "127.0.0.1:20001".into(),
    }
}

fn gen_report(healthy: bool, latency_ms: u64) -> HealthReport {
    HealthReport {
        verdict: if healthy { HealthVerdict::Healthy } else { HealthVerdict::Unhealthy },
        reason: if healthy { String::new() } else { "HTTP 503: {\"status\":\"unhealthy\"}".into() },
        http_status: Some(if healthy { 200 } else { 503 }),
        latency: Duration::from_millis(latency_ms),
        status_field: Some(if healthy { "healthy" } else { "unhealthy" }.into()),
        services: [("database".to_string(), "connected".to_string()), ("redis".to_string(), "connected".to_string())]
            .into(),
        uptime_secs: Some(7200),
    }
}

/// The demo stack as the console sees it: dev and staging on v1.3.0, prod on v1.2.0 with one
/// prod host unreachable, four releases in the registry, one alert firing.
pub fn gen_demo_model() -> Model {
    let mut m = gen_model();
    let now = m.now;
    let releases = [
        ("dev", "v1.3.0", "v1.2.0", "blue"),
        ("staging", "v1.3.0", "v1.2.0", "green"),
        ("prod", "v1.2.0", "v1.1.0", "blue"),
    ];
    for (env, live_v, idle_v, live_slot) in releases {
        let idle_slot = crate::model::views::other_slot(live_slot);
        for (id, host) in m.hosts.iter_mut().filter(|(id, _)| id.env == env) {
            if id.host == "prod-2" {
                host.reach = Reach::Down {
                    reason: "docker: no answer within 3s".into(),
                    since: now - chrono::Duration::seconds(42),
                };
                continue;
            }
            host.reach = Reach::Up { at: now };
            for service in ["api", "web"] {
                for c in [
                    gen_container(env, service, live_slot, live_v, true),
                    gen_container(env, service, idle_slot, idle_v, false),
                ] {
                    host.containers.insert(c.id.clone(), c);
                }
            }
        }
        let lb = m.lbs.entry(env.to_string()).or_default();
        lb.reach = Reach::Up { at: now };
        for service in ["api", "web"] {
            let backend = format!("{service}_{env}");
            lb.servers.push(gen_server(&backend, live_slot, true));
            lb.servers.push(gen_server(&backend, idle_slot, false));
            let slot =
                SlotId { env: env.into(), service: service.into(), slot: live_slot.into(), host: format!("{env}-1") };
            let healthy = !(env == "staging" && service == "web");
            m.health.insert(
                slot,
                HealthEntry {
                    report: gen_report(healthy, 3 + service.len() as u64),
                    at: now - chrono::Duration::seconds(2),
                },
            );
        }
    }
    m.registry.reach = Reach::Up { at: now };
    for service in ["api", "web"] {
        let images =
            [("v1.3.0", "3f9c2e1", 1), ("v1.2.0", "8a1b0c7", 3), ("v1.1.0", "5d4e3f2", 9), ("v1.0.0", "1a2b3c4", 30)]
                .into_iter()
                .map(|(v, sha, days)| RegistryImage {
                    digest: gen_digest(v),
                    tags: if v == "v1.3.0" {
                        vec![v.into(), sha.into(), "latest".into()]
                    } else {
                        vec![v.into(), sha.into()]
                    },
                    created: Some(now - chrono::Duration::days(days)),
                })
                .collect();
        m.registry.images.insert(service.into(), images);
    }
    m.alerts.reach = Reach::Up { at: now };
    m.alerts.alerts = vec![
        Alert {
            name: "HighErrorRate".into(),
            labels: [("alertname", "HighErrorRate"), ("service", "api"), ("env", "prod"), ("severity", "critical")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: [("summary".to_string(), "prod api 5xx > 2%".to_string())].into(),
            state: "active".into(),
            starts_at: Some(now - chrono::Duration::minutes(7)),
            fingerprint: "a1b2c3".into(),
        },
        Alert {
            name: "DiskFilling".into(),
            labels: [("alertname", "DiskFilling"), ("env", "staging"), ("severity", "warning")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: [("summary".to_string(), "staging-1 disk 91% full".to_string())].into(),
            state: "suppressed".into(),
            starts_at: Some(now - chrono::Duration::hours(3)),
            fingerprint: "d4e5f6".into(),
        },
    ];
    m
}

/// The demo model with prod-2 answering (its slots as on prod-1), so that plans for prod can be
/// built: `plan()` refuses an environment with a host down.
pub fn gen_demo_model_all_up() -> Model {
    let mut m = gen_demo_model();
    let now = m.now;
    for (id, host) in m.hosts.iter_mut().filter(|(id, _)| id.host == "prod-2") {
        host.reach = Reach::Up { at: now };
        for service in ["api", "web"] {
            for c in [
                gen_container(&id.env, service, "blue", "v1.2.0", true),
                gen_container(&id.env, service, "green", "v1.1.0", false),
            ] {
                host.containers.insert(c.id.clone(), c);
            }
        }
    }
    for service in ["api", "web"] {
        let slot = SlotId { env: "prod".into(), service: service.into(), slot: "blue".into(), host: "prod-2".into() };
        let at = now - chrono::Duration::seconds(2);
        m.health.insert(slot, HealthEntry { report: gen_report(true, 4 + service.len() as u64), at });
    }
    m
}

/// The plan `p` (`Promote`) or `r` (`Rollback`) would build for `service` in `env` with default
/// timing, on [`gen_demo_model_all_up`].
pub fn gen_plan(kind: ActionKind, service: &str, env: &str) -> ActionPlan {
    let target = Target { kind, service: service.into(), env: env.into(), image: None, force: false };
    crate::actions::plan(&gen_demo_model_all_up(), &target, Timing::default()).expect("fixture plan")
}

/// The plan that brought `plan.from` in, e.g. the earlier promote a rollback undoes.
pub fn gen_reversed_plan(plan: &ActionPlan) -> ActionPlan {
    let mut p = plan.clone();
    p.kind = ActionKind::Promote;
    std::mem::swap(&mut p.from_slot, &mut p.to_slot);
    std::mem::swap(&mut p.new_slots, &mut p.old_slots);
    p.to = plan.from.clone().unwrap_or_default();
    p.from = Some(plan.to.clone());
    p.reuse_idle = false;
    p
}

/// The confirmation `p`/`r` opens for `service` in `env` (alice at the keyboard), with `typed`
/// already typed; an environment that requires approval asks for its name, and a promote or
/// rollback there for a reason (none typed yet).
pub fn gen_confirm(kind: ActionKind, service: &str, env: &str, typed: &str) -> Confirm {
    let plan = gen_plan(kind, service, env);
    let config = gen_config();
    let env_config = config.environment(env);
    let approval = env_config.is_some_and(|e| e.approval == crate::config::ApprovalPolicy::Required);
    let request = env_config
        .filter(|_| crate::approvals::requires_approval(&config, kind, env))
        .map(|e| RequestDraft { deciders: crate::approvals::deciders(e, "alice"), ..RequestDraft::default() });
    let silence = config.alertmanager.is_some().then_some(false);
    Confirm { plan, type_to_confirm: approval.then(|| env.to_string()), typed: typed.into(), request, silence }
}

/// How far a fixture action got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenRun<'a> {
    /// Steps before `done` finished; step `done` has started and not ended.
    Running { done: usize },
    /// Every step finished.
    Succeeded,
    /// Step `at` failed with `reason`, and the action ended with `outcome`.
    Ended { at: usize, outcome: ActionOutcome, reason: &'a str },
}

/// How long a step of a fixture action takes, and the note the executor writes when it finishes.
fn gen_step_run(plan: &ActionPlan, step: &Step) -> (chrono::Duration, String) {
    let ms = chrono::Duration::milliseconds;
    match step {
        Step::Prepare { .. } if plan.reuse_idle => (ms(40), "idle slot already holds it: no pull, no create".into()),
        Step::Prepare { .. } => (ms(4_200), "pulled; created".into()),
        Step::Start { .. } => (ms(800), String::new()),
        Step::WaitHealthy { .. } => (ms(2_100), "healthy after 2.1s".into()),
        Step::Switch => (ms(300), format!("{} ready, {} draining", plan.to_slot, plan.from_slot)),
        Step::Drain => (ms(300), "drained in 0.3s".into()),
        Step::Retire => (ms(100), String::new()),
        Step::StopOld { .. } => (ms(1_500), "kept for rollback".into()),
        Step::Watch => (chrono::Duration::seconds(60), "stayed healthy".into()),
        Step::Silence => {
            (ms(30), "silence 3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11 until 10:42:10 UTC at the latest".into())
        }
        Step::Unsilence => (ms(20), "silence 3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11 expired".into()),
    }
}

/// A journal entry for `plan` run by `user` from `started`, as the executor writes it: each step
/// started then finished (or failed), one after the other, and the end if it ended.
pub fn gen_journal_entry(
    id: i64,
    plan: &ActionPlan,
    user: &str,
    started: DateTime<Utc>,
    run: GenRun<'_>,
) -> JournalEntry {
    let image = |im: &crate::model::views::ImageRef| ImageRef { tag: im.tag.clone(), digest: im.digest.clone() };
    let action = ActionRecord {
        kind: plan.kind.as_str().into(),
        service: plan.service.clone(),
        env: plan.env.clone(),
        from: plan.from.as_ref().map(image),
        to: image(&plan.to),
        hosts: plan.hosts.clone(),
        user: user.into(),
        started_at: started,
        plan: serde_json::to_value(plan).expect("plan serializes"),
    };
    let (last, failed) = match run {
        GenRun::Running { done } => (done.min(plan.steps.len()), None),
        GenRun::Succeeded => (plan.steps.len(), None),
        GenRun::Ended { at, reason, .. } => (at.min(plan.steps.len()), Some(reason)),
    };
    let mut steps = Vec::new();
    let mut at = started;
    let record = |index: usize, phase: StepPhase, at: DateTime<Utc>, detail: &str| StepRecord {
        step_index: index as u32,
        step_name: plan.steps[index].label(plan),
        phase,
        at,
        detail: detail.into(),
    };
    for (index, step) in plan.steps.iter().enumerate().take(last) {
        let (took, note) = gen_step_run(plan, step);
        steps.push(record(index, StepPhase::Started, at, ""));
        at += took;
        steps.push(record(index, StepPhase::Finished, at, &note));
    }
    if last < plan.steps.len() && !matches!(run, GenRun::Succeeded) {
        steps.push(record(last, StepPhase::Started, at, ""));
        if let Some(reason) = failed {
            at += chrono::Duration::seconds(12);
            steps.push(record(last, StepPhase::Failed, at, reason));
        }
    }
    let finish = match run {
        GenRun::Running { .. } => None,
        GenRun::Succeeded => Some(ActionFinish { at, outcome: ActionOutcome::Succeeded, reason: String::new() }),
        GenRun::Ended { at: index, outcome, reason } => {
            let label = plan.steps.get(index).map(|s| s.label(plan)).unwrap_or_default();
            // Undoing takes a few seconds more after the failure.
            Some(ActionFinish { at: at + chrono::Duration::seconds(3), outcome, reason: format!("{label}: {reason}") })
        }
    };
    JournalEntry { id: ActionId(id), action, steps, finish }
}

/// The lock the action journaled as `entry` (planned as `plan`) holds while it runs, taken by
/// opsdeck pid 4242 on the bastion.
pub fn gen_lock(id: i64, plan: &ActionPlan, entry: &JournalEntry) -> LockInfo {
    let a = &entry.action;
    LockInfo {
        id: LockId(id),
        service: a.service.clone(),
        env: a.env.clone(),
        holder: Holder { user: a.user.clone(), host: "bastion".into(), pid: 4242, process_start: None },
        what: plan.summary(),
        since: a.started_at,
        heartbeat: gen_now(),
    }
}

/// The story at 03:12: alice is rolling api back in prod (prod-2's green slot is warming up),
/// bob's web promote into prod was rolled back by its watch 40 minutes ago, a dev rollback failed
/// before the switch, and api reached staging two hours ago. The running action holds its lock.
pub fn gen_actions_model() -> Model {
    let mut m = gen_demo_model_all_up();
    let now = m.now;
    let min = chrono::Duration::minutes;
    let prod_rollback = gen_plan(ActionKind::Rollback, "api", "prod");
    let running = gen_journal_entry(
        14,
        &prod_rollback,
        "alice",
        now - chrono::Duration::seconds(14),
        GenRun::Running { done: 5 },
    );
    let rolled_back = gen_journal_entry(
        13,
        &gen_plan(ActionKind::Promote, "web", "prod"),
        "bob",
        now - min(41),
        GenRun::Ended { at: 11, outcome: ActionOutcome::RolledBack, reason: "42 of 600 requests answered 5xx (7%)" },
    );
    let failed = gen_journal_entry(
        12,
        &gen_plan(ActionKind::Rollback, "web", "dev"),
        "carol",
        now - min(95),
        GenRun::Ended { at: 1, outcome: ActionOutcome::Failed, reason: "start: no answer within 2m" },
    );
    let succeeded = gen_journal_entry(
        11,
        &gen_reversed_plan(&gen_plan(ActionKind::Rollback, "api", "staging")),
        "bob",
        now - min(130),
        GenRun::Succeeded,
    );
    m.actions.locks = vec![gen_lock(7, &prod_rollback, &running)];
    m.actions.ours = vec![14];
    m.actions.recent = vec![running, rolled_back, failed, succeeded];
    m
}

/// [`gen_actions_model`] with alice's prod rollback draining: blue's sessions fell from 12 to 3
/// in 3.1 s; the action silences api's alerts in prod while it runs.
pub fn gen_drain_model() -> Model {
    let mut m = gen_actions_model();
    let plan = gen_plan(ActionKind::Rollback, "api", "prod").with_silence();
    // Silence, 6 host steps, the switch: done; the drain runs.
    let done = plan.steps.iter().position(|s| *s == Step::Drain).unwrap_or(0);
    m.actions.recent[0] =
        gen_journal_entry(14, &plan, "alice", m.now - chrono::Duration::seconds(14), GenRun::Running { done });
    let samples = [(0, 12), (250, 12), (500, 11), (750, 11), (1000, 9), (1500, 8), (2000, 6), (2500, 5), (3100, 3)];
    m.actions.drains.insert(
        14,
        crate::model::actions::DrainTrace {
            server: plan.from_slot.clone(),
            samples: samples.to_vec(),
            at: Some(m.now),
        },
    );
    m
}

/// Alertmanager's silences at 03:12: alice's on the api alert, bob's on the disk alert, one
/// pending for tonight's maintenance, one that expired.
pub fn gen_silences() -> Vec<Silence> {
    let now = gen_now();
    let m =
        |name: &str, value: &str| Matcher { name: name.into(), value: value.into(), is_regex: false, is_equal: true };
    let s = |id: &str, matchers: Vec<Matcher>, from: i64, to: i64, by: &str, comment: &str, state: &str| Silence {
        id: id.into(),
        matchers,
        starts_at: now + chrono::Duration::minutes(from),
        ends_at: now + chrono::Duration::minutes(to),
        created_by: by.into(),
        comment: comment.into(),
        state: state.into(),
    };
    vec![
        s(
            "9b1c4e0a-7f3d-4c2b-9e8a-1d2f3a4b5c6d",
            vec![m("alertname", "OldAlert"), m("env", "dev")],
            -300,
            -60,
            "carol",
            "noisy during the dev rebuild",
            "expired",
        ),
        s(
            "3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11",
            vec![m("alertname", "HighErrorRate"), m("env", "prod"), m("service", "api")],
            -2,
            58,
            "alice",
            "rolling api back to v1.1.0; watching the 5xx rate by hand",
            "active",
        ),
        s(
            "51d2e3f4-0a1b-4c5d-8e9f-a0b1c2d3e4f5",
            vec![m("alertname", "DiskFilling"), m("env", "staging"), m("severity", "warning")],
            -30,
            210,
            "bob",
            "log volume resize booked for 06:00",
            "active",
        ),
        s(
            "c0ffee00-1234-4abc-9def-0123456789ab",
            vec![m("env", "staging")],
            600,
            720,
            "bob",
            "staging maintenance window",
            "pending",
        ),
    ]
}

/// The demo model with the silences list open on alice's silence.
pub fn gen_silences_model() -> Model {
    let mut m = gen_demo_model();
    m.silences.reach = Reach::Up { at: m.now };
    m.silences.silences = gen_silences();
    m.ui.silences.open = true;
    m
}

/// The demo model, Alerts focused, the silence form open on HighErrorRate with severity dropped,
/// a comment typed and the comment field focused.
pub fn gen_silence_form_model() -> Model {
    let mut m = gen_demo_model();
    m.ui.focus = crate::model::Pane::Alerts;
    let alert = m.alert_rows().first().map(|a| (a.name.clone(), a.labels.clone()));
    if let Some((name, labels)) = alert {
        let mut form = crate::model::silence::SilenceForm::for_alert(&name, &labels);
        if let Some(l) = form.labels.iter_mut().find(|l| l.name == "severity") {
            l.keep = false;
        }
        form.comment = "rolling api back".into();
        form.field = crate::model::silence::FormField::Comment;
        m.ui.silence_form = Some(form);
    }
    m
}

/// A pending request for `plan` by `by`, filed `ago` before [`gen_now`] (expiring an hour after).
pub fn gen_request(id: i64, plan: &ActionPlan, by: &str, ago: chrono::Duration, reason: &str) -> Request {
    let image = |im: &crate::model::views::ImageRef| ImageRef { tag: im.tag.clone(), digest: im.digest.clone() };
    let created_at = gen_now() - ago;
    Request {
        id: RequestId(id),
        created_at,
        expires_at: created_at + chrono::Duration::hours(1),
        requested_by: by.into(),
        kind: plan.kind.as_str().into(),
        service: plan.service.clone(),
        env: plan.env.clone(),
        from: plan.from.as_ref().map(image),
        to: image(&plan.to),
        hosts: plan.hosts.clone(),
        reason: reason.into(),
        plan: serde_json::to_value(plan).expect("plan serializes"),
        state: RequestState::Pending,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        action_id: None,
    }
}

/// `request` decided into `state` by `by` (none for an expiry) eight minutes after it was filed,
/// with the decision's reason.
pub fn gen_decided(request: Request, state: RequestState, by: Option<&str>, why: Option<&str>) -> Request {
    let decided_at = match state {
        RequestState::Pending => None,
        RequestState::Expired => Some(request.expires_at),
        _ => Some(request.created_at + chrono::Duration::minutes(8)),
    };
    Request { state, decided_by: by.map(String::from), decided_at, decision_reason: why.map(String::from), ..request }
}

/// The requests of the story, newest first: carol's prod promote of api waits for alice or bob
/// (filed 5 minutes ago); dave's web promote was approved by bob and ran (action #15); carol's
/// earlier api promote was rejected by bob; dave's web rollback lapsed; bob's web rollback was
/// refused by alice because prod had moved on.
pub fn gen_requests() -> Vec<Request> {
    let min = chrono::Duration::minutes;
    let promote_api = gen_plan(ActionKind::Promote, "api", "prod");
    let promote_web = gen_plan(ActionKind::Promote, "web", "prod");
    let rollback_web = gen_plan(ActionKind::Rollback, "web", "prod");
    let pending = gen_request(9, &promote_api, "carol", min(5), "release 1.3 with the login fix");
    let done = gen_request(8, &promote_web, "dave", min(48), "hotfix for checkout");
    let done = Request { action_id: Some(ActionId(15)), ..gen_decided(done, RequestState::Done, Some("bob"), None) };
    let rejected = gen_request(7, &promote_api, "carol", min(180), "release 1.3");
    let rejected = gen_decided(rejected, RequestState::Rejected, Some("bob"), Some("not during the freeze"));
    let expired = gen_request(6, &rollback_web, "dave", min(24 * 60), "roll back the cache change");
    let expired = gen_decided(expired, RequestState::Expired, None, None);
    let refused = gen_request(5, &rollback_web, "bob", min(26 * 60), "checkout errors");
    let why = "someone else changed prod meanwhile: web/prod now runs v1.2.0 (a35cb3d)";
    let refused = gen_decided(refused, RequestState::Refused, Some("alice"), Some(why));
    vec![pending, done, rejected, expired, refused]
}

/// The demo stack with every prod host up (so requests can be planned), alice at the keyboard,
/// and [`gen_requests`] in the store.
pub fn gen_approvals_model() -> Model {
    let mut m = gen_demo_model_all_up();
    m.approvals.requests = gen_requests();
    m.approvals.loaded = true;
    m
}

fn gen_key(c: char) -> crate::msg::Msg {
    crate::msg::Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// [`gen_approvals_model`] after alice pressed `a` on carol's pending request: the approval view.
pub fn gen_approval_view_model() -> Model {
    let mut m = gen_approvals_model();
    m.ui.focus = crate::model::Pane::Approvals;
    crate::update::update(&mut m, gen_key('a'));
    assert!(m.ui.approval.is_some(), "the approval view opens: {:?}", m.ui.notice);
    m
}

/// [`gen_approvals_model`] after alice pressed `x` on carol's pending request and typed `reason`.
pub fn gen_reject_model(reason: &str) -> Model {
    let mut m = gen_approvals_model();
    m.ui.focus = crate::model::Pane::Approvals;
    crate::update::update(&mut m, gen_key('x'));
    for c in reason.chars() {
        crate::update::update(&mut m, gen_key(c));
    }
    assert!(m.ui.reject.is_some(), "the reason input opens: {:?}", m.ui.notice);
    m
}

/// The audit trail behind [`gen_requests`] and a few actions, in chain order (hashes are
/// stand-ins: the console does not check them).
pub fn gen_audit_records() -> Vec<AuditRecord> {
    use serde_json::json;
    let at = |day: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, day, h, m, 0).single().unwrap_or_default();
    let image = |v: &str| json!({"tag": v, "digest": gen_digest(v)});
    let what = |id: i64, action: &str, from: &str, to: &str, reason: &str| {
        json!({"request": id, "action": action, "from": image(from), "to": image(to), "hosts": ["prod-1", "prod-2"],
               "reason": reason})
    };
    let own = |id: i64, by: &str| {
        json!({"request": id, "attempt": "approve", "state": "pending", "requested_by": by,
               "reason": format!("nobody approves their own request: {by} asked for request {id}")})
    };
    let action = |kind: &str, from: &str, to: &str, ms: u64, reason: &str| {
        json!({"action": kind, "id": 15, "from": image(from), "to": image(to), "hosts": ["prod-1", "prod-2"],
               "forced": false, "duration_ms": ms, "reason": reason})
    };
    let entries = vec![
        (
            at(22, 1, 12),
            "bob",
            "request",
            "web/prod",
            what(5, "rollback", "v1.2.0", "v1.1.0", "checkout errors"),
            "pending",
        ),
        (
            at(22, 1, 20),
            "alice",
            "refusal",
            "web/prod",
            what(5, "rollback", "v1.2.0", "v1.1.0", "someone else changed prod meanwhile: web/prod now runs v1.2.0"),
            "refused",
        ),
        (
            at(22, 3, 12),
            "dave",
            "request",
            "web/prod",
            what(6, "rollback", "v1.2.0", "v1.1.0", "roll back the cache change"),
            "pending",
        ),
        (at(22, 4, 12), "dave", "expiry", "web/prod", what(6, "rollback", "v1.2.0", "v1.1.0", ""), "expired"),
        (
            at(23, 0, 12),
            "carol",
            "request",
            "api/prod",
            what(7, "promote", "v1.2.0", "v1.3.0", "release 1.3"),
            "pending",
        ),
        (
            at(23, 0, 20),
            "bob",
            "rejection",
            "api/prod",
            what(7, "promote", "v1.2.0", "v1.3.0", "not during the freeze"),
            "rejected",
        ),
        (
            at(23, 1, 37),
            "carol",
            "action",
            "web/dev",
            action("rollback", "v1.3.0", "v1.2.0", 15_000, "dev-1: start green: no answer within 2m"),
            "failed",
        ),
        (
            at(23, 2, 24),
            "dave",
            "request",
            "web/prod",
            what(8, "promote", "v1.2.0", "v1.3.0", "hotfix for checkout"),
            "pending",
        ),
        (at(23, 2, 30), "dave", "refusal", "web/prod", own(8, "dave"), "refused"),
        (at(23, 2, 32), "bob", "approval", "web/prod", what(8, "promote", "v1.2.0", "v1.3.0", ""), "approved"),
        (at(23, 2, 33), "bob", "action", "web/prod", action("promote", "v1.2.0", "v1.3.0", 78_200, ""), "succeeded"),
        (
            at(23, 2, 33),
            "bob",
            "request",
            "web/prod",
            json!({"request": 8, "requested_by": "dave", "action_id": 15, "reason": ""}),
            "done",
        ),
        (
            at(23, 3, 7),
            "carol",
            "request",
            "api/prod",
            what(9, "promote", "v1.2.0", "v1.3.0", "release 1.3 with the login fix"),
            "pending",
        ),
        (at(23, 3, 8), "carol", "refusal", "api/prod", own(9, "carol"), "refused"),
    ];
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (at, user, kind, subject, detail, outcome))| AuditRecord {
            seq: i as u64 + 1,
            entry: AuditEntry {
                at,
                user: user.into(),
                kind: kind.into(),
                subject: subject.into(),
                detail,
                outcome: outcome.into(),
            },
            prev_hash: format!("{i:064x}"),
            hash: format!("{:064x}", i + 1),
        })
        .collect()
}

/// [`gen_approvals_model`] with the Audit view open on [`gen_audit_records`], taken in through
/// `update` as the store watcher's message.
pub fn gen_audit_model() -> Model {
    let mut m = gen_approvals_model();
    crate::update::update(&mut m, crate::msg::Msg::Audit(Ok(gen_audit_records())));
    m.ui.audit.open = true;
    m
}

/// `docker inspect` of a running demo slot, as the backend hands it over (env values unmasked).
pub fn gen_container_detail(env: &str, service: &str, slot: &str, version: &str) -> ContainerDetail {
    let c = gen_container(env, service, slot, version, true);
    let now = gen_now();
    let probe = |ago: i64, code: i64, output: &str| HealthProbe {
        start: Some(now - chrono::Duration::seconds(ago)),
        end: Some(now - chrono::Duration::seconds(ago) + chrono::Duration::milliseconds(40)),
        exit_code: code,
        output: output.into(),
    };
    ContainerDetail {
        id: format!("{}0123456789abcdef", c.id),
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        repo_digests: vec![format!("127.0.0.1:5000/{service}@{}", gen_digest(version))],
        image_created: Some(now - chrono::Duration::days(3)),
        created: c.created,
        state: "running".into(),
        started_at: c.created,
        finished_at: None,
        exit_code: Some(0),
        error: String::new(),
        restart_count: 1,
        health: Some("healthy".into()),
        failing_streak: 0,
        health_log: vec![
            probe(9, 1, "curl: (7) Failed to connect to 127.0.0.1 port 8080\n"),
            probe(7, 0, "{\"status\":\"healthy\"}\n"),
            probe(5, 0, "{\"status\":\"healthy\"}\n"),
            probe(3, 0, "{\"status\":\"healthy\"}\n"),
            probe(1, 0, "{\"status\":\"healthy\"}\n"),
        ],
        ports: vec![format!("8080/tcp -> 127.0.0.1:{}", c.ports[&8080])],
        labels: c.labels.clone(),
        env: vec![
            EnvVar { name: "API_TOKEN".into(), value: "tok-3f9c2e1-secret".into() },
            EnvVar { name: "LOG_LEVEL".into(), value: "info".into() },
            EnvVar { name: "DEMO_VERSION".into(), value: version.into() },
            EnvVar {
                name: "PATH".into(),
                value: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            },
        ],
    }
}

/// The demo model (every host up) with ten minutes of history for every live slot: prod api's
/// latency climbing and its 5xx rate spiking two minutes ago, steady traffic elsewhere.
pub fn gen_history_model() -> Model {
    let mut m = gen_demo_model_all_up();
    let now = m.now;
    let live = [("dev", "blue"), ("staging", "green"), ("prod", "blue")];
    for (env, slot) in live {
        for (k, service) in ["api", "web"].into_iter().enumerate() {
            let hurt = env == "prod" && service == "api";
            let hosts: Vec<SlotId> = m
                .hosts
                .keys()
                .filter(|h| h.env == env)
                .map(|h| SlotId { env: env.into(), service: service.into(), slot: slot.into(), host: h.host.clone() })
                .collect();
            let key = crate::model::history::ServerKey { env: env.into(), service: service.into(), slot: slot.into() };
            let (mut requests, mut errors) = (10_000u64, 20u64);
            for i in 0..=300i64 {
                let at = now - chrono::Duration::seconds(600 - 2 * i);
                // A deterministic wobble, so sparklines have a shape.
                let wave = ((i * 7 + k as i64 * 3) % 11) as u64;
                requests += 30 + wave * 2 + if hurt && i > 200 { 20 } else { 0 };
                errors += if hurt && (235..=255).contains(&i) { 9 + wave } else { u64::from(i % 37 == 0) };
                m.history.record_counters(key.clone(), at, requests, errors);
                if i % 3 == 0 {
                    let base = 4.0 + k as f64 * 2.0 + wave as f64 * 0.6;
                    let ms = if hurt && i > 200 { base + (i - 200) as f64 * 0.4 } else { base };
                    for (h, id) in hosts.iter().enumerate() {
                        m.history.record_latency(id, at, ms + h as f64 * 1.5);
                    }
                }
            }
        }
    }
    m
}

/// The history model with prod api's blue slot on prod-1 selected in the Health pane, its
/// chart open.
pub fn gen_chart_model() -> Model {
    let mut m = gen_history_model();
    m.ui.focus = crate::model::Pane::Health;
    (m.ui.env_col, m.ui.health_row) = (2, 0);
    m.ui.health_chart =
        Some(SlotId { env: "prod".into(), service: "api".into(), slot: "blue".into(), host: "prod-1".into() });
    m
}

/// The history model with prod api's blue slot's container detail open, loaded and masked as
/// `update` leaves it (the config marks `API_TOKEN` secret by its name).
pub fn gen_detail_model() -> Model {
    let mut m = gen_history_model();
    m.ui.focus = crate::model::Pane::Health;
    (m.ui.env_col, m.ui.health_row) = (2, 0);
    let slot = SlotId { env: "prod".into(), service: "api".into(), slot: "blue".into(), host: "prod-1".into() };
    let detail = gen_container_detail("prod", "api", "blue", "v1.2.0");
    let masked = crate::model::container::masked_detail(&m.config, "api", detail);
    m.ui.container = Some(crate::model::container::ContainerView {
        host: crate::model::HostId { env: "prod".into(), host: "prod-1".into() },
        container_id: "api-prod-blue-id".into(),
        name: "api-prod-blue".into(),
        state: crate::model::container::DetailState::Loaded(Box::new(masked)),
        scroll: 0,
        slot,
    });
    m
}

/// The Logs view on api/prod (`L` in the Environments pane): blue@prod-1 streaming a few
/// seconds of requests (one on stderr, one cut at 64 KiB, one carrying escape sequences),
/// green@prod-1 stopped, prod-2's slots unreachable; 41,337 lines already dropped.
pub fn gen_logs_model() -> Model {
    use crate::msg::{LogEvent, Msg};
    use opsdeck_backends::docker::logs::{LogLine, LogSource};
    let mut m = gen_demo_model_all_up();
    m.ui.env_col = 2;
    crate::update::update(&mut m, Msg::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('L'))));
    let generation = m.ui.logs.generation;
    let slots: Vec<SlotId> = m.ui.logs.slots.iter().map(|s| s.slot.clone()).collect();
    let base = m.now - chrono::Duration::seconds(30);
    let line = |i: i64, text: &str, source: LogSource, cut: usize| LogLine {
        at: Some(base + chrono::Duration::milliseconds(i * 750)),
        source,
        text: text.into(),
        cut,
    };
    for slot in &slots {
        let event = match (slot.host.as_str(), slot.slot.as_str()) {
            ("prod-1", "blue") => LogEvent::Streaming,
            ("prod-1", _) => LogEvent::Ended,
            _ => LogEvent::Failed(opsdeck_backends::BackendError::Timeout {
                system: "docker",
                after: std::time::Duration::from_secs(3),
            }),
        };
        crate::update::update(&mut m, Msg::Logs(generation, slot.clone(), event));
    }
    let blue = slots.iter().find(|s| s.host == "prod-1" && s.slot == "blue").cloned().expect("blue@prod-1");
    let green = slots.iter().find(|s| s.host == "prod-1" && s.slot == "green").cloned().expect("green@prod-1");
    let mut lines = Vec::new();
    for i in 0..36 {
        let text = match i % 9 {
            4 => "GET /slow?ms=250 200 251ms",
            7 => "GET / 500 0ms",
            _ => "GET / 200 0ms",
        };
        lines.push(line(i, text, LogSource::Stdout, 0));
    }
    lines.push(line(36, "\x1b[31mWARN\x1b[0m pool exhausted: 32 of 32 connections busy", LogSource::Stderr, 0));
    lines.push(line(37, &format!("payload dump {}", "A".repeat(60)), LogSource::Stdout, 983_040));
    lines.push(line(38, "GET /health 503 2ms", LogSource::Stdout, 0));
    let none = crate::secrets::Secrets::default();
    let lines = lines.into_iter().map(|l| crate::collect::log_text::shown(l, &none)).collect();
    crate::update::update(&mut m, Msg::Logs(generation, blue, LogEvent::Lines { lines, dropped: 41_337 }));
    let old =
        vec![crate::collect::log_text::shown(line(-5, "stopped (0 requests cut off)", LogSource::Stderr, 0), &none)];
    crate::update::update(&mut m, Msg::Logs(generation, green, LogEvent::Lines { lines: old, dropped: 0 }));
    m
}

/// The shipped runbooks, parsed from the texts built into the binary (paths as in `runbooks/`).
pub fn gen_runbook_catalog() -> crate::runbook::Catalog {
    let mut runbooks: Vec<crate::runbook::Runbook> = crate::runbook::shipped::SHIPPED
        .iter()
        .map(|(name, text)| {
            crate::runbook::parse(std::path::Path::new(&format!("runbooks/{name}")), text).expect("shipped runbook")
        })
        .collect();
    runbooks.sort_by(|a, b| a.name.cmp(&b.name));
    let broken = crate::runbook::parse(
        std::path::Path::new("runbooks/broken.md"),
        "---\nname: broken\nsummary: s\n---\n## one\n```opsdeck\nreboot api prod\n```\n",
    )
    .expect_err("broken");
    crate::runbook::Catalog { runbooks, errors: vec![crate::runbook::LoadError::Parse(broken)] }
}

/// The demo model with the high-error-rate runbook open from the firing alert, at `step`
/// (0-based) with the steps before it done, in `phase`, and some output from the step before.
pub fn gen_runbook_model(step: usize, phase: crate::model::runbook::StepPhase) -> Model {
    use crate::model::runbook::{AlertRef, RunbookUi, RunbookView, StepResultLine};
    let mut m = gen_demo_model();
    let catalog = gen_runbook_catalog();
    let rb = catalog.get("high-error-rate-after-deploy").expect("shipped").clone();
    m.runbooks.catalog = Some(catalog);
    let alert = m.alerts.alerts[0].clone();
    let mut view = RunbookView::new(
        rb,
        Some(AlertRef {
            name: alert.name.clone(),
            fingerprint: alert.fingerprint.clone(),
            labels: alert.labels.clone(),
        }),
    );
    view.loaded = true;
    view.current = step;
    for o in view.outcomes.iter_mut().take(step) {
        *o = Some("succeeded".into());
    }
    if step > 0 {
        view.updated_by = Some("ann".into());
        for l in [
            "blue (live) on prod-1: UNHEALTHY HTTP 503 in 12ms: status degraded [127.0.0.1:5000/api:v1.2.0]",
            "green (idle) on prod-1: healthy HTTP 200 in 9ms [127.0.0.1:5000/api:v1.1.0]",
        ] {
            view.push_line(l.into());
        }
        view.last = Some(StepResultLine {
            step: step - 1,
            outcome: "succeeded".into(),
            summary: "live slot blue: NOT healthy".into(),
            millis: 412,
        });
    }
    view.phase = phase;
    m.ui.runbook = Some(RunbookUi::View(Box::new(view)));
    m
}

/// The demo model (all hosts up, api keeping 1 image) with the prune overlay open on api in
/// `phase`.
pub fn gen_prune_model(phase: crate::model::prune::PrunePhase) -> Model {
    let mut m = gen_demo_model_all_up();
    let mut config = (*m.config).clone();
    config.services[0].keep_images = 1;
    m.config = std::sync::Arc::new(config);
    m.ui.focus = crate::model::Pane::Images;
    let plan = crate::actions::prune::plan(&m, "api", None);
    m.ui.prune = Some(crate::model::prune::PruneView { plan, phase });
    m
}
