//! Colours and styles. (being written)
