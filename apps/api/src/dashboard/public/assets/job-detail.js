import { ApiError, get, post } from './api.js';
import { confirmAction } from './dialog.js';
import { announce, fill, h, jsonBlock, notice, statusBadge, timeElement } from './dom.js';

const CANCELLABLE = ['scheduled', 'queued', 'failed'];

function row(term, ...definition) {
  return [h('dt', {}, term), h('dd', {}, ...definition)];
}

const orDash = (value) => (value === null || value === undefined || value === '' ? '—' : value);

export function renderJobDetail(container, jobId, session) {
  document.title = `Job ${jobId} · Baton`;
  let stopped = false;
  fill(container, h('h1', {}, 'Job'), h('p', { 'aria-busy': 'true' }, 'Loading…'));

  async function load() {
    try {
      const detail = await get(`/dashboard/api/jobs/${encodeURIComponent(jobId)}`);
      if (!stopped) show(detail);
    } catch (error) {
      if (stopped || (error instanceof ApiError && error.status === 401)) return;
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
        document.title = 'Job not found · Baton';
        fill(container, h('h1', {}, 'Job not found'), notice(`There is no job ${jobId} that you can see.`), h('p', {}, h('a', { href: '#/jobs' }, 'Back to jobs')));
      } else {
        fill(container, h('h1', {}, 'Job'), notice(error.message, 'error'));
      }
    }
  }

  /** Asks, acts, says how it went (the API's own message on a refusal), and shows the job again. */
  async function act(button, title, question, path, done) {
    if (!(await confirmAction(title, question))) return;
    button.disabled = true;
    try {
      await post(path);
      announce(done);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      announce(error.message, 'error');
      button.disabled = false;
      const alert = container.querySelector('.action-error');
      if (alert) alert.textContent = error.message;
      return;
    }
    await load();
  }

  function actions(job) {
    if (session.readOnly) return null;
    const buttons = [];
    const base = `/dashboard/api/jobs/${encodeURIComponent(job.id)}`;
    if (job.status === 'dead') {
      const retry = h('button', { type: 'button', class: 'primary' }, 'Retry');
      retry.addEventListener('click', () => act(retry, 'Retry job', `Send job ${job.id} back to its queue with a fresh attempt budget?`, `${base}/retry`, 'The job is queued again.'));
      buttons.push(retry);
    }
    if (CANCELLABLE.includes(job.status)) {
      const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel job');
      cancel.addEventListener('click', () => act(cancel, 'Cancel job', `Cancel job ${job.id}? It will never run.`, `${base}/cancel`, 'The job is cancelled.'));
      buttons.push(cancel);
    }
    return buttons.length > 0 ? h('div', { class: 'job-actions' }, buttons) : null;
  }

  function show(detail) {
    const { job } = detail;
    document.title = `Job ${job.id} · Baton`;
    const redacted = detail.redacted ?? [];
    const links = detail.links ?? {};
    fill(
      container,
      h('div', { class: 'view-head' }, h('h1', {}, 'Job ', h('span', { class: 'mono' }, job.id)), statusBadge(job.status)),
      h('p', {}, h('a', { href: '#/jobs' }, '← Jobs')),
      actions(job),
      h('p', { class: 'action-error notice-error', role: 'alert' }),
      h(
        'section',
        { 'aria-labelledby': 'job-summary' },
        h('h2', { id: 'job-summary' }, 'Summary'),
        h(
          'dl',
          { class: 'facts' },
          row('Status', job.status),
          row('Type', job.type),
          row('Tenant', detail.tenant),
          row('Attempts', `${job.attempts} of ${job.maxAttempts}`),
          row('Created', timeElement(job.createdAt)),
          row('Updated', timeElement(job.updatedAt)),
          row('Completed', timeElement(job.completedAt)),
          row('Run at', timeElement(job.runAt)),
          row('Correlation id', h('span', { class: 'mono' }, orDash(detail.correlationId))),
          row('Idempotency key', h('span', { class: 'mono' }, orDash(detail.idempotencyKey))),
          detail.traceId ? row('Trace id', h('span', { class: 'mono' }, detail.traceId)) : null,
          job.scheduleId ? row('Schedule', h('span', { class: 'mono' }, job.scheduleId)) : null,
          job.error ? row('Error', job.error) : null,
        ),
      ),
      links.workout || links.invoicePdf
        ? h(
            'section',
            { 'aria-labelledby': 'job-links' },
            h('h2', { id: 'job-links' }, 'Links'),
            h(
              'ul',
              { class: 'links' },
              links.workout ? h('li', {}, h('a', { href: links.workout, target: '_blank', rel: 'noopener' }, 'Workout (JSON)')) : null,
              links.invoicePdf ? h('li', {}, h('a', { href: links.invoicePdf, target: '_blank', rel: 'noopener' }, 'Invoice (PDF)')) : null,
            ),
          )
        : null,
      h(
        'section',
        { 'aria-labelledby': 'job-payload' },
        h('h2', { id: 'job-payload' }, 'Payload'),
        redacted.length > 0 ? h('p', { class: 'notice' }, `Redacted fields: ${redacted.join(', ')}. They read "[redacted]".`) : null,
        jsonBlock(detail.payload, 'Payload'),
      ),
      job.result ? h('section', { 'aria-labelledby': 'job-result' }, h('h2', { id: 'job-result' }, 'Result'), jsonBlock(job.result, 'Result')) : null,
      h(
        'section',
        { 'aria-labelledby': 'job-errors' },
        h('h2', { id: 'job-errors' }, 'Errors'),
        job.errors.length === 0
          ? h('p', {}, 'No attempt failed.')
          : h(
              'ol',
              { class: 'errors' },
              job.errors.map((failure) =>
                h(
                  'li',
                  {},
                  h('p', {}, h('strong', {}, `Attempt ${failure.attempt}`), ' at ', timeElement(failure.at), ': ', h('span', { class: 'error-message' }, failure.message)),
                  failure.stack ? h('details', {}, h('summary', {}, `Stack of attempt ${failure.attempt}`), h('pre', { class: 'stack' }, failure.stack)) : null,
                ),
              ),
            ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'job-deliveries' },
        h('h2', { id: 'job-deliveries' }, 'Webhook deliveries'),
        (detail.deliveries ?? []).length === 0
          ? h('p', {}, 'No webhook delivery.')
          : h(
              'table',
              {},
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Event'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'number' }, 'Attempts'), h('th', { scope: 'col' }, 'Created'))),
              h(
                'tbody',
                {},
                detail.deliveries.map((delivery) =>
                  h('tr', {}, h('th', { scope: 'row' }, delivery.eventType), h('td', {}, statusBadge(delivery.status)), h('td', { class: 'number' }, delivery.attempts.length), h('td', {}, timeElement(delivery.createdAt))),
                ),
              ),
            ),
      ),
    );
  }

  void load();
  return () => {
    stopped = true;
  };
}
