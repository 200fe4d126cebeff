//! The audit trail's text: how a record reads in one line (the records themselves, their hash
//! chain and verification live in the store).

pub mod anchors;
pub mod text;
