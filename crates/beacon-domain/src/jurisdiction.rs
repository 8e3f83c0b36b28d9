//! The jurisdiction a case was assigned to, and how sure we are. Computing it
//! is the job of `beacon-geo`; this is the value every other part stores and shows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AssignMethod {
    /// From coordinates, by point in polygon.
    Point,
    /// From the ZIP code's centre point: approximate.
    Zip,
    /// From a county name given in the referral.
    CountyName,
    /// A dispatcher chose or confirmed it.
    Manual,
    #[default]
    Unknown,
}

impl AssignMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            AssignMethod::Point => "point",
            AssignMethod::Zip => "zip",
            AssignMethod::CountyName => "county_name",
            AssignMethod::Manual => "manual",
            AssignMethod::Unknown => "unknown",
        }
    }
}

/// Another jurisdiction a point near a border might belong to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Candidate {
    pub jurisdiction_id: String,
    pub name: String,
    /// Distance from the point to that jurisdiction's boundary.
    pub distance_km: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JurisdictionAssignment {
    /// The layer's id for the jurisdiction (the county FIPS code for the shipped layer);
    /// `None` when unknown.
    pub jurisdiction_id: Option<String>,
    pub name: Option<String>,
    /// The patrol troop (or agency) serving it, from the layer's table.
    pub troop: Option<String>,
    /// False when the troop assignment has not been confirmed with the agency.
    #[serde(default = "yes")]
    pub troop_verified: bool,
    pub method: AssignMethod,
    /// Closer to another jurisdiction than the layer's margin: confirm by hand.
    #[serde(default)]
    pub near_border: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// The point lies outside every jurisdiction of the layer; `jurisdiction_id`
    /// is then the nearest one and `distance_km` how far away it is. Also set,
    /// with no jurisdiction, when the referral is from another state than the
    /// layer's (see `outside_reason`).
    #[serde(default)]
    pub outside: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Why the case is `outside` when that does not come from its point, e.g.
    /// "the referral's state (IL) is not this layer's (MO)". Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_reason: Option<String>,
}

fn yes() -> bool {
    true
}

impl JurisdictionAssignment {
    pub fn unknown() -> Self {
        JurisdictionAssignment { troop_verified: true, ..Default::default() }
    }

    /// Cases without a reliable jurisdiction go to the "unassigned" bucket.
    pub fn is_unassigned(&self) -> bool {
        self.jurisdiction_id.is_none() || self.outside
    }

    /// "Greene (Troop D)", or "unassigned".
    pub fn label(&self) -> String {
        match (&self.name, &self.troop) {
            (Some(n), Some(t)) if !self.outside => format!("{n} (Troop {t})"),
            (Some(n), _) if !self.outside => n.clone(),
            _ => "unassigned".to_string(),
        }
    }
}
