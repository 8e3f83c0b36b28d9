//! The layer, its agency table and its ZIP table together: what the rest of
//! Beacon asks "which jurisdiction is this?".

use beacon_domain::jurisdiction::Candidate;
use beacon_domain::referral::Location;
use beacon_domain::{AssignMethod, JurisdictionAssignment};
use serde::Serialize;

use crate::error::{CoordError, GeoError};
use crate::index::{Hit, LayerIndex, Scratch};
use crate::layer::{Layer, LayerOptions};
use crate::names::NameIndex;
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

/// Layer + index + tables.
#[derive(Debug)]
pub struct Gazetteer {
    layer: Layer,
    index: LayerIndex,
    agencies: AgencyTable,
    zips: ZipTable,
    names: NameIndex,
    /// Troop and verified flag per jurisdiction, in layer order (no lookups on the hot path).
    troops: Vec<(Option<String>, bool)>,
}

impl Gazetteer {
    pub fn new(layer: Layer, agencies: AgencyTable, zips: ZipTable) -> Gazetteer {
        let index = LayerIndex::build(&layer);
        let names = NameIndex::new(layer.jurisdictions().iter().map(|j| (j.id.as_str(), j.name.as_str())));
        // A jurisdiction without a table entry has no troop and is not verified.
        let troops = layer
            .jurisdictions()
            .iter()
            .map(|j| match agencies.get(&j.id) {
                Some(a) => (Some(a.troop.clone()), a.verified),
                None => (None, false),
            })
            .collect();
        Gazetteer { layer, index, agencies, zips, names, troops }
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
    /// out-of-range coordinates.
    pub fn locate(&self, lat: f64, lon: f64) -> Result<JurisdictionAssignment, CoordError> {
        let mut scratch = Scratch::default();
        self.locate_with(lat, lon, &mut scratch)
    }

    /// [`Gazetteer::locate`] reusing scratch space (for bulk work).
    pub fn locate_with(&self, lat: f64, lon: f64, scratch: &mut Scratch) -> Result<JurisdictionAssignment, CoordError> {
        let hit = self.index.locate(lat, lon, scratch)?;
        Ok(self.to_assignment(&hit, AssignMethod::Point))
    }

    /// From coordinates if present and valid; else from the ZIP's centre
    /// (method `Zip`, approximate); else from the county name (method
    /// `CountyName`); else `Unknown`. The troop always comes from the agency table.
    pub fn assign(&self, loc: &Location) -> JurisdictionAssignment {
        if let (Some(lat), Some(lon)) = (loc.lat, loc.lon)
            && let Ok(a) = self.locate(lat, lon)
        {
            return a;
        }
        if let Some(a) = loc.zip.as_deref().and_then(|z| self.assign_zip(z)) {
            return a;
        }
        if let Some(i) = loc.county.as_deref().and_then(|c| self.names.find(c)) {
            return self.by_index(i, AssignMethod::CountyName);
        }
        JurisdictionAssignment::unknown()
    }

    /// A ZIP centre is only a stand-in for the address: when the ZIP table
    /// names another county than the one holding the centre, that county is
    /// added as a candidate and the case is flagged `near_border`.
    fn assign_zip(&self, zip: &str) -> Option<JurisdictionAssignment> {
        let entry = self.zips.get(zip)?;
        let table_idx = entry.county_fips.as_deref().and_then(|f| self.names.find(f));
        if let (Some(lat), Some(lon)) = (entry.lat, entry.lon)
            && let Ok(hit) = self.index.locate(lat, lon, &mut Scratch::default())
        {
            let mut a = self.to_assignment(&hit, AssignMethod::Zip);
            if let Some(t) = table_idx
                && hit.primary != Some(t)
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
            .zip(&self.troops)
            .map(|(j, (troop, troop_verified))| JurisdictionInfo {
                id: j.id.clone(),
                name: j.name.clone(),
                troop: troop.clone(),
                troop_verified: *troop_verified,
                bbox: j.bbox,
            })
            .collect()
    }

    fn by_index(&self, i: usize, method: AssignMethod) -> JurisdictionAssignment {
        let j = &self.layer.jurisdictions()[i];
        let (troop, troop_verified) = &self.troops[i];
        JurisdictionAssignment {
            jurisdiction_id: Some(j.id.clone()),
            name: Some(j.name.clone()),
            troop: troop.clone(),
            troop_verified: *troop_verified,
            method,
            ..JurisdictionAssignment::unknown()
        }
    }

    fn to_assignment(&self, hit: &Hit, method: AssignMethod) -> JurisdictionAssignment {
        let mut a = JurisdictionAssignment::unknown();
        self.fill(hit, method, &mut a);
        a
    }

    /// Writes the answer into `out`, reusing its strings' buffers.
    fn fill(&self, hit: &Hit, method: AssignMethod, out: &mut JurisdictionAssignment) {
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
        let js = self.layer.jurisdictions();
        match hit.primary {
            Some(i) => {
                set(&mut out.jurisdiction_id, Some(&js[i].id));
                set(&mut out.name, Some(&js[i].name));
                set(&mut out.troop, self.troops[i].0.as_deref());
                out.troop_verified = self.troops[i].1;
            }
            None => {
                out.jurisdiction_id = None;
                out.name = None;
                out.troop = None;
                out.troop_verified = true;
            }
        }
        out.method = method;
        out.outside = hit.outside;
        out.distance_km = hit.distance_km;
        out.near_border = hit.near_border;
        // Reuse the candidates' strings too: near a border this is most of the allocation.
        out.candidates.truncate(hit.candidates.len());
        for (k, &(i, d)) in hit.candidates.iter().enumerate() {
            match out.candidates.get_mut(k) {
                Some(c) => {
                    c.jurisdiction_id.clone_from(&js[i].id);
                    c.name.clone_from(&js[i].name);
                    c.distance_km = d;
                }
                None => out.candidates.push(Candidate {
                    jurisdiction_id: js[i].id.clone(),
                    name: js[i].name.clone(),
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
        let hit = self.index.locate(lat, lon, scratch)?;
        self.fill(&hit, AssignMethod::Point, out);
        Ok(())
    }
}
