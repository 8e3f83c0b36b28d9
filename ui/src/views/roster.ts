// The roster: who serves where, who is on duty, how each is reached, and the
// escalation targets. Rust decides every word and the order (beacon-api's
// roster.rs); this draws it and sends duty changes.
import { api, asUiError, type RosterView, type UiError } from '../api';
import { clear, h } from '../dom';
import { state } from '../state';
import { errorLine, toast } from './common';

let roster: RosterView | null = null;
let error: UiError | null = null;

export async function loadRoster() {
  try { roster = await api.roster(); error = null; } catch (e) { error = asUiError(e); }
  if (state.view === 'roster') render(document.getElementById('main')!);
}

async function setDuty(id: string, name: string, onDuty: boolean) {
  try {
    await api.setOnDuty(id, onDuty);
    toast(`${name} is now ${onDuty ? 'on duty' : 'off duty'}.`);
  } catch (e) {
    toast(asUiError(e).message, { kind: 'error' });
  }
  await loadRoster();
}

type Row = RosterView['rows'][number];

function dutyCell(r: Row, may: boolean) {
  const text = r.on_duty ? 'On duty' : 'Off duty';
  if (!may) return h('span', { class: `tag ${r.on_duty ? 'ok' : ''}` }, text);
  return h('button', {
    class: `btn small ${r.on_duty ? '' : 'ghost'}`,
    'data-testid': 'duty-toggle',
    'aria-pressed': String(r.on_duty),
    title: r.on_duty ? `Take ${r.name} off duty` : `Put ${r.name} on duty`,
    onclick: () => void setDuty(r.id, r.name, !r.on_duty),
  }, text);
}

function reachedCell(r: Row) {
  return h('td', { 'data-testid': 'roster-reached', title: r.reached },
    r.channels.length ? r.channels.map((c) => h('span', { class: 'tag ok' }, c)) : h('span', { class: 'muted' }, r.reached),
    r.webhook_disabled ? h('span', { class: 'tag warn', title: 'The webhook answered 410 Gone; it is off until its address is set again on the hub.' }, 'webhook off') : null);
}

export function render(main: HTMLElement) {
  clear(main);
  if (!roster) {
    main.append(errorLine(error) ?? h('p', { class: 'empty' }, 'Loading the roster…'));
    if (!error) void loadRoster();
    return;
  }
  const v = roster;
  const onDuty = v.rows.filter((r) => r.on_duty).length;
  const targets = v.targets.length
    ? h('section', { class: 'panel', 'data-testid': 'escalation-targets' },
      h('h2', {}, 'Escalation targets (the hub escalates a handoff that misses one)'),
      h('ul', { class: 'plain' }, v.targets.map((t) => h('li', {}, t))))
    : null;
  main.append(h('section', { class: 'roster', 'data-testid': 'roster', 'aria-label': 'Roster' },
    h('header', { class: 'row' }, h('h1', {}, 'Roster'), h('span', { class: 'muted' }, `${onDuty} of ${v.rows.length} on duty`)),
    errorLine(error),
    h('p', { class: 'muted', 'data-testid': 'channels-source' }, v.channels_source),
    targets,
    h('table', { class: 'table roster-table' },
      h('thead', {}, h('tr', {}, ...['Duty', 'Name', 'Role', 'Serves', 'Agency', 'Languages', 'Phone', 'Open cases', 'Reached by'].map((t) => h('th', {}, t)))),
      h('tbody', {}, v.rows.map((r) => h('tr', { 'data-testid': 'roster-row', 'data-responder-id': r.id, class: r.on_duty ? '' : 'off-duty' },
        h('td', {}, dutyCell(r, v.may_set_duty)),
        h('td', {}, h('strong', {}, r.name), h('div', { class: 'muted small' }, r.id)),
        h('td', {}, r.role_label),
        h('td', {}, r.serves),
        h('td', {}, r.agency),
        h('td', {}, r.languages.join(', ')),
        h('td', {}, r.phone ?? '—'),
        h('td', {}, String(r.open_cases)),
        reachedCell(r)))))));
}
