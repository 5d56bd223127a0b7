import { h, mount } from './dom.js';
import { getLang, setLang, t } from './i18n.js';
import { inFlight, loading, problemBox } from './ui.js';
import * as customer from './customer.js';
import * as staff from './staff.js';

const ROUTES = [
  [/^#?\/?$/, landing],
  [/^#\/c$/, customer.home],
  [/^#\/c\/history$/, customer.history],
  [/^#\/c\/wo\/(\d+)$/, customer.workOrder],
  [/^#\/s$/, staff.home],
  [/^#\/s\/wo\/(\d+)$/, staff.workOrder],
  [/^#\/s\/office$/, staff.office],
];

const app = document.getElementById('app');
let generation = 0;
let pollTimer = null;

function landing(root) {
  mount(
    root,
    h('section', { class: 'hero' }, h('h1', {}, t('landing.title')), h('p', { class: 'muted' }, t('landing.lead'))),
    h('a', { class: 'tile', href: '#/c', testid: 'go-customer' }, h('strong', {}, t('landing.customer')), h('span', { class: 'muted' }, t('landing.customer.sub'))),
    h('a', { class: 'tile', href: '#/s', testid: 'go-staff' }, h('strong', {}, t('landing.staff')), h('span', { class: 'muted' }, t('landing.staff.sub'))),
  );
}

/**
 * Renders the view of the current hash. A view may `ctx.poll(fn, rendered)`: fn returns a signature of what it shows; when
 * it changes (another person acted), the view renders again — unless an action is running or a field has focus.
 */
async function render() {
  const gen = ++generation;
  delete app.dataset.ready;
  clearInterval(pollTimer);
  pollTimer = null;
  const hash = location.hash || '#/';
  const match = ROUTES.map(([re, view]) => [hash.match(re), view]).find(([m]) => m);
  document.getElementById('lang-toggle').textContent = getLang() === 'zh' ? 'EN' : '中文';
  document.getElementById('brand-name').textContent = t('app.name');
  renderNav(hash);
  // The staff console gets the counter screen's width (CSS: list and work order side by side at >= 1024 px).
  app.classList.toggle('wide', hash.startsWith('#/s'));
  const ctx = {
    rerender: () => render(),
    navigate: (to) => {
      if (location.hash === to) render();
      else location.hash = to;
    },
    /** `rendered` is the signature of the data on screen: a poll compares against it, never against a later fetch. */
    poll(signature, rendered, ms = 2500) {
      let last = rendered;
      const tick = async () => {
        if (gen !== generation) return clearInterval(timer);
        let sig;
        try {
          sig = await signature();
        } catch {
          return; // the view shows errors of its own actions; a failed background poll just waits for the next tick
        }
        if (sig !== last && gen === generation && inFlight.n === 0 && !app.contains(document.activeElement?.closest('input,textarea,select') ?? null)) render();
      };
      const timer = setInterval(tick, ms);
      pollTimer = timer;
    },
  };
  const root = h('div', { class: 'view' });
  mount(app, root);
  root.append(loading());
  try {
    if (!match) throw new Error(`No page ${hash}`);
    const [m, view] = match;
    await view(root, m.slice(1), ctx);
  } catch (e) {
    if (gen === generation) mount(root, problemBox(e));
  }
  if (gen === generation) app.dataset.ready = hash;
}

function renderNav(hash) {
  const nav = document.getElementById('topnav');
  const item = (href, label, active) => h('a', { href, class: active ? 'active' : null, testid: `nav-${href.slice(2) || 'home'}` }, label);
  mount(nav, item('#/c', t('nav.customer'), hash.startsWith('#/c')), item('#/s', t('nav.staff'), hash.startsWith('#/s')));
}

document.getElementById('lang-toggle').addEventListener('click', () => {
  setLang(getLang() === 'zh' ? 'en' : 'zh');
  render();
});
window.addEventListener('hashchange', () => render());
setLang(getLang());
render();
