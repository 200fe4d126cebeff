//! `opsdeck audit verify`: the local walk of the hash chain, then the chain against the anchors
//! in the registry (see [`opsdeck_core::audit::anchors`]), which catch a chain rewritten whole.

use super::audit::records;
use opsdeck_core::audit::anchors::{self, AnchorCheck};
use opsdeck_core::config::Config;
use opsdeck_core::store::Store;
use opsdeck_core::text::cleaned;
use std::process::ExitCode;

/// Exit 0 when the chain is intact and no anchor contradicts it; 1 naming the first bad record
/// (or when the store cannot be read: either way, do not trust it). The anchors' verdict is a
/// second line: on stdout when one contradicts the chain, on stderr when they could not be asked.
pub async fn verify(config: &Config) -> ExitCode {
    let path = &config.state_path;
    if !path.exists() {
        err!("opsdeck: no state store at {}: nothing to verify", path.display());
        return ExitCode::FAILURE;
    }
    let report = Store::open(path).and_then(|mut store| store.verify_audit());
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            err!("opsdeck: cannot verify the audit trail: {}", cleaned(&e.to_string()));
            return ExitCode::FAILURE;
        }
    };
    if let Some(problem) = &report.problem {
        out!("{}, chain broken: {}", records(report.records), cleaned(&problem.to_string()));
        err!("opsdeck: the audit trail in {} has been altered", path.display());
        return ExitCode::FAILURE;
    }
    out!("{}, chain intact", records(report.records));
    match anchors::check(config).await {
        AnchorCheck::Matches { anchors, seq } => {
            err!("anchors: {anchors} in the registry ({}), the newest at record {seq}: all match", anchors::REPOSITORY);
            ExitCode::SUCCESS
        }
        AnchorCheck::NoAnchors => {
            err!("anchors: none in the registry yet ({})", anchors::REPOSITORY);
            ExitCode::SUCCESS
        }
        AnchorCheck::Unchecked(why) => {
            err!("anchors: not checked: {}", cleaned(&why));
            ExitCode::SUCCESS
        }
        AnchorCheck::Mismatch { seq, tag, at, why } => {
            out!(
                "record {seq} no longer matches the registry's anchor {}:{tag} (pushed {}): {why}; \
                 the trail was rewritten from record {seq} on",
                anchors::REPOSITORY,
                at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            err!("opsdeck: the audit trail in {} has been rewritten", path.display());
            ExitCode::FAILURE
        }
    }
}
