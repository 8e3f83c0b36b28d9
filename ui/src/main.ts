// Beacon's console: the shell (navigation, keyboard, live updates, alerts) and the views.
import { api, asUiError, onAlert, onOpenCase, onStoreChanged, onSyncChanged, whenSignInRequired, type SessionInfo, type StoreChanged } from './api';
import { clear, h } from './dom';
import { go, goBack, homeView, onNavigate, state, visibleViews, type View } from './state';
import './styles.css';
import * as caseView from './views/case';
import { alertSounds, playAlert, toast } from './views/common';
import * as mapView from './views/map';
import * as mine from './views/mine';
import * as newref from './views/newref';
import * as queue from './views/queue';
import * as rosterView from './views/roster';
import { renderFirstAdmin, renderSignIn } from './views/signin';
import * as statsView from './views/stats';
import * as syncView from './views/sync';

const app = document.getElementById('app')!;
const main = h('main', { id: 'main', tabindex: '-1' });
const nav = h('nav', { 'aria-label': 'Screens' });
let helpOpen = false;

function applyTheme() {
  document.documentElement.dataset.theme = state.theme;
  localStorage.setItem('beacon.theme', state.theme);
}

/** Switches dark ↔ light; its label always names the theme it switches to. */
function themeButton() {
  const b = h('button', { class: 'btn ghost small', id: 'theme-toggle' }) as HTMLButtonElement;
  const show = () => {
    const other = state.theme === 'dark' ? 'light' : 'dark';
    b.setAttribute('aria-label', `Switch to the ${other} theme`);
    b.textContent = other === 'light' ? '☀ Light' : '☾ Dark';
  };
  b.addEventListener('click', () => { state.theme = state.theme === 'dark' ? 'light' : 'dark'; applyTheme(); show(); });
  show();
  return b;
}

/** The sync status pill: Rust's words; a click opens the Sync screen. */
const syncPill = h('button', { class: 'sync', 'data-testid': 'sync-status', onclick: () => go('sync') }) as HTMLButtonElement;

function renderSyncPill() {
  const p = state.sync;
  clear(syncPill);
  syncPill.dataset.state = p?.state ?? 'local_only';
  // A rejected handoff waits for a person: the pill says so in colour too.
  syncPill.dataset.conflicts = String(p?.conflicts ?? 0);
  syncPill.title = `${p?.detail ?? ''} Store: ${state.info?.store_path ?? ''}`.trim();
  syncPill.append(h('span', { class: 'dot', 'aria-hidden': 'true' }), p?.text ?? 'Local only');
}

async function refreshSync() {
  try {
    state.sync = await api.syncPill();
  } catch {
    return;
  }
  renderSyncPill();
  if (state.view === 'sync') void syncView.loadConflicts();
}

function header() {
  const s = state.session;
  const who = h('span', { class: 'who', 'data-testid': 'signed-in-user', title: s?.role_label ?? '' },
    h('span', { class: 'muted small' }, 'Signed in as '), h('strong', {}, s?.user ?? ''), h('span', { class: 'muted small' }, ` · ${s?.role_label ?? ''}`));
  const signOut = s?.protected
    ? h('button', { class: 'btn ghost small', 'data-testid': 'sign-out', onclick: signOutAndReload }, 'Sign out')
    : null;
  return h('header', { class: 'top' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Beacon'),
    nav,
    h('div', { class: 'right' },
      syncPill,
      who,
      signOut,
      themeButton(),
      h('button', { class: 'btn ghost small', 'aria-label': 'Keyboard shortcuts (?)', onclick: () => toggleHelp() }, '?')));
}

function renderNav() {
  clear(nav);
  for (const v of visibleViews()) {
    const current = state.view === v.id || (v.id === 'queue' && state.view === 'case');
    nav.append(h('button', { class: `tab ${current ? 'on' : ''}`, 'data-testid': `nav-${v.id}`, 'aria-current': current ? 'page' : null, onclick: () => go(v.id) },
      v.title, h('kbd', {}, v.key)));
  }
}

function render() {
  renderNav();
  // The map keeps its own pane (see views/map.ts); every other screen draws into main.
  const onMap = state.view === 'map';
  mapView.stage.classList.toggle('parked', !onMap);
  main.classList.toggle('parked', onMap);
  if (onMap) clear(main);
  switch (state.view) {
    case 'queue': queue.render(main); break;
    case 'case': caseView.render(main); break;
    case 'map': mapView.render(); break;
    case 'mine': mine.render(main); break;
    case 'new': void newref.render(main); break;
    case 'stats': statsView.render(main); break;
    case 'roster': rosterView.render(main); break;
    case 'sync': syncView.render(main); void syncView.loadConflicts(); break;
  }
}

function toggleHelp(force?: boolean) {
  helpOpen = force ?? !helpOpen;
  document.getElementById('help')?.remove();
  if (!helpOpen) return;
  const keys: [string, string][] = [
    ['j / ↓', 'Next case in the queue'], ['k / ↑', 'Previous case'], ['Enter', 'Open the selected case'],
    ['t', 'Hand off to the suggested trooper (queue or case)'], ['v', 'Hand off to the suggested victim advocate'],
    ['Shift+T / Shift+V', 'Next suggested trooper / advocate (case)'], ['/', 'Search'], ['n', 'New referral'],
    ['q  m  c  r  o', 'Queue, Map, My cases, Response times, Roster'], ['Esc', 'Back / close'], ['?', 'This help'],
  ];
  const box = h('div', { id: 'help', class: 'overlay', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', 'data-testid': 'help' },
    h('div', { class: 'panel dialog' }, h('h2', { id: 'help-title' }, 'Keyboard'),
      h('table', { class: 'table keys' }, h('tbody', {}, keys.map(([k, t]) => h('tr', {}, h('td', {}, h('kbd', {}, k)), h('td', {}, t))))),
      h('h2', {}, 'The queue\'s order'),
      h('ol', { class: 'order-help', 'data-testid': 'queue-order-help' }, (state.info?.queue_order ?? []).map((line) => h('li', {}, line.replace(/^\d+\.\s*/, '')))),
      h('button', { class: 'btn', onclick: () => toggleHelp(false) }, 'Close (Esc)')));
  document.body.append(box);
  (box.querySelector('button') as HTMLElement).focus();
}

function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

/** t / v from the queue: hand the selected case to the top suggestion without leaving the list. */
async function handOffFromQueue(role: 'trooper' | 'advocate') {
  const row = queue.selectedRow();
  if (!row) return;
  try {
    const ho = await api.handoffToSuggested(row.id, role === 'trooper' ? 'trooper' : 'victim_advocate');
    toast(`Case ${row.short_id} handed to ${ho.responder_name}: shared ${ho.shared_fields.length} fields, withheld ${ho.withheld_fields.length} without consent.`,
      { action: { label: 'Open case', run: () => go('case', { caseId: row.id }) } });
    void queue.applyChanges([row.id]);
  } catch (e) {
    toast((e as { message?: string }).message ?? String(e), { kind: 'error' });
  }
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'Escape') {
    if (helpOpen) { toggleHelp(false); return; }
    if (typing(e)) { (e.target as HTMLElement).blur(); if (state.view === 'queue') queue.focusList(); return; }
    if (state.view !== 'queue') { goBack(); return; }
    return;
  }
  if (typing(e) || helpOpen) return;
  const k = e.key;
  if (k === '?') { e.preventDefault(); toggleHelp(); return; }
  if (k === '/') { e.preventDefault(); if (state.view !== 'queue') go('queue'); queue.focusSearch(); return; }
  const view = visibleViews().find((v) => v.key === k);
  if (view) { e.preventDefault(); go(view.id as View); return; }
  if (state.view === 'queue') {
    if (k === 'j' || k === 'ArrowDown') { e.preventDefault(); queue.moveSelection(1); }
    else if (k === 'k' || k === 'ArrowUp') { e.preventDefault(); queue.moveSelection(-1); }
    else if (k === 'PageDown') { e.preventDefault(); queue.moveSelection(15); }
    else if (k === 'PageUp') { e.preventDefault(); queue.moveSelection(-15); }
    else if (k === 'Enter') { const r = queue.selectedRow(); if (r) { e.preventDefault(); go('case', { caseId: r.id }); } }
    else if (k === 't') void handOffFromQueue('trooper');
    else if (k === 'v') void handOffFromQueue('advocate');
  } else if (state.view === 'case') {
    if (k === 't') void caseView.handOff('trooper');
    else if (k === 'v') void caseView.handOff('advocate');
    else if (k === 'T') caseView.nextSuggestion('trooper');
    else if (k === 'V') caseView.nextSuggestion('advocate');
  }
});

/**
 * Refresh what is on screen after the store changed (any process). The queue
 * patches the rows of the cases named in the change; a change too large to
 * name (a bulk import, new responders or settings) reloads it.
 */
function refresh(change: StoreChanged) {
  if (!state.session?.may.includes('read_queue')) { /* no queue on this person's screens */ }
  else if (change.complete) void queue.applyChanges(change.case_ids);
  else void queue.loadQueue();
  const touches = (id: string | null) => !change.complete || (id !== null && change.case_ids.includes(id));
  if (state.view === 'case' && state.caseId && touches(state.caseId)) void caseView.loadCase(state.caseId);
  mapView.markStale();
  if (state.view === 'map') void mapView.loadMapData();
  if (state.view === 'mine') void mine.loadMine();
  if (state.view === 'stats') void statsView.loadStats();
  if (state.view === 'roster') void rosterView.loadRoster();
  // Changes waiting to go, and conflicts pulled, show on the pill at once.
  void refreshSync();
}

onNavigate(() => {
  render();
  if (state.view === 'map') void mapView.loadMapData();
  if (state.view === 'mine') void mine.loadMine();
  if (state.view === 'stats') void statsView.loadStats();
  if (state.view === 'roster') void rosterView.loadRoster();
  if (state.view === 'case' && state.caseId) void caseView.loadCase(state.caseId, true);
  if (state.view === 'queue') requestAnimationFrame(() => queue.focusList());
  else (state.view === 'map' ? mapView.stage : main).focus({ preventScroll: true });
});

/**
 * Signing out starts a fresh page, so nothing the person saw stays in memory.
 * Until the reload, a refresh that finds nobody signed in must not draw the
 * lock screen: that form would vanish under the person's hands.
 */
let signingOut = false;
function signOutAndReload() {
  signingOut = true;
  void api.signOut().then(() => location.reload());
}

/** The console locked itself (idle) or lost its sign-in: ask for the password over what was on screen. */
function lock() {
  if (signingOut || document.getElementById('lock')) return;
  const overlay = h('div', { id: 'lock', class: 'overlay opaque', role: 'dialog', 'aria-modal': 'true' });
  document.body.append(overlay);
  renderSignIn(overlay, (session) => {
    overlay.remove();
    state.session = session;
    render();
    void queue.loadQueue();
  }, state.session?.user);
}

/** Activity keeps the console unlocked; Rust decides when it has been idle too long. */
function reportActivity() {
  let last = 0;
  const seen = () => {
    const now = Date.now();
    if (now - last > 30_000) { last = now; void api.activity(); }
  };
  for (const type of ['keydown', 'pointerdown', 'wheel']) document.addEventListener(type, seen, { passive: true, capture: true });
}

/** Who is at the console: sign in, or (a store with no account) create its first administrator. */
async function start() {
  applyTheme();
  let session: SessionInfo | null = null;
  try {
    session = await api.session();
  } catch (e) {
    if (asUiError(e).code !== 'sign_in_required') throw e;
  }
  clear(app);
  app.removeAttribute('aria-busy');
  if (!session) { renderSignIn(app, (s) => void boot(s)); return; }
  if (!session.protected) { renderFirstAdmin(app, (s) => void boot(s)); return; }
  await boot(session);
}

async function boot(session: SessionInfo) {
  state.session = session;
  state.view = homeView();
  whenSignInRequired(lock);
  reportActivity();
  // Listen before the first load: a change committed while it runs is not missed.
  await onStoreChanged(refresh);
  await onAlert((a) => {
    playAlert();
    toast(a.title, { kind: 'alert', action: { label: 'Open', run: () => go('case', { caseId: a.alert.case_id }) }, ms: 15000 });
  });
  await onOpenCase((id) => go('case', { caseId: id }));
  await onSyncChanged(() => void refreshSync());
  const readsQueue = session.may.includes('read_queue');
  const [info, pill] = await Promise.all([api.appInfo(), api.syncPill(), readsQueue ? queue.loadQueue() : Promise.resolve()]);
  state.info = info;
  state.sync = pill;
  renderSyncPill();
  clear(app);
  app.append(header(), h('div', { class: 'stage' }, main, mapView.stage));
  render();
  queue.focusList();
  // Everything below is not needed for the first screen.
  const [layer, responders] = await Promise.all([api.mapLayer(), api.responders()]);
  state.layer = layer;
  state.responders = responders;
  app.replaceChild(header(), app.querySelector('header.top')!);
  renderNav();
  if (state.view === 'queue') { const st = (document.querySelector('.viewport') as HTMLElement | null)?.scrollTop ?? 0; render(); const vp = document.querySelector('.viewport') as HTMLElement | null; if (vp) vp.scrollTop = st; queue.focusList(); }
  // The map, built while the dispatcher reads the queue: pressing m only attaches it.
  if (readsQueue) void mapView.loadMapData().then(() => setTimeout(() => mapView.prewarm(), 0));
  if (state.view === 'mine') void mine.loadMine();
  // "Synced 12s ago" ages; the waiting count follows this console's writes.
  setInterval(() => { if (!document.hidden) void refreshSync(); }, 5000);
  setInterval(() => {
    if (document.hidden) return;
    if (state.view === 'queue') queue.tickRows();
    if (state.view === 'case') caseView.tick();
  }, 1000);
}

// For end-to-end tests: the ids in the (virtualised) queue, not only those in view.
declare global {
  interface Window {
    beaconTest: {
      rowIds: () => string[];
      order: () => { id: string; g: string | null; r: string | null; p: string }[];
      sounds: () => typeof alertSounds;
    };
  }
}
window.beaconTest = {
  rowIds: () => state.rows.map((r) => r.id),
  order: () => state.rows.map((r) => ({ id: r.id, g: r.place?.group ?? null, r: r.place?.reason ?? null, p: r.priority })),
  sounds: () => ({ ...alertSounds }),
};

start().catch((e) => {
  clear(app);
  app.append(h('div', { class: 'panel narrow' }, h('h1', {}, 'Beacon could not start'), h('p', { class: 'error' }, (e as { message?: string }).message ?? String(e))));
});
