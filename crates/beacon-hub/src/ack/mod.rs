//! Answers from the field: the page a responder opens from the link in a
//! handoff's mail or webhook, and its Acknowledge and On scene buttons.

pub mod link;
