//! The point-location index: a uniform grid over the layer's bounding box whose
//! cells are classified once, backed by R-trees for the exact path.
//!
//! Coordinates stay in degrees (x = longitude, y = latitude). Distances are in
//! km with the local equirectangular approximation *at the query point's
//! latitude*: `d = R·√(Δφ² + (cos φₚ·Δλ)²)`, R = 6371.0088 km. Over the few
//! km that matter for the border margin this is within a fraction of a percent
//! of the geodesic distance; for "outside, nearest is 80 km away" it is within
//! a few percent. Layers must not cross the antimeridian.
//!
//! Every shortcut below is conservative: a cell only answers directly when the
//! answer is provably right for every point inside it, using bounds that take
//! the smallest/largest `cos φ` over the cell so that they hold for any point's
//! own metric.

use std::collections::HashMap;
use std::hint::select_unpredictable;
use std::ops::Range;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::error::CoordError;
use crate::layer::Layer;

/// Kilometres per degree of latitude (mean Earth radius 6371.0088 km).
pub const KM_PER_DEG: f64 = 6371.0088 * std::f64::consts::PI / 180.0;

/// Target cell edge (km) and the cap on the number of cells, so the grid build
/// stays in the low milliseconds whatever the layer's extent.
const CELL_KM: f64 = 1.5;
const MAX_CELLS: f64 = 600_000.0;
/// Cells are stored per block of BxB cells (see [`Grid::blocks`]).
const BLOCK: usize = 4;
/// Super-blocks of SUPER x SUPER blocks query the R-tree once for the nearest
/// sets of their cells.
const SUPER: usize = 4;
/// Slack (km) added to every conservative threshold against rounding.
const EPS_KM: f64 = 1e-6;

/// In a mixed cell's container list: the jurisdiction contains the whole cell.
const CONST_BIT: u32 = 1 << 31;
const TAG_SHIFT: u32 = 30;
const PAYLOAD: u32 = (1 << TAG_SHIFT) - 1;
/// Cell entirely inside one jurisdiction and farther than the margin from every boundary.
const TAG_INSIDE: u32 = 0;
/// Cell entirely outside every jurisdiction and farther than the margin from every boundary.
const TAG_OUTSIDE: u32 = 1;
/// A boundary is within the margin of some point of the cell: per-point work.
const TAG_MIXED: u32 = 2;
/// Overlapping jurisdictions: always take the exact path.
const TAG_SLOW: u32 = 3;
/// In a block's code (never a cell's): the block's cells differ, they are in
/// `Grid::lines` at the payload.
const TAG_LINE: u32 = TAG_MIXED;

#[derive(Clone, Copy, Debug)]
struct Seg {
    ax: f64,
    ay: f64,
    bx: f64,
    by: f64,
    /// dx/dy, for the point-in-polygon crossing test without a division (0 if horizontal).
    k: f64,
    poly: u32,
}

impl Seg {
    fn bbox(&self) -> [f64; 4] {
        [self.ax.min(self.bx), self.ay.min(self.by), self.ax.max(self.bx), self.ay.max(self.by)]
    }
}

/// Distance in km from (px, py) to the segment, with longitude differences
/// scaled by `c` (cos of a latitude). With `c = cos φₚ` this is the documented
/// metric; with a smaller `c` it is a lower bound of it.
#[inline]
fn seg_dist(px: f64, py: f64, c: f64, s: &Seg) -> f64 {
    km(seg_sq(px, py, c, s))
}

/// The square of [`seg_dist`] before its conversion to km (degrees of
/// latitude squared): a mixed cell takes the nearest of one jurisdiction's
/// segments by it, then one square root.
#[inline]
fn seg_sq(px: f64, py: f64, c: f64, s: &Seg) -> f64 {
    let ax = (s.ax - px) * c;
    let ay = s.ay - py;
    let dx = (s.bx - px) * c - ax;
    let dy = s.by - py - ay;
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let qx = ax + t * dx;
    let qy = ay + t * dy;
    qx * qx + qy * qy
}

/// km from a [`seg_sq`] value.
#[inline]
fn km(sq: f64) -> f64 {
    sq.sqrt() * KM_PER_DEG
}

/// The nearest boundary found so far: its distance (km) and jurisdiction.
#[derive(Clone, Copy, Debug)]
struct Nearest {
    km: f64,
    poly: u32,
}

impl Nearest {
    const NONE: Nearest = Nearest { km: f64::INFINITY, poly: u32::MAX };

    /// Keeps the nearer; on a tie in km the lower jurisdiction index, on
    /// every path. (Compared in km, not in squares: two counties' copies of
    /// a shared vertex can differ in the last place of their squares and
    /// not in their km.) Without a branch: which is nearer is a coin toss
    /// the processor would mispredict.
    #[inline]
    fn offer(&mut self, km: f64, poly: u32) {
        let nearer = (km < self.km) | ((km == self.km) & (poly < self.poly));
        self.poly = select_unpredictable(nearer, poly, self.poly);
        // `min` rather than a choice on `nearer`, which compiles to a branch.
        self.km = self.km.min(km);
    }
}

/// Whether the segment meets the rectangle `[min_lon, min_lat, max_lon,
/// max_lat]` grown by a hair. A segment that does not is more than the hair
/// away from every point of the rectangle, far beyond rounding in the
/// point-in-polygon test, which so gives the same answer all over it.
fn seg_meets_rect(s: &Seg, r: [f64; 4]) -> bool {
    const HAIR: f64 = 1e-9;
    let (x0, y0, x1, y1) = (r[0] - HAIR, r[1] - HAIR, r[2] + HAIR, r[3] + HAIR);
    let b = s.bbox();
    if b[2] < x0 || b[0] > x1 || b[3] < y0 || b[1] > y1 {
        return false;
    }
    // Within the bboxes: the segment misses only if all four corners are
    // strictly on one side of its line.
    let side = |x: f64, y: f64| (s.bx - s.ax) * (y - s.ay) - (s.by - s.ay) * (x - s.ax);
    let d = [side(x0, y0), side(x1, y0), side(x0, y1), side(x1, y1)];
    !(d.iter().all(|&v| v > 0.0) || d.iter().all(|&v| v < 0.0))
}

/// Whether the edge crosses the horizontal ray from (px, py) to its right,
/// counted half-open in y so a vertex counts once. Branch-free: crossings
/// are data-dependent and mispredict badly.
#[inline]
fn crosses(s: &Seg, px: f64, py: f64) -> bool {
    ((s.ay > py) != (s.by > py)) & (px < s.ax + (py - s.ay) * s.k)
}

/// Whether the edge can cross the ray to the right of some point of the
/// rectangle `[min_lon, min_lat, max_lon, max_lat]` grown by a hair: its
/// latitudes meet the rectangle's and it reaches the rectangle's west side.
/// An edge that cannot counts nothing in [`crosses`] for any of its points
/// (the hair is far beyond rounding in `crosses` and in finding a point's cell).
fn may_cross(s: &Seg, r: [f64; 4]) -> bool {
    const HAIR: f64 = 1e-9;
    s.ay != s.by && s.ay.max(s.by) >= r[1] - HAIR && s.ay.min(s.by) <= r[3] + HAIR && s.ax.max(s.bx) >= r[0] - HAIR
}

type Boxed = GeomWithData<Rectangle<[f64; 2]>, u32>;

fn boxed(b: [f64; 4], i: u32) -> Boxed {
    GeomWithData::new(Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]), i)
}

/// Where a point falls, as indices into the layer's jurisdictions.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Containing jurisdiction, or the nearest one when `outside`.
    pub primary: Option<usize>,
    pub outside: bool,
    /// Distance to `primary` when outside.
    pub distance_km: Option<f64>,
    pub near_border: bool,
    /// Other jurisdictions whose boundary is within the margin: (index, km), nearest first.
    pub candidates: Vec<(usize, f64)>,
}

/// A [`Hit`] without its candidates, which stay in [`Scratch`]: the hot path
/// allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Found {
    pub primary: Option<usize>,
    pub outside: bool,
    pub distance_km: Option<f64>,
    pub near_border: bool,
}

impl Found {
    fn inside(primary: usize) -> Found {
        Found { primary: Some(primary), outside: false, distance_km: None, near_border: false }
    }

    fn hit(self, candidates: &[(usize, f64)]) -> Hit {
        Hit {
            primary: self.primary,
            outside: self.outside,
            distance_km: self.distance_km,
            near_border: self.near_border,
            candidates: candidates.to_vec(),
        }
    }
}

/// Distance bounds between a lon/lat rectangle and a segment that hold for
/// every point p of the rectangle under p's own metric (cos φₚ lies between
/// `cmin` and `cmax`): triangle inequality through the centre.
struct RectBounds {
    cx: f64,
    cy: f64,
    cmin: f64,
    cmax: f64,
    hd_min: f64,
    hd_max: f64,
}

impl RectBounds {
    fn new(rect: [f64; 4]) -> RectBounds {
        let lo = if rect[1] <= 0.0 && rect[3] >= 0.0 { 0.0 } else { rect[1].abs().min(rect[3].abs()) };
        let hi = rect[1].abs().max(rect[3].abs()).min(90.0);
        let cmin = hi.to_radians().cos().max(0.0);
        let cmax = lo.to_radians().cos();
        let (w, h) = ((rect[2] - rect[0]) / 2.0, (rect[3] - rect[1]) / 2.0);
        RectBounds {
            cx: (rect[0] + rect[2]) / 2.0,
            cy: (rect[1] + rect[3]) / 2.0,
            cmin,
            cmax,
            hd_min: KM_PER_DEG * (h * h + (cmin * w).powi(2)).sqrt(),
            hd_max: KM_PER_DEG * (h * h + (cmax * w).powi(2)).sqrt(),
        }
    }

    /// d_p(p, s) <= d_p(p, c) + d_p(c, s) <= hd_max + dist(c, s; cmax)
    fn upper(&self, s: &Seg) -> f64 {
        seg_dist(self.cx, self.cy, self.cmax, s) + self.hd_max + EPS_KM
    }

    /// d_p(p, s) >= m(p, s) >= m(c, s) - m(c, p), m the metric with cmin
    fn lower(&self, s: &Seg) -> f64 {
        seg_dist(self.cx, self.cy, self.cmin, s) - self.hd_min - EPS_KM
    }
}

/// See [`LayerIndex::lookup`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lookup {
    Found(Found),
    /// A mixed cell, its list at this offset of the grid's data.
    Mixed(usize),
    /// Off the grid, or where jurisdictions overlap.
    Exact,
}

/// Most jurisdictions a mixed cell's list may name for [`LayerIndex::mixed`];
/// a cell with more takes the exact path.
pub(crate) const NEAR_MAX: usize = 8;

/// Jurisdictions within the margin of a point (index, km), kept on the stack:
/// those of a mixed cell's list, or the candidates made from them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NearList {
    len: usize,
    items: [(u32, f64); NEAR_MAX],
}

impl NearList {
    const EMPTY: NearList = NearList { len: 0, items: [(0, 0.0); NEAR_MAX] };

    pub(crate) fn as_slice(&self) -> &[(u32, f64)] {
        &self.items[..self.len]
    }

    /// The caller keeps to [`NEAR_MAX`] entries.
    #[inline]
    fn push(&mut self, poly: u32, d: f64) {
        self.items[self.len] = (poly, d);
        self.len += 1;
    }

    /// All but `primary`, nearest first (ties by index), as candidates.
    #[inline]
    fn candidates(&self, primary: u32) -> NearList {
        let mut out = NearList::EMPTY;
        for &(p, d) in self.as_slice() {
            if p != primary {
                out.push(p, d);
            }
        }
        if out.len > 1 {
            out.items[..out.len].sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        }
        out
    }
}

/// Reusable scratch space so the hot path does not allocate.
#[derive(Debug, Default)]
pub struct Scratch {
    near: Vec<(u32, f64)>,
    containers: Vec<u32>,
    /// The last answer's candidates (see [`Hit::candidates`]).
    pub(crate) candidates: Vec<(usize, f64)>,
}

impl Scratch {
    /// Empty; allocates nothing until used.
    pub const fn new() -> Scratch {
        Scratch { near: Vec::new(), containers: Vec::new(), candidates: Vec::new() }
    }
}

/// The codes of one block's BLOCK x BLOCK cells, row by row: one cache line.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Line([u32; BLOCK * BLOCK]);

#[derive(Debug)]
struct Grid {
    /// South-west corner, and the reciprocals of the cell width and height:
    /// a point's cell is found without a division. (Rounding may put a point
    /// a hair outside its cell's rectangle; every shortcut allows for it.)
    x0: f64,
    y0: f64,
    inv_cw: f64,
    inv_ch: f64,
    /// Columns and rows.
    nx_f: f64,
    ny_f: f64,
    /// Two levels, because random points are bound by cache misses, not
    /// arithmetic: one code per block of BLOCK x BLOCK cells (small enough to
    /// stay in cache), the code every cell of the block shares when they all
    /// do (inside one jurisdiction, outside with the same nearest set, slow), else
    /// `TAG_LINE` and the index of the block's cell codes in `lines`.
    blocks: Vec<u32>,
    lines: Vec<Line>,
    /// Packed lists, so a query touches one run of `data`; cells with the
    /// same lists share them. Outside cell: its nearest set, `[n, seg x n]`;
    /// mixed cell: see step 5 of [`LayerIndex::build_grid`].
    data: Vec<u32>,
    bnx: usize,
    /// Number of cells and of mixed cells (diagnostics).
    ncells: usize,
    nmixed: usize,
    stats: String,
}

impl Grid {
    /// The cell (column, row) holding a point, if it is on the grid.
    #[inline]
    fn cell_of(&self, lat: f64, lon: f64) -> Option<(usize, usize)> {
        let fi = (lon - self.x0) * self.inv_cw;
        let fj = (lat - self.y0) * self.inv_ch;
        // Through u32, which converts in fewer instructions than usize.
        if fi >= 0.0 && fj >= 0.0 && fi < self.nx_f && fj < self.ny_f {
            Some((fi as u32 as usize, fj as u32 as usize))
        } else {
            None
        }
    }

    /// The code of cell (i, j), which must be on the grid.
    #[inline]
    fn cell(&self, i: usize, j: usize) -> u32 {
        let b = self.blocks[(j / BLOCK) * self.bnx + i / BLOCK];
        // Without a branch (whether a block has per-cell codes is a coin toss
        // for random points): a uniform block reads line 0, kept for this,
        // and ignores it.
        let per_cell = b >> TAG_SHIFT == TAG_LINE;
        let line = select_unpredictable(per_cell, (b & PAYLOAD) as usize, 0);
        let code = self.lines[line].0[(j % BLOCK) * BLOCK + i % BLOCK];
        select_unpredictable(per_cell, code, b)
    }
}

/// Spatial index over a [`Layer`].
#[derive(Debug)]
pub struct LayerIndex {
    margin_km: f64,
    segs: Vec<Seg>,
    poly_segs: Vec<Range<usize>>,
    poly_bbox: Vec<[f64; 4]>,
    seg_tree: RTree<Boxed>,
    poly_tree: RTree<Boxed>,
    grid: Grid,
}

impl LayerIndex {
    pub fn build(layer: &Layer) -> LayerIndex {
        let margin_km = layer.margin_km();
        let mut segs = Vec::new();
        let mut poly_segs = Vec::new();
        let mut poly_bbox = Vec::new();
        for (pi, j) in layer.jurisdictions().iter().enumerate() {
            let start = segs.len();
            for p in &j.geometry.0 {
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    for w in ring.0.windows(2) {
                        let (a, b) = (w[0], w[1]);
                        // Zero-length segments change neither parity nor distance.
                        if a != b {
                            let k = if b.y != a.y { (b.x - a.x) / (b.y - a.y) } else { 0.0 };
                            segs.push(Seg { ax: a.x, ay: a.y, bx: b.x, by: b.y, k, poly: pi as u32 });
                        }
                    }
                }
            }
            poly_segs.push(start..segs.len());
            poly_bbox.push(j.bbox);
        }
        let seg_tree = RTree::bulk_load(segs.iter().enumerate().map(|(i, s)| boxed(s.bbox(), i as u32)).collect());
        let poly_tree = RTree::bulk_load(poly_bbox.iter().enumerate().map(|(i, b)| boxed(*b, i as u32)).collect());
        let mut index = LayerIndex {
            margin_km,
            segs,
            poly_segs,
            poly_bbox,
            seg_tree,
            poly_tree,
            grid: Grid {
                x0: 0.0,
                y0: 0.0,
                inv_cw: 1.0,
                inv_ch: 1.0,
                nx_f: 0.0,
                ny_f: 0.0,
                blocks: Vec::new(),
                lines: Vec::new(),
                data: Vec::new(),
                bnx: 0,
                ncells: 0,
                nmixed: 0,
                stats: String::new(),
            },
        };
        index.grid = index.build_grid(layer.bbox());
        index
    }

    pub fn margin_km(&self) -> f64 {
        self.margin_km
    }

    /// Number of grid cells, and how many need per-point work (for diagnostics).
    pub fn grid_stats(&self) -> (usize, usize) {
        (self.grid.ncells, self.grid.nmixed)
    }

    /// Average list lengths (diagnostics).
    #[doc(hidden)]
    pub fn debug_stats(&self) -> String {
        self.grid.stats.clone()
    }

    fn build_grid(&self, bbox: [f64; 4]) -> Grid {
        let m = self.margin_km;
        // Cover the layer's bbox plus the margin, so every point that can be
        // within the margin of a boundary lands in the grid.
        let max_abs_lat = bbox[1].abs().max(bbox[3].abs());
        let lat_pad = (m + 1.0) / KM_PER_DEG;
        let c_pad = (max_abs_lat + lat_pad).min(89.9).to_radians().cos();
        let lon_pad = (m + 1.0) / (KM_PER_DEG * c_pad);
        let x0 = (bbox[0] - lon_pad).max(-180.0);
        let x1 = (bbox[2] + lon_pad).min(180.0);
        let y0 = (bbox[1] - lat_pad).max(-90.0);
        let y1 = (bbox[3] + lat_pad).min(90.0);
        let c_mid = ((y0 + y1) / 2.0).to_radians().cos().max(0.01);
        let w_km = (x1 - x0) * KM_PER_DEG * c_mid;
        let h_km = (y1 - y0) * KM_PER_DEG;
        let cell_km = CELL_KM.max((w_km * h_km / MAX_CELLS).sqrt());
        let nx = ((w_km / cell_km).ceil() as usize).max(1);
        let ny = ((h_km / cell_km).ceil() as usize).max(1);
        let cw = (x1 - x0) / nx as f64;
        let ch = (y1 - y0) / ny as f64;
        let ncells = nx * ny;

        // Per row: the smallest cos φ in the row (so scaled distances are lower
        // bounds for every point of the row) and the cell half-diagonal in that metric.
        let row_c: Vec<f64> = (0..ny)
            .map(|j| {
                let lo = y0 + j as f64 * ch;
                let hi = lo + ch;
                lo.abs().max(hi.abs()).min(90.0).to_radians().cos().max(0.0)
            })
            .collect();
        let row_t: Vec<f64> = row_c
            .iter()
            .map(|&c| {
                let hd = KM_PER_DEG * ((ch / 2.0).powi(2) + (c * cw / 2.0).powi(2)).sqrt();
                m + hd + EPS_KM
            })
            .collect();
        let t_max = row_t.iter().cloned().fold(0.0, f64::max);

        // 1. Mark cells: segment s goes in cell k's list if, for some point p of
        //    the cell, d_p(p, s) <= margin might hold. Test: scaled distance from
        //    the centre <= margin + half-diagonal (triangle inequality).
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let col = |x: f64| ((x - x0) / cw).floor().clamp(0.0, (nx - 1) as f64) as usize;
        let row = |y: f64| ((y - y0) / ch).floor().clamp(0.0, (ny - 1) as f64) as usize;
        for (si, s) in self.segs.iter().enumerate() {
            let b = s.bbox();
            let j0 = row(b[1] - t_max / KM_PER_DEG);
            let j1 = row(b[3] + t_max / KM_PER_DEG);
            for j in j0..=j1 {
                let c = row_c[j];
                let t = row_t[j];
                let (i0, i1) = if c > 1e-9 {
                    let slack = t / (KM_PER_DEG * c);
                    (col(b[0] - slack), col(b[2] + slack))
                } else {
                    (0, nx - 1)
                };
                let cy = y0 + (j as f64 + 0.5) * ch;
                for i in i0..=i1 {
                    let cx = x0 + (i as f64 + 0.5) * cw;
                    if seg_dist(cx, cy, c, s) <= t {
                        pairs.push(((j * nx + i) as u32, si as u32));
                    }
                }
            }
        }
        // Counting sort into per-cell lists.
        let mut count = vec![0u32; ncells];
        for &(k, _) in &pairs {
            count[k as usize] += 1;
        }
        let mut cells = vec![u32::MAX; ncells];
        let mut mixed_seg_off = vec![0u32];
        let mut cell_start = vec![0u32; ncells];
        for k in 0..ncells {
            if count[k] > 0 {
                let mi = (mixed_seg_off.len() - 1) as u32;
                cells[k] = (TAG_MIXED << TAG_SHIFT) | mi;
                cell_start[k] = *mixed_seg_off.last().unwrap_or(&0);
                mixed_seg_off.push(cell_start[k] + count[k]);
            }
        }
        let mut mixed_seg = vec![0u32; pairs.len()];
        for &(k, si) in &pairs {
            let pos = &mut cell_start[k as usize];
            mixed_seg[*pos as usize] = si;
            *pos += 1;
        }
        let nmixed = mixed_seg_off.len() - 1;

        // 2. Containers of mixed cells. Per jurisdiction Q, over the cells of its
        //    bbox: a cell that one of Q's segments meets needs a point-in-polygon
        //    test at query time (TEST); elsewhere Q's boundary does not cross the
        //    cell, so Q's containment is constant over each 4-connected region
        //    of such cells: one test per region decides (CONST when inside).
        //    Pairs were pushed in segment order, and a jurisdiction's segments
        //    are contiguous, so its pairs are too (every segment meeting a cell
        //    is in the cell's list).
        let mut ppairs: Vec<(u32, u32)> = Vec::new();
        let mut pair_at = 0usize;
        let mut win: Vec<u8> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        for (pi, b) in self.poly_bbox.iter().enumerate() {
            let (i0, i1, j0, j1) = (col(b[0]), col(b[2]), row(b[1]), row(b[3]));
            let w = i1 - i0 + 1;
            let h = j1 - j0 + 1;
            win.clear();
            win.resize(w * h, 0); // 0 unvisited, 1 touched, 2 inside, 3 outside
            let segs = &self.poly_segs[pi];
            while pair_at < pairs.len() && (pairs[pair_at].1 as usize) < segs.end {
                let (k, si) = (pairs[pair_at].0 as usize, pairs[pair_at].1 as usize);
                let (i, j) = (k % nx, k / nx);
                let rect = [x0 + i as f64 * cw, y0 + j as f64 * ch, x0 + (i + 1) as f64 * cw, y0 + (j + 1) as f64 * ch];
                if (i0..=i1).contains(&i) && (j0..=j1).contains(&j) && seg_meets_rect(&self.segs[si], rect) {
                    win[(j - j0) * w + (i - i0)] = 1;
                }
                pair_at += 1;
            }
            for lj in 0..h {
                for li in 0..w {
                    let code = cells[(j0 + lj) * nx + i0 + li];
                    if code >> TAG_SHIFT != TAG_MIXED {
                        continue;
                    }
                    let mi = code & PAYLOAD;
                    let l = lj * w + li;
                    if win[l] == 0 {
                        let cx = x0 + ((i0 + li) as f64 + 0.5) * cw;
                        let cy = y0 + ((j0 + lj) as f64 + 0.5) * ch;
                        let label = if self.contains(pi, cx, cy, &[]) { 2 } else { 3 };
                        flood_fill(&mut win, w, h, l, 0, label, &mut stack);
                    }
                    match win[l] {
                        1 => ppairs.push((mi, pi as u32)),
                        2 => ppairs.push((mi, pi as u32 | CONST_BIT)),
                        _ => {}
                    }
                }
            }
        }
        let mut pcount = vec![0u32; nmixed + 1];
        for &(mi, _) in &ppairs {
            pcount[mi as usize + 1] += 1;
        }
        for k in 0..nmixed {
            pcount[k + 1] += pcount[k];
        }
        let mixed_poly_off = pcount.clone();
        let mut mixed_poly = vec![0u32; ppairs.len()];
        for &(mi, pi) in &ppairs {
            let pos = &mut pcount[mi as usize];
            mixed_poly[*pos as usize] = pi;
            *pos += 1;
        }

        // 3. Unmarked cells: no boundary crosses them or their shared edges, so
        //    containment is constant over each 4-connected component. One
        //    exact point-in-polygon test per component.
        let mut scratch = Vec::new();
        for start in 0..ncells {
            if cells[start] != u32::MAX {
                continue;
            }
            let (i, j) = (start % nx, start / nx);
            let cx = x0 + (i as f64 + 0.5) * cw;
            let cy = y0 + (j as f64 + 0.5) * ch;
            self.containers_brute(cx, cy, &mut scratch);
            let code = match scratch.as_slice() {
                [] => TAG_OUTSIDE << TAG_SHIFT,
                [p] => (TAG_INSIDE << TAG_SHIFT) | *p,
                _ => TAG_SLOW << TAG_SHIFT,
            };
            flood_fill(&mut cells, nx, ny, start, u32::MAX, code, &mut stack);
        }

        // 4. Cells where a point can be outside every jurisdiction with no
        //    boundary within the margin (far-outside cells, and mixed cells
        //    that no jurisdiction contains whole) get the set of segments
        //    that can be nearest to any of their points: found per super-block
        //    with the R-tree, narrowed per block, then per cell. A query
        //    measures them all, without a branch to stop early; cells with the
        //    same set share it.
        let bnx = nx.div_ceil(BLOCK);
        let bny = ny.div_ceil(BLOCK);
        let rect_of = |i0: usize, j0: usize, i1: usize, j1: usize| {
            [x0 + i0 as f64 * cw, y0 + j0 as f64 * ch, x0 + i1.min(nx) as f64 * cw, y0 + j1.min(ny) as f64 * ch]
        };
        let mixed_whole: Vec<bool> = (0..nmixed)
            .map(|mi| {
                mixed_poly[mixed_poly_off[mi] as usize..mixed_poly_off[mi + 1] as usize]
                    .iter()
                    .any(|&e| e & CONST_BIT != 0)
            })
            .collect();
        let needs_nearest = |k: usize| match cells[k] >> TAG_SHIFT {
            TAG_OUTSIDE => true,
            TAG_MIXED => !mixed_whole[(cells[k] & PAYLOAD) as usize],
            _ => false,
        };
        let any_needs = |i0: usize, j0: usize, i1: usize, j1: usize| {
            (j0..j1.min(ny)).any(|j| (i0..i1.min(nx)).any(|i| needs_nearest(j * nx + i)))
        };
        let step = BLOCK * SUPER;
        let (mut parent, mut block_list, mut cell_list) = (Vec::new(), Vec::new(), Vec::new());
        // Per cell: index of its set in `sets`, or u32::MAX.
        let mut cell_set = vec![u32::MAX; ncells];
        let mut sets: Vec<Vec<u32>> = Vec::new();
        let mut set_ids: HashMap<Vec<u32>, u32> = HashMap::new();
        for sj in (0..ny).step_by(step) {
            for si in (0..nx).step_by(step) {
                if !any_needs(si, sj, si + step, sj + step) {
                    continue;
                }
                parent.clear();
                self.nearest_candidates_tree(rect_of(si, sj, si + step, sj + step), &mut parent);
                for bj in (sj / BLOCK)..((sj + step) / BLOCK).min(bny) {
                    for bi in (si / BLOCK)..((si + step) / BLOCK).min(bnx) {
                        let (i0, j0) = (bi * BLOCK, bj * BLOCK);
                        if !any_needs(i0, j0, i0 + BLOCK, j0 + BLOCK) {
                            continue;
                        }
                        block_list.clear();
                        self.nearest_filter(rect_of(i0, j0, i0 + BLOCK, j0 + BLOCK), &parent, &mut block_list);
                        for j in j0..(j0 + BLOCK).min(ny) {
                            for i in i0..(i0 + BLOCK).min(nx) {
                                if !needs_nearest(j * nx + i) {
                                    continue;
                                }
                                cell_list.clear();
                                self.nearest_filter(rect_of(i, j, i + 1, j + 1), &block_list, &mut cell_list);
                                cell_list.sort_unstable();
                                cell_set[j * nx + i] = match set_ids.get(&cell_list) {
                                    Some(&id) => id,
                                    None => {
                                        sets.push(cell_list.clone());
                                        set_ids.insert(cell_list.clone(), (sets.len() - 1) as u32);
                                        (sets.len() - 1) as u32
                                    }
                                };
                            }
                        }
                    }
                }
            }
        }

        // 5. Pack the lists next to each other and point the cells at them.
        let set_entries: usize = sets.iter().map(Vec::len).sum();
        let outside_cells = cells.iter().filter(|&&c| c >> TAG_SHIFT == TAG_OUTSIDE).count();
        let outside_entries: usize = (0..ncells)
            .filter(|&k| cells[k] >> TAG_SHIFT == TAG_OUTSIDE)
            .map(|k| sets[cell_set[k] as usize].len())
            .sum();
        let mut stats = format!(
            "mixed cells {nmixed}: segs/cell {:.1}, containers/cell {:.2} ({} whole-cell); \
             outside cells {outside_cells}: segs/cell {:.1}; {} nearest sets, {set_entries} entries; \
             boundary segments {}",
            mixed_seg.len() as f64 / nmixed.max(1) as f64,
            mixed_poly.len() as f64 / nmixed.max(1) as f64,
            mixed_poly.iter().filter(|&&e| e & CONST_BIT != 0).count(),
            outside_entries as f64 / outside_cells.max(1) as f64,
            sets.len(),
            self.segs.len()
        );
        let mut data: Vec<u32> =
            Vec::with_capacity(sets.len() + set_entries + 3 * nmixed + mixed_seg.len() + mixed_poly.len());
        let mut set_at = Vec::with_capacity(sets.len());
        for set in &sets {
            set_at.push(data.len() as u32);
            data.push(set.len() as u32);
            data.extend_from_slice(set);
        }
        let near_at = |k: usize| if cell_set[k] == u32::MAX { u32::MAX } else { set_at[cell_set[k] as usize] };
        // A mixed cell: `[ngroup, npoly, nearest set, group.., poly..]`. A
        // group is one jurisdiction's segments in the cell's list (they are
        // in segment order, so a jurisdiction's are together): `[poly, n,
        // seg x n]`. A poly is `poly | CONST_BIT` when it contains the whole
        // cell, else `[poly, n, edge x n]` with the only edges of its
        // boundary that can count in the even-odd test of a point of the
        // cell. Neighbouring cells often encode the same: stored once.
        let mut seen: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut enc: Vec<u32> = Vec::new();
        let mut edges_kept = 0usize;
        for (k, code) in cells.iter_mut().enumerate() {
            match *code >> TAG_SHIFT {
                TAG_OUTSIDE => *code = (TAG_OUTSIDE << TAG_SHIFT) | near_at(k),
                TAG_MIXED => {
                    let mi = (*code & PAYLOAD) as usize;
                    let sl = &mixed_seg[mixed_seg_off[mi] as usize..mixed_seg_off[mi + 1] as usize];
                    let pl = &mixed_poly[mixed_poly_off[mi] as usize..mixed_poly_off[mi + 1] as usize];
                    let (i, j) = (k % nx, k / nx);
                    let rect = rect_of(i, j, i + 1, j + 1);
                    enc.clear();
                    enc.extend([0, pl.len() as u32, near_at(k)]);
                    for group in sl.chunk_by(|&a, &b| self.segs[a as usize].poly == self.segs[b as usize].poly) {
                        enc[0] += 1;
                        enc.extend([self.segs[group[0] as usize].poly, group.len() as u32]);
                        enc.extend_from_slice(group);
                    }
                    for &e in pl {
                        if e & CONST_BIT != 0 {
                            enc.push(e);
                            continue;
                        }
                        let at = enc.len();
                        enc.extend([e, 0]);
                        for si in self.poly_segs[e as usize].clone() {
                            if may_cross(&self.segs[si], rect) {
                                enc.push(si as u32);
                            }
                        }
                        enc[at + 1] = (enc.len() - at - 2) as u32;
                        edges_kept += enc.len() - at - 2;
                    }
                    let at = match seen.get(&enc) {
                        Some(&at) => at,
                        None => {
                            let at = data.len() as u32;
                            data.extend_from_slice(&enc);
                            seen.insert(enc.clone(), at);
                            at
                        }
                    };
                    *code = (TAG_MIXED << TAG_SHIFT) | at;
                }
                _ => {}
            }
        }
        let tests = mixed_poly.iter().filter(|&&e| e & CONST_BIT == 0).count();
        stats += &format!("; point in polygon: {:.1} edges per test", edges_kept as f64 / tests.max(1) as f64);
        assert!(data.len() < PAYLOAD as usize, "grid too large");

        // 6. Blocks whose cells all share one code keep only that code.
        let mut blocks = Vec::with_capacity(bnx * bny);
        // Line 0 is read, and ignored, for uniform blocks (see `Grid::cell`).
        let mut lines = vec![Line([u32::MAX; BLOCK * BLOCK])];
        for bj in 0..bny {
            for bi in 0..bnx {
                let mut line = Line([u32::MAX; BLOCK * BLOCK]);
                let mut shared = None;
                let mut uniform = true;
                for dj in 0..BLOCK {
                    for di in 0..BLOCK {
                        let (i, j) = (bi * BLOCK + di, bj * BLOCK + dj);
                        if i >= nx || j >= ny {
                            continue;
                        }
                        let code = cells[j * nx + i];
                        line.0[dj * BLOCK + di] = code;
                        uniform &= code >> TAG_SHIFT != TAG_MIXED && *shared.get_or_insert(code) == code;
                    }
                }
                match shared {
                    Some(code) if uniform => blocks.push(code),
                    _ => {
                        blocks.push((TAG_LINE << TAG_SHIFT) | lines.len() as u32);
                        lines.push(line);
                    }
                }
            }
        }

        stats += &format!(
            "; blocks {}: {} with per-cell codes; list data {} KiB",
            blocks.len(),
            lines.len() - 1,
            data.len() * 4 / 1024
        );
        Grid {
            x0,
            y0,
            inv_cw: 1.0 / cw,
            inv_ch: 1.0 / ch,
            nx_f: nx as f64,
            ny_f: ny as f64,
            blocks,
            lines,
            data,
            bnx,
            ncells,
            nmixed,
            stats,
        }
    }

    /// Candidates for the nearest segment of any point of `rect`
    /// (`[min_lon, min_lat, max_lon, max_lat]`), found with the R-tree.
    fn nearest_candidates_tree(&self, rect: [f64; 4], out: &mut Vec<u32>) {
        let centre = [(rect[0] + rect[2]) / 2.0, (rect[1] + rect[3]) / 2.0];
        let Some(first) = self.seg_tree.nearest_neighbor(&centre) else {
            return;
        };
        let b = RectBounds::new(rect);
        let u = b.upper(&self.segs[first.data as usize]);
        // Any segment that can be nearest has its closest point within `u` of
        // some point of the rect: inside the rect grown by u (lon scaled by cmin).
        let dy = u / KM_PER_DEG;
        let dx = if b.cmin > 1e-9 { u / (KM_PER_DEG * b.cmin) } else { 360.0 };
        let env = AABB::from_corners([rect[0] - dx, rect[1] - dy], [rect[2] + dx, rect[3] + dy]);
        let found: Vec<u32> = self.seg_tree.locate_in_envelope_intersecting(&env).map(|e| e.data).collect();
        self.nearest_filter(rect, &found, out);
    }

    /// Appends to `out` the segments of `from` that can be the nearest one for
    /// some point of `rect`, given that `from` holds every segment that can.
    /// With U = min over segments of an upper bound of their distance from any
    /// point of the rect, a segment whose lower bound exceeds U never is.
    fn nearest_filter(&self, rect: [f64; 4], from: &[u32], out: &mut Vec<u32>) {
        let b = RectBounds::new(rect);
        let u = from.iter().map(|&si| b.upper(&self.segs[si as usize])).fold(f64::INFINITY, f64::min);
        out.extend(from.iter().copied().filter(|&si| b.lower(&self.segs[si as usize]) <= u));
    }

    /// Nearest boundary to (px, py) among the set at `at` (`[n, segment x n]`)
    /// and `best`.
    #[inline]
    fn nearest_in_set(&self, at: usize, px: f64, py: f64, c: f64, mut best: Nearest) -> Nearest {
        let data = &self.grid.data;
        let n = data[at] as usize;
        for &si in &data[at + 1..at + 1 + n] {
            let s = &self.segs[si as usize];
            best.offer(km(seg_sq(px, py, c, s)), s.poly);
        }
        best
    }

    /// Which kind of grid cell a point falls in: 0 inside, 1 outside, 2 mixed,
    /// 3 slow, 4 off the grid. For diagnostics and benchmarks.
    #[doc(hidden)]
    pub fn cell_class(&self, lat: f64, lon: f64) -> u8 {
        match self.grid.cell_of(lat, lon) {
            Some((i, j)) => (self.grid.cell(i, j) >> TAG_SHIFT) as u8,
            None => 4,
        }
    }

    /// Checks coordinates.
    pub fn check(lat: f64, lon: f64) -> Result<(), CoordError> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(CoordError::NotFinite { lat, lon });
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::LatOutOfRange(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::LonOutOfRange(lon));
        }
        Ok(())
    }

    /// Locates a point using the grid.
    pub fn locate(&self, lat: f64, lon: f64, scratch: &mut Scratch) -> Result<Hit, CoordError> {
        let found = self.find(lat, lon, scratch)?;
        Ok(found.hit(&scratch.candidates))
    }

    /// [`LayerIndex::locate`] leaving the candidates in `scratch.candidates`.
    pub(crate) fn find(&self, lat: f64, lon: f64, scratch: &mut Scratch) -> Result<Found, CoordError> {
        Ok(self.resolve(self.lookup(lat, lon)?, lat, lon, scratch))
    }

    /// The grid's answer for a point when its cell gives one without scratch
    /// space (inside and far-outside cells, three points in four of the
    /// shipped layer's box), else the work left for [`LayerIndex::resolve`].
    #[inline]
    pub(crate) fn lookup(&self, lat: f64, lon: f64) -> Result<Lookup, CoordError> {
        Self::check(lat, lon)?;
        let Some((i, j)) = self.grid.cell_of(lat, lon) else {
            return Ok(Lookup::Exact);
        };
        let code = self.grid.cell(i, j);
        let payload = (code & PAYLOAD) as usize;
        Ok(match code >> TAG_SHIFT {
            TAG_INSIDE => Lookup::Found(Found::inside(payload)),
            TAG_OUTSIDE => {
                let c = lat.to_radians().cos();
                let best = self.nearest_in_set(payload, lon, lat, c, Nearest::NONE);
                Lookup::Found(Found {
                    primary: Some(best.poly as usize),
                    outside: true,
                    distance_km: Some(best.km),
                    near_border: false,
                })
            }
            TAG_MIXED => Lookup::Mixed(payload),
            _ => Lookup::Exact,
        })
    }

    /// Finishes a [`LayerIndex::lookup`]; the candidates go to `scratch.candidates`.
    pub(crate) fn resolve(&self, lookup: Lookup, lat: f64, lon: f64, scratch: &mut Scratch) -> Found {
        match lookup {
            Lookup::Found(found) => {
                scratch.candidates.clear();
                found
            }
            Lookup::Mixed(at) => match self.mixed(at, lat, lon) {
                Some((found, candidates)) => {
                    scratch.candidates.clear();
                    scratch.candidates.extend(candidates.as_slice().iter().map(|&(p, d)| (p as usize, d)));
                    found
                }
                None => self.find_exact(lon, lat, scratch),
            },
            Lookup::Exact => self.find_exact(lon, lat, scratch),
        }
    }

    /// A point of the mixed cell whose list is at `at`: its answer and its
    /// candidates, all on the stack. `None` where the exact path must
    /// decide: more jurisdictions in the cell's list than [`NEAR_MAX`], or
    /// more than one containing the point (overlapping jurisdictions, or a
    /// point on a shared boundary).
    #[inline]
    pub(crate) fn mixed(&self, at: usize, lat: f64, lon: f64) -> Option<(Found, NearList)> {
        let (px, py) = (lon, lat);
        let data = &self.grid.data;
        let (ngroup, npoly, near_at) = (data[at] as usize, data[at + 1], data[at + 2]);
        if ngroup > NEAR_MAX {
            return None;
        }
        let c = py.to_radians().cos();
        let m = self.margin_km;
        let mut near = NearList::EMPTY;
        let mut best = Nearest::NONE;
        let mut k = at + 3;
        for _ in 0..ngroup {
            let (poly, n) = (data[k], data[k + 1] as usize);
            let mut sq = f64::INFINITY;
            for &si in &data[k + 2..k + 2 + n] {
                sq = sq.min(seg_sq(px, py, c, &self.segs[si as usize]));
            }
            k += 2 + n;
            let d = km(sq);
            best.offer(d, poly);
            if d <= m {
                near.push(poly, d);
            }
        }
        let (mut primary, mut containers) = (u32::MAX, 0);
        for _ in 0..npoly {
            let e = data[k];
            let (pi, inside) = if e & CONST_BIT != 0 {
                k += 1;
                (e & !CONST_BIT, true)
            } else {
                let n = data[k + 1] as usize;
                let inside = self.contains_with(e as usize, px, py, &data[k + 2..k + 2 + n], near.as_slice());
                k += 2 + n;
                (e, inside)
            };
            if inside {
                primary = pi;
                containers += 1;
            }
        }
        // As `finish` shapes it, for one container or none.
        Some(match containers {
            1 => {
                let own = near.as_slice().iter().find(|e| e.0 == primary).map_or(f64::INFINITY, |e| e.1);
                let candidates = near.candidates(primary);
                let found = Found {
                    primary: Some(primary as usize),
                    outside: false,
                    distance_km: None,
                    near_border: own <= m || !candidates.as_slice().is_empty(),
                };
                (found, candidates)
            }
            0 => {
                let mut d = best.km;
                if d > m {
                    // Outside, and no boundary within the margin: the nearest
                    // one may not be in this cell's list, it is in its nearest
                    // set (a cell without one is contained whole by some
                    // jurisdiction).
                    best = self.nearest_in_set(near_at as usize, px, py, c, best);
                    d = best.km;
                }
                let found = Found {
                    primary: Some(best.poly as usize),
                    outside: true,
                    distance_km: Some(d),
                    near_border: d <= m,
                };
                (found, near.candidates(best.poly))
            }
            _ => return None,
        })
    }

    /// Even-odd point in polygon over all rings of the jurisdiction; a point
    /// on its boundary (distance 0, found in `near`) counts as inside.
    fn contains(&self, pi: usize, px: f64, py: f64, near: &[(u32, f64)]) -> bool {
        self.contains_among(pi, px, py, self.segs[self.poly_segs[pi].clone()].iter(), near)
    }

    /// [`LayerIndex::contains`] counting only the edges listed, which must
    /// include every edge of the jurisdiction that crosses the horizontal ray
    /// from the point to its right: the others count nothing, so the answer
    /// is the same.
    #[inline]
    fn contains_with(&self, pi: usize, px: f64, py: f64, edges: &[u32], near: &[(u32, f64)]) -> bool {
        self.contains_among(pi, px, py, edges.iter().map(|&si| &self.segs[si as usize]), near)
    }

    #[inline]
    fn contains_among<'a>(
        &self,
        pi: usize,
        px: f64,
        py: f64,
        edges: impl Iterator<Item = &'a Seg>,
        near: &[(u32, f64)],
    ) -> bool {
        let b = &self.poly_bbox[pi];
        if px < b[0] || px > b[2] || py < b[1] || py > b[3] {
            return false;
        }
        let mut inside = false;
        for s in edges {
            inside ^= crosses(s, px, py);
        }
        inside || near.iter().any(|&(p, d)| p as usize == pi && d == 0.0)
    }

    /// Shapes the answer from the containers and the boundaries within the
    /// margin; the candidates go to `scratch.candidates`.
    fn finish(&self, px: f64, py: f64, c: f64, nearest: (f64, u32), scratch: &mut Scratch) -> Found {
        let m = self.margin_km;
        let Scratch { near, containers, candidates } = scratch;
        candidates.clear();
        let found = if let Some(&first) = containers.first() {
            // Several containers only when jurisdictions overlap: keep the one
            // whose boundary is farthest, list the others at distance 0.
            let mut primary = first;
            if containers.len() > 1 {
                let mut best_d = -1.0;
                for &p in containers.iter() {
                    let d = self.boundary_dist(p as usize, px, py, c);
                    if d > best_d {
                        best_d = d;
                        primary = p;
                    }
                }
            }
            let own = near.iter().find(|e| e.0 == primary).map(|e| e.1).unwrap_or(f64::INFINITY);
            candidates.extend(
                near.iter().filter(|e| e.0 != primary && !containers.contains(&e.0)).map(|&(p, d)| (p as usize, d)),
            );
            candidates.extend(containers.iter().filter(|&&p| p != primary).map(|&p| (p as usize, 0.0)));
            Found {
                primary: Some(primary as usize),
                outside: false,
                distance_km: None,
                // Within the margin of its own boundary: the true line may put
                // it in a neighbour, or outside the layer altogether.
                near_border: own <= m || !candidates.is_empty(),
            }
        } else {
            candidates.extend(near.iter().filter(|e| e.0 != nearest.1).map(|&(p, d)| (p as usize, d)));
            Found {
                primary: Some(nearest.1 as usize),
                outside: true,
                distance_km: Some(nearest.0),
                near_border: nearest.0 <= m,
            }
        };
        candidates.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found
    }

    /// Distance (km) from a point to jurisdiction `pi`'s boundary, by brute force.
    pub fn boundary_distance_km(&self, pi: usize, lat: f64, lon: f64) -> f64 {
        self.boundary_dist(pi, lon, lat, lat.to_radians().cos())
    }

    fn boundary_dist(&self, pi: usize, px: f64, py: f64, c: f64) -> f64 {
        self.segs[self.poly_segs[pi].clone()].iter().map(|s| seg_dist(px, py, c, s)).fold(f64::INFINITY, f64::min)
    }

    /// Containers by bbox scan, used at build time.
    fn containers_brute(&self, px: f64, py: f64, out: &mut Vec<u32>) {
        out.clear();
        for pi in 0..self.poly_bbox.len() {
            if self.contains(pi, px, py, &[]) {
                out.push(pi as u32);
            }
        }
    }

    /// Exact nearest boundary: R-tree entries in order of (degree) bbox distance;
    /// `R·cos φ·(degree distance)` is a lower bound of the metric, so we can stop.
    fn nearest_exact(&self, px: f64, py: f64, c: f64) -> Nearest {
        let mut best = Nearest::NONE;
        for (b, d2) in self.seg_tree.nearest_neighbor_iter_with_distance_2(&[px, py]) {
            if c * d2.sqrt() * KM_PER_DEG > best.km {
                break;
            }
            let s = &self.segs[b.data as usize];
            best.offer(seg_dist(px, py, c, s), s.poly);
        }
        best
    }

    /// The reference path without the grid (R-trees only). Same answers as
    /// [`LayerIndex::locate`]; slower.
    pub fn locate_exact(&self, lat: f64, lon: f64, scratch: &mut Scratch) -> Result<Hit, CoordError> {
        Self::check(lat, lon)?;
        let found = self.find_exact(lon, lat, scratch);
        Ok(found.hit(&scratch.candidates))
    }

    fn find_exact(&self, px: f64, py: f64, scratch: &mut Scratch) -> Found {
        let c = py.to_radians().cos();
        let m = self.margin_km;
        scratch.near.clear();
        scratch.containers.clear();
        let dy = m / KM_PER_DEG + 1e-9;
        let dx = if c > 1e-9 { m / (KM_PER_DEG * c) + 1e-9 } else { 360.0 };
        let env = AABB::from_corners([px - dx, py - dy], [px + dx, py + dy]);
        for b in self.seg_tree.locate_in_envelope_intersecting(&env) {
            let s = &self.segs[b.data as usize];
            let d = seg_dist(px, py, c, s);
            if d <= m {
                upsert(&mut scratch.near, s.poly, d);
            }
        }
        for b in self.poly_tree.locate_all_at_point(&[px, py]) {
            if self.contains(b.data as usize, px, py, &scratch.near) {
                scratch.containers.push(b.data);
            }
        }
        // Deterministic order regardless of the tree's.
        scratch.containers.sort_unstable();
        let nearest = if scratch.containers.is_empty() { self.nearest_exact(px, py, c) } else { Nearest::NONE };
        self.finish(px, py, c, (nearest.km, nearest.poly), scratch)
    }
}

#[inline]
fn upsert(near: &mut Vec<(u32, f64)>, poly: u32, d: f64) {
    for e in near.iter_mut() {
        if e.0 == poly {
            if d < e.1 {
                e.1 = d;
            }
            return;
        }
    }
    near.push((poly, d));
}

/// Give `label` to `start` and to every cell 4-connected to it through cells
/// still holding `empty`, in a `w` x `h` row-major grid. `stack` is scratch
/// space, reused across calls.
fn flood_fill<T: Copy + PartialEq>(
    grid: &mut [T],
    w: usize,
    h: usize,
    start: usize,
    empty: T,
    label: T,
    stack: &mut Vec<usize>,
) {
    grid[start] = label;
    stack.push(start);
    while let Some(k) = stack.pop() {
        let (i, j) = (k % w, k / w);
        let mut visit = |n: usize| {
            if grid[n] == empty {
                grid[n] = label;
                stack.push(n);
            }
        };
        if i > 0 {
            visit(k - 1);
        }
        if i + 1 < w {
            visit(k + 1);
        }
        if j > 0 {
            visit(k - w);
        }
        if j + 1 < h {
            visit(k + w);
        }
    }
}
