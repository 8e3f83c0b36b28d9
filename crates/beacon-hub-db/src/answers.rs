//! A responder's answers to a handoff (acknowledged, on scene), decided once
//! for every backend: what the hub keeps of each (from a desktop's push or
//! from the link in a delivery), and the events it writes when the answer
//! comes by the link.

use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, CaseStatus, HandoffId, ResponderId, Role};

/// What a responder answers from the link in a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Acknowledge,
    OnScene,
}

impl std::str::FromStr for Answer {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "acknowledge" => Ok(Answer::Acknowledge),
            "on_scene" => Ok(Answer::OnScene),
            _ => Err(()),
        }
    }
}

/// A handoff as the hub holds it, with its answers so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffState {
    pub handoff_id: HandoffId,
    pub case_id: CaseId,
    pub responder_id: ResponderId,
    pub responder_name: String,
    pub role: Role,
    /// Whether it is the handoff standing for its case and role (a later
    /// one replaces it).
    pub stands: bool,
    pub acknowledged_at: Option<i64>,
    pub on_scene_at: Option<i64>,
    pub case_closed_at: Option<i64>,
    /// The `handed_off` event's body, as stored.
    pub handoff_body: String,
    /// The case's `referral_received` body, when the hub holds it.
    pub referral_body: Option<String>,
}

/// Why an answer by link changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefused {
    #[error("the case was handed to someone else")]
    Replaced,
    #[error("the case is closed")]
    Closed,
}

/// The events an answer by link writes, in order: none when it was given
/// already (pressing twice, or on two phones, changes nothing); on scene
/// before an acknowledgement acknowledges first, as the case's state
/// machine asks ([`CaseStatus::after`]).
pub fn events_for(state: &HandoffState, answer: Answer) -> Result<Vec<EventBody>, AnswerRefused> {
    if state.case_closed_at.is_some() {
        return Err(AnswerRefused::Closed);
    }
    if !state.stands {
        return Err(AnswerRefused::Replaced);
    }
    let mut out = Vec::new();
    if state.acknowledged_at.is_none() {
        out.push(EventBody::Acknowledged {
            handoff_id: Some(state.handoff_id),
            responder_id: Some(state.responder_id.clone()),
        });
    }
    if answer == Answer::OnScene && state.on_scene_at.is_none() {
        out.push(EventBody::StatusChanged {
            from: CaseStatus::Acknowledged,
            to: CaseStatus::OnScene,
            disposition: None,
        });
    }
    Ok(out)
}

/// Who the hub writes an answer by link as: the responder, and how.
pub fn actor(state: &HandoffState) -> String {
    format!("{} (by link)", state.responder_id.0)
}

/// What an event tells the hub of answers, as the backends keep them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// This handoff was acknowledged (or, when the event named none, every
    /// standing handoff of the case to this responder, or of the case).
    Acknowledged {
        case_id: CaseId,
        handoff_id: Option<HandoffId>,
        responder_id: Option<ResponderId>,
    },
    /// A responder is on scene: every standing handoff of the case.
    OnScene {
        case_id: CaseId,
    },
    Closed {
        case_id: CaseId,
    },
    Reopened {
        case_id: CaseId,
    },
}

impl Progress {
    pub fn case_id(&self) -> CaseId {
        match self {
            Progress::Acknowledged { case_id, .. }
            | Progress::OnScene { case_id }
            | Progress::Closed { case_id }
            | Progress::Reopened { case_id } => *case_id,
        }
    }
}

/// The progress an event of `case_id` makes, if any.
pub fn progress(case_id: CaseId, body: &EventBody) -> Option<Progress> {
    match body {
        EventBody::Acknowledged { handoff_id, responder_id } => {
            Some(Progress::Acknowledged { case_id, handoff_id: *handoff_id, responder_id: responder_id.clone() })
        }
        EventBody::StatusChanged { to: CaseStatus::OnScene, .. } => Some(Progress::OnScene { case_id }),
        EventBody::StatusChanged { to: CaseStatus::Closed, .. } => Some(Progress::Closed { case_id }),
        EventBody::StatusChanged { to: CaseStatus::Reopened, .. } => Some(Progress::Reopened { case_id }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_domain::referral::Source;

    fn state() -> HandoffState {
        HandoffState {
            handoff_id: HandoffId::new(),
            case_id: CaseId::for_referral(Source::HotlineCall, "A-1"),
            responder_id: ResponderId("T-1".into()),
            responder_name: "Trooper One".into(),
            role: Role::Trooper,
            stands: true,
            acknowledged_at: None,
            on_scene_at: None,
            case_closed_at: None,
            handoff_body: String::new(),
            referral_body: None,
        }
    }

    #[test]
    fn an_answer_is_written_once_and_on_scene_acknowledges_first() {
        let s = state();
        let kinds = |events: Vec<EventBody>| events.iter().map(|e| e.kind()).collect::<Vec<_>>();
        assert_eq!(kinds(events_for(&s, Answer::Acknowledge).unwrap()), ["acknowledged"]);
        assert_eq!(kinds(events_for(&s, Answer::OnScene).unwrap()), ["acknowledged", "status_changed"]);
        let acked = HandoffState { acknowledged_at: Some(1), ..s.clone() };
        assert!(events_for(&acked, Answer::Acknowledge).unwrap().is_empty(), "twice changes nothing");
        assert_eq!(kinds(events_for(&acked, Answer::OnScene).unwrap()), ["status_changed"]);
        let there = HandoffState { on_scene_at: Some(2), ..acked };
        assert!(events_for(&there, Answer::OnScene).unwrap().is_empty());
        let replaced = HandoffState { stands: false, ..s.clone() };
        assert_eq!(events_for(&replaced, Answer::Acknowledge), Err(AnswerRefused::Replaced));
        let closed = HandoffState { case_closed_at: Some(3), ..s };
        assert_eq!(events_for(&closed, Answer::OnScene), Err(AnswerRefused::Closed));
    }
}
