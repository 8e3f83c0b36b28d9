// Patching the queue with the rows of cases that just changed, so a new or
// updated case is on screen without reloading the whole page of rows. The
// order and filters mirror the store's queue query (beacon-store read.rs).
import type { Filters } from './filters';
import { matchesLocally } from './filters';

/** The fields of a queue row the order and filters look at. */
export interface PatchRow {
  id: string;
  priority: string;
  status: string;
  received_at: string;
  closed_at: string | null;
  jurisdiction: { jurisdiction_id: string | null; troop: string | null; outside: boolean };
}

/** Jurisdiction not known, or the point lies outside the layer (as the store's `unassigned`). */
export function isUnassigned(r: PatchRow): boolean {
  return !r.jurisdiction.jurisdiction_id || r.jurisdiction.outside;
}

/** The queue's order: P1 first, unknown jurisdiction first among equals, then oldest first. */
export function queueOrder(a: PatchRow, b: PatchRow): number {
  if (a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
  const ua = isUnassigned(a), ub = isUnassigned(b);
  if (ua !== ub) return ua ? -1 : 1;
  return Date.parse(a.received_at) - Date.parse(b.received_at);
}

/** Whether an (open or closed) row belongs in a queue with these filters. Overdue and text need the server. */
export function belongs(r: PatchRow, f: Filters): boolean {
  if (r.closed_at !== null || r.status === 'closed') return false;
  if (f.unassigned && !isUnassigned(r)) return false;
  return matchesLocally({ priority: r.priority, status: r.status, troop: r.jurisdiction.troop, jurisdiction_id: r.jurisdiction.jurisdiction_id, open: true }, f);
}

/** Whether a patch can stand in for a reload with these filters. */
export function canPatch(f: Filters): boolean {
  return !f.text.trim() && !f.overdue;
}

export interface PatchResult<R> {
  rows: R[];
  /** Ids newly pinned at the top ("just in"). */
  pinned: string[];
}

/**
 * The queue after `changed` rows: each is removed, then put back at its place
 * in the order if it still belongs. `pinned` ids (new P1s shown above a full
 * page) stay at the top. When the page was full (`pageSize` rows listed, so
 * cases beyond it are not shown) a row that sorts past the last is left out,
 * unless it is a P1 received within `pinMinutes`: that one is pinned, as a
 * reload would pin it.
 */
export function patchRows<R extends PatchRow>(
  current: R[], changed: R[], f: Filters, pinned: ReadonlySet<string>, pageSize: number, now: number, pinMinutes: number,
): PatchResult<R> {
  const changedIds = new Set(changed.map((r) => r.id));
  const top: R[] = [];
  const page: R[] = [];
  for (const r of current) {
    if (changedIds.has(r.id)) continue;
    (pinned.has(r.id) ? top : page).push(r);
  }
  const full = current.filter((r) => !pinned.has(r.id)).length >= pageSize;
  const newlyPinned: string[] = [];
  for (const r of changed) {
    if (!belongs(r, f)) continue;
    if (pinned.has(r.id)) {
      top.push(r);
      continue;
    }
    const at = insertionPoint(page, r);
    if (full && at === page.length) {
      if (r.priority === 'P1' && now - Date.parse(r.received_at) <= pinMinutes * 60_000) {
        top.push(r);
        newlyPinned.push(r.id);
      }
      continue;
    }
    page.splice(at, 0, r);
  }
  // Pinned rows read newest first.
  top.sort((a, b) => Date.parse(b.received_at) - Date.parse(a.received_at));
  return { rows: [...top, ...page], pinned: newlyPinned };
}

/** First index whose row sorts after `r` (binary search; equal keys keep arrival order). */
function insertionPoint(rows: PatchRow[], r: PatchRow): number {
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (queueOrder(rows[mid], r) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
