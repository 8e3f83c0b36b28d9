//! The store's side of the per-device hash chain ([`beacon_domain::chain`]):
//! chaining events written before schema 6, and checking the chain,
//! redacted events included.

use std::collections::HashMap;

use beacon_domain::event::EventBody;
use beacon_domain::retention::Redaction;
use beacon_domain::{CaseId, Chained, DeviceId, EventHash, EventId, Hlc};
use rusqlite::{Connection, params};

use crate::StoreError;

/// A stored event's hash, recomputed from its columns.
struct Row {
    local_seq: i64,
    device: DeviceId,
    seq: u64,
    hlc: i64,
    id: String,
    actor: String,
    case_id: Option<String>,
    kind: String,
    body: String,
    stored: Option<Vec<u8>>,
    /// The predecessor's hash as pulled (another device's events only).
    prev: Option<Vec<u8>>,
}

fn rows(
    conn: &Connection,
    device_row: i64,
    f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(
        "SELECT e.local_seq, d.id, e.device_seq, e.hlc, e.id, e.actor, e.case_id, e.body, e.hash, e.prev, e.kind
         FROM events e JOIN devices d ON d.device = e.device WHERE e.device = ?1 ORDER BY e.device_seq",
    )?;
    let mut it = stmt.query([device_row])?;
    while let Some(r) = it.next()? {
        let device: String = r.get(1)?;
        f(Row {
            local_seq: r.get(0)?,
            device: device.parse().map_err(|_| StoreError::Corrupt(format!("device id {device} is not a UUID")))?,
            seq: r.get::<_, i64>(2)? as u64,
            hlc: r.get(3)?,
            id: r.get(4)?,
            actor: r.get(5)?,
            case_id: r.get(6)?,
            body: r.get(7)?,
            stored: r.get(8)?,
            prev: r.get(9)?,
            kind: r.get(10)?,
        })?;
    }
    Ok(())
}

fn hash_of(row: &Row, prev: &EventHash) -> Result<EventHash, StoreError> {
    chained(row, |c| Ok(c.hash(prev)))
}

/// Call `f` with what the chain covers of `row`.
fn chained<T>(row: &Row, f: impl FnOnce(Chained<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("event {} of its device: {what} is not a UUID", row.seq));
    let id: EventId = row.id.parse().map_err(|_| corrupt("id"))?;
    let case_id: Option<CaseId> = row.case_id.as_deref().map(str::parse).transpose().map_err(|_| corrupt("case id"))?;
    f(Chained {
        device: row.device,
        seq: row.seq,
        hlc: Hlc::unpack(row.hlc),
        id,
        actor: &row.actor,
        case_id,
        body_json: &row.body,
    })
}

/// What every purge in the store says of the events it redacted, by event id.
fn vouchers(conn: &Connection) -> Result<HashMap<String, Redaction>, StoreError> {
    let mut out = HashMap::new();
    let mut stmt = conn.prepare("SELECT body FROM events WHERE kind = 'case_purged'")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        // A purge whose body does not read vouches for nothing: the events
        // it redacted then show as broken, which is the truth.
        if let Ok(EventBody::CasePurged { redacted, .. }) = serde_json::from_str::<EventBody>(&r.get::<_, String>(0)?) {
            out.extend(redacted.into_iter().map(|v| (v.event_id.to_string(), v)));
        }
    }
    Ok(out)
}

/// A redacted event's hash, when a purge vouches for it: the purge names
/// this hash for it, and its seal (every part of it but the body it no
/// longer has, after `prev`) is the one the purge recorded.
fn vouched(
    row: &Row,
    prev: &EventHash,
    vouchers: &HashMap<String, Redaction>,
) -> Result<Option<EventHash>, StoreError> {
    let Some(v) = vouchers.get(&row.id) else { return Ok(None) };
    let Ok(EventBody::Redacted { sha256, .. }) = serde_json::from_str::<EventBody>(&row.body) else { return Ok(None) };
    if row.stored.as_deref() != Some(v.hash.0.as_slice()) {
        return Ok(None);
    }
    chained(row, |c| Ok((c.seal_with_body_digest(prev, &sha256) == v.seal).then_some(v.hash)))
}

fn device_rows(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    Ok(conn
        .prepare("SELECT device FROM devices ORDER BY device")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Migration 6's step: chain every event stored before events carried hashes.
pub(crate) fn hash_existing(conn: &Connection) -> Result<(), StoreError> {
    let mut update = conn.prepare("UPDATE events SET hash = ?2 WHERE local_seq = ?1")?;
    for device in device_rows(conn)? {
        let mut prev = EventHash::GENESIS;
        rows(conn, device, &mut |row| {
            let hash = hash_of(&row, &prev)?;
            update.execute(params![row.local_seq, hash.0.as_slice()])?;
            prev = hash;
            Ok(())
        })?;
    }
    Ok(())
}

/// Where a device's chain breaks: the first event whose stored hash is not
/// the hash of its content after the previous one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainBreak {
    pub device: DeviceId,
    pub seq: u64,
    /// The id the broken event carries (as stored: it may be what changed).
    pub event_id: String,
}

/// What walking every chain found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChainReport {
    pub devices: u64,
    pub events: u64,
    /// The first break of each broken chain; empty when none is.
    pub breaks: Vec<ChainBreak>,
}

/// Recompute every device's chain; the first break of each device. A
/// redacted event (of a purged case) is checked against the purge that
/// redacted it ([`beacon_domain::retention`]) instead. Where
/// the store holds only some of a device's events (a scoped device), each
/// held event is checked against its kept predecessor hash, and that hash
/// against the event before it wherever that one is held.
pub(crate) fn verify(conn: &Connection) -> Result<ChainReport, StoreError> {
    let mut breaks = Vec::new();
    let mut events = 0;
    let devices = device_rows(conn)?;
    let vouchers = vouchers(conn)?;
    for &device in &devices {
        // The previous held event: its sequence and recomputed hash.
        let mut last: (u64, EventHash) = (0, EventHash::GENESIS);
        let mut broken = false;
        rows(conn, device, &mut |row| {
            events += 1;
            if broken {
                return Ok(());
            }
            let kept = row.prev.as_deref().map(|p| EventHash::from_slice(p).ok_or(()));
            let prev = match (row.seq == last.0 + 1, kept) {
                (_, Some(Err(()))) => None,
                (true, Some(Ok(kept))) => (kept == last.1).then_some(kept),
                (true, None) => Some(last.1),
                (false, Some(Ok(kept))) => Some(kept),
                // A gap with no predecessor kept: nothing to check it by.
                (false, None) => None,
            };
            let hash = match prev {
                Some(prev) if row.kind == "redacted" => vouched(&row, &prev, &vouchers)?,
                Some(prev) => Some(hash_of(&row, &prev)?),
                None => None,
            };
            let hash = hash.filter(|h| row.stored.as_deref() == Some(h.0.as_slice()));
            if let Some(hash) = hash {
                last = (row.seq, hash);
            } else {
                breaks.push(ChainBreak { device: row.device, seq: row.seq, event_id: row.id.clone() });
                broken = true;
            }
            Ok(())
        })?;
    }
    Ok(ChainReport { devices: devices.len() as u64, events, breaks })
}
