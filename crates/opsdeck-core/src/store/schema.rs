//! The store's schema, as the ordered list of migrations that build it. Schema version N is the
//! state after the first N entries; a released entry is never edited, only followed by a new one.

/// The hash that the first audit record links back to.
pub(crate) const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Migration `i` (0-based) takes the schema from version `i` to version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[LOCKS, JOURNAL, AUDIT, REQUESTS, RUNBOOK_RUNS, ANCHOR];

/// Version 1: one lock per (service, environment).
const LOCKS: &str = "
CREATE TABLE locks (
    -- AUTOINCREMENT so an id is never reused: a holder whose lock was broken cannot heartbeat or
    -- release the lock that someone else took after it.
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    service      TEXT NOT NULL,
    env          TEXT NOT NULL,
    holder_user  TEXT NOT NULL,
    holder_host  TEXT NOT NULL,
    holder_pid   INTEGER NOT NULL,
    -- Start time of the holder's process in clock ticks since boot (/proc/<pid>/stat field 22).
    holder_start INTEGER,
    what         TEXT NOT NULL,
    since        TEXT NOT NULL,
    heartbeat    TEXT NOT NULL,
    -- The lock itself: a second INSERT for the same pair fails, whatever process or user tries it.
    UNIQUE (service, env)
);
";

/// Version 2: the action journal, written before and after every step so a restart can finish or undo.
const JOURNAL: &str = "
CREATE TABLE actions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    service     TEXT NOT NULL,
    env         TEXT NOT NULL,
    from_tag    TEXT,
    from_digest TEXT,
    to_tag      TEXT NOT NULL,
    to_digest   TEXT NOT NULL,
    hosts       TEXT NOT NULL, -- JSON array of host names
    user        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    plan        TEXT NOT NULL, -- JSON, as the action layer wrote it
    finished_at TEXT,
    outcome     TEXT CHECK (outcome IN ('succeeded', 'failed', 'rolled_back', 'undone')),
    reason      TEXT,
    CHECK ((finished_at IS NULL) = (outcome IS NULL))
);
-- Startup asks for unfinished actions; this keeps that cheap however long the journal grows.
CREATE INDEX actions_unfinished ON actions (id) WHERE finished_at IS NULL;

CREATE TABLE action_steps (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id  INTEGER NOT NULL REFERENCES actions (id),
    step_index INTEGER NOT NULL,
    step_name  TEXT NOT NULL,
    phase      TEXT NOT NULL CHECK (phase IN ('started', 'finished', 'failed')),
    at         TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX action_steps_by_action ON action_steps (action_id, id);
";

/// Version 3: the audit trail, a hash chain, plus its head (last seq and hash) so that records cut
/// from the end, or added past it, show too. Triggers refuse edits made through SQL; whoever drops
/// them can edit, and `verify_audit` then names the record.
const AUDIT: &str = "
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL, -- canonical JSON, hashed exactly as stored
    outcome   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

CREATE TRIGGER audit_append_at_head BEFORE INSERT ON audit
WHEN NEW.seq IS NOT (SELECT seq + 1 FROM audit_head) OR NEW.prev_hash IS NOT (SELECT hash FROM audit_head)
BEGIN SELECT RAISE(ABORT, 'audit records are appended at the head of the chain'); END;

CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.id IS NOT 1 OR NEW.seq IS NOT OLD.seq + 1
    OR NEW.hash IS NOT (SELECT hash FROM audit WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'the audit head only moves to the record just appended'); END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'the audit head cannot be deleted'); END;
";

/// Version 4: approval requests. A request is decided once: every change of `state` happens in an
/// IMMEDIATE transaction that re-reads it, together with the audit record that describes it.
const REQUESTS: &str = "
CREATE TABLE requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    service         TEXT NOT NULL,
    env             TEXT NOT NULL,
    from_tag        TEXT,
    from_digest     TEXT,
    to_tag          TEXT NOT NULL,
    to_digest       TEXT NOT NULL,
    hosts           TEXT NOT NULL, -- JSON array of host names
    reason          TEXT NOT NULL,
    plan            TEXT NOT NULL, -- JSON: the plan as shown to the requester
    state           TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'refused', 'done', 'failed')),
    decided_by      TEXT,
    decided_at      TEXT,
    decision_reason TEXT,
    action_id       INTEGER REFERENCES actions (id)
);
-- Listing and expiring look at pending requests; this keeps that cheap however many are kept.
CREATE INDEX requests_pending ON requests (expires_at) WHERE state = 'pending';
";

/// Version 5: where each runbook run stands, so that it can be left and resumed (by anyone).
/// One row per (runbook, alert fingerprint); a run without an alert has the empty fingerprint.
const RUNBOOK_RUNS: &str = "
CREATE TABLE runbook_runs (
    runbook    TEXT NOT NULL,
    alert      TEXT NOT NULL,
    -- 0-based index of the step to run next; the number of steps once all are done.
    next_step  INTEGER NOT NULL CHECK (next_step >= 0),
    -- JSON array, one entry per step: null until it ran, else its last outcome.
    outcomes   TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (runbook, alert)
);
";

/// Version 6: how far the audit chain is anchored in the registry (`audit::anchors`), and why the
/// last push failed. One row; only what to push next depends on it, never what verify trusts.
const ANCHOR: &str = "
CREATE TABLE audit_anchor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    -- The last record anchored (0: none yet), and its hash and tag.
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    hash      TEXT NOT NULL,
    tag       TEXT NOT NULL,
    pushed_at TEXT,
    tried_at  TEXT,
    -- Why the last try failed; NULL when it did not.
    error     TEXT
);
INSERT INTO audit_anchor (id, seq, hash, tag) VALUES (1, 0, '', '');
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_is_a_sha256_sized_hex_string_and_the_audit_migration_uses_it() {
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(AUDIT.contains(GENESIS_HASH));
    }
}
