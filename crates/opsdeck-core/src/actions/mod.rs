//! The action layer: promote and rollback as plans of steps (data, in `plan`), run by the
//! `executor` on tokio against the outside world through [`crate::outside::Outside`] (each environment's platform
//! and traffic switch, `/health` and Alertmanager, behind their traits), reporting progress as `events`, journaled and audited in the state store, and
//! finished or undone after a crash by `recover`.

pub mod cool;
pub mod events;
pub mod executor;
pub mod gate;
pub mod plan;
pub mod prune;
pub mod recover;
pub mod recover_check;
pub mod setup;
pub mod silences;
pub mod steer;
pub mod step;

pub use crate::outside::{Outside, SlotSpec};
pub use events::ActionEvent;
pub use executor::{ActionReport, Executor};
pub use plan::{plan, ActionKind, ActionPlan, Step, Target, Timing};
pub use steer::Hand;
