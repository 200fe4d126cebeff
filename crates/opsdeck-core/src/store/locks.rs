//! Locks: one action per (service, environment) at a time, across opsdeck processes and users.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::time::Duration;

use super::audit::{append_in, AuditEntry};
use super::error::{corrupt, sql, StoreError};
use super::holder::Holder;
use super::stale::is_stale;
use super::{time, Store};

/// A lock as taken; never reused, so a holder whose lock was broken cannot touch its successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LockId(pub i64);

impl fmt::Display for LockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A held lock, as every console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: LockId,
    pub service: String,
    pub env: String,
    pub holder: Holder,
    /// What the holder is doing, e.g. "promote api prod v1.4.0 -> v1.5.0".
    pub what: String,
    pub since: DateTime<Utc>,
    pub heartbeat: DateTime<Utc>,
}

/// The answer to [`Store::try_acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    Acquired(LockId),
    /// Someone else has it; here is who and since when.
    Held(LockInfo),
}

/// When [`Store::break_lock`] may break a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakMode {
    /// Only if [`is_stale`] says the holder is gone.
    IfStale { heartbeat_timeout: Duration },
    /// Whatever the holder's state: a person decided, and the audit record says so.
    Force,
}

const SELECT: &str =
    "SELECT id, service, env, holder_user, holder_host, holder_pid, holder_start, what, since, heartbeat FROM locks";

impl Store {
    /// Takes the lock on (`service`, `env`) for `holder`, or says who has it. Atomic across processes:
    /// one INSERT against UNIQUE(service, env) inside an IMMEDIATE transaction, so of any number of
    /// racing callers exactly one gets `Acquired` and the others see that one in `Held`.
    pub fn try_acquire(
        &mut self,
        service: &str,
        env: &str,
        holder: &Holder,
        what: &str,
    ) -> Result<LockOutcome, StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin lock"))?;
        let now = time::to_text(Utc::now());
        // Clock ticks since boot stay far below i64::MAX; a value that did not fit would only lose
        // the pid-reuse check, never the lock.
        let start = holder.process_start.and_then(|s| i64::try_from(s).ok());
        let inserted: Option<i64> = tx
            .query_row(
                "INSERT INTO locks (service, env, holder_user, holder_host, holder_pid, holder_start, what, since,
                                    heartbeat)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (service, env) DO NOTHING RETURNING id",
                params![service, env, holder.user, holder.host, holder.pid, start, what, now],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql(path, "take lock"))?;
        if let Some(id) = inserted {
            tx.commit().map_err(sql(path, "commit lock"))?;
            return Ok(LockOutcome::Acquired(LockId(id)));
        }
        let held = select_one(&tx, path, service, env)?
            .ok_or_else(|| corrupt(path, format!("lock on {service}/{env} refused but not found")))?;
        Ok(LockOutcome::Held(held))
    }

    /// Refreshes the lock's heartbeat. `LockLost` if it is no longer held: the action must stop.
    pub fn heartbeat(&mut self, id: LockId) -> Result<(), StoreError> {
        let n = self
            .conn
            .execute("UPDATE locks SET heartbeat = ?1 WHERE id = ?2", params![time::to_text(Utc::now()), id.0])
            .map_err(sql(&self.path, "heartbeat lock"))?;
        if n == 0 {
            return Err(StoreError::LockLost { path: self.path.clone(), id });
        }
        Ok(())
    }

    /// Lets the lock go. `false` if it was no longer held (released already, or broken).
    pub fn release(&mut self, id: LockId) -> Result<bool, StoreError> {
        let n =
            self.conn.execute("DELETE FROM locks WHERE id = ?1", [id.0]).map_err(sql(&self.path, "release lock"))?;
        Ok(n > 0)
    }

    /// Every held lock, by service and environment.
    pub fn locks(&self) -> Result<Vec<LockInfo>, StoreError> {
        let path = &self.path;
        let mut stmt =
            self.conn.prepare(&format!("{SELECT} ORDER BY service, env")).map_err(sql(path, "list locks"))?;
        let rows = stmt.query_map([], raw_lock).map_err(sql(path, "list locks"))?;
        rows.map(|r| r.map_err(sql(path, "list locks")).and_then(|raw| raw.into_info(path))).collect()
    }

    /// The lock on (`service`, `env`), if any.
    pub fn lock(&self, service: &str, env: &str) -> Result<Option<LockInfo>, StoreError> {
        select_one(&self.conn, &self.path, service, env)
    }

    /// Breaks the lock on (`service`, `env`) for `by`, and in the same transaction appends a
    /// `lock_break` audit record naming the old holder, the reason and why it was allowed. Refused
    /// with `NotStale` unless the holder is gone or `mode` is `Force`. Returns the broken lock.
    pub fn break_lock(
        &mut self,
        service: &str,
        env: &str,
        by: &Holder,
        reason: &str,
        mode: BreakMode,
    ) -> Result<LockInfo, StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin break"))?;
        let lock = select_one(&tx, path, service, env)?.ok_or_else(|| StoreError::NoLock {
            path: path.clone(),
            service: service.into(),
            env: env.into(),
        })?;
        let now = Utc::now();
        let stale = match mode {
            BreakMode::Force => None,
            BreakMode::IfStale { heartbeat_timeout } => {
                Some(is_stale(&lock, now, heartbeat_timeout).ok_or_else(|| StoreError::NotStale {
                    path: path.clone(),
                    service: service.into(),
                    env: env.into(),
                    holder: Box::new(lock.holder.clone()),
                })?)
            }
        };
        tx.execute("DELETE FROM locks WHERE id = ?1", [lock.id.0]).map_err(sql(path, "break lock"))?;
        let detail = serde_json::json!({
            "lock": lock.id.0,
            "holder": { "user": lock.holder.user, "host": lock.holder.host, "pid": lock.holder.pid },
            "what": lock.what,
            "since": time::to_text(lock.since),
            "heartbeat": time::to_text(lock.heartbeat),
            "by": { "host": by.host, "pid": by.pid },
            "reason": reason,
            "forced": stale.is_none(),
            "stale": stale.as_ref().map(|s| s.to_string()),
        });
        let entry = AuditEntry {
            at: now,
            user: by.user.clone(),
            kind: "lock_break".into(),
            subject: format!("{service}/{env}"),
            detail,
            outcome: "broken".into(),
        };
        append_in(&tx, path, entry)?;
        tx.commit().map_err(sql(path, "commit break"))?;
        Ok(lock)
    }
}

fn select_one(
    conn: &rusqlite::Connection,
    path: &Path,
    service: &str,
    env: &str,
) -> Result<Option<LockInfo>, StoreError> {
    conn.query_row(&format!("{SELECT} WHERE service = ?1 AND env = ?2"), [service, env], raw_lock)
        .optional()
        .map_err(sql(path, "read lock"))?
        .map(|raw| raw.into_info(path))
        .transpose()
}

/// A row as stored; times become `DateTime` in [`RawLock::into_info`], where a bad one is reported.
struct RawLock {
    id: i64,
    service: String,
    env: String,
    holder: Holder,
    process_start: Option<i64>,
    what: String,
    since: String,
    heartbeat: String,
}

fn raw_lock(r: &Row<'_>) -> rusqlite::Result<RawLock> {
    Ok(RawLock {
        id: r.get(0)?,
        service: r.get(1)?,
        env: r.get(2)?,
        holder: Holder { user: r.get(3)?, host: r.get(4)?, pid: r.get(5)?, process_start: None },
        process_start: r.get(6)?,
        what: r.get(7)?,
        since: r.get(8)?,
        heartbeat: r.get(9)?,
    })
}

impl RawLock {
    fn into_info(self, path: &Path) -> Result<LockInfo, StoreError> {
        let start = self
            .process_start
            .map(|s| u64::try_from(s).map_err(|_| corrupt(path, format!("lock {}: negative process start", self.id))))
            .transpose()?;
        Ok(LockInfo {
            id: LockId(self.id),
            since: time::from_text(path, "locks.since", &self.since)?,
            heartbeat: time::from_text(path, "locks.heartbeat", &self.heartbeat)?,
            service: self.service,
            env: self.env,
            holder: Holder { process_start: start, ..self.holder },
            what: self.what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::temp_store;
    use super::*;
    use std::sync::{Arc, Barrier};

    fn holder(user: &str) -> Holder {
        Holder::this_process(user)
    }

    fn dead_holder(user: &str) -> Holder {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        Holder { pid, process_start: None, ..Holder::this_process(user) }
    }

    const TIMEOUT: BreakMode = BreakMode::IfStale { heartbeat_timeout: Duration::from_secs(30) };

    #[test]
    fn acquire_then_held_then_release() {
        let (_dir, mut store) = temp_store();
        let LockOutcome::Acquired(id) = store.try_acquire("api", "prod", &holder("ann"), "promote").unwrap() else {
            panic!("first acquire must win")
        };
        let LockOutcome::Held(info) = store.try_acquire("api", "prod", &holder("bob"), "rollback").unwrap() else {
            panic!("second acquire must see the holder")
        };
        assert_eq!((info.id, info.holder.user.as_str(), info.what.as_str()), (id, "ann", "promote"));
        // Other pairs are independent.
        assert!(matches!(store.try_acquire("api", "staging", &holder("bob"), "x").unwrap(), LockOutcome::Acquired(_)));
        assert_eq!(store.locks().unwrap().len(), 2);
        store.heartbeat(id).unwrap();
        assert!(store.release(id).unwrap());
        assert!(!store.release(id).unwrap());
        assert!(matches!(store.heartbeat(id), Err(StoreError::LockLost { .. })));
        assert_eq!(store.lock("api", "prod").unwrap(), None);
    }

    #[test]
    fn two_stores_on_one_file_racing_from_two_threads_give_exactly_one_winner() {
        for round in 0..20 {
            let (dir, _store) = temp_store();
            let path = dir.path().join("state.db");
            let barrier = Arc::new(Barrier::new(2));
            let racers: Vec<_> = ["ann", "bob"]
                .into_iter()
                .map(|user| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        let mut store = Store::open(&path).unwrap();
                        barrier.wait();
                        (user, store.try_acquire("api", "prod", &holder(user), "promote").unwrap())
                    })
                })
                .collect();
            let results: Vec<_> = racers.into_iter().map(|h| h.join().unwrap()).collect();
            let winners: Vec<&str> =
                results.iter().filter(|(_, o)| matches!(o, LockOutcome::Acquired(_))).map(|(u, _)| *u).collect();
            assert_eq!(winners.len(), 1, "round {round}: {results:?}");
            let held = results.iter().find_map(|(_, o)| match o {
                LockOutcome::Held(info) => Some(info.holder.user.clone()),
                LockOutcome::Acquired(_) => None,
            });
            assert_eq!(held.as_deref(), Some(winners[0]), "round {round}");
        }
    }

    #[test]
    fn breaking_a_stale_lock_writes_an_audit_record_in_the_same_transaction() {
        let (_dir, mut store) = temp_store();
        let LockOutcome::Acquired(old) = store.try_acquire("api", "prod", &dead_holder("ann"), "promote").unwrap()
        else {
            panic!("acquire")
        };
        let broken = store.break_lock("api", "prod", &holder("bob"), "ann's session died", TIMEOUT).unwrap();
        assert_eq!(broken.holder.user, "ann");
        assert_eq!(store.lock("api", "prod").unwrap(), None);

        let audit = store.audit(None).unwrap();
        assert_eq!(audit.len(), 1);
        let rec = &audit[0];
        assert_eq!((rec.entry.kind.as_str(), rec.entry.subject.as_str()), ("lock_break", "api/prod"));
        assert_eq!((rec.entry.user.as_str(), rec.entry.outcome.as_str()), ("bob", "broken"));
        assert_eq!(rec.entry.detail["holder"]["user"], "ann");
        assert_eq!(rec.entry.detail["reason"], "ann's session died");
        assert_eq!(rec.entry.detail["forced"], false);
        assert!(rec.entry.detail["stale"].as_str().unwrap().contains("is gone"));
        assert!(store.verify_audit().unwrap().is_ok());

        // The old holder finds out; the next lock gets a new id.
        assert!(matches!(store.heartbeat(old), Err(StoreError::LockLost { .. })));
        let LockOutcome::Acquired(new) = store.try_acquire("api", "prod", &holder("bob"), "rollback").unwrap() else {
            panic!("acquire after break")
        };
        assert_ne!(new, old);
        assert!(!store.release(old).unwrap());
        assert!(store.lock("api", "prod").unwrap().is_some());
    }

    #[test]
    fn a_live_lock_is_only_broken_by_force() {
        let (_dir, mut store) = temp_store();
        store.try_acquire("api", "prod", &holder("ann"), "promote").unwrap();
        let err = store.break_lock("api", "prod", &holder("bob"), "impatient", TIMEOUT).unwrap_err();
        assert!(matches!(err, StoreError::NotStale { .. }), "{err}");
        assert!(err.to_string().contains("ann@"), "{err}");
        assert!(store.audit(None).unwrap().is_empty(), "a refused break writes nothing");
        assert!(store.lock("api", "prod").unwrap().is_some());

        store.break_lock("api", "prod", &holder("bob"), "ann is on leave", BreakMode::Force).unwrap();
        let audit = store.audit(None).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].entry.detail["forced"], true);
        assert!(audit[0].entry.detail["stale"].is_null());
        let err = store.break_lock("api", "prod", &holder("bob"), "again", BreakMode::Force).unwrap_err();
        assert!(matches!(err, StoreError::NoLock { .. }), "{err}");
    }
}
