//! `opsdeck doctor`: every check of [`crate::doctor`], printed one a line (or as JSON), with exit
//! code 0 when none failed and 1 when one did.

use crate::config::Config;
use crate::doctor::{self, Check, Status};
use crate::store::Store;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(config: Arc<Config>, user: String, json: bool) -> ExitCode {
    let path = config.state_path.clone();
    let folders = config.runbooks.clone();
    let local = tokio::task::spawn_blocking(move || {
        let verified = Store::open(&path).and_then(|mut s| s.verify_audit()).map_err(|e| e.to_string());
        (doctor::store(&path, verified), crate::runbook::load_all(&folders))
    });
    let (local, model) = tokio::join!(local, crate::collect::gather_once(config.clone(), user.clone()));
    let mut checks = vec![Check {
        check: "identity".into(),
        status: Status::Ok,
        detail: format!("acting as {user} (the audit trail's name for you)"),
    }];
    match local {
        Ok((store, catalog)) => {
            checks.push(store);
            checks.extend(doctor::from_model(&model));
            checks.extend(doctor::runbooks(&catalog));
        }
        Err(_) => {
            checks.push(Check {
                check: "state store".into(),
                status: Status::Fail,
                detail: "the check panicked".into(),
            });
            checks.extend(doctor::from_model(&model));
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if json {
        let value = serde_json::json!({ "ok": failed == 0, "checks": checks });
        match serde_json::to_string_pretty(&value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("opsdeck: {e}"),
        }
    } else {
        let width = checks.iter().map(|c| c.check.chars().count()).max().unwrap_or(0);
        for c in &checks {
            println!("{:<4}  {:<width$}  {}", c.status.word(), c.check, crate::text::cleaned(&c.detail));
        }
        let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
        println!("{} checks: {failed} failed, {warned} warnings", checks.len());
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
