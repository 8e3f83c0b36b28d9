//! The store's side of the per-device hash chain ([`beacon_domain::chain`]):
//! chaining events written before schema 6, and checking the chain.

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
        "SELECT e.local_seq, d.id, e.device_seq, e.hlc, e.id, e.actor, e.case_id, e.body, e.hash, e.prev
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
        })?;
    }
    Ok(())
}

fn hash_of(row: &Row, prev: &EventHash) -> Result<EventHash, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("event {} of its device: {what} is not a UUID", row.seq));
    let id: EventId = row.id.parse().map_err(|_| corrupt("id"))?;
    let case_id: Option<CaseId> = row.case_id.as_deref().map(str::parse).transpose().map_err(|_| corrupt("case id"))?;
    Ok(Chained {
        device: row.device,
        seq: row.seq,
        hlc: Hlc::unpack(row.hlc),
        id,
        actor: &row.actor,
        case_id,
        body_json: &row.body,
    }
    .hash(prev))
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

/// Recompute every device's chain; the first break of each device. Where
/// the store holds only some of a device's events (a scoped device), each
/// held event is checked against its kept predecessor hash, and that hash
/// against the event before it wherever that one is held.
pub(crate) fn verify(conn: &Connection) -> Result<ChainReport, StoreError> {
    let mut breaks = Vec::new();
    let mut events = 0;
    let devices = device_rows(conn)?;
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
                Some(prev) => hash_of(&row, &prev)?,
                None => EventHash::GENESIS,
            };
            if prev.is_none() || row.stored.as_deref() != Some(hash.0.as_slice()) {
                breaks.push(ChainBreak { device: row.device, seq: row.seq, event_id: row.id.clone() });
                broken = true;
            }
            last = (row.seq, hash);
            Ok(())
        })?;
    }
    Ok(ChainReport { devices: devices.len() as u64, events, breaks })
}
