//! Purging a closed case: its details leave the store, the audit of it
//! stays (the rule and its reasons: [`beacon_domain::retention`]).
//!
//! A purge is one event, `case_purged`, listing each event of the case it
//! redacts with that event's chain hash and seal. Wherever the purge event
//! is folded (here when it is written, on every other device when it is
//! pulled, in a rebuild) the same projection redacts the listed events it
//! holds and removes the case from every table. The rows are overwritten,
//! not merely unlinked: the purge runs with `secure_delete` on, the search
//! index deletes with `secure-delete` (schema 10), and the write-ahead log
//! is checkpointed and truncated afterwards.

use std::collections::HashMap;

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::retention::{self, Redaction};
use beacon_domain::{CaseId, Chained, EventHash, Hlc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Store, StoreError, Writer};

/// One stored event of a case, as a purge reads it.
struct CaseEvent {
    local_seq: i64,
    device_row: i64,
    device: beacon_domain::DeviceId,
    seq: u64,
    hlc: i64,
    id: String,
    actor: String,
    body: String,
    kind: String,
    hash: Option<Vec<u8>>,
    prev: Option<Vec<u8>>,
}

/// Every stored event of the case, filed under its row or not.
fn case_events(tx: &Connection, case_id: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
    let id = case_id.to_string();
    let row: Option<i64> = tx.query_row("SELECT row_id FROM cases WHERE id = ?1", [&id], |r| r.get(0)).optional()?;
    let mut stmt = tx.prepare_cached(
        "SELECT e.local_seq, e.device, d.id, e.device_seq, e.hlc, e.id, e.actor, e.body, e.kind, e.hash, e.prev
         FROM events e JOIN devices d ON d.device = e.device
         WHERE e.case_row = ?1
         UNION ALL
         SELECT e.local_seq, e.device, d.id, e.device_seq, e.hlc, e.id, e.actor, e.body, e.kind, e.hash, e.prev
         FROM events e JOIN devices d ON d.device = e.device
         WHERE e.case_row IS NULL AND e.case_id = ?2",
    )?;
    let rows = stmt.query_map(params![row, id], |r| {
        Ok(CaseEvent {
            local_seq: r.get(0)?,
            device_row: r.get(1)?,
            device: r.get::<_, String>(2)?.parse().map_err(|_| {
                rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, "device id".into())
            })?,
            seq: r.get::<_, i64>(3)? as u64,
            hlc: r.get(4)?,
            id: r.get(5)?,
            actor: r.get(6)?,
            body: r.get(7)?,
            kind: r.get(8)?,
            hash: r.get(9)?,
            prev: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What a purge records of `e`: its hash and its seal after its predecessor.
fn redaction_of(tx: &Connection, case_id: CaseId, e: &CaseEvent) -> Result<Redaction, StoreError> {
    let unchained = || {
        StoreError::Corrupt(format!(
            "event {} of device {} cannot be sealed (its chain is incomplete): run `beacon audit verify`",
            e.seq, e.device
        ))
    };
    let hash = e.hash.as_deref().and_then(EventHash::from_slice).ok_or_else(unchained)?;
    let prev = match (&e.prev, e.seq) {
        (Some(kept), _) => EventHash::from_slice(kept).ok_or_else(unchained)?,
        (None, 1) => EventHash::GENESIS,
        (None, seq) => tx
            .prepare_cached("SELECT hash FROM events WHERE device = ?1 AND device_seq = ?2")?
            .query_row(params![e.device_row, seq as i64 - 1], |r| r.get::<_, Option<Vec<u8>>>(0))
            .optional()?
            .flatten()
            .as_deref()
            .and_then(EventHash::from_slice)
            .ok_or_else(unchained)?,
    };
    let event_id = e.id.parse().map_err(|_| unchained())?;
    let chained = Chained {
        device: e.device,
        seq: e.seq,
        hlc: Hlc::unpack(e.hlc),
        id: event_id,
        actor: &e.actor,
        case_id: Some(case_id),
        body_json: &e.body,
    };
    Ok(Redaction { event_id, hash, seal: chained.seal(&prev) })
}

impl Writer<'_> {
    /// Purge the case: append its `case_purged` event, which redacts every
    /// event of the case this store holds and removes the case from every
    /// table. Returns how many events it redacted (none: nothing was
    /// written, the case had nothing left to redact).
    pub fn purge_case(&mut self, actor: &Actor, case_id: CaseId, reason: &str) -> Result<usize, StoreError> {
        let events = case_events(self.connection(), case_id)?;
        let redacted: Vec<Redaction> = events
            .iter()
            .filter(|e| retention::redacts(&e.kind))
            .map(|e| redaction_of(self.connection(), case_id, e))
            .collect::<Result<_, _>>()?;
        if redacted.is_empty() {
            return Ok(0);
        }
        let count = redacted.len();
        self.append(actor, Some(case_id), EventBody::CasePurged { reason: reason.to_string(), redacted })?;
        Ok(count)
    }
}

/// The projection of a `case_purged` event: redact the listed events this
/// store holds (an event is redacted only if its stored hash is the one the
/// purge names) and remove the case from every table.
pub(crate) fn apply(tx: &Connection, case_id: CaseId, redacted: &[Redaction]) -> Result<(), StoreError> {
    let listed: HashMap<String, &Redaction> = redacted.iter().map(|r| (r.event_id.to_string(), r)).collect();
    let mut redact = tx.prepare_cached("UPDATE events SET body = ?2, kind = 'redacted' WHERE local_seq = ?1")?;
    for e in case_events(tx, case_id)? {
        let Some(r) = listed.get(&e.id) else { continue };
        if !retention::redacts(&e.kind) || e.hash.as_deref() != Some(r.hash.0.as_slice()) {
            continue;
        }
        let body = retention::redacted_body(&e.body)
            .ok_or_else(|| StoreError::Corrupt(format!("event {} of device {} has no kind", e.seq, e.device)))?;
        redact.execute(params![e.local_seq, body])?;
    }
    forget_case(tx, case_id)
}

/// Remove the case from every projection; its events stay, joined to no row.
fn forget_case(tx: &Connection, case_id: CaseId) -> Result<(), StoreError> {
    let id = case_id.to_string();
    let Some(row) = tx.query_row("SELECT row_id FROM cases WHERE id = ?1", [&id], |r| r.get::<_, i64>(0)).optional()?
    else {
        return Ok(());
    };
    let linked: Vec<i64> = tx
        .prepare_cached("SELECT other_row FROM links WHERE case_row = ?1")?
        .query_map([row], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    tx.execute("DELETE FROM links WHERE case_row = ?1 OR other_row = ?1", [row])?;
    let mut count = tx.prepare_cached(
        "UPDATE cases SET link_count = (SELECT count(*) FROM links WHERE case_row = ?1) WHERE row_id = ?1",
    )?;
    for other in linked {
        count.execute([other])?;
    }
    tx.execute("DELETE FROM link_keys WHERE case_row = ?1", [row])?;
    tx.execute("DELETE FROM cases_fts WHERE rowid = ?1", [row])?;
    tx.execute("DELETE FROM notes WHERE case_id = ?1", [&id])?;
    tx.execute("DELETE FROM handoff_conflicts WHERE case_id = ?1", [&id])?;
    tx.execute("DELETE FROM deliveries WHERE case_id = ?1", [&id])?;
    tx.execute("DELETE FROM handoffs WHERE case_id = ?1", [&id])?;
    tx.execute("UPDATE events SET case_row = NULL WHERE case_row = ?1", [row])?;
    tx.execute("DELETE FROM cases WHERE row_id = ?1", [row])?;
    Ok(())
}

impl Store {
    /// Closed cases whose retention has passed at `now` (closed at least
    /// `days` ago), longest closed first, at most `limit`.
    pub fn closed_cases_due(&self, days: u32, limit: usize) -> Result<Vec<CaseId>, StoreError> {
        let now = self.now().timestamp_millis();
        let before = now.saturating_sub(i64::from(days) * 86_400_000);
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM cases WHERE status = 'closed' AND closed_at <= ?1 ORDER BY closed_at, id LIMIT ?2",
            )?
            .query_map(params![before, limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter().map(|i| i.parse().map_err(|_| StoreError::Corrupt(format!("case id {i} is not a UUID")))).collect()
    }

    /// Purged cases (not filed again since) holding events that arrived
    /// after their purge and are not yet redacted: the next purge redacts them.
    pub fn purged_cases_with_leftovers(&self) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT p.case_id FROM events p
                 WHERE p.kind = 'case_purged'
                   AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = p.case_id)
                   AND EXISTS (SELECT 1 FROM events e WHERE e.case_row IS NULL AND e.case_id = p.case_id
                               AND e.kind NOT IN ('redacted', 'case_purged'))",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter().map(|i| i.parse().map_err(|_| StoreError::Corrupt(format!("case id {i} is not a UUID")))).collect()
    }

    /// Whether the case was purged (and not filed again since).
    pub fn is_purged(&self, case_id: CaseId) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE kind = 'case_purged' AND case_id = ?1)
                AND NOT EXISTS (SELECT 1 FROM cases WHERE id = ?1)",
            [case_id.to_string()],
            |r| r.get(0),
        )?)
    }

    /// Purge each case in one transaction of its own
    /// ([`Writer::purge_case`]), with freed space overwritten, then
    /// checkpoint and truncate the write-ahead log so no copy of what was
    /// removed stays in it. Returns how many events were redacted per case.
    pub fn purge(&mut self, actor: &Actor, cases: &[CaseId], reason: &str) -> Result<Vec<(CaseId, usize)>, StoreError> {
        self.conn.execute_batch("PRAGMA secure_delete = ON")?;
        let result = cases
            .iter()
            .map(|case| Ok((*case, self.write(|w| w.purge_case(actor, *case, reason))?)))
            .collect::<Result<Vec<_>, StoreError>>();
        let restored = self.conn.execute_batch("PRAGMA secure_delete = OFF");
        let purged = result?;
        restored?;
        // A reader holding an old snapshot can keep the checkpoint from
        // finishing; the next checkpoint then overwrites what is left.
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(purged)
    }
}
