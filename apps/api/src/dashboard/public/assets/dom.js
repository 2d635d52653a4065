/**
 * Building the page from data. Every text goes in through textContent or an
 * attribute, never as HTML: payloads, errors and names are user data.
 */

/**
 * An element: `attributes` become attributes (false and null leave one out,
 * true sets it empty), `on<event>` functions listeners; `children` are
 * nodes or texts, nested arrays flattened, null and false skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === 'class') element.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'value') element.value = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element; attributes only (classes style it: the CSP allows no style attribute). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) element.setAttribute(name, String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** Replaces an element's children. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

let announcer = null;
let showing = null;
let hiding = null;

/** How long a message stays on screen (screen readers read it once, at once). */
const ANNOUNCEMENT_MS = 10_000;

/** Says `text` in the polite live region: action results and errors. An empty text clears it. */
export function announce(text, tone = 'info') {
  announcer ??= document.getElementById('announcer');
  if (!announcer) return;
  clearTimeout(showing);
  clearTimeout(hiding);
  // Emptied first, so that the same message twice is read twice.
  announcer.textContent = '';
  if (!text) return;
  announcer.dataset.tone = tone;
  showing = setTimeout(() => {
    announcer.textContent = text;
    hiding = setTimeout(() => {
      announcer.textContent = '';
    }, ANNOUNCEMENT_MS);
  }, 20);
}

/** A local date and time, or a dash. */
export function time(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** A <time> element for a timestamp. */
export function timeElement(iso) {
  return iso ? h('time', { datetime: iso }, time(iso)) : '—';
}

/** A duration in seconds, short: 0.4 s, 12 s, 3 min, 2 h. */
export function age(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** A status as a badge. */
export function statusBadge(status) {
  return h('span', { class: ['badge', `status-${status}`] }, status);
}

/** Pretty JSON in a <pre>. */
export function jsonBlock(value, label) {
  return h('pre', { class: 'json', tabindex: 0, 'aria-label': label }, JSON.stringify(value, null, 2));
}

/** A message for the page itself (an error that left nothing to show). */
export function notice(text, tone = 'info') {
  return h('p', { class: ['notice', `notice-${tone}`], role: tone === 'error' ? 'alert' : null }, text);
}

/**
 * A table: `columns` are header texts, or [text, class] for a numeric one
 * (null leaves a column out, as for the tenant column an admin never sees);
 * `rows` are <tr> elements whose first cell is a row header.
 */
export function dataTable(caption, columns, rows, attributes = {}) {
  const head = columns
    .filter((column) => column !== null)
    .map((column) => (Array.isArray(column) ? h('th', { scope: 'col', class: column[1] }, column[0]) : h('th', { scope: 'col' }, column)));
  return h('table', attributes, h('caption', { class: 'visually-hidden' }, caption), h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows));
}

/**
 * "Previous page" and "Next page" over cursor pages. `history` holds the
 * cursors of the pages before this one (a reload starts from the first);
 * `go(cursor)` shows the page at a cursor ('' for the first).
 */
export function cursorPager(label, history, cursor, nextCursor, go) {
  const previous = h('button', { type: 'button', class: 'secondary', disabled: !cursor }, 'Previous page');
  previous.addEventListener('click', () => go(history.pop() ?? ''));
  const next = h('button', { type: 'button', class: 'secondary', disabled: !nextCursor }, 'Next page');
  next.addEventListener('click', () => {
    history.push(cursor ?? '');
    go(nextCursor);
  });
  return h('nav', { class: 'pager', 'aria-label': label }, previous, next);
}
