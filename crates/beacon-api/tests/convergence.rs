//! Sync converges, whatever happens: several devices (real store files)
//! work while offline, sync with a hub (its real SQLite database and push
//! rules) in random order, with pages pulled twice, out of order or cut
//! short. Every schedule ends, after everyone has synced, with every device
//! holding the same tables, each the fold of its own log; every event on
//! every device and on the hub (nothing lost); and every handoff the hub
//! rejected listed as a conflict on every device.
//!
//! `BEACON_SCHEDULES` sets how many schedules run (default 1000).

use std::sync::Arc;

use beacon_api::store::Store;
use beacon_domain::event::{Actor, EventBody};
use beacon_domain::referral::Source;
use beacon_domain::{
    CaseId, DeviceId, HandoffId, JurisdictionAssignment, NoteId, Responder, ResponderId, Role, SystemClock, intake,
    triage,
};
use beacon_hub_db::{HubDb, IntakeRecord, SqliteHubDb, TokenScope};
use beacon_sync::{Cursor, WireEvent};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use serde_json::json;

/// One step of a schedule; numbers pick among what exists, modulo.
#[derive(Clone, Debug)]
enum Op {
    /// A device files referral `R-k` (the same tip may reach two desks).
    Referral {
        device: usize,
        k: usize,
    },
    /// The hotline posts `H-k` to the hub.
    Intake {
        k: usize,
    },
    Note {
        device: usize,
        case: usize,
    },
    /// A hand-off to trooper T-1 or T-2, naming what the device knows it replaces.
    HandOff {
        device: usize,
        case: usize,
        trooper: usize,
    },
    Acknowledge {
        device: usize,
        case: usize,
    },
    /// A dispatcher looks at the case's rejected handoffs.
    Resolve {
        device: usize,
        case: usize,
    },
    Push {
        device: usize,
    },
    /// Pull pages of `page` events; stop after `pages` (a pull cut short),
    /// apply the last page twice (`again`), or the pages in reverse (`reverse`).
    Pull {
        device: usize,
        page: u32,
        pages: usize,
        again: bool,
        reverse: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0usize..4;
    prop_oneof![
        1 => (d.clone(), 0usize..3).prop_map(|(device, k)| Op::Referral { device, k }),
        1 => (0usize..3).prop_map(|k| Op::Intake { k }),
        1 => (d.clone(), 0usize..8).prop_map(|(device, case)| Op::Note { device, case }),
        4 => (d.clone(), 0usize..8, 0usize..2).prop_map(|(device, case, trooper)| Op::HandOff { device, case, trooper }),
        1 => (d.clone(), 0usize..8).prop_map(|(device, case)| Op::Acknowledge { device, case }),
        1 => (d.clone(), 0usize..8).prop_map(|(device, case)| Op::Resolve { device, case }),
        2 => d.clone().prop_map(|device| Op::Push { device }),
        2 => (d, 1u32..6, 1usize..4, any::<bool>(), any::<bool>())
            .prop_map(|(device, page, pages, again, reverse)| Op::Pull { device, page, pages, again, reverse }),
    ]
}

fn schedule() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (2usize..=4, prop::collection::vec(op(), 6..28))
}

/// A device: its store, and how far it has pushed and pulled.
struct Desk {
    store: Store,
    actor: Actor,
    pushed: u64,
    cursor: Cursor,
}

struct World {
    hub: SqliteHubDb,
    rt: tokio::runtime::Runtime,
    desks: Vec<Desk>,
    _dir: tempfile::TempDir,
}

fn referral(external_id: &str, source: Source) -> (CaseId, EventBody) {
    let value = json!({
        "external_id": external_id, "source": source.as_str(), "received_at": chrono::Utc::now().to_rfc3339(),
        "urgency": "imminent", "trafficking_type": "labor", "narrative": "workers locked in at night",
    });
    let r = intake::all_problems(value, chrono::Utc::now()).expect("a valid referral");
    let case_id = CaseId::for_referral(r.source, &r.external_id);
    let body = EventBody::ReferralReceived {
        triage: triage::triage(&r),
        referral: Box::new(r),
        jurisdiction: JurisdictionAssignment::unknown(),
    };
    (case_id, body)
}

impl World {
    fn new(devices: usize) -> World {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let hub = SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap();
        rt.block_on(hub.migrate()).unwrap();
        let desks = (0..devices)
            .map(|i| Desk {
                store: Store::open(&dir.path().join(format!("d{i}.sqlite3")), Arc::new(SystemClock)).unwrap(),
                actor: Actor(format!("desk-{i}")),
                pushed: 0,
                cursor: Cursor::default(),
            })
            .collect();
        let mut world = World { hub, rt, desks, _dir: dir };
        // The roster, from the first desk, known to all before the schedule.
        let actor = world.desks[0].actor.clone();
        world.desks[0]
            .store
            .write::<_, beacon_api::store::StoreError>(|w| {
                for t in ["T-1", "T-2"] {
                    let responder = Responder {
                        id: ResponderId(t.into()),
                        name: format!("Tpr. {t}"),
                        role: Role::Trooper,
                        agency: String::new(),
                        jurisdictions: vec!["*".into()],
                        languages: vec![],
                        on_duty: true,
                        email: None,
                        phone: None,
                        webhook: None,
                    };
                    w.append(&actor, None, EventBody::ResponderUpserted { responder })?;
                }
                Ok(())
            })
            .unwrap();
        world.settle();
        world
    }

    fn push(&mut self, d: usize) {
        let desk = &mut self.desks[d];
        loop {
            let events = desk.store.own_events_after(desk.pushed, 7).unwrap();
            let Some(last) = events.last().map(|e| e.seq) else { return };
            let device = desk.store.device_id();
            self.rt.block_on(self.hub.push(device, TokenScope::All, events, beacon_hub_db::now_ms())).unwrap();
            desk.pushed = last;
        }
    }

    /// Pull as asked; the pages are applied as they come unless reordered.
    fn pull(&mut self, d: usize, page: u32, pages: usize, again: bool, reverse: bool) {
        let device = self.desks[d].store.device_id();
        let mut got: Vec<Vec<WireEvent>> = Vec::new();
        let mut complete = false;
        for _ in 0..pages {
            let answer = self.rt.block_on(self.hub.pull(self.desks[d].cursor, page, device, TokenScope::All)).unwrap();
            got.push(answer.events.into_iter().filter(|e| e.device != device).collect());
            self.desks[d].cursor = answer.next;
            if !answer.more {
                complete = true;
                break;
            }
        }
        if reverse {
            got.reverse();
        }
        if again && let Some(last) = got.last().cloned() {
            got.push(last);
        }
        let store = &mut self.desks[d].store;
        for page in &got {
            store.apply_pulled(page).unwrap();
        }
        if complete {
            store.finish_pulled().unwrap();
        }
    }

    fn full_sync(&mut self, d: usize) {
        self.push(d);
        self.pull(d, 50, usize::MAX, false, false);
    }

    /// Everyone syncs, twice round: whatever one learned reaches all.
    fn settle(&mut self) {
        for _ in 0..2 {
            for d in 0..self.desks.len() {
                self.full_sync(d);
            }
        }
    }

    fn cases(&self, d: usize) -> Vec<CaseId> {
        let conn = self.desks[d].store.connection();
        let mut stmt = conn.prepare("SELECT id FROM cases ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(|id| id.unwrap().parse().unwrap()).collect()
    }

    fn apply(&mut self, op: &Op) {
        let n = self.desks.len();
        let pick = |cases: &[CaseId], i: usize| (!cases.is_empty()).then(|| cases[i % cases.len()]);
        match *op {
            Op::Referral { device, k } => {
                let (case_id, body) = referral(&format!("R-{k}"), Source::HotlineCall);
                let desk = &mut self.desks[device % n];
                if desk.store.case(case_id).unwrap().is_none() {
                    let actor = desk.actor.clone();
                    desk.store
                        .write::<_, beacon_api::store::StoreError>(|w| w.append(&actor, Some(case_id), body))
                        .unwrap();
                }
            }
            Op::Intake { k } => {
                let (case_id, body) = referral(&format!("H-{k}"), Source::HotlineWeb);
                let record = IntakeRecord {
                    case_id,
                    source: Source::HotlineWeb,
                    external_id: format!("H-{k}"),
                    troop: None,
                    body_json: serde_json::to_string(&body).unwrap(),
                };
                self.rt.block_on(self.hub.intake(vec![record], beacon_hub_db::now_ms())).unwrap();
            }
            Op::Note { device, case } => {
                let d = device % n;
                let Some(case_id) = pick(&self.cases(d), case) else { return };
                let desk = &mut self.desks[d];
                let actor = desk.actor.clone();
                let body = EventBody::NoteAdded { note_id: NoteId::new(), text: format!("note by {actor}") };
                desk.store
                    .write::<_, beacon_api::store::StoreError>(|w| w.append(&actor, Some(case_id), body))
                    .unwrap();
            }
            Op::HandOff { device, case, trooper } => {
                let d = device % n;
                let Some(case_id) = pick(&self.cases(d), case) else { return };
                let desk = &mut self.desks[d];
                let actor = desk.actor.clone();
                let t = ["T-1", "T-2"][trooper];
                // Refused by the case's state machine (a closed case): nothing written.
                let _ = desk.store.write::<_, beacon_api::store::StoreError>(|w| {
                    let replaces = w.last_handoff_of_role(case_id, Role::Trooper)?;
                    let body = EventBody::HandedOff {
                        handoff_id: HandoffId::new(),
                        responder_id: ResponderId(t.into()),
                        responder_name: format!("Tpr. {t}"),
                        role: Role::Trooper,
                        shared_fields: vec![],
                        withheld_fields: vec![],
                        replaces,
                        sharing_override: None,
                    };
                    w.append(&actor, Some(case_id), body)
                });
            }
            Op::Acknowledge { device, case } => {
                let d = device % n;
                let Some(case_id) = pick(&self.cases(d), case) else { return };
                let desk = &mut self.desks[d];
                let actor = desk.actor.clone();
                let _ = desk.store.write::<_, beacon_api::store::StoreError>(|w| {
                    let Some((handoff_id, responder_id)) = w.pending_handoff(case_id)? else {
                        return Err(beacon_api::store::StoreError::Corrupt("nothing waiting".into()));
                    };
                    let body =
                        EventBody::Acknowledged { handoff_id: Some(handoff_id), responder_id: Some(responder_id) };
                    w.append(&actor, Some(case_id), body)
                });
            }
            Op::Resolve { device, case } => {
                let d = device % n;
                let Some(case_id) = pick(&self.cases(d), case) else { return };
                let desk = &mut self.desks[d];
                let open: Vec<HandoffId> = desk
                    .store
                    .conflicts_of(case_id)
                    .unwrap()
                    .into_iter()
                    .filter(|c| c.resolved_at.is_none())
                    .map(|c| c.handoff_id)
                    .collect();
                let actor = desk.actor.clone();
                desk.store
                    .write::<_, beacon_api::store::StoreError>(|w| {
                        for handoff_id in open {
                            w.append(&actor, Some(case_id), EventBody::ConflictResolved { handoff_id })?;
                        }
                        Ok(())
                    })
                    .unwrap();
            }
            Op::Push { device } => self.push(device % n),
            Op::Pull { device, page, pages, again, reverse } => self.pull(device % n, page, pages, again, reverse),
        }
    }

    /// The tables, as text to compare.
    fn tables(&self, d: usize) -> String {
        let conn = self.desks[d].store.connection();
        let mut out = String::new();
        for sql in [
            "SELECT id, status, priority, assigned, open_conflicts, standing, due_at, handed_off_at, acknowledged_at FROM cases ORDER BY id",
            "SELECT id, case_id, body, author FROM notes ORDER BY id",
            "SELECT id, case_id, responder_id, acknowledged_at, withdrawn_at, rejected_at FROM handoffs ORDER BY id",
            "SELECT handoff_id, case_id, winner_id, resolved_at FROM handoff_conflicts ORDER BY handoff_id",
            "SELECT id, name, on_duty FROM responders ORDER BY id",
        ] {
            let mut stmt = conn.prepare(sql).unwrap();
            let width = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..width)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap();
            for row in rows {
                out.push_str(&row.unwrap().join("|"));
                out.push('\n');
            }
            out.push_str("--\n");
        }
        out
    }

    fn event_count(&self, d: usize) -> i64 {
        self.desks[d].store.connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap()
    }
}

/// Totals over every schedule run, to show what the runs exercised.
static REJECTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static REFOLDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn run(devices: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut world = World::new(devices);
    for op in ops {
        world.apply(op);
    }
    world.settle();
    let hub_events = world.rt.block_on(world.hub.event_count()).unwrap() as i64;
    let rejected: i64 = {
        let page = world
            .rt
            .block_on(world.hub.pull(Cursor::default(), u32::MAX, DeviceId::new_random(), TokenScope::All))
            .unwrap();
        page.events.iter().filter(|e| e.kind().as_deref() == Some("handoff_rejected")).count() as i64
    };
    REJECTED.fetch_add(rejected as u64, std::sync::atomic::Ordering::Relaxed);
    for d in 0..devices {
        REFOLDS.fetch_add(world.desks[d].store.fold_count().unwrap() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    let first = world.tables(0);
    for d in 0..devices {
        prop_assert_eq!(world.event_count(d), hub_events, "device {} holds every event the hub holds", d);
        let tables = world.tables(d);
        prop_assert_eq!(&tables, &first, "device {} has the same tables as device 0", d);
        let conflicts: i64 = world.desks[d]
            .store
            .connection()
            .query_row("SELECT count(*) FROM handoff_conflicts", [], |r| r.get(0))
            .unwrap();
        prop_assert_eq!(conflicts, rejected, "device {} lists every handoff the hub rejected", d);
        world.desks[d].store.check_consistency().unwrap();
        world.desks[d].store.rebuild().unwrap();
        prop_assert_eq!(world.tables(d), tables, "device {}'s tables are the fold of its log", d);
    }
    Ok(())
}

#[test]
fn every_device_and_the_hub_end_in_the_same_state_whatever_the_schedule() {
    let cases = std::env::var("BEACON_SCHEDULES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let config =
        Config { cases, failure_persistence: Some(Box::new(FileFailurePersistence::Off)), ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&schedule(), |(devices, ops)| run(devices, &ops));
    if let Err(e) = result {
        panic!("{e}");
    }
    let (rejected, refolds) =
        (REJECTED.load(std::sync::atomic::Ordering::Relaxed), REFOLDS.load(std::sync::atomic::Ordering::Relaxed));
    eprintln!("{cases} schedules: {rejected} handoffs rejected by the hub, {refolds} folds after late pages");
    assert!(rejected > 0 && refolds > 0, "the schedules reach conflicts and late pages");
}
