//! The console's fixtures for the action views: an action running, a drain, a canary stage, a
//! runbook part-way and a registry prune.

use super::*;
use opsdeck_core::actions::{ActionKind, Step};
use opsdeck_core::store::ActionOutcome;

/// The story at 03:12: alice is rolling api back in prod (prod-2's green slot is warming up),
/// bob's web promote into prod was rolled back by its watch 40 minutes ago, a dev rollback failed
/// before the switch, and api reached staging two hours ago. The running action holds its lock.
pub fn gen_actions_model() -> Model {
    let mut m = gen_demo_model_all_up();
    let now = m.world.now;
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
    m.world.actions.locks = vec![gen_lock(7, &prod_rollback, &running)];
    m.world.actions.ours = vec![14];
    m.world.actions.set_recent(vec![running, rolled_back, failed, succeeded]);
    m
}

/// [`gen_actions_model`] with alice's prod rollback draining: blue's sessions fell from 12 to 3
/// in 3.1 s; the action silences api's alerts in prod while it runs.
pub fn gen_drain_model() -> Model {
    let mut m = gen_actions_model();
    let plan = gen_plan(ActionKind::Rollback, "api", "prod").with_silence();
    // Silence, 6 host steps, the switch: done; the drain runs.
    let done = plan.steps.iter().position(|s| *s == Step::Drain).unwrap_or(0);
    m.world.actions.recent[0] =
        gen_journal_entry(14, &plan, "alice", m.world.now - chrono::Duration::seconds(14), GenRun::Running { done });
    let samples = [(0, 12), (250, 12), (500, 11), (750, 11), (1000, 9), (1500, 8), (2000, 6), (2500, 5), (3100, 3)];
    m.world.actions.drains.insert(
        14,
        crate::model::actions::DrainTrace {
            server: plan.from_slot.clone(),
            samples: samples.to_vec(),
            at: Some(m.world.now),
        },
    );
    m
}

/// [`gen_actions_model`] with our canary of api in prod (action 14) holding its second stage:
/// 5 % passed, 25 % held 20 s of 60 s, 3 of 412 answers 5xx.
pub fn gen_canary_model() -> Model {
    let mut m = gen_actions_model();
    let plan = gen_plan(ActionKind::Canary, "api", "prod");
    let second = plan.steps.iter().position(|s| matches!(s, Step::CanaryStage { .. })).unwrap_or(0) + 1;
    m.world.actions.recent[0] = gen_journal_entry(
        14,
        &plan,
        "alice",
        m.world.now - chrono::Duration::seconds(95),
        GenRun::Running { done: second },
    );
    m.world.actions.ours = vec![14];
    m.world.actions.stages.insert(
        14,
        crate::model::actions::StageTrace {
            percent: 25,
            ladder: plan.canary_ladder(),
            requests: 412,
            errors: 3,
            held_ms: 20_000,
            hold_ms: 60_000,
            paused: false,
            at: Some(m.world.now),
        },
    );
    m
}

/// The demo model with the high-error-rate runbook open from the firing alert, at `step`
/// (0-based) with the steps before it done, in `phase`, and some output from the step before.
pub fn gen_runbook_model(step: usize, phase: crate::model::runbook::StepPhase) -> Model {
    use crate::model::runbook::{AlertRef, RunbookUi, RunbookView, StepResultLine};
    let mut m = gen_demo_model();
    let catalog = gen_runbook_catalog();
    let rb = catalog.get("high-error-rate-after-deploy").expect("shipped").clone();
    m.world.runbooks.catalog = Some(catalog);
    let alert = m.world.alerts.alerts[0].clone();
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
    m.ui.set_runbook(Some(RunbookUi::View(Box::new(view))));
    m
}

/// The demo model (all hosts up, api keeping 1 image) with the prune overlay open on api in
/// `phase`.
pub fn gen_prune_model(phase: crate::model::prune::PrunePhase) -> Model {
    let mut m = gen_demo_model_all_up();
    let mut config = (*m.world.config).clone();
    config.services[0].keep_images = 1;
    m.world.config = std::sync::Arc::new(config);
    m.ui.focus = crate::model::Pane::Images;
    let plan = opsdeck_core::actions::prune::plan(&m.world, "api", None);
    m.ui.set_prune(Some(crate::model::prune::PruneView { plan, phase }));
    m
}
