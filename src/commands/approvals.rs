//! `opsdeck approvals`, `opsdeck approve`, `opsdeck reject`, and the request that `opsdeck
//! promote` or `rollback` files instead of running where the environment requires approval.
//! Exit codes as the action commands: 0 done, 1 the approved action failed, 3 refused.

use super::action::{executor, spawn_cancel_on_signals, EXIT_REFUSED};
use super::action_json::{print_outcome, Ended};
use chrono::{DateTime, SecondsFormat, Utc};
use opsdeck_core::actions::{ActionPlan, Executor};
use opsdeck_core::approvals;
use opsdeck_core::config::Config;
use opsdeck_core::store::{ActionOutcome, Request, RequestFilter, RequestId, Store};
use serde_json::json;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Files `plan` as a request by `user` for `reason`; prints its id on stdout (with `json`, in the
/// action's outcome document, outcome `requested`). A refusal (nobody
/// else could approve it, the store down) is audited like any refused action.
pub fn request(exec: &Executor, config: &Config, user: &str, plan: &ActionPlan, reason: &str, json: bool) -> ExitCode {
    let filed = match exec.store.lock() {
        Ok(mut store) => approvals::file(&mut store, config, plan, user, reason, Utc::now()),
        Err(_) => Err("state store unavailable (a thread panicked)".into()),
    };
    match filed {
        Ok(filed) => {
            err!("{}", plan.summary());
            let line = format!(
                "request {} pending approval by {} (expires {})",
                filed.request.id,
                filed.deciders.join(", "),
                when(filed.request.expires_at)
            );
            if json {
                err!("{line}");
                print_outcome(true, None, plan.kind, Ended::Requested, &line);
            } else {
                out!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let report = exec.refuse(plan, e);
            err!("opsdeck: {}", report.reason);
            print_outcome(json, report.id, plan.kind, Ended::Refused, &report.reason);
            ExitCode::from(EXIT_REFUSED)
        }
    }
}

/// `opsdeck approvals [--json]`: every request, newest first, after marking the overdue expired.
pub fn list(config: &Config, user: &str, as_json: bool) -> ExitCode {
    let mut store = match Store::open(&config.state_path) {
        Ok(s) => s,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Listing marks what has lapsed, so that the list (and every console) shows it expired.
    if let Err(e) = store.expire_due(Utc::now()) {
        err!("opsdeck: cannot mark expired requests: {e}");
    }
    let requests = match store.requests(&RequestFilter::default()) {
        Ok(r) => r,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    if as_json {
        let all: Vec<serde_json::Value> = requests.iter().map(to_json).collect();
        // Escaped as `audit --json` is: the same values, nothing a terminal would act on.
        match super::audit_json::to_safe_string(&all) {
            Ok(s) => out!("{s}"),
            Err(e) => {
                err!("opsdeck: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", opsdeck_core::text::printable(&to_text(&requests, config, user)));
    }
    ExitCode::SUCCESS
}

/// `opsdeck approve ID [--yes]`: checks, shows what will run, asks, approves, runs it here.
pub async fn approve(
    config: Arc<Config>,
    user: String,
    id: i64,
    yes: bool,
    watch: Option<std::time::Duration>,
) -> ExitCode {
    let (exec, recovered, mut events) = match executor(&config, &user).await {
        Ok(x) => x,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    for line in recovered {
        err!("opsdeck: {line}");
    }
    let world = opsdeck_core::watch::gather(config.clone(), user.clone()).await;
    let fallback = config.actions.timing(None);
    let prepared = match exec.store.lock() {
        Ok(mut store) => approvals::prepare(&mut store, &world, &user, RequestId(id), Utc::now(), fallback, watch),
        Err(_) => Err("state store unavailable (a thread panicked)".into()),
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            err!("opsdeck: refused: {e}");
            return ExitCode::from(EXIT_REFUSED);
        }
    };
    if !yes && !confirm(&prepared, &user) {
        err!("opsdeck: not confirmed; request {id} is still pending");
        return ExitCode::from(EXIT_REFUSED);
    }
    let approved = match exec.store.lock() {
        Ok(mut store) => approvals::approve(&mut store, &config, &prepared.request, &user, Utc::now()),
        Err(_) => Err("state store unavailable (a thread panicked)".into()),
    };
    let request = match approved {
        Ok(r) => r,
        Err(e) => {
            err!("opsdeck: refused: {e}");
            return ExitCode::from(EXIT_REFUSED);
        }
    };
    err!("approved request {id} (asked by {}): running it now", request.requested_by);
    let printer = tokio::spawn(async move {
        let mut lines = opsdeck_core::actions::events::Lines::default();
        while let Some(event) = events.recv().await {
            if let Some(line) = lines.of(&event) {
                err!("{line}");
            }
        }
    });
    let cancel = CancellationToken::new();
    spawn_cancel_on_signals(&cancel);
    let (report, ended) = approvals::run(&exec, &request, prepared.plan, cancel).await;
    drop(exec);
    let _ = printer.await;
    let state = ended.map(|r| r.state.to_string()).unwrap_or_else(|| "not recorded".into());
    let action = report.id.map(|a| format!(", action #{a}")).unwrap_or_default();
    out!("request {id} {state}{action}");
    match report.outcome {
        Some(ActionOutcome::Succeeded) => ExitCode::SUCCESS,
        None => ExitCode::from(EXIT_REFUSED),
        Some(_) => ExitCode::FAILURE,
    }
}

/// `opsdeck reject ID --reason TEXT`.
pub fn reject(config: &Config, user: &str, id: i64, reason: &str) -> ExitCode {
    let mut store = match Store::open(&config.state_path) {
        Ok(s) => s,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    match approvals::reject(&mut store, config, RequestId(id), user, reason, Utc::now()) {
        Ok(r) => {
            out!("request {id} rejected: {}", r.decision_reason.unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let hint = if e.contains("needs a reason") { " (--reason TEXT)" } else { "" };
            err!("opsdeck: refused: {e}{hint}");
            ExitCode::from(EXIT_REFUSED)
        }
    }
}

/// Shows the request and exactly what will run, and asks y/N on the terminal.
fn confirm(prepared: &approvals::Prepared, user: &str) -> bool {
    let (request, plan) = (&prepared.request, &prepared.plan);
    let stdin = std::io::stdin();
    err!(
        "request {} by {} at {}: {:?}\n{}",
        request.id,
        request.requested_by,
        when(request.created_at),
        request.reason,
        plan.summary()
    );
    for (i, step) in plan.steps.iter().enumerate() {
        err!("  step {}: {}", i + 1, step.label(plan));
    }
    if !stdin.is_terminal() {
        err!("opsdeck: not a terminal: pass --yes to approve and run it");
        return false;
    }
    eprint!("approve and run it now, as {user}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if stdin.lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim(), "y" | "Y" | "yes")
}

/// A request as `opsdeck approvals --json` prints it.
pub fn to_json(r: &Request) -> serde_json::Value {
    let image = |i: &opsdeck_core::store::ImageRef| json!({"tag": i.tag, "digest": i.digest});
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    json!({
        "id": r.id.0,
        "state": r.state.as_str(),
        "requested_by": r.requested_by,
        "kind": r.kind,
        "service": r.service,
        "env": r.env,
        "from": r.from.as_ref().map(image),
        "to": image(&r.to),
        "hosts": r.hosts,
        "reason": r.reason,
        "created_at": time(r.created_at),
        "expires_at": time(r.expires_at),
        "decided_by": r.decided_by,
        "decided_at": r.decided_at.map(time),
        "decision_reason": r.decision_reason,
        "action_id": r.action_id.map(|a| a.0),
    })
}

/// The text listing: two or three lines a request, newest first.
fn to_text(requests: &[Request], config: &Config, user: &str) -> String {
    if requests.is_empty() {
        return "no approval requests\n".into();
    }
    let clean = opsdeck_core::text::cleaned;
    let mut out = String::new();
    for r in requests {
        let short = opsdeck_core::world::views::short_digest;
        let from = r.from.as_ref().map(|f| format!("{} ({})", f.tag, short(&f.digest))).unwrap_or("nothing".into());
        out.push_str(&format!(
            "#{:<4} {:<8} {} {}: {from} -> {} ({}) on {}\n",
            r.id.0,
            r.state.as_str(),
            clean(&r.kind),
            clean(&r.subject()),
            clean(&r.to.tag),
            short(&r.to.digest),
            clean(&r.hosts.join(", "))
        ));
        out.push_str(&format!(
            "      asked by {} at {}: {}\n",
            clean(&r.requested_by),
            when(r.created_at),
            clean(&r.reason)
        ));
        let decided = match (&r.decided_by, r.state) {
            (_, opsdeck_core::store::RequestState::Pending) => {
                let who =
                    config.environment(&r.env).map(|e| approvals::deciders(e, &r.requested_by)).unwrap_or_default();
                let yours = if who.iter().any(|w| w == user) { " (you can approve it)" } else { "" };
                format!("waiting for {} until {}{yours}", who.join(", "), when(r.expires_at))
            }
            (None, state) => format!("{state} at {}", r.decided_at.map(when).unwrap_or_default()),
            (Some(by), state) => {
                format!("{state}, decided by {} at {}", clean(by), r.decided_at.map(when).unwrap_or_default())
            }
        };
        let why = r.decision_reason.as_deref().filter(|w| !w.is_empty()).map(|w| format!(": {}", clean(w)));
        let action = r.action_id.map(|a| format!(" (action {a})")).unwrap_or_default();
        out.push_str(&format!("      {decided}{}{action}\n", why.unwrap_or_default()));
    }
    out
}

/// A time as the command line shows it.
fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{gen_config, gen_now};
    use opsdeck_core::store::{ImageRef, RequestState};

    fn request(state: RequestState) -> Request {
        Request {
            id: RequestId(7),
            created_at: gen_now(),
            expires_at: gen_now() + chrono::Duration::hours(1),
            requested_by: "alice".into(),
            kind: "promote".into(),
            service: "api".into(),
            env: "prod".into(),
            from: Some(ImageRef { tag: "v1.2.0".into(), digest: "sha256:8a1b0c7aaaa".into() }),
            to: ImageRef { tag: "v1.3.0".into(), digest: "sha256:3f9c2e1bbbb".into() },
            hosts: vec!["prod-1".into()],
            reason: "release".into(),
            plan: json!({}),
            state,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            action_id: None,
        }
    }

    #[test]
    fn json_has_every_documented_field() {
        let v = to_json(&request(RequestState::Pending));
        for field in [
            "id",
            "state",
            "requested_by",
            "kind",
            "service",
            "env",
            "from",
            "to",
            "hosts",
            "reason",
            "created_at",
            "expires_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "action_id",
        ] {
            assert!(v.get(field).is_some(), "{field} missing from {v}");
        }
        assert_eq!(v["state"], "pending");
        assert_eq!(v["to"]["tag"], "v1.3.0");
        assert_eq!(v["created_at"], "2026-11-23T03:12:00Z");
    }

    #[test]
    fn the_text_says_who_can_decide_a_pending_request() {
        let text = to_text(&[request(RequestState::Pending)], &gen_config(), "bob");
        assert!(
            text.contains("#7    pending  promote api/prod: v1.2.0 (8a1b0c7) -> v1.3.0 (3f9c2e1) on prod-1"),
            "{text}"
        );
        assert!(text.contains("asked by alice at 2026-11-23 03:12:00 UTC: release"), "{text}");
        assert!(text.contains("waiting for bob until 2026-11-23 04:12:00 UTC (you can approve it)"), "{text}");
        let rejected = Request {
            decided_by: Some("bob".into()),
            decided_at: Some(gen_now()),
            decision_reason: Some("freeze".into()),
            ..request(RequestState::Rejected)
        };
        let text = to_text(&[rejected], &gen_config(), "alice");
        assert!(text.contains("rejected, decided by bob at 2026-11-23 03:12:00 UTC: freeze"), "{text}");
        assert_eq!(to_text(&[], &gen_config(), "alice"), "no approval requests\n");
    }
}
