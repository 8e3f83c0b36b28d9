// Response times: received → handed off → acknowledged → on scene, overall and per jurisdiction.
import { api, asUiError, type ResponseStats, type UiError } from '../api';
import { clear, h, s } from '../dom';
import { formatSpan } from '../lib/time';
import { state } from '../state';
import { errorLine } from './common';

let stats: ResponseStats | null = null;
let error: UiError | null = null;
let days = 30;

const SEGMENTS = [
  { key: 'received_to_handed_off', text: 'Received → handed off', cls: 'seg1' },
  { key: 'handed_off_to_acknowledged', text: 'Handed off → acknowledged', cls: 'seg2' },
  { key: 'acknowledged_to_on_scene', text: 'Acknowledged → on scene', cls: 'seg3' },
] as const;

export async function loadStats() {
  try { stats = await api.stats(days); error = null; } catch (e) { error = asUiError(e); }
  if (state.view === 'stats') render(document.getElementById('main')!);
}

type Group = ResponseStats['overall'];
const med = (g: Group, k: (typeof SEGMENTS)[number]['key']) => Number(g[k].median_s ?? 0);

/** One stacked bar of median segment times, scaled to `scale` seconds = `width` px. */
function bar(g: Group, scale: number, width: number, y: number, height: number) {
  let x = 0;
  const parts: SVGElement[] = [];
  for (const seg of SEGMENTS) {
    const w = (med(g, seg.key) / scale) * width;
    if (w > 0) parts.push(s('rect', { x, y, width: Math.max(1, w), height, class: seg.cls }, s('title', {}, `${seg.text}: median ${formatSpan(med(g, seg.key))}`)));
    x += w;
  }
  return parts;
}

export function render(main: HTMLElement) {
  clear(main);
  if (!stats) {
    main.append(errorLine(error) ?? h('p', { class: 'empty' }, 'Loading response times…'));
    if (!error) void loadStats();
    return;
  }
  const o = stats.overall;
  const daysSel = h('select', { 'aria-label': 'Period' }, [7, 30, 90, 365].map((d) => h('option', { value: String(d), selected: d === days }, `Last ${d} days`))) as HTMLSelectElement;
  daysSel.addEventListener('change', () => { days = Number(daysSel.value); stats = null; render(main); });
  const legend = h('ul', { class: 'plain seg-legend' }, SEGMENTS.map((sg) => h('li', {}, h('span', { class: `sw ${sg.cls}` }), ` ${sg.text}`)));

  // Overall: one timeline with medians and 90th percentiles.
  const total = Math.max(1, SEGMENTS.reduce((a, sg) => a + med(o, sg.key), 0));
  const overallSvg = s('svg', { viewBox: '0 0 900 60', class: 'chart', role: 'img', 'aria-label': 'Median response timeline, all jurisdictions' }, ...bar(o, total, 900, 10, 36));
  const rows = [...SEGMENTS.map((sg) => [sg.text, o[sg.key]] as const), ['Received → on scene', o.received_to_on_scene] as const];

  // Per jurisdiction: the 20 with most referrals, stacked medians.
  const groups = stats.by_jurisdiction.slice(0, 20);
  const scale = Math.max(1, ...groups.map((g) => SEGMENTS.reduce((a, sg) => a + med(g, sg.key), 0)));
  const rowH = 26;
  const chart = s('svg', { viewBox: `0 0 900 ${groups.length * rowH + 24}`, class: 'chart', role: 'img', 'aria-label': 'Median response time per jurisdiction' });
  groups.forEach((g, i) => {
    const y = i * rowH;
    chart.append(s('text', { x: 0, y: y + 17, class: 'axis' }, g.name), ...bar(g, scale, 560, y + 4, rowH - 8).map((r) => { r.setAttribute('x', String(Number(r.getAttribute('x')) + 200)); return r; }),
      s('text', { x: 200 + 570, y: y + 17, class: 'axis' }, `${formatSpan(SEGMENTS.reduce((a, sg) => a + med(g, sg.key), 0))} · ${g.referrals} ref.`));
  });

  main.append(h('section', { class: 'stats', 'data-testid': 'response-times', 'aria-label': 'Response times' },
    h('header', { class: 'row' }, h('h1', {}, 'Response times'), daysSel),
    h('section', { class: 'panel' }, h('h2', {}, `All jurisdictions · ${o.referrals} referrals`), legend, overallSvg,
      h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Interval'), h('th', {}, 'Cases'), h('th', {}, 'Median'), h('th', {}, '90th percentile'))),
        h('tbody', {}, rows.map(([t, v]) => h('tr', {}, h('td', {}, t), h('td', {}, String(v.count)), h('td', {}, v.median_s != null ? formatSpan(Number(v.median_s)) : '—'), h('td', {}, v.p90_s != null ? formatSpan(Number(v.p90_s)) : '—')))))),
    h('section', { class: 'panel' }, h('h2', {}, 'By jurisdiction (median, 20 busiest)'), legend.cloneNode(true), chart)));
}
