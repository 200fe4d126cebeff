//! The runbooks read from the config's folders.

use crate::runbook::Catalog;

/// What is known of runbooks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunbooksState {
    /// None until the folders were read.
    pub catalog: Option<Catalog>,
}
