import { describe, expect, it } from 'vitest';
import { canPatch, dueForReorder, patchRows, type PatchRow } from './queue-patch';

// Keys as Rust makes them: group, priority, sub-rank, deadline, id. The
// tests only rely on them being compared as strings.
const row = (id: string, key: string): PatchRow => ({ id, place: { order_key: key } });
const ids = (rows: PatchRow[]) => rows.map((r) => r.id);
const base = [row('a', '010a'), row('b', '020b'), row('c', '030c')];

describe('patching the queue', () => {
  it('inserts a new case where its key sorts', () => {
    expect(ids(patchRows(base, ['n'], [row('n', '025n')], 2000))).toEqual(['a', 'b', 'n', 'c']);
  });

  it('moves a changed case and drops one the store no longer returns', () => {
    expect(ids(patchRows(base, ['c', 'b'], [row('c', '005c')], 2000))).toEqual(['c', 'a']);
  });

  it('keeps a changed case in place when its key did not move', () => {
    const r = patchRows(base, ['b'], [{ ...row('b', '020b') }], 2000);
    expect(ids(r)).toEqual(['a', 'b', 'c']);
  });

  it('on a full page, leaves out a case that sorts past the last row', () => {
    const full = [row('a', '010a'), row('b', '020b')];
    expect(ids(patchRows(full, ['late', 'early'], [row('late', '090late'), row('early', '001early')], 2))).toEqual(['early', 'a']);
  });

  it('leaves text searches to the server', () => {
    expect(canPatch('')).toBe(true);
    expect(canPatch('  ')).toBe(true);
    expect(canPatch('motel')).toBe(false);
  });

  it('names the rows whose deadline has passed since they were fetched', () => {
    const now = Date.parse('2026-12-01T03:00:00Z');
    const rows = [
      { id: 'due', place: { reorder_at: '2026-12-01T02:59:59Z' } },
      { id: 'later', place: { reorder_at: '2026-12-01T03:05:00Z' } },
      { id: 'never', place: { reorder_at: null } },
      { id: 'closed', place: null },
    ];
    expect(dueForReorder(rows, now)).toEqual(['due']);
  });
});
