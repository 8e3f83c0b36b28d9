import { describe, expect, it } from 'vitest';
import { emptyFilters } from './filters';
import { belongs, canPatch, patchRows, queueOrder, type PatchRow } from './queue-patch';

const NOW = Date.parse('2026-11-30T03:00:00Z');
const minsAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

function row(id: string, priority: string, ageMinutes: number, more: Partial<PatchRow> = {}): PatchRow {
  return {
    id, priority, status: 'new', received_at: minsAgo(ageMinutes), closed_at: null,
    jurisdiction: { jurisdiction_id: '29077', troop: 'D', outside: false }, ...more,
  };
}
const ids = (rows: PatchRow[]) => rows.map((r) => r.id);

describe('queue order', () => {
  it('puts P1 first, unknown jurisdiction first among equals, then oldest first', () => {
    const unknown = row('u', 'P2', 5, { jurisdiction: { jurisdiction_id: null, troop: null, outside: false } });
    const rows = [row('p2-new', 'P2', 1), row('p3', 'P3', 100), unknown, row('p1', 'P1', 2), row('p2-old', 'P2', 50)];
    expect(ids(rows.sort(queueOrder))).toEqual(['p1', 'u', 'p2-old', 'p2-new', 'p3']);
  });
});

describe('patching the queue', () => {
  const f = emptyFilters();
  const base = [row('a', 'P1', 30), row('b', 'P2', 60), row('c', 'P3', 90)];

  it('inserts a new case at its place in the order', () => {
    const r = patchRows(base, [row('n', 'P2', 1)], f, new Set(), 2000, NOW, 60);
    expect(ids(r.rows)).toEqual(['a', 'b', 'n', 'c']);
    expect(r.pinned).toEqual([]);
  });

  it('moves a re-prioritised case and drops a closed one', () => {
    const r = patchRows(base, [row('c', 'P1', 90), { ...row('b', 'P2', 60), status: 'closed', closed_at: minsAgo(0) }], f, new Set(), 2000, NOW, 60);
    expect(ids(r.rows)).toEqual(['c', 'a']);
  });

  it('updates a row in place (status change keeps its position)', () => {
    const handed = { ...row('b', 'P2', 60), status: 'handed_off' };
    const r = patchRows(base, [handed], f, new Set(), 2000, NOW, 60);
    expect(ids(r.rows)).toEqual(['a', 'b', 'c']);
    expect(r.rows[1].status).toBe('handed_off');
  });

  it('drops a case that no longer matches the filters', () => {
    const p1Only = { ...emptyFilters(), priorities: ['P1' as const] };
    const r = patchRows([row('a', 'P1', 30), row('d', 'P1', 20)], [row('d', 'P2', 20)], p1Only, new Set(), 2000, NOW, 60);
    expect(ids(r.rows)).toEqual(['a']);
  });

  it('on a full page, pins a fresh P1 that sorts past the end and leaves out an older case', () => {
    const full = [row('a', 'P1', 300), row('b', 'P1', 200)];
    const r = patchRows(full, [row('fresh', 'P1', 1), row('old-p2', 'P2', 500)], f, new Set(), 2, NOW, 60);
    expect(ids(r.rows)).toEqual(['fresh', 'a', 'b']);
    expect(r.pinned).toEqual(['fresh']);
  });

  it('keeps pinned rows on top, newest first, when they change', () => {
    const rows = [row('pin1', 'P1', 5), row('a', 'P1', 300), row('b', 'P1', 200)];
    const r = patchRows(rows, [{ ...row('pin1', 'P1', 5), status: 'handed_off' }, row('pin2', 'P1', 2)], f, new Set(['pin1']), 2, NOW, 60);
    expect(ids(r.rows)).toEqual(['pin2', 'pin1', 'a', 'b']);
  });

  it('respects the unassigned filter', () => {
    const un = { ...emptyFilters(), unassigned: true };
    const outside = row('o', 'P2', 5, { jurisdiction: { jurisdiction_id: '29077', troop: 'D', outside: true } });
    expect(belongs(outside, un)).toBe(true);
    expect(belongs(row('k', 'P2', 5), un)).toBe(false);
  });

  it('leaves text search and overdue to the server', () => {
    expect(canPatch(emptyFilters())).toBe(true);
    expect(canPatch({ ...emptyFilters(), text: 'motel' })).toBe(false);
    expect(canPatch({ ...emptyFilters(), overdue: true })).toBe(false);
  });
});
