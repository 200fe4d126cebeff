//! `opsdeck doctor`: every check of [`opsdeck_core::doctor`], printed one a line (or as JSON), with exit
//! code 0 when none failed and 1 when one did.

use opsdeck_core::config::Config;
use opsdeck_core::doctor::{self, Check, Status};
use opsdeck_core::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(config: Arc<Config>, user: String, json: bool, config_path: Option<PathBuf>) -> ExitCode {
    let (path, folders, c) = (config.state_path.clone(), config.runbooks.clone(), config.clone());
    let local = tokio::task::spawn_blocking(move || {
        let verified = Store::open(&path).and_then(|mut s| s.verify_audit()).map_err(|e| e.to_string());
        let log = doctor::log_file(&path);
        let mut store = vec![doctor::store(&path, verified), doctor::policy(&c), log];
        store.extend(config_path.map(|p| doctor::inline_secrets(&c, &p)));
        (store, opsdeck_core::runbook::load_all(&folders))
    });
    // The anchors are pushed first (bounded), so the check says where they stand now.
    let anchoring = async {
        let bound = std::time::Duration::from_secs(10);
        let pushed = tokio::time::timeout(bound, opsdeck_core::audit::anchors::catch_up(&config))
            .await
            .unwrap_or_else(|_| Err(format!("registry: no answer within {}", humantime::format_duration(bound))));
        doctor::anchors(opsdeck_core::audit::anchors::state(&config), pushed)
    };
    let (local, world, anchors) =
        tokio::join!(local, opsdeck_core::watch::gather(config.clone(), user.clone()), anchoring);
    let mut checks = vec![Check {
        check: "identity".into(),
        status: Status::Ok,
        detail: format!("acting as {user} (the audit trail's name for you)"),
    }];
    match local {
        Ok((store, catalog)) => {
            checks.extend(store);
            checks.push(anchors);
            checks.extend(doctor::from_world(&world));
            checks.extend(doctor::runbooks(&catalog));
        }
        Err(_) => {
            checks.push(Check {
                check: "state store".into(),
                status: Status::Fail,
                detail: "the check panicked".into(),
            });
            checks.extend(doctor::from_world(&world));
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if json {
        let value = serde_json::json!({ "ok": failed == 0, "checks": checks });
        match serde_json::to_string_pretty(&value) {
            Ok(s) => out!("{s}"),
            Err(e) => err!("opsdeck: {e}"),
        }
    } else {
        let width = checks.iter().map(|c| c.check.chars().count()).max().unwrap_or(0);
        for c in &checks {
            out!("{:<4}  {:<width$}  {}", c.status.word(), c.check, opsdeck_core::text::cleaned(&c.detail));
        }
        let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
        out!("{} checks: {failed} failed, {warned} warnings", checks.len());
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
