//! What storing a device's events does besides storing them, decided once
//! for every backend:
//!
//! - **Handoffs are intents, checked in arrival order.** A handoff stands
//!   when the handoff it says it replaces is the one standing for its case
//!   and role at the hub (or none stands, or the standing one is the same
//!   device's own: a device always knows its own). Otherwise another
//!   dispatcher's handoff, made without knowing of this one, reached the
//!   hub first: the hub writes a `handoff_rejected` event naming the winner.
//! - **Cases are filed**, for intake's "already known" and for scopes.
//! - **Cases enter scopes**: `troop:X` by their troop (when filed, and when
//!   the jurisdiction changes), `responder:R` when a handoff to R stands,
//!   and the pushing token's own scope for a case its device created. A
//!   case stays in a scope once it entered it: a device keeps receiving what
//!   it was once given.
//! - **A scoped device speaks only of its cases**: an event about a case
//!   the hub holds outside the token's scope refuses the push.
//! - **A purge redacts the hub's copy**: the events a `case_purged` lists
//!   are redacted here too ([`redact`]), so a device that pulls them later
//!   receives the redacted bodies (`beacon_domain::retention`).
//!
//! A backend loads what [`Known`] asks for, calls [`effects`], and writes
//! the result in the same transaction as the events.

use std::collections::{HashMap, HashSet};

use beacon_domain::event::EventBody;
use beacon_domain::retention::{self, Redaction};
use beacon_domain::{CaseId, DeviceId, HandoffId, ResponderId, Role};
use beacon_sync::{SyncError, WireEvent};

use crate::TokenScope;

/// The handoff standing for a case and role at the hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandingHandoff {
    pub handoff_id: HandoffId,
    pub responder_id: ResponderId,
    pub responder_name: String,
    pub handed_off_by: String,
    pub device: DeviceId,
    /// Its clock (packed): the hub's rejection must come after it.
    pub hlc: i64,
}

/// A case as the hub files it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiledCase {
    pub case_id: CaseId,
    pub source: String,
    pub external_id: String,
    pub troop: Option<String>,
}

/// A handoff the hub has seen, and whether it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffRow {
    /// Index of its event in the push (its `hub_seq` is that event's).
    pub event: usize,
    pub case_id: CaseId,
    pub role: Role,
    pub standing: StandingHandoff,
    pub stands: bool,
}

/// A case entering a scope at one of the push's events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeEntry {
    pub scope: String,
    pub case_id: CaseId,
    pub event: usize,
}

/// A `handoff_rejected` event the hub writes into its own stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub case_id: CaseId,
    pub body_json: String,
    /// The greatest clock of the two handoffs: the rejection's clock must
    /// be after it, so every device folds it after both.
    pub after_hlc: i64,
}

/// What the hub holds that a push's effects depend on.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Of the cases the push's events name, those the hub holds.
    pub cases: HashSet<CaseId>,
    /// The standing handoff of each (case, role) the push hands off.
    pub standing: HashMap<(CaseId, Role), StandingHandoff>,
    /// Of the cases the push's events name, those inside the token's scope
    /// (unused for scope `all`).
    pub in_scope: HashSet<CaseId>,
}

/// What to load into [`Known`] for these events: the cases they name and
/// the (case, role) pairs they hand off.
pub fn wants(new: &[(&WireEvent, EventBody)]) -> (Vec<CaseId>, Vec<(CaseId, Role)>) {
    let mut cases: Vec<CaseId> = new.iter().filter_map(|(e, _)| e.case_id).collect();
    cases.sort();
    cases.dedup();
    let mut pairs: Vec<(CaseId, Role)> = new
        .iter()
        .filter_map(|(e, body)| match body {
            EventBody::HandedOff { role, .. } => Some((e.case_id?, *role)),
            _ => None,
        })
        .collect();
    pairs.sort_by_key(|(c, r)| (*c, r.as_str()));
    pairs.dedup();
    (cases, pairs)
}

/// The effects of storing `new` (a device's next events, in order).
#[derive(Clone, Debug, Default)]
pub struct Effects {
    pub cases: Vec<(usize, FiledCase)>,
    pub handoffs: Vec<HandoffRow>,
    pub scope_entries: Vec<ScopeEntry>,
    pub rejections: Vec<Rejection>,
    /// The events each purge in the push redacts, by case.
    pub purges: Vec<(CaseId, Vec<Redaction>)>,
    /// Answers to handoffs, and cases closed or reopened, in order.
    pub progress: Vec<crate::answers::Progress>,
    /// The roster's responders as saved, in order (whom escalations reach).
    pub responders: Vec<(usize, beacon_domain::Responder)>,
}

/// An event of a purged case as the hub holds it.
#[derive(Clone, Debug)]
pub struct HeldEvent {
    pub hub_seq: i64,
    pub id: String,
    pub kind: String,
    pub hash: Vec<u8>,
    pub body: String,
}

/// Of a purged case's events the hub holds, those the purge redacts, each
/// with its redacted body: listed by the purge with the hash the hub holds,
/// and not redacted already.
pub fn redact(held: Vec<HeldEvent>, listed: &[Redaction]) -> Vec<(i64, String)> {
    let listed: HashMap<String, &Redaction> = listed.iter().map(|r| (r.event_id.to_string(), r)).collect();
    held.into_iter()
        .filter(|e| retention::redacts(&e.kind))
        .filter(|e| listed.get(&e.id).is_some_and(|r| r.hash.0.as_slice() == e.hash.as_slice()))
        .filter_map(|e| Some((e.hub_seq, retention::redacted_body(&e.body)?)))
        .collect()
}

/// The scope key a troop's cases enter.
pub fn troop_scope(troop: &str) -> String {
    TokenScope::Troop(troop.to_string()).to_string()
}

/// Decide the effects of a push from `device` under `scope`.
pub fn effects(
    device: DeviceId,
    scope: &TokenScope,
    new: &[(&WireEvent, EventBody)],
    mut known: Known,
) -> Result<Effects, SyncError> {
    let mut out = Effects::default();
    let scope_key = match scope {
        TokenScope::All => None,
        other => Some(other.to_string()),
    };
    for (i, (event, body)) in new.iter().enumerate() {
        if let EventBody::ResponderUpserted { responder } = body {
            out.responders.push((i, responder.clone()));
        }
        let Some(case_id) = event.case_id else { continue };
        if let EventBody::ReferralReceived { referral, jurisdiction, .. } = body
            && known.cases.insert(case_id)
        {
            // A case the hub did not hold: this device created it, so it is
            // inside the device's scope from now on.
            out.cases.push((
                i,
                FiledCase {
                    case_id,
                    source: referral.source.as_str().to_string(),
                    external_id: referral.external_id.clone(),
                    troop: jurisdiction.troop.clone(),
                },
            ));
            if let Some(troop) = &jurisdiction.troop {
                out.scope_entries.push(ScopeEntry { scope: troop_scope(troop), case_id, event: i });
            }
            if let Some(key) = &scope_key {
                out.scope_entries.push(ScopeEntry { scope: key.clone(), case_id, event: i });
                known.in_scope.insert(case_id);
            }
            continue;
        }
        if scope_key.is_some() && known.cases.contains(&case_id) && !known.in_scope.contains(&case_id) {
            return Err(SyncError::OutOfScope { case_id });
        }
        out.progress.extend(crate::answers::progress(case_id, body));
        match body {
            EventBody::CasePurged { redacted, .. } => out.purges.push((case_id, redacted.clone())),
            EventBody::HandedOff { handoff_id, responder_id, responder_name, role, replaces, .. } => {
                let this = StandingHandoff {
                    handoff_id: *handoff_id,
                    responder_id: responder_id.clone(),
                    responder_name: responder_name.clone(),
                    handed_off_by: event.actor.clone(),
                    device,
                    hlc: event.hlc,
                };
                let current = known.standing.get(&(case_id, *role));
                let stands = match current {
                    None => true,
                    Some(c) => Some(c.handoff_id) == *replaces || c.device == device,
                };
                if stands {
                    known.standing.insert((case_id, *role), this.clone());
                    out.scope_entries.push(ScopeEntry {
                        scope: TokenScope::Responder(responder_id.0.clone()).to_string(),
                        case_id,
                        event: i,
                    });
                } else if let Some(winner) = current {
                    out.rejections.push(Rejection {
                        case_id,
                        body_json: rejection_body(&this, *role, winner),
                        after_hlc: this.hlc.max(winner.hlc),
                    });
                }
                out.handoffs.push(HandoffRow { event: i, case_id, role: *role, standing: this, stands });
            }
            EventBody::JurisdictionChanged { to, .. } => {
                if let Some(troop) = &to.troop {
                    out.scope_entries.push(ScopeEntry { scope: troop_scope(troop), case_id, event: i });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The body of the hub's `handoff_rejected` event.
fn rejection_body(rejected: &StandingHandoff, role: Role, winner: &StandingHandoff) -> String {
    let body = EventBody::HandoffRejected {
        handoff_id: rejected.handoff_id,
        responder_name: rejected.responder_name.clone(),
        role,
        handed_off_by: rejected.handed_off_by.clone(),
        winner: winner.handoff_id,
        winner_responder_id: winner.responder_id.clone(),
        winner_responder_name: winner.responder_name.clone(),
        winner_handed_off_by: winner.handed_off_by.clone(),
    };
    // An enum of plain fields always encodes.
    serde_json::to_string(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_domain::referral::Source;
    use beacon_domain::{EventHash, EventId, Hlc};
    use serde_json::value::RawValue;

    fn handoff(device: DeviceId, case: CaseId, responder: &str, replaces: Option<HandoffId>) -> (WireEvent, EventBody) {
        let body = EventBody::HandedOff {
            handoff_id: HandoffId::new(),
            responder_id: ResponderId(responder.into()),
            responder_name: responder.into(),
            role: Role::Trooper,
            shared_fields: vec![],
            withheld_fields: vec![],
            replaces,
            sharing_override: None,
        };
        let raw = RawValue::from_string(serde_json::to_string(&body).unwrap()).unwrap();
        let hlc = Hlc { wall_ms: 1_000, counter: 0 };
        let e = WireEvent::sealed(EventId::new(), device, 1, hlc, "d".into(), Some(case), raw, EventHash::GENESIS);
        (e, body)
    }

    fn standing(device: DeviceId, (e, body): &(WireEvent, EventBody)) -> StandingHandoff {
        let EventBody::HandedOff { handoff_id, responder_id, responder_name, .. } = body else { unreachable!() };
        StandingHandoff {
            handoff_id: *handoff_id,
            responder_id: responder_id.clone(),
            responder_name: responder_name.clone(),
            handed_off_by: e.actor.clone(),
            device,
            hlc: e.hlc,
        }
    }

    fn known_with(case: CaseId, winner: Option<StandingHandoff>) -> Known {
        let mut k = Known::default();
        k.cases.insert(case);
        if let Some(w) = winner {
            k.standing.insert((case, Role::Trooper), w);
        }
        k
    }

    #[test]
    fn a_handoff_that_did_not_know_of_the_standing_one_is_rejected_naming_it() {
        let (a, b) = (DeviceId::new_random(), DeviceId::new_random());
        let case = CaseId::for_referral(Source::HotlineCall, &HandoffId::new().to_string());
        let first = handoff(a, case, "T-1", None);
        let winner = standing(a, &first);
        let late = handoff(b, case, "T-2", None);
        let fx =
            effects(b, &TokenScope::All, &[(&late.0, late.1.clone())], known_with(case, Some(winner.clone()))).unwrap();
        assert_eq!(fx.rejections.len(), 1);
        let body: EventBody = serde_json::from_str(&fx.rejections[0].body_json).unwrap();
        let EventBody::HandoffRejected { winner: w, winner_responder_name, responder_name, .. } = body else {
            panic!("not a rejection")
        };
        assert_eq!((w, winner_responder_name.as_str(), responder_name.as_str()), (winner.handoff_id, "T-1", "T-2"));
        assert!(!fx.handoffs[0].stands);
        // Nobody enters T-2's scope by a handoff that did not stand.
        assert!(fx.scope_entries.is_empty());
    }

    #[test]
    fn a_handoff_that_knew_the_standing_one_or_came_from_its_device_stands() {
        let (a, b) = (DeviceId::new_random(), DeviceId::new_random());
        let case = CaseId::for_referral(Source::HotlineCall, &HandoffId::new().to_string());
        let first = handoff(a, case, "T-1", None);
        let winner = standing(a, &first);
        let informed = handoff(b, case, "T-2", Some(winner.handoff_id));
        let own = handoff(a, case, "T-3", None);
        for (device, h) in [(b, &informed), (a, &own)] {
            let fx = effects(device, &TokenScope::All, &[(&h.0, h.1.clone())], known_with(case, Some(winner.clone())))
                .unwrap();
            assert!(fx.rejections.is_empty());
            assert!(fx.handoffs[0].stands);
        }
        let fresh = effects(b, &TokenScope::All, &[(&first.0, first.1.clone())], known_with(case, None)).unwrap();
        assert!(fresh.handoffs[0].stands);
        assert_eq!(fresh.scope_entries[0].scope, "responder:T-1");
    }

    #[test]
    fn in_one_push_the_second_of_two_blind_handoffs_from_another_device_is_checked_against_the_first() {
        let (a, b) = (DeviceId::new_random(), DeviceId::new_random());
        let case = CaseId::for_referral(Source::HotlineCall, &HandoffId::new().to_string());
        let standing_one = standing(a, &handoff(a, case, "T-1", None));
        let h1 = handoff(b, case, "T-2", Some(standing_one.handoff_id));
        let h2 = handoff(b, case, "T-3", None);
        let fx = effects(
            b,
            &TokenScope::All,
            &[(&h1.0, h1.1.clone()), (&h2.0, h2.1.clone())],
            known_with(case, Some(standing_one)),
        )
        .unwrap();
        // The second is the same device's, after its own first: it stands.
        assert!(fx.handoffs.iter().all(|h| h.stands));
    }

    #[test]
    fn a_scoped_device_may_not_speak_of_a_case_outside_its_scope() {
        let b = DeviceId::new_random();
        let case = CaseId::for_referral(Source::HotlineCall, &HandoffId::new().to_string());
        let h = handoff(b, case, "T-2", None);
        let scope = TokenScope::Troop("C".into());
        let refused = effects(b, &scope, &[(&h.0, h.1.clone())], known_with(case, None)).unwrap_err();
        assert_eq!(refused, SyncError::OutOfScope { case_id: case });
        let mut inside = known_with(case, None);
        inside.in_scope.insert(case);
        assert!(effects(b, &scope, &[(&h.0, h.1.clone())], inside).is_ok());
    }
}
