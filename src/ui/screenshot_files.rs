//! The README's screenshots, made from the same buffers the snapshot tests draw: the committed
//! SVGs must equal what the code draws now. Regenerate them with
//! `UPDATE_SCREENSHOTS=1 cargo test -p opsdeck --lib screenshots`.

use super::screenshot::{buffer_to_svg_on, TerminalColors, DARK, LIGHT};
use super::tests::focused;
use super::*;
use crate::test_support::{
    gen_approval_view_model, gen_audit_model, gen_chart_model, gen_confirm, gen_demo_model, gen_demo_model_all_up,
    gen_detail_model, gen_history_model, gen_logs_model,
};
use crate::test_support::{gen_canary_model, gen_drain_model, gen_silence_form_model, gen_silences_model};
use opsdeck_core::actions::ActionKind;
use std::path::PathBuf;

fn shots() -> Vec<(&'static str, Model, u16, u16)> {
    let mut help = gen_demo_model();
    help.ui.show(Overlay::Help, true);
    let mut confirm = gen_demo_model_all_up();
    confirm.ui.set_confirm(Some(gen_confirm(ActionKind::Promote, "api", "prod", "pr")));
    let mut sparklines = gen_history_model();
    sparklines.ui.focus = Pane::Health;
    sparklines.ui.env_col = 2;
    let mut drain = gen_drain_model();
    drain.ui.focus = Pane::Actions;
    let mut canary = gen_canary_model();
    canary.ui.focus = Pane::Actions;
    // prod on two hosts, both answering: `2/2` in the matrix, a Health row per host and slot.
    let mut two_hosts = gen_demo_model_all_up();
    two_hosts.ui.focus = Pane::Health;
    two_hosts.ui.env_col = 2;
    // prod on a swarm: a Health row per task with its node.
    let mut swarm = Model { world: opsdeck_core::testing::gen_swarm_world(), ..gen_demo_model() };
    swarm.ui.focus = Pane::Health;
    (swarm.ui.env_col, swarm.ui.health_row) = (2, 4);
    vec![
        ("console-80x24", focused(Pane::Environments), 80, 24),
        ("swarm-160x48", swarm, 160, 48),
        ("console-160x48", focused(Pane::Environments), 160, 48),
        ("health-160x48", focused(Pane::Health), 160, 48),
        ("two-hosts-160x48", two_hosts, 160, 48),
        ("alerts-160x48", focused(Pane::Alerts), 160, 48),
        ("help-80x24", help, 80, 24),
        ("actions-80x24", focused(Pane::Actions), 80, 24),
        ("actions-160x48", focused(Pane::Actions), 160, 48),
        ("confirm-prod-80x24", confirm, 80, 24),
        ("approvals-80x24", focused(Pane::Approvals), 80, 24),
        ("approval-view-80x24", gen_approval_view_model(), 80, 24),
        ("audit-160x48", gen_audit_model(), 160, 48),
        ("health-sparklines-80x24", sparklines.clone(), 80, 24),
        ("health-sparklines-160x48", sparklines, 160, 48),
        ("health-chart-80x24", gen_chart_model(), 80, 24),
        ("health-chart-160x48", gen_chart_model(), 160, 48),
        ("container-detail-80x24", gen_detail_model(), 80, 24),
        ("container-detail-160x48", gen_detail_model(), 160, 48),
        ("silence-form-80x24", gen_silence_form_model(), 80, 24),
        ("silences-160x48", gen_silences_model(), 160, 48),
        ("drain-80x24", drain.clone(), 80, 24),
        ("drain-160x48", drain, 160, 48),
        ("canary-80x24", canary.clone(), 80, 24),
        ("canary-160x48", canary, 160, 48),
        ("logs-80x24", gen_logs_model(), 80, 24),
        ("logs-160x48", gen_logs_model(), 160, 48),
        ("runbook-160x48", crate::test_support::gen_runbook_model(1, crate::model::runbook::StepPhase::Idle), 160, 48),
        (
            "palette-80x24",
            {
                let mut m = gen_demo_model_all_up();
                m.ui.set_palette(Some(crate::model::palette::PaletteState { query: "pro".into(), selected: 1 }));
                m
            },
            80,
            24,
        ),
        ("prune-80x24", crate::test_support::gen_prune_model(crate::model::prune::PrunePhase::Asking), 80, 24),
        ("runbook-80x24", crate::test_support::gen_runbook_model(0, crate::model::runbook::StepPhase::Idle), 80, 24),
    ]
}

/// The console in each built-in theme, prod coloured red and selected, and a prod confirmation
/// framed in prod's colour; the light theme as a light terminal shows it.
fn theme_shots() -> Vec<(String, Model, u16, u16, &'static TerminalColors)> {
    use super::theme_tests::{themed, with_env_color};
    use opsdeck_core::config::EnvColor;
    let mut shots: Vec<_> = crate::theme::BUILTIN
        .iter()
        .map(|(name, _)| {
            let mut m = with_env_color(focused(Pane::Environments), "prod", EnvColor::Red);
            m.ui.env_col = 2;
            let term = if *name == "light" { &LIGHT } else { &DARK };
            (format!("theme-{name}-80x24"), themed(m, name), 80, 24, term)
        })
        .collect();
    let mut confirm = with_env_color(gen_demo_model_all_up(), "prod", EnvColor::Red);
    confirm.ui.set_confirm(Some(gen_confirm(ActionKind::Promote, "api", "prod", "pr")));
    shots.push(("env-color-confirm-80x24".into(), confirm, 80, 24, &DARK));
    shots
}

#[test]
fn screenshots_match_the_code() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let update = std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1");
    let all = shots().into_iter().map(|(name, m, w, h)| (name.to_string(), m, w, h, &DARK)).chain(theme_shots());
    for (name, model, w, h, term) in all {
        let svg = buffer_to_svg_on(&render_to_buffer(&model, w, h), term);
        let path = dir.join(format!("{name}.svg"));
        if update {
            std::fs::create_dir_all(&dir).expect("screenshots dir");
            std::fs::write(&path, &svg).expect("write screenshot");
        } else {
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == svg,
                "{} is stale: run UPDATE_SCREENSHOTS=1 cargo test -p opsdeck --lib screenshots",
                path.display()
            );
        }
    }
}
