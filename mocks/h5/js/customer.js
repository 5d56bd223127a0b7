import { apiPaths, call, session } from './api.js';
import { h, mount } from './dom.js';
import { t } from './i18n.js';
import { dateTime, money } from './format.js';
import { actionButton, field, openSheet, section, toast } from './ui.js';
import { amounts, payments, progress, quoteCard, statusChip, timeline, woRow } from './components.js';
import { myPayments, panelsFor } from './panels.js';

const C = 'customer';
const get = (path) => call(C, 'GET', path).then((r) => r.body);

/** Customer home: WeChat login → bind phone → vehicles, a service request, my work orders. */
export async function home(root, _params, ctx) {
  const s = session.get(C);
  if (!s) return mount(root, loginCard(ctx));
  if (!s.user.phone_bound) return mount(root, phoneCard(ctx));
  const [me, vehicles, orders] = await Promise.all([get(`/customers/${s.user.customer_id}`), get('/vehicles?limit=50'), get('/work-orders?limit=50')]);
  const active = orders.items.filter((w) => !['closed', 'cancelled'].includes(w.status));
  mount(
    root,
    h(
      'section',
      { class: 'card me', testid: 'me' },
      h('div', {}, h('strong', { testid: 'me-name' }, t('me.hello', { name: me.name })), h('div', { class: 'muted small' }, `${t('me.phone')} ${me.phone ?? ''}`)),
      h('button', { type: 'button', class: 'btn btn-link', testid: 'customer-logout', onclick: () => (session.clear(C), ctx.rerender()) }, t('common.logout')),
    ),
    section(t('orders.title'), 'my-orders', active.length ? active.map((w) => woRow(w, `#/c/wo/${w.id}`)) : h('p', { class: 'muted' }, t('common.none')), h('a', { href: '#/c/history', class: 'btn btn-link', testid: 'history-link' }, t('orders.history'))),
    requestCard(vehicles.items, ctx),
    vehiclesCard(vehicles.items, ctx),
  );
  const sig = (items) => JSON.stringify(items.map((w) => [w.id, w.revision]));
  ctx.poll(async () => sig((await get('/work-orders?limit=50')).items), sig(orders.items));
}

function loginCard(ctx) {
  const code = h('input', { name: 'code', value: 'user-zhangsan', autocomplete: 'off', testid: 'login-code' });
  return section(
    t('login.title'),
    'login',
    h('p', { class: 'muted small' }, t('login.lead')),
    field(t('login.code'), code),
    actionButton({
      label: t('login.submit'),
      testid: 'login-submit',
      kind: 'wechat',
      run: () => call(null, 'POST', '/auth/wechat/login', { body: { code: code.value.trim() } }),
      done: (r) => {
        session.set(C, r.body);
        ctx.rerender();
      },
    }),
  );
}

function phoneCard(ctx) {
  const phone = h('input', { name: 'phone', value: '13800138000', inputmode: 'tel', autocomplete: 'off', testid: 'phone-number' });
  const name = h('input', { name: 'name', value: 'Zhang San', autocomplete: 'off', testid: 'phone-name' });
  return section(
    t('phone.title'),
    'bind-phone',
    h('p', { class: 'muted small' }, t('phone.lead')),
    field(t('phone.number'), phone),
    field(t('phone.name'), name, t('common.optional')),
    actionButton({
      label: t('phone.submit'),
      testid: 'phone-submit',
      kind: 'wechat',
      run: () => call(C, 'POST', '/auth/wechat/phone', { body: { code: `phone-${phone.value.replace(/[\s-]/g, '')}`, ...(name.value.trim() ? { name: name.value.trim() } : {}) } }),
      done: (r) => {
        session.set(C, r.body);
        ctx.rerender();
      },
    }),
  );
}

function vehiclesCard(vehicles, ctx) {
  const plate = h('input', { name: 'plate', placeholder: '粤B·12345', autocomplete: 'off', testid: 'vehicle-plate' });
  const brand = h('input', { name: 'brand', placeholder: 'Honda', autocomplete: 'off', testid: 'vehicle-brand' });
  const model = h('input', { name: 'model', placeholder: 'CB400X', autocomplete: 'off', testid: 'vehicle-model' });
  return section(
    t('vehicles.title'),
    'vehicles',
    vehicles.length
      ? h('ul', { class: 'plain', testid: 'vehicle-list' }, vehicles.map((v) => h('li', { dataset: { id: String(v.id) } }, h('strong', { class: 'plate' }, v.plate_no), h('span', { class: 'muted' }, ` ${[v.brand, v.model].filter(Boolean).join(' ')}`))))
      : h('p', { class: 'muted' }, t('common.none')),
    h(
      'details',
      { class: 'add', open: vehicles.length === 0 },
      h('summary', { testid: 'vehicle-add-open' }, t('vehicles.add')),
      field(t('vehicles.plate'), plate),
      h('div', { class: 'row2' }, field(t('vehicles.brand'), brand), field(t('vehicles.model'), model)),
      actionButton({
        label: t('vehicles.add'),
        testid: 'vehicle-submit',
        run: () => call(C, 'POST', '/vehicles', { body: { plate_no: plate.value.trim(), ...(brand.value.trim() ? { brand: brand.value.trim() } : {}), ...(model.value.trim() ? { model: model.value.trim() } : {}) } }),
        done: (r) => {
          toast(t('vehicles.added', { plate: r.body.plate_no }));
          ctx.rerender();
        },
      }),
    ),
  );
}

function requestCard(vehicles, ctx) {
  if (!vehicles.length) return section(t('request.title'), 'request', h('p', { class: 'muted' }, t('request.novehicle')));
  const vehicle = h('select', { name: 'vehicle', testid: 'request-vehicle' }, vehicles.map((v) => h('option', { value: String(v.id) }, `${v.plate_no} ${v.brand ?? ''}`)));
  vehicle.value = String(vehicles[vehicles.length - 1].id);
  const symptom = h('textarea', { name: 'symptom', rows: 3, placeholder: t('request.symptom.ph'), testid: 'request-symptom' });
  return section(
    t('request.title'),
    'request',
    field(t('request.vehicle'), vehicle),
    field(t('request.symptom'), symptom),
    actionButton({
      label: t('request.submit'),
      testid: 'request-submit',
      prefix: 'wo',
      run: (it) => {
        const body = { vehicle_id: Number(vehicle.value), ...(symptom.value.trim() ? { symptom: symptom.value.trim() } : {}) };
        return call(C, 'POST', '/work-orders', { body, key: it.key(body) });
      },
      done: (r) => {
        toast(t('request.done', { number: r.body.number }));
        ctx.navigate(`#/c/wo/${r.body.id}`);
      },
    }),
  );
}

/** One work order as the customer follows it: progress, quotes (confirm/reject), pay, payments, timeline. */
export async function workOrder(root, [id], ctx) {
  if (!session.get(C)) return ctx.navigate('#/c');
  const [wo, pay, shop] = await Promise.all([get(`/work-orders/${id}`), get(`/work-orders/${id}/payments`), shopRules()]);
  const cur = wo.amounts.currency;
  const latest = wo.quotes.length ? wo.quotes[wo.quotes.length - 1] : null;
  const shown = [...wo.quotes].filter((q) => q.status !== 'draft').reverse();
  const extra = await panelsFor('customer-wo', { who: C, wo, rerender: ctx.rerender });
  mount(
    root,
    h('a', { href: '#/c', class: 'back', testid: 'back' }, `‹ ${t('common.back')}`),
    h(
      'section',
      { class: 'card wo-head', testid: 'wo-head', dataset: { id: String(wo.id), status: wo.status, revision: String(wo.revision) } },
      h('div', { class: 'wo-title' }, h('h1', { testid: 'wo-number' }, wo.number), statusChip(wo.status, 'wo-status', wo)),
      h('p', { class: 'muted' }, h('span', { class: 'plate' }, wo.vehicle?.plate ?? ''), wo.created_at ? ` · ${dateTime(wo.created_at)}` : ''),
      amounts(wo),
      wo.status === 'closed' ? h('p', { class: 'banner ok', testid: 'closed-banner' }, t('wo.closed.banner')) : null,
      wo.status !== 'closed' && wo.amounts.total > 0 && wo.amounts.due === 0 ? h('p', { class: 'banner ok', testid: 'paid-banner' }, t('wo.paid.banner')) : null,
    ),
    payCard(wo, pay, shop, ctx),
    pay.ledger.length ? payments(pay) : null,
    section(t('wo.progress'), 'progress-card', progress(wo), wo.symptom ? h('p', {}, h('span', { class: 'muted' }, `${t('wo.symptom')}: `), wo.symptom) : null, wo.diagnosis ? h('p', { testid: 'diagnosis' }, h('span', { class: 'muted' }, `${t('wo.diagnosis')}: `), wo.diagnosis) : null),
    shown.length ? section(t('wo.quotes'), 'quotes', shown.map((q) => quoteCard(q, cur, latest && q.version === latest.version && q.status === 'sent' ? decisionActions(wo, q, ctx) : null))) : null,
    ...extra,
    pay.orders.length && !pay.ledger.length ? payments(pay) : null,
    timeline(wo),
  );
  const sig = (w, p) => JSON.stringify([w.revision, w.status, w.amounts, p.ledger.length, p.orders.map((o) => o.status)]);
  ctx.poll(async () => sig(...(await Promise.all([get(`/work-orders/${id}`), get(`/work-orders/${id}/payments`)]))), sig(wo, pay));
}

function decisionActions(wo, q, ctx) {
  const note = h('input', { name: 'note', placeholder: t('quote.reject.note'), testid: 'reject-note' });
  const path = `/work-orders/${wo.id}/quotes/${q.version}`;
  return h(
    'div',
    { class: 'decision' },
    actionButton({
      label: t('quote.confirm'),
      testid: 'quote-confirm',
      prefix: 'confirm',
      run: (it) => call(C, 'POST', `${path}/confirm`, { key: it.key(null), ifMatch: wo.revision }),
      done: (r) => {
        toast(`${t('quote.confirmed', { n: q.version })}${r.replayed ? ` ${t('common.replayed')}` : ''}`);
        ctx.rerender();
      },
    }),
    h(
      'details',
      { class: 'reject' },
      h('summary', { testid: 'quote-reject-open' }, t('quote.reject')),
      note,
      actionButton({
        label: t('quote.reject'),
        testid: 'quote-reject',
        kind: 'danger',
        prefix: 'reject',
        run: (it) => {
          const body = note.value.trim() ? { note: note.value.trim() } : {};
          return call(C, 'POST', `${path}/reject`, { body, key: it.key(body), ifMatch: wo.revision });
        },
        done: () => {
          toast(t('quote.rejected', { n: q.version }));
          ctx.rerender();
        },
      }),
    ),
  );
}

/** The shop's rules (`GET /demo/shop`: when payment is offered), fetched once; unknown → pay at pick-up. */
let shopP;
function shopRules() {
  shopP ??= call(null, 'GET', '/demo/shop').then((r) => r.body, () => ({ pay_at: 'pickup' }));
  return shopP;
}

/**
 * Pay with WeChat: the BFF creates (or returns) the payment order and signs the wx.requestPayment parameters; the
 * pay sheet stands in for WeChat's own, and its "Pay" does what the WeChat app does (the mock pays and notifies
 * the BFF); then, like the mini-program after a success callback, the page asks the BFF to check the order.
 */
function payCard(wo, pay, shop, ctx) {
  const owed = wo.amounts.due > 0 && wo.confirmed_quote_version !== null && !['draft', 'cancelled', 'closed'].includes(wo.status);
  if (!owed) return null;
  // The shop's rule: a walk-in shop is paid at pick-up (the repair done), a prepaying one once the quote is confirmed.
  if (shop.pay_at === 'pickup' && !['ready', 'delivered'].includes(wo.status)) {
    return section(null, 'pay-card', h('div', { class: 'pay-line' }, h('span', {}, t('wo.due')), h('strong', { class: 'num big' }, money(wo.amounts.due, wo.amounts.currency))), h('p', { class: 'muted small', testid: 'pay-later' }, t('pay.at.pickup')));
  }
  const amount = money(wo.amounts.due, wo.amounts.currency);
  return section(
    null,
    'pay-card',
    h('div', { class: 'pay-line' }, h('span', {}, t('wo.due')), h('strong', { class: 'num big' }, amount)),
    actionButton({
      label: t('pay.button', { amount }),
      testid: 'pay-button',
      kind: 'wechat',
      prefix: 'pay',
      run: (it) => call(C, 'POST', `/work-orders/${wo.id}/payments/wechat`, { key: it.key(null) }),
      done: (r) => openPaySheet(r.body, ctx),
    }),
  );
}

function openPaySheet(created, ctx) {
  const order = created.payment_order;
  openSheet((close) => [
    h('div', { class: 'sheet-head' }, h('span', { class: 'wx-logo' }, '✓'), h('strong', {}, t('pay.sheet.title'))),
    h('p', { class: 'muted center' }, t('pay.sheet.merchant')),
    h('p', { class: 'sheet-amount', testid: 'sheet-amount' }, money(order.amount, order.currency)),
    h('p', { class: 'muted small center' }, `${t('pay.sheet.order')} ${order.out_trade_no}`),
    actionButton({
      label: t('pay.sheet.pay'),
      testid: 'pay-confirm',
      kind: 'wechat',
      run: async () => {
        await call(null, 'POST', '/demo/mock/request-payment', { body: created.request_payment });
        return call(C, 'POST', `/payments/${order.id}/check`);
      },
      done: () => {
        close();
        toast(t('pay.success'));
        ctx.rerender();
      },
    }),
    h('button', { type: 'button', class: 'btn btn-link', testid: 'pay-cancel', onclick: () => (close(), toast(t('pay.cancelled'))) }, t('common.cancel')),
    h('p', { class: 'muted small' }, t('pay.sheet.note')),
  ]);
}

/** Every work order of mine and every payment (ledger rows) on them. */
export async function history(root, _params, ctx) {
  if (!session.get(C)) return ctx.navigate('#/c');
  const orders = (await get('/work-orders?limit=100')).items;
  const extra = await panelsFor('customer-history', { who: C });
  if ((await apiPaths()).has('/payments')) {
    // The ledger's own history (GET /payments): newest first, a page at a time.
    mount(root, h('a', { href: '#/c', class: 'back', testid: 'back' }, `‹ ${t('common.back')}`), section(t('history.title'), 'history-orders', orders.length ? orders.map((w) => woRow(w, `#/c/wo/${w.id}`)) : h('p', { class: 'muted' }, t('common.none'))), await myPayments(), ...extra);
    return;
  }
  const withMoney = orders.filter((w) => w.total.amount > 0);
  const pays = await Promise.all(withMoney.map((w) => get(`/work-orders/${w.id}/payments`).then((p) => ({ w, p }))));
  const rows = pays.flatMap(({ w, p }) => p.ledger.map((e) => ({ w, e }))).sort((a, b) => (a.e.at < b.e.at ? 1 : -1));
  mount(
    root,
    h('a', { href: '#/c', class: 'back', testid: 'back' }, `‹ ${t('common.back')}`),
    section(t('history.title'), 'history-orders', orders.length ? orders.map((w) => woRow(w, `#/c/wo/${w.id}`)) : h('p', { class: 'muted' }, t('common.none'))),
    section(
      t('history.payments'),
      'history-payments',
      rows.length
        ? h('ul', { class: 'plain ledger' }, rows.map(({ w, e }) => h('li', { dataset: { kind: e.kind } }, h('span', {}, `${w.number} · ${t(`ledger.${e.kind}`)} · ${e.channel}`), h('small', { class: 'muted' }, ` ${dateTime(e.at)}`), h('span', { class: 'num' }, money(e.amount, e.currency)))))
        : h('p', { class: 'muted' }, t('common.none')),
    ),
    ...extra,
  );
}
