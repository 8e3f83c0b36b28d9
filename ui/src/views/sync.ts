// Sync: the hub this console syncs with, and the conflicts it reported
// (handoffs the hub rejected). The words of the status come from Rust.
import { api, asUiError, type ConflictRow, type SyncPill, type UiError } from '../api';
import { clear, h } from '../dom';
import { formatWhen } from '../lib/time';
import { go, state } from '../state';
import { errorLine } from './common';

let conflicts: ConflictRow[] = [];
let error: UiError | null = null;
let saving = false;

export async function loadConflicts() {
  try {
    conflicts = await api.conflicts();
    error = null;
  } catch (e) {
    error = asUiError(e);
  }
  if (state.view === 'sync') render(document.getElementById('main')!);
}

async function connect(hub: string, token: string) {
  saving = true;
  render(document.getElementById('main')!);
  try {
    state.sync = await api.connectHub(hub, token);
    error = null;
  } catch (e) {
    error = asUiError(e);
  }
  saving = false;
  render(document.getElementById('main')!);
}

export function render(main: HTMLElement) {
  clear(main);
  const pill: SyncPill | null = state.sync;
  const hub = h('input', { type: 'url', id: 'hub-url', 'data-testid': 'hub-url', placeholder: 'https://hub.example.org', value: pill?.hub ?? '', 'aria-label': 'Hub address', autocomplete: 'off' }) as HTMLInputElement;
  const token = h('input', { type: 'password', id: 'hub-token', 'data-testid': 'hub-token', placeholder: pill?.hub ? 'Saved (type a new one to change it)' : 'bkn_…', 'aria-label': 'Device token', autocomplete: 'off' }) as HTMLInputElement;
  const form = h('form', { class: 'hub-form', onsubmit: (e: Event) => { e.preventDefault(); void connect(hub.value, token.value); } },
    h('label', {}, h('span', {}, 'Hub address'), hub),
    h('label', {}, h('span', {}, 'Device token'), token),
    h('div', { class: 'actions' },
      h('button', { class: 'btn primary', type: 'submit', 'data-testid': 'hub-connect', disabled: saving }, pill?.hub ? 'Save and reconnect' : 'Connect')),
    errorLine(error));
  main.append(h('section', { class: 'sync-screen', 'data-testid': 'sync-screen', 'aria-label': 'Sync' },
    h('h1', {}, 'Sync'),
    h('div', { class: 'panel' },
      h('h2', {}, 'Hub'),
      pill ? h('p', { 'data-testid': 'sync-detail' }, h('strong', {}, pill.text), ' — ', pill.detail) : null,
      h('p', { class: 'muted small' }, 'Ask the hub\'s administrator for a device token (beacon-hub token create --role device). It is kept in this console\'s store and never shown again.'),
      form),
    h('div', { class: 'panel', 'data-testid': 'conflicts' },
      h('h2', {}, `Conflicts (${conflicts.length})`),
      conflicts.length === 0
        ? h('p', { class: 'muted' }, 'No handoff was rejected, or each has been looked at.')
        : h('ul', { class: 'plain conflicts' }, conflicts.map((c) => h('li', { 'data-testid': 'conflict-row', 'data-case-id': c.case_id },
          h('button', { class: 'btn ghost small', onclick: () => go('case', { caseId: c.case_id }) }, `Case ${c.short_id}`),
          ` ${c.handed_off_by} handed it to ${c.responder_name}; ${c.winner_handed_off_by}'s handoff to `,
          h('strong', {}, c.winner_responder_name), ` reached the hub first (${formatWhen(c.rejected_at)}).`))))));
}
