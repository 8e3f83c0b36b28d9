// Signing in: the form at start, the lock screen after the console sat idle,
// and, on a store with no account yet, creating its first administrator.
// What a person may do is decided in Rust (SessionInfo); this only asks.
import { api, asUiError, type SessionInfo } from '../api';
import { clear, h } from '../dom';
import { errorLine } from './common';

export type SignedIn = (session: SessionInfo) => void;

/** The sign-in form; `locked` names the person whose session locked. */
export function renderSignIn(root: HTMLElement, done: SignedIn, locked?: string) {
  clear(root);
  const user = h('input', { id: 'signin-user', 'data-testid': 'signin-user', type: 'text', autocomplete: 'username', value: locked ?? '', required: true }) as HTMLInputElement;
  const password = h('input', { id: 'signin-password', 'data-testid': 'signin-password', type: 'password', autocomplete: 'current-password', required: true }) as HTMLInputElement;
  const status = h('div', { role: 'alert' });
  const submit = h('button', { class: 'btn primary', type: 'submit', 'data-testid': 'signin-submit' }, locked ? 'Unlock' : 'Sign in') as HTMLButtonElement;
  const form = h('form', { class: 'panel signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, locked ? 'Beacon is locked' : 'Sign in to Beacon'),
    h('p', { class: 'muted' }, locked
      ? 'The console locked itself after sitting idle. Enter your password to go on where you were.'
      : 'Works without a network: your password opens this computer\'s store.'),
    h('label', { for: 'signin-user' }, 'User name'), user,
    h('label', { for: 'signin-password' }, 'Password'), password,
    status, submit) as HTMLFormElement;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const session = await api.signIn(user.value.trim(), password.value);
      password.value = '';
      done(session);
    } catch (err) {
      password.value = '';
      clear(status);
      status.append(errorLine(asUiError(err)) ?? '');
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  root.append(h('div', { class: 'signin-stage', 'data-testid': locked ? 'lock-screen' : 'signin' }, form));
  (locked ? password : user).focus();
}

/** A store with no account: its first administrator, and the recovery key shown once. */
export function renderFirstAdmin(root: HTMLElement, done: SignedIn) {
  clear(root);
  const user = h('input', { id: 'admin-user', 'data-testid': 'admin-user', type: 'text', value: 'admin', autocomplete: 'username' }) as HTMLInputElement;
  const password = h('input', { id: 'admin-password', 'data-testid': 'admin-password', type: 'password', autocomplete: 'new-password' }) as HTMLInputElement;
  const again = h('input', { id: 'admin-again', type: 'password', autocomplete: 'new-password' }) as HTMLInputElement;
  const status = h('div', { role: 'alert' });
  const form = h('form', { class: 'panel signin', 'aria-labelledby': 'admin-title' },
    h('h1', { id: 'admin-title' }, 'Protect this store'),
    h('p', { class: 'muted' }, 'Nobody can sign in to this store yet. Create its first administrator; they add everyone else.'),
    h('label', { for: 'admin-user' }, 'User name'), user,
    h('label', { for: 'admin-password' }, 'Password'), password,
    h('label', { for: 'admin-again' }, 'Password again'), again,
    status, h('button', { class: 'btn primary', type: 'submit', 'data-testid': 'admin-submit' }, 'Create administrator')) as HTMLFormElement;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(status);
    if (password.value !== again.value) {
      status.append(errorLine('The two passwords differ.') ?? '');
      return;
    }
    try {
      const first = await api.createAdmin(user.value.trim(), password.value);
      showRecoveryKey(root, first.recovery_key, () => done(first.session));
    } catch (err) {
      status.append(errorLine(asUiError(err)) ?? '');
    }
  });
  root.append(h('div', { class: 'signin-stage', 'data-testid': 'first-admin' }, form));
  user.focus();
}

function showRecoveryKey(root: HTMLElement, key: string, next: () => void) {
  clear(root);
  const go = h('button', { class: 'btn primary' }, 'I have written it down') as HTMLButtonElement;
  go.addEventListener('click', next);
  root.append(h('div', { class: 'signin-stage' }, h('section', { class: 'panel signin' },
    h('h1', {}, 'Your recovery key'),
    h('p', {}, 'It opens this store if every administrator\'s password is lost. It is shown this once: write it down and keep it offline.'),
    h('p', { class: 'recovery-key', 'data-testid': 'recovery-key' }, key), go)));
  go.focus();
}
