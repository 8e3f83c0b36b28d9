// The console's state, shared by the views, and navigation between them.
import type { AppInfo, CasePoint, MapLayer, OpenCount, QueueRow, Responder, SessionInfo, SyncPill } from './api';
import { emptyFilters, type Filters } from './lib/filters';

export type View = 'queue' | 'case' | 'map' | 'mine' | 'new' | 'stats' | 'roster' | 'sync';

export const VIEWS: { id: View; title: string; key: string }[] = [
  { id: 'queue', title: 'Queue', key: 'q' },
  { id: 'map', title: 'Map', key: 'm' },
  { id: 'mine', title: 'My cases', key: 'c' },
  { id: 'new', title: 'New referral', key: 'n' },
  { id: 'stats', title: 'Response times', key: 'r' },
  { id: 'roster', title: 'Roster', key: 'o' },
];

export const state = {
  view: 'queue' as View,
  /** Views to go back to with Esc. */
  back: [] as View[],
  caseId: null as string | null,
  filters: emptyFilters() as Filters,
  rows: [] as QueueRow[],
  openTotal: 0,
  selected: 0,
  loading: false,
  queueError: null as string | null,
  info: null as AppInfo | null,
  /** The sync status pill, as Rust words it. */
  sync: null as SyncPill | null,
  layer: null as MapLayer | null,
  counts: [] as OpenCount[],
  points: [] as CasePoint[],
  responders: [] as Responder[],
  /** Who is signed in and what Rust lets them do. */
  session: null as SessionInfo | null,
  theme: (localStorage.getItem('beacon.theme') || 'dark') as 'dark' | 'light',
  /** Case ids seen in the queue so far (to notice new ones on screen). */
  seen: new Set<string>(),
};

type Listener = () => void;
const listeners: Listener[] = [];
export function onNavigate(f: Listener) {
  listeners.push(f);
}

/** Whether the signed-in person may do `action` (Rust decided; this only reads it). */
export function may(action: SessionInfo['may'][number]): boolean {
  return state.session?.may.includes(action) ?? false;
}

/** The screens the signed-in person can use, and the one they start on. */
export function visibleViews() {
  return VIEWS.filter((v) => {
    if (v.id === 'queue' || v.id === 'map' || v.id === 'stats') return may('read_queue');
    if (v.id === 'new') return may('intake');
    if (v.id === 'mine') return !!state.session?.responder_id;
    if (v.id === 'roster') return may('read_roster');
    return true;
  });
}

export function homeView(): View {
  switch (state.session?.home) {
    case 'my_cases': return 'mine';
    case 'sync': return 'sync';
    default: return 'queue';
  }
}

export function go(view: View, opts: { caseId?: string; replace?: boolean } = {}) {
  if (!opts.replace && state.view !== view) state.back.push(state.view);
  if (!opts.replace && view === 'case' && state.view === 'case') state.back.push('case');
  state.view = view;
  if (opts.caseId !== undefined) state.caseId = opts.caseId;
  for (const f of listeners) f();
}

export function goBack() {
  const prev = state.back.pop() ?? 'queue';
  state.view = prev === 'case' && !state.caseId ? 'queue' : prev;
  for (const f of listeners) f();
}

export function setFilters(f: Partial<Filters>) {
  state.filters = { ...state.filters, ...f };
  state.selected = 0;
}

export function jurisdictionName(id: string | null | undefined): string | null {
  if (!id || !state.layer) return null;
  return state.layer.jurisdictions.find((j) => j.id === id)?.name ?? null;
}
