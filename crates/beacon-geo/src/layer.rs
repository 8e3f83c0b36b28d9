//! A jurisdiction layer: named polygons read from GeoJSON or an ESRI shapefile,
//! checked feature by feature before anything is indexed.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Validation};
use serde_json::{Map, Value, json};

use crate::error::LayerError;

/// Largest layer file accepted (bytes). Checked before parsing, so an oversized
/// file is refused without being read.
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;

/// Margin used for the shipped (simplified) layer: its borders are up to ~2.6 km
/// off the true line, typically ~1 km.
pub const DEFAULT_MARGIN_KM: f64 = 2.5;

/// How a layer is to be trusted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerOptions {
    /// Points closer than this to another jurisdiction's boundary are flagged
    /// `near_border` for a human to confirm.
    pub margin_km: f64,
    /// The layer's lines are the legal lines (no margin needed).
    pub authoritative: bool,
    /// Largest input accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for LayerOptions {
    /// A layer of unknown precision: the shipped layer's 2.5 km margin.
    fn default() -> Self {
        LayerOptions { margin_km: DEFAULT_MARGIN_KM, authoritative: false, max_bytes: DEFAULT_MAX_BYTES }
    }
}

impl LayerOptions {
    /// For a layer the user vouches for: margin 0.
    pub fn authoritative() -> Self {
        LayerOptions { margin_km: 0.0, authoritative: true, ..Default::default() }
    }

    fn check(&self) -> Result<(), LayerError> {
        if !self.margin_km.is_finite() || self.margin_km < 0.0 || self.margin_km > 100.0 {
            return Err(LayerError::Options(format!("margin_km must be between 0 and 100, got {}", self.margin_km)));
        }
        Ok(())
    }
}

/// One jurisdiction of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Jurisdiction {
    pub id: String,
    pub name: String,
    /// Longitude/latitude (WGS 84) polygons; x = longitude, y = latitude.
    pub geometry: MultiPolygon<f64>,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
}

/// A validated set of jurisdictions.
#[derive(Clone, Debug)]
pub struct Layer {
    jurisdictions: Vec<Jurisdiction>,
    options: LayerOptions,
    id_property: String,
    name_property: String,
}

impl Layer {
    /// Reads a GeoJSON FeatureCollection. `id_property` (string or number) and
    /// `name_property` (string; the id is used when missing) are property names
    /// of each feature.
    pub fn from_geojson(
        bytes: &[u8],
        id_property: &str,
        name_property: &str,
        options: LayerOptions,
    ) -> Result<Layer, LayerError> {
        options.check()?;
        // Size first: a huge input is refused before any parsing work.
        check_size(bytes.len() as u64, options.max_bytes)?;
        // serde_json's own message can quote the input; only the place is kept.
        let root: Value = serde_json::from_slice(bytes)
            .map_err(|e| LayerError::Json(format!("line {}, column {}", e.line(), e.column())))?;
        let not_collection = |problem: &str| LayerError::NotFeatureCollection(problem.to_string());
        let obj = root.as_object().ok_or_else(|| not_collection("the top level is not an object"))?;
        match obj.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => {}
            Some(_) => return Err(not_collection("`type` is not \"FeatureCollection\"")),
            None => return Err(not_collection("`type` is missing")),
        }
        let features = obj
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| not_collection("`features` is missing or not an array"))?;
        let mut raw = Vec::with_capacity(features.len());
        for (index, f) in features.iter().enumerate() {
            let props = f.get("properties").and_then(Value::as_object);
            let id = feature_id(index, props.and_then(|p| p.get(id_property)), id_property)?;
            let name = props.and_then(|p| p.get(name_property)).and_then(value_text).unwrap_or_else(|| id.clone());
            let geometry = match f.get("geometry") {
                None | Some(Value::Null) => return Err(LayerError::EmptyGeometry { index }),
                Some(g) => parse_geometry(index, g)?,
            };
            raw.push((id, name, geometry));
        }
        Layer::from_parts(raw, id_property, name_property, options)
    }

    /// Reads a GeoJSON file, refusing it by its length before reading it.
    pub fn from_geojson_file(
        path: &Path,
        id_property: &str,
        name_property: &str,
        options: LayerOptions,
    ) -> Result<Layer, LayerError> {
        options.check()?;
        check_file_size(path, options.max_bytes)?;
        let bytes = std::fs::read(path).map_err(|cause| LayerError::Io { path: path.to_path_buf(), cause })?;
        Layer::from_geojson(&bytes, id_property, name_property, options)
    }

    /// Reads an ESRI shapefile (`.shp` with its `.dbf` beside it; the `.shx`
    /// index is not needed). Coordinates must be longitude/latitude degrees
    /// (WGS 84 / NAD 83); a projected shapefile is refused by the coordinate
    /// range check. Both files are read by `shp.rs`, which checks every
    /// length against the bytes present, so a damaged file is refused by
    /// record rather than trusted.
    pub fn from_shapefile(
        shp_path: &Path,
        id_property: &str,
        name_property: &str,
        options: LayerOptions,
    ) -> Result<Layer, LayerError> {
        options.check()?;
        let dbf_path = shp_path.with_extension("dbf");
        let total = check_file_size(shp_path, options.max_bytes)? + check_file_size(&dbf_path, options.max_bytes)?;
        check_size(total, options.max_bytes)?;
        let read = |path: &Path| std::fs::read(path).map_err(|cause| LayerError::Io { path: path.into(), cause });
        Layer::from_shapefile_bytes(&read(shp_path)?, &read(&dbf_path)?, id_property, name_property, options)
    }

    /// [`Layer::from_shapefile`] for the two files' bytes, already read.
    pub fn from_shapefile_bytes(
        shp: &[u8],
        dbf: &[u8],
        id_property: &str,
        name_property: &str,
        options: LayerOptions,
    ) -> Result<Layer, LayerError> {
        options.check()?;
        check_size(shp.len() as u64 + dbf.len() as u64, options.max_bytes)?;
        let shapes = crate::shp::read(shp)?;
        let records = crate::shp::read_dbf(dbf, &[id_property, name_property])?;
        if records.len() != shapes.len() {
            return Err(LayerError::Shapefile(format!(
                "the .shp has {} records and the .dbf {}; they must match",
                shapes.len(),
                records.len()
            )));
        }
        let mut raw = Vec::with_capacity(shapes.len());
        for (index, (shape, values)) in shapes.into_iter().zip(records).enumerate() {
            let id = feature_id(index, values[0].as_ref(), id_property)?;
            let name = values[1].as_ref().and_then(value_text).unwrap_or_else(|| id.clone());
            let geometry = match shape {
                crate::shp::Shape::Polygon(p) => p,
                crate::shp::Shape::Null => return Err(LayerError::EmptyGeometry { index }),
                crate::shp::Shape::Other(found) => {
                    return Err(LayerError::NotPolygon { index, field: "shape type", found });
                }
            };
            raw.push((id, name, geometry));
        }
        Layer::from_parts(raw, id_property, name_property, options)
    }

    /// Builds a layer from already-parsed geometries, with the same checks as the readers.
    pub fn from_parts(
        raw: Vec<(String, String, MultiPolygon<f64>)>,
        id_property: &str,
        name_property: &str,
        options: LayerOptions,
    ) -> Result<Layer, LayerError> {
        options.check()?;
        if raw.is_empty() {
            return Err(LayerError::NoFeatures);
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut jurisdictions = Vec::with_capacity(raw.len());
        for (index, (id, name, geometry)) in raw.into_iter().enumerate() {
            if let Some(&first) = seen.get(&id) {
                return Err(LayerError::DuplicateId { index, property: id_property.to_string(), first });
            }
            seen.insert(id.clone(), index);
            let bbox = check_geometry(index, &geometry)?;
            jurisdictions.push(Jurisdiction { id, name, geometry, bbox });
        }
        Ok(Layer {
            jurisdictions,
            options,
            id_property: id_property.to_string(),
            name_property: name_property.to_string(),
        })
    }

    pub fn jurisdictions(&self) -> &[Jurisdiction] {
        &self.jurisdictions
    }

    pub fn options(&self) -> &LayerOptions {
        &self.options
    }

    pub fn margin_km(&self) -> f64 {
        self.options.margin_km
    }

    pub fn get(&self, id: &str) -> Option<&Jurisdiction> {
        self.jurisdictions.iter().find(|j| j.id == id)
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` of the whole layer.
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for j in &self.jurisdictions {
            b[0] = b[0].min(j.bbox[0]);
            b[1] = b[1].min(j.bbox[1]);
            b[2] = b[2].max(j.bbox[2]);
            b[3] = b[3].max(j.bbox[3]);
        }
        b
    }

    /// The layer as a GeoJSON FeatureCollection (MultiPolygon features with the
    /// id and name under the property names it was read with), e.g. to persist
    /// an imported shapefile. Reading it back gives the same layer.
    pub fn to_geojson(&self) -> String {
        let features: Vec<Value> = self
            .jurisdictions
            .iter()
            .map(|j| {
                let mut props = Map::new();
                props.insert(self.id_property.clone(), Value::String(j.id.clone()));
                if self.name_property != self.id_property {
                    props.insert(self.name_property.clone(), Value::String(j.name.clone()));
                }
                let coords: Vec<Value> = j
                    .geometry
                    .0
                    .iter()
                    .map(|p| {
                        let rings: Vec<Value> = std::iter::once(p.exterior())
                            .chain(p.interiors())
                            .map(|r| Value::Array(r.0.iter().map(|c| json!([c.x, c.y])).collect()))
                            .collect();
                        Value::Array(rings)
                    })
                    .collect();
                json!({
                    "type": "Feature",
                    "properties": Value::Object(props),
                    "geometry": {"type": "MultiPolygon", "coordinates": coords},
                })
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features}).to_string()
    }
}

fn check_size(size: u64, limit: u64) -> Result<(), LayerError> {
    if size > limit {
        return Err(LayerError::TooLarge { size, limit });
    }
    Ok(())
}

fn check_file_size(path: &Path, limit: u64) -> Result<u64, LayerError> {
    let io = |cause| LayerError::Io { path: PathBuf::from(path), cause };
    let len = File::open(path).and_then(|f| f.metadata()).map_err(io)?.len();
    check_size(len, limit)?;
    Ok(len)
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(number_text(n)),
        _ => None,
    }
}

/// Integral numbers print without a fraction, so a numeric FIPS 29510 is "29510".
fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

fn feature_id(index: usize, v: Option<&Value>, property: &str) -> Result<String, LayerError> {
    let bad = |problem: &str| LayerError::BadId { index, property: property.to_string(), problem: problem.to_string() };
    match v {
        None | Some(Value::Null) => Err(bad("is missing")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(bad("is empty")),
        Some(v @ (Value::String(_) | Value::Number(_))) => Ok(value_text(v).unwrap_or_default()),
        Some(_) => Err(bad("is not a string or a number")),
    }
}

/// The GeoJSON geometry types, by name: what a feature of another type is
/// called in its rejection (any other text is not repeated).
const GEOJSON_TYPES: &[&str] =
    &["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"];

fn parse_geometry(index: usize, g: &Value) -> Result<MultiPolygon<f64>, LayerError> {
    let bad = |problem: String| LayerError::BadCoordinates { index, problem };
    let coords =
        || g.get("coordinates").and_then(Value::as_array).ok_or_else(|| bad("is missing or not an array".into()));
    match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(MultiPolygon(polygon_from(0, coords()?, &bad)?.into_iter().collect())),
        Some("MultiPolygon") => {
            let mut polys = Vec::new();
            for (k, p) in coords()?.iter().enumerate() {
                let rings = p.as_array().ok_or_else(|| bad(format!("polygon {k} is not an array of rings")))?;
                polys.extend(polygon_from(k, rings, &bad)?);
            }
            Ok(MultiPolygon(polys))
        }
        kind => {
            let found = match kind {
                None => "missing",
                Some(k) => GEOJSON_TYPES.iter().find(|t| **t == k).copied().unwrap_or("not a GeoJSON geometry type"),
            };
            Err(LayerError::NotPolygon { index, field: "geometry.type", found })
        }
    }
}

/// Polygon number `k` of a feature from its rings; `None` for a polygon
/// with no rings (an empty geometry, reported later).
fn polygon_from(
    k: usize,
    rings: &[Value],
    bad: &dyn Fn(String) -> LayerError,
) -> Result<Option<Polygon<f64>>, LayerError> {
    let mut out = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let pts = ring.as_array().ok_or_else(|| bad(format!("polygon {k}, ring {r} is not an array of positions")))?;
        let mut line = Vec::with_capacity(pts.len());
        for (n, pt) in pts.iter().enumerate() {
            let xy = pt.as_array().filter(|a| a.len() >= 2);
            let (x, y) = match xy.map(|a| (a[0].as_f64(), a[1].as_f64())) {
                Some((Some(x), Some(y))) => (x, y),
                _ => return Err(bad(format!("polygon {k}, ring {r}, position {n} is not [longitude, latitude]"))),
            };
            line.push(Coord { x, y });
        }
        out.push(LineString(line));
    }
    let mut it = out.into_iter();
    Ok(it.next().map(|ext| Polygon::new(ext, it.collect())))
}

/// Empty, out-of-range and self-intersecting geometries are refused; returns the bbox.
fn check_geometry(index: usize, g: &MultiPolygon<f64>) -> Result<[f64; 4], LayerError> {
    if g.0.is_empty() || g.0.iter().all(|p| p.exterior().0.is_empty()) {
        return Err(LayerError::EmptyGeometry { index });
    }
    for (k, p) in g.0.iter().enumerate() {
        for (r, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
            if let Some(n) = ring
                .0
                .iter()
                .position(|c| !c.x.is_finite() || !c.y.is_finite() || c.x.abs() > 180.0 || c.y.abs() > 90.0)
            {
                return Err(LayerError::BadCoordinates {
                    index,
                    problem: format!(
                        "polygon {k}, ring {r}, position {n} is not longitude/latitude in degrees \
                         (projected data must be converted to WGS 84 first)"
                    ),
                });
            }
        }
    }
    if let Err(e) = g.check_validation() {
        // geo names rings and polygons by index, never by coordinates.
        return Err(LayerError::InvalidGeometry { index, reason: e.to_string() });
    }
    let r = g.bounding_rect().ok_or(LayerError::EmptyGeometry { index })?;
    Ok([r.min().x, r.min().y, r.max().x, r.max().y])
}
