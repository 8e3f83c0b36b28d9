//! Typed errors. Every layer error that concerns one feature names it by index and id.

use std::path::PathBuf;

/// Why a jurisdiction layer was rejected. An error about one feature names
/// it by index and names the field; none repeats a value the layer held
/// (an id, a name, a coordinate): the message is built from what Beacon
/// expected, never from the input.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("layer input is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// The cause is printed here and not also reported as `source()`, so a
    /// caller printing the chain says it once.
    #[error("cannot read {path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("layer is not valid JSON ({0})")]
    Json(String),
    #[error("layer is not a GeoJSON FeatureCollection: {0}")]
    NotFeatureCollection(String),
    #[error("layer has no features")]
    NoFeatures,
    #[error("feature {index}: `{field}` is {found}; expected Polygon or MultiPolygon")]
    NotPolygon { index: usize, field: &'static str, found: &'static str },
    #[error("feature {index}: id property `{property}` {problem}")]
    BadId { index: usize, property: String, problem: String },
    #[error("feature {index}: id property `{property}` repeats feature {first}'s")]
    DuplicateId { index: usize, property: String, first: usize },
    #[error("feature {index}: `geometry` is empty")]
    EmptyGeometry { index: usize },
    #[error("feature {index}: `geometry.coordinates` {problem}")]
    BadCoordinates { index: usize, problem: String },
    #[error("feature {index}: `geometry` is not a valid polygon: {reason}")]
    InvalidGeometry { index: usize, reason: String },
    #[error("shapefile: {0}")]
    Shapefile(String),
    #[error("layer options: {0}")]
    Options(String),
}

/// Coordinates that cannot be located.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    #[error("latitude/longitude must be finite numbers (got {lat}, {lon})")]
    NotFinite { lat: f64, lon: f64 },
    #[error("latitude {0} is outside -90..=90")]
    LatOutOfRange(f64),
    #[error("longitude {0} is outside -180..=180")]
    LonOutOfRange(f64),
}

/// Why an agency (troop) or ZIP table was rejected.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("table is not valid JSON: {0}")]
    Json(String),
    #[error("table CSV: {0}")]
    Csv(String),
    #[error("table entry {entry}: {problem}")]
    Entry { entry: String, problem: String },
    #[error("jurisdiction {id} is listed twice (troops {first} and {second})")]
    Duplicate { id: String, first: String, second: String },
}

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Coord(#[from] CoordError),
}
