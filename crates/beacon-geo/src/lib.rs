//! Offline jurisdiction assignment: which county (or other jurisdiction of a
//! layer) a tip's location falls in, which troop serves it, and how sure that is.
//!
//! # Design
//!
//! * **Layer** ([`Layer`]): named polygons/multipolygons from GeoJSON or an
//!   ESRI shapefile, validated feature by feature (polygon type, id, duplicates,
//!   empty or self-intersecting geometry, degree ranges, size limit checked
//!   before parsing). The shipped "default layer" is embedded in the binary.
//! * **Margin**: the shipped borders are simplified (≈1 km, at worst ≈2.6 km
//!   off), so a point within `margin_km` (2.5 km; 0 for an authoritative
//!   layer) of a boundary is flagged `near_border`, with every other
//!   jurisdiction whose boundary is that close as a candidate. Being near the
//!   *own* boundary counts too, even at the layer's outer edge with no
//!   neighbour: the true line could put the point outside the layer. Outside
//!   every polygon the answer is `outside` with the nearest jurisdiction and
//!   its distance, never a silent guess.
//! * **Distance**: local equirectangular approximation at the query point's
//!   latitude, `R·√(Δφ² + (cos φ·Δλ)²)` with R = 6371.0088 km, point to
//!   boundary segment. At the few km that matter for the margin it agrees with
//!   the geodesic distance to well under 1%.
//! * **Index** ([`LayerIndex`]): a uniform grid (≈1 km cells) over the layer's
//!   bounding box plus margin. Each cell is classified once, conservatively
//!   (bounds use the smallest cos φ in the cell, so they hold for every point):
//!   *inside* one jurisdiction and farther than the margin from every boundary
//!   (answer directly), *outside* all and far (nearest among the cell's few
//!   segments that can be nearest to any of its points, all measured without
//!   a branch), or *mixed* (per-point work: distances to the cell's list of
//!   boundary segments that can be within the margin, grouped by
//!   jurisdiction, and an even-odd point in polygon for each jurisdiction
//!   whose boundary crosses the cell, counting only the few edges that can
//!   cross the ray from a point of the cell; a jurisdiction that contains the
//!   whole cell is known without a test). Non-mixed cells are labelled by
//!   flood fill, one point-in-polygon test per connected region. Cells are
//!   stored per block of 4x4: a block whose cells all give the same answer
//!   keeps one code, so the table a query starts from stays in cache; cells
//!   with identical lists share them. R-trees of segments and of
//!   jurisdiction bboxes serve points off the grid, overlapping layers and
//!   the reference path [`LayerIndex::locate_exact`], which must agree with
//!   the grid exactly.
//! * **Fallbacks** ([`Gazetteer::assign`]): coordinates, else the ZIP's centre
//!   (approximate: the ZIP table's own county becomes a candidate when it
//!   differs), else a spelling-tolerant county name, else unknown. The ZIP
//!   and name fallbacks only apply within the layer's state (from the agency
//!   table): a referral from another state is `outside`, with the reason.
#![forbid(unsafe_code)]

pub mod error;
pub mod gazetteer;
pub mod index;
pub mod layer;
pub mod located;
pub mod names;
mod shp;
pub mod states;
pub mod tables;

pub use error::{CoordError, GeoError, LayerError, TableError};
pub use gazetteer::{Gazetteer, JurisdictionInfo};
pub use index::{Hit, KM_PER_DEG, LayerIndex, Scratch};
pub use layer::{DEFAULT_MARGIN_KM, DEFAULT_MAX_BYTES, Jurisdiction, Layer, LayerOptions};
pub use located::{CandidateRef, Candidates, LayerText, Located};
pub use names::name_key;
pub use states::state_code;
pub use tables::{Agency, AgencyTable, ZipEntry, ZipTable};
