// The queue's filter state, the query it becomes, and how it reads. Which
// cases match is decided by the store (`QueueQuery`); nothing here filters rows.
import type { CaseStatus } from '../bindings/CaseStatus';
import type { Priority } from '../bindings/Priority';
import type { QueueQuery } from '../bindings/QueueQuery';
import { words } from '../dom';

export type { Priority };
/** The statuses an open case can have (the queue lists open cases only). */
export type Status = Exclude<CaseStatus, 'closed'>;

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

/** The query the `queue` and `queue_rows` commands take. */
export function toQueueQuery(f: Filters, limit = PAGE_SIZE): QueueQuery {
  return {
    priorities: f.priorities,
    statuses: f.statuses,
    troop: f.troop,
    jurisdiction: f.county,
    unassigned: f.unassigned,
    overdue: f.overdue,
    text: f.text.trim() ? f.text : null,
    include_closed: false,
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
  if (f.statuses.length) parts.push(f.statuses.map((s) => words(s)).join(' or '));
  if (f.county) parts.push(f.countyName ?? f.county);
  if (f.troop) parts.push(`Troop ${f.troop}`);
  if (f.unassigned) parts.push('jurisdiction unknown');
  if (f.overdue) parts.push('overdue');
  return parts.length ? `Open cases: ${parts.join(', ')}` : 'All open cases';
}
