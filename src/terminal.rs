//! Terminal setup and restore. (being written)
