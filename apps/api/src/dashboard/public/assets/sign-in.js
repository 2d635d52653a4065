import { ApiError, signIn } from './api.js';
import { fill, h } from './dom.js';

/** The sign-in form: the key goes to Baton once, then the input is emptied. */
export function renderSignIn(root, message, signedIn) {
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const status = h('p', { id: 'sign-in-status', class: 'notice', role: 'alert' }, message ?? '');
  status.hidden = !message;
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, h('img', { src: '/dashboard/assets/favicon.svg', alt: '', width: 32, height: 32 }), 'Baton dashboard'),
    h('p', { class: 'hint' }, 'Sign in with an API key that has the admin or operator scope. The key is sent once and not kept in this browser.'),
    status,
    h('label', { for: 'api-key' }, 'API key'),
    input,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const apiKey = input.value.trim();
    input.value = '';
    if (apiKey === '') return;
    button.disabled = true;
    try {
      const session = await signIn(apiKey);
      signedIn(session);
    } catch (error) {
      status.hidden = false;
      status.classList.add('notice-error');
      status.textContent =
        error instanceof ApiError && error.status === 401
          ? 'That key is unknown or revoked.'
          : error instanceof ApiError && error.status === 403
            ? 'That key has neither the admin nor the operator scope.'
            : `Signing in failed: ${error.message}`;
      button.disabled = false;
      input.focus();
    }
  });
  fill(root, h('main', { id: 'main', class: 'sign-in-page' }, form));
  input.focus();
}
