//! Escalation, decided once for every backend.
//!
//! - **Filed with the handoff.** A handoff that stands at the hub gets a
//!   deadline per step (acknowledge; on scene, where its priority has an
//!   on-scene target), from the targets in force when it reached the hub
//!   ([`crate::settings`]). A later change of targets moves no deadline
//!   already filed.
//! - **Settled** when the step is met (whoever tells the hub: the
//!   responder's desktop, the command line, the link), when another handoff
//!   of the case and role replaces it, or when the case is closed.
//! - **Fired once.** A deadline that passes unsettled is fired in one
//!   transaction that marks it fired and writes what [`decide`] says: an
//!   `escalated` event naming the supervisor on duty for the case's troop,
//!   and a handoff of the case to the next suggested responder of the same
//!   role (which gets deadlines of its own). A backend takes the rows under
//!   its append lock, so with several hub processes, and across restarts,
//!   each deadline fires exactly once.

use std::collections::HashMap;

use beacon_domain::delivery::Step;
use beacon_domain::event::EventBody;
use beacon_domain::referral::Referral;
use beacon_domain::responder::{Responder, suggest};
use beacon_domain::{CaseId, HandoffId, JurisdictionAssignment, Priority, ResponderId, Role};

/// Who the hub's escalation handoffs name as having made them.
pub const ESCALATION_ACTOR: &str = "hub (escalation)";

/// What the hub knows of a case from its events: the referral, where it is
/// now and its priority now.
#[derive(Clone, Debug, Default)]
pub struct CaseFacts {
    pub referral: Option<Referral>,
    pub jurisdiction: Option<JurisdictionAssignment>,
    pub priority: Option<Priority>,
}

impl CaseFacts {
    /// Fold the bodies of the case's `referral_received`,
    /// `jurisdiction_changed` and `priority_overridden` events, in order.
    pub fn from_bodies<'a>(bodies: impl IntoIterator<Item = &'a str>) -> CaseFacts {
        let mut facts = CaseFacts::default();
        for body in bodies {
            match serde_json::from_str::<EventBody>(body) {
                Ok(EventBody::ReferralReceived { referral, triage, jurisdiction }) => {
                    facts.referral = Some(*referral);
                    facts.priority = Some(triage.priority);
                    facts.jurisdiction = Some(jurisdiction);
                }
                Ok(EventBody::JurisdictionChanged { to, .. }) => facts.jurisdiction = Some(to),
                Ok(EventBody::PriorityOverridden { to, .. }) => facts.priority = Some(to),
                _ => {}
            }
        }
        facts
    }
}

/// The event kinds [`CaseFacts::from_bodies`] reads.
pub const FACT_KINDS: [&str; 3] = ["referral_received", "jurisdiction_changed", "priority_overridden"];

/// A deadline to file for a handoff that now stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub step: Step,
    pub due_at: i64,
}

/// The deadlines of a handoff reaching the hub at `now_ms` for a case of
/// `priority` (P2 when the hub does not know it: the middle of the scale).
pub fn deadlines(settings: &crate::HubSettings, priority: Option<Priority>, now_ms: i64) -> Vec<Deadline> {
    let target = settings.target(priority.unwrap_or(Priority::P2));
    let mut out = vec![Deadline { step: Step::Acknowledge, due_at: now_ms + target.ack_ms }];
    if let Some(ms) = target.onscene_ms {
        out.push(Deadline { step: Step::OnScene, due_at: now_ms + ms });
    }
    out
}

/// A deadline that passed unsettled, as a backend took it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueEscalation {
    pub handoff_id: HandoffId,
    pub step: Step,
    pub case_id: CaseId,
    pub responder_id: ResponderId,
    pub responder_name: String,
    pub role: Role,
    pub filed_at: i64,
    pub due_at: i64,
}

/// A deadline's row as a backend read it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn due_from_row(
    handoff_id: &str,
    step: &str,
    case_id: &str,
    responder_id: String,
    responder_name: String,
    role: &str,
    filed_at: i64,
    due_at: i64,
) -> Result<DueEscalation, crate::HubDbError> {
    let corrupt = |what: &str| crate::HubDbError::Corrupt(format!("an escalation's {what} is malformed"));
    Ok(DueEscalation {
        handoff_id: handoff_id.parse().map_err(|_| corrupt("handoff id"))?,
        step: step.parse().map_err(|_| corrupt("step"))?,
        case_id: case_id.parse().map_err(|_| corrupt("case id"))?,
        responder_id: ResponderId(responder_id),
        responder_name,
        role: role.parse().map_err(|_| corrupt("role"))?,
        filed_at,
        due_at,
    })
}

/// The hub's own handoff, as the backends keep handoffs.
pub(crate) fn handoff_row(
    due: &DueEscalation,
    handoff_id: HandoffId,
    responder: Responder,
    hub: beacon_domain::DeviceId,
    hlc: i64,
) -> crate::effects::HandoffRow {
    crate::effects::HandoffRow {
        event: 0,
        case_id: due.case_id,
        role: due.role,
        standing: crate::effects::StandingHandoff {
            handoff_id,
            responder_id: responder.id,
            responder_name: responder.name,
            handed_off_by: ESCALATION_ACTOR.to_string(),
            device: hub,
            hlc,
        },
        stands: true,
    }
}

/// What else a decision needs, loaded by the backend in the same
/// transaction.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub facts: CaseFacts,
    /// The roster as the hub last heard it.
    pub roster: Vec<Responder>,
    /// Everyone the case was ever handed to in this role: not asked again.
    pub already_asked: Vec<ResponderId>,
    /// Standing handoffs per responder, for the suggestion's load.
    pub open_handoffs: HashMap<String, u32>,
}

/// What firing a deadline writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The `escalated` event.
    pub escalated: EventBody,
    pub supervisor: Option<ResponderId>,
    /// The handoff to the next suggested responder: its id, responder and
    /// `handed_off` event.
    pub handoff: Option<(HandoffId, Responder, EventBody)>,
}

/// Decide what a missed deadline does. The supervisor is the first on duty
/// serving the case's jurisdiction (else the first on duty); the next
/// responder the first the console would suggest for the role, among those
/// not asked before. The new handoff shares what the sharing policy allows
/// for that role now.
pub fn decide(due: &DueEscalation, ctx: &Context, now: chrono::DateTime<chrono::Utc>) -> Decision {
    let jurisdiction = ctx.facts.jurisdiction.clone().unwrap_or_else(JurisdictionAssignment::unknown);
    let languages = ctx.facts.referral.as_ref().map(Referral::victim_languages).unwrap_or_default();
    let ranked = |role: Role| {
        let roster: Vec<(Responder, u32)> =
            ctx.roster.iter().map(|r| (r.clone(), ctx.open_handoffs.get(&r.id.0).copied().unwrap_or(0))).collect();
        suggest(role, &roster, &jurisdiction, &languages)
    };
    let supervisor = ranked(Role::Supervisor).into_iter().next().map(|s| s.responder);
    let next = ranked(due.role)
        .into_iter()
        .map(|s| s.responder)
        .find(|r| r.id != due.responder_id && !ctx.already_asked.contains(&r.id));
    let handoff = match (next, &ctx.facts.referral) {
        (Some(responder), Some(referral)) => {
            let plan = beacon_domain::sharing::plan(referral, due.role, now);
            let handoff_id = HandoffId::new();
            let body = EventBody::HandedOff {
                handoff_id,
                responder_id: responder.id.clone(),
                responder_name: responder.name.clone(),
                role: due.role,
                shared_fields: plan.shared_fields(),
                withheld_fields: plan.withheld_fields(),
                replaces: Some(due.handoff_id),
                sharing_override: None,
            };
            Some((handoff_id, responder, body))
        }
        _ => None,
    };
    let escalated = EventBody::Escalated {
        handoff_id: due.handoff_id,
        step: due.step,
        responder_id: due.responder_id.clone(),
        responder_name: due.responder_name.clone(),
        role: due.role,
        due_at: due.due_at,
        target_ms: due.due_at - due.filed_at,
        supervisor_id: supervisor.as_ref().map(|s| s.id.clone()),
        supervisor_name: supervisor.as_ref().map(|s| s.name.clone()),
        next_handoff_id: handoff.as_ref().map(|(id, _, _)| *id),
        next_responder_name: handoff.as_ref().map(|(_, r, _)| r.name.clone()),
    };
    Decision { escalated, supervisor: supervisor.map(|s| s.id), handoff }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HubSettings;

    fn responder(id: &str, role: Role, on_duty: bool, area: &str) -> Responder {
        Responder {
            id: ResponderId(id.into()),
            name: format!("{id} name"),
            role,
            agency: "MSHP".into(),
            jurisdictions: vec![area.into()],
            languages: vec![],
            on_duty,
            email: None,
            phone: None,
            webhook: None,
        }
    }

    fn due(role: Role) -> DueEscalation {
        DueEscalation {
            handoff_id: HandoffId::new(),
            step: Step::Acknowledge,
            case_id: CaseId::for_referral(beacon_domain::referral::Source::HotlineCall, "E-1"),
            responder_id: ResponderId("T-1".into()),
            responder_name: "T-1 name".into(),
            role,
            filed_at: 1_000,
            due_at: 901_000,
        }
    }

    fn context() -> Context {
        let referral = beacon_domain::intake::referral_from_value(
            serde_json::json!({"external_id": "E-1", "source": "hotline_call", "received_at": "2026-12-03T09:00:00Z",
                "urgency": "recent", "trafficking_type": "labor", "narrative": "n"}),
            chrono::Utc::now(),
        )
        .unwrap();
        let greene = JurisdictionAssignment {
            jurisdiction_id: Some("29077".into()),
            name: Some("Greene".into()),
            troop: Some("D".into()),
            ..JurisdictionAssignment::unknown()
        };
        Context {
            facts: CaseFacts { referral: Some(referral), jurisdiction: Some(greene), priority: Some(Priority::P1) },
            roster: vec![
                responder("T-1", Role::Trooper, true, "Troop D"),
                responder("T-2", Role::Trooper, true, "Troop D"),
                responder("T-3", Role::Trooper, true, "Troop C"),
                responder("T-4", Role::Trooper, false, "Troop D"),
                responder("S-C", Role::Supervisor, true, "Troop C"),
                responder("S-D", Role::Supervisor, true, "Troop D"),
                responder("S-OFF", Role::Supervisor, false, "Troop D"),
            ],
            already_asked: vec![ResponderId("T-1".into())],
            open_handoffs: HashMap::new(),
        }
    }

    #[test]
    fn a_missed_deadline_goes_to_the_troops_supervisor_and_the_next_suggested_responder() {
        let missed = due(Role::Trooper);
        let d = decide(&missed, &context(), chrono::Utc::now());
        assert_eq!(d.supervisor, Some(ResponderId("S-D".into())), "on duty, serving the troop");
        let (_, next, body) = d.handoff.clone().unwrap();
        assert_eq!(next.id.0, "T-2", "on duty, serving the area, not asked before");
        let EventBody::HandedOff { replaces, role, .. } = body else { panic!() };
        assert_eq!((replaces, role), (Some(missed.handoff_id), Role::Trooper));
        let EventBody::Escalated { target_ms, next_responder_name, .. } = &d.escalated else { panic!() };
        assert_eq!((*target_ms, next_responder_name.as_deref()), (900_000, Some("T-2 name")));

        // Everyone asked: the supervisor is still told; nobody is handed it.
        let mut ctx = context();
        ctx.already_asked = vec![ResponderId("T-2".into()), ResponderId("T-3".into())];
        let d = decide(&due(Role::Trooper), &ctx, chrono::Utc::now());
        assert!(d.handoff.is_none() && d.supervisor.is_some());
        assert!(d.escalated.summary().contains("nobody else on duty"), "{}", d.escalated.summary());
    }

    #[test]
    fn deadlines_follow_the_targets_in_force() {
        let s = HubSettings::from_pairs(&[("ack-target.P1".into(), "2m".into())]);
        let d = deadlines(&s, Some(Priority::P1), 1_000);
        assert_eq!(
            d,
            vec![
                Deadline { step: Step::Acknowledge, due_at: 121_000 },
                Deadline { step: Step::OnScene, due_at: 1_000 + 3_600_000 },
            ]
        );
        assert_eq!(deadlines(&s, Some(Priority::P3), 0).len(), 1, "P3 has no on-scene target by default");
    }
}
