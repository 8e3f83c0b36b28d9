//! Projections: how each event changes the case tables. Deterministic from
//! the event alone and the current rows, so replaying a log (as sync will)
//! rebuilds the same state.

use beacon_domain::case::{CaseStatus, Change, TransitionError};
use beacon_domain::delivery::{self, Outcome};
use beacon_domain::event::{Event, EventBody};
use beacon_domain::links;
use beacon_domain::queue::{Attention, Standing, due_ms};
use beacon_domain::referral::Referral;
use beacon_domain::triage::Reason;
use beacon_domain::{CaseId, JurisdictionAssignment, Priority, Progress, Targets};
use chrono::{TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::Assignee;
use crate::settings::Settings;
use crate::{StoreError, search_index};

/// Most links a new referral makes per key: a place tipped about a thousand
/// times links to the tips nearest in time, not to all of them.
const MAX_LINKS_PER_KEY: usize = 20;
/// Most links a case is given by newer referrals: past this, a case shared
/// by thousands of tips stops gaining links (each new tip still links to
/// its nearest neighbours), so no referral's cost grows with a key's size.
pub const MAX_LINKS_PER_CASE: i64 = 100;

/// How an event reaches the projections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Appended now ([`crate::Writer::append`]): an event the case's state
    /// machine refuses is refused, so it never enters the log.
    Append,
    /// Replayed from the log ([`crate::Store::rebuild`]; sync will replay
    /// events from other devices the same way): an event the machine refuses
    /// (written before the rule, or concurrent with a change made elsewhere)
    /// stays in the log as the record of what was asked, and changes nothing.
    /// A log replayed gives the tables its events gave when appended, because
    /// an appended event was allowed by the same rule on the same rows.
    Replay,
}

/// A guarded event the machine allows: the change it makes and the status
/// the case has after it.
#[derive(Clone, Copy, Debug)]
struct Step {
    change: Change,
    to: CaseStatus,
}

/// Apply `event`; returns the row of the case it concerns, if any.
pub(crate) fn apply(
    tx: &Connection,
    event: &Event,
    settings: &Settings,
    mode: Mode,
) -> Result<Option<i64>, StoreError> {
    let at = event.hlc.wall_ms;
    let hlc = event.hlc.pack();
    let case_id =
        || event.case_id.ok_or_else(|| StoreError::Corrupt(format!("{} event without a case", event.body.kind())));
    // A purge redacts and forgets the case however it arrives, whether or
    // not this store holds the case (its events may be here unfiled).
    if let EventBody::CasePurged { redacted, .. } = &event.body {
        crate::purge::apply(tx, case_id()?, redacted)?;
        return Ok(None);
    }
    // The case's row, once looked up: an event's projection and its caller
    // both need it.
    let mut known_row: Option<i64> = None;
    if mode == Mode::Replay
        && let Some(id) = event.case_id
    {
        // From another device (sync) or an older log: a referral already
        // filed (the same tip entered twice) changes nothing, and an event
        // about a case this store never received (outside its scope) is
        // kept in the log without a projection.
        let known: Option<i64> = tx
            .prepare_cached("SELECT row_id FROM cases WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        match (&event.body, known) {
            (EventBody::ReferralReceived { .. }, Some(row)) => return Ok(Some(row)),
            (EventBody::ReferralReceived { .. }, None) => {}
            (_, None) => return Ok(None),
            (_, Some(row)) => known_row = Some(row),
        }
    }
    if let EventBody::HandedOff { handoff_id, .. } = &event.body
        && rejected_by_hub(tx, *handoff_id)?
    {
        // The hub refused it (another handoff reached it first): kept as the
        // record of what was asked and shared, it asks nobody and replaces
        // nobody, whenever its rejection is folded.
        insert_handoff(tx, event, &case_id()?.to_string(), Some(at))?;
        return case_row(tx, event);
    }
    // Events that change a case's status or its responders go through the
    // case's state machine, against the case as it stands now.
    let step = match judge(tx, event)? {
        Judged::Unguarded => None,
        Judged::Allowed(step) => Some(step),
        Judged::Refused(refusal) => {
            return match mode {
                Mode::Append => Err(refusal),
                Mode::Replay => case_row(tx, event),
            };
        }
    };
    match &event.body {
        EventBody::ReferralReceived { referral, triage, jurisdiction } => {
            // A new case knows its row already: no lookup by id.
            return insert_case(
                tx,
                case_id()?,
                referral,
                &triage.reasons,
                triage.priority.rank(),
                jurisdiction,
                hlc,
                settings,
            )
            .map(Some);
        }
        EventBody::PriorityOverridden { to, reason, .. } => {
            let reasons = vec![Reason { code: "override".into(), text: format!("set by {}: {reason}", event.actor) }];
            tx.prepare_cached("UPDATE cases SET priority = ?2, priority_reasons = ?3, priority_overridden = 1, updated_hlc = ?4 WHERE id = ?1")?
                .execute(params![case_id()?.to_string(), to.rank(), json(&reasons)?, hlc])?;
        }
        EventBody::NoteAdded { note_id, text } => {
            let id = case_id()?.to_string();
            tx.prepare_cached("INSERT INTO notes (id, case_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![note_id.to_string(), id, event.actor.0, text, at])?;
            tx.prepare_cached(
                "UPDATE cases_fts SET notes = coalesce(notes, '') || char(10) || ?2 WHERE rowid = (SELECT row_id FROM cases WHERE id = ?1)",
            )?
            .execute(params![id, search_index::note(text)])?;
            touch(tx, &id, hlc)?;
        }
        EventBody::StatusChanged { to, disposition, .. } => {
            let id = case_id()?.to_string();
            let change = step.map(|s| s.change);
            if matches!(change, Some(Change::Withdraw | Change::Close)) {
                // Nobody is asked to take a case that is withdrawn or closed.
                tx.prepare_cached(
                    "UPDATE handoffs SET withdrawn_at = ?2 WHERE case_id = ?1 AND acknowledged_at IS NULL AND withdrawn_at IS NULL",
                )?
                .execute(params![id, at])?;
                let assigned = assignees(tx, &id)?;
                tx.prepare_cached("UPDATE cases SET assigned = ?2 WHERE id = ?1")?
                    .execute(params![id, json(&assigned)?])?;
            }
            let sql = match to {
                CaseStatus::Acknowledged => {
                    "UPDATE cases SET status = ?2, is_open = 1, acknowledged_at = coalesce(acknowledged_at, ?3), updated_hlc = ?5 WHERE id = ?1"
                }
                CaseStatus::OnScene => {
                    "UPDATE cases SET status = ?2, is_open = 1, on_scene_at = coalesce(on_scene_at, ?3), updated_hlc = ?5 WHERE id = ?1"
                }
                CaseStatus::Closed => {
                    "UPDATE cases SET status = ?2, is_open = 0, closed_at = ?3, disposition = ?4, updated_hlc = ?5 WHERE id = ?1"
                }
                CaseStatus::Reopened => {
                    "UPDATE cases SET status = ?2, is_open = 1, closed_at = NULL, disposition = NULL, updated_hlc = ?5 WHERE id = ?1"
                }
                _ => "UPDATE cases SET status = ?2, is_open = 1, updated_hlc = ?5 WHERE id = ?1",
            };
            tx.prepare_cached(sql)?.execute(params![id, to.as_str(), at, disposition, hlc])?;
        }
        EventBody::HandedOff { role, .. } => {
            let id = case_id()?.to_string();
            let to = step.map_or(CaseStatus::HandedOff, |s| s.to);
            // A handoff to a role whose last handoff nobody acknowledged
            // replaces it: one responder per role is asked at a time.
            tx.prepare_cached(
                "UPDATE handoffs SET withdrawn_at = ?3
                 WHERE case_id = ?1 AND role = ?2 AND acknowledged_at IS NULL AND withdrawn_at IS NULL",
            )?
            .execute(params![id, role.as_str(), at])?;
            insert_handoff(tx, event, &id, None)?;
            let assigned = assignees(tx, &id)?;
            // A handoff while someone is already acknowledged or on scene adds a
            // responder (say, the advocate) without moving the case backwards:
            // the machine says so.
            tx.prepare_cached(
                "UPDATE cases SET assigned = ?2, handed_off_at = coalesce(handed_off_at, ?3), updated_hlc = ?4, status = ?5
                 WHERE id = ?1",
            )?
            .execute(params![id, json(&assigned)?, at, hlc, to.as_str()])?;
        }
        EventBody::Acknowledged { handoff_id, .. } => {
            let id = case_id()?.to_string();
            let to = step.map_or(CaseStatus::Acknowledged, |s| s.to);
            if let Some(h) = handoff_id {
                tx.prepare_cached("UPDATE handoffs SET acknowledged_at = ?2, acknowledged_by = ?3 WHERE id = ?1")?
                    .execute(params![h.to_string(), at, event.actor.0])?;
            }
            tx.prepare_cached(
                "UPDATE cases SET acknowledged_at = coalesce(acknowledged_at, ?2), updated_hlc = ?3, status = ?4 WHERE id = ?1",
            )?
            .execute(params![id, at, hlc, to.as_str()])?;
        }
        EventBody::HandoffRejected {
            handoff_id,
            responder_name,
            role,
            handed_off_by,
            winner,
            winner_responder_name,
            winner_handed_off_by,
            ..
        } => {
            let id = case_id()?.to_string();
            tx.prepare_cached(
                "INSERT OR IGNORE INTO handoff_conflicts (handoff_id, case_id, role, responder_name, handed_off_by,
                    winner_id, winner_responder_name, winner_handed_off_by, rejected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                handoff_id.to_string(),
                id,
                role.as_str(),
                responder_name,
                handed_off_by,
                winner.to_string(),
                winner_responder_name,
                winner_handed_off_by,
                at
            ])?;
            tx.prepare_cached(
                "UPDATE handoffs SET rejected_at = ?2, withdrawn_at = coalesce(withdrawn_at, ?2) WHERE id = ?1",
            )?
            .execute(params![handoff_id.to_string(), at])?;
            count_open_conflicts(tx, &id, hlc)?;
        }
        EventBody::ConflictResolved { handoff_id } => {
            let id = case_id()?.to_string();
            tx.prepare_cached(
                "UPDATE handoff_conflicts SET resolved_at = ?3, resolved_by = ?4
                 WHERE handoff_id = ?1 AND case_id = ?2 AND resolved_at IS NULL",
            )?
            .execute(params![handoff_id.to_string(), id, at, event.actor.0])?;
            count_open_conflicts(tx, &id, hlc)?;
        }
        EventBody::JurisdictionChanged { to, .. } => {
            tx.prepare_cached(
                "UPDATE cases SET jurisdiction_id = ?2, jurisdiction_name = ?3, troop = ?4, troop_verified = ?5,
                    assign_method = ?6, near_border = ?7, outside = ?8, distance_km = ?9, outside_reason = ?10,
                    candidates = ?11, unassigned = ?12, updated_hlc = ?13
                 WHERE id = ?1",
            )?
            .execute(params![
                case_id()?.to_string(),
                to.jurisdiction_id,
                to.name,
                to.troop,
                to.troop_verified,
                to.method.as_str(),
                to.near_border,
                to.outside,
                to.distance_km,
                to.outside_reason,
                candidates_json(to)?,
                to.is_unassigned(),
                hlc
            ])?;
        }
        EventBody::SettingsChanged { targets, link_window_days } => {
            crate::settings::save(tx, &Settings { targets: *targets, link_window_days: *link_window_days })?;
            // New targets move every open case's deadline.
            refresh_all_queue_columns(tx)?;
        }
        EventBody::ResponderUpserted { responder } => {
            tx.prepare_cached(
                "INSERT INTO responders (id, name, role, on_duty, record) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, on_duty = excluded.on_duty, record = excluded.record",
            )?
            .execute(params![responder.id.0, responder.name, responder.role.as_str(), responder.on_duty, json(responder)?])?;
        }
        EventBody::AccountSaved { user, .. } => {
            tx.prepare_cached(
                "INSERT INTO users (name, role, responder_id, disabled, record) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role, responder_id = excluded.responder_id,
                     disabled = excluded.disabled, record = excluded.record",
            )?
            .execute(params![
                user.name,
                user.role.as_str(),
                user.responder_id.as_ref().map(|r| r.0.as_str()),
                user.disabled,
                json(user)?
            ])?;
        }
        // Audit only: who saw the case is the event itself.
        // A purge was folded above; a redacted event says nothing any more.
        // Delivery and escalation are kept below, with the answers that end them.
        EventBody::CaseViewed {}
        | EventBody::Redacted { .. }
        | EventBody::CasePurged { .. }
        | EventBody::DeliveryAttempted { .. }
        | EventBody::Escalated { .. } => {}
    }
    keep_attention(tx, event, at)?;
    let row = match known_row {
        Some(row) => Some(row),
        None => case_row(tx, event)?,
    };
    let Some(row) = row else { return Ok(None) };
    if changes_queue_place(&event.body) {
        refresh_queue_columns(tx, row, &settings.targets)?;
    }
    Ok(Some(row))
}

/// What the hub says of a handoff's delivery (the latest attempt per
/// channel) and of escalations, and the answers that end them: a case is
/// `undelivered` while a waiting handoff has a failed attempt and no channel
/// delivered it, and `escalated` from the hub's escalation until a
/// responder acknowledges, is on scene, or the case is closed.
fn keep_attention(tx: &Connection, event: &Event, at: i64) -> Result<(), StoreError> {
    let Some(case) = event.case_id else { return Ok(()) };
    let id = case.to_string();
    match &event.body {
        EventBody::DeliveryAttempted { handoff_id, channel, attempt, outcome, detail, next_attempt_at, .. } => {
            tx.prepare_cached(
                "INSERT INTO deliveries (handoff_id, channel, case_id, attempt, outcome, detail, next_attempt_at, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (handoff_id, channel) DO UPDATE SET attempt = excluded.attempt, outcome = excluded.outcome,
                     detail = excluded.detail, next_attempt_at = excluded.next_attempt_at, at = excluded.at
                 WHERE excluded.attempt >= deliveries.attempt",
            )?
            .execute(params![
                handoff_id.to_string(),
                channel.as_str(),
                id,
                attempt,
                outcome.as_str(),
                detail,
                next_attempt_at,
                at
            ])?;
        }
        EventBody::Escalated { .. } => {
            tx.prepare_cached("UPDATE cases SET escalated = 1 WHERE id = ?1")?.execute([&id])?;
        }
        EventBody::Acknowledged { .. }
        | EventBody::StatusChanged { to: CaseStatus::OnScene | CaseStatus::Closed, .. } => {
            tx.prepare_cached("UPDATE cases SET escalated = 0 WHERE id = ?1")?.execute([&id])?;
        }
        EventBody::HandedOff { .. } | EventBody::StatusChanged { .. } => {}
        _ => return Ok(()),
    }
    // The latest outcome per channel of each handoff in force that waits
    // for its acknowledgement, judged by the one rule.
    let latest: Vec<(String, Outcome)> = tx
        .prepare_cached(
            "SELECT d.handoff_id, d.outcome FROM handoffs h JOIN deliveries d ON d.handoff_id = h.id
             WHERE h.case_id = ?1 AND h.acknowledged_at IS NULL AND h.withdrawn_at IS NULL AND h.rejected_at IS NULL
             ORDER BY d.handoff_id",
        )?
        .query_map([&id], |r| {
            let outcome: String = r.get(1)?;
            let outcome = outcome
                .parse::<Outcome>()
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into()))?;
            Ok((r.get(0)?, outcome))
        })?
        .collect::<Result<_, _>>()?;
    let undelivered =
        latest.chunk_by(|a, b| a.0 == b.0).any(|handoff| delivery::undelivered(handoff.iter().map(|(_, o)| *o)));
    tx.prepare_cached("UPDATE cases SET undelivered = ?2 WHERE id = ?1")?.execute(params![id, undelivered])?;
    Ok(())
}

/// Whether the log holds the hub's rejection of a handoff.
fn rejected_by_hub(tx: &Connection, handoff: beacon_domain::HandoffId) -> Result<bool, StoreError> {
    // Written as the index `events_handoff_rejections` is, so it is used.
    Ok(tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM events
             WHERE kind = 'handoff_rejected' AND json_extract(body, '$.payload.handoff_id') = ?1)",
        )?
        .query_row([handoff.to_string()], |r| r.get(0))?)
}

/// Whether applying `event` now would leave the tables different from the
/// fold of the log: the hub's rejection of a handoff that was projected as
/// standing (it arrived before its rejection). The rejected handoff may
/// have replaced another, or been acknowledged since; only folding the log
/// again, with the rejection known from the start, gives the right tables.
pub(crate) fn undoes_projection(tx: &Connection, event: &Event) -> Result<bool, StoreError> {
    let EventBody::HandoffRejected { handoff_id, .. } = &event.body else { return Ok(false) };
    Ok(tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM handoffs WHERE id = ?1 AND rejected_at IS NULL)")?
        .query_row([handoff_id.to_string()], |r| r.get(0))?)
}

/// File a handoff; `rejected_at` for one the hub refused (it is withdrawn
/// from the start).
fn insert_handoff(tx: &Connection, event: &Event, case_id: &str, rejected_at: Option<i64>) -> Result<(), StoreError> {
    let EventBody::HandedOff { handoff_id, responder_id, responder_name, role, shared_fields, withheld_fields, .. } =
        &event.body
    else {
        return Ok(());
    };
    tx.prepare_cached(
        "INSERT INTO handoffs (id, case_id, responder_id, responder_name, role, handed_off_by, handed_off_at,
            shared_fields, withheld_fields, withdrawn_at, rejected_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        handoff_id.to_string(),
        case_id,
        responder_id.0,
        responder_name,
        role.as_str(),
        event.actor.0,
        event.hlc.wall_ms,
        json(shared_fields)?,
        json(withheld_fields)?,
        rejected_at
    ])?;
    Ok(())
}

/// Keep `cases.open_conflicts` (which moves the case in the queue) equal to
/// its rejected handoffs nobody has looked at.
fn count_open_conflicts(tx: &Connection, case_id: &str, hlc: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE cases SET updated_hlc = ?2, open_conflicts =
            (SELECT count(*) FROM handoff_conflicts WHERE case_id = ?1 AND resolved_at IS NULL)
         WHERE id = ?1",
    )?
    .execute(params![case_id, hlc])?;
    Ok(())
}

/// The row of the case an event concerns, if it concerns one.
fn case_row(tx: &Connection, event: &Event) -> Result<Option<i64>, StoreError> {
    let Some(id) = event.case_id else { return Ok(None) };
    tx.prepare_cached("SELECT row_id FROM cases WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt(format!("{} event for a case that does not exist", event.body.kind())))
}

/// What the case's state machine says of an event.
enum Judged {
    /// The event changes neither the case's status nor its responders.
    Unguarded,
    Allowed(Step),
    Refused(StoreError),
}

/// Judge an event that changes a case's status or its responders by the
/// domain's machine ([`CaseStatus::after`]), against the status the case
/// has in this transaction. An acknowledgement must also name a handoff of
/// the case that is waiting (neither acknowledged nor withdrawn).
fn judge(tx: &Connection, event: &Event) -> Result<Judged, StoreError> {
    let Some(case) = event.case_id else { return Ok(Judged::Unguarded) };
    if !matches!(
        event.body,
        EventBody::PriorityOverridden { .. }
            | EventBody::StatusChanged { .. }
            | EventBody::HandedOff { .. }
            | EventBody::Acknowledged { .. }
    ) {
        return Ok(Judged::Unguarded);
    }
    let status: Option<String> = tx
        .prepare_cached("SELECT status FROM cases WHERE id = ?1")?
        .query_row([case.to_string()], |r| r.get(0))
        .optional()?;
    let Some(status) = status else {
        return Err(StoreError::Corrupt(format!("{} event for a case that does not exist", event.body.kind())));
    };
    let from: CaseStatus = status.parse().map_err(StoreError::Corrupt)?;
    let refused = |error: TransitionError| Ok(Judged::Refused(StoreError::Transition { case, error }));
    let change = match &event.body {
        EventBody::PriorityOverridden { .. } => Change::Triage,
        EventBody::HandedOff { .. } => Change::HandOff,
        EventBody::Acknowledged { .. } => Change::Acknowledge,
        EventBody::StatusChanged { to, .. } => match Change::to_reach(from, *to) {
            Some(change) => change,
            None => return refused(TransitionError { from, to: *to }),
        },
        _ => return Ok(Judged::Unguarded),
    };
    let to = match from.after(change) {
        Ok(to) => to,
        Err(error) => return refused(error),
    };
    match &event.body {
        // A status change lands exactly where it asks to, or not at all.
        EventBody::StatusChanged { to: asked, .. } if *asked != to => {
            return refused(TransitionError { from, to: *asked });
        }
        EventBody::Acknowledged { handoff_id, .. } => {
            let waiting = match handoff_id {
                Some(h) => tx
                    .prepare_cached(
                        "SELECT 1 FROM handoffs WHERE id = ?1 AND case_id = ?2 AND acknowledged_at IS NULL AND withdrawn_at IS NULL",
                    )?
                    .query_row(params![h.to_string(), case.to_string()], |_| Ok(()))
                    .optional()?
                    .is_some(),
                None => false,
            };
            if !waiting {
                return Ok(Judged::Refused(StoreError::HandoffNotWaiting { case }));
            }
        }
        _ => {}
    }
    Ok(Judged::Allowed(Step { change, to }))
}

/// Whether an event can change a case's standing or deadline (a new case
/// gets both when it is inserted).
fn changes_queue_place(body: &EventBody) -> bool {
    matches!(
        body,
        EventBody::PriorityOverridden { .. }
            | EventBody::StatusChanged { .. }
            | EventBody::HandedOff { .. }
            | EventBody::Acknowledged { .. }
            | EventBody::HandoffRejected { .. }
            | EventBody::ConflictResolved { .. }
            | EventBody::DeliveryAttempted { .. }
            | EventBody::Escalated { .. }
    )
}

/// The queue columns of a case (`standing`, `due_at`) from what the case
/// holds, by the domain's rule. Closed cases keep neither (the queue's
/// indexes hold open cases only).
fn queue_columns(
    targets: &Targets,
    status: CaseStatus,
    attention: Attention,
    priority: Priority,
    received_ms: i64,
    progress: Progress,
) -> (u8, i64) {
    let Some(standing) = Standing::of(status, attention) else { return (0, due_ms(None)) };
    let received = Utc.timestamp_millis_opt(received_ms).single().unwrap_or_default();
    (standing.rank(), due_ms(targets.next_due(priority, received, progress).map(|(_, due)| due)))
}

fn refresh_queue_columns(tx: &Connection, row: i64, targets: &Targets) -> Result<(), StoreError> {
    let (status, priority, received, acknowledged, on_scene, attention): (
        String,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Attention,
    ) = tx
        .prepare_cached(
            "SELECT status, priority, received_at, acknowledged_at, on_scene_at, open_conflicts, escalated, undelivered
             FROM cases WHERE row_id = ?1",
        )?
        .query_row([row], |r| {
            let attention =
                Attention { conflicted: r.get::<_, i64>(5)? > 0, escalated: r.get(6)?, undelivered: r.get(7)? };
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, attention))
        })?;
    let status: CaseStatus = status.parse().map_err(StoreError::Corrupt)?;
    let priority =
        Priority::from_rank(priority).ok_or_else(|| StoreError::Corrupt(format!("priority rank {priority}")))?;
    let (standing, due) =
        queue_columns(targets, status, attention, priority, received, Progress::from_times(acknowledged, on_scene));
    tx.prepare_cached("UPDATE cases SET standing = ?2, due_at = ?3 WHERE row_id = ?1")?
        .execute(params![row, standing, due])?;
    Ok(())
}

/// Recompute the queue columns of every open case with the store's current
/// targets: after the targets change, and when migrating to schema 2.
pub(crate) fn refresh_all_queue_columns(conn: &Connection) -> Result<(), StoreError> {
    let targets = crate::settings::load(conn)?.targets;
    let rows: Vec<i64> = conn
        .prepare("SELECT row_id FROM cases WHERE is_open = 1")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for row in rows {
        refresh_queue_columns(conn, row, &targets)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn insert_case(
    tx: &Connection,
    id: CaseId,
    r: &Referral,
    reasons: &[Reason],
    priority: u8,
    j: &JurisdictionAssignment,
    hlc: i64,
    settings: &Settings,
) -> Result<i64, StoreError> {
    let location = r.location.as_ref().map(|l| l.summary()).unwrap_or_default();
    let received = r.received_at.timestamp_millis();
    let id_text = id.to_string();
    let rank = Priority::from_rank(i64::from(priority)).unwrap_or(Priority::P4);
    let (standing, due) = queue_columns(
        &settings.targets,
        CaseStatus::New,
        Attention::default(),
        rank,
        received,
        Progress::Unacknowledged,
    );
    tx.prepare_cached(
        "INSERT INTO cases (id, source, external_id, received_at, status, is_open, priority, priority_reasons, unassigned,
            jurisdiction_id, jurisdiction_name, troop, troop_verified, assign_method, near_border, outside, distance_km,
            outside_reason, candidates, trafficking_type, place_type, location_summary, updated_hlc, standing, due_at)
         VALUES (?1, ?2, ?3, ?4, 'new', 1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23)",
    )?
    .execute(params![
        id_text,
        r.source.as_str(),
        r.external_id,
        received,
        priority,
        json(reasons)?,
        j.is_unassigned(),
        j.jurisdiction_id,
        j.name,
        j.troop,
        j.troop_verified,
        j.method.as_str(),
        j.near_border,
        j.outside,
        j.distance_km,
        j.outside_reason,
        candidates_json(j)?,
        r.trafficking_type.as_str(),
        r.place_type().map(|p| p.as_str()),
        location,
        hlc,
        standing,
        due,
    ])?;
    let row_id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO cases_fts (rowid, narrative, notes, location, names) VALUES (?1, ?2, '', ?3, ?4)")?
        .execute(params![row_id, search_index::narrative(r), search_index::location(r, j), search_index::names(r)])?;
    link(tx, row_id, r, received, settings.link_window_days)?;
    Ok(row_id)
}

fn link(tx: &Connection, row: i64, r: &Referral, received: i64, window_days: i64) -> Result<(), StoreError> {
    let keys: Vec<(links::LinkKind, i64)> =
        links::link_keys(r).into_iter().map(|(kind, key)| (kind, links::key_hash(kind, &key))).collect();
    if keys.is_empty() {
        return Ok(());
    }
    let window = window_days.saturating_mul(86_400_000);
    let (from, to) = (received.saturating_sub(window), received.saturating_add(window));
    // Most keys are new: a seek per key finds the few already filed within
    // the window, and only those are walked for their nearest cases.
    let shared: Vec<i64> = keys
        .iter()
        .map(|(_, hash)| *hash)
        .filter_map(|hash| filed_within(tx, hash, from, to).transpose())
        .collect::<Result<_, _>>()?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO link_keys (bucket, key_hash, received_at, case_row)
         SELECT ?1, value, ?2, ?3 FROM json_each(?4)",
    )?
    .execute(params![bucket_of(received), received, row, json_list(keys.iter().map(|(_, hash)| *hash))])?;
    if shared.is_empty() {
        return Ok(());
    }
    // Cases whose link count changed: this one and, once each, every other.
    let mut touched: Vec<i64> = Vec::new();
    let mut insert = tx.prepare_cached(
        "INSERT INTO links (case_row, other_row, kinds) VALUES (?1, ?2, ?3)
         ON CONFLICT (case_row, other_row) DO UPDATE SET kinds = kinds || ',' || excluded.kinds
         WHERE instr(',' || kinds || ',', ',' || excluded.kinds || ',') = 0",
    )?;
    for (kind, hash) in keys.iter().filter(|(_, hash)| shared.contains(hash)) {
        for other in nearest_members(tx, *hash, received, window, row)? {
            insert.execute(params![row, other, kind.as_str()])?;
            insert.execute(params![other, row, kind.as_str()])?;
            touched.push(other);
        }
    }
    if touched.is_empty() {
        return Ok(());
    }
    touched.push(row);
    touched.sort_unstable();
    touched.dedup();
    let mut count = tx.prepare_cached(
        "UPDATE cases SET link_count = (SELECT count(*) FROM links WHERE case_row = ?1) WHERE row_id = ?1",
    )?;
    for case_row in touched {
        count.execute([case_row])?;
    }
    Ok(())
}

/// `hash` when some case is filed under it between `from` and `to`.
fn filed_within(tx: &Connection, hash: i64, from: i64, to: i64) -> Result<Option<i64>, StoreError> {
    // One seek per time span, newest first (a repeat tip is most often
    // recent). An equality on `bucket` rather than `bucket IN (…)`: an IN
    // list of parameters builds a temporary index at every execution, and
    // this runs for every key of every referral.
    let mut probe = tx.prepare_cached(
        "SELECT 1 FROM link_keys WHERE bucket = ?1 AND key_hash = ?2 AND received_at BETWEEN ?3 AND ?4 LIMIT 1",
    )?;
    for bucket in (bucket_of(from)..=bucket_of(to)).rev() {
        if probe.exists(params![bucket, hash, from, to])? {
            return Ok(Some(hash));
        }
    }
    Ok(None)
}

/// Integers as a JSON array, for `json_each`: one statement for a list of any length.
fn json_list(values: impl IntoIterator<Item = i64>) -> String {
    let mut out = String::from("[");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&v.to_string());
    }
    out.push(']');
    out
}

/// The span of time a link key is filed under (see migration 3).
fn bucket_of(at_ms: i64) -> i64 {
    at_ms >> 32
}

/// The cases filed under `hash` nearest in time to `at` (at most
/// [`MAX_LINKS_PER_KEY`], within `window` ms), other than `row` and other
/// than cases that already have [`MAX_LINKS_PER_CASE`] links. Each side of
/// `at` is one bounded walk per time span, however many cases share the key.
fn nearest_members(tx: &Connection, hash: i64, at: i64, window: i64, row: i64) -> Result<Vec<i64>, StoreError> {
    let (from, to) = (at.saturating_sub(window), at.saturating_add(window));
    let limit = MAX_LINKS_PER_KEY as i64;
    // (distance in time, row, links it already has)
    let mut found: Vec<(i64, i64, i64)> = Vec::new();
    {
        let mut older = tx.prepare_cached(
            "SELECT k.received_at, k.case_row, c.link_count FROM link_keys k JOIN cases c ON c.row_id = k.case_row
             WHERE k.bucket = ?1 AND k.key_hash = ?2 AND k.received_at BETWEEN ?3 AND ?4 AND k.case_row <> ?5
             ORDER BY k.received_at DESC, k.case_row DESC LIMIT ?6",
        )?;
        let mut seen = 0;
        let mut bucket = bucket_of(at);
        while bucket >= bucket_of(from) && seen < limit {
            for r in older.query_map(params![bucket, hash, from, at, row, limit - seen], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })? {
                let (t, other, links) = r?;
                found.push((at - t, other, links));
                seen += 1;
            }
            bucket -= 1;
        }
    }
    {
        let mut newer = tx.prepare_cached(
            "SELECT k.received_at, k.case_row, c.link_count FROM link_keys k JOIN cases c ON c.row_id = k.case_row
             WHERE k.bucket = ?1 AND k.key_hash = ?2 AND k.received_at > ?3 AND k.received_at <= ?4 AND k.case_row <> ?5
             ORDER BY k.received_at ASC, k.case_row ASC LIMIT ?6",
        )?;
        let mut seen = 0;
        let mut bucket = bucket_of(at);
        while bucket <= bucket_of(to) && seen < limit {
            for r in newer.query_map(params![bucket, hash, at, to, row, limit - seen], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })? {
                let (t, other, links) = r?;
                found.push((t - at, other, links));
                seen += 1;
            }
            bucket += 1;
        }
    }
    found.sort_unstable();
    Ok(found
        .into_iter()
        .take(MAX_LINKS_PER_KEY)
        .filter(|&(_, _, links)| links < MAX_LINKS_PER_CASE)
        .map(|(_, other, _)| other)
        .collect())
}

fn touch(tx: &Connection, id: &str, hlc: i64) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE cases SET updated_hlc = ?2 WHERE id = ?1")?.execute(params![id, hlc])?;
    Ok(())
}

/// The responders a case lists: per role, the latest handoff not
/// withdrawn (a withdrawn handoff no longer assigns anyone), in role order.
fn assignees(tx: &Connection, case_id: &str) -> Result<Vec<Assignee>, StoreError> {
    let rows: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT responder_id, responder_name, role FROM handoffs
             WHERE case_id = ?1 AND withdrawn_at IS NULL
             ORDER BY role, handed_off_at DESC, rowid DESC",
        )?
        .query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut out: Vec<Assignee> = Vec::new();
    for (id, name, role) in rows {
        let role = role.parse().map_err(StoreError::Corrupt)?;
        if !out.iter().any(|a| a.role == role) {
            out.push(Assignee { id: beacon_domain::ResponderId(id), name, role });
        }
    }
    Ok(out)
}

/// The candidates column: NULL when there are none (nearly every case).
fn candidates_json(j: &JurisdictionAssignment) -> Result<Option<String>, StoreError> {
    if j.candidates.is_empty() { Ok(None) } else { json(&j.candidates).map(Some) }
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::json("projection"))
}
