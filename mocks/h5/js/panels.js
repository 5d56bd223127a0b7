import { apiPaths, call, download } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { dateTime, money, parseMoney, qty, shopDay, statusLabel } from './format.js';
import { actionButton, chip, field, inFlight, problemBox, section, toast } from './ui.js';

/**
 * Panels over API areas that are being built (media, offline payments, refunds, suspense, reports, payment
 * history). Each declares the paths it needs; the page reads /openapi.json and shows a panel once its endpoints
 * exist on the server. To add one: put `{ id, paths, render }` in PANELS, where `render(ctx)` returns an element.
 */
export const PANELS = [
  {
    id: 'offline',
    where: ['staff-wo'],
    roles: ['cashier'],
    paths: ['/work-orders/:id/payments/offline'],
    render: (ctx) => offlinePanel(ctx),
  },
  {
    id: 'media',
    where: ['staff-wo', 'customer-wo'],
    paths: ['/work-orders/:id/media', '/work-orders/:id/media/uploads', '/media/:id/complete'],
    render: (ctx) => mediaPanel(ctx),
  },
  {
    id: 'refunds',
    where: ['staff-wo'],
    roles: ['manager'],
    paths: ['/work-orders/:id/refunds'],
    render: (ctx) => refundsPanel(ctx),
  },
  {
    id: 'reports',
    where: ['staff-office'],
    paths: ['/reports'],
    render: (ctx) => reportsPanel(ctx),
  },
  {
    id: 'payments',
    where: ['staff-office'],
    roles: ['cashier'],
    paths: ['/payments'],
    render: (ctx) => historyPanel(ctx),
  },
  {
    id: 'suspense',
    where: ['staff-office'],
    roles: ['cashier'],
    paths: ['/suspense', '/suspense/:seq/apply', '/suspense/:seq/refund'],
    render: (ctx) => suspensePanel(ctx),
  },
];

/** Cashier: money taken at the counter (cash, card terminal, bank transfer) — one ledger charge per intent. */
function offlinePanel({ who, wo, rerender }) {
  if (wo.amounts.due <= 0 || ['draft', 'cancelled', 'closed'].includes(wo.status)) return null;
  const method = h('select', { testid: 'offline-method' }, ['cash', 'card_terminal', 'bank_transfer'].map((m) => h('option', { value: m }, t(`offline.${m}`))));
  const amount = h('input', { value: money(wo.amounts.due, wo.amounts.currency).replace(/^[^\d]+/, '').replace(/,/g, ''), inputmode: 'decimal', testid: 'offline-amount' });
  const reference = h('input', { placeholder: t('offline.reference'), testid: 'offline-reference' });
  return section(
    t('offline.title'),
    'offline-payment',
    h('div', { class: 'row2' }, field(t('offline.method'), method), field(t('offline.amount'), amount)),
    field(t('offline.reference'), reference),
    actionButton({
      label: t('offline.record'),
      testid: 'offline-record',
      prefix: 'offline',
      run: (it) => {
        const minor = parseMoney(amount.value, wo.amounts.currency);
        if (minor === null || minor <= 0) throw new Error(t('offline.bad_amount'));
        const body = { method: method.value, amount: minor, ...(reference.value.trim() ? { reference: reference.value.trim() } : {}) };
        return call(who, 'POST', `/work-orders/${wo.id}/payments/offline`, { body, key: it.key(body) });
      },
      done: (r) => {
        toast(`${t('offline.recorded', { amount: money(r.body.amount, r.body.currency) })}${r.replayed || r.body.replayed ? ` ${t('common.replayed')}` : ''}`);
        rerender();
      },
    }),
  );
}

/** Photos and videos of the work order (signed GET URLs), and an upload straight to storage (presigned POST). */
async function mediaPanel({ who, wo, rerender }) {
  let list;
  try {
    list = (await call(who, 'GET', `/work-orders/${wo.id}/media`)).body.items;
  } catch (e) {
    return section(t('media.title'), 'media', problemBox(e));
  }
  const file = h('input', { type: 'file', accept: 'image/*,video/*', testid: 'media-file' });
  // What the photo shows; customers may send damage or other only (the BFF says so too).
  const kinds = who === 'customer' ? ['damage', 'other'] : ['checkin_photo', 'damage', 'repair_evidence', 'other'];
  const kind = h('select', { testid: 'media-kind' }, kinds.map((k) => h('option', { value: k }, t(`media.kind.${k}`))));
  if (who !== 'customer') kind.value = ['draft', 'checkin', 'diagnosing'].includes(wo.status) ? 'checkin_photo' : 'repair_evidence';
  return section(
    t('media.title'),
    'media',
    list.length
      ? h(
          'div',
          { class: 'gallery', testid: 'media-list' },
          list.map((m) =>
            m.content_type.startsWith('image/')
              ? h('a', { href: m.url, target: '_blank', rel: 'noopener', dataset: { kind: m.kind } }, h('img', { src: m.url, alt: m.filename, loading: 'lazy', testid: 'media-img' }))
              : h('a', { href: m.url, target: '_blank', rel: 'noopener', class: 'video' }, `▶ ${m.filename}`),
          ),
        )
      : h('p', { class: 'muted' }, t('common.none')),
    list.length ? h('p', { class: 'muted small' }, list.map((m) => `${m.uploaded_by.name ?? m.uploaded_by.kind} · ${dateTime(m.uploaded_at)}`).slice(-1)) : null,
    h('div', { class: 'row2' }, field(t('media.pick'), file), field(t('media.kind'), kind)),
    actionButton({
      label: t('media.upload'),
      testid: 'media-upload',
      kind: 'secondary',
      prefix: 'media',
      run: async (it) => {
        const f = file.files?.[0];
        if (!f) throw new Error(t('media.nofile'));
        const body = { filename: f.name, content_type: f.type || 'application/octet-stream', size: f.size, method: 'POST', kind: kind.value };
        const presigned = (await call(who, 'POST', `/work-orders/${wo.id}/media/uploads`, { body, key: it.key(body) })).body;
        const form = new FormData();
        for (const [k, v] of Object.entries(presigned.upload.fields)) form.append(k, v);
        form.append('file', f);
        const up = await fetch(presigned.upload.url, { method: 'POST', body: form });
        if (!up.ok) throw new Error(`${t('media.storage')}: HTTP ${up.status}`);
        return call(who, 'POST', `/media/${presigned.id}/complete`);
      },
      done: () => {
        toast(t('media.uploaded'));
        rerender();
      },
    }),
  );
}

const amountText = (minor, cur) => money(minor, cur).replace(/^[^\d]+/, '').replace(/,/g, '');
const settling = (r) => r.status === 'pending' || r.status === 'processing';

/**
 * Manager: money back on the channel it came in (after close too). The answer splits the amount into a returned
 * overpayment and a price reduction (credit_amount, an Odoo credit note). A WeChat refund stays pending until WeChat
 * Pay notifies the BFF, so while one is settling the panel polls GET …/refunds and renders again when it changes.
 */
async function refundsPanel({ who, wo, rerender }) {
  let list;
  let pay;
  try {
    [list, pay] = await Promise.all([call(who, 'GET', `/work-orders/${wo.id}/refunds`).then((r) => r.body.items), call(who, 'GET', `/work-orders/${wo.id}/payments`).then((r) => r.body)]);
  } catch (e) {
    return section(t('refund.title'), 'refunds', problemBox(e));
  }
  if (!list.length && pay.paid <= 0) return null;
  const cur = wo.amounts.currency;
  const refundable = pay.paid - list.filter(settling).reduce((a, r) => a + r.amount, 0);
  const charges = pay.ledger.filter((e) => e.kind === 'charge');
  const amount = h('input', { value: '', placeholder: amountText(refundable, cur), inputmode: 'decimal', testid: 'refund-amount' });
  const reason = h('input', { value: '', placeholder: t('refund.reason.ph'), testid: 'refund-reason' });
  const source = h('select', { testid: 'refund-payment' }, h('option', { value: '' }, t('refund.payment.auto')), charges.map((c) => h('option', { value: String(c.seq) }, `#${c.seq} · ${c.channel} · ${money(c.amount, c.currency)}`)));
  const el = section(
    t('refund.title'),
    'refunds',
    list.length
      ? h(
          'ul',
          { class: 'plain refunds', testid: 'refund-list' },
          list.map((r) =>
            h(
              'li',
              { dataset: { id: String(r.id), status: r.status }, testid: 'refund-row' },
              h('span', {}, `${r.out_refund_no.slice(-8)} · ${r.channel}`),
              chip(t(`refund.status.${r.status}`), `rs-${r.status}`, 'refund-status'),
              h('span', { class: 'num', testid: 'refund-row-amount' }, money(r.amount, r.currency)),
              h('div', { class: 'muted small full', testid: 'refund-split' }, t('refund.split', { returned: money(r.amount - r.credit_amount, r.currency), credit: money(r.credit_amount, r.currency) })),
              h('div', { class: 'muted small full' }, `${r.reason} · ${dateTime(r.created_at)}${r.completed_at ? ` → ${dateTime(r.completed_at)}` : ''}`),
              r.error ? h('div', { class: 'problem-detail small full' }, r.error) : null,
            ),
          ),
        )
      : null,
    refundable > 0
      ? [
          h('p', { class: 'small muted', testid: 'refund-refundable' }, t('refund.refundable', { amount: money(refundable, cur) })),
          h('div', { class: 'row2' }, field(t('refund.amount'), amount), field(t('refund.payment'), source)),
          field(t('refund.reason'), reason),
          actionButton({
            label: t('refund.submit'),
            testid: 'refund-submit',
            kind: 'danger',
            prefix: 'refund',
            run: (it) => {
              const minor = parseMoney(amount.value, cur);
              if (minor === null || minor <= 0) throw new Error(t('offline.bad_amount'));
              if (!reason.value.trim()) throw new Error(t('refund.reason.missing'));
              const body = { amount: minor, reason: reason.value.trim(), ...(source.value ? { payment_seq: Number(source.value) } : {}) };
              return call(who, 'POST', `/work-orders/${wo.id}/refunds`, { body, key: it.key(body) });
            },
            done: (r) => {
              const x = r.body;
              toast(`${t('refund.done', { amount: money(x.amount, x.currency), status: t(`refund.status.${x.status}`) })} ${t('refund.split', { returned: money(x.amount - x.credit_amount, x.currency), credit: money(x.credit_amount, x.currency) })}${r.replayed ? ` ${t('common.replayed')}` : ''}`);
              rerender();
            },
          }),
        ]
      : null,
  );
  if (list.some(settling)) {
    const sig = (items) => JSON.stringify(items.map((r) => [r.id, r.status]));
    const shown = sig(list);
    const timer = setInterval(async () => {
      if (!el.isConnected) return clearInterval(timer);
      if (inFlight.n > 0 || el.contains(document.activeElement)) return;
      try {
        const now = (await call(who, 'GET', `/work-orders/${wo.id}/refunds`)).body.items;
        if (sig(now) !== shown && el.isConnected) {
          clearInterval(timer);
          rerender();
        }
      } catch {
        // a failed background poll waits for the next tick
      }
    }, 1000);
  }
  return el;
}

/** Reports the caller may read (GET /reports), for a range of shop days; shown as tables or downloaded as CSV. */
async function reportsPanel({ who }) {
  let index;
  try {
    index = (await call(who, 'GET', '/reports')).body.reports;
  } catch (e) {
    return section(t('report.title'), 'reports', problemBox(e));
  }
  if (!index.length) return null;
  const pick = h('select', { testid: 'report-pick' }, index.map((r) => h('option', { value: r.id }, t(`report.${r.id}`))));
  const from = h('input', { type: 'date', value: shopDay(-6), testid: 'report-from' });
  const to = h('input', { type: 'date', value: shopDay(0), testid: 'report-to' });
  const out = h('div', { class: 'report-out', testid: 'report-out' });
  const path = () => `/reports/${encodeURIComponent(pick.value)}?${new URLSearchParams({ from: from.value, to: to.value })}`;
  return section(
    t('report.title'),
    'reports',
    field(t('report.pick'), pick),
    h('div', { class: 'row2' }, field(t('report.from'), from), field(t('report.to'), to)),
    h(
      'div',
      { class: 'inline-form' },
      actionButton({ label: t('report.show'), testid: 'report-show', run: () => call(who, 'GET', path()), done: (r) => out.replaceChildren(reportTable(r.body)) }),
      actionButton({ label: t('report.csv'), testid: 'report-csv', kind: 'secondary', run: () => download(who, path(), 'text/csv'), done: (r) => toast(t('report.saved', { file: r.filename })) }),
    ),
    out,
  );
}

function reportTable(rep) {
  const cur = rep.shop?.currency ?? 'CNY';
  const table = (head, rows, foot) =>
    h(
      'table',
      { class: 'grid', testid: 'report-table', dataset: { report: rep.report } },
      h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))),
      h('tbody', {}, rows),
      foot ? h('tfoot', {}, foot) : null,
    );
  const td = (x, testid) => h('td', { class: typeof x === 'string' && !/^[-¥$€\d]/.test(x) ? null : 'num', testid }, x);
  const meta = h('p', { class: 'muted small' }, `${rep.shop?.name ?? ''} · ${rep.from} → ${rep.to}`);
  if (rep.report === 'payments') {
    const money3 = (x, testid) => [td(`${x.charges_count} · ${money(x.charges_amount, x.currency)}`), td(`${x.refunds_count} · ${money(x.refunds_amount, x.currency)}`), td(money(x.net_amount, x.currency), testid)];
    return h(
      'div',
      {},
      meta,
      table(
        [t('report.channel'), t('report.charges'), t('report.refunds'), t('report.net')],
        rep.by_channel.length ? rep.by_channel.map((x) => h('tr', { dataset: { channel: x.channel } }, td(x.channel), money3(x, 'report-net'))) : h('tr', {}, h('td', { colspan: '4', class: 'muted' }, t('common.none'))),
        rep.totals.map((x) => h('tr', { class: 'grand', testid: 'report-total' }, td(t('report.total')), money3(x, 'report-total-net'))),
      ),
      rep.by_day.length ? h('p', { class: 'muted small' }, rep.by_day.map((d) => `${d.day}: ${money(d.net_amount, d.currency ?? cur)}`).join(' · ')) : null,
    );
  }
  if (rep.report === 'work-orders') {
    return h(
      'div',
      {},
      meta,
      table(
        [t('report.status'), t('report.count')],
        rep.by_status.map((x) => h('tr', { dataset: { status: x.status } }, td(statusLabel(x.status)), td(String(x.count)))),
        [h('tr', { class: 'grand' }, td(t('report.created')), td(String(rep.created_total))), h('tr', { class: 'grand' }, td(t('report.closed')), td(String(rep.closed_total)))],
      ),
    );
  }
  if (rep.report === 'parts') {
    return h(
      'div',
      {},
      meta,
      table(
        [t('parts.product'), t('parts.issued'), t('parts.returned'), t('report.net')],
        rep.by_product.length ? rep.by_product.map((x) => h('tr', { dataset: { product: String(x.product.id) } }, td(x.product.name), td(`${qty(x.issued)} ${x.uom}`), td(qty(x.returned)), td(qty(x.net)))) : h('tr', {}, h('td', { colspan: '4', class: 'muted' }, t('common.none'))),
      ),
    );
  }
  return h('pre', {}, JSON.stringify(rep, null, 2));
}

const CHANNELS = ['wechat', 'stripe', 'offline'];
const KINDS = ['charge', 'refund', 'reversal', 'suspense'];
export const HISTORY_PAGE = 5;

/**
 * Payment history from the ledger (GET /payments), newest first, a page at a time: "more" passes next_cursor back.
 * Staff (cashier, manager) filter by channel, kind, day range and work order; customers see their own work orders.
 */
function historyPanel({ who }) {
  const staff = who === 'staff';
  const channel = h('select', { testid: 'history-channel' }, h('option', { value: '' }, t('history.all')), CHANNELS.map((c) => h('option', { value: c }, c)));
  const kind = h('select', { testid: 'history-kind' }, h('option', { value: '' }, t('history.all')), KINDS.map((k) => h('option', { value: k }, t(`ledger.${k}`))));
  const from = h('input', { type: 'date', value: '', testid: 'history-from' });
  const to = h('input', { type: 'date', value: '', testid: 'history-to' });
  const wo = h('input', { value: '', inputmode: 'numeric', placeholder: t('history.wo.ph'), testid: 'history-wo' });
  const list = h('ul', { class: 'plain ledger', testid: 'history-list' });
  const moreSlot = h('div', {});
  const query = () => {
    const q = new URLSearchParams({ limit: String(HISTORY_PAGE) });
    if (!staff) return q;
    if (channel.value) q.set('channel', channel.value);
    if (kind.value) q.set('kind', kind.value);
    if (from.value) q.set('from', from.value);
    if (to.value) q.set('to', to.value);
    if (wo.value.trim()) q.set('work_order_id', wo.value.trim());
    return q;
  };
  const row = (e) =>
    h(
      'li',
      { dataset: { kind: e.kind, seq: String(e.id) }, testid: 'history-row' },
      h('span', {}, `#${e.id} ${e.work_order?.number ?? '—'} · ${t(`ledger.${e.kind}`)} · ${e.channel}`),
      h('small', { class: 'muted' }, ` ${dateTime(e.at)}`),
      h('span', { class: 'num' }, money(e.amount, e.currency)),
      staff && (e.actor || e.reason) ? h('div', { class: 'muted small full' }, [e.actor, e.reason].filter(Boolean).join(' · ')) : null,
    );
  const page = async (cursor) => {
    const q = query();
    if (cursor) q.set('cursor', cursor);
    return (await call(who, 'GET', `/payments?${q}`)).body;
  };
  const show = (body, append) => {
    if (!append) list.replaceChildren();
    list.append(...body.items.map(row));
    if (!list.childElementCount) list.append(h('li', { class: 'muted' }, t('common.none')));
    moreSlot.replaceChildren(
      body.next_cursor ? actionButton({ label: t('history.more'), testid: 'history-more', kind: 'secondary', run: () => page(body.next_cursor), done: (next) => show(next, true) }) : h('p', { class: 'muted small', testid: 'history-end' }, t('history.end')),
    );
  };
  const search = actionButton({ label: t('history.search'), testid: 'history-search', kind: 'secondary', run: () => page(null), done: (body) => show(body, false) });
  const el = section(
    staff ? t('history.staff.title') : t('history.payments'),
    staff ? 'payment-history' : 'history-payments',
    staff ? [h('div', { class: 'row2' }, field(t('history.channel'), channel), field(t('history.kind'), kind)), h('div', { class: 'row2' }, field(t('report.from'), from), field(t('report.to'), to)), field(t('history.wo'), wo), search] : null,
    list,
    moreSlot,
  );
  return page(null).then(
    (body) => (show(body, false), el),
    (e) => (list.replaceChildren(problemBox(e)), el),
  );
}

/** The customer's payments (GET /payments: their own work orders, no suspense, references masked). */
export function myPayments() {
  return historyPanel({ who: 'customer' });
}

/**
 * Suspense: money that came in without a work order to take it (late, excess, unmatched). Cashiers see it; a
 * manager applies an entry (whole) to a work order as its payment, or pays it back on its channel.
 */
async function suspensePanel({ who, roles, rerender }) {
  const manager = roles.includes('manager');
  let items;
  try {
    items = (await call(who, 'GET', `/suspense${suspenseAll.on ? '?all=true' : ''}`)).body.items;
  } catch (e) {
    return section(t('suspense.title'), 'suspense', problemBox(e));
  }
  const all = h('input', { type: 'checkbox', checked: suspenseAll.on, testid: 'suspense-all' });
  all.addEventListener('change', () => ((suspenseAll.on = all.checked), rerender()));
  return section(
    t('suspense.title'),
    'suspense',
    h('label', { class: 'check' }, all, t('suspense.all')),
    items.length
      ? h(
          'ul',
          { class: 'plain', testid: 'suspense-list' },
          items.map((s) => {
            const woInput = h('input', { value: s.work_order_id ? String(s.work_order_id) : '', inputmode: 'numeric', placeholder: t('suspense.wo'), testid: 'suspense-wo' });
            const over = h('input', { type: 'checkbox', testid: 'suspense-over' });
            const reason = h('input', { value: '', placeholder: t('refund.reason.ph'), testid: 'suspense-reason' });
            const applied = (r) => {
              toast(`${t('suspense.applied', { amount: money(r.body.charge.amount, r.body.charge.currency), wo: r.body.charge.work_order_id })}${r.replayed || r.body.replayed ? ` ${t('common.replayed')}` : ''}`);
              rerender();
            };
            return h(
              'li',
              { dataset: { seq: String(s.seq), open: String(s.open) }, testid: 'suspense-row' },
              h('span', {}, `#${s.seq} · ${s.channel} · ${s.provider_ref.slice(-10)}`),
              h('small', { class: 'muted' }, ` ${dateTime(s.at)}`),
              h('span', { class: 'num' }, money(s.amount, s.currency)),
              h('div', { class: 'muted small full' }, [t('suspense.open', { amount: money(s.open, s.currency) }), s.applied ? t('suspense.applied.n', { amount: money(s.applied, s.currency) }) : null, s.refunded || s.in_flight ? t('suspense.refunded.n', { amount: money(s.refunded + s.in_flight, s.currency) }) : null, s.reason].filter(Boolean).join(' · ')),
              manager && s.open > 0
                ? h(
                    'div',
                    { class: 'full' },
                    h(
                      'div',
                      { class: 'inline-form' },
                      woInput,
                      h('label', { class: 'check' }, over, t('suspense.over')),
                      actionButton({
                        label: t('suspense.apply'),
                        testid: 'suspense-apply',
                        prefix: 'apply',
                        run: (it) => {
                          const id = Number(woInput.value.trim());
                          if (!Number.isInteger(id) || id <= 0) throw new Error(t('suspense.wo.missing'));
                          const body = { work_order_id: id, ...(over.checked ? { allow_overpayment: true } : {}) };
                          return call(who, 'POST', `/suspense/${s.seq}/apply`, { body, key: it.key(body) });
                        },
                        done: applied,
                      }),
                    ),
                    h(
                      'div',
                      { class: 'inline-form' },
                      reason,
                      actionButton({
                        label: t('suspense.refund', { amount: money(s.open, s.currency) }),
                        testid: 'suspense-refund',
                        kind: 'danger',
                        prefix: 'srefund',
                        run: (it) => {
                          if (!reason.value.trim()) throw new Error(t('refund.reason.missing'));
                          const body = { reason: reason.value.trim() };
                          return call(who, 'POST', `/suspense/${s.seq}/refund`, { body, key: it.key(body) });
                        },
                        done: (r) => {
                          toast(t('refund.done', { amount: money(r.body.amount, r.body.currency), status: t(`refund.status.${r.body.status}`) }));
                          rerender();
                        },
                      }),
                    ),
                  )
                : null,
            );
          }),
        )
      : h('p', { class: 'muted', testid: 'suspense-empty' }, t('suspense.empty')),
  );
}
const suspenseAll = { on: false };

/** Areas the demo knows are coming, with the path that will switch them on (for the "not yet" note). */
export const PENDING = [
  { id: 'media', label: 'photos', path: '/work-orders/:id/media' },
  { id: 'offline', label: 'offline payment', path: '/work-orders/:id/payments/offline' },
  { id: 'refunds', label: 'refunds', path: '/work-orders/:id/refunds' },
  { id: 'suspense', label: 'suspense', path: '/suspense' },
  { id: 'reports', label: 'reports', path: '/reports' },
  { id: 'payments', label: 'payment history', path: '/payments' },
];

/** The panels for `where` ('customer-wo', 'staff-wo', 'staff-home', 'customer-history') whose endpoints exist. */
export async function panelsFor(where, ctx) {
  const paths = await apiPaths();
  const out = [];
  for (const p of PANELS) {
    if (!p.where.includes(where) || !p.paths.every((x) => paths.has(x))) continue;
    if (p.roles && !(ctx.roles ?? []).some((r) => p.roles.includes(r) || r === 'manager')) continue;
    out.push(await p.render(ctx));
  }
  return out;
}

/** A one-line note naming the areas whose endpoints are not on this server yet (staff console only). */
export async function pendingNote() {
  const paths = await apiPaths();
  const have = (p) => [...paths].some((x) => x === p || x.startsWith(`${p}/`));
  const missing = PENDING.filter((p) => !have(p.path) && !PANELS.some((x) => x.id === p.id));
  return missing.length ? h('p', { class: 'muted small', testid: 'pending-panels' }, t('panel.soon', { list: missing.map((m) => m.label).join(', ') })) : null;
}
