//! The audit trail in a real state store, tampered with by hand the way an attacker with write access
//! to the file would: the `sqlite3` shell, the guarding triggers dropped first. Each kind of change
//! (a field, a deleted row, two rows swapped, a forged row) is made on a fresh copy of the file, and
//! `opsdeck audit verify` must name the record and exit 1; the untouched file verifies. Also: the
//! listing, `--json`, and the JSON-lines export checked offline with the recipe the README gives.

#[path = "../support/mod.rs"]
mod support;

use support::recipe;
mod tampering;
mod trail;
mod untouched;
