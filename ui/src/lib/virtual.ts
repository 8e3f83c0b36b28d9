// Which rows of a long fixed-height list to put in the DOM.

export interface Window { start: number; end: number; top: number; total: number; }

export function visibleWindow(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 8): Window {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + Math.ceil(viewport / rowHeight) + overscan);
  return { start, end, top: start * rowHeight, total: count * rowHeight };
}

/** The scrollTop that brings row `i` into view, or null when it already is. */
export function scrollToShow(i: number, scrollTop: number, viewport: number, rowHeight: number): number | null {
  const top = i * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return null;
}
