//! The one way to change the store: append events inside a write transaction.

use beacon_domain::event::{Actor, Event, EventBody};
use beacon_domain::referral::Source;
use beacon_domain::{
    CaseId, Chained, DeviceId, EventHash, EventId, HandoffId, Hlc, HlcClock, JurisdictionAssignment, ResponderId, Role,
};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::model::CaseRecord;
use crate::settings::{self, Settings};
use crate::{StoreError, project, read};

/// An event body with the JSON the log stores for it. Encoding is pure, so
/// an import does it on another thread, before the write lock is taken.
#[derive(Debug)]
pub struct EncodedBody {
    body: EventBody,
    json: String,
}

impl EncodedBody {
    pub fn new(body: EventBody) -> Result<Self, StoreError> {
        let json = serde_json::to_string(&body).map_err(StoreError::json("event"))?;
        Ok(EncodedBody { body, json })
    }
}

/// An open write transaction. Events appended here, and their projections,
/// commit together when the closure given to [`crate::Store::write`] returns `Ok`.
#[derive(Debug)]
pub struct Writer<'s> {
    tx: Transaction<'s>,
    device: DeviceId,
    device_row: i64,
    hlc: &'s mut HlcClock,
    next_seq: u64,
    /// The hash of this device's last event: the next one chains to it.
    prev_hash: EventHash,
    last_issued: Option<Hlc>,
    settings: Settings,
}

impl<'s> Writer<'s> {
    pub(crate) fn begin(
        tx: Transaction<'s>,
        device: DeviceId,
        device_row: i64,
        hlc: &'s mut HlcClock,
    ) -> Result<Self, StoreError> {
        // Another process sharing the store may have written since we last looked.
        let stored = settings::last_hlc(&tx)?;
        hlc.observe(stored);
        let last: Option<(i64, Option<Vec<u8>>)> = tx
            .query_row(
                "SELECT device_seq, hash FROM events WHERE device = ?1 ORDER BY device_seq DESC LIMIT 1",
                [device_row],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (next_seq, prev_hash) = match last {
            None => (1, EventHash::GENESIS),
            Some((seq, hash)) => {
                let hash = hash.as_deref().and_then(EventHash::from_slice).ok_or_else(|| {
                    StoreError::Corrupt(format!("event {seq} of this device has no hash to chain the next one to"))
                })?;
                (seq as u64 + 1, hash)
            }
        };
        let settings = settings::load(&tx)?;
        Ok(Writer { tx, device, device_row, hlc, next_seq, prev_hash, last_issued: None, settings })
    }

    pub(crate) fn commit(self) -> Result<(), StoreError> {
        if let Some(hlc) = self.last_issued {
            settings::set(&self.tx, "last_hlc", &hlc.pack().to_string())?;
        }
        self.tx.commit()?;
        Ok(())
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Set a configuration value (see [`crate::Store::config`]), in this transaction.
    pub fn set_config(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        settings::set(&self.tx, &format!("config.{key}"), value)
    }

    /// Append one event and project it. Returns the event as stored. An
    /// event the case's state machine refuses (see [`beacon_domain::Change`])
    /// is refused here, with nothing written: [`StoreError::Transition`] or
    /// [`StoreError::HandoffNotWaiting`].
    pub fn append(&mut self, actor: &Actor, case_id: Option<CaseId>, body: EventBody) -> Result<Event, StoreError> {
        self.append_encoded(actor, case_id, EncodedBody::new(body)?)
    }

    /// [`Writer::append`] for a body already encoded, outside the transaction.
    pub fn append_encoded(
        &mut self,
        actor: &Actor,
        case_id: Option<CaseId>,
        encoded: EncodedBody,
    ) -> Result<Event, StoreError> {
        let EncodedBody { body, json: body_json } = encoded;
        let event = Event {
            id: EventId::new(),
            device_id: self.device,
            seq: self.next_seq,
            hlc: self.hlc.tick(),
            actor: actor.clone(),
            case_id,
            body,
        };
        // Project first: a referral's event then knows its case's row.
        let case_row = project::apply(&self.tx, &event, &self.settings, project::Mode::Append)?;
        let hash = Chained {
            device: event.device_id,
            seq: event.seq,
            hlc: event.hlc,
            id: event.id,
            actor: &event.actor.0,
            case_id: event.case_id,
            body_json: &body_json,
        }
        .hash(&self.prev_hash);
        self.tx
            .prepare_cached(
                "INSERT INTO events (id, device, device_seq, hlc, actor, case_id, case_row, kind, body, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                event.id.to_string(),
                self.device_row,
                event.seq as i64,
                event.hlc.pack(),
                event.actor.0,
                event.case_id.map(|c| c.to_string()),
                case_row,
                event.body.kind(),
                body_json,
                hash.0.as_slice(),
            ])?;
        if let EventBody::SettingsChanged { targets, link_window_days } = &event.body {
            self.settings = Settings { targets: *targets, link_window_days: *link_window_days };
        }
        self.next_seq += 1;
        self.prev_hash = hash;
        self.last_issued = Some(event.hlc);
        Ok(event)
    }

    /// Is there already a case for this referral? (Imports skip it.)
    pub fn referral_exists(&self, source: Source, external_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM cases WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![source.as_str(), external_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Read a case inside the transaction, so a check and the change it
    /// guards see the same state.
    pub fn case(&self, id: CaseId) -> Result<Option<CaseRecord>, StoreError> {
        read::case(&self.tx, id, &read::RowMemo::default())
    }

    /// Just the status of a case (cheaper than [`Writer::case`]).
    pub fn case_status(&self, id: CaseId) -> Result<Option<beacon_domain::CaseStatus>, StoreError> {
        let status: Option<String> = self
            .tx
            .prepare_cached("SELECT status FROM cases WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        status.map(|s| s.parse().map_err(StoreError::Corrupt)).transpose()
    }

    /// Just the jurisdiction of a case, as this transaction sees it.
    pub fn case_jurisdiction(&self, id: CaseId) -> Result<Option<JurisdictionAssignment>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {} FROM cases c WHERE c.id = ?1", crate::read::JURISDICTION_COLUMNS))?
            .query_row([id.to_string()], |r| crate::read::jurisdiction_at(r, 0))
            .optional()?)
    }

    /// The oldest handoff of the case waiting for acknowledgement (neither
    /// acknowledged nor withdrawn).
    pub fn pending_handoff(&self, case_id: CaseId) -> Result<Option<(HandoffId, ResponderId)>, StoreError> {
        let row: Option<(String, String)> = self
            .tx
            .prepare_cached(
                "SELECT id, responder_id FROM handoffs WHERE case_id = ?1 AND acknowledged_at IS NULL AND withdrawn_at IS NULL
                 ORDER BY handed_off_at, rowid LIMIT 1",
            )?
            .query_row([case_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(h, r)| {
            Ok((h.parse().map_err(|_| StoreError::Corrupt(format!("handoff id {h} is not a UUID")))?, ResponderId(r)))
        })
        .transpose()
    }

    /// The last handoff of `role` on the case that the hub has not rejected
    /// (withdrawn or acknowledged alike): what a new handoff replaces, as far
    /// as this device knows.
    pub fn last_handoff_of_role(&self, case_id: CaseId, role: Role) -> Result<Option<HandoffId>, StoreError> {
        let id: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT id FROM handoffs WHERE case_id = ?1 AND role = ?2 AND rejected_at IS NULL
                 ORDER BY handed_off_at DESC, rowid DESC LIMIT 1",
            )?
            .query_row(params![case_id.to_string(), role.as_str()], |r| r.get(0))
            .optional()?;
        id.map(|h| h.parse().map_err(|_| StoreError::Corrupt(format!("handoff id {h} is not a UUID")))).transpose()
    }

    pub fn connection(&self) -> &rusqlite::Connection {
        &self.tx
    }
}
