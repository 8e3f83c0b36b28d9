//! The layer, its agency table and its ZIP table together: what the rest of
//! Beacon asks "which jurisdiction is this?".

use std::cell::RefCell;

use beacon_domain::jurisdiction::Candidate;
use beacon_domain::referral::Location;
use beacon_domain::{AssignMethod, JurisdictionAssignment};
use serde::Serialize;

use crate::error::{CoordError, GeoError};
use crate::index::{Found, LayerIndex, Lookup, Scratch};
use crate::layer::{Layer, LayerOptions};
use crate::located::{CandidateRef, Candidates, LayerText, Located};
use crate::names::NameIndex;
use crate::states::state_code;
use crate::tables::{AgencyTable, ZipTable};

/// The shipped layer's files (see `assets/jurisdictions/default/PROVENANCE.md`).
pub const DEFAULT_COUNTIES: &[u8] = include_bytes!("../../../assets/jurisdictions/default/counties.geojson");
pub const DEFAULT_AGENCIES: &[u8] = include_bytes!("../../../assets/jurisdictions/default/agencies.json");
pub const DEFAULT_ZIPS: &[u8] = include_bytes!("../../../assets/jurisdictions/default/zips.json");
/// Property names of the shipped layer.
pub const DEFAULT_ID_PROPERTY: &str = "fips";
pub const DEFAULT_NAME_PROPERTY: &str = "name";

/// One row of `beacon jurisdiction list`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JurisdictionInfo {
    pub id: String,
    pub name: String,
    pub troop: Option<String>,
    pub troop_verified: bool,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
}

/// What an answer borrows for one jurisdiction: its id, name and troop.
#[derive(Debug)]
struct Answer {
    id: Box<str>,
    name: Box<str>,
    troop: Option<Box<str>>,
    troop_verified: bool,
}

thread_local! {
    /// Scratch space of [`Gazetteer::locate`], so a point allocates nothing.
    static SCRATCH: RefCell<Scratch> = const { RefCell::new(Scratch::new()) };
}

/// Layer + index + tables.
#[derive(Debug)]
pub struct Gazetteer {
    layer: Layer,
    index: LayerIndex,
    agencies: AgencyTable,
    zips: ZipTable,
    names: NameIndex,
    /// In layer order.
    answers: Vec<Answer>,
}

impl Gazetteer {
    pub fn new(layer: Layer, agencies: AgencyTable, zips: ZipTable) -> Gazetteer {
        let index = LayerIndex::build(&layer);
        let names = NameIndex::new(layer.jurisdictions().iter().map(|j| (j.id.as_str(), j.name.as_str())));
        let answers = layer
            .jurisdictions()
            .iter()
            .map(|j| {
                // A jurisdiction without a table entry has no troop and is not verified.
                let (troop, troop_verified) = match agencies.get(&j.id) {
                    Some(a) => (Some(a.troop.as_str().into()), a.verified),
                    None => (None, false),
                };
                Answer { id: j.id.as_str().into(), name: j.name.as_str().into(), troop, troop_verified }
            })
            .collect();
        Gazetteer { layer, index, agencies, zips, names, answers }
    }

    /// The shipped layer, embedded in the binary, with its 2.5 km margin.
    pub fn default_layer() -> Result<Gazetteer, GeoError> {
        let layer =
            Layer::from_geojson(DEFAULT_COUNTIES, DEFAULT_ID_PROPERTY, DEFAULT_NAME_PROPERTY, LayerOptions::default())?;
        let agencies = AgencyTable::from_json(DEFAULT_AGENCIES)?;
        let zips = ZipTable::from_json(DEFAULT_ZIPS)?;
        Ok(Gazetteer::new(layer, agencies, zips))
    }

    pub fn layer(&self) -> &Layer {
        &self.layer
    }

    pub fn index(&self) -> &LayerIndex {
        &self.index
    }

    pub fn agencies(&self) -> &AgencyTable {
        &self.agencies
    }

    pub fn zips(&self) -> &ZipTable {
        &self.zips
    }

    /// Point in polygon (method `Point`). Errors only for non-finite or
    /// out-of-range coordinates. The answer borrows the jurisdiction's id,
    /// name and troop from this gazetteer; `JurisdictionAssignment::from`
    /// makes the owned value events store.
    pub fn locate(&self, lat: f64, lon: f64) -> Result<Located<'_>, CoordError> {
        // Grid cells answer without scratch space; the exact path (off the
        // grid, overlaps) borrows this thread's.
        let lookup = self.index.lookup(lat, lon)?;
        let (found, candidates) = match lookup {
            Lookup::Found(found) => (found, Candidates::new()),
            Lookup::Mixed(at) => match self.index.mixed(at, lat, lon) {
                Some((found, near)) => {
                    (found, near.as_slice().iter().map(|&(i, d)| self.candidate(i as usize, d)).collect())
                }
                None => self.resolve_with_scratch(Lookup::Exact, lat, lon),
            },
            Lookup::Exact => self.resolve_with_scratch(lookup, lat, lon),
        };
        Ok(self.located(&found, candidates, AssignMethod::Point))
    }

    #[cold]
    fn resolve_with_scratch(&self, lookup: Lookup, lat: f64, lon: f64) -> (Found, Candidates<'_>) {
        SCRATCH.with_borrow_mut(|scratch| {
            let found = self.index.resolve(lookup, lat, lon, scratch);
            (found, self.candidates(&scratch.candidates))
        })
    }

    /// [`Gazetteer::locate`] with the caller's scratch space.
    pub fn locate_with(&self, lat: f64, lon: f64, scratch: &mut Scratch) -> Result<Located<'_>, CoordError> {
        let found = self.index.find(lat, lon, scratch)?;
        Ok(self.located(&found, self.candidates(&scratch.candidates), AssignMethod::Point))
    }

    /// From coordinates if present and valid; else from the ZIP's centre
    /// (method `Zip`, approximate); else from the county name (method
    /// `CountyName`); else `Unknown`. The troop always comes from the agency table.
    ///
    /// ZIP codes and county names are the layer's state's: when the referral
    /// gives another state (see [`Gazetteer::state`]), neither is used and the
    /// answer is `outside` with `outside_reason`. Coordinates are used whatever
    /// the state.
    pub fn assign(&self, loc: &Location) -> JurisdictionAssignment {
        if let (Some(lat), Some(lon)) = (loc.lat, loc.lon)
            && let Ok(a) = self.locate(lat, lon)
        {
            return a.into();
        }
        if let Some(reason) = self.other_state(loc.state.as_deref()) {
            return JurisdictionAssignment {
                outside: true,
                outside_reason: Some(reason),
                ..JurisdictionAssignment::unknown()
            };
        }
        if let Some(a) = loc.zip.as_deref().and_then(|z| self.assign_zip(z)) {
            return a;
        }
        if let Some(i) = loc.county.as_deref().and_then(|c| self.names.find(c)) {
            return self.by_index(i, AssignMethod::CountyName);
        }
        JurisdictionAssignment::unknown()
    }

    /// The state the layer covers (postal code), from its agency table; `None`
    /// when unknown, and then a referral's state is not checked.
    pub fn state(&self) -> Option<&'static str> {
        self.agencies.state()
    }

    /// Why a referral's `state` rules this layer out, if it does. Only a
    /// recognised code or name is repeated (as its postal code): the field is
    /// free text.
    fn other_state(&self, state: Option<&str>) -> Option<String> {
        let ours = self.state()?;
        let given = state.map(str::trim).filter(|s| !s.is_empty())?;
        match state_code(given) {
            Some(code) if code == ours => None,
            Some(code) => Some(format!("the referral's state ({code}) is not this layer's ({ours})")),
            None => Some("the referral's state is not this layer's".to_string()),
        }
    }

    /// A ZIP centre is only a stand-in for the address: when the ZIP table
    /// names another county than the one holding the centre, that county is
    /// added as a candidate and the case is flagged `near_border`.
    fn assign_zip(&self, zip: &str) -> Option<JurisdictionAssignment> {
        let entry = self.zips.get(zip)?;
        let table_idx = entry.county_fips.as_deref().and_then(|f| self.names.find(f));
        let mut scratch = Scratch::default();
        if let (Some(lat), Some(lon)) = (entry.lat, entry.lon)
            && let Ok(found) = self.index.find(lat, lon, &mut scratch)
        {
            let mut a = self.located(&found, self.candidates(&scratch.candidates), AssignMethod::Zip).to_assignment();
            if let Some(t) = table_idx
                && found.primary != Some(t)
            {
                let j = &self.layer.jurisdictions()[t];
                if !a.candidates.iter().any(|c| c.jurisdiction_id == j.id) {
                    a.candidates.push(Candidate {
                        jurisdiction_id: j.id.clone(),
                        name: j.name.clone(),
                        distance_km: self.index.boundary_distance_km(t, lat, lon),
                    });
                }
                a.near_border = true;
            }
            return Some(a);
        }
        table_idx.map(|t| self.by_index(t, AssignMethod::Zip))
    }

    /// The id of the jurisdiction with that name (spelling-tolerant) or id.
    pub fn match_county_name(&self, name: &str) -> Option<&str> {
        self.names.find(name).map(|i| self.layer.jurisdictions()[i].id.as_str())
    }

    /// Every jurisdiction with its troop and bbox, in layer order.
    pub fn jurisdictions(&self) -> Vec<JurisdictionInfo> {
        self.layer
            .jurisdictions()
            .iter()
            .zip(&self.answers)
            .map(|(j, a)| JurisdictionInfo {
                id: j.id.clone(),
                name: j.name.clone(),
                troop: a.troop.as_deref().map(str::to_string),
                troop_verified: a.troop_verified,
                bbox: j.bbox,
            })
            .collect()
    }

    fn by_index(&self, i: usize, method: AssignMethod) -> JurisdictionAssignment {
        let found = Found { primary: Some(i), outside: false, distance_km: None, near_border: false };
        self.located(&found, Candidates::new(), method).to_assignment()
    }

    fn candidates(&self, candidates: &[(usize, f64)]) -> Candidates<'_> {
        candidates.iter().map(|&(i, d)| self.candidate(i, d)).collect()
    }

    #[inline]
    fn located<'g>(&'g self, found: &Found, candidates: Candidates<'g>, method: AssignMethod) -> Located<'g> {
        let t = &self.answers;
        let (jurisdiction_id, name, troop, troop_verified) = match found.primary {
            Some(i) => {
                let a = &t[i];
                (
                    Some(LayerText::new(&a.id)),
                    Some(LayerText::new(&a.name)),
                    a.troop.as_deref().map(LayerText::new),
                    a.troop_verified,
                )
            }
            None => (None, None, None, true),
        };
        Located {
            jurisdiction_id,
            name,
            troop,
            troop_verified,
            method,
            near_border: found.near_border,
            candidates,
            outside: found.outside,
            distance_km: found.distance_km,
        }
    }

    #[inline]
    fn candidate(&self, i: usize, distance_km: f64) -> CandidateRef<'_> {
        let a = &self.answers[i];
        CandidateRef { jurisdiction_id: LayerText::new(&a.id), name: LayerText::new(&a.name), distance_km }
    }

    /// Writes the answer into `out`, reusing its strings' buffers.
    fn fill(&self, found: &Found, candidates: &[(usize, f64)], method: AssignMethod, out: &mut JurisdictionAssignment) {
        fn set(dst: &mut Option<String>, src: Option<&str>) {
            match (dst.as_mut(), src) {
                (Some(d), Some(s)) => {
                    d.clear();
                    d.push_str(s);
                }
                (None, Some(s)) => *dst = Some(s.to_string()),
                (_, None) => *dst = None,
            }
        }
        let t = &self.answers;
        match found.primary {
            Some(i) => {
                let a = &t[i];
                set(&mut out.jurisdiction_id, Some(&a.id));
                set(&mut out.name, Some(&a.name));
                set(&mut out.troop, a.troop.as_deref());
                out.troop_verified = a.troop_verified;
            }
            None => {
                out.jurisdiction_id = None;
                out.name = None;
                out.troop = None;
                out.troop_verified = true;
            }
        }
        out.method = method;
        out.outside = found.outside;
        out.distance_km = found.distance_km;
        out.outside_reason = None;
        out.near_border = found.near_border;
        // Reuse the candidates' strings too: near a border this is most of the allocation.
        out.candidates.truncate(candidates.len());
        for (k, &(i, d)) in candidates.iter().enumerate() {
            let (id, name) = (&*t[i].id, &*t[i].name);
            match out.candidates.get_mut(k) {
                Some(c) => {
                    c.jurisdiction_id.clear();
                    c.jurisdiction_id.push_str(id);
                    c.name.clear();
                    c.name.push_str(name);
                    c.distance_km = d;
                }
                None => out.candidates.push(Candidate {
                    jurisdiction_id: id.to_string(),
                    name: name.to_string(),
                    distance_km: d,
                }),
            }
        }
    }

    /// [`Gazetteer::locate`] for bulk work: writes into `out`, reusing its
    /// buffers, so locating many points allocates only for border candidates.
    pub fn locate_into(
        &self,
        lat: f64,
        lon: f64,
        scratch: &mut Scratch,
        out: &mut JurisdictionAssignment,
    ) -> Result<(), CoordError> {
        let found = self.index.find(lat, lon, scratch)?;
        self.fill(&found, &scratch.candidates, AssignMethod::Point, out);
        Ok(())
    }
}
