// My cases: what was handed to the responder this console is signed in as.
import { api, asUiError, type CaseView, type RosterView, type UiError } from '../api';
import { clear, h, label } from '../dom';
import { formatCountdown, formatWhen, secondsUntil, urgencyOf } from '../lib/time';
import { go, state } from '../state';
import { errorLine, priorityBadge, statusBadge } from './common';

let cases: CaseView[] = [];
/** The signed-in responder as the roster names them (Rust's words). */
let me: RosterView['rows'][number] | null = null;
let loaded = false;
let errors: Record<string, UiError | null> = {};

export async function loadMine() {
  const responder = state.session?.responder_id;
  if (!responder) { cases = []; return; }
  try {
    const [mine, roster] = await Promise.all([api.casesForResponder(responder, 200), api.roster()]);
    cases = mine;
    me = roster.rows.find((r) => r.id === responder) ?? null;
    errors.load = null;
  } catch (e) {
    errors.load = asUiError(e);
  }
  loaded = true;
  if (state.view === 'mine') render(document.getElementById('main')!);
}

async function act(id: string, f: () => Promise<unknown>) {
  try { await f(); errors[id] = null; } catch (e) { errors[id] = asUiError(e); }
  await loadMine();
}

export function render(main: HTMLElement) {
  clear(main);
  if (!loaded) {
    main.append(h('p', { class: 'empty', 'data-testid': 'my-cases-loading' }, 'Loading your cases…'));
    return;
  }
  if (!me || me.id !== state.session?.responder_id) {
    main.append(h('section', { class: 'panel narrow', 'data-testid': 'my-cases' }, h('h1', {}, 'My cases'),
      h('p', {}, 'Your account is not linked to a responder on the roster, so no case is handed to you.'),
      h('p', { class: 'muted' }, 'An administrator links it: beacon user add NAME --role task_force --responder ID.')));
    return;
  }
  const open = cases.filter((c) => c.status !== 'closed');
  main.append(h('section', { class: 'mine', 'data-testid': 'my-cases', 'aria-label': 'My cases' },
    h('h1', {}, `Cases handed to ${me.name}`, h('span', { class: 'muted' }, ` · ${me.role_label}, ${me.agency} · ${open.length} open of ${cases.length}`)),
    errorLine(errors.load ?? null),
    cases.length === 0 ? h('p', { class: 'empty' }, 'Nothing has been handed to you yet.') : null,
    h('div', { class: 'cards' }, cases.map((c) => card(c)))));
}

function card(c: CaseView) {
  const note = h('input', { type: 'text', placeholder: 'Add a note', 'aria-label': `Note on case ${c.short_id}` }) as HTMLInputElement;
  const disp = h('input', { type: 'text', placeholder: 'Disposition', 'aria-label': `Disposition to close case ${c.short_id}` }) as HTMLInputElement;
  const loc = c.location;
  let countdown: HTMLElement | null = null;
  if (c.deadline) {
    const left = secondsUntil(c.deadline.due_at, Date.now());
    const u = urgencyOf(left, (Date.parse(c.deadline.due_at) - Date.parse(c.received_at)) / 1000);
    countdown = h('span', { class: `countdown u-${u}` }, formatCountdown(left, c.deadline.kind));
  }
  const s0 = c.status;
  return h('article', { class: `panel card p-${c.priority.toLowerCase()}`, 'data-case-id': c.id, 'aria-label': `Case ${c.short_id}` },
    h('header', {}, priorityBadge(c.priority), h('button', { class: 'linkish', onclick: () => go('case', { caseId: c.id }) }, `Case ${c.short_id}`),
      statusBadge(s0), countdown),
    h('p', {}, `${c.jurisdiction_label} · ${label(c.trafficking_type)} · ${[loc?.address, loc?.city].filter(Boolean).join(', ') || '—'}`),
    h('p', { class: 'muted small' }, `Handed off ${formatWhen(c.handed_off_at)}${c.acknowledged_at ? ` · acknowledged ${formatWhen(c.acknowledged_at)}` : ''}`),
    // What may be done now is Rust's (CaseActions).
    h('div', { class: 'actions wrap' },
      h('button', { class: 'btn primary', disabled: !c.actions.acknowledge, onclick: () => void act(c.id, () => api.acknowledge(c.id)) }, 'Acknowledge'),
      h('button', { class: 'btn', disabled: !c.actions.on_scene, onclick: () => void act(c.id, () => api.setStatus(c.id, 'on_scene', null)) }, 'On scene'),
      c.actions.close && [disp, h('button', { class: 'btn', onclick: () => void act(c.id, () => api.setStatus(c.id, 'closed', disp.value || null)) }, 'Close')]),
    h('div', { class: 'actions' }, note, h('button', { class: 'btn', onclick: () => void act(c.id, () => api.addNote(c.id, note.value)) }, 'Add note')),
    errorLine(errors[c.id] ?? null));
}
