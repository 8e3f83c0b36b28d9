// New referral: a tip taken by phone. Validated exactly as an import would be
// (`preview`), with the priority and jurisdiction it would get shown as it is typed.
import { api, asUiError, type Preview, type UiError } from '../api';
import { clear, h, label } from '../dom';
import { DEFAULTS, VOCABULARY } from '../bindings/vocabulary';
import { go, state } from '../state';
import { errorLine, priorityBadge } from './common';

/** The values Rust offers for one enumeration, in its order. */
const values = (kind: string): string[] => (VOCABULARY[kind] ?? []).map((t) => t.value);
/** A select of those values starting on what a referral that does not say
 * holds (Rust's default: a minor's presence unknown, not the first choice). */
const choices = (kind: string) => ({ options: values(kind), selected: DEFAULTS[kind] });

type Spec = { name: string; text: string; kind?: 'text' | 'select' | 'textarea' | 'number' | 'datetime' | 'check'; options?: string[]; selected?: string; hint?: string };

const FIELDS: { legend: string; fields: Spec[] }[] = [
  { legend: 'The call', fields: [
    { name: 'external_id', text: 'Reference', hint: 'The call log number; must be unique for the source' },
    // Typed here, a tip most often came by phone to this desk (Rust's default, "other", is for imports that do not say).
    { name: 'source', text: 'Source', kind: 'select', options: values('source'), selected: 'local_call' },
    { name: 'received_at', text: 'Received', kind: 'datetime' },
    { name: 'urgency', text: 'Urgency', kind: 'select', options: ['', ...values('urgency')] },
    { name: 'trafficking_type', text: 'Trafficking type', kind: 'select', ...choices('trafficking_type') },
  ] },
  { legend: 'Where', fields: [
    { name: 'location.address', text: 'Address' }, { name: 'location.city', text: 'City' },
    { name: 'location.county', text: 'County' }, { name: 'location.state', text: 'State', hint: 'Two letters, e.g. MO' },
    { name: 'location.zip', text: 'ZIP' },
    { name: 'location.lat', text: 'Latitude', kind: 'number' }, { name: 'location.lon', text: 'Longitude', kind: 'number' },
    { name: 'location.place_type', text: 'Place type', kind: 'select', options: ['', ...values('place_type')] },
  ] },
  { legend: 'Who', fields: [
    { name: 'potential_victims.count', text: 'Potential victims', kind: 'number' },
    { name: 'potential_victims.minors', text: 'Minors involved', kind: 'select', ...choices('minors') },
    { name: 'potential_victims.languages', text: 'Victim languages', hint: 'Comma-separated, e.g. es, en' },
    { name: 'potential_victims.description', text: 'Victim description' },
    { name: 'suspects.0.description', text: 'Suspect description' },
    { name: 'suspects.0.phones', text: 'Suspect phones', hint: 'Comma-separated' },
    { name: 'suspects.0.vehicle.plate', text: 'Vehicle plate' }, { name: 'suspects.0.vehicle.state', text: 'Plate state' },
    { name: 'suspects.0.vehicle.make', text: 'Vehicle make' }, { name: 'suspects.0.vehicle.color', text: 'Vehicle colour' },
  ] },
  { legend: 'Reporter and consent', fields: [
    { name: 'reporter.kind', text: 'Reporter', kind: 'select', ...choices('reporter_kind') },
    { name: 'reporter.name', text: 'Reporter name' }, { name: 'reporter.phone', text: 'Reporter phone' },
    { name: 'reporter.contact_ok', text: 'Responders may contact the reporter', kind: 'check' },
    { name: 'consent.share_identifying_info', text: 'Consent to share identifying details with responders', kind: 'check' },
  ] },
];

let preview: Preview | null = null;
let saveError: UiError | null = null;
let indicators: [string, string][] = [];
let form: HTMLFormElement | null = null;

function nowLocal(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

function set(obj: Record<string, any>, path: string, v: unknown) {
  const parts = path.split('.');
  let o = obj;
  parts.slice(0, -1).forEach((p, i) => {
    const nextIsIndex = /^\d+$/.test(parts[i + 1]);
    o[p] ??= nextIsIndex ? [] : {};
    o = o[p];
  });
  o[parts[parts.length - 1]] = v;
}

/** The form as referral JSON: empty fields left out, lists split, numbers parsed. */
export function collect(f: HTMLFormElement): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const el of Array.from(f.querySelectorAll<HTMLInputElement>('[data-field]'))) {
    const name = el.dataset.field!;
    if (el.type === 'checkbox') {
      if (name.startsWith('indicator:')) continue;
      if (el.checked) set(out, name, true);
      continue;
    }
    const v = el.value.trim();
    if (!v) continue;
    if (el.type === 'number') set(out, name, Number(v));
    else if (el.type === 'datetime-local') set(out, name, new Date(v).toISOString());
    else if (name.endsWith('languages') || name.endsWith('phones')) set(out, name, v.split(',').map((x) => x.trim()).filter(Boolean));
    else set(out, name, v);
  }
  const inds = Array.from(f.querySelectorAll<HTMLInputElement>('[data-field^="indicator:"]')).filter((x) => x.checked).map((x) => x.dataset.field!.slice(10));
  if (inds.length) out.indicators = inds;
  return out;
}

function input(spec: Spec) {
  const id = `f-${spec.name.replace(/\./g, '-')}`;
  const common = { id, 'data-field': spec.name, 'aria-describedby': `${id}-err` };
  let el: HTMLElement;
  if (spec.kind === 'select') el = h('select', common, (spec.options ?? []).map((o) => h('option', { value: o, selected: o === spec.selected }, o ? label(o) : '— choose —')));
  else if (spec.kind === 'textarea') el = h('textarea', { ...common, rows: '5' });
  else if (spec.kind === 'check') return h('div', { class: 'field check' }, h('label', {}, h('input', { ...common, type: 'checkbox' }), ' ', spec.text), h('p', { class: 'error', id: `${id}-err`, 'data-error-for': spec.name }));
  else el = h('input', { ...common, type: spec.kind === 'number' ? 'number' : spec.kind === 'datetime' ? 'datetime-local' : 'text', step: spec.kind === 'number' ? 'any' : null,
    value: spec.name === 'received_at' ? nowLocal() : spec.name === 'external_id' ? `CALL-${Date.now().toString(36).toUpperCase()}` : null });
  return h('div', { class: 'field' }, h('label', { for: id }, spec.text), el, spec.hint ? h('span', { class: 'hint' }, spec.hint) : null,
    h('p', { class: 'error', id: `${id}-err`, 'data-error-for': spec.name, role: 'alert' }));
}

export async function render(main: HTMLElement) {
  clear(main);
  if (!indicators.length) indicators = await api.indicators().catch(() => []);
  preview = null;
  saveError = null;
  form = h('form', { class: 'newref', 'data-testid': 'new-referral', 'aria-label': 'New referral', novalidate: true }) as HTMLFormElement;
  form.append(
    h('h1', {}, 'New referral'),
    ...FIELDS.map((g) => h('fieldset', {}, h('legend', {}, g.legend), g.fields.map(input))),
    h('fieldset', {}, h('legend', {}, 'Indicators'),
      h('div', { class: 'indicators' }, indicators.map(([k, v]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-field': `indicator:${k}` }), ` ${v}`)))),
    h('fieldset', { class: 'wide' }, h('legend', {}, 'What the caller said'), input({ name: 'narrative', text: 'Narrative', kind: 'textarea' })),
  );
  const side = h('aside', { class: 'panel preview', 'aria-live': 'polite', id: 'preview' });
  const save = h('button', { class: 'btn primary', type: 'submit', id: 'save-referral' }, 'Save referral');
  form.append(h('div', { class: 'actions' }, save, h('button', { class: 'btn ghost', type: 'button', onclick: () => go('queue') }, 'Cancel'), h('div', { id: 'save-error' })));
  let t: number | undefined;
  form.addEventListener('input', () => { clearTimeout(t); t = window.setTimeout(() => void update(side), 150); });
  form.addEventListener('submit', (e) => { e.preventDefault(); void submit(side); });
  main.append(h('section', { class: 'newref-wrap' }, form, side));
  await update(side);
  (form.querySelector('#f-urgency') as HTMLElement | null)?.focus();
}

function showProblems(problems: { field: string; problem: string }[]) {
  if (!form) return;
  for (const p of Array.from(form.querySelectorAll<HTMLElement>('[data-error-for]'))) p.textContent = '';
  for (const el of Array.from(form.querySelectorAll('[aria-invalid]'))) el.removeAttribute('aria-invalid');
  for (const pr of problems) {
    const key = pr.field.replace(/\[(\d+)\]/g, '.$1');
    const slot = form.querySelector<HTMLElement>(`[data-error-for="${key}"]`) ?? form.querySelector<HTMLElement>(`[data-error-for^="${key}."]`);
    if (slot) {
      slot.textContent = pr.problem;
      form.querySelector(`[data-field="${slot.dataset.errorFor}"]`)?.setAttribute('aria-invalid', 'true');
    }
  }
}

async function update(side: HTMLElement) {
  if (!form) return;
  try {
    preview = await api.preview(collect(form));
  } catch (e) {
    saveError = asUiError(e);
  }
  clear(side);
  side.append(h('h2', {}, 'As it would be stored'));
  if (preview?.triage) {
    side.append(h('p', {}, priorityBadge(preview.triage.priority, 'big'), ' ', h('strong', {}, preview.triage.priority)),
      h('ul', { class: 'reasons' }, preview.triage.reasons.map((r) => h('li', {}, r.text))));
  }
  if (preview?.jurisdiction) {
    const j = preview.jurisdiction;
    side.append(h('p', {}, h('strong', {}, preview.jurisdiction_label ?? ''), ` (${label(j.method)})`),
      j.near_border ? h('p', { class: 'warn-text' }, 'Near a county border: confirm the jurisdiction after saving.') : "");
  }
  const problems = preview?.problems ?? [];
  showProblems(problems);
  if (problems.length) {
    side.append(h('p', { class: 'muted' }, `${problems.length} thing${problems.length === 1 ? '' : 's'} to fix before saving:`),
      h('ul', { class: 'problems' }, problems.map((p) => h('li', {}, h('strong', {}, p.field_label), ` ${p.problem}`))));
  } else side.append(h('p', { class: 'ok-text' }, 'Ready to save.'));
}

async function submit(side: HTMLElement) {
  if (!form) return;
  await update(side);
  if (preview?.problems.length) {
    form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    return;
  }
  try {
    const out = await api.addReferral(collect(form));
    saveError = null;
    state.view = 'queue';
    go('case', { caseId: out.id, replace: true });
  } catch (e) {
    saveError = asUiError(e);
    const slot = document.getElementById('save-error');
    if (slot) { clear(slot); slot.append(errorLine(saveError)!); }
    if (saveError.field) showProblems([{ field: saveError.field, problem: saveError.message }]);
  }
}
