// A tiny element builder: h('div', {class: 'x', onclick: f}, child, 'text').
import { VOCABULARY, type Term } from './bindings/vocabulary';

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
export type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el: Node, children: Child[]) {
  for (const c of children.flat(Infinity as 1) as Child[]) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Every enumeration value, as Rust words it (`beacon_api::vocabulary`). */
const TERMS = new Map<string, Term>(Object.values(VOCABULARY).flat().map((t) => [t.value, t]));

/** "victim_advocate" → "victim advocate", inside a sentence; a value Rust does not word is shown as given. */
export function words(v: string | null | undefined): string {
  return TERMS.get(v ?? '')?.words ?? (v ?? '');
}

/** "handed_off" → "Handed off", at the start of a line; a value Rust does not word is shown as given. */
export function label(v: string | null | undefined): string {
  return TERMS.get(v ?? '')?.label ?? (v ?? '');
}

/**
 * What a person is doing on a screen about to be drawn again: what they
 * typed or chose (only where it differs from what the screen drew), which
 * field has the focus and where the caret is, which folded sections they
 * opened, and how far they scrolled. A screen redraws when a change arrives
 * from another desk; with this it gives all of it back, so a half-written
 * note survives a trooper's acknowledgement arriving.
 */
export interface Editing {
  values: Map<string, string>;
  open: Set<string>;
  focus: string | null;
  caret: [number, number] | null;
  /** How far the screen was scrolled. */
  scroll: number;
}

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

/** A field's name across redraws: its id, test id or label (each unique on a screen). */
function fieldKey(el: Element): string | null {
  return el.id || el.getAttribute('data-testid') || el.getAttribute('aria-label');
}

function changed(el: Field): boolean {
  if (el instanceof HTMLSelectElement) return [...el.options].some((o) => o.selected !== o.defaultSelected);
  if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) return el.checked !== el.defaultChecked;
  return el.value !== el.defaultValue;
}

export function takeEditing(root: Element): Editing {
  const editing: Editing = { values: new Map(), open: new Set(), focus: null, caret: null, scroll: root.scrollTop };
  for (const el of root.querySelectorAll<Field>('input, textarea, select')) {
    const key = fieldKey(el);
    if (key && changed(el)) editing.values.set(key, el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio') ? String(el.checked) : el.value);
  }
  for (const d of root.querySelectorAll('details[open]')) {
    const summary = d.querySelector('summary')?.textContent;
    if (summary) editing.open.add(summary);
  }
  const active = document.activeElement;
  if (active && root.contains(active)) {
    editing.focus = fieldKey(active);
    if (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement) {
      try { editing.caret = [active.selectionStart ?? 0, active.selectionEnd ?? 0]; } catch { /* no caret in this kind of input */ }
    }
  }
  return editing;
}

/** Give back to the freshly drawn `root` what [`takeEditing`] took from the old one. */
export function restoreEditing(root: Element, editing: Editing) {
  root.scrollTop = editing.scroll;
  for (const d of root.querySelectorAll<HTMLDetailsElement>('details')) {
    const summary = d.querySelector('summary')?.textContent;
    if (summary && editing.open.has(summary)) d.open = true;
  }
  for (const el of root.querySelectorAll<Field>('input, textarea, select')) {
    const key = fieldKey(el);
    const value = key ? editing.values.get(key) : undefined;
    if (value === undefined) continue;
    if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) el.checked = value === 'true';
    else el.value = value;
    // Whatever the screen does as the person types (enabling a button) follows the value.
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
  if (!editing.focus) return;
  const target = [...root.querySelectorAll<HTMLElement>('*')].find((el) => fieldKey(el) === editing.focus);
  if (!target) return;
  target.focus({ preventScroll: true });
  if (editing.caret && (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) {
    try { target.setSelectionRange(editing.caret[0], editing.caret[1]); } catch { /* no caret in this kind of input */ }
  }
}
