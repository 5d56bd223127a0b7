import { apiPaths, call, session } from './api.js';
import { h, mount } from './dom.js';
import { t } from './i18n.js';
import { dateTime, money, parseMoney, qty } from './format.js';
import { actionButton, field, section, toast } from './ui.js';
import { amounts, payments, quoteCard, rolesText, statusChip, timeline, withQuoteTotals, woRow } from './components.js';
import { PANELS, panelsFor, pendingNote } from './panels.js';

const S = 'staff';
const get = (path) => call(S, 'GET', path).then((r) => r.body);
const SEED_USERS = ['advisor', 'technician', 'keeper', 'cashier', 'manager'];

/** Which states each role works on ("my queue"). */
const QUEUE = {
  advisor: ['draft', 'checkin', 'diagnosing', 'quoted', 'ready'],
  technician: ['checkin', 'diagnosing', 'quoted', 'in_progress'],
  keeper: ['in_progress', 'ready'],
  cashier: ['ready', 'delivered'],
  manager: ['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready', 'delivered'],
};

/** The transitions a role may press in a state (the BFF and Odoo check again; a refusal is shown as they say it). */
const TRANSITIONS = [
  { action: 'checkin', from: ['draft'], roles: ['advisor'] },
  { action: 'start_diagnosis', from: ['checkin'], roles: ['advisor', 'technician'] },
  { action: 'start_repair', from: ['quoted'], roles: ['technician', 'advisor'] },
  { action: 'mark_ready', from: ['in_progress'], roles: ['technician'] },
  { action: 'deliver', from: ['ready'], roles: ['advisor'] },
  { action: 'close', from: ['delivered'], roles: ['cashier'] },
  { action: 'cancel', from: ['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready'], roles: ['advisor'], kind: 'danger' },
];

const can = (user, roles) => user.roles.includes('manager') || user.roles.some((r) => roles.includes(r));
const listState = { mine: true, q: '' };
/** Quote lines being built, per work order, so a re-render (another person acted) keeps what was typed. */
const drafts = new Map();
/** Work orders whose advisor asked for a new quote version after one was sent (the builder opens again). */
const revising = new Set();
let catalog;

export async function home(root, _params, ctx) {
  const s = session.get(S);
  if (!s) return mount(root, loginCard(ctx));
  const user = s.user;
  const list = await listCard(user, ctx);
  root.classList.add('split');
  mount(
    root,
    h('div', { class: 'split-side', testid: 'split-side' }, list.el),
    h(
      'div',
      { class: 'split-main', testid: 'split-main' },
      whoCard(user, ctx),
      (await hasOffice(user)) ? h('a', { class: 'tile', href: '#/s/office', testid: 'go-office' }, h('strong', {}, t('office.title')), h('span', { class: 'muted' }, t('office.sub'))) : null,
      can(user, ['manager']) ? await failedJobs(ctx) : null,
      ...(await panelsFor('staff-home', { who: S, roles: user.roles, rerender: ctx.rerender })),
      await pendingNote(),
    ),
  );
  ctx.poll(list.poll, list.sig);
}

/** "My queue" or all work orders, searchable. On the counter screen it stays beside the open work order (`current`). */
async function listCard(user, ctx, current = null) {
  const statuses = listState.mine ? [...new Set(user.roles.flatMap((r) => QUEUE[r] ?? []))] : [];
  const qs = new URLSearchParams({ limit: '50' });
  if (statuses.length) qs.set('status', statuses.join(','));
  if (listState.q) qs.set('q', listState.q);
  const page = await get(`/work-orders?${qs}`);
  const items = await withQuoteTotals(page.items, get);
  const search = h('input', { type: 'search', value: listState.q, placeholder: t('staff.list.search'), testid: 'staff-search' });
  search.addEventListener('change', () => {
    listState.q = search.value.trim();
    ctx.rerender();
  });
  const tab = (mine, label, testid) =>
    h('button', { type: 'button', class: ['tab', listState.mine === mine && 'active'], testid, onclick: () => ((listState.mine = mine), ctx.rerender()) }, label);
  const sig = (rows) => JSON.stringify(rows.map((w) => [w.id, w.revision]));
  return {
    el: section(
      t('staff.list.title'),
      'staff-list',
      h('div', { class: 'tabs' }, tab(true, t('staff.list.mine'), 'tab-mine'), tab(false, t('staff.list.all'), 'tab-all')),
      search,
      items.length ? items.map((w) => woRow(w, `#/s/wo/${w.id}`, w.id === current)) : h('p', { class: 'muted' }, t('staff.list.empty')),
    ),
    sig: sig(page.items),
    poll: async () => sig((await get(`/work-orders?${qs}`)).items),
  };
}

/** Whether any back-office panel (reports, payment history, suspense) is on this server for this person. */
async function hasOffice(user) {
  const paths = await apiPaths();
  return PANELS.some((p) => p.where.includes('staff-office') && p.paths.every((x) => paths.has(x)) && (!p.roles || can(user, p.roles)));
}

/** The back office: reports (with CSV), the payment history and suspense, as this person's roles allow. */
export async function office(root, _params, ctx) {
  const s = session.get(S);
  if (!s) return ctx.navigate('#/s');
  const panels = (await panelsFor('staff-office', { who: S, roles: s.user.roles, rerender: ctx.rerender })).filter(Boolean);
  mount(root, h('a', { href: '#/s', class: 'back', testid: 'back' }, `‹ ${t('common.back')}`), whoCard(s.user, ctx), ...(panels.length ? panels : [h('p', { class: 'muted' }, t('office.none'))]));
}

function whoCard(user, ctx) {
  return h(
    'section',
    { class: 'card me', testid: 'staff-who', dataset: { roles: user.roles.join(',') } },
    h('div', {}, h('strong', { testid: 'staff-name' }, user.name ?? ''), h('div', { class: 'muted small' }, rolesText(user.roles))),
    h('button', { type: 'button', class: 'btn btn-link', testid: 'staff-switch', onclick: () => (session.clear(S), ctx.navigate('#/s')) }, t('staff.switch')),
  );
}

function loginCard(ctx) {
  const login = h('input', { name: 'login', autocomplete: 'username', testid: 'staff-login' });
  const password = h('input', { name: 'password', type: 'password', value: 'demo', autocomplete: 'current-password', testid: 'staff-password' });
  const signIn = (name, pw) => call(null, 'POST', '/auth/staff/login', { body: { login: name, password: pw } });
  const done = (r) => {
    session.set(S, r.body);
    ctx.rerender();
  };
  return section(
    t('staff.login.title'),
    'staff-login-card',
    h('p', { class: 'muted small' }, t('staff.login.lead')),
    h('div', { class: 'quick' }, SEED_USERS.map((u) => actionButton({ label: t(`role.${u}`), testid: `staff-login-${u}`, kind: 'secondary', run: () => signIn(u, 'demo'), done }))),
    field(t('staff.login.login'), login),
    field(t('staff.login.password'), password),
    actionButton({ label: t('staff.login.submit'), testid: 'staff-login-submit', run: () => signIn(login.value.trim(), password.value), done }),
  );
}

async function failedJobs(ctx) {
  const jobs = await get('/admin/failed-jobs?limit=20');
  return section(
    t('jobs.title'),
    'failed-jobs',
    jobs.items.length
      ? h(
          'ul',
          { class: 'plain' },
          jobs.items.map((j) =>
            h(
              'li',
              {},
              h('div', {}, h('strong', {}, j.name), ` ${j.id}`, h('div', { class: 'muted small' }, j.failed_reason ?? '')),
              actionButton({ label: t('jobs.retry'), kind: 'secondary', testid: 'job-retry', run: () => call(S, 'POST', `/admin/failed-jobs/${encodeURIComponent(j.id)}/retry`), done: () => ctx.rerender() }),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('jobs.empty')),
  );
}

/** One work order at the counter: what this role can do in this state, quotes, parts, payments, timeline. */
export async function workOrder(root, [id], ctx) {
  const s = session.get(S);
  if (!s) return ctx.navigate('#/s');
  const user = s.user;
  const [wo, parts, pay] = await Promise.all([get(`/work-orders/${id}`), get(`/work-orders/${id}/parts`), get(`/work-orders/${id}/payments`)]);
  // The builder is for a new version: while diagnosing, or when asked for (a revision); a sent quote closes it.
  const building = can(user, ['advisor']) && !wo.quotes.some((q) => q.status === 'draft') && (wo.status === 'diagnosing' || (revising.has(wo.id) && ['quoted', 'in_progress'].includes(wo.status)));
  if (can(user, ['advisor']) && !catalog) catalog = await call(null, 'GET', '/demo/mock/catalog').then((r) => r.body.items, () => []);
  const cur = wo.amounts.currency;
  // Beside the work order on a counter screen (CSS hides it on a phone): the list, this one highlighted.
  const list = wide() ? await listCard(user, ctx, wo.id).catch(() => null) : null;
  root.classList.add('split');
  mount(
    root,
    list ? h('div', { class: ['split-side', 'split-side-wide'], testid: 'split-side' }, list.el) : null,
    h(
      'div',
      { class: 'split-main', testid: 'split-main' },
      h('a', { href: '#/s', class: 'back', testid: 'back' }, `‹ ${t('common.back')}`),
      whoCard(user, ctx),
      h(
        'section',
        { class: 'card wo-head', testid: 'wo-head', dataset: { id: String(wo.id), status: wo.status, revision: String(wo.revision) } },
        h('div', { class: 'wo-title' }, h('h1', { testid: 'wo-number' }, wo.number), statusChip(wo.status, 'wo-status', wo)),
        h('p', {}, h('span', { class: 'muted' }, `${t('staff.customer')}: `), wo.customer?.name ?? '', h('span', { class: 'muted' }, ` · ${t('staff.vehicle')}: `), h('span', { class: 'plate' }, wo.vehicle?.plate ?? '')),
        wo.symptom ? h('p', { class: 'small' }, h('span', { class: 'muted' }, `${t('wo.symptom')}: `), wo.symptom) : null,
        amounts(wo),
      ),
      actionsCard(wo, user, ctx),
      ['diagnosing'].includes(wo.status) && can(user, ['advisor', 'technician']) ? diagnosisCard(wo, ctx) : null,
      building ? quoteBuilder(wo, ctx) : null,
      !building && can(user, ['advisor']) && ['quoted', 'in_progress'].includes(wo.status) && !wo.quotes.some((q) => q.status === 'draft')
        ? h('button', { type: 'button', class: 'btn btn-secondary', testid: 'quote-revise', onclick: () => (revising.add(wo.id), ctx.rerender()) }, t('qb.revise'))
        : null,
      wo.quotes.length ? section(t('wo.quotes'), 'quotes', [...wo.quotes].reverse().map((q, i) => quoteCard(q, cur, i === 0 && q.status === 'draft' && can(user, ['advisor']) ? sendButton(wo, q, ctx) : null))) : null,
      partsCard(wo, parts, user, ctx),
      payments(pay),
      ...(await panelsFor('staff-wo', { who: S, roles: user.roles, wo, rerender: ctx.rerender })),
      timeline(wo),
    ),
  );
  const sig = (w, p, pp) => JSON.stringify([w.revision, w.status, w.amounts, p.ledger.length, pp.pickings.length, pp.items.map((r) => [r.requested, r.issued, r.returned])]);
  ctx.poll(async () => sig(...(await Promise.all([get(`/work-orders/${id}`), get(`/work-orders/${id}/payments`), get(`/work-orders/${id}/parts`)]))), sig(wo, pay, parts));
}

/** Whether the screen is a counter screen (the same width as the CSS media query). */
const wide = () => window.matchMedia('(min-width: 1024px)').matches;

function actionsCard(wo, user, ctx) {
  const mine = TRANSITIONS.filter((x) => x.from.includes(wo.status) && can(user, x.roles));
  if (!mine.length) return null;
  return section(
    t('staff.actions'),
    'staff-actions',
    mine.map((x) => {
      const reason = x.action === 'cancel' ? h('input', { name: 'reason', placeholder: t('act.cancel.reason'), testid: 'cancel-reason' }) : null;
      const override = x.action === 'deliver' && user.roles.includes('manager') ? h('input', { type: 'checkbox', testid: 'deliver-override' }) : null;
      const button = actionButton({
        label: t(`act.${x.action}`),
        testid: `act-${x.action}`,
        kind: x.kind ?? 'primary',
        prefix: x.action,
        run: (it) => {
          const body = { action: x.action, ...(reason?.value.trim() ? { reason: reason.value.trim() } : {}), ...(override?.checked ? { override: true } : {}) };
          return call(S, 'POST', `/work-orders/${wo.id}/transitions`, { body, key: it.key(body), ifMatch: wo.revision });
        },
        done: (r) => {
          toast(t('act.done', { action: t(`act.${x.action}`), number: r.body.number, status: t(`status.${r.body.status}`) }));
          ctx.rerender();
        },
      });
      if (reason) return h('div', { class: 'inline-form' }, reason, button);
      if (override) return h('div', { class: 'inline-form' }, h('label', { class: 'check' }, override, t('act.deliver.override')), button);
      return button;
    }),
  );
}

function diagnosisCard(wo, ctx) {
  const text = h('textarea', { rows: 3, testid: 'diagnosis-text', value: wo.diagnosis ?? '' });
  if (!wo.diagnosis) text.value = wo.symptom ? `${wo.symptom} → ` : '';
  return section(
    t('diag.title'),
    'diagnosis-card',
    text,
    actionButton({
      label: t('diag.save'),
      testid: 'diagnosis-save',
      prefix: 'diag',
      run: (it) => {
        const body = { text: text.value.trim() };
        return call(S, 'POST', `/work-orders/${wo.id}/diagnosis`, { body, key: it.key(body), ifMatch: wo.revision });
      },
      done: () => {
        toast(t('diag.saved'));
        ctx.rerender();
      },
    }),
  );
}

function sendButton(wo, q, ctx) {
  return actionButton({
    label: t('qb.send', { n: q.version }),
    testid: 'quote-send',
    prefix: 'send',
    run: (it) => call(S, 'POST', `/work-orders/${wo.id}/quotes/${q.version}/send`, { key: it.key(null), ifMatch: wo.revision }),
    done: () => {
      // Sent: the builder is done (its lines are this version now); "New version" opens a fresh one.
      drafts.delete(wo.id);
      revising.delete(wo.id);
      toast(t('qb.sent', { n: q.version }));
      ctx.rerender();
    },
  });
}

/** Lines of a new version. Prefilled for a first quote (an hour of labor and the first part) so a demo is all clicks. */
function quoteBuilder(wo, ctx) {
  const parts = catalog.filter((p) => p.kind === 'part');
  const labor = catalog.find((p) => p.kind === 'labor');
  if (!drafts.has(wo.id)) {
    const lines = [];
    if (!wo.quotes.length) {
      lines.push(laborLine(labor));
      if (parts[0]) lines.push(partLine(parts[0]));
    }
    drafts.set(wo.id, { lines, note: '' });
  }
  const d = drafts.get(wo.id);
  const body = h('tbody', {});
  const errorSlot = h('div', {});
  const draw = () =>
    body.replaceChildren(
      ...d.lines.map((l, i) => {
        const desc = h('input', { value: l.description, testid: 'qb-desc', 'aria-label': t('qb.labor.desc') });
        desc.addEventListener('input', () => (l.description = desc.value));
        const q = h('input', { value: qty(l.qty), inputmode: 'decimal', class: 'narrow', testid: 'qb-qty', 'aria-label': t('qb.qty') });
        q.addEventListener('input', () => (l.qty = Number(q.value)));
        const price = h('input', { value: money(l.unit_price, wo.amounts.currency).replace(/^[^\d]+/, '').replace(/,/g, ''), inputmode: 'decimal', class: 'narrow', testid: 'qb-price', 'aria-label': t('qb.price') });
        price.addEventListener('input', () => (l.unit_price = parseMoney(price.value, wo.amounts.currency)));
        const remove = h('button', { type: 'button', class: 'btn btn-link', onclick: () => (d.lines.splice(i, 1), draw()) }, '×');
        return h('tr', { dataset: { kind: l.kind } }, h('td', {}, h('span', { class: ['kind', `kind-${l.kind}`] }, t(`quote.line.${l.kind}`)), desc), h('td', {}, q), h('td', {}, price), h('td', {}, remove));
      }),
    );
  draw();
  const pick = h('select', { testid: 'qb-product' }, parts.map((p) => h('option', { value: String(p.id) }, `${p.name} · ${money(p.unit_price, wo.amounts.currency)} · ${t('qb.stock', { n: qty(p.free_qty ?? 0) })}`)));
  const note = h('input', { value: d.note, placeholder: t('qb.note'), testid: 'qb-note' });
  note.addEventListener('input', () => (d.note = note.value));
  return section(
    t('qb.title'),
    'quote-builder',
    h('table', { class: 'builder' }, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, t('qb.qty')), h('th', {}, t('qb.price')), h('th', {}, ''))), body),
    h(
      'div',
      { class: 'inline-form' },
      pick,
      h('button', { type: 'button', class: 'btn btn-secondary', testid: 'qb-add-part', onclick: () => { const p = parts.find((x) => String(x.id) === pick.value); if (p) (d.lines.push(partLine(p)), draw()); } }, t('qb.add.part')),
      h('button', { type: 'button', class: 'btn btn-secondary', testid: 'qb-add-labor', onclick: () => (d.lines.push(laborLine(labor)), draw()) }, t('qb.add.labor')),
    ),
    note,
    errorSlot,
    actionButton({
      label: t('qb.create'),
      testid: 'quote-create',
      prefix: 'quote',
      run: (it) => {
        const lines = d.lines.map((l) => ({ kind: l.kind, ...(l.product_id ? { product_id: l.product_id } : {}), description: l.description.trim(), qty: l.qty, unit_price: l.unit_price }));
        const req = { lines, ...(d.note.trim() ? { note: d.note.trim() } : {}) };
        return call(S, 'POST', `/work-orders/${wo.id}/quotes`, { body: req, key: it.key(req), ifMatch: wo.revision });
      },
      done: (r) => {
        drafts.delete(wo.id);
        toast(t('qb.created', { n: r.body.quote_version }));
        ctx.rerender();
      },
    }),
  );
}

const laborLine = (p) => ({ kind: 'labor', product_id: p?.id, description: t('qb.labor.default'), qty: 1, unit_price: p?.unit_price ?? 12000 });
const partLine = (p) => ({ kind: 'part', product_id: p.id, description: p.name, qty: 1, unit_price: p.unit_price });

/** Parts: the technician requests, the keeper issues and returns — each ONE Odoo picking per intent. */
function partsCard(wo, parts, user, ctx) {
  const open = ['checkin', 'diagnosing', 'quoted', 'in_progress', 'ready'].includes(wo.status);
  const rows = parts.items;
  const net = (r) => r.issued - r.returned;
  const form = (what, defaults, label, testid, path, ok) => {
    const inputs = rows.map((r, i) => h('input', { value: qty(Math.max(defaults(r), 0)), inputmode: 'decimal', class: 'narrow', testid: `${testid}-qty`, 'aria-label': r.product?.name ?? '', dataset: { i: String(i) } }));
    return h(
      'div',
      { class: 'parts-form', testid: `${testid}-form` },
      h('table', { class: 'lines' }, h('tbody', {}, rows.map((r, i) => h('tr', {}, h('td', {}, r.product?.name ?? ''), h('td', {}, inputs[i]))))),
      actionButton({
        label,
        testid,
        prefix: what,
        run: (it) => {
          const lines = rows.map((r, i) => ({ product_id: r.product?.id, qty: Number(inputs[i].value) })).filter((l) => l.product_id && l.qty > 0);
          if (!lines.length) throw new Error(t('parts.nothing'));
          const body = { lines };
          return call(S, 'POST', `/work-orders/${wo.id}/parts/${path}`, { body, key: it.key(body) });
        },
        done: (r) => {
          toast(`${ok(r.body)}${r.replayed ? ` ${t('common.replayed')}` : ''}`);
          ctx.rerender();
        },
      }),
    );
  };
  return section(
    t('parts.title'),
    'parts',
    rows.length
      ? h(
          'table',
          { class: 'grid', testid: 'parts-table' },
          h('thead', {}, h('tr', {}, [t('parts.product'), t('parts.planned'), t('parts.requested'), t('parts.issued'), t('parts.returned')].map((x) => h('th', {}, x)))),
          h('tbody', {}, rows.map((r) => h('tr', { dataset: { product: String(r.product?.id ?? '') } }, h('td', {}, r.product?.name ?? ''), h('td', { class: 'num' }, qty(r.planned)), h('td', { class: 'num', testid: 'part-requested' }, qty(r.requested)), h('td', { class: 'num', testid: 'part-issued' }, qty(r.issued)), h('td', { class: 'num' }, qty(r.returned))))),
        )
      : h('p', { class: 'muted' }, t('common.none')),
    open && rows.length && can(user, ['technician']) ? form('request', (r) => r.planned - r.requested, t('parts.request'), 'parts-request', 'requests', () => t('parts.requested.ok')) : null,
    open && rows.length && can(user, ['keeper']) ? form('issue', (r) => r.requested - net(r), t('parts.issue'), 'parts-issue', 'issue', (b) => t('parts.issued.ok', { picking: b.picking.name })) : null,
    rows.some((r) => net(r) > 0) && can(user, ['keeper']) ? h('details', {}, h('summary', { testid: 'parts-return-open' }, t('parts.return')), form('return', () => 0, t('parts.return'), 'parts-return', 'return', (b) => t('parts.returned.ok', { picking: b.picking.name }))) : null,
    parts.pickings.length ? h('ul', { class: 'plain small', testid: 'pickings' }, parts.pickings.map((p) => h('li', { dataset: { kind: p.kind ?? '' } }, `${p.name} · ${p.kind ?? ''} · ${p.state}`, p.done_at ? ` · ${dateTime(p.done_at)}` : ''))) : null,
  );
}
