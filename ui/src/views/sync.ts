// Sync: the hub this console syncs with, and the conflicts it reported
// (handoffs the hub rejected). The words of the status come from Rust.
//
// The form is built once per visit: the status line and the conflicts
// list refresh on their own (every few seconds, and when sync reports),
// so what the dispatcher is typing is never redrawn away.
import { api, asUiError, type ConflictRow, type UiError } from '../api';
import { clear, h } from '../dom';
import { formatWhen } from '../lib/time';
import { go, state } from '../state';
import { errorLine } from './common';

let conflicts: ConflictRow[] = [];
let error: UiError | null = null;
let saving = false;

// The parts that change while the screen is open.
const detail = h('p', { 'data-testid': 'sync-detail' });
const conflictsBox = h('div', { class: 'panel', 'data-testid': 'conflicts' });
const errorBox = h('div');
let connectButton: HTMLButtonElement | null = null;

export async function loadConflicts() {
  try {
    conflicts = await api.conflicts();
    error = null;
  } catch (e) {
    error = asUiError(e);
  }
  if (state.view === 'sync') refresh();
}

async function connect(hub: string, token: string) {
  saving = true;
  refresh();
  try {
    state.sync = await api.connectHub(hub, token);
    error = null;
  } catch (e) {
    error = asUiError(e);
  }
  saving = false;
  refresh();
}

/** Redraw the status line, the error and the conflicts list; leave the form alone. */
function refresh() {
  const pill = state.sync;
  clear(detail);
  if (pill) detail.append(h('strong', {}, pill.text), ' — ', pill.detail);
  clear(errorBox);
  const e = errorLine(error);
  if (e) errorBox.append(e);
  if (connectButton) connectButton.disabled = saving;
  clear(conflictsBox);
  conflictsBox.append(
    h('h2', {}, `Conflicts (${conflicts.length})`),
    conflicts.length === 0
      ? h('p', { class: 'muted' }, 'No handoff was rejected, or each has been looked at.')
      : h('ul', { class: 'plain conflicts' }, conflicts.map((c) => h('li', { 'data-testid': 'conflict-row', 'data-case-id': c.case_id },
        h('button', { class: 'btn ghost small', onclick: () => go('case', { caseId: c.case_id }) }, `Case ${c.short_id}`),
        ` ${c.text} (${formatWhen(c.rejected_at)})`))));
}

export function render(main: HTMLElement) {
  clear(main);
  const pill = state.sync;
  const hub = h('input', { type: 'url', id: 'hub-url', 'data-testid': 'hub-url', placeholder: 'https://hub.example.org', value: pill?.hub ?? '', 'aria-label': 'Hub address', autocomplete: 'off' }) as HTMLInputElement;
  const token = h('input', { type: 'password', id: 'hub-token', 'data-testid': 'hub-token', placeholder: pill?.hub ? 'Saved (type a new one to change it)' : 'bkn_…', 'aria-label': 'Device token', autocomplete: 'off' }) as HTMLInputElement;
  // Not a form submission: a console page must never navigate.
  const save = () => void connect(hub.value, token.value);
  connectButton = h('button', { class: 'btn primary', type: 'button', 'data-testid': 'hub-connect', onclick: save }, pill?.hub ? 'Save and reconnect' : 'Connect') as HTMLButtonElement;
  for (const input of [hub, token]) {
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); save(); } });
  }
  const form = h('div', { class: 'hub-form' },
    h('label', {}, h('span', {}, 'Hub address'), hub),
    h('label', {}, h('span', {}, 'Device token'), token),
    h('div', { class: 'actions' }, connectButton),
    errorBox);
  main.append(h('section', { class: 'sync-screen', 'data-testid': 'sync-screen', 'aria-label': 'Sync' },
    h('h1', {}, 'Sync'),
    h('div', { class: 'panel' },
      h('h2', {}, 'Hub'),
      detail,
      h('p', { class: 'muted small' }, 'Ask the hub\'s administrator for a device token (beacon-hub token create --role device). It is kept in this console\'s store and never shown again.'),
      form),
    conflictsBox));
  refresh();
}
