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

    pub const ALL: [AssignMethod; 5] =
        [AssignMethod::Point, AssignMethod::Zip, AssignMethod::CountyName, AssignMethod::Manual, AssignMethod::Unknown];
}

impl std::str::FromStr for AssignMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AssignMethod::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| "unknown assignment method".to_string())
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

/// What counts by jurisdiction (the response statistics) call the cases
/// that have none; the queue's filter for them says the same.
pub const UNASSIGNED: &str = "Unassigned";

impl JurisdictionAssignment {
    pub fn unknown() -> Self {
        JurisdictionAssignment { troop_verified: true, ..Default::default() }
    }

    /// Cases without a reliable jurisdiction go to the "unassigned" bucket
    /// (named [`UNASSIGNED`] wherever cases are counted by jurisdiction).
    pub fn is_unassigned(&self) -> bool {
        self.jurisdiction_id.is_none() || self.outside
    }

    /// How every screen and listing names the jurisdiction: the layer's own
    /// name (a layer of counties may call one "Greene" and another
    /// "St. Louis city"; nothing is appended), with the troop:
    /// "Greene · Troop D", "Outside the layer (nearest: Greene, 12.5 km)",
    /// "Jurisdiction unknown".
    pub fn label(&self) -> String {
        match (&self.name, &self.troop) {
            (Some(n), _) if self.outside => match self.distance_km {
                Some(d) => format!("Outside the layer (nearest: {n}, {d:.1} km)"),
                None => format!("Outside the layer (nearest: {n})"),
            },
            (Some(n), Some(t)) => format!("{n} · Troop {t}"),
            (Some(n), None) => n.clone(),
            (None, _) if self.outside => match &self.outside_reason {
                Some(reason) => format!("Outside the layer: {reason}"),
                None => "Outside the layer".to_string(),
            },
            (None, _) => "Jurisdiction unknown".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, troop: Option<&str>) -> JurisdictionAssignment {
        JurisdictionAssignment {
            jurisdiction_id: Some("1".into()),
            name: Some(name.into()),
            troop: troop.map(str::to_string),
            ..JurisdictionAssignment::unknown()
        }
    }

    #[test]
    fn labels_use_the_layer_name_as_it_is() {
        assert_eq!(named("St. Louis County", Some("C")).label(), "St. Louis County · Troop C");
        assert_eq!(named("St. Louis city", Some("C")).label(), "St. Louis city · Troop C");
        assert_eq!(named("Precinct 4", None).label(), "Precinct 4");
        assert_eq!(JurisdictionAssignment::unknown().label(), "Jurisdiction unknown");
        let outside = JurisdictionAssignment { outside: true, distance_km: Some(12.46), ..named("Greene", Some("D")) };
        assert_eq!(outside.label(), "Outside the layer (nearest: Greene, 12.5 km)");
    }
}
