//! The sync protocol between desktops and the hub (see ARCHITECTURE.md,
//! "Sync"). Messages only: the hub (`beacon-hub`) and the desktop's client
//! both build on these types, so the two sides cannot drift.
//!
//! - A device **pushes** its own events, in sequence, each carrying its
//!   place in the device's hash chain ([`beacon_domain::chain`]).
//! - A device **pulls** what the hub holds after a cursor: the hub's arrival
//!   order, opaque to the device.
//! - A refusal is a [`SyncError`] with a stable code and whether a retry
//!   can help.

#![forbid(unsafe_code)]

mod enrol;
mod error;
mod intake;
mod wire;

pub use enrol::{EnrolRequest, EnrolResponse};
pub use error::SyncError;
pub use intake::{IntakeOutcome, IntakeReport, Rejection};
pub use wire::{
    Cursor, HubDirectory, HubTarget, PullRequest, PullResponse, PushRequest, PushResponse, ResponderReach, WireEvent,
};
