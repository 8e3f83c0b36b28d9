// Map by jurisdiction: counties shaded by open cases, marked by their highest
// open priority, troop borders over them, clustered case points. Offline SVG.
import { api, asUiError } from '../api';
import { toast } from './common';

/** Case points drawn: the most urgent open cases with coordinates. */
const POINTS = 3000;
import { h, s } from '../dom';
import { centroid, cluster, edgesPath, fitProjection, pathOf, polygonsOf, shadeClass, troopBorders, type BBox, type Polygon, type Projection } from '../lib/geo';
import { go, setFilters, state } from '../state';
import { loadQueue } from './queue';

const W = 960;
const H = 760;

interface Geometry {
  pj: Projection;
  counties: { id: string; name: string; troop: string | null; d: string; c: [number, number] }[];
  troopPath: string;
  outlinePath: string;
  troopLabels: { troop: string; x: number; y: number }[];
}
let geom: Geometry | null = null;
let firstRender = true;

function build(): Geometry | null {
  const layer = state.layer;
  if (!layer) return null;
  const pj = fitProjection(layer.bbox as BBox, W, H, 14);
  const fc = JSON.parse(layer.geojson) as { features: { properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }[] };
  const troopOf = new Map(layer.jurisdictions.map((j) => [j.id, j.troop ?? null]));
  const feats = fc.features.map((f) => ({ id: String(f.properties.id ?? f.properties.fips), name: String(f.properties.name ?? ''), polys: polygonsOf(f.geometry) as Polygon[] }));
  const counties = feats.map((f) => {
    const [lon, lat] = centroid(f.polys);
    return { id: f.id, name: f.name, troop: troopOf.get(f.id) ?? null, d: pathOf(f.polys, pj), c: pj.project(lon, lat) };
  });
  const { troop, outline } = troopBorders(feats, (id) => troopOf.get(id));
  const byTroop = new Map<string, [number, number][]>();
  for (const c of counties) if (c.troop) byTroop.set(c.troop, [...(byTroop.get(c.troop) ?? []), c.c]);
  const troopLabels = [...byTroop.entries()].map(([t, pts]) => ({
    troop: t, x: pts.reduce((a, p) => a + p[0], 0) / pts.length, y: pts.reduce((a, p) => a + p[1], 0) / pts.length,
  }));
  return { pj, counties, troopPath: edgesPath(troop, pj), outlinePath: edgesPath(outline, pj), troopLabels };
}

/** Whether the store changed since the counts and points were loaded. */
let stale = true;
export function markStale() {
  stale = true;
}

/** Load the counts and points, if the store changed since the last load. */
export async function loadMapData() {
  if (!stale) return;
  stale = false;
  try {
    const [counts, points] = await Promise.all([api.openCounts(), api.openPoints(POINTS)]);
    state.counts = counts;
    state.points = points;
  } catch (e) {
    stale = true;
    toast(`The map could not load its counts: ${asUiError(e).message}`, { kind: 'error' });
  }
  if (state.view === 'map') render();
}

function filterBy(f: { county?: string; countyName?: string; troop?: string }) {
  setFilters({ county: f.county ?? null, countyName: f.countyName ?? null, troop: f.troop ?? null, priorities: [], statuses: [], text: '', unassigned: false, overdue: false });
  go('queue');
  void loadQueue();
}

/**
 * The map view for the current counts and points, built once per change of
 * them and kept: drawing it again (or for the first time, after `prewarm`)
 * is only attaching it.
 */
let view: { el: HTMLElement; counts: unknown; points: unknown; clusters: number } | null = null;

/**
 * Where the map lives: a pane beside `main` that stays in the document. When
 * another screen is shown it is parked (hidden, but laid out), so coming back
 * to the map, or opening it the first time after `prewarm`, is only a paint.
 */
export const stage = h('div', { id: 'mapstage', class: 'pane parked', tabindex: '-1' });

/** Build and lay out the map while the window is idle, so the first `m` only paints it. */
export function prewarm() {
  geom ??= build();
  if (!geom) return;
  attachView(geom);
  stage.getBoundingClientRect(); // lay it out now, not when it is first shown
}

/** Put the view for the current counts and points on the stage (building it if they changed). */
function attachView(g: Geometry) {
  if (!(view && view.counts === state.counts && view.points === state.points)) view = buildView(g);
  if (stage.firstChild !== view.el) stage.replaceChildren(view.el);
  return view;
}

export function render() {
  const t0 = performance.now();
  geom ??= build();
  if (!geom) {
    stage.replaceChildren(h('p', { class: 'empty' }, 'Loading the map…'));
    return;
  }
  const v = attachView(geom);
  const built = performance.now() - t0;
  if (!firstRender) return;
  firstRender = false;
  // After the next frame the SVG has been laid out and painted.
  requestAnimationFrame(() => {
    const frame = performance.now() - t0;
    setTimeout(() => {
      const total = performance.now() - t0;
      void api.perfMark('map-first-render', `${total.toFixed(1)} ms to first paint (${built.toFixed(1)} ms attaching the view, next frame at ${frame.toFixed(1)} ms), ${geom!.counties.length} counties, ${v.clusters} markers`);
    }, 0);
  });
}

function buildView(geom: Geometry): NonNullable<typeof view> {
  const counts = state.counts, points = state.points;
  const byId = new Map(counts.filter((c) => c.jurisdiction_id).map((c) => [c.jurisdiction_id!, c]));
  const max = Math.max(1, ...counts.map((c) => Number(c.open)));
  const tip = h('div', { class: 'maptip', role: 'status', 'aria-live': 'polite' });
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map', 'data-testid': 'map', role: 'group', 'aria-label': 'Map of open cases by county and troop' });
  const countiesG = s('g', { class: 'counties' });
  for (const c of geom.counties) {
    const oc = byId.get(c.id);
    const open = oc ? Number(oc.open) : 0;
    const name = `${c.name}${c.troop ? `, Troop ${c.troop}` : ''}: ${open} open${oc ? `, highest ${oc.top_priority}` : ''}`;
    const path = s('path', {
      d: c.d, class: `county shade-${shadeClass(open, max)}`, 'data-testid': `county-${c.id}`, 'data-open': String(open),
      tabindex: '0', role: 'button', 'aria-label': `${name}. Press Enter to list these cases.`,
    });
    const show = (e: MouseEvent | FocusEvent) => {
      tip.textContent = name;
      tip.classList.add('on');
      if (e instanceof MouseEvent) {
        const r = (tip.parentElement as HTMLElement).getBoundingClientRect();
        tip.style.left = `${e.clientX - r.left + 14}px`;
        tip.style.top = `${e.clientY - r.top + 10}px`;
      }
    };
    path.addEventListener('mousemove', show as EventListener);
    path.addEventListener('focus', show as EventListener);
    path.addEventListener('mouseleave', () => tip.classList.remove('on'));
    path.addEventListener('click', () => filterBy({ county: c.id, countyName: c.name }));
    path.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') filterBy({ county: c.id, countyName: c.name }); });
    countiesG.append(path);
  }
  svg.append(countiesG, s('path', { d: geom.outlinePath, class: 'outline' }), s('path', { d: geom.troopPath, class: 'troop-border' }));

  // Highest open priority per county: a ring at the county's centre for P1/P2, a dot otherwise.
  const marks = s('g', { class: 'marks', 'aria-hidden': 'true' });
  for (const c of geom.counties) {
    const oc = byId.get(c.id);
    if (!oc) continue;
    const p = oc.top_priority.toLowerCase();
    marks.append(s('circle', { cx: c.c[0], cy: c.c[1], r: p === 'p1' ? 6 : p === 'p2' ? 5 : 3, class: `mark p-${p}` }));
  }
  // Case points, clustered in 22-pixel cells (most urgent first sets the colour).
  const pts = points.map((p) => { const [x, y] = geom!.pj.project(p.lon, p.lat); return { x, y, item: p }; });
  const clusters = cluster(pts, 22);
  const pointsG = s('g', { class: 'points', 'aria-hidden': 'true' });
  for (const k of clusters) {
    const top = k.items.reduce((a, b) => (a.priority <= b.priority ? a : b));
    const n = k.items.length;
    if (n === 1) pointsG.append(s('circle', { cx: k.x, cy: k.y, r: 3, class: `pt p-${top.priority.toLowerCase()}` }));
    else {
      const r = Math.min(14, 6 + Math.log2(n) * 2);
      pointsG.append(s('circle', { cx: k.x, cy: k.y, r, class: `cluster p-${top.priority.toLowerCase()}` }),
        s('text', { x: k.x, y: k.y + 3.5, class: 'cluster-n', 'text-anchor': 'middle' }, String(n)));
    }
  }
  const labels = s('g', { class: 'troop-labels' });
  for (const t of geom.troopLabels) {
    const g = s('g', { class: 'troop-label', tabindex: '0', role: 'button', 'aria-label': `Troop ${t.troop}: list its cases` },
      s('rect', { x: t.x - 13, y: t.y - 13, width: 26, height: 26, rx: 6 }), s('text', { x: t.x, y: t.y + 5, 'text-anchor': 'middle' }, t.troop));
    g.addEventListener('click', () => filterBy({ troop: t.troop }));
    g.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') filterBy({ troop: t.troop }); });
    labels.append(g);
  }
  svg.append(marks, pointsG, labels);

  // Side panel: legend and troop totals.
  const troopTotals = new Map<string, { open: number; top: string }>();
  for (const c of geom.counties) {
    const oc = byId.get(c.id);
    if (!oc || !c.troop) continue;
    const t = troopTotals.get(c.troop) ?? { open: 0, top: 'P4' };
    t.open += Number(oc.open);
    if (oc.top_priority < t.top) t.top = oc.top_priority;
    troopTotals.set(c.troop, t);
  }
  const unknown = counts.find((c) => !c.jurisdiction_id);
  const side = h('aside', { class: 'mapside', 'aria-label': 'Legend and troops' },
    h('h2', {}, 'Open cases'),
    h('div', { class: 'legend' },
      h('div', { class: 'scale' }, [0, 1, 2, 3, 4, 5].map((i) => h('span', { class: `sw shade-${i}`, title: i === 0 ? 'none' : `class ${i}` }))),
      h('div', { class: 'scale-labels' }, h('span', {}, 'none'), h('span', {}, `${max} in one county`)),
      h('ul', { class: 'plain small' },
        h('li', {}, h('span', { class: 'lg-mark p-p1' }), ' county with a P1 open'),
        h('li', {}, h('span', { class: 'lg-mark p-p2' }), ' highest open is P2'),
        h('li', {}, h('span', { class: 'lg-dot' }), ' case (numbers: a cluster)'),
        h('li', {}, h('span', { class: 'lg-line' }), ' troop border'))),
    h('h2', {}, 'Troops'),
    h('ul', { class: 'plain troops' }, [...troopTotals.entries()].sort().map(([t, v]) => h('li', {},
      h('button', { class: 'btn small ghost', onclick: () => filterBy({ troop: t }) }, `Troop ${t}`), ` ${v.open} open · highest `, h('span', { class: `badge prio prio-${v.top.toLowerCase()}` }, v.top)))),
    unknown ? h('p', { class: 'muted small' }, `${unknown.open} open case(s) have no known jurisdiction; see the queue's Unassigned filter.`) : null,
    h('p', { class: 'muted small' }, `Click a county or a troop letter to list its cases. Points: the ${POINTS.toLocaleString()} most urgent open cases with coordinates.`));
  const wrap = h('div', { class: 'mapwrap' }, svg, tip);
  const el = h('section', { class: 'mapview', 'aria-label': 'Map by jurisdiction' }, wrap, side);
  return { el, counts, points, clusters: clusters.length };
}
