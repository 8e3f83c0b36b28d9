//! `cargo bench -p beacon-geo --bench locate`
//!
//! Index build time (median of several builds) and points/s for the public
//! API (`Gazetteer::locate`: a full answer per point, its text borrowed from
//! the gazetteer; and the same made into the owned `JurisdictionAssignment`
//! events store), the index alone (jurisdiction indices, no strings) and a
//! brute-force baseline, all on seeded uniformly random points over the
//! shipped layer's bounding box.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use beacon_geo::{Gazetteer, KM_PER_DEG, Layer, LayerIndex, Scratch};
use geo::{Contains, Coord};
use rand::{Rng, SeedableRng};

const N: usize = 1_000_000;
/// The brute-force baseline is ~100x slower: measure it on a prefix.
const N_BRUTE: usize = 50_000;

fn main() {
    let g = Gazetteer::default_layer().expect("default layer");
    let layer = g.layer();

    let mut builds: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            black_box(LayerIndex::build(black_box(layer)));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    builds.sort_by(f64::total_cmp);
    let (cells, mixed) = g.index().grid_stats();
    println!(
        "index build: median {:.2} ms (min {:.2}, max {:.2}) over {} builds; grid {} cells, {} mixed",
        builds[builds.len() / 2],
        builds[0],
        builds[builds.len() - 1],
        builds.len(),
        cells,
        mixed
    );

    println!("{}", g.index().debug_stats());
    let b = layer.bbox();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let pts: Vec<(f64, f64)> = (0..N).map(|_| (rng.random_range(b[1]..b[3]), rng.random_range(b[0]..b[2]))).collect();

    // The machine may be shared: three interleaved rounds, median reported.
    let idx = g.index();
    let mut scratch = Scratch::default();
    let mut out = beacon_domain::JurisdictionAssignment::unknown();
    let (mut plain, mut with, mut into, mut raw) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut plain_cpu, mut with_cpu, mut into_cpu, mut raw_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut owned, mut owned_cpu) = (Vec::new(), Vec::new());
    let (mut near, mut outside) = (0usize, 0usize);
    for _ in 0..3 {
        // Public API: a full answer per point (text borrowed from the gazetteer).
        let t = Instant::now();
        let c = cpu_ns();
        (near, outside) = (0, 0);
        for &(lat, lon) in &pts {
            let a = g.locate(lat, lon).unwrap();
            near += a.near_border as usize;
            outside += a.outside as usize;
            black_box(a);
        }
        plain.push(N as f64 / t.elapsed().as_secs_f64() / 1e6);
        plain_cpu.push(N as f64 / (cpu_ns() - c) as f64 * 1e3);
        // The same made into the owned value events store (allocates its strings).
        let t = Instant::now();
        let c = cpu_ns();
        for &(lat, lon) in &pts {
            black_box(beacon_domain::JurisdictionAssignment::from(g.locate(lat, lon).unwrap()));
        }
        owned.push(N as f64 / t.elapsed().as_secs_f64() / 1e6);
        owned_cpu.push(N as f64 / (cpu_ns() - c) as f64 * 1e3);
        // The same with the caller's scratch space.
        let t = Instant::now();
        let c = cpu_ns();
        for &(lat, lon) in &pts {
            black_box(g.locate_with(lat, lon, &mut scratch).unwrap());
        }
        with.push(N as f64 / t.elapsed().as_secs_f64() / 1e6);
        with_cpu.push(N as f64 / (cpu_ns() - c) as f64 * 1e3);
        // Public API reusing the output's buffers.
        let t = Instant::now();
        let c = cpu_ns();
        for &(lat, lon) in &pts {
            g.locate_into(lat, lon, &mut scratch, &mut out).unwrap();
            black_box(&out);
        }
        into.push(N as f64 / t.elapsed().as_secs_f64() / 1e6);
        into_cpu.push(N as f64 / (cpu_ns() - c) as f64 * 1e3);
        // Index only: jurisdiction indices instead of strings.
        let t = Instant::now();
        let c = cpu_ns();
        for &(lat, lon) in &pts {
            black_box(idx.locate(lat, lon, &mut scratch).unwrap());
        }
        raw.push(N as f64 / t.elapsed().as_secs_f64() / 1e6);
        raw_cpu.push(N as f64 / (cpu_ns() - c) as f64 * 1e3);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        format!("{:.2} M points/s (runs: {:.2} .. {:.2})", v[1], v[0], v[2])
    };
    println!(
        "{N} points, {:.1}% near a border, {:.1}% outside; median of 3 runs:",
        100.0 * near as f64 / N as f64,
        100.0 * outside as f64 / N as f64
    );
    println!("  Gazetteer::locate (Located, borrowed text):      wall {}", med(&mut plain));
    println!("  ... into an owned JurisdictionAssignment:        wall {}", med(&mut owned));
    println!("  Gazetteer::locate_with (caller's scratch):       wall {}", med(&mut with));
    println!("  Gazetteer::locate_into (reused output):          wall {}", med(&mut into));
    println!("  LayerIndex::locate (indices):                    wall {}", med(&mut raw));
    println!("  the same per second on CPU (excludes time the scheduler gave to other processes):");
    println!("  Gazetteer::locate:      {}", med(&mut plain_cpu));
    println!("  ... owned assignment:   {}", med(&mut owned_cpu));
    println!("  Gazetteer::locate_with: {}", med(&mut with_cpu));
    println!("  Gazetteer::locate_into: {}", med(&mut into_cpu));
    println!("  LayerIndex::locate:     {}", med(&mut raw_cpu));

    // Per kind of grid cell.
    for (class, label) in [(0u8, "inside"), (1, "outside"), (2, "mixed")] {
        let sub: Vec<(f64, f64)> =
            pts.iter().copied().filter(|&(lat, lon)| idx.cell_class(lat, lon) == class).collect();
        let t = Instant::now();
        for &(lat, lon) in &sub {
            black_box(idx.locate(lat, lon, &mut scratch).unwrap());
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "  {label:8} cells: {:5.1}% of points, {:6.1} ns/point",
            100.0 * sub.len() as f64 / N as f64,
            s * 1e9 / sub.len().max(1) as f64
        );
    }

    // R-tree only reference path.
    let t = Instant::now();
    for &(lat, lon) in &pts[..N_BRUTE * 4] {
        black_box(idx.locate_exact(lat, lon, &mut scratch).unwrap());
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "LayerIndex::locate_exact (R-trees, no grid): {:.2} M points/s ({} points)",
        (N_BRUTE * 4) as f64 / s / 1e6,
        N_BRUTE * 4
    );

    // Brute force: every polygon's `contains`, every boundary segment's distance.
    let brute = Brute::new(layer);
    let margin = layer.margin_km();
    let t = Instant::now();
    let mut disagree = 0;
    for &(lat, lon) in &pts[..N_BRUTE] {
        let (primary, nb) = brute.locate(lat, lon, margin);
        let h = idx.locate(lat, lon, &mut scratch).unwrap();
        if h.primary != Some(primary) || h.near_border != nb {
            disagree += 1;
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "brute force (geo contains over all polygons + all-segment border test): {:.3} M points/s ({N_BRUTE} points; disagreements with the index: {disagree})",
        N_BRUTE as f64 / s / 1e6
    );
}

/// This thread's time on a CPU so far (ns), from /proc/thread-self/schedstat;
/// 0 where unavailable.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|f| f.parse().ok()))
        .unwrap_or(0)
}

struct Brute<'a> {
    layer: &'a Layer,
    segs: Vec<(usize, Coord, Coord)>,
}

impl<'a> Brute<'a> {
    fn new(layer: &'a Layer) -> Self {
        let mut segs = Vec::new();
        for (i, j) in layer.jurisdictions().iter().enumerate() {
            for p in &j.geometry.0 {
                for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                    for l in r.lines() {
                        segs.push((i, l.start, l.end));
                    }
                }
            }
        }
        Brute { layer, segs }
    }

    /// (containing or nearest jurisdiction, near_border)
    fn locate(&self, lat: f64, lon: f64, margin: f64) -> (usize, bool) {
        let p = geo::Point::new(lon, lat);
        let container = self.layer.jurisdictions().iter().position(|j| j.geometry.contains(&p));
        let c = lat.to_radians().cos();
        let mut own = f64::INFINITY;
        let mut others_near = false;
        let mut nearest = (f64::INFINITY, 0usize);
        for &(i, a, b) in &self.segs {
            let d = dist(lon, lat, c, a, b);
            if d < nearest.0 {
                nearest = (d, i);
            }
            if Some(i) == container {
                own = own.min(d);
            } else if d <= margin {
                others_near = true;
            }
        }
        match container {
            Some(i) => (i, own <= margin || others_near),
            None => (nearest.1, nearest.0 <= margin),
        }
    }
}

fn dist(px: f64, py: f64, c: f64, a: Coord, b: Coord) -> f64 {
    let (ax, ay) = ((a.x - px) * c, a.y - py);
    let (dx, dy) = ((b.x - px) * c - ax, b.y - py - ay);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (-(ax * dx + ay * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    let (qx, qy) = (ax + t * dx, ay + t * dy);
    (qx * qx + qy * qy).sqrt() * KM_PER_DEG
}
