//! Writing and reading the action journal: begin, step, finish, and what a restart must pick up.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use std::path::Path;

use super::columns::{json, RawImages};
use super::error::{corrupt, sql, StoreError};
use super::journal::{ActionFinish, ActionId, ActionOutcome, ActionRecord, JournalEntry, StepPhase, StepRecord};
use super::journal_chain::{chain_begin, chain_finish, chain_step};
use super::{time, Store};

const SELECT_ACTIONS: &str = "SELECT id, kind, service, env, from_tag, from_digest, to_tag, to_digest, hosts, user,
    started_at, plan, finished_at, outcome, reason FROM actions";

impl Store {
    /// Journals `action` before its first step runs. Its text must be safe to show to every user.
    pub fn journal_begin(&mut self, action: &ActionRecord) -> Result<ActionId, StoreError> {
        let path = &self.path;
        let hosts = serde_json::Value::from(action.hosts.clone()).to_string();
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin journal"))?;
        let id = tx
            .query_row(
                "INSERT INTO actions (kind, service, env, from_tag, from_digest, to_tag, to_digest, hosts, user,
                                      started_at, plan)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
                params![
                    action.kind,
                    action.service,
                    action.env,
                    action.from.as_ref().map(|f| &f.tag),
                    action.from.as_ref().map(|f| &f.digest),
                    action.to.tag,
                    action.to.digest,
                    hosts,
                    action.user,
                    time::to_text(action.started_at),
                    action.plan.to_string(),
                ],
                |r| r.get(0),
            )
            .map_err(sql(path, "journal action"))?;
        chain_begin(&tx, path, ActionId(id), action)?;
        tx.commit().map_err(sql(path, "commit journal"))?;
        Ok(ActionId(id))
    }

    /// Journals a step's phase: `Started` before it runs, `Finished` or `Failed` after.
    /// Refused once the action has finished: a late step must not reopen a closed record.
    pub fn journal_step(
        &mut self,
        id: ActionId,
        step_index: u32,
        step_name: &str,
        phase: StepPhase,
        detail: &str,
    ) -> Result<(), StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin step"))?;
        ensure_open(&tx, path, id)?;
        tx.execute(
            "INSERT INTO action_steps (action_id, step_index, step_name, phase, at, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id.0, step_index, step_name, phase.as_str(), time::to_text(Utc::now()), detail],
        )
        .map_err(sql(path, "journal step"))?;
        chain_step(&tx, path, id, (step_index, step_name, phase, detail))?;
        tx.commit().map_err(sql(path, "commit step"))
    }

    /// Closes the action with its outcome. Refused if it already finished: two processes that both
    /// tried to recover it would otherwise both record an end.
    pub fn journal_finish(&mut self, id: ActionId, outcome: ActionOutcome, reason: &str) -> Result<(), StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin finish"))?;
        ensure_open(&tx, path, id)?;
        tx.execute(
            "UPDATE actions SET finished_at = ?1, outcome = ?2, reason = ?3 WHERE id = ?4",
            params![time::to_text(Utc::now()), outcome.as_str(), reason, id.0],
        )
        .map_err(sql(path, "journal finish"))?;
        chain_finish(&tx, path, id, outcome, reason)?;
        tx.commit().map_err(sql(path, "commit finish"))
    }

    /// Actions begun and never finished, oldest first, with their steps: after a crash, what a
    /// restarted opsdeck must finish or undo.
    pub fn unfinished_actions(&mut self) -> Result<Vec<JournalEntry>, StoreError> {
        self.read_actions(&format!("{SELECT_ACTIONS} WHERE finished_at IS NULL ORDER BY id"), None)
    }

    /// The latest `limit` actions, newest first, finished or not.
    pub fn recent_actions(&mut self, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read_actions(&format!("{SELECT_ACTIONS} ORDER BY id DESC LIMIT ?1"), Some(limit))
    }

    fn read_actions(&mut self, query: &str, limit: Option<i64>) -> Result<Vec<JournalEntry>, StoreError> {
        let path = &self.path;
        let op = "read journal";
        // One snapshot, so steps match their actions while others write.
        let tx = self.conn.transaction().map_err(sql(path, op))?;
        let raws = {
            let mut stmt = tx.prepare(query).map_err(sql(path, op))?;
            let rows = match limit {
                Some(n) => stmt.query_map([n], raw_action).and_then(|rows| rows.collect::<Result<Vec<_>, _>>()),
                None => stmt.query_map([], raw_action).and_then(|rows| rows.collect::<Result<Vec<_>, _>>()),
            };
            rows.map_err(sql(path, op))?
        };
        raws.into_iter()
            .map(|raw| {
                let steps = steps(&tx, path, ActionId(raw.id))?;
                raw.into_entry(path, steps)
            })
            .collect()
    }
}

/// Fails unless action `id` exists and has not finished.
fn ensure_open(conn: &Connection, path: &Path, id: ActionId) -> Result<(), StoreError> {
    let finished: Option<Option<String>> = conn
        .query_row("SELECT finished_at FROM actions WHERE id = ?1", [id.0], |r| r.get(0))
        .optional()
        .map_err(sql(path, "read action"))?;
    match finished {
        None => Err(StoreError::UnknownAction { path: path.to_path_buf(), id }),
        Some(Some(_)) => Err(StoreError::ActionFinished { path: path.to_path_buf(), id }),
        Some(None) => Ok(()),
    }
}

fn steps(conn: &Connection, path: &Path, id: ActionId) -> Result<Vec<StepRecord>, StoreError> {
    let op = "read journal steps";
    let mut stmt = conn
        .prepare_cached(
            "SELECT step_index, step_name, phase, at, detail FROM action_steps WHERE action_id = ?1 ORDER BY id",
        )
        .map_err(sql(path, op))?;
    let rows = stmt
        .query_map([id.0], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?))
        })
        .map_err(sql(path, op))?;
    rows.map(|row| {
        let (step_index, step_name, phase, at, detail) = row.map_err(sql(path, op))?;
        Ok(StepRecord {
            step_index,
            phase: StepPhase::parse(&phase)
                .ok_or_else(|| corrupt(path, format!("action {id} step {step_index}: unknown phase {phase:?}")))?,
            at: time::from_text(path, "action_steps.at", &at)?,
            step_name,
            detail,
        })
    })
    .collect()
}

/// An `actions` row as stored; parsed in [`RawAction::into_entry`], where a bad value is reported.
struct RawAction {
    id: i64,
    kind: String,
    service: String,
    env: String,
    images: RawImages,
    hosts: String,
    user: String,
    started_at: String,
    plan: String,
    finished_at: Option<String>,
    outcome: Option<String>,
    reason: Option<String>,
}

fn raw_action(r: &Row<'_>) -> rusqlite::Result<RawAction> {
    Ok(RawAction {
        id: r.get(0)?,
        kind: r.get(1)?,
        service: r.get(2)?,
        env: r.get(3)?,
        images: RawImages::read(r, 4)?,
        hosts: r.get(8)?,
        user: r.get(9)?,
        started_at: r.get(10)?,
        plan: r.get(11)?,
        finished_at: r.get(12)?,
        outcome: r.get(13)?,
        reason: r.get(14)?,
    })
}

impl RawAction {
    fn into_entry(self, path: &Path, steps: Vec<StepRecord>) -> Result<JournalEntry, StoreError> {
        let id = ActionId(self.id);
        let bad = |what: String| corrupt(path, format!("action {id}: {what}"));
        let (from, to) = self.images.parse(bad)?;
        let hosts = json("hosts", &self.hosts, bad)?;
        let plan = json("plan", &self.plan, bad)?;
        let finish = match (self.finished_at, self.outcome) {
            (Some(at), Some(outcome)) => Some(ActionFinish {
                at: time::from_text(path, "actions.finished_at", &at)?,
                outcome: ActionOutcome::parse(&outcome).ok_or_else(|| bad(format!("unknown outcome {outcome:?}")))?,
                reason: self.reason.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(JournalEntry {
            id,
            action: ActionRecord {
                kind: self.kind,
                service: self.service,
                env: self.env,
                from,
                to,
                hosts,
                user: self.user,
                started_at: time::from_text(path, "actions.started_at", &self.started_at)?,
                plan,
            },
            steps,
            finish,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{action, temp_store};
    use super::*;

    #[test]
    fn begin_step_finish_and_what_is_left_unfinished() {
        let (_dir, mut store) = temp_store();
        let promote = action("promote", "api", "prod");
        let done = store.journal_begin(&promote).unwrap();
        let crashed = store.journal_begin(&action("rollback", "web", "staging")).unwrap();
        assert_ne!(done, crashed);

        store.journal_step(done, 0, "start green", StepPhase::Started, "prod-1, prod-2").unwrap();
        store.journal_step(done, 0, "start green", StepPhase::Finished, "").unwrap();
        store.journal_finish(done, ActionOutcome::Succeeded, "traffic on v1.5.0").unwrap();

        store.journal_step(crashed, 0, "start blue", StepPhase::Started, "").unwrap();
        store.journal_step(crashed, 0, "start blue", StepPhase::Finished, "").unwrap();
        store.journal_step(crashed, 1, "switch traffic", StepPhase::Started, "").unwrap();

        let left = store.unfinished_actions().unwrap();
        assert_eq!(left.len(), 1);
        let entry = &left[0];
        assert_eq!((entry.id, entry.action.kind.as_str(), entry.finish.as_ref()), (crashed, "rollback", None));
        let steps: Vec<(u32, &str, StepPhase)> =
            entry.steps.iter().map(|s| (s.step_index, s.step_name.as_str(), s.phase)).collect();
        assert_eq!(
            steps,
            vec![
                (0, "start blue", StepPhase::Started),
                (0, "start blue", StepPhase::Finished),
                (1, "switch traffic", StepPhase::Started)
            ]
        );

        let recent = store.recent_actions(10).unwrap();
        assert_eq!(recent.iter().map(|e| e.id).collect::<Vec<_>>(), vec![crashed, done], "newest first");
        let finished = &recent[1];
        let expected = ActionRecord { started_at: time::stored(promote.started_at), ..promote };
        assert_eq!(finished.action, expected, "the record reads back as written");
        let finish = finished.finish.as_ref().unwrap();
        assert_eq!((finish.outcome, finish.reason.as_str()), (ActionOutcome::Succeeded, "traffic on v1.5.0"));
        assert_eq!(finished.steps.len(), 2);
        assert_eq!(store.recent_actions(1).unwrap().len(), 1);

        store.journal_finish(crashed, ActionOutcome::Undone, "found unfinished at startup").unwrap();
        assert!(store.unfinished_actions().unwrap().is_empty());
    }

    #[test]
    fn a_finished_action_takes_no_more_steps_or_finishes() {
        let (_dir, mut store) = temp_store();
        let id = store.journal_begin(&action("promote", "api", "prod")).unwrap();
        store.journal_finish(id, ActionOutcome::RolledBack, "5xx above 2% at 25%").unwrap();
        let late = store.journal_step(id, 3, "canary 50%", StepPhase::Started, "").unwrap_err();
        assert!(matches!(late, StoreError::ActionFinished { .. }), "{late}");
        let again = store.journal_finish(id, ActionOutcome::Succeeded, "").unwrap_err();
        assert!(matches!(again, StoreError::ActionFinished { .. }), "{again}");
        let unknown = store.journal_step(ActionId(999), 0, "x", StepPhase::Started, "").unwrap_err();
        assert!(matches!(unknown, StoreError::UnknownAction { .. }), "{unknown}");
        assert!(unknown.to_string().contains("state.db"), "{unknown}");
    }

    #[test]
    fn a_first_deploy_has_no_from() {
        let (_dir, mut store) = temp_store();
        let first = ActionRecord { from: None, ..action("promote", "api", "dev") };
        store.journal_begin(&first).unwrap();
        assert_eq!(store.unfinished_actions().unwrap()[0].action.from, None);
    }
}
