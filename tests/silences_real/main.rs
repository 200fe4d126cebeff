//! Silences against the real Alertmanager, and the drain's abort on the real demo stack:
//! a. the console's flow: `s` on a firing alert, a comment, Enter -> the command the runtime
//!    carries out (the action layer's `silences::create`, audited) -> the silence is listed active
//!    and the alert suppressed; `S`, `x`, `y` -> expired, audited;
//! b. `opsdeck rollback --silence` on the demo stack: while it runs the service's alerts in the
//!    environment are silenced (the demo's HighErrorRate alert is suppressed); after it the
//!    silence is expired;
//! c. `C` while the old server drains (a slow request holds a session on it): traffic goes back
//!    to the old slot and the action ends "aborted by <user>".

#[path = "../support/mod.rs"]
mod support;

mod abort_drain;
mod common;
mod console_flow;
mod console_pty;
mod rollback_silence;
