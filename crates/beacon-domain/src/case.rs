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

/// A change someone asks of a case. [`CaseStatus::after`] is the case's
/// state machine: from each status, where each change leads, or a refusal.
/// Every operation that changes a case's status or its responders is one
/// of these, checked against the status read inside the write transaction
/// that makes the change; the store's projections check the same rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// Triage by hand (a priority set, or `status triaged`): a new or
    /// reopened case becomes triaged; a case waiting for or with a responder
    /// keeps its status.
    Triage,
    /// Hand the case to a responder. Handing it to another responder of the
    /// same role while the first has not acknowledged is a reassignment (the
    /// first handoff is withdrawn); while someone has acknowledged or is on
    /// scene, a handoff adds or replaces a responder without moving the case
    /// backwards.
    HandOff,
    /// Take back every handoff nobody has acknowledged: the case is triaged
    /// again and lists no responder for them.
    Withdraw,
    /// A responder takes the case. Needs a handoff waiting for them.
    Acknowledge,
    /// The responder is on scene.
    ArriveOnScene,
    /// Close the case (with a disposition). Handoffs nobody acknowledged are withdrawn.
    Close,
    Reopen,
}

impl Change {
    pub const ALL: &'static [Change] = &[
        Change::Triage,
        Change::HandOff,
        Change::Withdraw,
        Change::Acknowledge,
        Change::ArriveOnScene,
        Change::Close,
        Change::Reopen,
    ];

    /// The status the change asks for (what a refusal names).
    pub fn requested(self) -> CaseStatus {
        match self {
            Change::Triage | Change::Withdraw => CaseStatus::Triaged,
            Change::HandOff => CaseStatus::HandedOff,
            Change::Acknowledge => CaseStatus::Acknowledged,
            Change::ArriveOnScene => CaseStatus::OnScene,
            Change::Close => CaseStatus::Closed,
            Change::Reopen => CaseStatus::Reopened,
        }
    }

    /// The change a `status_changed` event (or `beacon status`) asking for
    /// `to` makes from `from`. Going back to `new` is no change at all, and
    /// `handed_off` is reached by a handoff, which names its responder.
    pub fn to_reach(from: CaseStatus, to: CaseStatus) -> Option<Change> {
        match to {
            CaseStatus::Triaged if from == CaseStatus::HandedOff => Some(Change::Withdraw),
            CaseStatus::Triaged => Some(Change::Triage),
            CaseStatus::Acknowledged => Some(Change::Acknowledge),
            CaseStatus::OnScene => Some(Change::ArriveOnScene),
            CaseStatus::Closed => Some(Change::Close),
            CaseStatus::Reopened => Some(Change::Reopen),
            CaseStatus::New | CaseStatus::HandedOff => None,
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Triage => "triage",
            Change::HandOff => "hand off",
            Change::Withdraw => "withdraw the handoff",
            Change::Acknowledge => "acknowledge",
            Change::ArriveOnScene => "arrive on scene",
            Change::Close => "close",
            Change::Reopen => "reopen",
        })
    }
}

/// A change the machine refuses: the case's status and the status asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a case cannot go from `{from}` to `{to}`{}", hint_suffix(*.from, *.to))]
pub struct TransitionError {
    pub from: CaseStatus,
    pub to: CaseStatus,
}

impl TransitionError {
    /// What would make the change possible, when one step would.
    pub fn hint(&self) -> Option<&'static str> {
        hint(self.from, self.to)
    }
}

fn hint(from: CaseStatus, to: CaseStatus) -> Option<&'static str> {
    use CaseStatus::*;
    match (from, to) {
        (Closed, _) => Some("reopen it first"),
        (New | Triaged | Reopened, Acknowledged) => Some("no handoff is waiting; hand it off first"),
        (New | Triaged | Reopened | HandedOff, OnScene) => Some("a responder acknowledges it first"),
        (_, HandedOff) => Some("hand it off with `handoff`, naming the responder"),
        (Acknowledged | OnScene, Triaged) => Some("a responder has acknowledged it; hand it off or close it"),
        (New | Triaged | Reopened, Triaged) => Some("no handoff is waiting to withdraw"),
        _ => None,
    }
}

fn hint_suffix(from: CaseStatus, to: CaseStatus) -> String {
    hint(from, to).map(|h| format!(" ({h})")).unwrap_or_default()
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

    /// The state machine: the status `change` leads to from this one, or
    /// the refusal. The whole table, one row per status:
    ///
    /// | from         | triage       | hand off     | withdraw | acknowledge  | on scene | close  | reopen   |
    /// |--------------|--------------|--------------|----------|--------------|----------|--------|----------|
    /// | new          | triaged      | handed_off   | –        | –            | –        | closed | –        |
    /// | triaged      | triaged      | handed_off   | –        | –            | –        | closed | –        |
    /// | handed_off   | handed_off   | handed_off   | triaged  | acknowledged | –        | closed | –        |
    /// | acknowledged | acknowledged | acknowledged | –        | acknowledged | on_scene | closed | –        |
    /// | on_scene     | on_scene     | on_scene     | –        | on_scene     | –        | closed | –        |
    /// | closed       | –            | –            | –        | –            | –        | –      | reopened |
    /// | reopened     | triaged      | handed_off   | –        | –            | –        | closed | –        |
    ///
    /// Acknowledging a case already acknowledged or on scene is a second
    /// responder (say, the advocate) taking their handoff.
    pub fn after(self, change: Change) -> Result<CaseStatus, TransitionError> {
        use CaseStatus::*;
        let to = match (self, change) {
            (Closed, Change::Reopen) => Reopened,
            (Closed, _) | (_, Change::Reopen) => return Err(self.refuse(change)),
            (New | Triaged | Reopened, Change::Triage) => Triaged,
            (HandedOff | Acknowledged | OnScene, Change::Triage) => self,
            (New | Triaged | Reopened | HandedOff, Change::HandOff) => HandedOff,
            (Acknowledged | OnScene, Change::HandOff) => self,
            (HandedOff, Change::Withdraw) => Triaged,
            (HandedOff, Change::Acknowledge) => Acknowledged,
            (Acknowledged | OnScene, Change::Acknowledge) => self,
            (Acknowledged, Change::ArriveOnScene) => OnScene,
            (_, Change::Close) => Closed,
            _ => return Err(self.refuse(change)),
        };
        Ok(to)
    }

    fn refuse(self, change: Change) -> TransitionError {
        TransitionError { from: self, to: change.requested() }
    }

    /// Whether a status change (`beacon status`, a `status_changed` event)
    /// may take the case from this status to `to`: [`CaseStatus::after`]
    /// for the change that asks for `to`, leading exactly there.
    pub fn can_go_to(&self, to: CaseStatus) -> bool {
        self.transition(to).is_ok()
    }

    /// [`CaseStatus::can_go_to`], with the refusal.
    pub fn transition(&self, to: CaseStatus) -> Result<CaseStatus, TransitionError> {
        let refused = TransitionError { from: *self, to };
        let change = Change::to_reach(*self, to).ok_or_else(|| refused.clone())?;
        match self.after(change) {
            Ok(reached) if reached == to => Ok(to),
            _ => Err(refused),
        }
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
    use super::{CaseStatus, Change};

    /// The machine's whole table: every status against every change.
    /// `None` is a refusal.
    const TABLE: &[(CaseStatus, [Option<CaseStatus>; 7])] = &[
        //  triage          hand off          withdraw       acknowledge         on scene       close         reopen
        (New, [Some(Triaged), Some(HandedOff), None, None, None, Some(Closed), None]),
        (Triaged, [Some(Triaged), Some(HandedOff), None, None, None, Some(Closed), None]),
        (HandedOff, [Some(HandedOff), Some(HandedOff), Some(Triaged), Some(Acknowledged), None, Some(Closed), None]),
        (
            Acknowledged,
            [Some(Acknowledged), Some(Acknowledged), None, Some(Acknowledged), Some(OnScene), Some(Closed), None],
        ),
        (OnScene, [Some(OnScene), Some(OnScene), None, Some(OnScene), None, Some(Closed), None]),
        (Closed, [None, None, None, None, None, None, Some(Reopened)]),
        (Reopened, [Some(Triaged), Some(HandedOff), None, None, None, Some(Closed), None]),
    ];

    #[test]
    fn the_machine_is_the_table() {
        assert_eq!(TABLE.len(), CaseStatus::ALL.len());
        for (from, row) in TABLE {
            for (change, want) in Change::ALL.iter().zip(row) {
                let got = from.after(*change);
                match want {
                    Some(to) => assert_eq!(got, Ok(*to), "{from} + {change}"),
                    None => {
                        let err = got.expect_err(&format!("{from} + {change} should be refused"));
                        assert_eq!((err.from, err.to), (*from, change.requested()));
                    }
                }
            }
        }
    }

    #[test]
    fn a_status_change_is_the_change_that_asks_for_it() {
        for from in CaseStatus::ALL {
            for to in CaseStatus::ALL {
                let via_change = super::Change::to_reach(*from, *to).and_then(|c| from.after(c).ok());
                assert_eq!(from.can_go_to(*to), via_change == Some(*to), "{from} -> {to}");
            }
        }
        assert!(HandedOff.can_go_to(Triaged), "withdrawing a handoff");
        assert!(!Acknowledged.can_go_to(Triaged));
        assert!(!New.can_go_to(HandedOff), "a handoff names its responder");
        assert!(!Triaged.can_go_to(New));
    }

    #[test]
    fn the_happy_path_is_allowed() {
        let mut s = New;
        for change in [
            Change::Triage,
            Change::HandOff,
            Change::Acknowledge,
            Change::ArriveOnScene,
            Change::Close,
            Change::Reopen,
            Change::Close,
        ] {
            s = s.after(change).unwrap();
        }
        assert_eq!(s, Closed);
    }

    #[test]
    fn an_illegal_transition_names_both_states_and_what_would_help() {
        let err = New.transition(OnScene).unwrap_err();
        assert_eq!(err.to_string(), "a case cannot go from `new` to `on_scene` (a responder acknowledges it first)");
        let err = Closed.after(Change::Acknowledge).unwrap_err();
        assert_eq!(err.to_string(), "a case cannot go from `closed` to `acknowledged` (reopen it first)");
        assert!(OnScene.transition(New).is_err());
    }
}
