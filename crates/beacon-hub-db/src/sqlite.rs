//! The SQLite backend: one file, for one office. One connection, used from
//! blocking tasks; every operation is one transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, DeviceId, EventHash, HandoffId};
use beacon_sync::{Cursor, PullResponse, PushResponse, WireEvent};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::value::RawValue;

use crate::delivery::Purpose;
use crate::push::{self, DeviceHead};
use crate::tokens::{TOKEN_COLUMNS, USER_COLUMNS};
use crate::{Answer, AnswerRefused, HandoffState};
use crate::{
    Attempt, DueDelivery, HubDb, HubDbError, HubUser, IntakeRecord, PushRefused, PushResult, ResponderChannels,
    TokenInfo, TokenRole, TokenScope, TokenUser,
};
use crate::{HubSettings, answers, effects, escalation, stream};

/// The schema, one entry per version (`PRAGMA user_version`).
const MIGRATIONS: &[&str] = &[
    include_str!("sqlite/0001_initial.sql"),
    include_str!("sqlite/0002_intents_and_scopes.sql"),
    include_str!("sqlite/0003_people.sql"),
    include_str!("sqlite/0004_delivery.sql"),
    include_str!("sqlite/0005_answers.sql"),
];

#[derive(Debug, Clone)]
pub struct SqliteHubDb {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// Bumped after a commit that appended events (one process holds the file).
    appended: Arc<tokio::sync::watch::Sender<u64>>,
}

impl SqliteHubDb {
    /// Open (creating if needed) the hub database at `path`. Call
    /// [`HubDb::migrate`] before serving.
    pub fn open(path: &Path) -> Result<Self, HubDbError> {
        SqliteHubDb::open_keyed(path, None)
    }

    /// [`SqliteHubDb::open`] for a database encrypted with SQLCipher under
    /// `key`: a passphrase, or a raw key as `x'…'` (64 hexadecimal digits).
    /// A new database is created encrypted; a wrong key (or none, for an
    /// encrypted one) is refused as [`HubDbError::WrongKey`].
    pub fn open_keyed(path: &Path, key: Option<&str>) -> Result<Self, HubDbError> {
        let conn = Connection::open(path)?;
        if let Some(key) = key {
            // Bound as a quoted literal by rusqlite: any passphrase is safe here.
            conn.pragma_update(None, "key", key)?;
        }
        // SQLCipher reads the first page only when asked: a wrong key shows here.
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())) {
            return Err(match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => HubDbError::WrongKey { encrypted: key.is_some() },
                _ => e.into(),
            });
        }
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;
             PRAGMA secure_delete = ON;",
        )?;
        let (appended, _) = tokio::sync::watch::channel(0);
        Ok(SqliteHubDb { conn: Arc::new(Mutex::new(conn)), path: path.to_path_buf(), appended: Arc::new(appended) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Store a token (its hash), for a person or none; a name in use is refused.
    async fn insert_token(
        &self,
        name: &str,
        hash: [u8; 32],
        role: TokenRole,
        scope: TokenScope,
        user: Option<&str>,
    ) -> Result<(), HubDbError> {
        let (name, user) = (name.to_string(), user.map(str::to_string));
        self.tx(move |tx| {
            let taken: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM tokens WHERE name = ?1)", [&name], |r| r.get(0))?;
            if taken {
                return Err(HubDbError::NameTaken(name));
            }
            tx.execute(
                "INSERT INTO tokens (name, hash, role, scope, created_at, user_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, hash.as_slice(), role.as_str(), scope.to_string(), crate::now_ms(), user],
            )?;
            Ok(())
        })
        .await
    }

    fn wake(&self) {
        self.appended.send_modify(|n| *n += 1);
    }

    /// Run `f` in one immediate transaction on a blocking thread.
    async fn tx<T: Send + 'static, E: From<HubDbError> + Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().map_err(|_| HubDbError::Unavailable("a database task panicked".into()))?;
            let tx =
                conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(HubDbError::from)?;
            let value = f(&tx)?;
            tx.commit().map_err(HubDbError::from)?;
            Ok(value)
        })
        .await
        .map_err(|e| E::from(HubDbError::from(e)))?
    }
}

/// Append one event to the hub's own stream, after its last.
fn append_by_hub(tx: &Connection, now_ms: i64, case_id: CaseId, body: String, kind: &str) -> Result<(), HubDbError> {
    let hub = hub_device(tx)?;
    let (head, last_hlc) = head(tx, hub)?;
    let event = stream::next_event(hub, head, last_hlc, now_ms, Some(case_id), body)?;
    insert_event(tx, &event, kind)?;
    set_head(tx, hub, DeviceHead { seq: event.seq, hash: event.hash }, event.hlc)
}

fn hub_device(tx: &Connection) -> Result<DeviceId, HubDbError> {
    let id: String = tx.query_row("SELECT value FROM hub_meta WHERE key = 'device'", [], |r| r.get(0))?;
    id.parse().map_err(|_| HubDbError::Corrupt("the hub's device id is not a UUID".into()))
}

/// A device's head and last clock (a device never seen: sequence 0).
fn head(tx: &Connection, device: DeviceId) -> Result<(DeviceHead, i64), HubDbError> {
    let row: Option<(i64, Vec<u8>, i64)> = tx
        .prepare_cached("SELECT head_seq, head_hash, last_hlc FROM devices WHERE device = ?1")?
        .query_row([device.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match row {
        None => Ok((DeviceHead::NEW, 0)),
        Some((seq, hash, hlc)) => {
            let hash = EventHash::from_slice(&hash)
                .ok_or_else(|| HubDbError::Corrupt("a chain head is not 32 bytes".into()))?;
            Ok((DeviceHead { seq: seq as u64, hash }, hlc))
        }
    }
}

fn set_head(tx: &Connection, device: DeviceId, head: DeviceHead, hlc: i64) -> Result<(), HubDbError> {
    tx.prepare_cached(
        "INSERT INTO devices (device, head_seq, head_hash, last_hlc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device) DO UPDATE SET head_seq = ?2, head_hash = ?3, last_hlc = max(last_hlc, ?4)",
    )?
    .execute(params![device.to_string(), head.seq as i64, head.hash.0.as_slice(), hlc])?;
    Ok(())
}

/// Store an event; returns its `hub_seq`.
fn insert_event(tx: &Connection, e: &WireEvent, kind: &str) -> Result<i64, HubDbError> {
    tx.prepare_cached(
        "INSERT INTO events (id, device, device_seq, hlc, actor, case_id, kind, body, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        e.id.to_string(),
        e.device.to_string(),
        e.seq as i64,
        e.hlc,
        e.actor,
        e.case_id.map(|c| c.to_string()),
        kind,
        e.body.get(),
        e.prev.0.as_slice(),
        e.hash.0.as_slice(),
    ])?;
    Ok(tx.last_insert_rowid())
}

fn enter_scope(tx: &Connection, scope: &str, case_id: CaseId, hub_seq: i64) -> Result<(), HubDbError> {
    tx.prepare_cached("INSERT OR IGNORE INTO case_scopes (scope, case_id, entered_seq) VALUES (?1, ?2, ?3)")?
        .execute(params![scope, case_id.to_string(), hub_seq])?;
    Ok(())
}

/// What the effects of a push depend on ([`effects::Known`]).
fn load_known(
    tx: &Connection,
    scope: &TokenScope,
    new: &[(&WireEvent, EventBody)],
) -> Result<effects::Known, HubDbError> {
    let (cases, pairs) = effects::wants(new);
    let mut known = effects::Known::default();
    let scope_key = (*scope != TokenScope::All).then(|| scope.to_string());
    for case in cases {
        let id = case.to_string();
        if tx.prepare_cached("SELECT 1 FROM cases WHERE case_id = ?1")?.exists([&id])? {
            known.cases.insert(case);
        }
        if let Some(key) = &scope_key
            && tx.prepare_cached("SELECT 1 FROM case_scopes WHERE scope = ?1 AND case_id = ?2")?.exists([key, &id])?
        {
            known.in_scope.insert(case);
        }
    }
    for (case, role) in pairs {
        let row = tx
            .prepare_cached(
                "SELECT handoff_id, responder_id, responder_name, handed_off_by, device, hlc FROM handoffs
                 WHERE case_id = ?1 AND role = ?2 AND stands = 1 ORDER BY hub_seq DESC LIMIT 1",
            )?
            .query_row(params![case.to_string(), role.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get(5)?))
            })
            .optional()?;
        if let Some((handoff, responder_id, responder_name, handed_off_by, device, hlc)) = row {
            let corrupt = || HubDbError::Corrupt("a stored handoff is unreadable".into());
            known.standing.insert(
                (case, role),
                effects::StandingHandoff {
                    handoff_id: handoff.parse().map_err(|_| corrupt())?,
                    responder_id: beacon_domain::ResponderId(responder_id),
                    responder_name,
                    handed_off_by,
                    device: device.parse().map_err(|_| corrupt())?,
                    hlc,
                },
            );
        }
    }
    Ok(known)
}

/// Write a push's effects; `seqs[i]` is the `hub_seq` of its event `i`.
fn write_effects(tx: &Connection, fx: &effects::Effects, seqs: &[i64], now_ms: i64) -> Result<(), HubDbError> {
    for (_, c) in &fx.cases {
        file_case(tx, c.case_id, &c.source, &c.external_id, c.troop.as_deref())?;
    }
    for e in &fx.scope_entries {
        enter_scope(tx, &e.scope, e.case_id, seqs[e.event])?;
    }
    for (i, r) in &fx.responders {
        save_responder(tx, r, seqs[*i])?;
    }
    for h in &fx.handoffs {
        file_handoff(tx, h, seqs[h.event], now_ms)?;
    }
    for p in &fx.progress {
        keep_progress(tx, p, now_ms)?;
    }
    for (case_id, listed) in &fx.purges {
        let held: Vec<effects::HeldEvent> = tx
            .prepare_cached("SELECT hub_seq, id, kind, hash, body FROM events WHERE case_id = ?1")?
            .query_map([case_id.to_string()], |r| {
                Ok(effects::HeldEvent {
                    hub_seq: r.get(0)?,
                    id: r.get(1)?,
                    kind: r.get(2)?,
                    hash: r.get(3)?,
                    body: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut update = tx.prepare_cached("UPDATE events SET body = ?2, kind = 'redacted' WHERE hub_seq = ?1")?;
        for (hub_seq, body) in effects::redact(held, listed) {
            update.execute(params![hub_seq, body])?;
        }
    }
    if fx.rejections.is_empty() {
        return Ok(());
    }
    let hub = hub_device(tx)?;
    let (mut head, mut last_hlc) = head(tx, hub)?;
    for r in &fx.rejections {
        let event =
            stream::next_event(hub, head, last_hlc.max(r.after_hlc), now_ms, Some(r.case_id), r.body_json.clone())?;
        insert_event(tx, &event, "handoff_rejected")?;
        head = DeviceHead { seq: event.seq, hash: event.hash };
        last_hlc = event.hlc;
    }
    set_head(tx, hub, head, last_hlc)
}

/// Only the handoff standing for its case and role (the latest that stood).
const CURRENT: &str = "stands = 1 AND hub_seq = (SELECT max(h2.hub_seq) FROM handoffs h2
    WHERE h2.case_id = handoffs.case_id AND h2.role = handoffs.role AND h2.stands = 1)";

/// Keep what an event says of a handoff's answers or its case's closing,
/// and settle the deadlines it meets.
fn keep_progress(tx: &Connection, p: &answers::Progress, now_ms: i64) -> Result<(), HubDbError> {
    use answers::Progress;
    match p {
        Progress::Acknowledged { handoff_id: Some(h), .. } => tx
            .prepare_cached("UPDATE handoffs SET acknowledged_at = coalesce(acknowledged_at, ?2) WHERE handoff_id = ?1")?
            .execute(params![h.to_string(), now_ms])?,
        Progress::Acknowledged { case_id, handoff_id: None, responder_id } => tx
            .prepare_cached(&format!(
                "UPDATE handoffs SET acknowledged_at = coalesce(acknowledged_at, ?2)
                 WHERE case_id = ?1 AND (?3 IS NULL OR responder_id = ?3) AND {CURRENT}"
            ))?
            .execute(params![case_id.to_string(), now_ms, responder_id.as_ref().map(|r| &r.0)])?,
        Progress::OnScene { case_id } => tx
            .prepare_cached(&format!(
                "UPDATE handoffs SET on_scene_at = coalesce(on_scene_at, ?2), acknowledged_at = coalesce(acknowledged_at, ?2)
                 WHERE case_id = ?1 AND {CURRENT}"
            ))?
            .execute(params![case_id.to_string(), now_ms])?,
        Progress::Closed { case_id } => tx
            .prepare_cached("UPDATE cases SET closed_at = ?2 WHERE case_id = ?1")?
            .execute(params![case_id.to_string(), now_ms])?,
        Progress::Reopened { case_id } => tx
            .prepare_cached("UPDATE cases SET closed_at = NULL WHERE case_id = ?1")?
            .execute(params![case_id.to_string()])?,
    };
    settle(tx, p.case_id(), now_ms)
}

/// A handoff and its answers, read in a transaction.
fn handoff_state(tx: &Connection, handoff_id: HandoffId) -> Result<Option<HandoffState>, HubDbError> {
    let row = tx
        .prepare_cached(&format!(
            "SELECT case_id, responder_id, responder_name, role, acknowledged_at, on_scene_at, hub_seq,
                (SELECT closed_at FROM cases c WHERE c.case_id = handoffs.case_id),
                (SELECT count(*) FROM handoffs h3 WHERE h3.handoff_id = handoffs.handoff_id AND {})
             FROM handoffs WHERE handoff_id = ?1",
            CURRENT.replace("handoffs.", "h3.")
        ))?
        .query_row([handoff_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })
        .optional()?;
    let Some((case, responder_id, responder_name, role, acknowledged_at, on_scene_at, hub_seq, closed_at, current)) =
        row
    else {
        return Ok(None);
    };
    let corrupt = || HubDbError::Corrupt("a stored handoff is unreadable".into());
    let handoff_body: String =
        tx.prepare_cached("SELECT body FROM events WHERE hub_seq = ?1")?.query_row([hub_seq], |r| r.get(0))?;
    let referral_body: Option<String> = tx
        .prepare_cached("SELECT body FROM events WHERE case_id = ?1 AND kind = 'referral_received' LIMIT 1")?
        .query_row([&case], |r| r.get(0))
        .optional()?;
    Ok(Some(HandoffState {
        handoff_id,
        case_id: case.parse().map_err(|_| corrupt())?,
        responder_id: beacon_domain::ResponderId(responder_id),
        responder_name,
        role: role.parse().map_err(|_| corrupt())?,
        stands: current > 0,
        acknowledged_at,
        on_scene_at,
        case_closed_at: closed_at,
        handoff_body,
        referral_body,
    }))
}

/// The roster's responder as last saved (in arrival order).
fn save_responder(tx: &Connection, r: &beacon_domain::Responder, hub_seq: i64) -> Result<(), HubDbError> {
    let body = serde_json::to_string(r).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
    tx.prepare_cached(
        "INSERT INTO responders (responder_id, body, hub_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (responder_id) DO UPDATE SET body = ?2, hub_seq = ?3 WHERE ?3 > responders.hub_seq",
    )?
    .execute(params![r.id.0, body, hub_seq])?;
    Ok(())
}

/// Keep a handoff; one that stands owes its deliveries and gets its
/// deadlines, and the case's earlier handoff of its role stops counting.
fn file_handoff(tx: &Connection, h: &effects::HandoffRow, hub_seq: i64, now_ms: i64) -> Result<(), HubDbError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO handoffs (handoff_id, case_id, role, responder_id, responder_name, handed_off_by,
            device, hlc, stands, hub_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        h.standing.handoff_id.to_string(),
        h.case_id.to_string(),
        h.role.as_str(),
        h.standing.responder_id.0,
        h.standing.responder_name,
        h.standing.handed_off_by,
        h.standing.device.to_string(),
        h.standing.hlc,
        h.stands,
        hub_seq
    ])?;
    if !h.stands {
        return Ok(());
    }
    let (handoff_id, case_id) = (h.standing.handoff_id.to_string(), h.case_id.to_string());
    owe(tx, &handoff_id, &case_id, &h.standing.responder_id.0, Purpose::Handoff, hub_seq, now_ms)?;
    tx.prepare_cached(
        "UPDATE escalations SET settled_at = ?3, settled_why = 'replaced'
         WHERE case_id = ?1 AND role = ?2 AND handoff_id <> ?4 AND settled_at IS NULL AND fired_at IS NULL",
    )?
    .execute(params![case_id, h.role.as_str(), now_ms, handoff_id])?;
    let settings = HubSettings::from_pairs(&settings_in(tx)?);
    let facts = case_facts(tx, &case_id)?;
    for d in escalation::deadlines(&settings, facts.priority, now_ms) {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO escalations (handoff_id, step, case_id, role, responder_id, responder_name,
                filed_at, due_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            handoff_id,
            d.step.as_str(),
            case_id,
            h.role.as_str(),
            h.standing.responder_id.0,
            h.standing.responder_name,
            now_ms,
            d.due_at
        ])?;
    }
    Ok(())
}

/// A delivery owed on each of a responder's channels, filed with what it carries.
fn owe(
    tx: &Connection,
    handoff_id: &str,
    case_id: &str,
    responder_id: &str,
    purpose: Purpose,
    hub_seq: i64,
    now_ms: i64,
) -> Result<(), HubDbError> {
    let Some(channels) = load_channels(tx, responder_id)? else { return Ok(()) };
    for channel in channels.deliverable() {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO deliveries (delivery_id, handoff_id, case_id, responder_id, channel, purpose,
                handoff_seq, state, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8)",
        )?
        .execute(params![
            crate::delivery::new_delivery_id(),
            handoff_id,
            case_id,
            responder_id,
            channel.as_str(),
            purpose.as_str(),
            hub_seq,
            now_ms
        ])?;
    }
    Ok(())
}

fn settings_in(tx: &Connection) -> Result<Vec<(String, String)>, HubDbError> {
    let mut stmt = tx.prepare_cached("SELECT key, value FROM hub_settings")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// What the hub knows of a case from its events ([`escalation::CaseFacts`]).
fn case_facts(tx: &Connection, case_id: &str) -> Result<escalation::CaseFacts, HubDbError> {
    let mut stmt = tx.prepare_cached(
        "SELECT body FROM events WHERE case_id = ?1
         AND kind IN ('referral_received', 'jurisdiction_changed', 'priority_overridden') ORDER BY hub_seq",
    )?;
    let bodies = stmt.query_map([case_id], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(escalation::CaseFacts::from_bodies(bodies.iter().map(String::as_str)))
}

/// Settle the case's deadlines that are met, or all of them once it is closed.
fn settle(tx: &Connection, case_id: CaseId, now_ms: i64) -> Result<(), HubDbError> {
    tx.prepare_cached(
        "UPDATE escalations SET settled_at = ?2,
            settled_why = CASE WHEN (SELECT closed_at FROM cases WHERE case_id = ?1) IS NULL THEN 'met' ELSE 'closed' END
         WHERE case_id = ?1 AND settled_at IS NULL AND fired_at IS NULL AND (
            (SELECT closed_at FROM cases WHERE case_id = ?1) IS NOT NULL
            OR EXISTS (SELECT 1 FROM handoffs h WHERE h.handoff_id = escalations.handoff_id
                AND (CASE escalations.step WHEN 'ack' THEN h.acknowledged_at ELSE h.on_scene_at END) IS NOT NULL))",
    )?
    .execute(params![case_id.to_string(), now_ms])?;
    Ok(())
}

/// What deciding an escalation needs ([`escalation::Context`]).
fn escalation_context(tx: &Connection, d: &escalation::DueEscalation) -> Result<escalation::Context, HubDbError> {
    let case_id = d.case_id.to_string();
    let mut ctx = escalation::Context { facts: case_facts(tx, &case_id)?, ..Default::default() };
    let mut stmt = tx.prepare_cached("SELECT body FROM responders ORDER BY responder_id")?;
    for body in stmt.query_map([], |r| r.get::<_, String>(0))? {
        // A responder the hub cannot read is nobody to escalate to.
        if let Ok(r) = serde_json::from_str(&body?) {
            ctx.roster.push(r);
        }
    }
    let mut stmt = tx.prepare_cached("SELECT DISTINCT responder_id FROM handoffs WHERE case_id = ?1 AND role = ?2")?;
    for id in stmt.query_map(params![case_id, d.role.as_str()], |r| r.get::<_, String>(0))? {
        ctx.already_asked.push(beacon_domain::ResponderId(id?));
    }
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT responder_id, count(*) FROM handoffs WHERE {CURRENT}
         AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id = handoffs.case_id AND c.closed_at IS NOT NULL)
         GROUP BY responder_id"
    ))?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (id, n) = row?;
        ctx.open_handoffs.insert(id, n as u32);
    }
    Ok(ctx)
}

fn load_channels(tx: &Connection, responder_id: &str) -> Result<Option<ResponderChannels>, HubDbError> {
    Ok(tx
        .prepare_cached(
            "SELECT responder_id, email, webhook_url, webhook_secrets, webhook_disabled_at, updated_at
             FROM responder_channels WHERE responder_id = ?1",
        )?
        .query_row([responder_id], channels_row)
        .optional()?)
}

fn channels_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ResponderChannels> {
    let secrets: String = r.get(3)?;
    Ok(ResponderChannels {
        responder_id: r.get(0)?,
        email: r.get(1)?,
        webhook_url: r.get(2)?,
        webhook_secrets: serde_json::from_str(&secrets).unwrap_or_default(),
        webhook_disabled_at: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

/// File a case the hub learns of (by intake or from a device's
/// `referral_received`), so intake can answer "already known".
fn file_case(
    tx: &Connection,
    case_id: CaseId,
    source: &str,
    external_id: &str,
    troop: Option<&str>,
) -> Result<(), HubDbError> {
    tx.prepare_cached("INSERT OR IGNORE INTO cases (case_id, source, external_id, troop) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![case_id.to_string(), source, external_id, troop])?;
    Ok(())
}

fn event_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<WireEvent, HubDbError>> {
    let corrupt = |what: &str| HubDbError::Corrupt(format!("a stored event's {what} is unreadable"));
    let text = |i: usize| r.get::<_, String>(i);
    let hash = |i: usize, what: &'static str| {
        r.get::<_, Vec<u8>>(i).map(|b| EventHash::from_slice(&b).ok_or_else(|| corrupt(what)))
    };
    let (id, device, case_id, body) = (text(0)?, text(1)?, r.get::<_, Option<String>>(5)?, text(6)?);
    let (prev, this) = (hash(7, "previous hash")?, hash(8, "hash")?);
    let (seq, hlc, actor) = (r.get::<_, i64>(2)?, r.get::<_, i64>(3)?, text(4)?);
    Ok((|| {
        Ok(WireEvent {
            id: id.parse().map_err(|_| corrupt("id"))?,
            device: device.parse().map_err(|_| corrupt("device"))?,
            seq: seq as u64,
            hlc,
            actor,
            case_id: case_id.map(|c| c.parse()).transpose().map_err(|_| corrupt("case id"))?,
            body: RawValue::from_string(body).map_err(|_| corrupt("body"))?,
            prev: prev?,
            hash: this?,
        })
    })())
}

const EVENT_COLUMNS: &str = "id, device, device_seq, hlc, actor, case_id, body, prev, hash";

#[async_trait]
impl HubDb for SqliteHubDb {
    async fn migrate(&self) -> Result<(), HubDbError> {
        self.tx(|tx| {
            let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let known = MIGRATIONS.len() as i64;
            if current > known {
                return Err(HubDbError::Corrupt(format!(
                    "the database has schema version {current}; this hub knows up to {known}"
                )));
            }
            for sql in &MIGRATIONS[current as usize..] {
                tx.execute_batch(sql)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {known}"))?;
            tx.execute(
                "INSERT OR IGNORE INTO hub_meta (key, value) VALUES ('device', ?1)",
                [DeviceId::new_random().to_string()],
            )?;
            Ok(())
        })
        .await
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn create_token(
        &self,
        name: &str,
        hash: [u8; 32],
        role: TokenRole,
        scope: TokenScope,
    ) -> Result<(), HubDbError> {
        self.insert_token(name, hash, role, scope, None).await
    }

    async fn revoke_token(&self, name: &str) -> Result<bool, HubDbError> {
        let name = name.to_string();
        self.tx(move |tx| {
            Ok(tx.execute(
                "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE name = ?1",
                params![name, crate::now_ms()],
            )? > 0)
        })
        .await
    }

    async fn list_tokens(&self) -> Result<Vec<TokenInfo>, HubDbError> {
        self.tx(|tx| {
            let mut stmt = tx.prepare(&format!("{TOKEN_COLUMNS} ORDER BY t.name"))?;
            let rows = stmt.query_map([], token_at)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<TokenInfo>, HubDbError> {
        self.tx(move |tx| {
            tx.prepare_cached(&format!("{TOKEN_COLUMNS} WHERE t.hash = ?1"))?
                .query_row([hash.as_slice()], token_at)
                .optional()?
                .transpose()
        })
        .await
    }

    async fn create_user_token(
        &self,
        name: &str,
        hash: [u8; 32],
        scope: TokenScope,
        user: &str,
    ) -> Result<(), HubDbError> {
        self.insert_token(name, hash, TokenRole::Device, scope, Some(user)).await
    }

    async fn save_user(&self, user: HubUser) -> Result<(), HubDbError> {
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO hub_users (name, role, responder_id, verifier, failures, locked_until, disabled_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role, responder_id = excluded.responder_id,
                   verifier = excluded.verifier, failures = excluded.failures,
                   locked_until = excluded.locked_until, disabled_at = excluded.disabled_at",
                params![
                    user.name,
                    user.role.as_str(),
                    user.responder_id,
                    user.verifier,
                    user.failures,
                    user.locked_until,
                    user.disabled_at,
                    user.created_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn user(&self, name: &str) -> Result<Option<HubUser>, HubDbError> {
        let name = name.to_string();
        self.tx(move |tx| {
            tx.prepare_cached(&format!("{USER_COLUMNS} WHERE name = ?1"))?
                .query_row([name], user_at)
                .optional()?
                .transpose()
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<HubUser>, HubDbError> {
        self.tx(|tx| {
            let mut stmt = tx.prepare(&format!("{USER_COLUMNS} ORDER BY name"))?;
            let rows = stmt.query_map([], user_at)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    async fn disable_user(&self, name: &str, now_ms: i64) -> Result<bool, HubDbError> {
        let name = name.to_string();
        self.tx(move |tx| {
            let found = tx.execute(
                "UPDATE hub_users SET disabled_at = coalesce(disabled_at, ?2) WHERE name = ?1",
                params![name, now_ms],
            )? > 0;
            tx.execute(
                "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE user_name = ?1",
                params![name, now_ms],
            )?;
            Ok(found)
        })
        .await
    }

    async fn set_channels(&self, c: ResponderChannels) -> Result<(), HubDbError> {
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO responder_channels (responder_id, email, webhook_url, webhook_secrets, webhook_disabled_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (responder_id) DO UPDATE SET email = ?2, webhook_url = ?3, webhook_secrets = ?4,
                   webhook_disabled_at = ?5, updated_at = ?6",
                params![
                    c.responder_id,
                    c.email,
                    c.webhook_url,
                    serde_json::to_string(&c.webhook_secrets).unwrap_or_else(|_| "[]".into()),
                    c.webhook_disabled_at,
                    c.updated_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn channels(&self, responder_id: &str) -> Result<Option<ResponderChannels>, HubDbError> {
        let responder_id = responder_id.to_string();
        self.tx(move |tx| load_channels(tx, &responder_id)).await
    }

    async fn list_channels(&self) -> Result<Vec<ResponderChannels>, HubDbError> {
        self.tx(move |tx| {
            let mut stmt = tx.prepare(
                "SELECT responder_id, email, webhook_url, webhook_secrets, webhook_disabled_at, updated_at
                 FROM responder_channels ORDER BY responder_id",
            )?;
            let rows = stmt.query_map([], channels_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<(), HubDbError> {
        let (key, value) = (key.to_string(), value.to_string());
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO hub_settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
                params![key, value],
            )?;
            Ok(())
        })
        .await
    }

    async fn settings(&self) -> Result<Vec<(String, String)>, HubDbError> {
        self.tx(move |tx| {
            let mut stmt = tx.prepare("SELECT key, value FROM hub_settings ORDER BY key")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn hub_secret(&self, name: &str) -> Result<[u8; 32], HubDbError> {
        let name = name.to_string();
        self.tx(move |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO hub_secrets (name, value) VALUES (?1, ?2)",
                params![name, rand::random::<[u8; 32]>().as_slice()],
            )?;
            let value: Vec<u8> =
                tx.query_row("SELECT value FROM hub_secrets WHERE name = ?1", [&name], |r| r.get(0))?;
            value.try_into().map_err(|_| HubDbError::Corrupt("a hub secret is not 32 bytes".into()))
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, HubDbError> {
        let worker = worker.to_string();
        self.tx(move |tx| {
            let claimed: Vec<(String, String, String, String, String, i64, i64, String)> = tx
                .prepare_cached(
                    "UPDATE deliveries SET claimed_by = ?1, claimed_until = ?2
                     WHERE delivery_id IN (
                         SELECT delivery_id FROM deliveries
                         WHERE state = 'pending' AND next_attempt_at <= ?3 AND (claimed_until IS NULL OR claimed_until < ?3)
                         ORDER BY next_attempt_at LIMIT ?4)
                     RETURNING delivery_id, handoff_id, case_id, responder_id, channel, attempts, handoff_seq, purpose",
                )?
                .query_map(params![worker, now_ms + lease_ms, now_ms, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
                })?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(claimed.len());
            for (delivery_id, handoff, case, responder_id, channel, attempts, handoff_seq, purpose) in claimed {
                let (handoff_id, case_id, channel) = crate::delivery::ids(&handoff, &case, &channel)?;
                let handoff_body: String =
                    tx.prepare_cached("SELECT body FROM events WHERE hub_seq = ?1")?.query_row([handoff_seq], |r| r.get(0))?;
                let referral_body: Option<String> = tx
                    .prepare_cached("SELECT body FROM events WHERE case_id = ?1 AND kind = 'referral_received' LIMIT 1")?
                    .query_row([&case], |r| r.get(0))
                    .optional()?;
                let channels = load_channels(tx, &responder_id)?.unwrap_or_default();
                out.push(DueDelivery {
                    delivery_id,
                    purpose: Purpose::parse(&purpose)?,
                    handoff_id,
                    case_id,
                    responder_id: beacon_domain::ResponderId(responder_id),
                    channel,
                    attempt: attempts as u32 + 1,
                    handoff_body,
                    referral_body,
                    channels,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn record_attempt(&self, a: Attempt, now_ms: i64) -> Result<(), HubDbError> {
        self.tx(move |tx| {
            tx.execute(
                "UPDATE deliveries SET attempts = max(attempts, ?2), state = ?3, next_attempt_at = coalesce(?4, next_attempt_at),
                   claimed_by = NULL, claimed_until = NULL
                 WHERE delivery_id = ?1",
                params![a.delivery_id, a.attempt, a.state(), a.next_attempt_at],
            )?;
            if a.outcome == beacon_domain::delivery::Outcome::Gone {
                tx.execute(
                    "UPDATE responder_channels SET webhook_disabled_at = coalesce(webhook_disabled_at, ?2) WHERE responder_id = ?1",
                    params![a.responder_id.0, now_ms],
                )?;
            }
            append_by_hub(tx, now_ms, a.case_id, a.event_body(), "delivery_attempted")
        })
        .await?;
        self.wake();
        Ok(())
    }

    async fn record_seen(
        &self,
        responder_id: &str,
        handoffs: Vec<HandoffId>,
        now_ms: i64,
    ) -> Result<usize, HubDbError> {
        let responder_id = responder_id.to_string();
        let recorded = self
            .tx(move |tx| {
                let mut recorded = 0;
                for handoff_id in handoffs {
                    let Some(state) = handoff_state(tx, handoff_id)? else { continue };
                    let Some(seen) = crate::delivery::seen_on_device(&state, &responder_id) else { continue };
                    let filed = tx
                        .prepare_cached(
                            "INSERT OR IGNORE INTO deliveries (delivery_id, handoff_id, case_id, responder_id, channel,
                                purpose, handoff_seq, state, attempts, next_attempt_at, created_at)
                             SELECT ?1, ?2, case_id, ?3, ?4, 'handoff', hub_seq, ?5, 1, ?6, ?6
                             FROM handoffs WHERE handoff_id = ?2",
                        )?
                        .execute(params![
                            seen.delivery_id,
                            handoff_id.to_string(),
                            responder_id,
                            seen.channel.as_str(),
                            seen.state(),
                            now_ms
                        ])?;
                    if filed == 0 {
                        continue;
                    }
                    append_by_hub(tx, now_ms, seen.case_id, seen.event_body(), "delivery_attempted")?;
                    recorded += 1;
                }
                Ok::<usize, HubDbError>(recorded)
            })
            .await?;
        if recorded > 0 {
            self.wake();
        }
        Ok(recorded)
    }

    async fn handoff_state(&self, handoff_id: HandoffId) -> Result<Option<HandoffState>, HubDbError> {
        self.tx(move |tx| handoff_state(tx, handoff_id)).await
    }

    async fn answer(
        &self,
        handoff_id: HandoffId,
        answer: Answer,
        now_ms: i64,
    ) -> Result<Result<HandoffState, AnswerRefused>, HubDbError> {
        let wrote = self
            .tx(move |tx| {
                let Some(state) = handoff_state(tx, handoff_id)? else {
                    return Err(HubDbError::Corrupt("an answer for a handoff the hub does not hold".into()));
                };
                let events = match answers::events_for(&state, answer) {
                    Ok(events) => events,
                    Err(refused) => return Ok((Err(refused), false)),
                };
                let hub = hub_device(tx)?;
                let (mut head, mut last_hlc) = head(tx, hub)?;
                for body in &events {
                    let json = serde_json::to_string(body).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
                    let actor = answers::actor(&state);
                    let event = stream::next_event_by(&actor, hub, head, last_hlc, now_ms, Some(state.case_id), json)?;
                    insert_event(tx, &event, body.kind())?;
                    if let Some(p) = answers::progress(state.case_id, body) {
                        keep_progress(tx, &p, now_ms)?;
                    }
                    head = DeviceHead { seq: event.seq, hash: event.hash };
                    last_hlc = event.hlc;
                }
                set_head(tx, hub, head, last_hlc)?;
                let now =
                    handoff_state(tx, handoff_id)?.ok_or_else(|| HubDbError::Corrupt("a handoff vanished".into()))?;
                Ok((Ok(now), !events.is_empty()))
            })
            .await?;
        if wrote.1 {
            self.wake();
        }
        Ok(wrote.0)
    }

    async fn fire_escalations(&self, worker: &str, now_ms: i64, limit: u32) -> Result<usize, HubDbError> {
        let worker = worker.to_string();
        let fired = self
            .tx(move |tx| -> Result<usize, HubDbError> {
                let due: Vec<escalation::DueEscalation> = tx
                    .prepare_cached(
                        "SELECT handoff_id, step, case_id, responder_id, responder_name, role, filed_at, due_at
                         FROM escalations WHERE settled_at IS NULL AND fired_at IS NULL AND due_at <= ?1
                         ORDER BY due_at LIMIT ?2",
                    )?
                    .query_map(params![now_ms, limit], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, i64>(6)?,
                            r.get::<_, i64>(7)?,
                        ))
                    })?
                    .map(|row| {
                        let (handoff, step, case, responder_id, responder_name, role, filed_at, due_at) = row?;
                        escalation::due_from_row(
                            &handoff,
                            &step,
                            &case,
                            responder_id,
                            responder_name,
                            &role,
                            filed_at,
                            due_at,
                        )
                    })
                    .collect::<Result<_, HubDbError>>()?;
                if due.is_empty() {
                    return Ok(0);
                }
                let hub = hub_device(tx)?;
                let (mut head, mut last_hlc) = head(tx, hub)?;
                let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
                for d in &due {
                    let decision = escalation::decide(d, &escalation_context(tx, d)?, now);
                    let (handoff_id, case_id) = (d.handoff_id.to_string(), d.case_id.to_string());
                    tx.prepare_cached(
                        "UPDATE escalations SET fired_at = ?3, fired_by = ?4 WHERE handoff_id = ?1 AND step = ?2",
                    )?
                    .execute(params![handoff_id, d.step.as_str(), now_ms, worker])?;
                    let json =
                        serde_json::to_string(&decision.escalated).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
                    let event = stream::next_event(hub, head, last_hlc, now_ms, Some(d.case_id), json)?;
                    let seq = insert_event(tx, &event, "escalated")?;
                    (head, last_hlc) = (DeviceHead { seq: event.seq, hash: event.hash }, event.hlc);
                    if let Some(supervisor) = &decision.supervisor {
                        owe(tx, &handoff_id, &case_id, &supervisor.0, Purpose::Escalation, seq, now_ms)?;
                    }
                    if let Some((next_id, responder, body)) = decision.handoff {
                        let json = serde_json::to_string(&body).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
                        let actor = escalation::ESCALATION_ACTOR;
                        let event = stream::next_event_by(actor, hub, head, last_hlc, now_ms, Some(d.case_id), json)?;
                        let seq = insert_event(tx, &event, "handed_off")?;
                        (head, last_hlc) = (DeviceHead { seq: event.seq, hash: event.hash }, event.hlc);
                        let scope = TokenScope::Responder(responder.id.0.clone()).to_string();
                        let row = escalation::handoff_row(d, next_id, responder, hub, event.hlc);
                        file_handoff(tx, &row, seq, now_ms)?;
                        enter_scope(tx, &scope, d.case_id, seq)?;
                    }
                }
                set_head(tx, hub, head, last_hlc)?;
                Ok(due.len())
            })
            .await?;
        if fired > 0 {
            self.wake();
        }
        Ok(fired)
    }

    async fn next_escalation_due(&self) -> Result<Option<i64>, HubDbError> {
        self.tx(move |tx| {
            Ok(tx.query_row(
                "SELECT min(due_at) FROM escalations WHERE settled_at IS NULL AND fired_at IS NULL",
                [],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn next_delivery_due(&self) -> Result<Option<i64>, HubDbError> {
        self.tx(move |tx| {
            Ok(tx.query_row("SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'", [], |r| r.get(0))?)
        })
        .await
    }

    async fn intake(&self, records: Vec<IntakeRecord>, now_ms: i64) -> Result<Vec<(CaseId, bool)>, HubDbError> {
        self.tx(move |tx| {
            let hub = hub_device(tx)?;
            let (mut head, mut last_hlc) = head(tx, hub)?;
            let mut out = Vec::with_capacity(records.len());
            for r in records {
                let known: Option<String> = tx
                    .prepare_cached("SELECT case_id FROM cases WHERE source = ?1 AND external_id = ?2")?
                    .query_row(params![r.source.as_str(), r.external_id], |row| row.get(0))
                    .optional()?;
                if let Some(known) = known {
                    let id = known.parse().map_err(|_| HubDbError::Corrupt("a case id is not a UUID".into()))?;
                    out.push((id, false));
                    continue;
                }
                let event = stream::next_event(hub, head, last_hlc, now_ms, Some(r.case_id), r.body_json)?;
                let hub_seq = insert_event(tx, &event, "referral_received")?;
                file_case(tx, r.case_id, r.source.as_str(), &r.external_id, r.troop.as_deref())?;
                if let Some(troop) = &r.troop {
                    enter_scope(tx, &effects::troop_scope(troop), r.case_id, hub_seq)?;
                }
                head = DeviceHead { seq: event.seq, hash: event.hash };
                last_hlc = event.hlc;
                out.push((r.case_id, true));
            }
            set_head(tx, hub, head, last_hlc)?;
            Ok(out)
        })
        .await
        .inspect(|out: &Vec<(CaseId, bool)>| {
            if out.iter().any(|(_, created)| *created) {
                self.wake();
            }
        })
    }

    async fn push(&self, device: DeviceId, scope: TokenScope, events: Vec<WireEvent>, now_ms: i64) -> PushResult {
        self.tx(move |tx| -> Result<PushResponse, PushRefused> {
            let (head, _) = head(tx, device)?;
            // The stored hashes of the push's events the hub already holds.
            let low = events.iter().map(|e| e.seq).min().unwrap_or(0);
            let mut held = std::collections::HashMap::new();
            if low <= head.seq {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT device_seq, hash FROM events WHERE device = ?1 AND device_seq BETWEEN ?2 AND ?3",
                    )
                    .map_err(HubDbError::from)?;
                let rows = stmt
                    .query_map(params![device.to_string(), low as i64, head.seq as i64], |r| {
                        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
                    })
                    .map_err(HubDbError::from)?;
                for row in rows {
                    let (seq, hash) = row.map_err(HubDbError::from)?;
                    if let Some(hash) = EventHash::from_slice(&hash) {
                        held.insert(seq, hash);
                    }
                }
            }
            let plan = push::plan(device, head, &|seq| held.get(&seq).copied(), &events, now_ms)?;
            let known = load_known(tx, &scope, &plan.new)?;
            let fx = effects::effects(device, &scope, &plan.new, known)?;
            let mut seqs = Vec::with_capacity(plan.new.len());
            let mut last_hlc = 0;
            for (event, body) in &plan.new {
                seqs.push(insert_event(tx, event, body.kind())?);
                last_hlc = last_hlc.max(event.hlc);
            }
            set_head(tx, device, plan.head, last_hlc)?;
            write_effects(tx, &fx, &seqs, now_ms)?;
            Ok(PushResponse { stored: plan.new.len() as u64, hub_seq: plan.head.seq })
        })
        .await
        .inspect(|r| {
            if r.stored > 0 {
                self.wake();
            }
        })
    }

    async fn pull(
        &self,
        after: Cursor,
        limit: u32,
        device: DeviceId,
        scope: TokenScope,
    ) -> Result<PullResponse, HubDbError> {
        self.tx(move |tx| {
            let scope_key = (scope != TokenScope::All).then(|| scope.to_string());
            let after_seq = after.0 as i64;
            let mut stmt = match scope_key {
                None => tx.prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS}, hub_seq FROM events WHERE hub_seq > ?1 ORDER BY hub_seq LIMIT ?2"
                ))?,
                // Events of no case (the roster, settings) go to every device.
                Some(_) => tx.prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS}, hub_seq FROM events e WHERE hub_seq > ?1
                       AND (case_id IS NULL OR EXISTS
                            (SELECT 1 FROM case_scopes s WHERE s.scope = ?3 AND s.case_id = e.case_id))
                     ORDER BY hub_seq LIMIT ?2"
                ))?,
            };
            let limit_arg = i64::from(limit) + 1;
            let mut rows = match &scope_key {
                None => stmt.query(params![after_seq, limit_arg])?,
                Some(key) => stmt.query(params![after_seq, limit_arg, key])?,
            };
            let (mut events, mut next) = (Vec::new(), after);
            let mut more = false;
            while let Some(r) = rows.next()? {
                if events.len() == limit as usize {
                    more = true;
                    break;
                }
                events.push(event_at(r)??);
                next = Cursor(r.get::<_, i64>(9)? as u64);
            }
            drop(rows);
            if let Some(key) = &scope_key
                && next.0 > after.0
            {
                // Cases that entered the scope within this page: what they
                // had before the device's cursor, it has not been sent.
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE hub_seq <= ?2 AND case_id IN
                        (SELECT case_id FROM case_scopes WHERE scope = ?1 AND entered_seq > ?2 AND entered_seq <= ?3)
                     ORDER BY hub_seq"
                ))?;
                let earlier: Vec<WireEvent> = stmt
                    .query_map(params![key, after_seq, next.0 as i64], event_at)?
                    .map(|r| r?)
                    .collect::<Result<_, _>>()?;
                events.splice(0..0, earlier);
            }
            let (head, _) = head(tx, device)?;
            Ok(PullResponse { events, next, more, hub_seq_of_device: head.seq })
        })
        .await
    }

    async fn case_received(&self, case_id: CaseId) -> Result<Option<WireEvent>, HubDbError> {
        self.tx(move |tx| {
            tx.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE case_id = ?1 AND kind = 'referral_received'
                 ORDER BY hub_seq LIMIT 1"
            ))?
            .query_row([case_id.to_string()], event_at)
            .optional()?
            .transpose()
        })
        .await
    }

    async fn device_count(&self) -> Result<u64, HubDbError> {
        self.tx(|tx| Ok(tx.query_row("SELECT count(*) FROM devices", [], |r| r.get::<_, i64>(0))? as u64)).await
    }

    fn appended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.appended.subscribe()
    }

    async fn event_count(&self) -> Result<u64, HubDbError> {
        self.tx(|tx| Ok(tx.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64)).await
    }
}

fn token_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<TokenInfo, HubDbError>> {
    let (name, role, scope, created_at, revoked_at): (String, String, String, i64, Option<i64>) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    let person: (Option<String>, Option<String>, Option<i64>) = (r.get(5)?, r.get(6)?, r.get(7)?);
    Ok((|| {
        let user = match person {
            (Some(user), Some(role), disabled_at) => Some(TokenUser {
                role: crate::tokens::user_role(&role, &user)?,
                name: user,
                disabled: disabled_at.is_some(),
            }),
            _ => None,
        };
        Ok(TokenInfo {
            role: role.parse().map_err(|_| HubDbError::Corrupt(format!("token {name:?} has an unknown role")))?,
            scope: scope.parse().map_err(|_| HubDbError::Corrupt(format!("token {name:?} has an unknown scope")))?,
            name,
            created_at,
            revoked_at,
            user,
        })
    })())
}

fn user_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<HubUser, HubDbError>> {
    let name: String = r.get(0)?;
    let role: String = r.get(1)?;
    let (responder_id, verifier, failures, locked_until, disabled_at, created_at) =
        (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?);
    Ok(crate::tokens::user_role(&role, &name).map(|role| HubUser {
        name,
        role,
        responder_id,
        verifier,
        failures,
        locked_until,
        disabled_at,
        created_at,
    }))
}
