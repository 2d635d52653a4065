import { ApiError, get, postAction } from './api.js';
import { dataTable, fill, h, notice, timeElement } from './dom.js';

export function renderSchedules(container, route, session) {
  document.title = 'Schedules · Baton';
  let stopped = false;
  const body = h('div', {}, h('p', {}, 'Loading…'));
  fill(container, h('div', { class: 'view-head' }, h('h1', {}, 'Schedules')), body);

  async function load() {
    try {
      const { schedules } = await get('/dashboard/api/schedules');
      if (!stopped) fill(body, table(schedules));
    } catch (error) {
      if (!stopped && !(error instanceof ApiError && error.status === 401)) fill(body, notice(error.message, 'error'));
    }
  }

  async function toggle(schedule, button) {
    button.disabled = true;
    const action = schedule.paused ? 'resume' : 'pause';
    await postAction(`/dashboard/api/schedules/${encodeURIComponent(schedule.id)}/${action}`, `Schedule ${schedule.name} ${action}d.`);
    await load();
  }

  function table(schedules) {
    if (schedules.length === 0) return notice('No schedules.');
    const acts = !session.readOnly;
    return dataTable(
      'Schedules, oldest first',
      ['Name', 'Cron', 'Time zone', 'Type', session.operator ? 'Tenant' : null, 'State', 'Next run', acts ? 'Actions' : null],
      schedules.map((schedule) => {
        const label = schedule.paused ? 'Resume' : 'Pause';
        const button = acts ? h('button', { type: 'button', class: 'secondary', 'aria-label': `${label} schedule ${schedule.name}` }, label) : null;
        button?.addEventListener('click', () => toggle(schedule, button));
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, schedule.name),
          h('td', { class: 'mono' }, schedule.cron),
          h('td', {}, schedule.timezone),
          h('td', {}, h('a', { href: `#/jobs?type=${encodeURIComponent(schedule.type)}` }, schedule.type)),
          session.operator ? h('td', {}, schedule.tenant) : null,
          h('td', {}, schedule.paused ? h('span', { class: 'badge paused' }, 'paused') : 'active'),
          h('td', {}, timeElement(schedule.nextRunAt)),
          acts ? h('td', { class: 'actions' }, button) : null,
        );
      }),
    );
  }

  void load();
  return () => {
    stopped = true;
  };
}
