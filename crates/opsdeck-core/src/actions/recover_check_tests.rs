use super::*;
use crate::actions::ActionKind;
use crate::testing::{gen_config, gen_journal_entry, gen_now, gen_plan, GenRun};

fn checked(edit: impl FnOnce(&mut ActionPlan)) -> Result<(), String> {
    let mut plan = gen_plan(ActionKind::Promote, "api", "prod");
    let entry = gen_journal_entry(7, &plan, "alice", gen_now(), GenRun::Running { done: 1 });
    edit(&mut plan);
    matches_config(&gen_config(), &entry, &plan)
}

#[test]
fn a_plan_the_executor_made_matches_the_config() {
    checked(|_| {}).expect("a real plan");
}

#[test]
fn a_plan_naming_what_the_config_does_not_allow_is_refused() {
    type Edit = Box<dyn FnOnce(&mut ActionPlan)>;
    let cases: [(&str, Edit); 7] = [
        ("not from 127.0.0.1:5000/api", Box::new(|p| p.new_slots[0].image = "evil.example/api:latest".into())),
        ("not from 127.0.0.1:5000/api", Box::new(|p| p.old_slots[0].image = "127.0.0.1:5000/web:v1".into())),
        ("is not one of prod's", Box::new(|p| p.hosts.push("db-1".into()))),
        ("not one of this action's", Box::new(|p| p.new_slots[0].slot = p.from_slot.clone())),
        ("HAProxy backend web_prod", Box::new(|p| p.backend = "web_prod".into())),
        ("its plan is for api/staging", Box::new(|p| p.env = "staging".into())),
        ("do not all run", Box::new(|p| p.new_slots[0].digest = "sha256:0000".into())),
    ];
    for (want, edit) in cases {
        let err = checked(edit).expect_err(want);
        assert!(err.contains(want), "{want}: {err}");
    }
}
