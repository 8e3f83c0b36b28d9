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
/** Where the screen is drawn, to draw it again once connected. */
let screen: HTMLElement | null = null;

// The parts that change while the screen is open.
const detail = h('p', { 'data-testid': 'sync-detail' });
const conflictsBox = h('div', { class: 'panel', 'data-testid': 'conflicts' });
const errorBox = h('div');
let buttons: HTMLButtonElement[] = [];

export async function loadConflicts() {
  try {
    conflicts = await api.conflicts();
    error = null;
  } catch (e) {
    error = asUiError(e);
  }
  if (state.view === 'sync') refresh();
}

/** Save what the hub answered (the pill), or the refusal; the form stays as typed. */
async function attempt(call: () => Promise<typeof state.sync>) {
  saving = true;
  refresh();
  let connected = false;
  try {
    state.sync = await call();
    error = null;
    connected = true;
  } catch (e) {
    error = asUiError(e);
  }
  saving = false;
  // Connected: draw the screen again, status first and the form folded away.
  if (connected && screen && state.view === 'sync') render(screen);
  else refresh();
}

/** Redraw the status line, the error and the conflicts list; leave the form alone. */
function refresh() {
  const pill = state.sync;
  clear(detail);
  if (pill) detail.append(h('strong', {}, pill.text), ' — ', pill.detail);
  clear(errorBox);
  const e = errorLine(error);
  if (e) errorBox.append(e);
  for (const b of buttons) b.disabled = saving;
  clear(conflictsBox);
  conflictsBox.append(
    h('h2', {}, `Conflicts (${conflicts.length})`),
    conflicts.length === 0
      ? h('p', { class: 'muted' }, 'No handoff was rejected, or each has been looked at.')
      : h('ul', { class: 'plain conflicts' }, conflicts.map((c) => h('li', { 'data-testid': 'conflict-row', 'data-case-id': c.case_id },
        h('button', { class: 'btn ghost small', onclick: () => go('case', { caseId: c.case_id }) }, `Case ${c.short_id}`),
        ` ${c.text} (${formatWhen(c.rejected_at)})`))));
}

const intro = () => h('p', { class: 'muted small' }, 'Enrol once with your hub account: this console then receives what your role may see. The password is sent to the hub only; the token it gives is kept in this console\'s store and never shown.');

export function render(main: HTMLElement) {
  screen = main;
  clear(main);
  const pill = state.sync;
  const field = (attrs: Record<string, string>) => h('input', { autocomplete: 'off', ...attrs }) as HTMLInputElement;
  const hub = field({ type: 'url', id: 'hub-url', 'data-testid': 'hub-url', placeholder: 'https://hub.example.org', value: pill?.hub ?? '', 'aria-label': 'Hub address' });
  // Enrolling: the person's hub account, once; the hub gives this console its token.
  const user = field({ type: 'text', id: 'hub-user', 'data-testid': 'hub-user', value: state.session?.user ?? '', 'aria-label': 'Hub user name' });
  const password = field({ type: 'password', id: 'hub-password', 'data-testid': 'hub-password', 'aria-label': 'Hub password' });
  const device = field({ type: 'text', id: 'hub-device', 'data-testid': 'hub-device', value: 'desktop', 'aria-label': 'This console\'s name on the hub' });
  const enrol = () => void attempt(() => api.enrolHub(hub.value, user.value, password.value, device.value).finally(() => { password.value = ''; }));
  const enrolButton = h('button', { class: 'btn primary', type: 'button', 'data-testid': 'hub-enrol', onclick: enrol }, 'Enrol') as HTMLButtonElement;
  // Or a device token an operator made by hand.
  const token = field({ type: 'password', id: 'hub-token', 'data-testid': 'hub-token', placeholder: pill?.hub ? 'Saved (type a new one to change it)' : 'bkn_…', 'aria-label': 'Device token' });
  const save = () => void attempt(() => api.connectHub(hub.value, token.value));
  const connectButton = h('button', { class: 'btn', type: 'button', 'data-testid': 'hub-connect', onclick: save }, pill?.hub ? 'Save and reconnect' : 'Connect') as HTMLButtonElement;
  buttons = [enrolButton, connectButton];
  // Not a form submission: a console page must never navigate.
  for (const input of [user, password, device]) {
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); enrol(); } });
  }
  token.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); save(); } });
  const form = h('div', { class: 'hub-form' },
    h('label', {}, h('span', {}, 'Hub address'), hub),
    h('label', {}, h('span', {}, 'Hub user name'), user),
    h('label', {}, h('span', {}, 'Hub password'), password),
    h('label', {}, h('span', {}, 'This console on the hub'), device),
    h('div', { class: 'actions' }, enrolButton),
    h('p', { class: 'muted small' }, 'Or paste a device token an operator made (beacon-hub token create --role device):'),
    h('label', {}, h('span', {}, 'Device token'), token),
    h('div', { class: 'actions' }, connectButton),
    errorBox);
  main.append(h('section', { class: 'sync-screen', 'data-testid': 'sync-screen', 'aria-label': 'Sync' },
    h('h1', {}, 'Sync'),
    h('div', { class: 'panel' },
      h('h2', {}, 'Hub'),
      detail,
      // Once connected the status is what matters; enrolling again is one click away.
      pill?.hub
        ? h('details', { 'data-testid': 'hub-change' },
          h('summary', {}, 'Enrol again, or connect to another hub'), intro(), form)
        : h('div', {}, intro(), form)),
    conflictsBox));
  refresh();
}
