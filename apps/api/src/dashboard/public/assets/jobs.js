import { ApiError, get, query } from './api.js';
import { cursorPager, dataTable, fill, h, notice, statusBadge, timeElement } from './dom.js';

export const JOB_STATUSES = ['scheduled', 'queued', 'processing', 'completed', 'failed', 'dead', 'cancelled'];

/** The parameters of the jobs view that the hash carries, so that a search can be shared and reloaded (`limit`, the page size, only from the URL). */
const FILTERS = ['status', 'type', 'tenant', 'from', 'to', 'q', 'field', 'value', 'limit', 'cursor'];

// The cursors of the pages before this one, for "Previous page"; a reload starts again from the first page.
const previousCursors = [];

let jobTypes = null;

/** The job types, one per queue of the overview (read once). */
async function readJobTypes() {
  jobTypes ??= get('/dashboard/api/overview')
    .then((overview) => overview.queues.map((queue) => queue.queue))
    .catch((error) => {
      jobTypes = null;
      throw error;
    });
  return jobTypes;
}

/** A datetime-local value (local time, as typed) as RFC 3339, or '' for none or a bad one. */
function rfc3339(local) {
  if (!local) return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

function field(id, label, control, wide = false) {
  return h('div', { class: ['field', wide && 'wide'] }, h('label', { for: id }, label), control);
}

function textInput(id, type, value, attributes = {}) {
  return h('input', { id, name: id, type, value: value ?? '', autocomplete: 'off', ...attributes });
}

function options(choices, selected) {
  return choices.map(([value, text]) => h('option', { value, selected: value === selected }, text));
}

export function renderJobs(container, route, session) {
  document.title = 'Jobs · Baton';
  const current = Object.fromEntries(FILTERS.map((name) => [name, route.params.get(name) ?? '']));
  if (!current.cursor) previousCursors.length = 0;

  const typeSelect = h('select', { id: 'filter-type', name: 'filter-type' }, options([['', 'Any type'], ...(current.type ? [[current.type, current.type]] : [])], current.type));
  void readJobTypes()
    .then((types) => fill(typeSelect, options([['', 'Any type'], ...types.map((type) => [type, type])], current.type)))
    .catch(() => undefined);

  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Find jobs' },
    field('filter-q', 'Job id, request id or idempotency key', textInput('filter-q', 'search', current.q), true),
    field('filter-status', 'Status', h('select', { id: 'filter-status', name: 'filter-status' }, options([['', 'Any status'], ...JOB_STATUSES.map((status) => [status, status])], current.status))),
    field('filter-type', 'Type', typeSelect),
    session.operator ? field('filter-tenant', 'Tenant', textInput('filter-tenant', 'text', current.tenant)) : null,
    field('filter-from', 'Created from', textInput('filter-from', 'datetime-local', current.from, { step: 1 })),
    field('filter-to', 'Created to', textInput('filter-to', 'datetime-local', current.to, { step: 1 })),
    field('filter-field', 'Payload field', textInput('filter-field', 'text', current.field, { placeholder: 'userId' })),
    field('filter-value', 'Payload value', textInput('filter-value', 'text', current.value)),
    h('div', { class: 'field buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Search'), h('a', { href: '#/jobs', class: 'button-link' }, 'Clear')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const read = (name) => String(data.get(name) ?? '').trim();
    previousCursors.length = 0;
    location.hash = `#/jobs${query({
      q: read('filter-q'),
      status: read('filter-status'),
      type: read('filter-type'),
      tenant: read('filter-tenant'),
      from: read('filter-from'),
      to: read('filter-to'),
      field: read('filter-field'),
      value: String(data.get('filter-value') ?? ''),
      limit: current.limit,
    })}`;
  });

  const heading = () => h('h2', { id: 'results-title' }, 'Results');
  const results = h('section', { class: 'results', 'aria-labelledby': 'results-title', 'aria-busy': 'true' }, heading(), h('p', {}, 'Loading…'));
  fill(container, h('div', { class: 'view-head' }, h('h1', {}, 'Jobs')), form, results);

  const filters = { ...current };
  delete filters.cursor;
  const goTo = (cursor) => {
    location.hash = `#/jobs${query({ ...filters, cursor })}`;
  };
  let stopped = false;
  get(`/dashboard/api/jobs${query({ ...filters, from: rfc3339(current.from), to: rfc3339(current.to), cursor: current.cursor })}`)
    .then((page) => {
      if (!stopped) fill(results, heading(), jobTable(page.jobs, session), cursorPager('Pages of jobs', previousCursors, current.cursor, page.nextCursor, goTo));
    })
    .catch((error) => {
      if (stopped || (error instanceof ApiError && error.status === 401)) return;
      fill(results, heading(), notice(error.message, 'error'));
    })
    .finally(() => results.removeAttribute('aria-busy'));
  return () => {
    stopped = true;
  };
}

function jobTable(jobs, session) {
  if (jobs.length === 0) return notice('No jobs match.');
  return dataTable(
    'Jobs, newest first',
    ['Job', 'Type', 'Status', session.operator ? 'Tenant' : null, ['Attempts', 'number'], 'Created'],
    jobs.map((job) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, h('a', { href: `#/jobs/${encodeURIComponent(job.id)}`, class: 'mono' }, job.id)),
        h('td', {}, job.type),
        h('td', {}, statusBadge(job.status)),
        session.operator ? h('td', {}, job.tenant) : null,
        h('td', { class: 'number' }, `${job.attempts}/${job.maxAttempts}`),
        h('td', {}, timeElement(job.createdAt)),
      ),
    ),
    { class: 'jobs' },
  );
}
