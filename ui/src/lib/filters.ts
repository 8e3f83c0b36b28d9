// The queue's filter state, what it sends to the app, and how it reads.

export type Priority = 'P1' | 'P2' | 'P3' | 'P4';
export type Status = 'new' | 'triaged' | 'handed_off' | 'acknowledged' | 'on_scene' | 'reopened';

export interface Filters {
  priorities: Priority[];
  statuses: Status[];
  troop: string | null;
  /** Jurisdiction id. */
  county: string | null;
  countyName: string | null;
  unassigned: boolean;
  overdue: boolean;
  text: string;
}

export const PAGE_SIZE = 2000;

export function emptyFilters(): Filters {
  return { priorities: [], statuses: [], troop: null, county: null, countyName: null, unassigned: false, overdue: false, text: '' };
}

export function toggle<T>(list: T[], v: T): T[] {
  return list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
}

/** The `queue` command's argument. */
export function toQueueArgs(f: Filters, limit = PAGE_SIZE) {
  return {
    priorities: f.priorities,
    statuses: f.statuses,
    troop: f.troop,
    county: f.county,
    unassigned: f.unassigned,
    overdue: f.overdue,
    limit,
  };
}

export function isFiltered(f: Filters): boolean {
  return f.priorities.length > 0 || f.statuses.length > 0 || !!f.troop || !!f.county || f.unassigned || f.overdue || f.text.trim() !== '';
}

/** One line saying what the queue shows, for the header and screen readers. */
export function describe(f: Filters): string {
  const parts: string[] = [];
  if (f.text.trim()) parts.push(`matching “${f.text.trim()}”`);
  if (f.priorities.length) parts.push([...f.priorities].sort().join('/'));
  if (f.statuses.length) parts.push(f.statuses.map((s) => s.replace('_', ' ')).join(' or '));
  if (f.county) parts.push(f.countyName ?? f.county);
  if (f.troop) parts.push(`Troop ${f.troop}`);
  if (f.unassigned) parts.push('jurisdiction unknown');
  if (f.overdue) parts.push('overdue');
  return parts.length ? `Open cases: ${parts.join(', ')}` : 'All open cases';
}

/** Apply filters the search command cannot (search spans every status). */
export function matchesLocally(
  row: { priority: string; status: string; troop?: string | null; jurisdiction_id?: string | null; open: boolean },
  f: Filters,
): boolean {
  if (f.priorities.length && !f.priorities.includes(row.priority as Priority)) return false;
  if (f.statuses.length && !f.statuses.includes(row.status as Status)) return false;
  if (f.troop && row.troop !== f.troop) return false;
  if (f.county && row.jurisdiction_id !== f.county) return false;
  return true;
}
