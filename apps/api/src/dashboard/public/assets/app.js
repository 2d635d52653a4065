/**
 * The dashboard: signs in, draws the header and navigation, and shows the
 * view the hash names (#/overview, #/jobs?…, #/jobs/<id>, #/schedules,
 * #/webhooks). Views are functions of (container, route, session) that may
 * return a function to stop their timers when the view goes away.
 */
import { readSession, signOut, whenSessionEnds } from './api.js';
import { announce, fill, h, notice } from './dom.js';
import { renderJobDetail } from './job-detail.js';
import { renderJobs } from './jobs.js';
import { renderOverview } from './overview.js';
import { renderSchedules } from './schedules.js';
import { renderSignIn } from './sign-in.js';
import { renderWebhooks } from './webhooks.js';

const root = document.getElementById('app');

const NAVIGATION = [
  ['overview', 'Overview'],
  ['jobs', 'Jobs'],
  ['schedules', 'Schedules'],
  ['webhooks', 'Webhooks'],
];

let session = null;
let stopView = null;
let main = null;
let nav = null;

/** The hash as a route: its path segments and its query. */
export function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = hash.split('?');
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { segments, params: new URLSearchParams(search) };
}

function stopCurrentView() {
  if (typeof stopView === 'function') stopView();
  stopView = null;
}

function showSignIn(message) {
  stopCurrentView();
  session = null;
  main = null;
  nav = null;
  document.title = 'Sign in · Baton';
  announce('');
  renderSignIn(root, message, (signedIn) => {
    session = signedIn;
    showShell();
  });
}

function header() {
  const scope = session.operator ? 'operator' : 'admin';
  nav = h(
    'nav',
    { 'aria-label': 'Dashboard' },
    h('ul', {}, NAVIGATION.map(([segment, label]) => h('li', {}, h('a', { href: `#/${segment}`, 'data-segment': segment }, label)))),
  );
  const signOutButton = h('button', { type: 'button', class: 'secondary' }, 'Sign out');
  signOutButton.addEventListener('click', async () => {
    signOutButton.disabled = true;
    try {
      await signOut();
    } catch {
      // Signed out or not, this browser forgets the session.
    }
    showSignIn('You are signed out.');
  });
  return h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/overview' }, h('img', { src: '/dashboard/assets/favicon.svg', alt: '', width: 24, height: 24 }), 'Baton'),
    nav,
    h(
      'div',
      { class: 'who', 'aria-label': 'Session' },
      h('span', { class: 'tenant', title: 'Tenant' }, session.tenant),
      h('span', { class: ['badge', `scope-${scope}`], title: 'Scope' }, scope),
      session.readOnly ? h('span', { class: 'badge read-only' }, 'read-only') : null,
      signOutButton,
    ),
  );
}

function showShell() {
  main = h('main', { id: 'main', tabindex: -1 });
  fill(root, h('a', { class: 'skip-link', href: '#main' }, 'Skip to content'), header(), main);
  if (!location.hash || location.hash === '#' || location.hash === '#/') location.replace('#/overview');
  else route();
}

function route() {
  if (!session || !main) return;
  stopCurrentView();
  // A message about the last view's action is no news on the next one.
  announce('');
  const current = currentRoute();
  const [first = 'overview', second] = current.segments;
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.segment === first) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  fill(main);
  // Which route the view shows, for whoever waits on a navigation (a test).
  main.dataset.route = location.hash;
  const views = { overview: renderOverview, schedules: renderSchedules, webhooks: renderWebhooks };
  let view;
  if (first === 'jobs') view = second ? (container, routed, signedIn) => renderJobDetail(container, second, signedIn) : renderJobs;
  else view = views[first];
  if (!view) {
    document.title = 'Not found · Baton';
    fill(main, h('h1', {}, 'Not found'), notice('There is no such page in the dashboard.'));
    return;
  }
  stopView = view(main, current, session);
}

// Any 401 from a call: the session is over (expired, signed out elsewhere, its key revoked).
whenSessionEnds(() => {
  if (session) showSignIn('Your session has ended. Sign in again.');
});

window.addEventListener('hashchange', route);
// Skipping to the content must not be read as a route.
root.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a.skip-link') : null;
  if (link) {
    event.preventDefault();
    main?.focus();
  }
});

async function start() {
  try {
    session = await readSession();
  } catch (error) {
    fill(root, notice(`Baton did not answer: ${error.message}`, 'error'));
    announce('Baton did not answer.', 'error');
    return;
  }
  if (session) showShell();
  else showSignIn();
}

void start();
