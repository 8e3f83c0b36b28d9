import { describe, expect, it } from 'vitest';
import { scrollToShow, visibleWindow } from './virtual';

describe('virtual list', () => {
  it('renders only what is visible plus overscan', () => {
    const w = visibleWindow(4000, 800, 40, 100_000, 5);
    expect(w.start).toBe(95);
    expect(w.end).toBe(125);
    expect(w.top).toBe(3800);
    expect(w.total).toBe(4_000_000);
  });
  it('clamps at the ends', () => {
    expect(visibleWindow(0, 800, 40, 3).end).toBe(3);
    expect(visibleWindow(-50, 800, 40, 10).start).toBe(0);
  });
  it('scrolls just enough to show a row', () => {
    expect(scrollToShow(0, 400, 800, 40)).toBe(0);
    expect(scrollToShow(30, 0, 800, 40)).toBe(440);
    expect(scrollToShow(5, 0, 800, 40)).toBeNull();
  });
});
