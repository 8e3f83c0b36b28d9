//! The jurisdiction layer: which one is active, locating points, replacing
//! the layer and recomputing cases.
//!
//! The shipped layer is the default. A layer the agency imports is kept in
//! the store (as GeoJSON, with its agency table and options), so the desktop
//! app and the command line always use the same one.

use beacon_domain::Action;
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, JurisdictionAssignment};
use beacon_geo::{AgencyTable, Gazetteer, JurisdictionInfo, Layer, LayerOptions, ZipTable};
use std::path::Path;
use std::sync::Arc;

use crate::{ApiError, Beacon};

const LAYER_KEY: &str = "layer.geojson";
const LAYER_AUTHORITATIVE_KEY: &str = "layer.authoritative";
const MARGIN_KEY: &str = "layer.margin_km";
const AGENCIES_KEY: &str = "layer.agencies";
const ID_PROPERTY_KEY: &str = "layer.id_property";
const NAME_PROPERTY_KEY: &str = "layer.name_property";

/// The store's active layer, or the shipped one.
pub(crate) fn active_gazetteer(store: &beacon_store::Store) -> Result<Gazetteer, ApiError> {
    let Some(geojson) = store.config(LAYER_KEY)? else {
        return Ok(Gazetteer::default_layer()?);
    };
    let authoritative = store.config(LAYER_AUTHORITATIVE_KEY)?.as_deref() == Some("true");
    let margin = store.config(MARGIN_KEY)?.and_then(|m| m.parse::<f64>().ok());
    let options = layer_options(authoritative, margin);
    let id_property = store.config(ID_PROPERTY_KEY)?.unwrap_or_else(|| "id".into());
    let name_property = store.config(NAME_PROPERTY_KEY)?.unwrap_or_else(|| "name".into());
    let layer = Layer::from_geojson(geojson.as_bytes(), &id_property, &name_property, options)?;
    let agencies = match store.config(AGENCIES_KEY)? {
        Some(json) => AgencyTable::from_json(json.as_bytes())?,
        None => AgencyTable::default(),
    };
    let zips = ZipTable::from_json(beacon_geo::gazetteer::DEFAULT_ZIPS)?;
    Ok(Gazetteer::new(layer, agencies, zips))
}

impl Beacon {
    pub fn locate(&self, lat: f64, lon: f64) -> Result<JurisdictionAssignment, ApiError> {
        self.gazetteer()
            .locate(lat, lon)
            .map(JurisdictionAssignment::from)
            .map_err(|e| ApiError::invalid(format!("point {lat},{lon}"), "lat,lon", e.to_string()))
    }

    pub fn jurisdictions(&self) -> Vec<JurisdictionInfo> {
        self.gazetteer().jurisdictions()
    }

    /// Replace the active layer with a GeoJSON or shapefile layer. A bad
    /// layer is rejected whole and the current one stays in place. Existing
    /// cases keep their jurisdiction until [`Beacon::reassign`].
    pub fn import_layer(
        &mut self,
        file: &Path,
        id_property: &str,
        name_property: &str,
        authoritative: bool,
        margin_km: Option<f64>,
        agencies: Option<&Path>,
    ) -> Result<usize, ApiError> {
        self.require(Action::ManageLayers)?;
        let options = layer_options(authoritative, margin_km);
        let is_shapefile = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("shp"));
        let layer = if is_shapefile {
            Layer::from_shapefile(file, id_property, name_property, options)?
        } else {
            Layer::from_geojson_file(file, id_property, name_property, options)?
        };
        let agency_table = match agencies {
            None => None,
            Some(p) => {
                let bytes = std::fs::read(p).map_err(|e| ApiError::Io { path: p.display().to_string(), cause: e })?;
                let is_csv = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                Some(if is_csv { AgencyTable::from_csv(&bytes)? } else { AgencyTable::from_json(&bytes)? })
            }
        };
        let count = layer.jurisdictions().len();
        let geojson = layer.to_geojson();
        let agencies_json = agency_table.as_ref().map(agencies_to_json).unwrap_or_else(|| "{}".into());
        // Build the new gazetteer from exactly what will be stored before
        // storing it: a layer that cannot be read back never replaces the current one.
        let reread = Layer::from_geojson(geojson.as_bytes(), id_property, name_property, options)?;
        let zips = ZipTable::from_json(beacon_geo::gazetteer::DEFAULT_ZIPS)?;
        let gazetteer = Gazetteer::new(reread, AgencyTable::from_json(agencies_json.as_bytes())?, zips);
        self.store_mut().write::<_, ApiError>(|w| {
            w.set_config(LAYER_KEY, &geojson)?;
            w.set_config(ID_PROPERTY_KEY, id_property)?;
            w.set_config(NAME_PROPERTY_KEY, name_property)?;
            w.set_config(LAYER_AUTHORITATIVE_KEY, if authoritative { "true" } else { "false" })?;
            w.set_config(MARGIN_KEY, &options.margin_km.to_string())?;
            w.set_config(AGENCIES_KEY, &agencies_json)?;
            Ok(())
        })?;
        self.gazetteer = Arc::new(gazetteer);
        Ok(count)
    }

    /// Recompute every case's jurisdiction with the active layer, recording
    /// an event for each case whose assignment changes. Returns how many changed.
    pub fn reassign(&mut self) -> Result<usize, ApiError> {
        self.require(Action::ManageLayers)?;
        let all = self.store().all_jurisdictions()?;
        let changes: Vec<(CaseId, JurisdictionAssignment, JurisdictionAssignment)> = all
            .into_iter()
            .filter_map(|(id, old, referral)| {
                // A dispatcher's confirmation stands until they change it.
                if old.method == beacon_domain::AssignMethod::Manual {
                    return None;
                }
                let new = referral
                    .location
                    .as_ref()
                    .map(|l| self.gazetteer().assign(l))
                    .unwrap_or_else(JurisdictionAssignment::unknown);
                (new != old).then_some((id, old, new))
            })
            .collect();
        let actor = self.actor().clone();
        let mut n = 0;
        for chunk in changes.chunks(crate::IMPORT_BATCH) {
            n += self.store_mut().write::<_, ApiError>(|w| {
                let mut changed = 0;
                for (id, from, to) in chunk {
                    // Computed before the write began: a case whose jurisdiction
                    // changed since (a dispatcher confirmed it, say) keeps it.
                    if w.case_jurisdiction(*id)?.as_ref() != Some(from) {
                        continue;
                    }
                    changed += 1;
                    w.append(
                        &actor,
                        Some(*id),
                        EventBody::JurisdictionChanged {
                            from: from.clone(),
                            to: to.clone(),
                            reason: "recomputed with the active layer".into(),
                        },
                    )?;
                }
                Ok(changed)
            })?;
        }
        Ok(n)
    }

    /// A dispatcher confirms (or corrects) the jurisdiction of a case near a border.
    pub fn confirm_jurisdiction(&mut self, id: &str, jurisdiction_id: &str) -> Result<(), ApiError> {
        let case_id = self.resolve(id)?;
        self.require_case(Action::Triage, case_id)?;
        let info = self
            .jurisdictions()
            .into_iter()
            .find(|j| j.id == jurisdiction_id)
            .ok_or_else(|| ApiError::NotFound { what: "jurisdiction", id: jurisdiction_id.into() })?;
        let actor = self.actor().clone();
        self.store_mut().write::<_, ApiError>(|w| {
            let case = w.case(case_id)?.ok_or_else(|| ApiError::NotFound { what: "case", id: case_id.to_string() })?;
            let from = std::sync::Arc::unwrap_or_clone(case.summary.jurisdiction);
            let to = JurisdictionAssignment {
                jurisdiction_id: Some(info.id.clone()),
                name: Some(info.name.clone()),
                troop: info.troop.clone(),
                troop_verified: info.troop_verified,
                method: beacon_domain::AssignMethod::Manual,
                ..JurisdictionAssignment::unknown()
            };
            w.append(
                &actor,
                Some(case_id),
                EventBody::JurisdictionChanged { from, to, reason: "confirmed by dispatcher".into() },
            )?;
            Ok(())
        })
    }

    /// Troop (agency) names of the active layer, sorted.
    pub fn troops(&self) -> Vec<String> {
        let mut t: Vec<String> = self.gazetteer().agencies().iter().map(|(_, a)| a.troop.clone()).collect();
        t.sort();
        t.dedup();
        t
    }

    /// A jurisdiction id from an id or a (spelling-tolerant) name.
    pub fn resolve_jurisdiction(&self, text: &str) -> Option<String> {
        let t = text.trim();
        if self.gazetteer().layer().get(t).is_some() {
            return Some(t.to_string());
        }
        self.gazetteer().match_county_name(t).map(str::to_string)
    }
}

/// An authoritative layer's lines are the legal lines: no margin unless asked.
/// Otherwise the shipped layer's 2.5 km, or what the person chose.
fn layer_options(authoritative: bool, margin_km: Option<f64>) -> LayerOptions {
    let base = if authoritative { LayerOptions::authoritative() } else { LayerOptions::default() };
    LayerOptions { margin_km: margin_km.unwrap_or(base.margin_km), ..base }
}

fn agencies_to_json(t: &AgencyTable) -> String {
    let map: serde_json::Map<String, serde_json::Value> = t
        .iter()
        .map(|(id, a)| (id.to_string(), serde_json::json!({"troop": a.troop, "verified": a.verified})))
        .collect();
    serde_json::Value::Object(map).to_string()
}
