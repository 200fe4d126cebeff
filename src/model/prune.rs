//! The prune overlay (`P` in the Images pane): what pruning the selected service would delete,
//! then its progress and how each deletion ended.

use opsdeck_core::actions::prune::{PrunePlan, Pruned};

/// Where a console prune is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum PrunePhase {
    /// Shown, waiting for y (or Enter) to delete, any other key to leave.
    Asking,
    /// Confirmed: the locks are taken, the state read again, the confirmed images deleted.
    Running,
    /// How each deletion ended (the images the fresh state still allowed).
    Done(Vec<Pruned>),
    /// Nothing deleted, and why (a lock held, a host down since, the store unreadable).
    Refused(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PruneView {
    pub plan: PrunePlan,
    pub phase: PrunePhase,
}
