// The login page: a token in, an HttpOnly session cookie out.
import { el } from './common.js';

export function loginPage(main: HTMLElement): void {
  const input = el('input');
  input.type = 'password';
  input.name = 'token';
  input.placeholder = 'token';
  input.autocomplete = 'current-password';
  input.required = true;
  const msg = el('p', { className: 'error' });
  const button = el('button', { textContent: 'Log in' });
  button.type = 'submit';
  const form = el(
    'form',
    { className: 'login' },
    el('h1', { textContent: 'miniweb' }),
    el('label', { textContent: 'Token' }, input),
    button,
    msg,
  );
  main.append(form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    const res = await fetch('/api/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: input.value.trim() }),
    });
    if (!res.ok) {
      msg.textContent = res.status === 401 ? 'unknown token' : `login failed (${res.status})`;
      return;
    }
    const next = new URLSearchParams(location.search).get('next');
    // only same-site paths: never an open redirect
    location.href = next?.startsWith('/') && !next.startsWith('//') ? next : '/';
  });
  input.focus();
}
