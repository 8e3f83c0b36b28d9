//! Reads the desktop app needs beyond the command line's: the map's layer and
//! counts, open-case points, cases handed to one responder, and what changed
//! since a point in the event log (for live updates and notifications).
//! Read-only; every change still goes through the operations in the other
//! modules.

use beacon_domain::Action;
use beacon_domain::{CaseId, Priority, QueueQuery};
use beacon_geo::JurisdictionInfo;
use beacon_store::ChangedCases;
use serde::Serialize;

use crate::views::{CaseView, QueueRow};
use crate::{ApiError, Beacon};

/// The jurisdiction layer for drawing: boundaries as GeoJSON plus each
/// jurisdiction's troop. Changes only when a layer is imported.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapLayer {
    /// A GeoJSON FeatureCollection; each feature's `properties` has `id` and `name`.
    pub geojson: String,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the whole layer.
    pub bbox: [f64; 4],
    pub jurisdictions: Vec<JurisdictionInfo>,
}

/// Open cases in one jurisdiction.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenCount {
    pub jurisdiction_id: Option<String>,
    pub name: Option<String>,
    pub open: u64,
    /// The highest priority among them.
    pub top_priority: Priority,
}

/// Where an open case is, for the map (cases without coordinates are left out).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CasePoint {
    pub id: CaseId,
    pub priority: Priority,
    pub lat: f64,
    pub lon: f64,
    pub jurisdiction_id: Option<String>,
}

/// Something that happened that a person may need to be told about. Carries
/// no victim-identifying details, so it can go into a desktop notification.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Alert {
    /// Position in this store's event log.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: i64,
    /// `referral_received`, `handed_off`, `escalated`, or
    /// `delivery_attempted` (a handoff's delivery failed).
    pub kind: String,
    pub case_id: CaseId,
    pub short_id: String,
    pub priority: Option<Priority>,
    /// How screens name the jurisdiction.
    pub jurisdiction_label: String,
    pub troop: Option<String>,
    /// For handoffs: who the case went to.
    pub responder_id: Option<String>,
    pub responder_name: Option<String>,
}

impl Alert {
    /// The desktop notification for this alert: priority, place and case
    /// number only, never victim details. `for_me`: the handoff is to the
    /// person at this console.
    pub fn notification(&self, for_me: bool) -> (String, String) {
        let p = self.priority.map(|p| p.as_str()).unwrap_or("New");
        let place = &self.jurisdiction_label;
        if self.kind == "escalated" {
            return (
                format!("{p} case escalated — {place}"),
                format!("Case {}: the responder missed a target; the hub told the supervisor.", self.short_id),
            );
        }
        if self.kind == "delivery_attempted" {
            return (
                format!("{p} handoff not delivered — {place}"),
                format!("Case {}: Beacon could not reach the responder. Call them.", self.short_id),
            );
        }
        if self.kind == "handed_off" && for_me {
            (
                format!("{p} case handed to you — {place}"),
                format!("Case {}. Open Beacon to acknowledge.", self.short_id),
            )
        } else {
            (format!("New {p} referral — {place}"), format!("Case {}. Open Beacon to triage.", self.short_id))
        }
    }
}

impl Alert {
    /// Whether the person at the console hears of this alert (a sound, a
    /// banner, a notification), and whether it is theirs: every dispatcher
    /// (`hears_all`) of a P1 or P2 referral, an escalation and a handoff
    /// that could not be delivered; a responder (`me`) of a handoff to them.
    pub fn heard(&self, hears_all: bool, me: Option<&str>) -> Option<bool> {
        let for_me = self.kind == "handed_off" && me.is_some() && self.responder_id.as_deref() == me;
        let urgent = hears_all
            && match self.kind.as_str() {
                "referral_received" => matches!(self.priority, Some(Priority::P1 | Priority::P2)),
                "escalated" | "delivery_attempted" => true,
                _ => false,
            };
        (urgent || for_me).then_some(for_me)
    }
}

/// Alerts after a point in the log, and the point to ask from next time.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertBatch {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub next: i64,
    pub alerts: Vec<Alert>,
}

impl Beacon {
    pub fn map_layer(&self) -> MapLayer {
        let layer = self.gazetteer().layer();
        MapLayer { geojson: layer.to_geojson(), bbox: layer.bbox(), jurisdictions: self.jurisdictions() }
    }

    /// Open cases per jurisdiction with their highest priority.
    pub fn open_counts(&self) -> Result<Vec<OpenCount>, ApiError> {
        self.require(Action::ReadQueue)?;
        Ok(self
            .store()
            .open_by_jurisdiction()?
            .into_iter()
            .map(|(jurisdiction_id, name, open, top_priority)| OpenCount { jurisdiction_id, name, open, top_priority })
            .collect())
    }

    pub fn open_count(&self) -> Result<u64, ApiError> {
        self.require(Action::ReadQueue)?;
        Ok(self.store().open_count()?)
    }

    /// Up to `limit` open cases with coordinates, in queue order. Reads
    /// through the store's own queries (the queue, then each case's referral).
    pub fn open_points(&self, limit: usize) -> Result<Vec<CasePoint>, ApiError> {
        self.require(Action::ReadQueue)?;
        let query = QueueQuery { limit: u32::try_from(limit.max(1)).unwrap_or(u32::MAX), ..Default::default() };
        let rows = self.store().queue(&query, self.store().now())?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(case) = self.store().case(row.id)? else { continue };
            let Some((lat, lon)) = case.referral.location.as_ref().and_then(|l| l.coordinates()) else { continue };
            out.push(CasePoint {
                id: row.id,
                priority: row.priority,
                lat,
                lon,
                jurisdiction_id: row.jurisdiction.jurisdiction_id.clone(),
            });
        }
        Ok(out)
    }

    /// After cases changed: the rows of those among `ids` that belong in the
    /// queue `q` now, in no particular order. A screen drops every id it
    /// asked about and puts these back, each at its `place.order_key`.
    pub fn queue_rows(&self, ids: &[CaseId], q: &QueueQuery) -> Result<Vec<QueueRow>, ApiError> {
        self.require(Action::ReadQueue)?;
        let now = self.store().now();
        let q = self.resolve_query(q)?;
        let targets = self.store().settings()?.targets;
        Ok(crate::to_rows(&targets, self.store().queue_members(ids, &q, now)?, now))
    }

    /// What changed after `after` (a change marker): the cases touched, at
    /// most `limit`, so the window can patch what it shows.
    pub fn changes_since(&self, after: i64, limit: usize) -> Result<ChangedCases, ApiError> {
        self.require(Action::ReadCase)?;
        Ok(self.store().changed_cases(after, limit)?)
    }

    /// Cases handed to a responder (latest handoff first), open ones first.
    /// A task-force member asks for their own only.
    pub fn cases_for_responder(&self, responder_id: &str, limit: usize) -> Result<Vec<CaseView>, ApiError> {
        match self.own_responder() {
            Some(mine) if mine == responder_id => self.require(Action::ReadCase)?,
            _ => self.require(Action::ReadQueue)?,
        }
        let ids = self.store().cases_handed_to(responder_id, limit)?;
        self.views(&ids)
    }

    /// New referrals and handoffs written after `after` (a value of
    /// [`beacon_store::Store::change_marker`]), by any process. At most `limit`.
    pub fn alerts_since(&self, after: i64, limit: usize) -> Result<AlertBatch, ApiError> {
        let top = self.store().change_marker()?;
        let mut alerts = Vec::new();
        self.require(Action::ReadCase)?;
        for (seq, kind, case_id) in self.store().alert_events(after, top, limit)? {
            // A task-force member hears only of the cases handed to them.
            if self.require_sees(case_id).is_err() {
                continue;
            }
            let Some(case) = self.store().case(case_id)? else { continue };
            // A failed attempt matters while nothing delivered the handoff
            // (another channel may have).
            if kind == "delivery_attempted" && !case.summary.undelivered {
                continue;
            }
            let (responder_id, responder_name) = if kind == "handed_off" {
                let latest = self.store().handoffs(case_id)?.into_iter().max_by_key(|h| h.handed_off_at);
                latest.map(|h| (Some(h.responder_id.0), Some(h.responder_name))).unwrap_or((None, None))
            } else {
                (None, None)
            };
            alerts.push(Alert {
                seq,
                kind,
                short_id: case_id.short(),
                case_id,
                priority: Some(case.summary.priority),
                jurisdiction_label: case.summary.jurisdiction.label(),
                troop: case.summary.jurisdiction.troop.clone(),
                responder_id,
                responder_name,
            });
        }
        let next = if alerts.len() >= limit { alerts.last().map(|a| a.seq).unwrap_or(after) } else { top.max(after) };
        Ok(AlertBatch { next, alerts })
    }
}
