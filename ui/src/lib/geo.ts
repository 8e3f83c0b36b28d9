// Offline map drawing: an equirectangular projection fitted to the layer's
// bounding box, GeoJSON rings to SVG paths, troop borders from shared edges,
// and grid clustering of case points.

export type BBox = [number, number, number, number]; // [minLon, minLat, maxLon, maxLat]
export type Ring = [number, number][];
export type Polygon = Ring[];

export interface Projection {
  width: number;
  height: number;
  /** [lon, lat] → [x, y] in SVG units. */
  project(lon: number, lat: number): [number, number];
}

/**
 * Longitudes are scaled by cos(middle latitude) so shapes keep their
 * proportions; the result is centred in width × height with `pad` around it.
 */
export function fitProjection(bbox: BBox, width: number, height: number, pad = 10): Projection {
  const [minLon, minLat, maxLon, maxLat] = bbox;
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const w = Math.max(1e-9, (maxLon - minLon) * k);
  const h = Math.max(1e-9, maxLat - minLat);
  const scale = Math.min((width - 2 * pad) / w, (height - 2 * pad) / h);
  const ox = (width - w * scale) / 2;
  const oy = (height - h * scale) / 2;
  return {
    width,
    height,
    project(lon, lat) {
      return [ox + (lon - minLon) * k * scale, oy + (maxLat - lat) * scale];
    },
  };
}

/** Polygons of a GeoJSON Polygon or MultiPolygon geometry. */
export function polygonsOf(geometry: { type: string; coordinates: unknown }): Polygon[] {
  if (geometry.type === 'Polygon') return [geometry.coordinates as Polygon];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates as Polygon[];
  return [];
}

const r1 = (v: number) => Math.round(v * 10) / 10;

export function pathOf(polys: Polygon[], p: Projection): string {
  let d = '';
  for (const poly of polys)
    for (const ring of poly) {
      ring.forEach(([lon, lat], i) => {
        const [x, y] = p.project(lon, lat);
        d += `${i === 0 ? 'M' : 'L'}${r1(x)} ${r1(y)}`;
      });
      d += 'Z';
    }
  return d;
}

/** Area-weighted centre of the largest polygon's outer ring (for labels and markers). */
export function centroid(polys: Polygon[]): [number, number] {
  let best: [number, number] = [0, 0];
  let bestArea = -1;
  for (const poly of polys) {
    const ring = poly[0] ?? [];
    let a = 0, cx = 0, cy = 0;
    for (let i = 0; i < ring.length - 1; i++) {
      const [x0, y0] = ring[i], [x1, y1] = ring[i + 1];
      const f = x0 * y1 - x1 * y0;
      a += f; cx += (x0 + x1) * f; cy += (y0 + y1) * f;
    }
    if (Math.abs(a) > bestArea && a !== 0) {
      bestArea = Math.abs(a);
      best = [cx / (3 * a), cy / (3 * a)];
    } else if (bestArea < 0 && ring.length) {
      best = ring[0];
    }
  }
  return best;
}

export interface Edge { a: [number, number]; b: [number, number]; }

/**
 * Edges between jurisdictions of different troops, and the layer's outer
 * edge, found from segments shared by two features (layers with shared
 * vertices, as county layers are). `troopOf(id)` gives each feature's troop.
 */
export function troopBorders(
  features: { id: string; polys: Polygon[] }[],
  troopOf: (id: string) => string | null | undefined,
): { troop: Edge[]; outline: Edge[] } {
  const key = (p: [number, number]) => `${p[0].toFixed(5)},${p[1].toFixed(5)}`;
  const seen = new Map<string, { edge: Edge; ids: string[] }>();
  for (const f of features)
    for (const poly of f.polys)
      for (const ring of poly)
        for (let i = 0; i < ring.length - 1; i++) {
          const a = ring[i], b = ring[i + 1];
          const ka = key(a), kb = key(b);
          if (ka === kb) continue;
          const k = ka < kb ? `${ka}|${kb}` : `${kb}|${ka}`;
          const e = seen.get(k);
          if (e) e.ids.push(f.id);
          else seen.set(k, { edge: { a, b }, ids: [f.id] });
        }
  const troop: Edge[] = [];
  const outline: Edge[] = [];
  for (const { edge, ids } of seen.values()) {
    if (ids.length === 1) outline.push(edge);
    else if (new Set(ids.map((id) => troopOf(id) ?? '?')).size > 1) troop.push(edge);
  }
  return { troop, outline };
}

export function edgesPath(edges: Edge[], p: Projection): string {
  let d = '';
  for (const { a, b } of edges) {
    const [x0, y0] = p.project(a[0], a[1]);
    const [x1, y1] = p.project(b[0], b[1]);
    d += `M${r1(x0)} ${r1(y0)}L${r1(x1)} ${r1(y1)}`;
  }
  return d;
}

export interface Cluster<T> { x: number; y: number; items: T[]; }

/**
 * Grid clustering in screen space: points in the same `cell`-pixel square
 * merge into one marker at their mean position. Items keep their input order
 * (callers pass the most urgent first, so `items[0]` sets the colour).
 */
export function cluster<T>(points: { x: number; y: number; item: T }[], cell: number): Cluster<T>[] {
  const cells = new Map<string, { sx: number; sy: number; items: T[] }>();
  for (const p of points) {
    const k = `${Math.floor(p.x / cell)}:${Math.floor(p.y / cell)}`;
    const c = cells.get(k);
    if (c) { c.sx += p.x; c.sy += p.y; c.items.push(p.item); }
    else cells.set(k, { sx: p.x, sy: p.y, items: [p.item] });
  }
  return [...cells.values()].map((c) => ({ x: c.sx / c.items.length, y: c.sy / c.items.length, items: c.items }));
}

/** Shading class 0–5 for an open-case count (0 = none). */
export function shadeClass(open: number, max: number): number {
  if (open <= 0) return 0;
  if (max <= 1) return 3;
  return Math.min(5, 1 + Math.floor((Math.log(open) / Math.log(max + 1)) * 5));
}
