// Patching the queue with the rows of cases that just changed, so a new or
// updated case is on screen without reloading the whole page. Which rows
// belong and where each goes are decided in Rust: the `queue_rows` command
// returns the changed cases that still match the query, each with its
// `place.order_key`; rows sort by that key as plain strings.

/** What a patch needs of a row. */
export interface PatchRow {
  id: string;
  place: { order_key: string } | null;
}

function key(r: PatchRow): string {
  // A row without a place (a closed case) never reaches the queue; sort it last if it does.
  return r.place?.order_key ?? '\u{10FFFF}';
}

/**
 * The queue after cases `changedIds` changed: their old rows go, and
 * `fresh` (those of them that still belong, from `queue_rows`) go back in at
 * their place. When the page was full (`pageSize` rows, so cases beyond it
 * are not shown), a row that sorts past the last one is left out, as a
 * reload would leave it out.
 */
export function patchRows<R extends PatchRow>(current: R[], changedIds: readonly string[], fresh: R[], pageSize: number): R[] {
  const gone = new Set(changedIds);
  const rows = current.filter((r) => !gone.has(r.id));
  const full = current.length >= pageSize;
  for (const r of [...fresh].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))) {
    const at = insertionPoint(rows, key(r));
    if (full && at === rows.length) continue;
    rows.splice(at, 0, r);
  }
  return rows.length > pageSize ? rows.slice(0, pageSize) : rows;
}

/** First index whose key sorts after `k` (binary search). */
function insertionPoint(rows: PatchRow[], k: string): number {
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(rows[mid]) <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether a patch can stand in for a reload: text matches are listed newest first, not by key. */
export function canPatch(text: string): boolean {
  return !text.trim();
}

/**
 * Rows whose place changes by time alone now (a deadline passed since they
 * were fetched): fetch them again so they move.
 */
export function dueForReorder(rows: readonly { id: string; place: { reorder_at: string | null } | null }[], nowMs: number): string[] {
  return rows.filter((r) => r.place?.reorder_at != null && Date.parse(r.place.reorder_at) <= nowMs).map((r) => r.id);
}
