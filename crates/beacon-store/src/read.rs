//! Read queries. Each one is shaped for an index named in the migration.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::phones;
use beacon_domain::queue::{QueueQuery, Standing};
use beacon_domain::triage::Reason;
use beacon_domain::{CaseId, Hlc, JurisdictionAssignment, Priority, Responder, ResponderId, User};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{
    Assignee, CaseMatch, CaseRecord, CaseSummary, ChangedCases, DeliveryStatus, HandoffConflict, HandoffRecord,
    LinkedCase, NoteRecord, ResponseRow, ResponseRows, StoredEvent,
};
use crate::{Store, StoreError};

const SUMMARY_COLUMNS: &str =
    "c.id, c.source, c.external_id, c.received_at, c.status, c.priority, c.priority_reasons, c.priority_overridden,
    c.trafficking_type, c.place_type, c.location_summary,
    c.link_count, c.assigned,
    c.handed_off_at, c.acknowledged_at, c.on_scene_at, c.closed_at, c.disposition, c.due_at,
    c.jurisdiction_id, c.jurisdiction_name, c.troop, c.troop_verified, c.assign_method, c.near_border,
    c.outside, c.distance_km, c.outside_reason, c.candidates, c.open_conflicts, c.escalated, c.undelivered";

/// Where the jurisdiction's columns start in [`SUMMARY_COLUMNS`].
const SUMMARY_JURISDICTION_AT: usize = 19;
/// Columns of [`SUMMARY_COLUMNS`].
const SUMMARY_WIDTH: usize = SUMMARY_JURISDICTION_AT + JURISDICTION_WIDTH + 3;

/// A case's jurisdiction, as [`jurisdiction_at`] reads it (prefixed `c.`).
pub(crate) const JURISDICTION_COLUMNS: &str = "c.jurisdiction_id, c.jurisdiction_name, c.troop, c.troop_verified, \
    c.assign_method, c.near_border, c.outside, c.distance_km, c.outside_reason, c.candidates";
const JURISDICTION_WIDTH: usize = 10;

/// The jurisdiction from its [`JURISDICTION_COLUMNS`], starting at column `at`.
pub(crate) fn jurisdiction_at(r: &Row<'_>, at: usize) -> rusqlite::Result<JurisdictionAssignment> {
    Ok(JurisdictionAssignment {
        jurisdiction_id: r.get(at)?,
        name: r.get(at + 1)?,
        troop: r.get(at + 2)?,
        troop_verified: r.get(at + 3)?,
        method: parse_at(r, at + 4, "assignment method")?,
        near_border: r.get(at + 5)?,
        outside: r.get(at + 6)?,
        distance_km: r.get(at + 7)?,
        outside_reason: r.get(at + 8)?,
        candidates: match r.get_ref(at + 9)? {
            rusqlite::types::ValueRef::Null => Vec::new(),
            _ => json_at(r, at + 9)?,
        },
    })
}

fn ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn parse<T: std::str::FromStr>(text: String, what: &str) -> rusqlite::Result<T> {
    text.parse::<T>()
        .map_err(|_| rusqlite::Error::InvalidColumnType(0, format!("{what}: {text}"), rusqlite::types::Type::Text))
}

fn from_json<T: serde::de::DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// Column `i` parsed from its text in place, without copying it into a String first.
fn parse_at<T: std::str::FromStr>(r: &Row<'_>, i: usize, what: &str) -> rusqlite::Result<T> {
    let text = r.get_ref(i)?.as_str().map_err(rusqlite::Error::from)?;
    text.parse::<T>()
        .map_err(|_| rusqlite::Error::InvalidColumnType(i, format!("{what}: {text}"), rusqlite::types::Type::Text))
}

/// Column `i`'s JSON, read in place.
fn json_at<T: serde::de::DeserializeOwned>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let text = r.get_ref(i)?.as_str().map_err(rusqlite::Error::from)?;
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

/// JSON columns that repeat from row to row, each distinct text parsed
/// once. Priority reasons come from a few fixed triage rules and the
/// responders assigned from a small roster, so the rows of a queue page
/// repeat a handful of texts, and parsing them was a third of the page's
/// time. A dispatcher's override carries its own words and is parsed each
/// time; a memo is cleared if it ever grows past its bound.
/// Distinct texts a memo holds before it starts again.
const MEMO_BOUND: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct RowMemo {
    reasons: JsonMemo<Arc<[Reason]>>,
    assigned: JsonMemo<Arc<[Assignee]>>,
    /// Plain assignments (inside one jurisdiction, not near a border) by
    /// jurisdiction id, one per way of assigning it: a page's rows share a
    /// few dozen of them.
    jurisdictions: RefCell<HashMap<Box<str>, Vec<Arc<JurisdictionAssignment>>>>,
}

impl RowMemo {
    /// The jurisdiction from its [`JURISDICTION_COLUMNS`] at column `at`,
    /// shared with earlier rows when it is the same plain assignment.
    fn jurisdiction_at(&self, r: &Row<'_>, at: usize) -> rusqlite::Result<Arc<JurisdictionAssignment>> {
        use rusqlite::types::ValueRef;
        let text = |i: usize| r.get_ref(i).and_then(|v| v.as_str_or_null().map_err(rusqlite::Error::from));
        let (near_border, outside): (bool, bool) = (r.get(at + 5)?, r.get(at + 6)?);
        let plain = !near_border
            && !outside
            && matches!(r.get_ref(at + 7)?, ValueRef::Null)
            && matches!(r.get_ref(at + 8)?, ValueRef::Null)
            && matches!(r.get_ref(at + 9)?, ValueRef::Null);
        let Some(id) = text(at)?.filter(|_| plain) else { return Ok(Arc::new(jurisdiction_at(r, at)?)) };
        let (name, troop, verified, method) = (text(at + 1)?, text(at + 2)?, r.get::<_, bool>(at + 3)?, text(at + 4)?);
        let same = |j: &JurisdictionAssignment| {
            j.name.as_deref() == name
                && j.troop.as_deref() == troop
                && j.troop_verified == verified
                && Some(j.method.as_str()) == method
        };
        if let Some(known) = self.jurisdictions.borrow().get(id).and_then(|v| v.iter().find(|j| same(j))) {
            return Ok(known.clone());
        }
        let decoded = Arc::new(jurisdiction_at(r, at)?);
        let mut memo = self.jurisdictions.borrow_mut();
        if memo.len() >= MEMO_BOUND {
            memo.clear();
        }
        memo.entry(id.into()).or_default().push(decoded.clone());
        Ok(decoded)
    }
}

#[derive(Debug)]
struct JsonMemo<T>(RefCell<HashMap<Box<str>, T>>);

impl<T> Default for JsonMemo<T> {
    fn default() -> Self {
        JsonMemo(RefCell::default())
    }
}

impl<T: Clone + serde::de::DeserializeOwned> JsonMemo<T> {
    fn at(&self, r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
        let text = r.get_ref(i)?.as_str().map_err(rusqlite::Error::from)?;
        if let Some(known) = self.0.borrow().get(text) {
            return Ok(known.clone());
        }
        let value: T = json_at(r, i)?;
        let mut memo = self.0.borrow_mut();
        if memo.len() >= MEMO_BOUND {
            memo.clear();
        }
        memo.insert(text.into(), value.clone());
        Ok(value)
    }
}

fn summary(r: &Row<'_>, memo: &RowMemo) -> rusqlite::Result<CaseSummary> {
    let priority: i64 = r.get(5)?;
    let priority_overridden: bool = r.get(7)?;
    Ok(CaseSummary {
        id: parse_at(r, 0, "case id")?,
        source: parse_at(r, 1, "source")?,
        external_id: r.get(2)?,
        received_at: ms(r.get(3)?),
        status: parse_at(r, 4, "status")?,
        priority: Priority::from_rank(priority).unwrap_or(Priority::P4),
        priority_reasons: match priority_overridden {
            true => json_at(r, 6)?,
            false => memo.reasons.at(r, 6)?,
        },
        priority_overridden,
        trafficking_type: parse_at(r, 8, "trafficking type")?,
        place_type: r.get::<_, Option<String>>(9)?.map(|p| parse(p, "place type")).transpose()?,
        location: r.get(10)?,
        link_count: r.get(11)?,
        assigned: memo.assigned.at(r, 12)?,
        handed_off_at: r.get::<_, Option<i64>>(13)?.map(ms),
        acknowledged_at: r.get::<_, Option<i64>>(14)?.map(ms),
        on_scene_at: r.get::<_, Option<i64>>(15)?.map(ms),
        closed_at: r.get::<_, Option<i64>>(16)?.map(ms),
        disposition: r.get(17)?,
        due_ms: r.get(18)?,
        jurisdiction: memo.jurisdiction_at(r, SUMMARY_JURISDICTION_AT)?,
        open_conflicts: r.get(SUMMARY_JURISDICTION_AT + JURISDICTION_WIDTH)?,
        escalated: r.get(SUMMARY_JURISDICTION_AT + JURISDICTION_WIDTH + 1)?,
        undelivered: r.get(SUMMARY_JURISDICTION_AT + JURISDICTION_WIDTH + 2)?,
    })
}

pub(crate) fn case(conn: &Connection, id: CaseId, memo: &RowMemo) -> Result<Option<CaseRecord>, StoreError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, e.body FROM cases c JOIN events e ON e.case_row = c.row_id AND e.kind = 'referral_received'
         WHERE c.id = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], |r| {
            Ok(CaseRecord { summary: summary(r, memo)?, referral: referral_of(r.get(SUMMARY_WIDTH)?)? })
        })
        .optional()?)
}

/// The referral inside a `referral_received` event body.
fn referral_of(body: String) -> rusqlite::Result<beacon_domain::referral::Referral> {
    match from_json::<EventBody>(body)? {
        EventBody::ReferralReceived { referral, .. } => Ok(*referral),
        other => Err(rusqlite::Error::InvalidColumnType(
            0,
            format!("expected a referral, found {}", other.kind()),
            rusqlite::types::Type::Text,
        )),
    }
}

/// The statements of [`Store::response_rows`], each a seek or a range of
/// the response index (`jurisdiction_id`, `received_at`, …).
const RESPONSE_NEXT_JURISDICTION: &str = "SELECT jurisdiction_id FROM cases INDEXED BY cases_response
     WHERE jurisdiction_id > ?1 ORDER BY jurisdiction_id LIMIT 1";
const RESPONSE_JURISDICTION_NAME: &str = "SELECT jurisdiction_name FROM cases INDEXED BY cases_response
     WHERE jurisdiction_id IS ?1 AND received_at >= ?2 LIMIT 1";
const RESPONSE_TIMES: &str = "SELECT received_at, handed_off_at, acknowledged_at, on_scene_at
     FROM cases INDEXED BY cases_response WHERE jurisdiction_id IS ?1 AND received_at >= ?2";

impl Store {
    pub fn case(&self, id: CaseId) -> Result<Option<CaseRecord>, StoreError> {
        case(&self.conn, id, &self.row_memo)
    }

    /// Cases a person's identifier names exactly: the case whose full id it
    /// is, and every case with it as external id (from any source).
    pub fn cases_named(&self, ident: &str) -> Result<Vec<CaseMatch>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source, external_id FROM cases WHERE id = ?1
             UNION SELECT id, source, external_id FROM cases WHERE source IN ('hotline_call','hotline_web','hotline_text','local_call','walk_in','other') AND external_id = ?2
             ORDER BY 1",
        )?;
        let rows = stmt.query_map(params![ident.to_ascii_lowercase(), ident], case_match)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every case whose id starts with `prefix` (lowercase hex digits and
    /// hyphens, as ids are written), in id order.
    pub fn cases_with_id_prefix(&self, prefix: &str) -> Result<Vec<CaseMatch>, StoreError> {
        let lo = prefix.to_ascii_lowercase();
        let hi = format!("{lo}\u{7f}");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, source, external_id FROM cases WHERE id >= ?1 AND id < ?2 ORDER BY id")?;
        let rows = stmt.query_map(params![lo, hi], case_match)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The queue: open cases matching `q`, in the order of
    /// [`beacon_domain::queue`] at `now` (or, with text, the matches newest
    /// first). `q.jurisdiction` is a jurisdiction id here.
    pub fn queue(&self, q: &QueueQuery, now: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        if q.has_text() {
            return self.search(q, now);
        }
        // Every walk reads the same snapshot: a write landing between two of
        // them cannot show a case twice or not at all.
        self.snapshot(|| self.queue_walks(q, now))
    }

    fn queue_walks(&self, q: &QueueQuery, now: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        let limit = q.row_limit();
        let now_ms = now.timestamp_millis();
        let priorities: Vec<Priority> =
            if q.priorities.is_empty() { Priority::ALL.to_vec() } else { q.priorities.clone() };
        let mut out: Vec<CaseSummary> = Vec::with_capacity(limit.min(512));
        // "Needs a dispatcher": per priority, cases nobody has, then rejected
        // handoffs, then overdue ones (from both other standings, merged by
        // deadline).
        for &p in &priorities {
            let until = if q.overdue { now_ms - 1 } else { i64::MAX };
            for standing in [Standing::Unhandled, Standing::Undelivered, Standing::Escalated, Standing::HandoffRejected]
            {
                self.segment(
                    q,
                    Walk { standing, priority: p, from: i64::MIN, until, limit: limit - out.len() },
                    &mut out,
                )?;
                if out.len() >= limit {
                    return Ok(out);
                }
            }
            let from = out.len();
            let overdue = |standing, limit| Walk { standing, priority: p, from: i64::MIN, until: now_ms - 1, limit };
            self.segment(q, overdue(Standing::AwaitingAcknowledgement, limit - out.len()), &mut out)?;
            self.segment(q, overdue(Standing::ResponderWorking, limit - from), &mut out)?;
            // A UUID's order is its text's order, which is the order SQL gives.
            out[from..].sort_by_key(|c| (c.due_ms, c.id));
            out.truncate(limit);
            if out.len() >= limit {
                return Ok(out);
            }
        }
        if q.overdue {
            return Ok(out);
        }
        // Then waiting for a responder, then being worked: inside the target.
        for standing in [Standing::AwaitingAcknowledgement, Standing::ResponderWorking] {
            for &p in &priorities {
                self.segment(
                    q,
                    Walk { standing, priority: p, from: now_ms, until: i64::MAX, limit: limit - out.len() },
                    &mut out,
                )?;
                if out.len() >= limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    /// One walk of a queue index (see [`Walk`]), appended to `out`.
    fn segment(&self, q: &QueueQuery, walk: Walk, out: &mut Vec<CaseSummary>) -> Result<(), StoreError> {
        if walk.limit == 0 || walk.from > walk.until {
            return Ok(());
        }
        let (sql, args) = segment_sql(q, &walk);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        for row in stmt.query_map(params_from_iter(args), |r| summary(r, &self.row_memo))? {
            out.push(row?);
        }
        Ok(())
    }

    /// Of the given cases, those that belong in the queue `q` at `now`, in no
    /// particular order: a screen patches its rows with these after a change
    /// (and drops the other ids).
    pub fn queue_members(
        &self,
        ids: &[CaseId],
        q: &QueueQuery,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(200) {
            let mut sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM cases c WHERE c.id IN ({}) AND c.is_open = 1",
                placeholders(chunk.len())
            );
            let mut args: Vec<Sql> = chunk.iter().map(|c| Sql::Text(c.to_string())).collect();
            if !q.priorities.is_empty() {
                sql += &format!(" AND c.priority IN ({})", placeholders(q.priorities.len()));
                args.extend(q.priorities.iter().map(|p| Sql::Integer(p.rank().into())));
            }
            filters(q, Some(now.timestamp_millis()), &mut sql, &mut args);
            if let Some(text) = q.text.as_deref().and_then(fts_query) {
                // The broader form: a changed case that matches it may belong.
                sql += " AND c.row_id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)";
                args.push(Sql::Text(text.prefixed.unwrap_or(text.whole)));
            }
            // Not cached: the statement's text varies with the number of ids.
            let mut stmt = self.conn.prepare(&sql)?;
            for row in stmt.query_map(params_from_iter(args), |r| summary(r, &self.row_memo))? {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// Count of open cases (for the queue's header).
    pub fn open_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM cases INDEXED BY cases_queue WHERE is_open = 1", [], |r| {
            r.get::<_, i64>(0)
        })? as u64)
    }

    /// Full-text search over narratives, notes, locations and names, with the
    /// queue's filters; newest cases first. Open cases only unless
    /// `q.include_closed`. (Newest first rather than best-ranked: a
    /// dispatcher looks for the recent tip, and FTS5 reads a term's matches
    /// newest-first without scoring them all, so common words stay fast in a
    /// large store.)
    pub fn search(&self, q: &QueueQuery, now: DateTime<Utc>) -> Result<Vec<CaseSummary>, StoreError> {
        let Some(text) = q.text.as_deref().and_then(fts_query) else { return Ok(Vec::new()) };
        let limit = q.row_limit();
        self.snapshot(|| {
            let whole = self.search_fts(q, now, &text.whole, limit)?;
            match &text.prefixed {
                // Nothing has these words whole: the last is still being typed.
                Some(prefixed) if whole.is_empty() => self.search_fts(q, now, prefixed, limit),
                _ => Ok(whole),
            }
        })
    }

    fn search_fts(
        &self,
        q: &QueueQuery,
        now: DateTime<Utc>,
        fts: &str,
        limit: usize,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let mut sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases_fts f JOIN cases c ON c.row_id = f.rowid WHERE cases_fts MATCH ?"
        );
        let mut args = vec![Sql::Text(fts.to_string())];
        if !q.include_closed {
            sql += " AND c.is_open = 1";
        }
        if !q.priorities.is_empty() {
            sql += &format!(" AND c.priority IN ({})", placeholders(q.priorities.len()));
            args.extend(q.priorities.iter().map(|p| Sql::Integer(p.rank().into())));
        }
        filters(q, Some(now.timestamp_millis()), &mut sql, &mut args);
        sql += " ORDER BY f.rowid DESC LIMIT ?";
        args.push(Sql::Integer(limit as i64));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| summary(r, &self.row_memo))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn notes(&self, id: CaseId) -> Result<Vec<NoteRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, author, body, created_at FROM notes WHERE case_id = ?1 ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok(NoteRecord {
                id: parse(r.get(0)?, "note id")?,
                author: r.get(1)?,
                body: r.get(2)?,
                created_at: ms(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn handoffs(&self, id: CaseId) -> Result<Vec<HandoffRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, responder_id, responder_name, role, handed_off_by, handed_off_at, shared_fields, withheld_fields, acknowledged_at, acknowledged_by, withdrawn_at, rejected_at
             FROM handoffs WHERE case_id = ?1 ORDER BY handed_off_at, rowid",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| {
            let shared_fields: Vec<String> = from_json(r.get(6)?)?;
            let withheld_fields: Vec<String> = from_json(r.get(7)?)?;
            let names = |fields: &[String]| fields.iter().map(|f| beacon_domain::sharing::words(f)).collect();
            Ok(HandoffRecord {
                id: parse(r.get(0)?, "handoff id")?,
                responder_id: ResponderId(r.get(1)?),
                responder_name: r.get(2)?,
                role: parse(r.get(3)?, "role")?,
                handed_off_by: r.get(4)?,
                handed_off_at: ms(r.get(5)?),
                shared_names: names(&shared_fields),
                withheld_names: names(&withheld_fields),
                shared_fields,
                withheld_fields,
                acknowledged_at: r.get::<_, Option<i64>>(8)?.map(ms),
                acknowledged_by: r.get(9)?,
                withdrawn_at: r.get::<_, Option<i64>>(10)?.map(ms),
                rejected_at: r.get::<_, Option<i64>>(11)?.map(ms),
                deliveries: Vec::new(),
            })
        })?;
        let mut handoffs: Vec<HandoffRecord> = rows.collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT handoff_id, channel, attempt, outcome, detail, at, next_attempt_at FROM deliveries
             WHERE case_id = ?1 ORDER BY channel",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| {
            let (channel, outcome, attempt, detail) =
                (parse(r.get(1)?, "channel")?, parse(r.get(3)?, "outcome")?, r.get(2)?, r.get::<_, Option<String>>(4)?);
            let status = DeliveryStatus {
                label: beacon_domain::delivery::label(channel, outcome, attempt, detail.as_deref()),
                reached: beacon_domain::delivery::reached(outcome),
                channel,
                attempt,
                outcome,
                detail,
                at: ms(r.get(5)?),
                next_attempt_at: r.get::<_, Option<i64>>(6)?.map(ms),
            };
            Ok((r.get::<_, String>(0)?, status))
        })?;
        for row in rows {
            let (handoff, status) = row?;
            if let Some(h) = handoffs.iter_mut().find(|h| h.id.to_string() == handoff) {
                h.deliveries.push(status);
            }
        }
        Ok(handoffs)
    }

    /// The rejected handoffs of one case, oldest first, looked at or not.
    pub fn conflicts_of(&self, id: CaseId) -> Result<Vec<HandoffConflict>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CONFLICT_COLUMNS} FROM handoff_conflicts WHERE case_id = ?1 ORDER BY rejected_at, handoff_id"
        ))?;
        let rows = stmt.query_map([id.to_string()], conflict)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Rejected handoffs nobody has looked at, newest first: the conflicts list.
    pub fn open_conflicts(&self, limit: usize) -> Result<Vec<HandoffConflict>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CONFLICT_COLUMNS} FROM handoff_conflicts INDEXED BY handoff_conflicts_open
             WHERE resolved_at IS NULL ORDER BY rejected_at DESC, handoff_id LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], conflict)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many rejected handoffs nobody has looked at.
    pub fn open_conflict_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM handoff_conflicts INDEXED BY handoff_conflicts_open WHERE resolved_at IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    pub fn links(&self, id: CaseId) -> Result<Vec<LinkedCase>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, l.kinds, c.received_at, c.status, c.priority
             FROM links l JOIN cases c ON c.row_id = l.other_row
             WHERE l.case_row = (SELECT row_id FROM cases WHERE id = ?1)
             ORDER BY c.received_at DESC",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| {
            let kinds: String = r.get(1)?;
            Ok(LinkedCase {
                case_id: parse(r.get(0)?, "case id")?,
                kinds: kinds.split(',').map(str::to_string).collect(),
                received_at: ms(r.get(2)?),
                status: parse(r.get(3)?, "status")?,
                priority: Priority::from_rank(r.get(4)?).unwrap_or(Priority::P4),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Linked case ids for many cases at once (for lists).
    pub fn links_of(&self, ids: &[CaseId]) -> Result<HashMap<CaseId, Vec<CaseId>>, StoreError> {
        let mut out: HashMap<CaseId, Vec<CaseId>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT a.id, b.id FROM cases a JOIN links l ON l.case_row = a.row_id JOIN cases b ON b.row_id = l.other_row
                 WHERE a.id IN ({})",
                placeholders(chunk.len())
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk.iter().map(|c| c.to_string())), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (a, b) = row?;
                out.entry(parse(a, "case id")?).or_default().push(parse(b, "case id")?);
            }
        }
        Ok(out)
    }

    /// The case's events, oldest first: its audit trail.
    pub fn events(&self, id: CaseId) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, d.id, e.device_seq, e.hlc, e.actor, e.case_id, e.body FROM events e JOIN devices d ON d.device = e.device
             WHERE e.case_row = (SELECT row_id FROM cases WHERE id = ?1)
                OR (e.case_row IS NULL AND e.case_id = ?1)
             ORDER BY e.hlc, e.local_seq",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| {
            let body: EventBody = from_json(r.get(6)?)?;
            let hlc = Hlc::unpack(r.get(3)?);
            Ok(StoredEvent {
                id: parse(r.get(0)?, "event id")?,
                device_id: parse(r.get(1)?, "device id")?,
                seq: r.get::<_, i64>(2)? as u64,
                hlc,
                at: ms(hlc.wall_ms),
                actor: Actor(r.get(4)?),
                case_id: r.get::<_, Option<String>>(5)?.map(|c| parse(c, "case id")).transpose()?,
                summary: body.summary(),
                body,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn responders(&self) -> Result<Vec<Responder>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT record FROM responders ORDER BY role, name, id")?;
        let rows = stmt.query_map([], |r| from_json::<Responder>(r.get(0)?))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn responder(&self, id: &str) -> Result<Option<Responder>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT record FROM responders WHERE id = ?1")?
            .query_row([id], |r| from_json::<Responder>(r.get(0)?))
            .optional()?)
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT record FROM users ORDER BY name")?;
        let rows = stmt.query_map([], |r| from_json::<User>(r.get(0)?))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT record FROM users WHERE name = ?1")?
            .query_row([name], |r| from_json::<User>(r.get(0)?))
            .optional()?)
    }

    /// Whether the store has any account: a store with none has not been
    /// protected yet (`beacon init` adds the first admin).
    pub fn has_users(&self) -> Result<bool, StoreError> {
        Ok(self.conn.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?)
    }

    /// Whether the case was handed to the responder and the handoff stands
    /// (neither withdrawn nor rejected by the hub).
    pub fn is_handed_to(&self, case: CaseId, responder_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM handoffs
                 WHERE case_id = ?1 AND responder_id = ?2 AND withdrawn_at IS NULL)",
            )?
            .query_row(params![case.to_string(), responder_id], |r| r.get(0))?)
    }

    /// When `actor` last viewed the case's details, if ever.
    pub fn last_viewed(&self, case: CaseId, actor: &Actor) -> Result<Option<DateTime<Utc>>, StoreError> {
        let hlc: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT max(hlc) FROM events
                 WHERE case_row = (SELECT row_id FROM cases WHERE id = ?1) AND kind = 'case_viewed' AND actor = ?2",
            )?
            .query_row(params![case.to_string(), actor.0], |r| r.get(0))?;
        Ok(hlc.map(|h| ms(Hlc::unpack(h).wall_ms)))
    }

    /// Whether a handoff of the case waits for its acknowledgement (neither
    /// acknowledged nor withdrawn): what an acknowledgement would answer.
    pub fn handoff_waiting(&self, case_id: CaseId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM handoffs
                 WHERE case_id = ?1 AND acknowledged_at IS NULL AND withdrawn_at IS NULL)",
            )?
            .query_row([case_id.to_string()], |r| r.get(0))?)
    }

    /// Open cases per responder (withdrawn handoffs aside), for balancing suggestions.
    pub fn open_cases_by_responder(&self) -> Result<HashMap<ResponderId, u32>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.responder_id, count(DISTINCT h.case_id) FROM handoffs h JOIN cases c ON c.id = h.case_id
             WHERE c.is_open = 1 AND h.withdrawn_at IS NULL GROUP BY h.responder_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((ResponderId(r.get(0)?), r.get::<_, u32>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Timestamps of cases received since `since_ms`, for response statistics.
    ///
    /// The response index leads with the jurisdiction (schema 13), so the
    /// rows are read one jurisdiction at a time: each row is four integers,
    /// and the jurisdiction's id and name are read once for its group, not
    /// once per row (a text column read and hashed per row was a third of
    /// the statistics' time). The jurisdictions are found by seeking from
    /// one id to the next, a hundred-odd seeks, not a walk of every case.
    pub fn response_rows(&self, since_ms: i64) -> Result<ResponseRows, StoreError> {
        self.snapshot(|| {
            let mut next_id = self.conn.prepare_cached(RESPONSE_NEXT_JURISDICTION)?;
            let mut name_of = self.conn.prepare_cached(RESPONSE_JURISDICTION_NAME)?;
            let mut times = self.conn.prepare_cached(RESPONSE_TIMES)?;
            let mut out = ResponseRows::default();
            // Unassigned cases (no id) first, then every id in order.
            let mut id: Option<String> = None;
            loop {
                let name: Option<Option<String>> = name_of.query_row(params![id, since_ms], |r| r.get(0)).optional()?;
                if let Some(name) = name {
                    let jurisdiction = out.jurisdictions.len() as u32;
                    out.jurisdictions.push((id.clone(), name));
                    // Read in place: tens of thousands of rows, four integers each.
                    let int = |r: &Row<'_>, i: usize| -> rusqlite::Result<Option<i64>> {
                        r.get_ref(i)?.as_i64_or_null().map_err(rusqlite::Error::from)
                    };
                    let mut rows = times.query(params![id, since_ms])?;
                    while let Some(r) = rows.next()? {
                        out.rows.push(ResponseRow {
                            jurisdiction,
                            received_at: r.get_ref(0)?.as_i64().map_err(rusqlite::Error::from)?,
                            handed_off_at: int(r, 1)?,
                            acknowledged_at: int(r, 2)?,
                            on_scene_at: int(r, 3)?,
                        });
                    }
                }
                let after = id.take().unwrap_or_default();
                match next_id.query_row([after], |r| r.get::<_, String>(0)).optional()? {
                    Some(next) => id = Some(next),
                    None => return Ok(out),
                }
            }
        })
    }

    /// Open cases per jurisdiction with their highest priority: (id, name, count, best priority).
    pub fn open_by_jurisdiction(&self) -> Result<Vec<OpenCount>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT jurisdiction_id, max(jurisdiction_name), count(*), min(priority) FROM cases INDEXED BY cases_queue_jurisdiction
             WHERE is_open = 1 GROUP BY jurisdiction_id ORDER BY count(*) DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)? as u64,
                Priority::from_rank(r.get(3)?).unwrap_or(Priority::P4),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every case id with its jurisdiction, for recomputing assignments.
    pub fn all_jurisdictions(
        &self,
    ) -> Result<Vec<(CaseId, beacon_domain::JurisdictionAssignment, beacon_domain::referral::Referral)>, StoreError>
    {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT c.id, e.body, {JURISDICTION_COLUMNS} FROM cases c
             JOIN events e ON e.case_row = c.row_id AND e.kind = 'referral_received' ORDER BY c.row_id"
        ))?;
        let rows = stmt
            .query_map([], |r| Ok((parse(r.get(0)?, "case id")?, jurisdiction_at(r, 2)?, referral_of(r.get(1)?)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A number that changes whenever any event is written, from any process:
    /// the desktop app polls it to know when to refresh.
    pub fn change_marker(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT coalesce(max(local_seq), 0) FROM events", [], |r| r.get(0))?)
    }

    /// Which cases events after `after` (a [`Store::change_marker`] value)
    /// touched, up to `limit` of them: lets a screen patch the rows it shows
    /// instead of reloading them all.
    pub fn changed_cases(&self, after: i64, limit: usize) -> Result<ChangedCases, StoreError> {
        let marker = self.change_marker()?;
        let mut out = ChangedCases { marker, case_ids: Vec::new(), complete: true };
        let mut stmt = self.conn.prepare_cached(
            // A view changes nothing on screen (and refreshing a viewed
            // case must not look like a change to it).
            "SELECT case_id FROM events WHERE local_seq > ?1 AND local_seq <= ?2 AND kind <> 'case_viewed'
                 ORDER BY local_seq",
        )?;
        let mut rows = stmt.query(params![after, marker])?;
        let mut seen = std::collections::HashSet::new();
        while let Some(row) = rows.next()? {
            let Some(id) = row.get::<_, Option<String>>(0)? else {
                out.complete = false;
                break;
            };
            let id: CaseId = parse(id, "case id")?;
            if seen.insert(id) {
                if out.case_ids.len() == limit {
                    out.complete = false;
                    break;
                }
                out.case_ids.push(id);
            }
        }
        Ok(out)
    }

    /// Summaries of the given cases, open or closed, in no particular order;
    /// ids the store does not hold are left out.
    pub fn summaries(&self, ids: &[CaseId]) -> Result<Vec<CaseSummary>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(200) {
            let sql = format!("SELECT {SUMMARY_COLUMNS} FROM cases c WHERE c.id IN ({})", placeholders(chunk.len()));
            // Not cached: the statement's text varies with the number of ids.
            let mut stmt = self.conn.prepare(&sql)?;
            let rows =
                stmt.query_map(params_from_iter(chunk.iter().map(|c| c.to_string())), |r| summary(r, &self.row_memo))?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// Cases handed to a responder and not withdrawn from them (latest
    /// handoff first), open ones first.
    pub fn cases_handed_to(&self, responder_id: &str, limit: usize) -> Result<Vec<CaseId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.case_id FROM handoffs h JOIN cases c ON c.id = h.case_id
             WHERE h.responder_id = ?1 AND h.withdrawn_at IS NULL
             GROUP BY h.case_id ORDER BY max(c.is_open) DESC, max(h.handed_off_at) DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![responder_id, limit as i64], |r| parse(r.get(0)?, "case id"))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Events a person may need to be told about (new referrals and
    /// handoffs) after change marker `after` and up to `until`, oldest first,
    /// at most `limit`: (marker, kind, case).
    pub fn alert_events(&self, after: i64, until: i64, limit: usize) -> Result<Vec<(i64, String, CaseId)>, StoreError> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT local_seq, kind, case_id FROM events
                 WHERE local_seq > ?1 AND local_seq <= ?2 AND case_id IS NOT NULL
                 AND (kind IN ('referral_received', 'handed_off', 'escalated')
                      -- A delivery's first failure, and its giving up: not every retry.
                      OR (kind = 'delivery_attempted'
                          AND json_extract(body, '$.payload.outcome') NOT IN ({reached})
                          AND (json_extract(body, '$.payload.attempt') = 1
                               OR json_extract(body, '$.payload.outcome') IN ('gone', 'gave_up'))))
                 ORDER BY local_seq LIMIT ?3",
                reached = beacon_domain::delivery::reached_sql_list()
            )
        });
        let mut stmt = self.conn.prepare_cached(&SQL)?;
        let rows = stmt.query_map(params![after, until, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, parse(r.get(2)?, "case id")?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// True when the store holds no case (cheaper than counting them).
    pub fn has_no_cases(&self) -> Result<bool, StoreError> {
        Ok(self.conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM cases)", [], |r| r.get(0))?)
    }

    pub fn case_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

/// Open cases in one jurisdiction: (id, name, count, highest priority).
pub type OpenCount = (Option<String>, Option<String>, u64, Priority);

/// One walk of a queue index: open cases of one standing and priority with
/// a deadline in `from..=until`, in deadline order, at most `limit`.
struct Walk {
    standing: Standing,
    priority: Priority,
    from: i64,
    until: i64,
    limit: usize,
}

/// The walk [`Store::segment`] runs: one queue index, in order (`tests`
/// checks the plan).
fn segment_sql(q: &QueueQuery, walk: &Walk) -> (String, Vec<Sql>) {
    // Each filter has an index that already holds open cases in this order.
    let index = if q.jurisdiction.is_some() {
        "cases_queue_jurisdiction"
    } else if q.troop.is_some() {
        "cases_queue_troop"
    } else {
        "cases_queue"
    };
    let mut sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM cases c INDEXED BY {index}
         WHERE c.is_open = 1 AND c.standing = ? AND c.priority = ? AND c.due_at >= ? AND c.due_at <= ?"
    );
    let mut args: Vec<Sql> = vec![
        Sql::Integer(walk.standing.rank().into()),
        Sql::Integer(walk.priority.rank().into()),
        Sql::Integer(walk.from),
        Sql::Integer(walk.until),
    ];
    filters(q, None, &mut sql, &mut args);
    sql += " ORDER BY c.due_at, c.id LIMIT ?";
    args.push(Sql::Integer(walk.limit as i64));
    (sql, args)
}

/// The query's filters other than priority and text, as SQL conditions on
/// `c` (a case row). `overdue_at` is "now" in unix ms when the overdue filter
/// is read here (the queue's walks apply it as a deadline range instead).
fn filters(q: &QueueQuery, overdue_at: Option<i64>, sql: &mut String, args: &mut Vec<Sql>) {
    if !q.statuses.is_empty() {
        *sql += &format!(" AND c.status IN ({})", placeholders(q.statuses.len()));
        args.extend(q.statuses.iter().map(|s| Sql::Text(s.as_str().into())));
    }
    if let Some(t) = &q.troop {
        *sql += " AND c.troop = ?";
        args.push(Sql::Text(t.clone()));
    }
    if let Some(j) = &q.jurisdiction {
        *sql += " AND c.jurisdiction_id = ?";
        args.push(Sql::Text(j.clone()));
    }
    if q.unassigned {
        *sql += " AND c.unassigned = 1";
    }
    if let (true, Some(now)) = (q.overdue, overdue_at) {
        *sql += " AND c.is_open = 1 AND c.due_at < ?";
        args.push(Sql::Integer(now));
    }
}

const CONFLICT_COLUMNS: &str = "handoff_id, case_id, role, responder_name, handed_off_by, winner_id,
    winner_responder_name, winner_handed_off_by, rejected_at, resolved_at, resolved_by";

fn conflict(r: &Row<'_>) -> rusqlite::Result<HandoffConflict> {
    Ok(HandoffConflict {
        handoff_id: parse_at(r, 0, "handoff id")?,
        case_id: parse_at(r, 1, "case id")?,
        role: parse_at(r, 2, "role")?,
        responder_name: r.get(3)?,
        handed_off_by: r.get(4)?,
        winner_id: parse_at(r, 5, "handoff id")?,
        winner_responder_name: r.get(6)?,
        winner_handed_off_by: r.get(7)?,
        rejected_at: ms(r.get(8)?),
        resolved_at: r.get::<_, Option<i64>>(9)?.map(ms),
        resolved_by: r.get(10)?,
    })
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// What a person typed, as FTS5 queries: each word becomes a quoted phrase
/// of its letters and digits (so `314-555-0199` matches the number and no
/// input is FTS syntax), and words are ANDed.
pub(crate) struct FtsQuery {
    /// Every word matched whole.
    pub whole: String,
    /// The same with the last word also matching longer words (someone
    /// still typing "Glenst"), when it ends in at least
    /// [`MIN_PREFIX_LETTERS`] letters.
    pub prefixed: Option<String>,
}

/// Letters a search's last word needs before it also matches longer words.
///
/// FTS5 answers a prefix by merging the list of every token that starts with
/// it, for the whole table, before it returns one row: `63*` (every house
/// number from 63 to 6399) or `st*` took 10-20 ms on 200,000 cases, where a
/// whole token takes well under one. So numbers and words shorter than this
/// are matched whole, and [`Store::search`] completes the last word only
/// when the words taken whole match nothing (someone still typing it): a
/// fallback after "4774 Glenstone Ave" found its case would merge every
/// token starting "ave" (6 ms on a million cases) for nothing.
pub(crate) const MIN_PREFIX_LETTERS: usize = 3;

pub(crate) fn fts_query(text: &str) -> Option<FtsQuery> {
    if let Some(phone) = phone_query(text) {
        return Some(FtsQuery { whole: phone, prefixed: None });
    }
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            let tokens: Vec<String> =
                w.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase).collect();
            tokens.join(" ")
        })
        .filter(|w| !w.is_empty())
        .collect();
    let last = words.last()?;
    let whole = words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ");
    let last_token = last.rsplit(' ').next().unwrap_or(last);
    let prefixed = (last_token.chars().count() >= MIN_PREFIX_LETTERS && last_token.chars().all(char::is_alphabetic))
        .then(|| format!("{whole}*"));
    Some(FtsQuery { whole, prefixed })
}

/// A phone number typed in any of the usual ways ("(314) 555-0199",
/// "314.555.0199", "+1 314 555 0199", "3145550199", "555-0199"), as the one
/// token every number written in a case is indexed by, however it was
/// written there (see `beacon_domain::phones`). `None` for anything else:
/// words, a house number and a street, a year.
fn phone_query(text: &str) -> Option<String> {
    phones::phone_typed(text).map(|digits| format!("\"{digits}\""))
}

fn case_match(r: &Row<'_>) -> rusqlite::Result<CaseMatch> {
    Ok(CaseMatch { id: parse(r.get(0)?, "case id")?, source: r.get(1)?, external_id: r.get(2)? })
}

#[cfg(test)]
mod tests {
    use super::{fts_query, segment_sql};
    use beacon_domain::case::CaseStatus;
    use beacon_domain::queue::{QueueQuery, Standing};
    use beacon_domain::{Priority, SystemClock};
    use std::sync::Arc;

    /// A row decoded with a memo that has seen other rows is the row decoded
    /// afresh: same reasons, responders and jurisdiction, whatever came first.
    #[test]
    fn memoised_rows_are_the_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&dir.path().join("s.sqlite3"), Arc::new(SystemClock)).unwrap();
        let reasons = [
            r#"[{"code":"minor","text":"a minor may be involved"}]"#,
            r#"[{"code":"override","text":"set by ann: a typed reason"}]"#,
        ];
        let assigned = ["[]", r#"[{"id":"E-T1","name":"Tpr. Rosa Johnson","role":"trooper"}]"#];
        // (id, name, troop, verified, method, near border, outside, distance, reason, candidates)
        type Place = (
            Option<&'static str>,
            Option<&'static str>,
            &'static str,
            bool,
            &'static str,
            bool,
            bool,
            Option<f64>,
            Option<&'static str>,
            Option<&'static str>,
        );
        let places: [Place; 6] = [
            (Some("29077"), Some("Greene"), "D", true, "point", false, false, None, None, None),
            (Some("29077"), Some("Greene"), "D", false, "point", false, false, None, None, None),
            (
                Some("29077"),
                Some("Greene"),
                "D",
                true,
                "point",
                true,
                false,
                None,
                None,
                Some(r#"[{"jurisdiction_id":"29043","name":"Christian","distance_km":1.5}]"#),
            ),
            (Some("29077"), Some("Greene"), "D", true, "point", false, true, Some(3.5), None, None),
            (
                None,
                None,
                "",
                true,
                "unknown",
                false,
                true,
                None,
                Some("the referral's state (IL) is not this layer's (MO)"),
                None,
            ),
            (Some("29077"), Some("Greene"), "D", true, "zip", false, false, None, None, None),
        ];
        let mut row = 0;
        for (i, p) in places.iter().cycle().take(24).enumerate() {
            row += 1;
            store.conn.execute(
                "INSERT INTO cases (row_id, id, source, external_id, received_at, status, is_open, priority, priority_reasons,
                    priority_overridden, unassigned, jurisdiction_id, jurisdiction_name, troop, troop_verified, assign_method,
                    near_border, outside, distance_km, outside_reason, candidates, trafficking_type, location_summary,
                    assigned, updated_hlc)
                 VALUES (?1, printf('00000000-0000-4000-8000-%012d', ?1), 'hotline_call', ?1, 0, 'new', 1, 2, ?2, ?3, 0,
                    ?4, ?5, nullif(?6, ''), ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'sex', '', ?14, 0)",
                rusqlite::params![row, reasons[i % 2], i % 2 == 1, p.0, p.1, p.2, p.3, p.4, p.5, p.6, p.7, p.8, p.9, assigned[i / 3 % 2]],
            ).unwrap();
        }
        let sql = format!("SELECT {} FROM cases c ORDER BY row_id", super::SUMMARY_COLUMNS);
        let mut stmt = store.conn.prepare(&sql).unwrap();
        let memo = super::RowMemo::default();
        let shared: Vec<_> = stmt.query_map([], |r| super::summary(r, &memo)).unwrap().map(Result::unwrap).collect();
        let fresh: Vec<_> = stmt
            .query_map([], |r| super::summary(r, &super::RowMemo::default()))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(shared.len(), 24);
        assert_eq!(shared, fresh);
        // The memo was used: equal plain rows share one value.
        assert!(Arc::ptr_eq(&shared[0].jurisdiction, &shared[6].jurisdiction));
        assert!(!Arc::ptr_eq(&shared[0].jurisdiction, &shared[1].jurisdiction));
        assert_eq!(shared[2].jurisdiction.candidates.len(), 1);
        assert_eq!(shared[1].priority_reasons[0].code, "override");
    }

    /// Every walk of the queue, with every filter, is one walk of a queue
    /// index in the queue's order: no scan of the table, no sort.
    #[test]
    fn queue_walks_are_one_ordered_index_walk() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&dir.path().join("s.sqlite3"), Arc::new(SystemClock)).unwrap();
        let filtered = [
            QueueQuery::default(),
            QueueQuery { troop: Some("C".into()), ..Default::default() },
            QueueQuery { jurisdiction: Some("29077".into()), troop: Some("D".into()), ..Default::default() },
            QueueQuery { statuses: vec![CaseStatus::New, CaseStatus::HandedOff], ..Default::default() },
            QueueQuery { unassigned: true, overdue: true, ..Default::default() },
        ];
        for q in &filtered {
            let walk =
                super::Walk { standing: Standing::Unhandled, priority: Priority::P1, from: 0, until: 10, limit: 200 };
            let (sql, args) = segment_sql(q, &walk);
            let plan = plan_of(&store, &sql, args);
            assert!(
                plan.len() == 1 && plan[0].starts_with("SEARCH c USING INDEX cases_queue"),
                "{q:?} is planned as {plan:?}"
            );
        }
    }

    /// SQLite's plan for `sql`, one line per step.
    fn plan_of(store: &crate::Store, sql: &str, args: Vec<rusqlite::types::Value>) -> Vec<String> {
        let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Statistics seek from one jurisdiction to the next and read each one's
    /// cases as one range of the response index: never a scan, never a sort.
    #[test]
    fn response_statistics_are_seeks_and_ranges_of_one_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&dir.path().join("s.sqlite3"), Arc::new(SystemClock)).unwrap();
        for (sql, args) in [
            (super::RESPONSE_NEXT_JURISDICTION, vec![rusqlite::types::Value::Text("29077".into())]),
            (super::RESPONSE_JURISDICTION_NAME, vec![rusqlite::types::Value::Null, rusqlite::types::Value::Integer(0)]),
            (
                super::RESPONSE_TIMES,
                vec![rusqlite::types::Value::Text("29077".into()), rusqlite::types::Value::Integer(0)],
            ),
        ] {
            let plan = plan_of(&store, sql, args);
            assert!(
                plan.len() == 1
                    && plan[0].starts_with("SEARCH cases USING ")
                    && plan[0].contains("INDEX cases_response (jurisdiction_id"),
                "{sql} is planned as {plan:?}"
            );
        }
    }

    #[test]
    fn fts_query_quotes_words_and_never_passes_syntax_through() {
        let q = |t: &str| fts_query(t).map(|q| (q.whole, q.prefixed));
        let some = |s: &str| Some(s.to_string());
        assert_eq!(q("Glenstone motel"), Some(("\"glenstone\" \"motel\"".into(), some("\"glenstone\" \"motel\"*"))));
        // Numbers and words under three letters are only ever whole tokens.
        // A phone number is the one token it is indexed by, however it was typed.
        let phone = Some(("\"3145550199\"".into(), None));
        assert_eq!(q("314-555-0199"), phone);
        assert_eq!(q("+1 (314) 555.0199"), phone);
        assert_eq!(q("3145550199"), phone);
        assert_eq!(q("555-0199"), Some(("\"5550199\"".into(), None)));
        // Numbers that are not a phone stay words: a house number, a ZIP and a year.
        assert_eq!(q("1554 65803 2026"), Some(("\"1554\" \"65803\" \"2026\"".into(), None)));
        assert_eq!(q("4650 Highway 63"), Some(("\"4650\" \"highway\" \"63\"".into(), None)));
        assert_eq!(q("Olive St"), Some(("\"olive\" \"st\"".into(), None)));
        assert_eq!(q("Glen"), Some(("\"glen\"".into(), some("\"glen\"*"))));
        assert_eq!(
            q("\"; DROP TABLE cases; -- OR NEAR("),
            Some((
                "\"drop\" \"table\" \"cases\" \"or\" \"near\"".into(),
                some("\"drop\" \"table\" \"cases\" \"or\" \"near\"*")
            ))
        );
        assert!(q("  -- ;; ").is_none());
    }
}
