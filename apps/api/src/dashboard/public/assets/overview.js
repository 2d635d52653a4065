import { ApiError, get, post } from './api.js';
import { confirmAction } from './dialog.js';
import { age, announce, dataTable, fill, h, notice, svg, time } from './dom.js';

/** How often the overview reads the queues again while the tab is visible. */
export const REFRESH_MS = 5_000;

const CHART_WIDTH = 150;
const CHART_HEIGHT = 36;

/**
 * Completed and dead jobs per minute over the last minutes, as two lines
 * in an SVG, with the numbers in its accessible name.
 */
export function throughputChart(points) {
  const completed = points.map((point) => point.completed);
  const dead = points.map((point) => point.dead);
  const highest = Math.max(1, ...completed, ...dead);
  const step = points.length > 1 ? CHART_WIDTH / (points.length - 1) : 0;
  const line = (values) => values.map((value, index) => `${(index * step).toFixed(1)},${(CHART_HEIGHT - 2 - (value / highest) * (CHART_HEIGHT - 4)).toFixed(1)}`).join(' ');
  const sum = (values) => values.reduce((total, value) => total + value, 0);
  const label = `Last ${points.length} minutes: ${sum(completed)} completed, ${sum(dead)} dead`;
  return svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`, width: CHART_WIDTH, height: CHART_HEIGHT, role: 'img', 'aria-label': label },
    svg('title', {}, document.createTextNode(label)),
    svg('line', { class: 'chart-axis', x1: 0, y1: CHART_HEIGHT - 1, x2: CHART_WIDTH, y2: CHART_HEIGHT - 1 }),
    points.length > 1 ? svg('polyline', { class: 'chart-completed', points: line(completed), fill: 'none' }) : null,
    points.length > 1 ? svg('polyline', { class: 'chart-dead', points: line(dead), fill: 'none' }) : null,
  );
}

export function renderOverview(container, route, session) {
  document.title = 'Overview · Baton';
  const acts = !session.readOnly;
  const status = h('p', { class: 'refreshed', 'aria-live': 'off' });
  const body = h('div', { class: 'overview-body' });
  fill(
    container,
    h('div', { class: 'view-head' }, h('h1', {}, 'Overview'), status),
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'key key-completed' }, 'completed'),
      ' and ',
      h('span', { class: 'key key-dead' }, 'dead'),
      ` jobs per minute; ${session.operator ? 'every tenant' : `tenant ${session.tenant}`}.`,
    ),
    body,
  );

  let timer = null;
  let stopped = false;
  let busy = false;

  async function refresh() {
    clearTimeout(timer);
    timer = null;
    if (stopped) return;
    try {
      const overview = await get('/dashboard/api/overview');
      if (stopped) return;
      if (!busy) fill(body, table(overview.queues));
      status.textContent = `Updated ${time(overview.generatedAt)}`;
    } catch (error) {
      if (stopped || (error instanceof ApiError && error.status === 401)) return;
      status.textContent = `Could not refresh: ${error.message}`;
    }
    schedule();
  }

  function schedule() {
    if (!stopped && !document.hidden && timer === null) timer = setTimeout(refresh, REFRESH_MS);
  }

  // A hidden tab asks nothing; it catches up as soon as it is seen again.
  function onVisibility() {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      void refresh();
    }
  }
  document.addEventListener('visibilitychange', onVisibility);

  /** Runs an action while the overview holds still, then reads it again. */
  async function act(work) {
    busy = true;
    try {
      await work();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) announce(error.message, 'error');
    } finally {
      busy = false;
      void refresh();
    }
  }

  function pauseButton(queue) {
    const label = queue.paused ? 'Resume' : 'Pause';
    return h('button', {
      type: 'button',
      class: 'secondary',
      'aria-label': `${label} ${queue.queue}`,
      onclick: () =>
        act(async () => {
          await post(`/dashboard/api/queues/${encodeURIComponent(queue.queue)}/${queue.paused ? 'resume' : 'pause'}`);
          announce(`Queue ${queue.queue} ${queue.paused ? 'resumed' : 'paused'}.`);
        }),
    }, label);
  }

  function purgeButton(queue) {
    return h('button', {
      type: 'button',
      class: 'danger',
      'aria-label': `Purge dead letters of ${queue.queue}`,
      onclick: () =>
        act(async () => {
          const yes = await confirmAction('Purge dead letters', `Delete the ${queue.deadLetters ?? 0} dead letters of ${queue.queue}? They cannot be brought back.`);
          if (!yes) return;
          const answer = await post(`/dashboard/api/queues/${encodeURIComponent(queue.queue)}/dead-letters/purge`);
          announce(`Purged ${answer.purged} dead letters of ${queue.queue}.`);
        }),
    }, 'Purge dead letters');
  }

  function retryDeadButton(queue) {
    return h('button', {
      type: 'button',
      class: 'secondary',
      'aria-label': `Retry dead jobs of ${queue.queue}…`,
      onclick: () =>
        act(async () => {
          const dry = await post('/dashboard/api/jobs/retry-dead', { type: queue.queue, dryRun: true });
          const count = dry.wouldRetry ?? 0;
          if (count === 0) {
            announce(`There are no dead jobs of ${queue.queue} to retry.`);
            return;
          }
          const yes = await confirmAction('Retry dead jobs', `Retry ${count} dead jobs of ${queue.queue}?`);
          if (!yes) return;
          const answer = await post('/dashboard/api/jobs/retry-dead', { type: queue.queue });
          announce(`Retried ${answer.retried} dead jobs of ${queue.queue}.`);
        }),
    }, 'Retry dead jobs…');
  }

  function table(queues) {
    if (queues.length === 0) return notice('No queues.');
    const cell = (field, value) => h('td', { 'data-field': field, class: 'number' }, value);
    return dataTable(
      'Queues',
      [
        'Queue',
        ['Waiting', 'number'],
        ['Scheduled', 'number'],
        ['In flight', 'number'],
        ['Dead', 'number'],
        session.operator ? ['Dead letters', 'number'] : null,
        ['Consumers', 'number'],
        ['Oldest waiting', 'number'],
        'Throughput (15 min)',
        acts ? 'Actions' : null,
      ],
      queues.map((queue) =>
        h(
          'tr',
          { 'data-testid': `queue-${queue.queue}`, class: queue.paused ? 'paused' : null },
          h(
            'th',
            { scope: 'row' },
            h('a', { href: `#/jobs?type=${encodeURIComponent(queue.queue)}` }, queue.queue),
            queue.paused ? h('span', { class: 'badge paused', 'data-field': 'paused' }, 'paused') : null,
          ),
          cell('waiting', queue.waiting),
          cell('scheduled', queue.scheduled),
          cell('inFlight', queue.inFlight),
          cell('dead', queue.dead > 0 ? h('a', { href: `#/jobs?status=dead&type=${encodeURIComponent(queue.queue)}`, 'aria-label': `${queue.dead} dead jobs of ${queue.queue}` }, String(queue.dead)) : '0'),
          session.operator ? cell('deadLetters', queue.deadLetters ?? '—') : null,
          cell('consumers', queue.consumers),
          cell('oldestWaiting', age(queue.oldestWaitingSec)),
          h('td', { 'data-field': 'throughput' }, throughputChart(queue.throughput ?? [])),
          acts
            ? h(
                'td',
                { class: 'actions' },
                session.operator ? pauseButton(queue) : null,
                retryDeadButton(queue),
                session.operator ? purgeButton(queue) : null,
              )
            : null,
        ),
      ),
      { class: 'queues' },
    );
  }

  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}
