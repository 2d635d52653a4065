import { h } from './dom.js';

/**
 * Asks before an action, in a modal <dialog>: resolves true for Confirm,
 * false for Cancel or Escape. The dialog is removed once answered.
 */
export function confirmAction(title, message) {
  return new Promise((resolve) => {
    const heading = h('h2', { id: 'confirm-title' }, title);
    const cancel = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, 'Cancel');
    const confirm = h('button', { type: 'submit', class: 'primary', value: 'confirm' }, 'Confirm');
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-message' },
      h('form', { method: 'dialog' }, heading, h('p', { id: 'confirm-message' }, message), h('div', { class: 'dialog-actions' }, cancel, confirm)),
    );
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    // Cancel first: a stray Enter does not confirm a destructive action.
    cancel.focus();
  });
}
