//! Newtype identifiers. Each kind of id is its own type so that a case id can
//! never be passed where a responder id is expected.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

use crate::referral::Source;

/// Namespace for deriving case ids from `source` + `external_id`.
///
/// Deriving (rather than generating) the id means two offline desktops that
/// import the same hotline referral create the same case, so sync can merge
/// them instead of duplicating the tip.
const CASE_NAMESPACE: Uuid = Uuid::from_u128(0x6b2f_3a8e_52c1_4d0a_9a4e_b3c0_1e7d_5f21);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.as_hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A case. Derived from the referral's `source` and `external_id`.
    CaseId
);
uuid_id!(
    /// An event in the log. UUIDv7, so ids sort roughly by creation time.
    EventId
);
uuid_id!(
    /// One installation of Beacon (a desktop, a command line on a server, the hub).
    DeviceId
);
uuid_id!(
    /// A note on a case.
    NoteId
);
uuid_id!(
    /// One handoff of a case to a responder.
    HandoffId
);

impl CaseId {
    pub fn for_referral(source: Source, external_id: &str) -> Self {
        let name = format!("{}\n{}", source.as_str(), external_id);
        CaseId(Uuid::new_v5(&CASE_NAMESPACE, name.as_bytes()))
    }

    /// The first eight hex digits: what people read out and type.
    pub fn short(&self) -> String {
        let mut buf = Uuid::encode_buffer();
        self.0.simple().encode_lower(&mut buf)[..8].to_string()
    }

    /// The id as it is written (hyphenated, lower case), without allocating.
    pub fn write_to<'b>(&self, buf: &'b mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &'b str {
        self.0.hyphenated().encode_lower(buf)
    }
}

impl EventId {
    pub fn new() -> Self {
        EventId(Uuid::now_v7())
    }
}

impl Default for EventId {
    fn default() -> Self {
        Self::new()
    }
}

impl DeviceId {
    pub fn new_random() -> Self {
        DeviceId(Uuid::new_v4())
    }
}

impl NoteId {
    pub fn new() -> Self {
        NoteId(Uuid::now_v7())
    }
}

impl Default for NoteId {
    fn default() -> Self {
        Self::new()
    }
}

impl HandoffId {
    pub fn new() -> Self {
        HandoffId(Uuid::now_v7())
    }
}

impl Default for HandoffId {
    fn default() -> Self {
        Self::new()
    }
}

/// A responder's id as the agency gives it (badge or staff number).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct ResponderId(pub String);

impl fmt::Display for ResponderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_id_is_stable_for_the_same_referral_and_differs_by_source() {
        let a = CaseId::for_referral(Source::HotlineCall, "NHTH-1");
        let b = CaseId::for_referral(Source::HotlineCall, "NHTH-1");
        let c = CaseId::for_referral(Source::HotlineWeb, "NHTH-1");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.short().len(), 8);
    }
}
