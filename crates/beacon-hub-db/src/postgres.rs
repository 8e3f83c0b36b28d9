//! The PostgreSQL backend: for a state or the whole country, with several
//! stateless hub processes sharing one database.
//!
//! Every transaction that appends events first takes one advisory lock, so
//! events commit in `hub_seq` order: a pull that has seen `hub_seq` N can
//! never later miss an event numbered below N that committed after it.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, DeviceId, EventHash, HandoffId};
use beacon_sync::{Cursor, PullResponse, PushResponse, WireEvent};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Transaction};
use serde_json::value::RawValue;
use tokio_postgres::{NoTls, Row};

use crate::delivery::Purpose;
use crate::push::{self, DeviceHead};
use crate::tokens::{TOKEN_COLUMNS, USER_COLUMNS};
use crate::{Answer, AnswerRefused, HandoffState};
use crate::{
    Attempt, DueDelivery, HubDb, HubDbError, HubUser, IntakeRecord, PushResult, ResponderChannels, TokenInfo,
    TokenRole, TokenScope, TokenUser,
};
use crate::{HubSettings, answers, effects, escalation, stream};

const MIGRATIONS: &[&str] = &[
    include_str!("postgres/0001_initial.sql"),
    include_str!("postgres/0002_intents_and_scopes.sql"),
    include_str!("postgres/0003_people.sql"),
    include_str!("postgres/0004_delivery.sql"),
    include_str!("postgres/0005_answers.sql"),
];

/// The advisory lock every appending transaction (and a migration) holds.
const APPEND_LOCK: i64 = 0x4245_4143_4f4e; // "BEACON"

/// The channel appending transactions notify (delivered at commit).
const APPENDED_CHANNEL: &str = "beacon_appended";

#[derive(Clone)]
pub struct PostgresHubDb {
    pool: Pool,
    config: tokio_postgres::Config,
    /// Bumped on every notification from any hub process on this database.
    appended: Arc<tokio::sync::watch::Sender<u64>>,
    /// Set once the listening task runs.
    listening: Arc<std::sync::OnceLock<()>>,
}

impl std::fmt::Debug for PostgresHubDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL can hold a password: never printed.
        f.debug_struct("PostgresHubDb").finish_non_exhaustive()
    }
}

impl From<tokio_postgres::Error> for HubDbError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            // Connection trouble and serialisation failures can pass.
            None => HubDbError::Unavailable(e.to_string()),
            Some(code) if code.code().starts_with("08") || code.code().starts_with("40") => {
                HubDbError::Unavailable(e.to_string())
            }
            // The server's message says what failed (its detail, which can
            // quote stored values, is left out).
            Some(_) => HubDbError::Corrupt(e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string())),
        }
    }
}

impl From<deadpool_postgres::PoolError> for HubDbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        HubDbError::Unavailable(e.to_string())
    }
}

impl PostgresHubDb {
    /// Store a token (its hash), for a person or none; a name in use is refused.
    async fn insert_token(
        &self,
        name: &str,
        hash: [u8; 32],
        role: TokenRole,
        scope: TokenScope,
        user: Option<&str>,
    ) -> Result<(), HubDbError> {
        let client = self.pool.get().await?;
        let inserted = client
            .execute(
                "INSERT INTO tokens (name, hash, role, scope, created_at, user_name) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &hash.as_slice(), &role.as_str(), &scope.to_string(), &crate::now_ms(), &user],
            )
            .await?;
        if inserted == 0 {
            return Err(HubDbError::NameTaken(name.to_string()));
        }
        Ok(())
    }

    /// A pool of up to `max_connections` to the database at `url`
    /// (`postgres://user@host:port/db`). Connects lazily.
    pub fn connect(url: &str, max_connections: usize) -> Result<Self, HubDbError> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|_| HubDbError::Unavailable("the PostgreSQL URL is not valid".into()))?;
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .build()
            .map_err(|e| HubDbError::Unavailable(e.to_string()))?;
        let (appended, _) = tokio::sync::watch::channel(0);
        Ok(PostgresHubDb {
            pool,
            config,
            appended: Arc::new(appended),
            listening: Arc::new(std::sync::OnceLock::new()),
        })
    }
}

/// Tell every hub process on this database, when the transaction commits,
/// that events were appended.
async fn notify_appended(tx: &Transaction<'_>) -> Result<(), HubDbError> {
    tx.execute("SELECT pg_notify($1, '')", &[&APPENDED_CHANNEL]).await?;
    Ok(())
}

/// Hold one connection that LISTENs for appends and bump `sender` on each;
/// reconnect after a second when it drops (and bump once then: appends
/// while nobody listened are not lost, just not announced).
async fn listen(config: tokio_postgres::Config, sender: Arc<tokio::sync::watch::Sender<u64>>) {
    use futures_util::StreamExt;
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let forward = Arc::clone(&sender);
            let driver = tokio::spawn(async move {
                let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(message)) = messages.next().await {
                    if let tokio_postgres::AsyncMessage::Notification(_) = message {
                        forward.send_modify(|n| *n += 1);
                    }
                }
            });
            if client.batch_execute(&format!("LISTEN {APPENDED_CHANNEL}")).await.is_ok() {
                sender.send_modify(|n| *n += 1);
                let _ = driver.await;
            } else {
                driver.abort();
            }
            drop(client);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The roster's responder as last saved (in arrival order).
async fn save_responder(tx: &Transaction<'_>, r: &beacon_domain::Responder, hub_seq: i64) -> Result<(), HubDbError> {
    let body = serde_json::to_string(r).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO responders (responder_id, body, hub_seq) VALUES ($1, $2, $3)
         ON CONFLICT (responder_id) DO UPDATE SET body = $2, hub_seq = $3 WHERE $3 > responders.hub_seq",
        &[&r.id.0, &body, &hub_seq],
    )
    .await?;
    Ok(())
}

/// Keep a handoff; one that stands owes its deliveries and gets its
/// deadlines, and the case's earlier handoff of its role stops counting.
async fn file_handoff(
    tx: &Transaction<'_>,
    h: &effects::HandoffRow,
    hub_seq: i64,
    now_ms: i64,
) -> Result<(), HubDbError> {
    tx.execute(
        "INSERT INTO handoffs (handoff_id, case_id, role, responder_id, responder_name, handed_off_by,
            device, hlc, stands, hub_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        &[
            &h.standing.handoff_id.to_string(),
            &h.case_id.to_string(),
            &h.role.as_str(),
            &h.standing.responder_id.0,
            &h.standing.responder_name,
            &h.standing.handed_off_by,
            &h.standing.device.to_string(),
            &h.standing.hlc,
            &h.stands,
            &hub_seq,
        ],
    )
    .await?;
    if !h.stands {
        return Ok(());
    }
    let (handoff_id, case_id) = (h.standing.handoff_id.to_string(), h.case_id.to_string());
    owe(tx, &handoff_id, &case_id, &h.standing.responder_id.0, Purpose::Handoff, hub_seq, now_ms).await?;
    tx.execute(
        "UPDATE escalations SET settled_at = $3, settled_why = 'replaced'
         WHERE case_id = $1 AND role = $2 AND handoff_id <> $4 AND settled_at IS NULL AND fired_at IS NULL",
        &[&case_id, &h.role.as_str(), &now_ms, &handoff_id],
    )
    .await?;
    let pairs: Vec<(String, String)> =
        tx.query("SELECT key, value FROM hub_settings", &[]).await?.iter().map(|r| (r.get(0), r.get(1))).collect();
    let settings = HubSettings::from_pairs(&pairs);
    let facts = case_facts(tx, &case_id).await?;
    for d in escalation::deadlines(&settings, facts.priority, now_ms) {
        tx.execute(
            "INSERT INTO escalations (handoff_id, step, case_id, role, responder_id, responder_name, filed_at, due_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            &[
                &handoff_id,
                &d.step.as_str(),
                &case_id,
                &h.role.as_str(),
                &h.standing.responder_id.0,
                &h.standing.responder_name,
                &now_ms,
                &d.due_at,
            ],
        )
        .await?;
    }
    Ok(())
}

/// A delivery owed on each of a responder's channels, filed with what it carries.
async fn owe(
    tx: &Transaction<'_>,
    handoff_id: &str,
    case_id: &str,
    responder_id: &str,
    purpose: Purpose,
    hub_seq: i64,
    now_ms: i64,
) -> Result<(), HubDbError> {
    let Some(channels) = load_channels(tx, responder_id).await? else { return Ok(()) };
    for channel in channels.deliverable() {
        tx.execute(
            "INSERT INTO deliveries (delivery_id, handoff_id, case_id, responder_id, channel, purpose, handoff_seq,
                state, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) ON CONFLICT DO NOTHING",
            &[
                &crate::delivery::new_delivery_id(),
                &handoff_id,
                &case_id,
                &responder_id,
                &channel.as_str(),
                &purpose.as_str(),
                &hub_seq,
                &now_ms,
            ],
        )
        .await?;
    }
    Ok(())
}

/// What the hub knows of a case from its events ([`escalation::CaseFacts`]).
async fn case_facts(tx: &Transaction<'_>, case_id: &str) -> Result<escalation::CaseFacts, HubDbError> {
    let rows = tx
        .query(
            "SELECT body FROM events WHERE case_id = $1
             AND kind IN ('referral_received', 'jurisdiction_changed', 'priority_overridden') ORDER BY hub_seq",
            &[&case_id],
        )
        .await?;
    Ok(escalation::CaseFacts::from_bodies(rows.iter().map(|r| r.get::<_, &str>(0))))
}

/// Settle the case's deadlines that are met, or all of them once it is closed.
async fn settle(tx: &Transaction<'_>, case_id: CaseId, now_ms: i64) -> Result<(), HubDbError> {
    tx.execute(
        "UPDATE escalations SET settled_at = $2,
            settled_why = CASE WHEN (SELECT closed_at FROM cases WHERE case_id = $1) IS NULL THEN 'met' ELSE 'closed' END
         WHERE case_id = $1 AND settled_at IS NULL AND fired_at IS NULL AND (
            (SELECT closed_at FROM cases WHERE case_id = $1) IS NOT NULL
            OR EXISTS (SELECT 1 FROM handoffs h WHERE h.handoff_id = escalations.handoff_id
                AND (CASE escalations.step WHEN 'ack' THEN h.acknowledged_at ELSE h.on_scene_at END) IS NOT NULL))",
        &[&case_id.to_string(), &now_ms],
    )
    .await?;
    Ok(())
}

/// What deciding an escalation needs ([`escalation::Context`]).
async fn escalation_context(
    tx: &Transaction<'_>,
    d: &escalation::DueEscalation,
) -> Result<escalation::Context, HubDbError> {
    let case_id = d.case_id.to_string();
    let mut ctx = escalation::Context { facts: case_facts(tx, &case_id).await?, ..Default::default() };
    for r in tx.query("SELECT body FROM responders ORDER BY responder_id", &[]).await? {
        // A responder the hub cannot read is nobody to escalate to.
        if let Ok(responder) = serde_json::from_str(r.get::<_, &str>(0)) {
            ctx.roster.push(responder);
        }
    }
    let asked = tx
        .query(
            "SELECT DISTINCT responder_id FROM handoffs WHERE case_id = $1 AND role = $2",
            &[&case_id, &d.role.as_str()],
        )
        .await?;
    ctx.already_asked = asked.iter().map(|r| beacon_domain::ResponderId(r.get(0))).collect();
    let sql = format!(
        "SELECT responder_id, count(*) FROM handoffs WHERE {CURRENT}
         AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id = handoffs.case_id AND c.closed_at IS NOT NULL)
         GROUP BY responder_id"
    );
    for r in tx.query(&sql, &[]).await? {
        ctx.open_handoffs.insert(r.get(0), r.get::<_, i64>(1) as u32);
    }
    Ok(ctx)
}

const CHANNEL_COLUMNS: &str = "responder_id, email, webhook_url, webhook_secrets, webhook_disabled_at, updated_at";

async fn load_channels(tx: &Transaction<'_>, responder_id: &str) -> Result<Option<ResponderChannels>, HubDbError> {
    let row = tx
        .query_opt(
            &format!("SELECT {CHANNEL_COLUMNS} FROM responder_channels WHERE responder_id = $1"),
            &[&responder_id],
        )
        .await?;
    Ok(row.as_ref().map(channels_row))
}

fn channels_row(r: &Row) -> ResponderChannels {
    ResponderChannels {
        responder_id: r.get(0),
        email: r.get(1),
        webhook_url: r.get(2),
        webhook_secrets: serde_json::from_str(r.get::<_, &str>(3)).unwrap_or_default(),
        webhook_disabled_at: r.get(4),
        updated_at: r.get(5),
    }
}

/// Append one event to the hub's own stream, after its last.
async fn append_by_hub(
    tx: &Transaction<'_>,
    now_ms: i64,
    case_id: CaseId,
    body: String,
    kind: &str,
) -> Result<(), HubDbError> {
    let hub = hub_device(tx).await?;
    let (head, last_hlc) = head(tx, hub).await?;
    let event = stream::next_event(hub, head, last_hlc, now_ms, Some(case_id), body)?;
    insert_event(tx, &event, kind).await?;
    set_head(tx, hub, DeviceHead { seq: event.seq, hash: event.hash }, event.hlc).await
}

async fn hub_device(tx: &Transaction<'_>) -> Result<DeviceId, HubDbError> {
    let row = tx.query_one("SELECT value FROM hub_meta WHERE key = 'device'", &[]).await?;
    row.get::<_, String>(0).parse().map_err(|_| HubDbError::Corrupt("the hub's device id is not a UUID".into()))
}

async fn head(tx: &Transaction<'_>, device: DeviceId) -> Result<(DeviceHead, i64), HubDbError> {
    let row = tx
        .query_opt("SELECT head_seq, head_hash, last_hlc FROM devices WHERE device = $1", &[&device.to_string()])
        .await?;
    match row {
        None => Ok((DeviceHead::NEW, 0)),
        Some(row) => {
            let hash = EventHash::from_slice(row.get::<_, &[u8]>(1))
                .ok_or_else(|| HubDbError::Corrupt("a chain head is not 32 bytes".into()))?;
            Ok((DeviceHead { seq: row.get::<_, i64>(0) as u64, hash }, row.get(2)))
        }
    }
}

async fn set_head(tx: &Transaction<'_>, device: DeviceId, head: DeviceHead, hlc: i64) -> Result<(), HubDbError> {
    tx.execute(
        "INSERT INTO devices (device, head_seq, head_hash, last_hlc) VALUES ($1, $2, $3, $4)
         ON CONFLICT (device) DO UPDATE SET head_seq = $2, head_hash = $3, last_hlc = greatest(devices.last_hlc, $4)",
        &[&device.to_string(), &(head.seq as i64), &head.hash.0.as_slice(), &hlc],
    )
    .await?;
    Ok(())
}

/// Store an event; returns its `hub_seq`.
async fn insert_event(tx: &Transaction<'_>, e: &WireEvent, kind: &str) -> Result<i64, HubDbError> {
    let row = tx
        .query_one(
            "INSERT INTO events (id, device, device_seq, hlc, actor, case_id, kind, body, prev, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING hub_seq",
            &[
                &e.id.to_string(),
                &e.device.to_string(),
                &(e.seq as i64),
                &e.hlc,
                &e.actor,
                &e.case_id.map(|c| c.to_string()),
                &kind,
                &e.body.get(),
                &e.prev.0.as_slice(),
                &e.hash.0.as_slice(),
            ],
        )
        .await?;
    Ok(row.get(0))
}

async fn enter_scope(tx: &Transaction<'_>, scope: &str, case_id: CaseId, hub_seq: i64) -> Result<(), HubDbError> {
    tx.execute(
        "INSERT INTO case_scopes (scope, case_id, entered_seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[&scope, &case_id.to_string(), &hub_seq],
    )
    .await?;
    Ok(())
}

/// What the effects of a push depend on ([`effects::Known`]).
async fn load_known(
    tx: &Transaction<'_>,
    scope: &TokenScope,
    new: &[(&WireEvent, EventBody)],
) -> Result<effects::Known, HubDbError> {
    let (cases, pairs) = effects::wants(new);
    let mut known = effects::Known::default();
    let ids: Vec<String> = cases.iter().map(|c| c.to_string()).collect();
    let parse = |text: &str| text.parse::<CaseId>().map_err(|_| HubDbError::Corrupt("a case id is not a UUID".into()));
    for row in tx.query("SELECT case_id FROM cases WHERE case_id = ANY($1)", &[&ids]).await? {
        known.cases.insert(parse(row.get(0))?);
    }
    if *scope != TokenScope::All {
        let rows = tx
            .query(
                "SELECT case_id FROM case_scopes WHERE scope = $1 AND case_id = ANY($2)",
                &[&scope.to_string(), &ids],
            )
            .await?;
        for row in rows {
            known.in_scope.insert(parse(row.get(0))?);
        }
    }
    for (case, role) in pairs {
        let row = tx
            .query_opt(
                "SELECT handoff_id, responder_id, responder_name, handed_off_by, device, hlc FROM handoffs
                 WHERE case_id = $1 AND role = $2 AND stands ORDER BY hub_seq DESC LIMIT 1",
                &[&case.to_string(), &role.as_str()],
            )
            .await?;
        if let Some(row) = row {
            let corrupt = || HubDbError::Corrupt("a stored handoff is unreadable".into());
            known.standing.insert(
                (case, role),
                effects::StandingHandoff {
                    handoff_id: row.get::<_, &str>(0).parse().map_err(|_| corrupt())?,
                    responder_id: beacon_domain::ResponderId(row.get(1)),
                    responder_name: row.get(2),
                    handed_off_by: row.get(3),
                    device: row.get::<_, &str>(4).parse().map_err(|_| corrupt())?,
                    hlc: row.get(5),
                },
            );
        }
    }
    Ok(known)
}

/// Write a push's effects; `seqs[i]` is the `hub_seq` of its event `i`.
async fn write_effects(
    tx: &Transaction<'_>,
    fx: &effects::Effects,
    seqs: &[i64],
    now_ms: i64,
) -> Result<(), HubDbError> {
    for (_, c) in &fx.cases {
        file_case(tx, c.case_id, &c.source, &c.external_id, c.troop.as_deref()).await?;
    }
    for e in &fx.scope_entries {
        enter_scope(tx, &e.scope, e.case_id, seqs[e.event]).await?;
    }
    for (i, r) in &fx.responders {
        save_responder(tx, r, seqs[*i]).await?;
    }
    for h in &fx.handoffs {
        file_handoff(tx, h, seqs[h.event], now_ms).await?;
    }
    for p in &fx.progress {
        keep_progress(tx, p, now_ms).await?;
    }
    for (case_id, listed) in &fx.purges {
        let held: Vec<effects::HeldEvent> = tx
            .query("SELECT hub_seq, id, kind, hash, body FROM events WHERE case_id = $1", &[&case_id.to_string()])
            .await?
            .iter()
            .map(|r| effects::HeldEvent {
                hub_seq: r.get(0),
                id: r.get(1),
                kind: r.get(2),
                hash: r.get(3),
                body: r.get(4),
            })
            .collect();
        for (hub_seq, body) in effects::redact(held, listed) {
            tx.execute("UPDATE events SET body = $2, kind = 'redacted' WHERE hub_seq = $1", &[&hub_seq, &body]).await?;
        }
    }
    if fx.rejections.is_empty() {
        return Ok(());
    }
    let hub = hub_device(tx).await?;
    let (mut head, mut last_hlc) = head(tx, hub).await?;
    for r in &fx.rejections {
        let event =
            stream::next_event(hub, head, last_hlc.max(r.after_hlc), now_ms, Some(r.case_id), r.body_json.clone())?;
        insert_event(tx, &event, "handoff_rejected").await?;
        head = DeviceHead { seq: event.seq, hash: event.hash };
        last_hlc = event.hlc;
    }
    set_head(tx, hub, head, last_hlc).await
}

/// Only the handoff standing for its case and role (the latest that stood).
const CURRENT: &str = "stands AND hub_seq = (SELECT max(h2.hub_seq) FROM handoffs h2
    WHERE h2.case_id = handoffs.case_id AND h2.role = handoffs.role AND h2.stands)";

/// Keep what an event says of a handoff's answers or its case's closing,
/// and settle the deadlines it meets.
async fn keep_progress(tx: &Transaction<'_>, p: &answers::Progress, now_ms: i64) -> Result<(), HubDbError> {
    use answers::Progress;
    match p {
        Progress::Acknowledged { handoff_id: Some(h), .. } => {
            tx.execute(
                "UPDATE handoffs SET acknowledged_at = coalesce(acknowledged_at, $2) WHERE handoff_id = $1",
                &[&h.to_string(), &now_ms],
            )
            .await?
        }
        Progress::Acknowledged { case_id, handoff_id: None, responder_id } => {
            let sql = format!(
                "UPDATE handoffs SET acknowledged_at = coalesce(acknowledged_at, $2)
                 WHERE case_id = $1 AND ($3::text IS NULL OR responder_id = $3) AND {CURRENT}"
            );
            tx.execute(&sql, &[&case_id.to_string(), &now_ms, &responder_id.as_ref().map(|r| r.0.as_str())]).await?
        }
        Progress::OnScene { case_id } => {
            let sql = format!(
                "UPDATE handoffs SET on_scene_at = coalesce(on_scene_at, $2), acknowledged_at = coalesce(acknowledged_at, $2)
                 WHERE case_id = $1 AND {CURRENT}"
            );
            tx.execute(&sql, &[&case_id.to_string(), &now_ms]).await?
        }
        Progress::Closed { case_id } => {
            tx.execute("UPDATE cases SET closed_at = $2 WHERE case_id = $1", &[&case_id.to_string(), &now_ms]).await?
        }
        Progress::Reopened { case_id } => {
            tx.execute("UPDATE cases SET closed_at = NULL WHERE case_id = $1", &[&case_id.to_string()]).await?
        }
    };
    settle(tx, p.case_id(), now_ms).await
}

/// A handoff and its answers, read in a transaction.
async fn handoff_state(
    client: &impl deadpool_postgres::GenericClient,
    handoff_id: HandoffId,
) -> Result<Option<HandoffState>, HubDbError> {
    let sql = format!(
        "SELECT case_id, responder_id, responder_name, role, acknowledged_at, on_scene_at, hub_seq,
            (SELECT closed_at FROM cases c WHERE c.case_id = handoffs.case_id),
            (SELECT count(*) FROM handoffs h3 WHERE h3.handoff_id = handoffs.handoff_id AND {})
         FROM handoffs WHERE handoff_id = $1",
        CURRENT.replace("handoffs.", "h3.")
    );
    let Some(row) = client.query_opt(&sql, &[&handoff_id.to_string()]).await? else { return Ok(None) };
    let corrupt = || HubDbError::Corrupt("a stored handoff is unreadable".into());
    let case: String = row.get(0);
    let hub_seq: i64 = row.get(6);
    let handoff_body: String =
        client.query_one("SELECT body FROM events WHERE hub_seq = $1", &[&hub_seq]).await?.get(0);
    let referral_body: Option<String> = client
        .query_opt("SELECT body FROM events WHERE case_id = $1 AND kind = 'referral_received' LIMIT 1", &[&case])
        .await?
        .map(|r| r.get(0));
    Ok(Some(HandoffState {
        handoff_id,
        case_id: case.parse().map_err(|_| corrupt())?,
        responder_id: beacon_domain::ResponderId(row.get(1)),
        responder_name: row.get(2),
        role: row.get::<_, &str>(3).parse().map_err(|_| corrupt())?,
        stands: row.get::<_, i64>(8) > 0,
        acknowledged_at: row.get(4),
        on_scene_at: row.get(5),
        case_closed_at: row.get(7),
        handoff_body,
        referral_body,
    }))
}

async fn file_case(
    tx: &Transaction<'_>,
    case_id: CaseId,
    source: &str,
    external_id: &str,
    troop: Option<&str>,
) -> Result<(), HubDbError> {
    tx.execute(
        "INSERT INTO cases (case_id, source, external_id, troop) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        &[&case_id.to_string(), &source, &external_id, &troop],
    )
    .await?;
    Ok(())
}

const EVENT_COLUMNS: &str = "id, device, device_seq, hlc, actor, case_id, body, prev, hash";

fn event_from(row: &Row) -> Result<WireEvent, HubDbError> {
    let corrupt = |what: &str| HubDbError::Corrupt(format!("a stored event's {what} is unreadable"));
    let hash = |i: usize, what: &str| EventHash::from_slice(row.get::<_, &[u8]>(i)).ok_or_else(|| corrupt(what));
    Ok(WireEvent {
        id: row.get::<_, &str>(0).parse().map_err(|_| corrupt("id"))?,
        device: row.get::<_, &str>(1).parse().map_err(|_| corrupt("device"))?,
        seq: row.get::<_, i64>(2) as u64,
        hlc: row.get(3),
        actor: row.get(4),
        case_id: row.get::<_, Option<&str>>(5).map(str::parse).transpose().map_err(|_| corrupt("case id"))?,
        body: RawValue::from_string(row.get(6)).map_err(|_| corrupt("body"))?,
        prev: hash(7, "previous hash")?,
        hash: hash(8, "hash")?,
    })
}

fn token_from(row: &Row) -> Result<TokenInfo, HubDbError> {
    let name: String = row.get(0);
    let user = match (row.get::<_, Option<String>>(5), row.get::<_, Option<String>>(6)) {
        (Some(user), Some(role)) => Some(TokenUser {
            role: crate::tokens::user_role(&role, &user)?,
            name: user,
            disabled: row.get::<_, Option<i64>>(7).is_some(),
        }),
        _ => None,
    };
    Ok(TokenInfo {
        role: row
            .get::<_, &str>(1)
            .parse()
            .map_err(|_| HubDbError::Corrupt(format!("token {name:?} has an unknown role")))?,
        scope: row
            .get::<_, &str>(2)
            .parse()
            .map_err(|_| HubDbError::Corrupt(format!("token {name:?} has an unknown scope")))?,
        created_at: row.get(3),
        revoked_at: row.get(4),
        name,
        user,
    })
}

fn user_from(row: &Row) -> Result<HubUser, HubDbError> {
    let name: String = row.get(0);
    Ok(HubUser {
        role: crate::tokens::user_role(row.get(1), &name)?,
        responder_id: row.get(2),
        verifier: row.get(3),
        failures: row.get::<_, i32>(4).max(0) as u32,
        locked_until: row.get(5),
        disabled_at: row.get(6),
        created_at: row.get(7),
        name,
    })
}

#[async_trait]
impl HubDb for PostgresHubDb {
    async fn migrate(&self) -> Result<(), HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER NOT NULL)").await?;
        let current: i64 = tx.query_one("SELECT coalesce(max(version), 0)::BIGINT FROM hub_schema", &[]).await?.get(0);
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(HubDbError::Corrupt(format!(
                "the database has schema version {current}; this hub knows up to {known}"
            )));
        }
        for sql in &MIGRATIONS[current as usize..] {
            tx.batch_execute(sql).await?;
        }
        tx.execute("DELETE FROM hub_schema", &[]).await?;
        tx.execute("INSERT INTO hub_schema (version) VALUES ($1)", &[&(known as i32)]).await?;
        tx.execute(
            "INSERT INTO hub_meta (key, value) VALUES ('device', $1) ON CONFLICT DO NOTHING",
            &[&DeviceId::new_random().to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
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
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE name = $1",
                &[&name, &crate::now_ms()],
            )
            .await?
            > 0)
    }

    async fn list_tokens(&self) -> Result<Vec<TokenInfo>, HubDbError> {
        let client = self.pool.get().await?;
        let rows = client.query(&format!("{TOKEN_COLUMNS} ORDER BY t.name"), &[]).await?;
        rows.iter().map(token_from).collect()
    }

    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<TokenInfo>, HubDbError> {
        let client = self.pool.get().await?;
        let row = client.query_opt(&format!("{TOKEN_COLUMNS} WHERE t.hash = $1"), &[&hash.as_slice()]).await?;
        row.as_ref().map(token_from).transpose()
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
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO hub_users (name, role, responder_id, verifier, failures, locked_until, disabled_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role, responder_id = excluded.responder_id,
                   verifier = excluded.verifier, failures = excluded.failures,
                   locked_until = excluded.locked_until, disabled_at = excluded.disabled_at",
                &[
                    &user.name,
                    &user.role.as_str(),
                    &user.responder_id,
                    &user.verifier,
                    &(user.failures.min(i32::MAX as u32) as i32),
                    &user.locked_until,
                    &user.disabled_at,
                    &user.created_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<HubUser>, HubDbError> {
        let client = self.pool.get().await?;
        let row = client.query_opt(&format!("{USER_COLUMNS} WHERE name = $1"), &[&name]).await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn list_users(&self) -> Result<Vec<HubUser>, HubDbError> {
        let client = self.pool.get().await?;
        let rows = client.query(&format!("{USER_COLUMNS} ORDER BY name"), &[]).await?;
        rows.iter().map(user_from).collect()
    }

    async fn disable_user(&self, name: &str, now_ms: i64) -> Result<bool, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let found = tx
            .execute("UPDATE hub_users SET disabled_at = coalesce(disabled_at, $2) WHERE name = $1", &[&name, &now_ms])
            .await?
            > 0;
        tx.execute("UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE user_name = $1", &[&name, &now_ms])
            .await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn set_channels(&self, c: ResponderChannels) -> Result<(), HubDbError> {
        let client = self.pool.get().await?;
        let secrets = serde_json::to_string(&c.webhook_secrets).unwrap_or_else(|_| "[]".into());
        client
            .execute(
                "INSERT INTO responder_channels (responder_id, email, webhook_url, webhook_secrets, webhook_disabled_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (responder_id) DO UPDATE SET email = $2, webhook_url = $3, webhook_secrets = $4,
                   webhook_disabled_at = $5, updated_at = $6",
                &[&c.responder_id, &c.email, &c.webhook_url, &secrets, &c.webhook_disabled_at, &c.updated_at],
            )
            .await?;
        Ok(())
    }

    async fn channels(&self, responder_id: &str) -> Result<Option<ResponderChannels>, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let found = load_channels(&tx, responder_id).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn list_channels(&self) -> Result<Vec<ResponderChannels>, HubDbError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(&format!("SELECT {CHANNEL_COLUMNS} FROM responder_channels ORDER BY responder_id"), &[])
            .await?;
        Ok(rows.iter().map(channels_row).collect())
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<(), HubDbError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO hub_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
                &[&key, &value],
            )
            .await?;
        Ok(())
    }

    async fn settings(&self) -> Result<Vec<(String, String)>, HubDbError> {
        let client = self.pool.get().await?;
        let rows = client.query("SELECT key, value FROM hub_settings ORDER BY key", &[]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn hub_secret(&self, name: &str) -> Result<[u8; 32], HubDbError> {
        let client = self.pool.get().await?;
        let fresh = rand::random::<[u8; 32]>().to_vec();
        client
            .execute(
                "INSERT INTO hub_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &fresh],
            )
            .await?;
        let value: Vec<u8> = client.query_one("SELECT value FROM hub_secrets WHERE name = $1", &[&name]).await?.get(0);
        value.try_into().map_err(|_| HubDbError::Corrupt("a hub secret is not 32 bytes".into()))
    }

    async fn claim_deliveries(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // SKIP LOCKED: processes claiming at once each take other rows.
        let claimed = tx
            .query(
                "UPDATE deliveries SET claimed_by = $1, claimed_until = $2
                 WHERE delivery_id IN (
                     SELECT delivery_id FROM deliveries
                     WHERE state = 'pending' AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)
                     ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
                 RETURNING delivery_id, handoff_id, case_id, responder_id, channel, attempts, handoff_seq, purpose",
                &[&worker, &(now_ms + lease_ms), &now_ms, &i64::from(limit)],
            )
            .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for r in &claimed {
            let case: &str = r.get(2);
            let responder_id: String = r.get(3);
            let (handoff_id, case_id, channel) = crate::delivery::ids(r.get(1), case, r.get(4))?;
            let handoff_body: String =
                tx.query_one("SELECT body FROM events WHERE hub_seq = $1", &[&r.get::<_, i64>(6)]).await?.get(0);
            let referral_body: Option<String> = tx
                .query_opt(
                    "SELECT body FROM events WHERE case_id = $1 AND kind = 'referral_received' LIMIT 1",
                    &[&case],
                )
                .await?
                .map(|row| row.get(0));
            let channels = load_channels(&tx, &responder_id).await?.unwrap_or_default();
            out.push(DueDelivery {
                delivery_id: r.get(0),
                purpose: Purpose::parse(r.get(7))?,
                handoff_id,
                case_id,
                responder_id: beacon_domain::ResponderId(responder_id),
                channel,
                attempt: r.get::<_, i32>(5) as u32 + 1,
                handoff_body,
                referral_body,
                channels,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn record_attempt(&self, a: Attempt, now_ms: i64) -> Result<(), HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).await?;
        tx.execute(
            "UPDATE deliveries SET attempts = greatest(attempts, $2), state = $3,
               next_attempt_at = coalesce($4, next_attempt_at), claimed_by = NULL, claimed_until = NULL
             WHERE delivery_id = $1",
            &[&a.delivery_id, &(a.attempt as i32), &a.state(), &a.next_attempt_at],
        )
        .await?;
        if a.outcome == beacon_domain::delivery::Outcome::Gone {
            tx.execute(
                "UPDATE responder_channels SET webhook_disabled_at = coalesce(webhook_disabled_at, $2) WHERE responder_id = $1",
                &[&a.responder_id.0, &now_ms],
            )
            .await?;
        }
        append_by_hub(&tx, now_ms, a.case_id, a.event_body(), "delivery_attempted").await?;
        notify_appended(&tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_seen(
        &self,
        responder_id: &str,
        handoffs: Vec<HandoffId>,
        now_ms: i64,
    ) -> Result<usize, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).await?;
        let mut recorded = 0;
        for handoff_id in handoffs {
            let Some(state) = handoff_state(&tx, handoff_id).await? else { continue };
            let Some(seen) = crate::delivery::seen_on_device(&state, responder_id) else { continue };
            let filed = tx
                .execute(
                    "INSERT INTO deliveries (delivery_id, handoff_id, case_id, responder_id, channel,
                        purpose, handoff_seq, state, attempts, next_attempt_at, created_at)
                     SELECT $1, $2, case_id, $3, $4, 'handoff', hub_seq, $5, 1, $6, $6
                     FROM handoffs WHERE handoff_id = $2
                     ON CONFLICT DO NOTHING",
                    &[
                        &seen.delivery_id,
                        &handoff_id.to_string(),
                        &responder_id,
                        &seen.channel.as_str(),
                        &seen.state(),
                        &now_ms,
                    ],
                )
                .await?;
            if filed == 0 {
                continue;
            }
            append_by_hub(&tx, now_ms, seen.case_id, seen.event_body(), "delivery_attempted").await?;
            recorded += 1;
        }
        if recorded > 0 {
            notify_appended(&tx).await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    async fn handoff_state(&self, handoff_id: HandoffId) -> Result<Option<HandoffState>, HubDbError> {
        let client = self.pool.get().await?;
        handoff_state(&client, handoff_id).await
    }

    async fn answer(
        &self,
        handoff_id: HandoffId,
        answer: Answer,
        now_ms: i64,
    ) -> Result<Result<HandoffState, AnswerRefused>, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).await?;
        let Some(state) = handoff_state(&tx, handoff_id).await? else {
            return Err(HubDbError::Corrupt("an answer for a handoff the hub does not hold".into()));
        };
        let events = match answers::events_for(&state, answer) {
            Ok(events) => events,
            Err(refused) => return Ok(Err(refused)),
        };
        let hub = hub_device(&tx).await?;
        let (mut head, mut last_hlc) = head(&tx, hub).await?;
        for body in &events {
            let json = serde_json::to_string(body).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
            let actor = answers::actor(&state);
            let event = stream::next_event_by(&actor, hub, head, last_hlc, now_ms, Some(state.case_id), json)?;
            insert_event(&tx, &event, body.kind()).await?;
            if let Some(p) = answers::progress(state.case_id, body) {
                keep_progress(&tx, &p, now_ms).await?;
            }
            head = DeviceHead { seq: event.seq, hash: event.hash };
            last_hlc = event.hlc;
        }
        set_head(&tx, hub, head, last_hlc).await?;
        if !events.is_empty() {
            notify_appended(&tx).await?;
        }
        let now =
            handoff_state(&tx, handoff_id).await?.ok_or_else(|| HubDbError::Corrupt("a handoff vanished".into()))?;
        tx.commit().await?;
        Ok(Ok(now))
    }

    async fn fire_escalations(&self, worker: &str, now_ms: i64, limit: u32) -> Result<usize, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Under the append lock: a deadline another process fired is seen
        // fired here, so each fires once.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).await?;
        let rows = tx
            .query(
                "SELECT handoff_id, step, case_id, responder_id, responder_name, role, filed_at, due_at
                 FROM escalations WHERE settled_at IS NULL AND fired_at IS NULL AND due_at <= $1
                 ORDER BY due_at LIMIT $2 FOR UPDATE",
                &[&now_ms, &i64::from(limit)],
            )
            .await?;
        let due = rows
            .iter()
            .map(|r| {
                escalation::due_from_row(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if due.is_empty() {
            return Ok(0);
        }
        let hub = hub_device(&tx).await?;
        let (mut head, mut last_hlc) = head(&tx, hub).await?;
        let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        for d in &due {
            let decision = escalation::decide(d, &escalation_context(&tx, d).await?, now);
            let (handoff_id, case_id) = (d.handoff_id.to_string(), d.case_id.to_string());
            tx.execute(
                "UPDATE escalations SET fired_at = $3, fired_by = $4 WHERE handoff_id = $1 AND step = $2",
                &[&handoff_id, &d.step.as_str(), &now_ms, &worker],
            )
            .await?;
            let json = serde_json::to_string(&decision.escalated).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
            let event = stream::next_event(hub, head, last_hlc, now_ms, Some(d.case_id), json)?;
            let seq = insert_event(&tx, &event, "escalated").await?;
            (head, last_hlc) = (DeviceHead { seq: event.seq, hash: event.hash }, event.hlc);
            if let Some(supervisor) = &decision.supervisor {
                owe(&tx, &handoff_id, &case_id, &supervisor.0, Purpose::Escalation, seq, now_ms).await?;
            }
            if let Some((next_id, responder, body)) = decision.handoff {
                let json = serde_json::to_string(&body).map_err(|e| HubDbError::Corrupt(e.to_string()))?;
                let actor = escalation::ESCALATION_ACTOR;
                let event = stream::next_event_by(actor, hub, head, last_hlc, now_ms, Some(d.case_id), json)?;
                let seq = insert_event(&tx, &event, "handed_off").await?;
                (head, last_hlc) = (DeviceHead { seq: event.seq, hash: event.hash }, event.hlc);
                let scope = TokenScope::Responder(responder.id.0.clone()).to_string();
                let row = escalation::handoff_row(d, next_id, responder, hub, event.hlc);
                file_handoff(&tx, &row, seq, now_ms).await?;
                enter_scope(&tx, &scope, d.case_id, seq).await?;
            }
        }
        set_head(&tx, hub, head, last_hlc).await?;
        notify_appended(&tx).await?;
        tx.commit().await?;
        Ok(due.len())
    }

    async fn next_escalation_due(&self) -> Result<Option<i64>, HubDbError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one("SELECT min(due_at) FROM escalations WHERE settled_at IS NULL AND fired_at IS NULL", &[])
            .await?
            .get(0))
    }

    async fn next_delivery_due(&self) -> Result<Option<i64>, HubDbError> {
        let client = self.pool.get().await?;
        Ok(client.query_one("SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'", &[]).await?.get(0))
    }

    async fn intake(&self, records: Vec<IntakeRecord>, now_ms: i64) -> Result<Vec<(CaseId, bool)>, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).await?;
        let hub = hub_device(&tx).await?;
        let (mut head, mut last_hlc) = head(&tx, hub).await?;
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let known = tx
                .query_opt(
                    "SELECT case_id FROM cases WHERE source = $1 AND external_id = $2",
                    &[&r.source.as_str(), &r.external_id],
                )
                .await?;
            if let Some(known) = known {
                let id = known
                    .get::<_, &str>(0)
                    .parse()
                    .map_err(|_| HubDbError::Corrupt("a case id is not a UUID".into()))?;
                out.push((id, false));
                continue;
            }
            let event = stream::next_event(hub, head, last_hlc, now_ms, Some(r.case_id), r.body_json)?;
            let hub_seq = insert_event(&tx, &event, "referral_received").await?;
            file_case(&tx, r.case_id, r.source.as_str(), &r.external_id, r.troop.as_deref()).await?;
            if let Some(troop) = &r.troop {
                enter_scope(&tx, &effects::troop_scope(troop), r.case_id, hub_seq).await?;
            }
            head = DeviceHead { seq: event.seq, hash: event.hash };
            last_hlc = event.hlc;
            out.push((r.case_id, true));
        }
        set_head(&tx, hub, head, last_hlc).await?;
        if out.iter().any(|(_, created)| *created) {
            notify_appended(&tx).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn push(&self, device: DeviceId, scope: TokenScope, events: Vec<WireEvent>, now_ms: i64) -> PushResult {
        let mut client = self.pool.get().await.map_err(HubDbError::from)?;
        let tx = client.transaction().await.map_err(HubDbError::from)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).await.map_err(HubDbError::from)?;
        let (head, _) = head(&tx, device).await?;
        let low = events.iter().map(|e| e.seq).min().unwrap_or(0);
        let mut held = HashMap::new();
        if low <= head.seq {
            let rows = tx
                .query(
                    "SELECT device_seq, hash FROM events WHERE device = $1 AND device_seq BETWEEN $2 AND $3",
                    &[&device.to_string(), &(low as i64), &(head.seq as i64)],
                )
                .await
                .map_err(HubDbError::from)?;
            for row in rows {
                if let Some(hash) = EventHash::from_slice(row.get::<_, &[u8]>(1)) {
                    held.insert(row.get::<_, i64>(0) as u64, hash);
                }
            }
        }
        let plan = push::plan(device, head, &|seq| held.get(&seq).copied(), &events, now_ms)?;
        let known = load_known(&tx, &scope, &plan.new).await?;
        let fx = effects::effects(device, &scope, &plan.new, known)?;
        let mut seqs = Vec::with_capacity(plan.new.len());
        let mut last_hlc = 0;
        for (event, body) in &plan.new {
            seqs.push(insert_event(&tx, event, body.kind()).await?);
            last_hlc = last_hlc.max(event.hlc);
        }
        set_head(&tx, device, plan.head, last_hlc).await?;
        write_effects(&tx, &fx, &seqs, now_ms).await?;
        if !plan.new.is_empty() {
            notify_appended(&tx).await?;
        }
        tx.commit().await.map_err(HubDbError::from)?;
        Ok(PushResponse { stored: plan.new.len() as u64, hub_seq: plan.head.seq })
    }

    async fn pull(
        &self,
        after: Cursor,
        limit: u32,
        device: DeviceId,
        scope: TokenScope,
    ) -> Result<PullResponse, HubDbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let scope_key = (scope != TokenScope::All).then(|| scope.to_string());
        let after_seq = after.0 as i64;
        let limit_arg = i64::from(limit) + 1;
        let rows = match &scope_key {
            None => {
                tx.query(
                    &format!(
                        "SELECT {EVENT_COLUMNS}, hub_seq FROM events WHERE hub_seq > $1 ORDER BY hub_seq LIMIT $2"
                    ),
                    &[&after_seq, &limit_arg],
                )
                .await?
            }
            // Events of no case (the roster, settings) go to every device.
            Some(key) => {
                tx.query(
                    &format!(
                        "SELECT {EVENT_COLUMNS}, hub_seq FROM events e WHERE hub_seq > $1
                           AND (case_id IS NULL OR EXISTS
                                (SELECT 1 FROM case_scopes s WHERE s.scope = $3 AND s.case_id = e.case_id))
                         ORDER BY hub_seq LIMIT $2"
                    ),
                    &[&after_seq, &limit_arg, key],
                )
                .await?
            }
        };
        let more = rows.len() > limit as usize;
        let mut events = Vec::with_capacity(rows.len().min(limit as usize));
        let mut next = after;
        for row in rows.iter().take(limit as usize) {
            events.push(event_from(row)?);
            next = Cursor(row.get::<_, i64>(9) as u64);
        }
        if let Some(key) = &scope_key
            && next.0 > after.0
        {
            // Cases that entered the scope within this page: what they had
            // before the device's cursor, it has not been sent.
            let rows = tx
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM events WHERE hub_seq <= $2 AND case_id IN
                        (SELECT case_id FROM case_scopes WHERE scope = $1 AND entered_seq > $2 AND entered_seq <= $3)
                     ORDER BY hub_seq"
                    ),
                    &[key, &after_seq, &(next.0 as i64)],
                )
                .await?;
            let earlier = rows.iter().map(event_from).collect::<Result<Vec<_>, _>>()?;
            events.splice(0..0, earlier);
        }
        let (head, _) = head(&tx, device).await?;
        tx.commit().await?;
        Ok(PullResponse { events, next, more, hub_seq_of_device: head.seq })
    }

    async fn case_received(&self, case_id: CaseId) -> Result<Option<WireEvent>, HubDbError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE case_id = $1 AND kind = 'referral_received'
                     ORDER BY hub_seq LIMIT 1"
                ),
                &[&case_id.to_string()],
            )
            .await?;
        row.as_ref().map(event_from).transpose()
    }

    async fn device_count(&self) -> Result<u64, HubDbError> {
        let client = self.pool.get().await?;
        Ok(client.query_one("SELECT count(*) FROM devices", &[]).await?.get::<_, i64>(0) as u64)
    }

    fn appended(&self) -> tokio::sync::watch::Receiver<u64> {
        if self.listening.set(()).is_ok() {
            tokio::spawn(listen(self.config.clone(), Arc::clone(&self.appended)));
        }
        self.appended.subscribe()
    }

    async fn event_count(&self) -> Result<u64, HubDbError> {
        let client = self.pool.get().await?;
        Ok(client.query_one("SELECT count(*) FROM events", &[]).await?.get::<_, i64>(0) as u64)
    }
}
