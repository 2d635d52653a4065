import { ApiError, get, postAction, query } from './api.js';
import { cursorPager, dataTable, fill, h, notice, statusBadge, timeElement } from './dom.js';

const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'];

// The cursors of the pages before this one, for "Previous page".
const previousCursors = [];

export function renderWebhooks(container, route, session) {
  document.title = 'Webhooks · Baton';
  const params = route.params;
  const current = { endpointId: params.get('endpointId') ?? '', status: params.get('status') ?? '', cursor: params.get('cursor') ?? '' };
  if (!current.cursor) previousCursors.length = 0;
  let stopped = false;

  const endpointsBody = h('div', {}, h('p', {}, 'Loading…'));
  const endpointSelect = h('select', { id: 'delivery-endpoint', name: 'endpointId' }, h('option', { value: '' }, 'Any endpoint'));
  if (current.endpointId) endpointSelect.append(h('option', { value: current.endpointId, selected: true }, current.endpointId));
  const statusSelect = h(
    'select',
    { id: 'delivery-status', name: 'status' },
    h('option', { value: '' }, 'Any status'),
    DELIVERY_STATUSES.map((status) => h('option', { value: status, selected: status === current.status }, status)),
  );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter deliveries' },
    h('div', { class: 'field wide' }, h('label', { for: 'delivery-endpoint' }, 'Endpoint'), endpointSelect),
    h('div', { class: 'field' }, h('label', { for: 'delivery-status' }, 'Delivery status'), statusSelect),
    h('div', { class: 'field buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Show deliveries')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    previousCursors.length = 0;
    location.hash = `#/webhooks${query({ endpointId: endpointSelect.value, status: statusSelect.value })}`;
  });
  const deliveriesBody = h('div', {}, h('p', {}, 'Loading…'));

  fill(
    container,
    h('div', { class: 'view-head' }, h('h1', {}, 'Webhooks')),
    h('section', { 'aria-labelledby': 'endpoints-title' }, h('h2', { id: 'endpoints-title' }, 'Endpoints'), endpointsBody),
    h('section', { 'aria-labelledby': 'deliveries-title' }, h('h2', { id: 'deliveries-title' }, 'Deliveries'), form, deliveriesBody),
  );

  const failed = (error) => !stopped && !(error instanceof ApiError && error.status === 401);

  async function loadEndpoints() {
    try {
      const { endpoints } = await get('/dashboard/api/webhook-endpoints');
      if (stopped) return;
      fill(endpointsBody, endpointTable(endpoints));
      fill(
        endpointSelect,
        h('option', { value: '' }, 'Any endpoint'),
        endpoints.map((endpoint) => h('option', { value: endpoint.id, selected: endpoint.id === current.endpointId }, endpoint.description ? `${endpoint.description} (${endpoint.url})` : endpoint.url)),
      );
    } catch (error) {
      if (failed(error)) fill(endpointsBody, notice(error.message, 'error'));
    }
  }

  const goTo = (cursor) => {
    location.hash = `#/webhooks${query({ endpointId: current.endpointId, status: current.status, cursor })}`;
  };

  async function loadDeliveries() {
    try {
      const page = await get(`/dashboard/api/webhook-deliveries${query(current)}`);
      if (!stopped) fill(deliveriesBody, deliveryTable(page.deliveries), cursorPager('Pages of deliveries', previousCursors, current.cursor, page.nextCursor, goTo));
    } catch (error) {
      if (failed(error)) fill(deliveriesBody, notice(error.message, 'error'));
    }
  }

  function endpointTable(endpoints) {
    if (endpoints.length === 0) return notice('No webhook endpoints.');
    return dataTable(
      'Webhook endpoints',
      ['URL', 'Events', 'Description', session.operator ? 'Tenant' : null, 'State'],
      endpoints.map((endpoint) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row', class: 'mono' }, endpoint.url),
          h('td', {}, endpoint.events.join(', ')),
          h('td', {}, endpoint.description ?? '—'),
          session.operator ? h('td', {}, endpoint.tenant) : null,
          h('td', {}, endpoint.disabled ? h('span', { class: 'badge status-failed', title: endpoint.disabledReason ?? '' }, 'disabled') : 'enabled'),
        ),
      ),
    );
  }

  async function replay(delivery, button) {
    button.disabled = true;
    await postAction(`/dashboard/api/webhook-deliveries/${encodeURIComponent(delivery.id)}/replay`, `Delivery ${delivery.id} is sent again.`);
    await loadDeliveries();
  }

  function deliveryTable(deliveries) {
    if (deliveries.length === 0) return notice('No deliveries match.');
    const acts = !session.readOnly;
    return dataTable(
      'Webhook deliveries, newest first',
      ['Delivery', 'Event', 'Status', ['Attempts', 'number'], 'Last answer', 'Next attempt', 'Created', acts ? 'Actions' : null],
      deliveries.map((delivery) => {
        const last = delivery.attempts[delivery.attempts.length - 1];
        const button = acts ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Replay delivery ${delivery.id}` }, 'Replay') : null;
        button?.addEventListener('click', () => replay(delivery, button));
        return h(
          'tr',
          {},
          h('th', { scope: 'row', class: 'mono' }, delivery.id),
          h('td', {}, delivery.eventType),
          h('td', {}, statusBadge(delivery.status)),
          h('td', { class: 'number' }, delivery.attempts.length),
          h('td', {}, last ? (last.statusCode ?? last.error ?? 'no answer') : '—'),
          h('td', {}, timeElement(delivery.nextAttemptAt)),
          h('td', {}, timeElement(delivery.createdAt)),
          acts ? h('td', { class: 'actions' }, button) : null,
        );
      }),
    );
  }

  void loadEndpoints();
  void loadDeliveries();
  return () => {
    stopped = true;
  };
}
