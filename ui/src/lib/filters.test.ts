import { describe as suite, expect, it } from 'vitest';
import { describe, emptyFilters, isFiltered, toQueueQuery, toggle } from './filters';

suite('filters', () => {
  it('toggles values in and out', () => {
    expect(toggle(['P1'], 'P2')).toEqual(['P1', 'P2']);
    expect(toggle(['P1', 'P2'], 'P1')).toEqual(['P2']);
  });
  it('becomes the store query, text and all', () => {
    const f = { ...emptyFilters(), priorities: ['P1' as const], county: '29510', troop: 'C' };
    expect(toQueueQuery(f, 50)).toEqual({
      priorities: ['P1'], statuses: [], troop: 'C', jurisdiction: '29510', unassigned: false, overdue: false, text: null, include_closed: false, limit: 50,
    });
    expect(toQueueQuery({ ...f, text: 'glenstone motel' }).text).toBe('glenstone motel');
    expect(toQueueQuery({ ...f, text: '   ' }).text).toBeNull();
  });
  it('describes itself in words', () => {
    expect(describe(emptyFilters())).toBe('All open cases');
    expect(describe({ ...emptyFilters(), priorities: ['P2', 'P1'], county: '29077', countyName: 'Greene', overdue: true })).toBe(
      'Open cases: P1/P2, Greene, overdue',
    );
    // Statuses in Rust's words (the generated vocabulary), every underscore gone.
    expect(describe({ ...emptyFilters(), statuses: ['handed_off', 'on_scene'] })).toBe('Open cases: handed off or on scene');
    expect(isFiltered(emptyFilters())).toBe(false);
    expect(isFiltered({ ...emptyFilters(), text: 'motel' })).toBe(true);
  });
});
