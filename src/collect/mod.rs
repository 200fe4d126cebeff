//! Background tasks that watch the outside systems and send owned results as messages.
