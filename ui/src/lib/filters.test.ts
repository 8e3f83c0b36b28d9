import { describe as suite, expect, it } from 'vitest';
import { describe, emptyFilters, isFiltered, matchesLocally, toQueueArgs, toggle } from './filters';

suite('filters', () => {
  it('toggles values in and out', () => {
    expect(toggle(['P1'], 'P2')).toEqual(['P1', 'P2']);
    expect(toggle(['P1', 'P2'], 'P1')).toEqual(['P2']);
  });
  it('maps to the queue command', () => {
    const f = { ...emptyFilters(), priorities: ['P1' as const], county: '29510', troop: 'C' };
    expect(toQueueArgs(f, 50)).toEqual({ priorities: ['P1'], statuses: [], troop: 'C', county: '29510', unassigned: false, overdue: false, limit: 50 });
  });
  it('describes itself in words', () => {
    expect(describe(emptyFilters())).toBe('All open cases');
    expect(describe({ ...emptyFilters(), priorities: ['P2', 'P1'], county: '29077', countyName: 'Greene', overdue: true })).toBe(
      'Open cases: P1/P2, Greene, overdue',
    );
    expect(isFiltered(emptyFilters())).toBe(false);
    expect(isFiltered({ ...emptyFilters(), text: 'motel' })).toBe(true);
  });
  it('filters search results locally', () => {
    const row = { priority: 'P1', status: 'new', troop: 'D', jurisdiction_id: '29077', open: true };
    expect(matchesLocally(row, { ...emptyFilters(), troop: 'D' })).toBe(true);
    expect(matchesLocally(row, { ...emptyFilters(), troop: 'C' })).toBe(false);
    expect(matchesLocally(row, { ...emptyFilters(), priorities: ['P2'] })).toBe(false);
  });
});
