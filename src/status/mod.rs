//! `opsdeck status`. (being written)
