// The queue: open cases, what needs a dispatcher first (the order is decided
// in Rust, beacon-domain queue.rs), virtualised so 100,000 cases scroll smoothly.
import { api, asUiError, type QueueRow } from '../api';
import { clear, h, label } from '../dom';
import { VOCABULARY } from '../bindings/vocabulary';
import { describe, isFiltered, PAGE_SIZE, toggle, toQueueQuery, type Priority, type Status } from '../lib/filters';
import { canPatch, dueForReorder, patchRows } from '../lib/queue-patch';
import { formatAge, formatCountdown, secondsUntil, urgencyOf } from '../lib/time';
import { scrollToShow, visibleWindow } from '../lib/virtual';
import { go, jurisdictionName, setFilters, state } from '../state';
import { errorLine, priorityBadge, statusBadge } from './common';

export const ROW_HEIGHT = 48;

let viewport: HTMLElement | null = null;
let rowsHost: HTMLElement | null = null;
let spacer: HTMLElement | null = null;
let headLine: HTMLElement | null = null;
let firstPaintReported = false;
let loadSeq = 0;

export async function loadQueue(): Promise<void> {
  const my = ++loadSeq;
  state.loading = true;
  try {
    const [rows, total] = await Promise.all([api.queue(toQueueQuery(state.filters)), api.openCount()]);
    if (my !== loadSeq) return;
    show(rows, total);
  } catch (e) {
    state.queueError = asUiError(e).message;
    if (state.view === 'queue') renderRows(true);
  } finally {
    state.loading = false;
  }
}

/**
 * After cases changed (in this window or any other process), or their
 * deadline passed: fetch only their rows, as the current query sees them,
 * and patch them in, keeping the selection on the same case. Text search
 * lists newest first, so it reloads.
 */
export async function applyChanges(caseIds: string[]): Promise<void> {
  if (!canPatch(state.filters.text) || state.loading) return loadQueue();
  const my = ++loadSeq;
  try {
    const [fresh, total] = await Promise.all([api.queueRows(caseIds, toQueueQuery(state.filters)), api.openCount()]);
    if (my !== loadSeq) return;
    show(patchRows(state.rows, caseIds, fresh, PAGE_SIZE), total);
  } catch (e) {
    state.queueError = asUiError(e).message;
    if (state.view === 'queue') renderRows(true);
  }
}

/** Put a new list of rows on screen, keeping the selected case selected where it is still listed. */
function show(rows: QueueRow[], total: number) {
  const selectedId = state.rows[state.selected]?.id;
  const fresh = state.seen.size > 0 ? rows.filter((r) => !state.seen.has(r.id)) : [];
  for (const r of rows) state.seen.add(r.id);
  state.rows = rows;
  state.queueError = null;
  state.openTotal = total;
  const keep = selectedId ? rows.findIndex((r) => r.id === selectedId) : -1;
  if (keep >= 0) state.selected = keep;
  else if (state.selected >= rows.length) state.selected = Math.max(0, rows.length - 1);
  if (state.view === 'queue') renderRows(true);
  if (fresh.length) requestAnimationFrame(() => { for (const r of fresh) void api.perfMark('case-on-screen', r.id); });
}

function chip(text: string, pressed: boolean, onclick: () => void, title?: string) {
  return h('button', { class: `chip ${pressed ? 'on' : ''}`, 'aria-pressed': pressed ? 'true' : 'false', title: title ?? null, onclick }, text);
}

function refilter(f: Parameters<typeof setFilters>[0]) {
  setFilters(f);
  render(document.getElementById('main')!);
  void loadQueue();
}

export function render(main: HTMLElement) {
  clear(main);
  const f = state.filters;
  const counties = [...(state.layer?.jurisdictions ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const search = h('input', {
    id: 'search', type: 'search', class: 'search', placeholder: 'Search narratives, notes, places, phones…  ( / )',
    'aria-label': 'Search cases', value: f.text, autocomplete: 'off',
  }) as HTMLInputElement;
  let t: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(t);
    t = window.setTimeout(() => { state.filters = { ...state.filters, text: search.value }; state.selected = 0; void loadQueue(); }, 180);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === 'ArrowDown') { e.preventDefault(); search.blur(); viewport?.focus(); }
  });

  const toolbar = h(
    'div', { class: 'filters', role: 'toolbar', 'aria-label': 'Queue filters' },
    search,
    h('div', { class: 'chipgroup', role: 'group', 'aria-label': 'Priority' },
      (['P1', 'P2', 'P3', 'P4'] as Priority[]).map((p) => chip(p, f.priorities.includes(p), () => refilter({ priorities: toggle(f.priorities, p) }), `Show ${p} cases`))),
    h('label', { class: 'select' }, h('span', { class: 'sr-only' }, 'Status'),
      selectOf('Status', [['', 'Any status'], ...VOCABULARY.open_status.map((t) => [t.value, t.label] as [string, string])], f.statuses[0] ?? '',
        (v) => refilter({ statuses: v ? [v as Status] : [] }))),
    h('label', { class: 'select' }, h('span', { class: 'sr-only' }, 'Troop'),
      selectOf('Troop', [['', 'Any troop'], ...(state.info?.troops ?? []).map((t) => [t, `Troop ${t}`] as [string, string])], f.troop ?? '',
        (v) => refilter({ troop: v || null }))),
    h('label', { class: 'select' }, h('span', { class: 'sr-only' }, 'County'),
      selectOf('County', [['', 'Any county'], ...counties.map((j) => [j.id, j.name] as [string, string])], f.county ?? '',
        (v) => refilter({ county: v || null, countyName: jurisdictionName(v) }))),
    chip('Unassigned', f.unassigned, () => refilter({ unassigned: !f.unassigned }), 'Jurisdiction not known: needs a dispatcher'),
    chip('Overdue', f.overdue, () => refilter({ overdue: !f.overdue }), 'Past the response target'),
    isFiltered(f) && h('button', { class: 'btn ghost small', onclick: () => refilter({ priorities: [], statuses: [], troop: null, county: null, countyName: null, unassigned: false, overdue: false, text: '' }) }, 'Clear filters'),
  );

  headLine = h('div', { class: 'queue-head', 'aria-live': 'polite' });
  const header = h('div', { class: 'qrow qheader', 'aria-hidden': 'true' },
    h('span', {}, 'Pri'), h('span', {}, 'Received'), h('span', {}, 'Target'), h('span', {}, 'Jurisdiction'),
    h('span', {}, 'Type'), h('span', {}, 'Place'), h('span', {}, 'Status'), h('span', {}, 'Assigned'));
  rowsHost = h('div', { class: 'rows' });
  spacer = h('div', { class: 'spacer' }, rowsHost);
  viewport = h('div', {
    class: 'viewport', tabindex: '0', role: 'listbox', 'aria-label': 'Open cases, most urgent first. Arrow keys or j and k move, Enter opens.',
  }, spacer);
  viewport.addEventListener('scroll', () => renderRows(false), { passive: true });
  main.append(h('section', { class: 'queue', 'aria-label': 'Queue' }, toolbar, headLine, header, viewport));
  renderRows(true);
}

function selectOf(name: string, options: [string, string][], value: string, onchange: (v: string) => void) {
  const sel = h('select', { 'aria-label': name }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))) as HTMLSelectElement;
  sel.value = value;
  sel.addEventListener('change', () => onchange(sel.value));
  return sel;
}

function assignedText(r: QueueRow): string {
  if (!r.assigned.length) return '—';
  return r.assigned.map((a) => `${a.name} (${a.role === 'trooper' ? 'trooper' : 'advocate'})`).join(', ');
}

function rowEl(r: QueueRow, i: number, now: number) {
  const j = r.jurisdiction;
  const place = [r.place_type ? label(r.place_type) : null, r.location || null].filter(Boolean).join(' · ');
  let target: HTMLElement;
  if (r.deadline) {
    const left = secondsUntil(r.deadline.due_at, now);
    const allowed = (Date.parse(r.deadline.due_at) - Date.parse(r.received_at)) / 1000;
    const u = urgencyOf(left, allowed);
    target = h('span', { class: `countdown u-${u}`, 'data-urgency': u }, u === 'overdue' ? '⚠ ' : '', formatCountdown(left, r.deadline.kind));
  } else {
    target = h('span', { class: 'countdown muted' }, 'met');
  }
  const selected = i === state.selected;
  const row = h(
    'div',
    {
      class: `qrow ${selected ? 'selected' : ''} p-${r.priority.toLowerCase()}`,
      role: 'option', 'aria-selected': selected ? 'true' : 'false', id: `row-${i}`,
      'data-testid': 'queue-row', 'data-case-id': r.id, 'data-short-id': r.short_id, 'data-priority': r.priority, 'data-status': r.status, 'data-jurisdiction-id': j.jurisdiction_id ?? '', 'data-index': String(i),
      'data-group': r.place?.group ?? '', 'data-reason': r.place?.reason ?? '',
      onclick: () => { state.selected = i; go('case', { caseId: r.id }); },
    },
    h('span', {}, priorityBadge(r.priority)),
    h('span', { class: 'age' }, formatAge(Date.parse(r.received_at), now)),
    h('span', {}, target),
    h('span', { class: 'juris', title: r.jurisdiction_label },
      h('strong', {}, r.jurisdiction_label),
      j.near_border ? h('span', { class: 'tag warn', title: 'Near a county border: confirm the jurisdiction' }, 'border') : null),
    h('span', {}, label(r.trafficking_type)),
    h('span', { class: 'place', title: place }, place || '—',
      r.link_count > 0 ? h('span', { class: 'tag link', title: `${r.link_count} linked referral(s) share a phone, plate or address` }, `${r.link_count} linked`) : null),
    h('span', { class: 'next', title: r.place?.reason_text ?? '' },
      reasonTag(r),
      statusBadge(r.status)),
    h('span', { class: 'assigned', title: assignedText(r) }, assignedText(r)),
  );
  // Through the CSSOM, not a style attribute: the console's CSP allows no inline style.
  row.style.top = `${i * ROW_HEIGHT}px`;
  return row;
}

/** The row's tag (Rust's word for a reason to act), with the reason as its tooltip. */
function reasonTag(r: QueueRow) {
  const p = r.place;
  if (!p?.reason_tag) return null;
  return h('span', { class: 'tag warn', 'data-testid': `reason-${p.reason.replace(/_/g, '-')}`, title: p.reason_text }, p.reason_tag);
}

/** Draws the rows in view. `full` also refreshes the header line. */
export function renderRows(full: boolean) {
  if (!viewport || !rowsHost || !spacer) return;
  if (full && headLine) {
    clear(headLine);
    const shown = state.rows.length;
    const needs = state.rows.filter((r) => r.place?.group === 'needs_dispatcher').length;
    headLine.append(
      h('strong', {}, describe(state.filters)),
      h('span', { class: `needs ${needs ? 'warn-text' : 'muted'}`, 'data-testid': 'needs-dispatcher' }, ` — ${needs.toLocaleString()} need${needs === 1 ? 's' : ''} a dispatcher`),
      h('span', { class: 'muted' }, ` — ${shown.toLocaleString()} shown` +
        (state.filters.text ? '' : ` of ${state.openTotal.toLocaleString()} open`) +
        (shown >= PAGE_SIZE ? `; the ${PAGE_SIZE.toLocaleString()} most urgent are listed, narrow the filters to see others` : '')),
      errorLine(state.queueError) ?? "",
    );
  }
  const now = Date.now();
  const w = visibleWindow(viewport.scrollTop, viewport.clientHeight || 800, ROW_HEIGHT, state.rows.length);
  spacer.style.height = `${w.total}px`;
  clear(rowsHost);
  if (!state.rows.length) {
    rowsHost.append(h('p', { class: 'empty' }, state.loading ? 'Loading…' : 'No open cases match these filters.'));
  }
  for (let i = w.start; i < w.end; i++) rowsHost.append(rowEl(state.rows[i], i, now));
  if (state.rows.length) viewport.setAttribute('aria-activedescendant', `row-${state.selected}`);
  if (!firstPaintReported && state.rows.length) {
    firstPaintReported = true;
    requestAnimationFrame(() => void api.perfMark('queue-interactive', `${state.rows.length} rows`));
  }
}

/** Rows being fetched again because their deadline passed. */
const reordering = new Set<string>();

/**
 * Every second: cases whose deadline just passed move (their place changes
 * with time alone), and the age and countdown texts refresh in place.
 */
export function tickRows() {
  const now = Date.now();
  const moved = dueForReorder(state.rows, now).filter((id) => !reordering.has(id));
  if (moved.length) {
    for (const id of moved) reordering.add(id);
    void applyChanges(moved).finally(() => { for (const id of moved) reordering.delete(id); });
  }
  if (!rowsHost) return;
  for (const el of Array.from(rowsHost.children) as HTMLElement[]) {
    const r = state.rows[Number(el.dataset.index)];
    if (!r) continue;
    const age = el.querySelector('.age');
    if (age) age.textContent = formatAge(Date.parse(r.received_at), now);
    const cd = el.querySelector<HTMLElement>('.countdown');
    if (cd && r.deadline) {
      const left = secondsUntil(r.deadline.due_at, now);
      const u = urgencyOf(left, (Date.parse(r.deadline.due_at) - Date.parse(r.received_at)) / 1000);
      cd.className = `countdown u-${u}`;
      cd.dataset.urgency = u;
      cd.textContent = (u === 'overdue' ? '⚠ ' : '') + formatCountdown(left, r.deadline.kind);
    }
  }
}

export function moveSelection(delta: number) {
  if (!state.rows.length || !viewport) return;
  state.selected = Math.min(state.rows.length - 1, Math.max(0, state.selected + delta));
  const to = scrollToShow(state.selected, viewport.scrollTop, viewport.clientHeight, ROW_HEIGHT);
  if (to !== null) viewport.scrollTop = to;
  renderRows(false);
}

export function selectedRow(): QueueRow | null {
  return state.rows[state.selected] ?? null;
}

export function focusSearch() {
  const el = document.getElementById('search') as HTMLInputElement | null;
  el?.focus();
  el?.select();
}

export function focusList() {
  viewport?.focus();
}

