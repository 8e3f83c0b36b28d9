// Time display for the queue: age since received, countdown to the target,
// and the colour band a countdown falls in.

export type Urgency = 'ok' | 'near' | 'overdue';

/**
 * "45s", "12m 04s", "3h 05m", "2d 4h" — compact, for a column. The same rule
 * as Rust's `format_span` (beacon-domain triage.rs), which the command line
 * prints: live countdowns are formatted here every second, and the test
 * checks this against examples generated from the Rust function.
 */
export function formatSpan(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(Math.abs(totalSeconds)));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** Time since received: "12m 04s ago". */
export function formatAge(receivedAtMs: number, nowMs: number): string {
  return `${formatSpan((nowMs - receivedAtMs) / 1000)} ago`;
}

/** Countdown to a target: "ack in 4m 10s" / "ack overdue 3m 02s" (the verb first, so a narrow column still says which target). */
export function formatCountdown(secondsLeft: number, kind: 'acknowledge' | 'arrive'): string {
  const verb = kind === 'acknowledge' ? 'ack' : 'on scene';
  return secondsLeft >= 0 ? `${verb} in ${formatSpan(secondsLeft)}` : `${verb} overdue ${formatSpan(secondsLeft)}`;
}

/**
 * Colour band: red once past the target; amber when a quarter or less of the
 * allowed time is left, or ten minutes or less (whichever is more warning).
 */
export function urgencyOf(secondsLeft: number, allowedSeconds: number): Urgency {
  if (secondsLeft < 0) return 'overdue';
  const warn = Math.max(600, allowedSeconds * 0.25);
  return secondsLeft <= warn ? 'near' : 'ok';
}

/** Seconds left against a due time, from the wall clock. */
export function secondsUntil(dueAtIso: string, nowMs: number): number {
  return Math.floor((Date.parse(dueAtIso) - nowMs) / 1000);
}

/** Local date and time for detail views: "Tue 14 Jan 03:12". */
export function formatWhen(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}
