//! The queue: which open cases a dispatcher sees, and in what order. The one
//! place this rule is written; the store's query, the command line, the
//! console and a live update's patched rows all follow it.
//!
//! # The order, and why
//!
//! The queue answers "what do I do next?", so it lists first the cases that
//! need the dispatcher, then the ones waiting on a responder, then the ones a
//! responder is already working:
//!
//! 1. **Needs a dispatcher** — nobody has the case yet (new, triaged or
//!    reopened), or a responder has it but it is past the target for its next
//!    step (acknowledgement, then arrival): someone must chase it.
//!    A case whose handoff the hub rejected (another dispatcher, offline at
//!    the same time, handed it to someone else first) needs a dispatcher
//!    too, until one has looked at what happened; so does one whose handoff
//!    could not be delivered (every channel tried failed: call the
//!    responder), and one the hub escalated (its responder missed a target;
//!    the hub told the supervisor and handed it on), until a responder
//!    answers.
//!    Within this group: priority first (an overdue P1 outranks a new P4);
//!    within a priority, cases nobody has come first (a new P1 is always
//!    above every case someone is already working), then undelivered
//!    handoffs (nobody knows of the case yet), then escalated ones, then
//!    rejected handoffs (someone has the case, but not whom the dispatcher
//!    chose), then overdue ones; then the nearest deadline (the most overdue
//!    first).
//! 2. **Waiting for a responder** — handed off, not yet acknowledged, still
//!    inside the target. Priority, then nearest deadline.
//! 3. **A responder is working it** — acknowledged or on scene, inside the
//!    target. Priority, then nearest deadline; cases with no further target
//!    (on scene) last.
//!
//! Ties (the same deadline to the millisecond) fall back to the case id, so
//! the order is total and every reader agrees on it.
//!
//! Time alone moves a case between groups: a handoff nobody acknowledges
//! becomes overdue at its deadline without any event being written. Each
//! place says when that will happen ([`QueuePlace::reorder_at`]), so a screen
//! can re-place the row then.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::CaseStatus;
use crate::ids::CaseId;
use crate::triage::Priority;

/// Who has the case, as far as its status says (the part of the order that
/// changes only with an event; stored with the case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// New, triaged or reopened: no responder has it.
    Unhandled,
    /// Handed off; no responder has acknowledged yet.
    AwaitingAcknowledgement,
    /// Acknowledged or on scene.
    ResponderWorking,
    /// The hub rejected a handoff of this case (another reached it first)
    /// and no dispatcher has looked at it yet. After the first three so the
    /// stored ranks of those keep their meaning; likewise the next two.
    HandoffRejected,
    /// The hub escalated the case (its responder missed a target) and no
    /// responder has answered since.
    Escalated,
    /// Handed off, and every attempt to deliver the handoff failed so far:
    /// nobody may know of the case.
    Undelivered,
}

/// What asks a dispatcher to look at a case whatever its status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attention {
    /// A rejected handoff nobody has looked at.
    pub conflicted: bool,
    /// An escalation no responder has answered.
    pub escalated: bool,
    /// A waiting handoff no channel delivered, with a failed attempt.
    pub undelivered: bool,
}

impl Standing {
    pub const ALL: [Standing; 6] = [
        Standing::Unhandled,
        Standing::AwaitingAcknowledgement,
        Standing::ResponderWorking,
        Standing::HandoffRejected,
        Standing::Escalated,
        Standing::Undelivered,
    ];

    /// The standing of an open case; `None` for a closed one (not queued).
    pub fn of(status: CaseStatus, attention: Attention) -> Option<Standing> {
        match status {
            CaseStatus::Closed => None,
            _ if attention.undelivered => Some(Standing::Undelivered),
            _ if attention.escalated => Some(Standing::Escalated),
            _ if attention.conflicted => Some(Standing::HandoffRejected),
            CaseStatus::New | CaseStatus::Triaged | CaseStatus::Reopened => Some(Standing::Unhandled),
            CaseStatus::HandedOff => Some(Standing::AwaitingAcknowledgement),
            CaseStatus::Acknowledged | CaseStatus::OnScene => Some(Standing::ResponderWorking),
        }
    }

    /// 0, 1, 2, …: how the store keeps it.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn from_rank(rank: i64) -> Option<Standing> {
        Standing::ALL.get(usize::try_from(rank).ok()?).copied()
    }
}

/// The three parts of the queue, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum QueueGroup {
    NeedsDispatcher,
    AwaitingResponder,
    ResponderWorking,
}

impl QueueGroup {
    pub const ALL: [QueueGroup; 3] =
        [QueueGroup::NeedsDispatcher, QueueGroup::AwaitingResponder, QueueGroup::ResponderWorking];

    /// A heading for the group.
    pub fn title(self) -> &'static str {
        match self {
            QueueGroup::NeedsDispatcher => "Needs a dispatcher",
            QueueGroup::AwaitingResponder => "Waiting for a responder",
            QueueGroup::ResponderWorking => "A responder is working it",
        }
    }
}

/// Why a case is where it is in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum QueueReason {
    /// Nobody has the case: hand it off.
    NotHandedOff,
    /// No channel delivered the handoff: call the responder.
    Undelivered,
    /// The hub escalated it: a responder missed a target.
    Escalated,
    /// The hub rejected this dispatcher's handoff: another reached it first.
    HandoffRejected,
    /// A responder has it, but the target for the next step has passed: chase it.
    Overdue,
    /// Handed off, inside the acknowledgement target.
    AwaitingAcknowledgement,
    /// Acknowledged or on scene, inside the target.
    ResponderWorking,
}

impl QueueReason {
    /// Plain words, for a row's tooltip and the command line.
    pub fn text(self) -> &'static str {
        match self {
            QueueReason::NotHandedOff => "not handed off yet",
            QueueReason::Undelivered => "the handoff could not be delivered: call the responder",
            QueueReason::Escalated => "escalated: the responder missed a target; the hub told the supervisor",
            QueueReason::HandoffRejected => "a handoff was rejected: another dispatcher's reached the hub first",
            QueueReason::Overdue => "a responder has it, but it is past its target",
            QueueReason::AwaitingAcknowledgement => "handed off, waiting for acknowledgement",
            QueueReason::ResponderWorking => "a responder is working it",
        }
    }

    /// A one-word tag for the reasons a dispatcher must act on (shown on
    /// the row); `None` for the others.
    pub fn tag(self) -> Option<&'static str> {
        match self {
            QueueReason::Overdue => Some("chase"),
            QueueReason::HandoffRejected => Some("conflict"),
            QueueReason::Undelivered => Some("undelivered"),
            QueueReason::Escalated => Some("escalated"),
            QueueReason::NotHandedOff | QueueReason::AwaitingAcknowledgement | QueueReason::ResponderWorking => None,
        }
    }

    pub fn group(self) -> QueueGroup {
        match self {
            QueueReason::NotHandedOff
            | QueueReason::Undelivered
            | QueueReason::Escalated
            | QueueReason::HandoffRejected
            | QueueReason::Overdue => QueueGroup::NeedsDispatcher,
            QueueReason::AwaitingAcknowledgement => QueueGroup::AwaitingResponder,
            QueueReason::ResponderWorking => QueueGroup::ResponderWorking,
        }
    }
}

/// Where one open case goes in the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueuePlace {
    pub group: QueueGroup,
    pub reason: QueueReason,
    /// The reason in plain words ([`QueueReason::text`]), for a row's tooltip.
    pub reason_text: String,
    /// The row's tag ([`QueueReason::tag`]), if it has one.
    pub reason_tag: Option<String>,
    /// Rows sort by this key, compared as plain strings (byte order): a
    /// screen places a changed row by it without knowing the rule.
    pub order_key: String,
    /// When time alone will move this case to another place (its deadline
    /// passes); `None` when only an event can.
    pub reorder_at: Option<DateTime<Utc>>,
}

/// What the order looks at: the standing (from the status), the priority and
/// the next deadline (`None` when there is no further target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFacts {
    pub id: CaseId,
    pub standing: Standing,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
}

/// The stored form of "no further deadline": sorts after every real one.
pub const NO_DEADLINE_MS: i64 = i64::MAX;

/// The deadline as the store keeps it (unix ms, [`NO_DEADLINE_MS`] for none).
pub fn due_ms(due_at: Option<DateTime<Utc>>) -> i64 {
    due_at.map_or(NO_DEADLINE_MS, |d| d.timestamp_millis())
}

/// The reason a case has at `now`.
pub fn reason(standing: Standing, due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> QueueReason {
    // Compared in whole milliseconds, as the store compares its columns.
    let overdue = due_at.is_some_and(|d| d.timestamp_millis() < now.timestamp_millis());
    match standing {
        Standing::Unhandled => QueueReason::NotHandedOff,
        Standing::Undelivered => QueueReason::Undelivered,
        Standing::Escalated => QueueReason::Escalated,
        Standing::HandoffRejected => QueueReason::HandoffRejected,
        _ if overdue => QueueReason::Overdue,
        Standing::AwaitingAcknowledgement => QueueReason::AwaitingAcknowledgement,
        Standing::ResponderWorking => QueueReason::ResponderWorking,
    }
}

/// The case's place at `now`.
pub fn place(f: &QueueFacts, now: DateTime<Utc>) -> QueuePlace {
    let reason = reason(f.standing, f.due_at, now);
    let group = reason.group();
    // Within "needs a dispatcher", of the same priority: cases nobody has,
    // undelivered, escalated, rejected handoffs, overdue ones; the other
    // groups hold one reason each.
    let sub = match reason {
        QueueReason::Undelivered => 1,
        QueueReason::Escalated => 2,
        QueueReason::HandoffRejected => 3,
        QueueReason::Overdue => 4,
        _ => 0,
    };
    // Fixed-width fields so byte order is the rule's order. A deadline is
    // unix ms (never negative for a valid referral), as 16 hex digits.
    let due = u64::try_from(due_ms(f.due_at)).unwrap_or(0);
    // Built by hand rather than with `format!`: every queue row makes one.
    let mut order_key = String::with_capacity(3 + 16 + 36);
    order_key.push(char::from(b'0' + group as u8));
    order_key.push(char::from(b'0' + f.priority.rank()));
    order_key.push(char::from(b'0' + sub));
    push_hex16(&mut order_key, due);
    order_key.push_str(f.id.write_to(&mut [0; 36]));
    let reorder_at = match reason {
        QueueReason::AwaitingAcknowledgement | QueueReason::ResponderWorking => f.due_at,
        QueueReason::NotHandedOff
        | QueueReason::Undelivered
        | QueueReason::Escalated
        | QueueReason::HandoffRejected
        | QueueReason::Overdue => None,
    };
    QueuePlace {
        group,
        reason,
        reason_text: reason.text().to_string(),
        reason_tag: reason.tag().map(str::to_string),
        order_key,
        reorder_at,
    }
}

/// Append `v` as 16 lower-case hex digits.
fn push_hex16(out: &mut String, v: u64) {
    for i in 0..16 {
        let nibble = (v >> (60 - 4 * i)) & 0xf;
        out.push(char::from(b"0123456789abcdef"[nibble as usize]));
    }
}

/// Sort cases into queue order at `now`.
pub fn sort(cases: &mut [QueueFacts], now: DateTime<Utc>) {
    cases.sort_by_cached_key(|f| place(f, now).order_key);
}

/// The help text for the order, shown by the console's `?` overlay and
/// `beacon queue --help`: the rule in the words a dispatcher reads.
pub const ORDER_HELP: &[&str] = &[
    "1. Needs a dispatcher: not handed off yet (new, triaged, reopened), a handoff no channel could deliver, a case \
     the hub escalated (its responder missed a target), a handoff the hub rejected (another dispatcher's reached it \
     first), or past the target for its next step. Priority first; within a priority, cases nobody has, then \
     undelivered, escalated, rejected and overdue ones; then the nearest deadline.",
    "2. Waiting for a responder: handed off, not acknowledged, inside the target. Priority, then nearest deadline.",
    "3. A responder is working it: acknowledged or on scene. Priority, then nearest deadline.",
];

/// Which open cases to list: the one shape the command line, the console
/// and the store share. Every field narrows the list; the default lists every
/// open case, [`DEFAULT_QUEUE_LIMIT`] at most.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct QueueQuery {
    pub priorities: Vec<Priority>,
    pub statuses: Vec<CaseStatus>,
    /// A troop letter ("C"; "Troop C" is read the same).
    pub troop: Option<String>,
    /// A jurisdiction id; the command line also takes a name, which the API
    /// resolves to the id before the store sees it.
    pub jurisdiction: Option<String>,
    /// Only cases without a reliable jurisdiction.
    pub unassigned: bool,
    /// Only cases past the target for their next step.
    pub overdue: bool,
    /// Words to find in narratives, notes, places, names, phones and plates;
    /// with text, matches are listed newest first rather than in queue order.
    pub text: Option<String>,
    /// With text: closed cases match too (the queue itself is open cases only).
    pub include_closed: bool,
    /// Most rows to return; 0 means [`DEFAULT_QUEUE_LIMIT`].
    pub limit: u32,
}

/// Rows a queue lists when the query does not say.
pub const DEFAULT_QUEUE_LIMIT: u32 = 200;
/// The most rows one query returns.
pub const MAX_QUEUE_LIMIT: u32 = 10_000;

impl QueueQuery {
    /// The row limit in force: the asked one, within bounds.
    pub fn row_limit(&self) -> usize {
        match self.limit {
            0 => DEFAULT_QUEUE_LIMIT as usize,
            n => n.min(MAX_QUEUE_LIMIT) as usize,
        }
    }

    /// The query with its free-text parts in canonical form: blank strings
    /// dropped, the troop as its bare upper-case letter(s).
    pub fn normalized(mut self) -> QueueQuery {
        self.troop = self.troop.as_deref().map(normalize_troop).filter(|t| !t.is_empty());
        self.jurisdiction = self.jurisdiction.map(|j| j.trim().to_string()).filter(|j| !j.is_empty());
        self.text = self.text.filter(|t| !t.trim().is_empty());
        self.priorities.sort();
        self.priorities.dedup();
        self
    }

    pub fn has_text(&self) -> bool {
        self.text.as_deref().is_some_and(|t| !t.trim().is_empty())
    }
}

/// "Troop c", " C " and "c" are all troop "C".
pub fn normalize_troop(t: &str) -> String {
    let t = t.trim();
    let t = t.strip_prefix("Troop ").or_else(|| t.strip_prefix("troop ")).unwrap_or(t);
    t.trim().to_ascii_uppercase()
}

/// The facts of a case for the order, from what the store keeps.
pub fn facts(
    id: CaseId,
    status: CaseStatus,
    attention: Attention,
    priority: Priority,
    due_at: Option<DateTime<Utc>>,
) -> Option<QueueFacts> {
    Some(QueueFacts { id, standing: Standing::of(status, attention)?, priority, due_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseStatus::*;
    use crate::referral::Source;
    use crate::triage::{Progress, Targets};
    use chrono::{Duration, TimeZone};

    /// One row of a test table: a name, the status, the priority, minutes
    /// since received, and how far the response has come.
    /// A name with "rejected" in it has a handoff the hub rejected; with
    /// "escalated", an escalation; with "undelivered", a failed delivery.
    type Row = (&'static str, CaseStatus, Priority, i64, Progress);

    fn order(table: &[Row]) -> Vec<&'static str> {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let targets = Targets::default();
        let mut named: Vec<(QueueFacts, &str)> = table
            .iter()
            .map(|&(name, status, p, minutes_ago, progress)| {
                let received = now - Duration::minutes(minutes_ago);
                let due = targets.next_due(p, received, progress).map(|(_, d)| d);
                let id = CaseId::for_referral(Source::HotlineCall, name);
                let attention = Attention {
                    conflicted: name.contains("rejected"),
                    escalated: name.contains("escalated"),
                    undelivered: name.contains("undelivered"),
                };
                (facts(id, status, attention, p, due).expect("open"), name)
            })
            .collect();
        named.sort_by_cached_key(|(f, _)| place(f, now).order_key);
        named.into_iter().map(|(_, n)| n).collect()
    }

    use Priority::*;
    use Progress::Unacknowledged;

    #[test]
    fn the_order_key_is_group_priority_sub_deadline_then_id() {
        // Screens compare these strings byte by byte, so their layout is fixed.
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let id = CaseId::for_referral(Source::HotlineCall, "layout");
        let due = Utc.timestamp_millis_opt(0x0123_4567_89ab).unwrap();
        let quiet = Attention::default();
        let overdue = place(&facts(id, HandedOff, quiet, P2, Some(due)).unwrap(), now);
        assert_eq!(overdue.order_key, format!("{}{}{}{:016x}{}", 0, 2, 4, 0x0123_4567_89abu64, id));
        let conflicted = Attention { conflicted: true, ..quiet };
        let rejected = place(&facts(id, HandedOff, conflicted, P2, Some(due)).unwrap(), now);
        assert_eq!(rejected.order_key, format!("{}{}{}{:016x}{}", 0, 2, 3, 0x0123_4567_89abu64, id));
        let none = place(&facts(id, New, quiet, P4, None).unwrap(), now);
        assert_eq!(none.order_key, format!("040{:016x}{id}", i64::MAX));
    }

    #[test]
    fn a_new_p1_is_above_every_case_someone_is_working() {
        let table: &[Row] = &[
            ("p1 on scene 85 days", CaseStatus::OnScene, P1, 85 * 24 * 60, Progress::OnScene),
            ("p1 acknowledged 10m", CaseStatus::Acknowledged, P1, 10, Progress::Acknowledged),
            ("p1 handed off 5m", HandedOff, P1, 5, Unacknowledged),
            ("p1 new 1m", New, P1, 1, Unacknowledged),
        ];
        assert_eq!(order(table), ["p1 new 1m", "p1 handed off 5m", "p1 acknowledged 10m", "p1 on scene 85 days"]);
    }

    #[test]
    fn the_order_as_a_table() {
        // Default targets: P1 ack 15m / arrive 60m, P2 ack 60m, P3 24h, P4 72h.
        let table: &[Row] = &[
            ("p4 new 2h", New, P4, 120, Unacknowledged),
            ("p1 working, arrival overdue", CaseStatus::Acknowledged, P1, 90, Progress::Acknowledged),
            ("p1 triaged 3m", Triaged, P1, 3, Unacknowledged),
            ("p2 handed off, ack overdue", HandedOff, P2, 70, Unacknowledged),
            ("p1 new 1m", New, P1, 1, Unacknowledged),
            ("p2 handed off 10m", HandedOff, P2, 10, Unacknowledged),
            ("p1 on scene", CaseStatus::OnScene, P1, 30, Progress::OnScene),
            ("p2 reopened", Reopened, P2, 500, Progress::Acknowledged),
            ("p1 handed off 2m", HandedOff, P1, 2, Unacknowledged),
            ("p3 acknowledged 1h", CaseStatus::Acknowledged, P3, 60, Progress::Acknowledged),
            ("p1 acknowledged 20m", CaseStatus::Acknowledged, P1, 20, Progress::Acknowledged),
            ("p1 handed off, ack overdue", HandedOff, P1, 16, Unacknowledged),
            ("p1 handoff rejected", HandedOff, P1, 4, Unacknowledged),
            ("p3 handoff rejected, acknowledged", CaseStatus::Acknowledged, P3, 30, Progress::Acknowledged),
            ("p1 escalated", HandedOff, P1, 20, Unacknowledged),
            ("p1 undelivered", HandedOff, P1, 1, Unacknowledged),
            ("p3 escalated, acknowledged", CaseStatus::Acknowledged, P3, 30, Progress::Acknowledged),
        ];
        assert_eq!(
            order(table),
            [
                // Needs a dispatcher: P1 nobody has (nearest deadline first),
                "p1 triaged 3m",
                "p1 new 1m",
                // then a P1 nobody may know of (every delivery failed),
                "p1 undelivered",
                // then one the hub escalated,
                "p1 escalated",
                // then a P1 whose handoff the hub rejected,
                "p1 handoff rejected",
                // then P1 overdue (most overdue first),
                "p1 working, arrival overdue",
                "p1 handed off, ack overdue",
                // then P2 nobody has, P2 overdue, then P4 nobody has.
                "p2 reopened",
                "p2 handed off, ack overdue",
                // then a P3 whose handoff was rejected, though the winner
                // acknowledged it (a dispatcher must still look),
                "p3 escalated, acknowledged",
                "p3 handoff rejected, acknowledged",
                "p4 new 2h",
                // Waiting for a responder.
                "p1 handed off 2m",
                "p2 handed off 10m",
                // A responder is working it; no further target last.
                "p1 acknowledged 20m",
                "p1 on scene",
                "p3 acknowledged 1h",
            ]
        );
    }

    #[test]
    fn time_alone_moves_an_unacknowledged_handoff_up() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let due = now + Duration::minutes(5);
        let f = QueueFacts {
            id: CaseId::for_referral(Source::HotlineCall, "x"),
            standing: Standing::AwaitingAcknowledgement,
            priority: P1,
            due_at: Some(due),
        };
        let before = place(&f, now);
        assert_eq!(
            (before.group, before.reason, before.reorder_at),
            (QueueGroup::AwaitingResponder, QueueReason::AwaitingAcknowledgement, Some(due))
        );
        let after = place(&f, due + Duration::seconds(1));
        assert_eq!(
            (after.group, after.reason, after.reorder_at),
            (QueueGroup::NeedsDispatcher, QueueReason::Overdue, None)
        );
        assert!(after.order_key < before.order_key);
    }

    #[test]
    fn ties_break_on_the_case_id_so_the_order_is_total() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let mk = |n: &str| QueueFacts {
            id: CaseId::for_referral(Source::HotlineCall, n),
            standing: Standing::Unhandled,
            priority: P2,
            due_at: Some(now),
        };
        let (a, b) = (mk("a"), mk("b"));
        let (ka, kb) = (place(&a, now).order_key, place(&b, now).order_key);
        assert_ne!(ka, kb);
        assert_eq!(ka < kb, a.id.to_string() < b.id.to_string());
    }

    #[test]
    fn standing_follows_status_and_closed_cases_are_not_queued() {
        let none = Attention::default();
        let conflicted = Attention { conflicted: true, ..none };
        assert_eq!(Standing::of(New, none), Some(Standing::Unhandled));
        assert_eq!(Standing::of(Reopened, none), Some(Standing::Unhandled));
        assert_eq!(Standing::of(HandedOff, none), Some(Standing::AwaitingAcknowledgement));
        assert_eq!(Standing::of(CaseStatus::OnScene, none), Some(Standing::ResponderWorking));
        assert_eq!(Standing::of(CaseStatus::OnScene, conflicted), Some(Standing::HandoffRejected));
        let all = Attention { conflicted: true, escalated: true, undelivered: true };
        assert_eq!(Standing::of(HandedOff, all), Some(Standing::Undelivered), "nobody knows of it: first");
        assert_eq!(Standing::of(HandedOff, Attention { undelivered: false, ..all }), Some(Standing::Escalated));
        assert_eq!(Standing::of(Closed, none), None);
        assert_eq!(Standing::of(Closed, all), None);
        for s in Standing::ALL {
            assert_eq!(Standing::from_rank(i64::from(s.rank())), Some(s));
        }
    }

    #[test]
    fn queries_normalize_their_free_text() {
        let q = QueueQuery {
            troop: Some(" Troop c ".into()),
            jurisdiction: Some("  ".into()),
            text: Some(" ".into()),
            priorities: vec![P2, P1, P2],
            ..Default::default()
        }
        .normalized();
        assert_eq!(q.troop.as_deref(), Some("C"));
        assert_eq!(q.jurisdiction, None);
        assert_eq!(q.text, None);
        assert_eq!(q.priorities, vec![P1, P2]);
        assert_eq!(QueueQuery::default().row_limit(), DEFAULT_QUEUE_LIMIT as usize);
        assert_eq!(QueueQuery { limit: u32::MAX, ..Default::default() }.row_limit(), MAX_QUEUE_LIMIT as usize);
    }
}
