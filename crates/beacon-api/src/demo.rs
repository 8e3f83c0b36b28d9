//! Loading the generated demo data set. Referrals and what happened to them
//! are replayed in time order with the store's clock set to each moment, so
//! the events carry believable times and response statistics mean something.

use beacon_auth::RecoveryKey;
use beacon_demo::{Action, Options, Place};
use beacon_domain::Role;
use beacon_domain::access::{User, UserRole};
use beacon_domain::event::{Actor, EventBody};
use beacon_domain::{
    CaseId, CaseStatus, Change, HandoffId, JurisdictionAssignment, ManualClock, NoteId, sharing, triage,
};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::{ApiError, Beacon};

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DemoReport {
    pub referrals: usize,
    pub responders: usize,
    pub steps: usize,
}

/// Appends per transaction while loading.
const DEMO_BATCH: usize = 2_000;

enum Item {
    Referral(usize),
    Step(usize),
}

impl Beacon {
    /// Generate `n` referrals (seeded) ending at `now`, with responders for
    /// every troop of the active layer, and replay them into the store.
    /// `clock` must be the clock this `Beacon` was opened with.
    pub fn load_demo(
        &mut self,
        n: usize,
        seed: u64,
        now: DateTime<Utc>,
        clock: &ManualClock,
    ) -> Result<DemoReport, ApiError> {
        self.require(beacon_domain::Action::Maintain)?;
        let places = self.demo_places();
        let troops = self.troops();
        let data = beacon_demo::generate(&places, &Options { referrals: n, seed, now, troops, history: true });
        let start = data.referrals.iter().map(|r| r.received_at).min().unwrap_or(now) - Duration::days(1);
        clock.set(start);
        let roster = data.responders.clone();
        let admin = Actor("roster".into());
        self.store_mut().write::<_, ApiError>(|w| {
            for r in roster {
                w.append(&admin, None, EventBody::ResponderUpserted { responder: r })?;
            }
            Ok(())
        })?;

        // Merge arrivals and steps into one timeline.
        let mut timeline: Vec<(DateTime<Utc>, Item)> = data
            .referrals
            .iter()
            .enumerate()
            .map(|(i, r)| (r.received_at + Duration::seconds(20), Item::Referral(i)))
            .chain(data.steps.iter().enumerate().map(|(i, s)| {
                (s.at.max(data.referrals[s.referral].received_at + Duration::seconds(21)), Item::Step(i))
            }))
            .collect();
        timeline.sort_by_key(|(t, item)| (*t, matches!(item, Item::Step(_))));

        let hotline = Actor("hotline".into());
        let dispatcher = Actor("dispatcher".into());
        let responders = data.responders.clone();
        for chunk in timeline.chunks(DEMO_BATCH) {
            let gazetteer = self.gazetteer_arc();
            self.store_mut().write::<_, ApiError>(|w| {
                for (at, item) in chunk {
                    clock.set(*at);
                    match item {
                        Item::Referral(i) => {
                            let r = data.referrals[*i].clone();
                            let id = CaseId::for_referral(r.source, &r.external_id);
                            if w.referral_exists(r.source, &r.external_id)? {
                                continue;
                            }
                            let t = triage::triage(&r);
                            let j = r
                                .location
                                .as_ref()
                                .map(|l| gazetteer.assign(l))
                                .unwrap_or_else(JurisdictionAssignment::unknown);
                            w.append(
                                &hotline,
                                Some(id),
                                EventBody::ReferralReceived { referral: Box::new(r), triage: t, jurisdiction: j },
                            )?;
                        }
                        Item::Step(i) => {
                            let step = &data.steps[*i];
                            let r = &data.referrals[step.referral];
                            let id = CaseId::for_referral(r.source, &r.external_id);
                            let Some(status) = w.case_status(id)? else { continue };
                            // What happened is replayed through the case's state
                            // machine: a step it refuses (the generator does not
                            // know every rule) did not happen.
                            let allowed = |change: Change| status.after(change).is_ok();
                            match &step.action {
                                Action::HandOff { responder } if allowed(Change::HandOff) => {
                                    let Some(who) = responders.iter().find(|p| &p.id == responder) else { continue };
                                    let plan = sharing::plan(r, who.role, clock_now(clock));
                                    w.append(
                                        &dispatcher,
                                        Some(id),
                                        EventBody::HandedOff {
                                            handoff_id: HandoffId::new(),
                                            responder_id: who.id.clone(),
                                            responder_name: who.name.clone(),
                                            role: who.role,
                                            shared_fields: plan.shared_fields(),
                                            withheld_fields: plan.withheld_fields(),
                                            replaces: w.last_handoff_of_role(id, who.role)?,
                                            sharing_override: None,
                                        },
                                    )?;
                                }
                                Action::Acknowledge if allowed(Change::Acknowledge) => {
                                    let Some((handoff_id, responder_id)) = w.pending_handoff(id)? else { continue };
                                    let actor = Actor(responder_id.0.clone());
                                    w.append(
                                        &actor,
                                        Some(id),
                                        EventBody::Acknowledged {
                                            handoff_id: Some(handoff_id),
                                            responder_id: Some(responder_id),
                                        },
                                    )?;
                                }
                                Action::OnScene if allowed(Change::ArriveOnScene) => {
                                    w.append(
                                        &dispatcher,
                                        Some(id),
                                        EventBody::StatusChanged {
                                            from: status,
                                            to: CaseStatus::OnScene,
                                            disposition: None,
                                        },
                                    )?;
                                }
                                Action::Close { disposition } if allowed(Change::Close) => {
                                    w.append(
                                        &dispatcher,
                                        Some(id),
                                        EventBody::StatusChanged {
                                            from: status,
                                            to: CaseStatus::Closed,
                                            disposition: Some(disposition.clone()),
                                        },
                                    )?;
                                }
                                Action::Note { text } => {
                                    w.append(
                                        &dispatcher,
                                        Some(id),
                                        EventBody::NoteAdded { note_id: NoteId::new(), text: text.clone() },
                                    )?;
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Ok(())
            })?;
        }
        clock.set(now.max(clock_now(clock)));
        Ok(DemoReport { referrals: data.referrals.len(), responders: data.responders.len(), steps: data.steps.len() })
    }

    /// The demo's people, one per role: `admin` (the store's first admin),
    /// `dispatcher`, `supervisor`, and `taskforce`, linked to the trooper
    /// holding the most open cases. All share `password`. Only on a store
    /// with no account yet; returns the accounts and the recovery key.
    pub fn add_demo_users(self, password: &str) -> Result<(Beacon, Vec<User>, RecoveryKey), ApiError> {
        let open = self.store().open_cases_by_responder()?;
        let trooper = self
            .store()
            .responders()?
            .into_iter()
            .filter(|r| r.role == Role::Trooper)
            .max_by_key(|r| (open.get(&r.id).copied().unwrap_or(0), std::cmp::Reverse(r.id.0.clone())))
            .ok_or_else(|| {
                ApiError::Refused("the demo data set has no trooper to link the task-force user to".into())
            })?;
        let (mut b, recovery) = self.init_admin("admin", password)?;
        let mut users = vec![b.user().cloned().expect("init_admin signs in")];
        for (name, role, responder) in [
            ("dispatcher", UserRole::Dispatcher, None),
            ("supervisor", UserRole::Supervisor, None),
            ("taskforce", UserRole::TaskForce, Some(trooper.id.0.as_str())),
        ] {
            users.push(b.add_user(name, role, responder, password)?);
        }
        Ok((b, users, recovery))
    }

    /// Towns to place demo tips in: the active layer's ZIP centres.
    pub fn demo_places(&self) -> Vec<Place> {
        let g = self.gazetteer();
        let mut places: Vec<Place> = g
            .zips()
            .iter()
            .filter_map(|z| {
                let county = z.county_fips.as_deref().and_then(|f| g.layer().get(f))?;
                Some(Place {
                    zip: z.zip.clone(),
                    city: z.city.clone()?,
                    county: county.name.clone(),
                    state: None,
                    lat: z.lat?,
                    lon: z.lon?,
                })
            })
            .collect();
        // The ZIP table has no order of its own; sort so a seed always gives the same data.
        places.sort_by(|a, b| a.zip.cmp(&b.zip));
        places
    }
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use beacon_domain::Clock;
    clock.now()
}
