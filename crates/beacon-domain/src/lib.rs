//! Beacon's domain: what a referral is, what a case becomes, how it is triaged,
//! who it is handed to and what is shared.
//!
//! Everything here is pure: no files, no database, no clock except the one you
//! inject. The store, the command line and the desktop app all call into this
//! crate so that a rule lives in exactly one place.
#![forbid(unsafe_code)]

pub mod access;
pub mod case;
pub mod chain;
pub mod clock;
pub mod delivery;
pub mod event;
pub mod ids;
pub mod intake;
pub mod jurisdiction;
pub mod links;
pub mod phones;
pub mod queue;
pub mod referral;
pub mod responder;
pub mod retention;
pub mod roster;
pub mod sharing;
pub mod triage;
pub mod validate;

pub use access::{AccountChange, Action, User, UserRole};
pub use case::{CaseStatus, Change, TransitionError};
pub use chain::{Chained, EventHash};
pub use clock::{Clock, Hlc, HlcClock, ManualClock, SystemClock};
pub use event::{Actor, Event, EventBody};
pub use ids::{CaseId, DeviceId, EventId, HandoffId, NoteId, ResponderId};
pub use jurisdiction::{AssignMethod, JurisdictionAssignment};
pub use queue::{QueueGroup, QueuePlace, QueueQuery, QueueReason, Standing};
pub use referral::Referral;
pub use responder::{Responder, Role};
pub use triage::{Priority, Progress, Reason, Targets, Triage};
pub use validate::{FieldError, RecordError};
