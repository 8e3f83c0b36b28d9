// Pieces several views share: badges, error lines, toasts, sound.
import type { UiError } from '../api';
import { h, label } from '../dom';

export function priorityBadge(p: string, extra = '') {
  return h('span', { class: `badge prio prio-${p.toLowerCase()} ${extra}`, title: `Priority ${p}`, 'aria-label': `Priority ${p}` }, p);
}

export function statusBadge(status: string, testid = false) {
  return h(
    'span',
    { class: `badge status status-${status}`, 'data-testid': testid ? 'status-badge' : null, 'data-status': status },
    label(status),
  );
}

/** An error in plain words, placed next to what caused it. */
export function errorLine(e: UiError | string | null, id?: string) {
  if (!e) return null;
  const msg = typeof e === 'string' ? e : e.field_label ? `${e.field_label} ${e.message}` : e.message;
  return h('p', { class: 'error', role: 'alert', id: id ?? null }, msg);
}

let toastHost: HTMLElement | null = null;
export function toast(text: string, opts: { action?: { label: string; run: () => void }; kind?: 'info' | 'alert' | 'error'; ms?: number } = {}) {
  if (!toastHost) {
    toastHost = h('div', { class: 'toasts', 'aria-live': 'polite', role: 'status' });
    document.body.appendChild(toastHost);
  }
  const el = h(
    'div',
    { class: `toast toast-${opts.kind ?? 'info'}`, 'data-testid': opts.kind === 'alert' ? 'alert-toast' : 'toast' },
    h('span', {}, text),
    opts.action &&
      h('button', { class: 'btn small toast-action', onclick: () => { opts.action!.run(); el.remove(); } }, opts.action.label),
    h('button', { class: 'btn small ghost', 'aria-label': 'Dismiss', onclick: () => el.remove() }, '×'),
  );
  toastHost.appendChild(el);
  setTimeout(() => el.remove(), opts.ms ?? 8000);
}

let audio: HTMLAudioElement | null = null;
/** What became of each alert sound: the end-to-end test reads it, and a failure is reported once. */
export const alertSounds = { requested: 0, played: 0, failed: 0, lastError: null as string | null };

/** The bundled alert sound. Where the webview has no audio output it cannot play: say so once, not at every alert. */
export function playAlert() {
  alertSounds.requested++;
  const failed = (e: unknown) => {
    alertSounds.failed++;
    alertSounds.lastError = String((e as { message?: string })?.message ?? e);
    if (alertSounds.failed === 1) toast('The alert sound could not play on this computer; watch for the banners.', { kind: 'error' });
  };
  try {
    audio ??= new Audio('/alert.wav');
    audio.currentTime = 0;
    audio.play().then(() => { alertSounds.played++; }, failed);
  } catch (e) {
    failed(e);
  }
}

export function field(labelText: string, value: unknown) {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return null;
  return [h('dt', {}, labelText), h('dd', {}, Array.isArray(value) ? value.join(', ') : String(value))];
}
