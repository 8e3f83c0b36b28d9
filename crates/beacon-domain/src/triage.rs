//! Priority from explainable rules. Every priority carries the reasons that
//! produced it, so a dispatcher can see why a tip is P1 and disagree.

use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::referral::{Referral, Urgency};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn as_str(&self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }

    /// 1 for P1 … 4 for P4; how the store orders them.
    pub fn rank(&self) -> u8 {
        *self as u8 + 1
    }

    pub fn from_rank(rank: i64) -> Option<Priority> {
        Priority::ALL.get(usize::try_from(rank).ok()?.checked_sub(1)?).copied()
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P1" | "1" => Ok(Priority::P1),
            "P2" | "2" => Ok(Priority::P2),
            "P3" | "3" => Ok(Priority::P3),
            "P4" | "4" => Ok(Priority::P4),
            _ => Err(format!("unknown priority {s:?}; expected P1, P2, P3 or P4")),
        }
    }
}

/// Why a case has its priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reason {
    /// Stable code the UI and reports can rely on, e.g. `in_progress`.
    pub code: String,
    /// The same in plain words.
    pub text: String,
}

impl Reason {
    fn new(code: &str, text: &str) -> Self {
        Reason { code: code.into(), text: text.into() }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Triage {
    pub priority: Priority,
    pub reasons: Vec<Reason>,
}

/// Apply the triage rules. The highest priority any rule gives wins; the
/// reasons are those of the rules that gave it.
pub fn triage(r: &Referral) -> Triage {
    let located = r.location.as_ref().is_some_and(|l| l.is_specific());
    let mut found: Vec<(Priority, Reason)> = Vec::new();
    match r.urgency {
        Urgency::InProgress => {
            found.push((Priority::P1, Reason::new("in_progress", "trafficking reported as happening now")))
        }
        Urgency::Imminent => found.push((Priority::P1, Reason::new("imminent", "imminent danger reported"))),
        Urgency::Recent if located => {
            found.push((Priority::P2, Reason::new("recent_with_location", "recent, at a known location")))
        }
        Urgency::Recent => {
            found.push((Priority::P3, Reason::new("recent_no_location", "recent, but no address or coordinates")))
        }
        Urgency::Historical if has_identifying_details(r) => found.push((
            Priority::P3,
            Reason::new("historical_identifying", "historical, with identifying details to follow up"),
        )),
        Urgency::Historical => {}
    }
    if r.has_minors() && located {
        found.push((Priority::P1, Reason::new("minor_located", "a minor may be involved, at a known location")));
    } else if r.has_minors() {
        found.push((Priority::P2, Reason::new("minor", "a minor may be involved")));
    }
    let Some(priority) = found.iter().map(|(p, _)| *p).min() else {
        return Triage { priority: Priority::P4, reasons: vec![Reason::new("default", "no urgent factor reported")] };
    };
    let reasons = found.into_iter().filter(|(p, _)| *p == priority).map(|(_, r)| r).collect();
    Triage { priority, reasons }
}

/// Suspect phones, plates or names, or an address: something to follow up.
fn has_identifying_details(r: &Referral) -> bool {
    r.location.as_ref().is_some_and(|l| l.is_specific())
        || r.suspects.iter().any(|s| {
            !s.phones.is_empty()
                || s.vehicle.as_ref().is_some_and(|v| v.plate.is_some())
                || s.description.as_deref().is_some_and(|d| !d.trim().is_empty())
        })
}

/// Minutes allowed for one priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Target {
    /// From received to acknowledged by a responder.
    pub ack_minutes: u32,
    /// From received to a responder on scene, where one is expected.
    pub arrival_minutes: Option<u32>,
}

/// Response targets per priority. Defaults: P1 15 min to acknowledge and 60
/// to arrive; P2 1 h; P3 24 h; P4 72 h. Stored in the store's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Targets {
    pub p1: Target,
    pub p2: Target,
    pub p3: Target,
    pub p4: Target,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            p1: Target { ack_minutes: 15, arrival_minutes: Some(60) },
            p2: Target { ack_minutes: 60, arrival_minutes: None },
            p3: Target { ack_minutes: 24 * 60, arrival_minutes: None },
            p4: Target { ack_minutes: 72 * 60, arrival_minutes: None },
        }
    }
}

/// Where a case stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Deadline {
    /// `acknowledge` or `arrive`.
    pub kind: DeadlineKind,
    pub due_at: DateTime<Utc>,
    /// Negative when overdue.
    pub seconds_left: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Acknowledge,
    Arrive,
}

impl Targets {
    pub fn for_priority(&self, p: Priority) -> Target {
        match p {
            Priority::P1 => self.p1,
            Priority::P2 => self.p2,
            Priority::P3 => self.p3,
            Priority::P4 => self.p4,
        }
    }

    pub fn set(&mut self, p: Priority, t: Target) {
        match p {
            Priority::P1 => self.p1 = t,
            Priority::P2 => self.p2 = t,
            Priority::P3 => self.p3 = t,
            Priority::P4 => self.p4 = t,
        }
    }

    /// The next target an open case must meet and when it falls due:
    /// acknowledgement until someone acknowledges, then arrival if the
    /// priority has one; none once a responder is on scene.
    pub fn next_due(
        &self,
        p: Priority,
        received_at: DateTime<Utc>,
        progress: Progress,
    ) -> Option<(DeadlineKind, DateTime<Utc>)> {
        let t = self.for_priority(p);
        let (kind, minutes) = match progress {
            Progress::Unacknowledged => (DeadlineKind::Acknowledge, t.ack_minutes),
            Progress::Acknowledged => (DeadlineKind::Arrive, t.arrival_minutes?),
            Progress::OnScene => return None,
        };
        Some((kind, received_at + Duration::minutes(i64::from(minutes))))
    }

    /// [`Targets::next_due`] with the time left at `now`.
    pub fn deadline(
        &self,
        p: Priority,
        received_at: DateTime<Utc>,
        progress: Progress,
        now: DateTime<Utc>,
    ) -> Option<Deadline> {
        let (kind, due_at) = self.next_due(p, received_at, progress)?;
        Some(Deadline { kind, due_at, seconds_left: (due_at - now).num_seconds() })
    }
}

/// How far the response to a case has come, which decides its next target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Progress {
    Unacknowledged,
    Acknowledged,
    OnScene,
}

impl Progress {
    /// From the times a case was acknowledged and a responder arrived.
    pub fn from_times<T>(acknowledged_at: Option<T>, on_scene_at: Option<T>) -> Progress {
        match (acknowledged_at, on_scene_at) {
            (_, Some(_)) => Progress::OnScene,
            (Some(_), None) => Progress::Acknowledged,
            (None, None) => Progress::Unacknowledged,
        }
    }
}

/// "12m left", "3h 05m left", "overdue 7m".
pub fn format_time_left(seconds_left: i64) -> String {
    let overdue = seconds_left < 0;
    let s = seconds_left.unsigned_abs();
    let text = format_span(s);
    if overdue { format!("overdue {text}") } else { format!("{text} left") }
}

/// "45s", "12m 04s", "3h 05m", "2d 4h": compact, for a column. Seconds
/// show under an hour, where a P1's 15 minutes are counted.
/// The console formats live countdowns with the same rule; its test checks
/// it against examples this function produces (`span-examples.json`).
pub fn format_span(seconds: u64) -> String {
    let (d, h, m, s) = (seconds / 86_400, (seconds % 86_400) / 3600, (seconds % 3600) / 60, seconds % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A setting's duration, in milliseconds, the one way the hub's settings
/// write it and screens show a target: the largest unit that divides it
/// (`900000` → `15m`, `3600000` → `1h`, `90000` → `90s`).
pub fn format_duration(ms: i64) -> String {
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000)] {
        if ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{}s", ms / 1000)
}

/// Sample spans with their text, for the console's test of its own formatting.
pub fn span_examples() -> Vec<(u64, String)> {
    [0, 1, 59, 60, 61, 599, 3599, 3600, 3661, 7325, 86_399, 86_400, 90_061, 400_000, 9_000_000]
        .into_iter()
        .map(|s| (s, format_span(s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::referral::*;
    use chrono::TimeZone;

    fn referral(urgency: Urgency) -> Referral {
        Referral {
            external_id: "T1".into(),
            source: Source::HotlineCall,
            received_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            trafficking_type: TraffickingType::Sex,
            urgency,
            location: None,
            potential_victims: None,
            suspects: vec![],
            reporter: None,
            consent: None,
            indicators: vec![],
            narrative: "n".into(),
            extra: Default::default(),
        }
    }

    fn located(mut r: Referral) -> Referral {
        r.location = Some(Location { address: Some("1 Main St".into()), ..Default::default() });
        r
    }

    #[test]
    fn rules_give_the_documented_priorities() {
        assert_eq!(triage(&referral(Urgency::InProgress)).priority, Priority::P1);
        assert_eq!(triage(&referral(Urgency::Imminent)).priority, Priority::P1);
        assert_eq!(triage(&located(referral(Urgency::Recent))).priority, Priority::P2);
        assert_eq!(triage(&referral(Urgency::Recent)).priority, Priority::P3);
        assert_eq!(triage(&located(referral(Urgency::Historical))).priority, Priority::P3);
        let t = triage(&referral(Urgency::Historical));
        assert_eq!((t.priority, t.reasons[0].code.as_str()), (Priority::P4, "default"));
    }

    #[test]
    fn a_located_minor_is_p1_even_when_historical() {
        let mut r = located(referral(Urgency::Historical));
        r.potential_victims = Some(PotentialVictims { minors: YesNoUnknown::Yes, ..Default::default() });
        let t = triage(&r);
        assert_eq!(t.priority, Priority::P1);
        assert_eq!(t.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), vec!["minor_located"]);
    }

    #[test]
    fn reasons_list_every_rule_that_gave_the_winning_priority() {
        let mut r = located(referral(Urgency::InProgress));
        r.potential_victims = Some(PotentialVictims { minors: YesNoUnknown::Yes, ..Default::default() });
        let codes: Vec<_> = triage(&r).reasons.into_iter().map(|r| r.code).collect();
        assert_eq!(codes, vec!["in_progress", "minor_located"]);
    }

    #[test]
    fn deadline_moves_from_ack_to_arrival() {
        let t = Targets::default();
        let rx = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let now = rx + Duration::minutes(20);
        let d = t.deadline(Priority::P1, rx, Progress::Unacknowledged, now).unwrap();
        assert_eq!((d.kind, d.seconds_left), (DeadlineKind::Acknowledge, -300));
        let d = t.deadline(Priority::P1, rx, Progress::Acknowledged, now).unwrap();
        assert_eq!((d.kind, d.seconds_left), (DeadlineKind::Arrive, 40 * 60));
        assert!(t.deadline(Priority::P2, rx, Progress::Acknowledged, now).is_none());
        assert!(t.deadline(Priority::P1, rx, Progress::OnScene, now).is_none());
        assert_eq!(format_time_left(-125), "overdue 2m 05s");
        assert_eq!(format_time_left(-300), "overdue 5m 00s");
        assert_eq!(format_time_left(3 * 3600 + 5 * 60), "3h 05m left");
    }

    #[test]
    fn priorities_parse_and_round_trip_by_rank() {
        assert_eq!("p2".parse::<Priority>().unwrap(), Priority::P2);
        assert!("P5".parse::<Priority>().is_err());
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(i64::from(p.rank())), Some(p));
        }
    }
}
