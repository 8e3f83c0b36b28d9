// One case: the referral, priority and why, one-click handoff, status, map, notes, history.
import { api, asUiError, type CaseDetail, type HandoffRecord, type StoredEvent, type Suggestions, type UiError } from '../api';
import { clear, h, restoreEditing, s, takeEditing, words } from '../dom';
import type { SheetLine } from '../bindings/SheetLine';
import { centroid, fitProjection, pathOf, polygonsOf, type BBox } from '../lib/geo';
import { formatCountdown, formatSpan, formatWhen, secondsUntil, urgencyOf } from '../lib/time';
import { go, may, state } from '../state';
import { errorLine, priorityBadge, statusBadge, toast } from './common';

interface CaseScreen {
  id: string;
  detail: CaseDetail | null;
  suggestions: Suggestions | null;
  audit: StoredEvent[];
  pick: { trooper: number; advocate: number };
  lastHandoff: HandoffRecord | null;
  errors: Record<string, UiError | null>;
  busy: boolean;
}

let screen: CaseScreen | null = null;

/** What the case screen was last drawn from (see `loadCase`). */
let drawnFrom: string | null = null;

/** A load of the case under way: callers asking for the same case share it. */
let loading: { id: string; again: boolean; done: Promise<void> } | null = null;

/**
 * Load case `id` and draw it. Opening a case asks twice (the screen's first
 * draw and the navigation): with `join`, a load of the same case already
 * under way answers both, so the screen is drawn once and a click on it is
 * not lost to a second drawing. Without it (after a change was written),
 * a load under way is followed by one more, so the screen shows the change.
 */
export function loadCase(id: string, join = false): Promise<void> {
  if (loading && loading.id === id) {
    if (!join) loading.again = true;
    return loading.done;
  }
  const mine = { id, again: false, done: Promise.resolve() };
  loading = mine;
  mine.done = (async () => {
    try {
      do {
        mine.again = false;
        await fetchCase(id);
      } while (mine.again);
    } finally {
      if (loading === mine) loading = null;
    }
  })();
  return mine.done;
}

async function fetchCase(id: string) {
  if (!screen || screen.id !== id) {
    screen = { id, detail: null, suggestions: null, audit: [], pick: { trooper: 0, advocate: 0 }, lastHandoff: null, errors: {}, busy: false };
  }
  try {
    const [detail, suggestions, audit] = await Promise.all([api.caseDetail(id), may('hand_off') ? api.suggest(id) : null, api.audit(id)]);
    if (screen.id !== id) return;
    screen.detail = detail;
    screen.suggestions = suggestions;
    screen.audit = audit;
    screen.errors.load = null;
  } catch (e) {
    screen.errors.load = asUiError(e);
  }
  if (state.view !== 'case' || state.caseId !== id) return;
  // The same answer as on screen: drawing it again would change nothing
  // but could swallow a click.
  if (drawnFrom === fingerprint(screen) && document.querySelector('[data-testid=case-detail]')) return;
  render(document.getElementById('main')!);
}

/** Everything the screen is drawn from, as one string to compare. */
function fingerprint(s: CaseScreen): string {
  return JSON.stringify([s.id, s.detail, s.suggestions, s.audit, s.pick, s.lastHandoff, s.errors, s.busy, !!state.layer]);
}

/** Hand the open case to the current suggestion of `role`, at once. */
export async function handOff(role: 'trooper' | 'advocate', overrideReason?: string) {
  if (!screen?.suggestions || !screen.detail || screen.busy) return;
  const list = role === 'trooper' ? screen.suggestions.troopers : screen.suggestions.advocates;
  const sug = list[screen.pick[role]];
  if (!sug) {
    toast(`No ${role === 'trooper' ? 'trooper' : 'victim advocate'} to suggest for this case.`, { kind: 'error' });
    return;
  }
  screen.busy = true;
  try {
    // The top suggestion is decided in Rust at the moment of the handoff; a
    // later choice (Shift+T / Shift+V) names its responder.
    screen.lastHandoff = overrideReason !== undefined
      ? await api.handoffOverridingSharing(screen.id, sug.responder.id, overrideReason)
      : screen.pick[role] === 0
        ? await api.handoffToSuggested(screen.id, role === 'trooper' ? 'trooper' : 'victim_advocate')
        : await api.handoff(screen.id, sug.responder.id);
    screen.errors.handoff = null;
    screen.pick[role] = 0;
    // Done: the reason given for sharing is in the record, not left in the box.
    const reason = document.querySelector<HTMLInputElement>(`[data-testid="override-reason-${role}"]`);
    if (reason) reason.value = '';
  } catch (e) {
    screen.errors.handoff = asUiError(e);
  } finally {
    screen.busy = false;
  }
  await loadCase(screen.id);
  focusHandoffResult();
}

/** The next suggestion for `role` (one key: Shift+T / Shift+V). */
export function nextSuggestion(role: 'trooper' | 'advocate') {
  if (!screen?.suggestions) return;
  const n = (role === 'trooper' ? screen.suggestions.troopers : screen.suggestions.advocates).length;
  if (!n) return;
  screen.pick[role] = (screen.pick[role] + 1) % n;
  render(document.getElementById('main')!);
  document.querySelector<HTMLElement>(`[data-testid="handoff-${role}"]`)?.focus();
}

function focusHandoffResult() {
  document.getElementById('handoff-result')?.focus();
}

async function act(key: string, f: () => Promise<unknown>) {
  if (!screen) return;
  try {
    await f();
    screen.errors[key] = null;
  } catch (e) {
    screen.errors[key] = asUiError(e);
  }
  await loadCase(screen.id);
}

export function render(main: HTMLElement) {
  // What the person is typing in this case, and where, outlives the redraw.
  const shown = main.querySelector<HTMLElement>('[data-testid=case-detail]')?.dataset.caseId;
  const editing = shown !== undefined && shown === screen?.detail?.id ? takeEditing(main) : null;
  clear(main);
  drawnFrom = null;
  if (!screen || screen.id !== state.caseId) {
    main.append(h('p', { class: 'empty' }, 'Loading the case…'));
    if (state.caseId) void loadCase(state.caseId, true);
    return;
  }
  const d = screen.detail;
  if (!d) {
    main.append(errorLine(screen.errors.load ?? null) ?? h('p', { class: 'empty' }, 'Loading the case…'));
    return;
  }
  const header = h('header', { class: 'case-head' },
    h('button', { class: 'btn ghost', onclick: () => history.length && go('queue'), 'aria-label': 'Back to the queue (Esc)' }, '← Queue'),
    priorityBadge(d.priority, 'big'),
    h('h1', {}, `Case ${d.short_id}`),
    statusBadge(d.status, true),
    h('span', { class: 'juris big', 'data-testid': 'case-jurisdiction' }, d.jurisdiction_label),
    deadlineText(d),
  );
  main.append(h('section', { class: 'case', 'data-testid': 'case-detail', 'data-case-id': d.id, 'aria-label': `Case ${d.short_id}` },
    header,
    h('div', { class: 'case-grid' },
      h('div', { class: 'col' }, conflictPanel(d), reachPanel(d), may('hand_off') ? handoffPanel(d) : null, statusPanel(d), timeline(d), may('triage') ? priorityPanel(d) : null, notesPanel(d)),
      h('div', { class: 'col' }, referralPanel(d), linkedPanel(d)),
      h('div', { class: 'col' }, miniMap(d), historyPanel()),
    )));
  if (editing) restoreEditing(main, editing);
  drawnFrom = fingerprint(screen);
}

function deadlineText(d: CaseDetail) {
  if (!d.deadline) return null;
  const left = secondsUntil(d.deadline.due_at, Date.now());
  const allowed = (Date.parse(d.deadline.due_at) - Date.parse(d.received_at)) / 1000;
  const u = urgencyOf(left, allowed);
  return h('span', { class: `countdown big u-${u}`, id: 'case-countdown', 'data-due': d.deadline.due_at, 'data-kind': d.deadline.kind, 'data-allowed': String(allowed) },
    formatCountdown(left, d.deadline.kind));
}

/** Called every second while the case is on screen. */
export function tick() {
  const el = document.getElementById('case-countdown');
  if (!el) return;
  const left = secondsUntil(el.dataset.due!, Date.now());
  const u = urgencyOf(left, Number(el.dataset.allowed));
  el.className = `countdown big u-${u}`;
  el.textContent = formatCountdown(left, el.dataset.kind as 'acknowledge' | 'arrive');
}

function panel(title: string, ...children: unknown[]) {
  return h('section', { class: 'panel', 'aria-label': title }, h('h2', {}, title), ...(children as Node[]));
}

/** A handoff the hub rejected: what happened, who has the case, and the one action. */
function conflictPanel(d: CaseDetail) {
  const open = d.conflicts.filter((c) => !c.resolved_at);
  if (!open.length) return null;
  return h('section', { class: 'panel conflict', 'aria-label': 'Handoff rejected', 'data-testid': 'case-conflict', role: 'alert' },
    h('h2', {}, open.length === 1 ? 'Handoff rejected by the hub' : `${open.length} handoffs rejected by the hub`),
    open.map((c) => h('p', {}, c.text, ` (rejected ${formatWhen(c.rejected_at)})`)),
    h('p', { class: 'muted small' }, 'Check who has the case; hand it off again if it needs someone else.'),
    may('resolve_conflicts')
      ? h('div', { class: 'actions' },
        h('button', { class: 'btn primary', 'data-testid': 'resolve-conflicts', onclick: () => void act('conflict', () => api.resolveConflicts(d.id)) },
          "I've looked at it"))
      : h('p', { class: 'small', 'data-testid': 'conflict-for-supervisor' }, 'A supervisor marks it as looked at.'),
    errorLine(screen!.errors.conflict ?? null));
}

/** Whether each handoff in force reached its responder, per channel, as Rust decided; a number to call when it did not. */
function reachPanel(d: CaseDetail) {
  if (!d.reach.length) return null;
  const trouble = d.reach.some((r) => r.needs_action);
  const time = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return h('section', { class: `panel reach${trouble ? ' conflict' : ''}`, 'aria-label': 'Reaching the responder', 'data-testid': 'delivery-status', role: trouble ? 'alert' : null },
    h('h2', {}, 'Reaching the responder'),
    d.reach.map((r) => h('div', { class: 'reach-line', 'data-reach': r.reach, 'data-handoff-id': r.handoff_id },
      h('p', {}, h('strong', {}, `${r.responder_name} (${words(r.role)})`), ' — ', r.text),
      r.channels.length > 0 && h('p', { class: 'small', 'data-testid': 'delivery-channels' },
        r.channels.map((c, i) => h('span', { class: c.reached ? 'ok-text' : 'warn-text' },
          `${i > 0 ? ' · ' : ''}${c.label} ${time(c.at)}${c.next_attempt_at ? `, next try ${time(c.next_attempt_at)}` : ''}`))),
      r.call && h('p', { class: 'call', 'data-testid': 'call-responder' }, 'Call ', h('strong', {}, r.call)))));
}

/** Share what the policy withholds, for a reason the handoff records: folded away until asked for. */
function overrideForm(role: 'trooper' | 'advocate', names: string[]) {
  const reason = h('input', { type: 'text', 'data-testid': `override-reason-${role}`, placeholder: 'Why (e.g. court order 24-112)', 'aria-label': 'Reason for sharing withheld details' }) as HTMLInputElement;
  const go = h('button', { class: 'btn small', 'data-testid': `override-handoff-${role}`, disabled: true }, 'Hand off, sharing them') as HTMLButtonElement;
  reason.addEventListener('input', () => { go.disabled = reason.value.trim() === ''; });
  go.addEventListener('click', () => void handOff(role, reason.value));
  return h('details', { class: 'override' },
    h('summary', { class: 'small' }, `Share the withheld ${names.join(', ')}…`),
    h('div', { class: 'actions' }, reason, go));
}

function handoffPanel(d: CaseDetail) {
  const sug = screen!.suggestions;
  const closed = d.status === 'closed';
  const card = (role: 'trooper' | 'advocate') => {
    const list = role === 'trooper' ? sug?.troopers ?? [] : sug?.advocates ?? [];
    const i = screen!.pick[role];
    const s0 = list[i];
    const roleName = role === 'trooper' ? 'trooper' : 'victim advocate';
    const key = role === 'trooper' ? 't' : 'v';
    if (!s0) return h('div', { class: 'suggest' }, h('p', { class: 'muted' }, `No ${roleName} on the roster to suggest.`));
    // What this handoff would share and withhold, in Rust's words, before the click.
    const share = role === 'trooper' ? sug?.share_with_troopers : sug?.share_with_advocates;
    const r = s0.responder;
    const already = d.assigned.some((a) => a.id === r.id);
    return h('div', { class: 'suggest' },
      h('div', { class: 'who' },
        h('span', { class: 'role' }, i === 0 ? `Suggested ${roleName}` : `${roleName} — choice ${i + 1} of ${list.length}`),
        h('strong', {}, r.name), h('span', { class: 'muted' }, ` · ${r.agency || '—'}`),
        r.on_duty ? h('span', { class: 'tag ok' }, 'on duty') : h('span', { class: 'tag warn' }, 'off duty'),
        h('span', { class: 'muted small' }, ` · ${s0.open_cases} open case${s0.open_cases === 1 ? '' : 's'}`),
        s0.reasons.length ? h('div', { class: 'muted small' }, s0.reasons.join('; ')) : null),
      h('div', { class: 'actions' },
        h('button', {
          class: 'btn primary', 'data-testid': `handoff-${role}`, 'data-responder-id': r.id, disabled: closed || screen!.busy,
          'aria-keyshortcuts': key, onclick: () => void handOff(role),
        }, already ? `Hand off again to ${r.name}` : `Hand off to ${r.name}`, h('kbd', {}, key)),
        list.length > 1 && h('button', { class: 'btn ghost small', 'aria-keyshortcuts': `Shift+${key.toUpperCase()}`, onclick: () => nextSuggestion(role) },
          'Next suggestion', h('kbd', {}, `⇧${key.toUpperCase()}`))),
      share && h('ul', { class: 'share-preview muted small', 'data-testid': `share-preview-${role}` },
        share.explained.map((line) => h('li', {}, line))),
      share && share.overridable.length > 0 && may('override_sharing') && !closed ? overrideForm(role, share.overridable_names) : null);
  };
  const last = screen!.lastHandoff;
  return panel('Hand off',
    closed ? h('p', { class: 'muted' }, 'This case is closed. Reopen it to hand it off.') : null,
    card('trooper'), card('advocate'),
    errorLine(screen!.errors.handoff ?? null),
    last && h('div', { class: 'handoff-result', id: 'handoff-result', tabindex: '-1', role: 'status', 'data-testid': 'handoff-result' },
      h('p', {}, h('strong', {}, `Handed to ${last.responder_name}`), ` (${words(last.role)}) at ${formatWhen(last.handed_off_at)}.`),
      h('p', {}, h('span', { class: 'ok-text' }, `Shared (${last.shared_fields.length}): `), last.shared_names.join(', ') || 'nothing'),
      h('p', {}, h('span', { class: 'warn-text' }, `Withheld without consent (${last.withheld_fields.length}): `),
        last.withheld_names.length ? last.withheld_names.join(', ') : 'nothing — consent covers every field')),
    d.handoffs.length > 0 && h('details', {}, h('summary', {}, `Handoffs of this case (${d.handoffs.length})`),
      h('ul', { class: 'plain' }, d.handoffs.map((ho) => h('li', {},
        `${formatWhen(ho.handed_off_at)} — ${ho.responder_name} (${words(ho.role)}) by ${ho.handed_off_by}; shared ${ho.shared_fields.length}, withheld ${ho.withheld_fields.length}`,
        ho.rejected_at ? `; rejected by the hub ${formatWhen(ho.rejected_at)}`
          : ho.acknowledged_at ? `; acknowledged ${formatWhen(ho.acknowledged_at)}`
            : ho.withdrawn_at ? `; withdrawn ${formatWhen(ho.withdrawn_at)}` : '; not yet acknowledged')))),
  );
}

function statusPanel(d: CaseDetail) {
  const disp = h('input', { type: 'text', id: 'disposition', placeholder: 'Disposition, e.g. referred to services', 'aria-label': 'Disposition (needed to close)' }) as HTMLInputElement;
  const btn = (text: string, onclick: () => void, enabled: boolean, testid?: string) =>
    h('button', { class: 'btn', disabled: !enabled, onclick, 'data-testid': testid ?? null }, text);
  // What may be done now is Rust's (CaseActions): the state machine, the handoffs and the person's role.
  const may = d.actions;
  return panel('Status',
    h('div', { class: 'actions wrap' },
      btn('Acknowledged', () => void act('status', () => api.acknowledge(d.id)), may.acknowledge, 'status-acknowledged'),
      btn('On scene', () => void act('status', () => api.setStatus(d.id, 'on_scene', null)), may.on_scene, 'status-on-scene'),
      may.reopen
        ? btn('Reopen', () => void act('status', () => api.setStatus(d.id, 'reopened', null)), true)
        : may.close ? h('span', { class: 'close-group' }, disp, btn('Close', () => void act('status', async () => { await api.setStatus(d.id, 'closed', disp.value || null); disp.value = ''; }), true, 'status-close')) : null),
    errorLine(screen!.errors.status ?? null),
    d.disposition ? h('p', { class: 'muted' }, `Disposition: ${d.disposition}`) : null);
}

function timeline(d: CaseDetail) {
  const steps: [string, string | null][] = [
    ['Received', d.received_at], ['Handed off', d.handed_off_at], ['Acknowledged', d.acknowledged_at], ['On scene', d.on_scene_at], ['Closed', d.closed_at],
  ];
  const t0 = Date.parse(d.received_at);
  return panel('Response timeline',
    h('ol', { class: 'timeline' }, steps.map(([name, at]) => h('li', { class: at ? 'done' : 'todo' },
      h('span', { class: 'dot', 'aria-hidden': 'true' }), h('strong', {}, name), ' ',
      at ? h('span', {}, `${formatWhen(at)}${name !== 'Received' ? ` (+${formatSpan((Date.parse(at) - t0) / 1000)})` : ''}`) : h('span', { class: 'muted' }, 'not yet')))));
}

function priorityPanel(d: CaseDetail) {
  const sel = h('select', { 'aria-label': 'New priority' }, ['P1', 'P2', 'P3', 'P4'].map((p) => h('option', { value: p, selected: p === d.priority }, p))) as HTMLSelectElement;
  const reason = h('input', { type: 'text', placeholder: 'Why? (required, kept in the record)', 'aria-label': 'Reason for changing the priority', id: 'override-reason' }) as HTMLInputElement;
  return panel(`Priority ${d.priority}${d.priority_overridden ? ' (set by hand)' : ''}`,
    h('ul', { class: 'reasons' }, d.priority_reasons.map((r) => h('li', {}, r.text))),
    h('details', {}, h('summary', {}, 'Change priority…'),
      h('div', { class: 'actions wrap' }, sel, reason,
        h('button', { class: 'btn', onclick: () => void act('priority', async () => { await api.overridePriority(d.id, sel.value as 'P1', reason.value); reason.value = ''; }) }, 'Set priority')),
      errorLine(screen!.errors.priority ?? null)));
}

function notesPanel(d: CaseDetail) {
  const ta = h('textarea', { rows: '2', placeholder: 'Add a note', 'aria-label': 'New note', id: 'note-text' }) as HTMLTextAreaElement;
  return panel(`Notes (${d.notes.length})`,
    h('ul', { class: 'notes' }, d.notes.map((n) => h('li', {}, h('div', { class: 'muted small' }, `${formatWhen(n.created_at)} · ${n.author}`), h('div', {}, n.body)))),
    h('div', { class: 'actions' }, ta, h('button', { class: 'btn', 'data-testid': 'add-note', onclick: () => void act('note', async () => { await api.addNote(d.id, ta.value); ta.value = ''; }) }, 'Add note')),
    errorLine(screen!.errors.note ?? null));
}

// Every referral field, as Rust words it (`referral_sheet`), grouped the way
// the hotline sends them; the narrative is a paragraph of its own.
function referralPanel(d: CaseDetail) {
  const j = d.jurisdiction;
  return panel('Referral',
    d.referral_sheet.flatMap((section, i) => [
      i === 0 ? null : h('h3', {}, section.title),
      sheetLines(section.lines),
      i === 0 ? [h('h3', {}, 'Narrative'), h('p', { class: 'narrative' }, d.narrative)] : null,
    ]),
    h('h3', {}, 'Jurisdiction'),
    sheetLines(d.jurisdiction_lines),
    j.near_border ? h('div', { class: 'actions' },
      (j.candidates ?? []).map((c) => h('button', { class: 'btn small', onclick: () => void act('jurisdiction', () => api.confirmJurisdiction(d.id, c.jurisdiction_id)) }, `Use ${c.name}`)),
      j.jurisdiction_id ? h('button', { class: 'btn small', onclick: () => void act('jurisdiction', () => api.confirmJurisdiction(d.id, j.jurisdiction_id!)) }, `Confirm ${j.name}`) : null) : null,
    errorLine(screen!.errors.jurisdiction ?? null));
}

function sheetLines(lines: SheetLine[]) {
  return h('dl', { class: 'fields', 'data-testid': 'sheet-lines' }, lines.flatMap((l) => [h('dt', {}, l.label), h('dd', {}, l.at ? formatWhen(l.at) : l.text)]));
}

function linkedPanel(d: CaseDetail) {
  if (!d.linked.length) return panel('Linked referrals', h('p', { class: 'muted' }, 'No other referral shares a phone, plate or address.'));
  return panel(`Linked referrals (${d.linked.length})`,
    h('ul', { class: 'plain' }, d.linked.map((l) => h('li', {},
      h('button', { class: 'linkish', onclick: () => go('case', { caseId: l.case_id }) }, l.case_id.slice(0, 8)), ' ',
      priorityBadge(l.priority), ' ', statusBadge(l.status), ` shares ${l.kinds.join(', ')} · ${formatWhen(l.received_at)}`))));
}

function miniMap(d: CaseDetail) {
  const loc = d.location;
  const jid = d.jurisdiction.jurisdiction_id;
  const layer = state.layer;
  const title = 'Location';
  if (!layer || !jid) return panel(title, h('p', { class: 'muted' }, loc?.lat != null ? `Outside every county of the layer: ${loc.lat!.toFixed(4)}, ${loc.lon!.toFixed(4)}.` : 'No coordinates or county given: nothing to draw. Confirm the place with the caller.'));
  const feature = featureOf(jid);
  const info = layer.jurisdictions.find((x) => x.id === jid);
  if (!feature || !info) return panel(title, h('p', { class: 'muted' }, 'The county is not in the active layer.'));
  const polys = polygonsOf(feature.geometry);
  const bb = info.bbox as BBox;
  const padDeg = 0.05;
  const pj = fitProjection([bb[0] - padDeg, bb[1] - padDeg, bb[2] + padDeg, bb[3] + padDeg], 320, 240, 8);
  const svg = s('svg', { viewBox: '0 0 320 240', class: 'minimap', role: 'img', 'aria-label': `Map of ${info.name}${loc?.lat != null ? ' with the reported location' : ''}` },
    s('path', { d: pathOf(polys, pj), class: 'county-shape' }));
  if (loc?.lat != null && loc?.lon != null) {
    const [x, y] = pj.project(loc.lon, loc.lat);
    svg.append(s('circle', { cx: x, cy: y, r: 9, class: 'pin-halo' }), s('circle', { cx: x, cy: y, r: 4.5, class: `pin p-${d.priority.toLowerCase()}` }));
  } else {
    const [cx, cy] = centroid(polys);
    const [x, y] = pj.project(cx, cy);
    svg.append(s('text', { x, y, class: 'map-label', 'text-anchor': 'middle' }, 'no coordinates'));
  }
  return panel(title, svg, h('p', { class: 'muted small' }, `${info.name}${loc?.lat != null ? ` · ${loc.lat!.toFixed(4)}, ${loc.lon!.toFixed(4)}` : ''}`));
}

let features: Map<string, { geometry: { type: string; coordinates: unknown } }> | null = null;
export function featureOf(id: string) {
  if (!features && state.layer) {
    const fc = JSON.parse(state.layer.geojson) as { features: { properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }[] };
    features = new Map(fc.features.map((f) => [String(f.properties.id ?? f.properties.fips), f]));
  }
  return features?.get(id);
}

function historyPanel() {
  return panel(`History (${screen!.audit.length})`,
    h('ol', { class: 'history' }, [...screen!.audit].reverse().map((e) => h('li', {},
      h('div', { class: 'muted small' }, `${formatWhen(e.at)} · ${e.actor}`), h('div', {}, eventText(e))))));
}

/** One line per event, as Rust words it (`EventBody::summary`). */
export function eventText(e: StoredEvent): string {
  return e.summary;
}
