// Typed calls into the app's commands. Payload types are generated from the
// Rust types (ts-rs) into ./bindings — never edit those by hand.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AddOutcome } from './bindings/AddOutcome';
import type { AlertEvent } from './bindings/AlertEvent';
import type { AppInfo } from './bindings/AppInfo';
import type { CaseDetail } from './bindings/CaseDetail';
import type { CasePoint } from './bindings/CasePoint';
import type { CaseStatus } from './bindings/CaseStatus';
import type { CaseView } from './bindings/CaseView';
import type { ConflictRow } from './bindings/ConflictRow';
import type { HandoffRecord } from './bindings/HandoffRecord';
import type { MapLayer } from './bindings/MapLayer';
import type { OpenCount } from './bindings/OpenCount';
import type { Preview } from './bindings/Preview';
import type { Priority } from './bindings/Priority';
import type { QueueQuery } from './bindings/QueueQuery';
import type { QueueRow } from './bindings/QueueRow';
import type { Responder } from './bindings/Responder';
import type { Role } from './bindings/Role';
import type { RosterView } from './bindings/RosterView';
import type { SessionInfo } from './bindings/SessionInfo';
import type { FirstAdmin } from './bindings/FirstAdmin';
import type { ResponseStats } from './bindings/ResponseStats';
import type { StoreChanged } from './bindings/StoreChanged';
import type { StoredEvent } from './bindings/StoredEvent';
import type { Suggestions } from './bindings/Suggestions';
import type { SyncPill } from './bindings/SyncPill';
import type { UiError } from './bindings/UiError';

export type {
  AddOutcome, AlertEvent, AppInfo, CaseDetail, CasePoint, CaseStatus, CaseView, ConflictRow, HandoffRecord, MapLayer, OpenCount,
  Preview, Priority, QueueQuery, QueueRow, Responder, ResponseStats, RosterView, StoreChanged, StoredEvent, Suggestions, SyncPill, UiError, Role,
  SessionInfo, FirstAdmin,
};

/** Called when a command finds nobody signed in (the console locked itself). */
let onSignInRequired: (() => void) | null = null;
export function whenSignInRequired(f: () => void) {
  onSignInRequired = f;
}

/** Every failure as {code, message, field}: the command's own, or a bridge failure. */
export function asUiError(e: unknown): UiError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return e as UiError;
  return { code: 'internal', message: String(e), field: null, field_label: null };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = asUiError(e);
    if (err.code === 'sign_in_required' && cmd !== 'session' && cmd !== 'sign_in') onSignInRequired?.();
    throw err;
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  queue: (query: QueueQuery) => call<QueueRow[]>('queue', { query }),
  openCount: () => call<number>('open_count'),
  queueRows: (ids: string[], query: QueueQuery) => call<QueueRow[]>('queue_rows', { ids, query }),
  caseDetail: (id: string) => call<CaseDetail>('case_detail', { id }),
  audit: (id: string) => call<StoredEvent[]>('audit', { id }),
  suggest: (id: string) => call<Suggestions>('suggest', { id }),
  handoff: (id: string, responder: string) => call<HandoffRecord>('handoff', { id, responder }),
  handoffToSuggested: (id: string, role: Role) => call<HandoffRecord>('handoff_to_suggested', { id, role }),
  handoffOverridingSharing: (id: string, responder: string, reason: string) => call<HandoffRecord>('handoff_overriding_sharing', { id, responder, reason }),
  acknowledge: (id: string) => call<null>('acknowledge', { id }),
  conflicts: () => call<ConflictRow[]>('conflicts'),
  resolveConflicts: (id: string) => call<number>('resolve_conflicts', { id }),
  syncPill: () => call<SyncPill>('sync_pill'),
  connectHub: (hub: string, token: string) => call<SyncPill>('connect_hub', { hub, token }),
  enrolHub: (hub: string, user: string, password: string, device: string) => call<SyncPill>('enrol_hub', { hub, user, password, device }),
  setStatus: (id: string, status: CaseStatus, disposition: string | null) => call<null>('set_status', { id, status, disposition }),
  addNote: (id: string, text: string) => call<null>('add_note', { id, text }),
  overridePriority: (id: string, priority: Priority, reason: string) => call<null>('override_priority', { id, priority, reason }),
  confirmJurisdiction: (id: string, jurisdictionId: string) => call<null>('confirm_jurisdiction', { id, jurisdictionId }),
  preview: (referral: unknown) => call<Preview>('preview', { referral }),
  addReferral: (referral: unknown) => call<AddOutcome>('add_referral', { referral }),
  responders: () => call<Responder[]>('responders'),
  roster: () => call<RosterView>('roster'),
  setOnDuty: (id: string, onDuty: boolean) => call<null>('set_on_duty', { id, onDuty }),
  stats: (days: number) => call<ResponseStats>('stats', { days }),
  mapLayer: () => call<MapLayer>('map_layer'),
  openCounts: () => call<OpenCount[]>('open_counts'),
  openPoints: (limit: number) => call<CasePoint[]>('open_points', { limit }),
  casesForResponder: (responder: string, limit: number) => call<CaseView[]>('cases_for_responder', { responder, limit }),
  indicators: () => call<[string, string][]>('indicators'),
  session: () => call<SessionInfo>('session'),
  signIn: (user: string, password: string) => call<SessionInfo>('sign_in', { user, password }),
  signOut: () => call<null>('sign_out'),
  createAdmin: (user: string, password: string) => call<FirstAdmin>('create_admin', { user, password }),
  activity: () => call<null>('activity').catch(() => null),
  perfMark: (name: string, detail?: string) => call<null>('perf_mark', { name, detail: detail ?? null }).catch(() => null),
};

export function onStoreChanged(f: (e: StoreChanged) => void): Promise<UnlistenFn> {
  return listen<StoreChanged>('store-changed', (e) => f(e.payload));
}
export function onAlert(f: (e: AlertEvent) => void): Promise<UnlistenFn> {
  return listen<AlertEvent>('alert', (e) => f(e.payload));
}
export function onSyncChanged(f: () => void): Promise<UnlistenFn> {
  return listen('sync-changed', () => f());
}
export function onOpenCase(f: (id: string) => void): Promise<UnlistenFn> {
  return listen<{ id: string }>('open-case', (e) => f(e.payload.id));
}
