use super::*;
use crate::config::parse_str;

fn config() -> Config {
    parse_str(crate::testing::CONFIG).expect("config")
}

fn with(edit: impl FnOnce(&mut Config)) -> Config {
    let mut c = config();
    edit(&mut c);
    c
}

fn prod(c: &mut Config) -> &mut crate::config::EnvironmentConfig {
    c.environments.iter_mut().find(|e| e.name == "prod").expect("prod")
}

#[test]
fn the_same_or_a_stricter_config_weakens_nothing() {
    let recorded = Policy::of(&config());
    assert!(recorded.weakened_by(&Policy::of(&config())).is_empty());
    let stricter = with(|c| {
        prod(c).approvers = vec!["alice".into()];
        let staging = c.environments.iter_mut().find(|e| e.name == "staging").expect("staging");
        staging.approval = ApprovalPolicy::Required.into();
        staging.approvers = vec!["bob".into()];
    });
    assert!(recorded.weakened_by(&Policy::of(&stricter)).is_empty());
}

#[test]
fn each_way_of_weakening_is_named() {
    let recorded = Policy::of(&config());
    let none = with(|c| prod(c).approval = ApprovalPolicy::None.into());
    assert_eq!(
        recorded.weakened_by(&Policy::of(&none)),
        ["prod: the store requires approval, this config says approval = \"none\""]
    );
    let more = with(|c| prod(c).approvers.push("mallory".into()));
    assert_eq!(
        recorded.weakened_by(&Policy::of(&more)),
        ["prod: approvers mallory are not in the store's policy (alice, bob)"]
    );
    // prod renamed: the same HAProxy backends under another name without approval.
    let renamed = with(|c| {
        let env = prod(c);
        env.name = "prod2".into();
        env.approval = ApprovalPolicy::None.into();
        for s in &mut c.services {
            let route = s.environments.remove("prod").expect("route");
            s.environments.insert("prod2".into(), route);
        }
    });
    let lines = recorded.weakened_by(&Policy::of(&renamed));
    assert!(lines.iter().any(|l| l.starts_with("prod2: switches unix:///tmp/demo/haproxy.sock#api_prod")), "{lines:?}");
}

#[test]
fn break_glass_rollbacks_weaken_a_policy_that_requires_approval_for_every_rollback() {
    let strict = with(|c| prod(c).approval.rollback = crate::config::RollbackApproval::Required);
    let recorded = Policy::of(&strict);
    assert!(recorded.weakened_by(&Policy::of(&strict)).is_empty());
    assert_eq!(
        recorded.weakened_by(&Policy::of(&config())),
        ["prod: the store requires approval for every rollback, this config lets a rollback to the previous \
          release go without it (approval.rollback = \"required\" keeps it)"]
    );
    // The other way round is stricter: fine.
    assert!(Policy::of(&config()).weakened_by(&Policy::of(&strict)).is_empty());
    // A record written before break-glass rollbacks existed required approval for every one.
    let mut old = serde_json::to_value(Policy::of(&config())).expect("json");
    for env in old["environments"].as_array_mut().expect("environments") {
        env.as_object_mut().expect("rule").remove("rollback");
    }
    let old: Policy = serde_json::from_value(old).expect("an old record reads");
    assert_eq!(old.weakened_by(&Policy::of(&config())).len(), 1, "the owner must accept break-glass");
}

#[test]
fn changes_list_every_difference() {
    let before = Policy::of(&config());
    let after = Policy::of(&with(|c| prod(c).approvers = vec!["alice".into(), "carol".into()]));
    let changes = before.changes_to(&after);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].starts_with("prod: approval required by alice, bob;"), "{changes:?}");
    assert!(changes[0].contains("-> approval required by alice, carol;"), "{changes:?}");
    assert!(before.changes_to(&before).is_empty());
}

#[test]
fn the_first_load_records_then_a_weaker_config_is_refused_until_the_owner_sets_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config();
    c.state_path = dir.path().join("state.db");
    let path = Path::new("/etc/opsdeck/opsdeck.toml");
    // The test's user owns the store it creates: the first load records the policy.
    let first = enforce(&c, path, "ann").expect("first");
    assert!(matches!(first, Standing::FirstRecorded(ref r) if r.by == "ann"), "{first:?}");
    assert!(matches!(enforce(&c, path, "bob").expect("again"), Standing::Holds(_)));

    let mut weak = c.clone();
    prod(&mut weak).approval = ApprovalPolicy::None.into();
    let refused = enforce(&weak, path, "bob").expect_err("weaker");
    assert!(refused.starts_with("/etc/opsdeck/opsdeck.toml: this config weakens the approval policy"), "{refused}");
    assert!(refused.contains("prod: the store requires approval, this config says approval = \"none\""), "{refused}");
    assert!(refused.contains("`opsdeck policy set --config FILE`"), "{refused}");

    let (recorded, changes) = set(&weak, "root").expect("set");
    assert_eq!(recorded.expect("recorded").by, "root");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(matches!(enforce(&weak, path, "bob").expect("now it holds"), Standing::Holds(_)));
    // Setting the same again writes nothing.
    let store = Store::open(&c.state_path).expect("store");
    let records = store.audit(None).expect("audit").len();
    let (_, none) = set(&weak, "root").expect("set again");
    assert!(none.is_empty());
    assert_eq!(store.audit(None).expect("audit").len(), records);
    let kinds: Vec<String> = store.audit(None).expect("audit").into_iter().map(|r| r.entry.outcome).collect();
    assert_eq!(kinds, ["recorded", "changed"]);
}
