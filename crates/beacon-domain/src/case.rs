//! A case's life: the statuses and the transitions allowed between them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    New,
    Triaged,
    HandedOff,
    Acknowledged,
    OnScene,
    Closed,
    Reopened,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a case cannot go from `{from}` to `{to}`")]
pub struct TransitionError {
    pub from: CaseStatus,
    pub to: CaseStatus,
}

impl CaseStatus {
    pub const ALL: &'static [CaseStatus] = &[
        CaseStatus::New,
        CaseStatus::Triaged,
        CaseStatus::HandedOff,
        CaseStatus::Acknowledged,
        CaseStatus::OnScene,
        CaseStatus::Closed,
        CaseStatus::Reopened,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Triaged => "triaged",
            CaseStatus::HandedOff => "handed_off",
            CaseStatus::Acknowledged => "acknowledged",
            CaseStatus::OnScene => "on_scene",
            CaseStatus::Closed => "closed",
            CaseStatus::Reopened => "reopened",
        }
    }

    pub fn is_open(&self) -> bool {
        *self != CaseStatus::Closed
    }

    /// Whether someone has taken responsibility (so the arrival target applies
    /// rather than the acknowledgement target).
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, CaseStatus::Acknowledged | CaseStatus::OnScene)
    }

    /// The transitions a dispatcher or responder may make. Handing off again
    /// from `handed_off` or `acknowledged` is a reassignment.
    pub fn can_go_to(&self, to: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, to),
            (New, Triaged | HandedOff | Closed)
                | (Triaged, Triaged | HandedOff | Closed)
                | (HandedOff, HandedOff | Acknowledged | Triaged | Closed)
                | (Acknowledged, HandedOff | OnScene | Closed)
                | (OnScene, Closed)
                | (Closed, Reopened)
                | (Reopened, Triaged | HandedOff | Closed)
        )
    }

    pub fn transition(&self, to: CaseStatus) -> Result<CaseStatus, TransitionError> {
        if self.can_go_to(to) { Ok(to) } else { Err(TransitionError { from: *self, to }) }
    }
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CaseStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CaseStatus::ALL.iter().copied().find(|st| st.as_str() == s).ok_or_else(|| {
            format!(
                "unknown status {s:?}; expected one of: {}",
                CaseStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::CaseStatus::*;

    #[test]
    fn the_happy_path_is_allowed() {
        let mut s = New;
        for next in [Triaged, HandedOff, Acknowledged, OnScene, Closed, Reopened, Closed] {
            s = s.transition(next).unwrap();
        }
        assert_eq!(s, Closed);
    }

    #[test]
    fn an_illegal_transition_names_both_states() {
        let err = New.transition(OnScene).unwrap_err();
        assert_eq!(err.to_string(), "a case cannot go from `new` to `on_scene`");
        assert!(Closed.transition(Acknowledged).is_err());
        assert!(OnScene.transition(New).is_err());
    }
}
