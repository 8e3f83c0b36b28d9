//! The store's side of sync: this device's events as they travel, and
//! applying a page pulled from the hub.
//!
//! The tables are the fold of the log in one order on every device: by
//! clock (HLC), then device, then sequence. Events written here always come
//! last in that order (the clock observes every event pulled), so they are
//! projected as they are appended. A pulled page whose events all come
//! after what is folded is projected event by event; a page with an event
//! from the past (a device that was offline) is stored and marks the store
//! to be folded again, once, when the pull ends ([`Store::finish_pulled`]),
//! or when the store is next opened if the process stopped first. So every
//! device ends with the same tables whatever order events reached it, and a
//! catch-up of many pages folds once, not once a page.

use beacon_domain::event::{Actor, Event};
use beacon_domain::{EventHash, Hlc};
use beacon_sync::WireEvent;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde_json::value::RawValue;

use crate::settings::{self, Settings};
use crate::{Store, StoreError, project, rebuild};

/// Set while the tables are behind the log (see the module's comment).
pub(crate) const NEEDS_FOLD: &str = "sync.needs_fold";

/// What applying a pulled page did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// Events new to this store.
    pub stored: u64,
    /// Events it held already (its own, or delivered before).
    pub known: u64,
    /// Whether the page reached into the past: the log must be folded again
    /// ([`Store::finish_pulled`]).
    pub refolded: bool,
}

impl Store {
    /// How many of this device's events have a sequence above `after`.
    pub fn own_events_count_after(&self, after: u64) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM events WHERE device = ?1 AND device_seq > ?2",
            params![self.device_row, after as i64],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The handoffs among this device's events with a sequence above
    /// `after` (written here, not yet on the hub).
    pub fn own_handoffs_after(&self, after: u64) -> Result<Vec<beacon_domain::HandoffId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json_extract(body, '$.payload.handoff_id') FROM events
             WHERE device = ?1 AND device_seq > ?2 AND kind = 'handed_off'",
        )?;
        let rows = stmt.query_map(params![self.device_row, after as i64], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for id in rows {
            out.push(id?.parse().map_err(|_| StoreError::Corrupt("a handoff id is not a UUID".into()))?);
        }
        Ok(out)
    }

    /// This device's events with a sequence above `after`, oldest first, at
    /// most `limit`, as they travel (each with its predecessor's hash).
    pub fn own_events_after(&self, after: u64, limit: usize) -> Result<Vec<WireEvent>, StoreError> {
        self.snapshot(|| {
            let mut prev: EventHash = if after == 0 {
                EventHash::GENESIS
            } else {
                let stored: Option<Vec<u8>> = self
                    .conn
                    .query_row(
                        "SELECT hash FROM events WHERE device = ?1 AND device_seq = ?2",
                        params![self.device_row, after as i64],
                        |r| r.get(0),
                    )
                    .optional()?;
                stored.as_deref().and_then(EventHash::from_slice).ok_or_else(|| {
                    StoreError::Corrupt(format!("event {after} of this device is missing or has no hash"))
                })?
            };
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, device_seq, hlc, actor, case_id, body, hash FROM events
                 WHERE device = ?1 AND device_seq > ?2 ORDER BY device_seq LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![self.device_row, after as i64, limit as i64])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let corrupt = |what: &str| StoreError::Corrupt(format!("an event's {what} is malformed"));
                let hash: Vec<u8> = r.get(6)?;
                let event = WireEvent {
                    id: r.get::<_, String>(0)?.parse().map_err(|_| corrupt("id"))?,
                    device: self.device,
                    seq: r.get::<_, i64>(1)? as u64,
                    hlc: r.get(2)?,
                    actor: r.get(3)?,
                    case_id: r
                        .get::<_, Option<String>>(4)?
                        .map(|c| c.parse())
                        .transpose()
                        .map_err(|_| corrupt("case id"))?,
                    body: RawValue::from_string(r.get(5)?).map_err(|_| corrupt("body"))?,
                    prev,
                    hash: EventHash::from_slice(&hash).ok_or_else(|| corrupt("hash"))?,
                };
                prev = event.hash;
                out.push(event);
            }
            Ok(out)
        })
    }

    /// Apply a page of events pulled from the hub, all in one transaction:
    /// a reader sees the page whole or not at all. Events this store holds
    /// are skipped; an event whose content does not match its hash, or that
    /// differs from the one held at its place, refuses the page.
    pub fn apply_pulled(&mut self, events: &[WireEvent]) -> Result<Applied, StoreError> {
        self.apply_pulled_remembering(events, &[])
    }

    /// [`Store::apply_pulled`], also setting configuration `remember` (key,
    /// value) in the same transaction: the pull's cursor moves exactly when
    /// its page lands.
    pub fn apply_pulled_remembering(
        &mut self,
        events: &[WireEvent],
        remember: &[(&str, &str)],
    ) -> Result<Applied, StoreError> {
        self.check_writable()?;
        let own = self.device;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut applied = Applied::default();
        let mut folded: i64 = tx.query_row("SELECT coalesce(max(hlc), 0) FROM events", [], |r| r.get(0))?;
        let mut settings = settings::load(&tx)?;
        let mut last = settings::last_hlc(&tx)?;
        // Already behind the log (an earlier page reached into the past):
        // the fold to come redoes everything, so project nothing now.
        let mut behind = settings::get(&tx, NEEDS_FOLD)?.is_some();
        // A page holds few devices: their local numbers, looked up once.
        let mut device_rows: std::collections::HashMap<beacon_domain::DeviceId, i64> = Default::default();
        for e in events {
            let device_row = match device_rows.get(&e.device) {
                Some(row) => *row,
                None => *device_rows.entry(e.device).or_insert(settings::device_row(&tx, e.device)?),
            };
            let held: Option<Vec<u8>> = tx
                .prepare_cached("SELECT hash FROM events WHERE device = ?1 AND device_seq = ?2")?
                .query_row(params![device_row, e.seq as i64], |r| r.get(0))
                .optional()?;
            if let Some(held) = held {
                if held.as_slice() != e.hash.0.as_slice() {
                    return Err(StoreError::Corrupt(format!(
                        "the hub sent event {} of device {} different from the one this store holds",
                        e.seq, e.device
                    )));
                }
                applied.known += 1;
                continue;
            }
            if e.device == own {
                return Err(StoreError::Corrupt(format!(
                    "the hub holds event {} of this device, which this store does not: the store was restored from an older copy",
                    e.seq
                )));
            }
            if !e.is_intact() {
                return Err(StoreError::Corrupt(format!(
                    "event {} of device {} does not match its hash",
                    e.seq, e.device
                )));
            }
            let event = decode(e)?;
            // A rejection of a handoff already projected as standing also
            // needs the fold: the tables must be as if it never stood.
            let in_order = e.hlc > folded && !project::undoes_projection(&tx, &event)?;
            let case_row = if in_order && !behind {
                let row = project::apply(&tx, &event, &settings, project::Mode::Replay)?;
                if let beacon_domain::EventBody::SettingsChanged { targets, link_window_days } = &event.body {
                    settings = Settings { targets: *targets, link_window_days: *link_window_days };
                }
                row
            } else {
                behind = true;
                applied.refolded = true;
                None
            };
            tx.prepare_cached(
                "INSERT INTO events (id, device, device_seq, hlc, actor, case_id, case_row, kind, body, hash, prev)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                e.id.to_string(),
                device_row,
                e.seq as i64,
                e.hlc,
                e.actor,
                e.case_id.map(|c| c.to_string()),
                case_row,
                event.body.kind(),
                e.body.get(),
                e.hash.0.as_slice(),
                e.prev.0.as_slice(),
            ])?;
            folded = folded.max(e.hlc);
            last = last.max(Hlc::unpack(e.hlc));
            applied.stored += 1;
        }
        if behind {
            settings::set(&tx, NEEDS_FOLD, "1")?;
        }
        // The next event written here comes after everything pulled.
        settings::set(&tx, "last_hlc", &last.pack().to_string())?;
        for (key, value) in remember {
            settings::set(&tx, &format!("config.{key}"), value)?;
        }
        tx.commit()?;
        self.hlc.observe(last);
        Ok(applied)
    }
}

impl Store {
    /// End a pull: if a page reached into the past, fold the log again now,
    /// in one transaction. Returns whether it folded.
    pub fn finish_pulled(&mut self) -> Result<bool, StoreError> {
        if self.read_only || settings::get(&self.conn, NEEDS_FOLD)?.is_none() {
            return Ok(false);
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        rebuild::refold(&tx)?;
        tx.commit()?;
        Ok(true)
    }
}

fn decode(e: &WireEvent) -> Result<Event, StoreError> {
    Ok(Event {
        id: e.id,
        device_id: e.device,
        seq: e.seq,
        hlc: Hlc::unpack(e.hlc),
        actor: Actor(e.actor.clone()),
        case_id: e.case_id,
        body: e.decode_body().map_err(|_| {
            StoreError::Corrupt(format!("event {} of device {} is not one of Beacon's events", e.seq, e.device))
        })?,
    })
}
