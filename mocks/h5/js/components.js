import { h } from './dom.js';
import { t } from './i18n.js';
import { FLOW, dateTime, money, qty, quoteStatusLabel, roleLabel, statusLabel } from './format.js';
import { chip, section } from './ui.js';

/**
 * The state's chip. Odoo keeps a work order `quoted` until the repair starts, also after the customer confirmed:
 * with the work order at hand (`wo.confirmed_quote_version`) the chip says the quote is confirmed.
 */
export function statusChip(status, testid = 'wo-status', wo = null) {
  if (status === 'quoted' && wo && wo.confirmed_quote_version !== null && wo.confirmed_quote_version !== undefined) {
    return h('span', { class: ['chip', 'st-quoted-confirmed'], testid, dataset: { quote: 'confirmed' } }, t('status.quoted.confirmed'));
  }
  return chip(statusLabel(status), `st-${status}`, testid);
}

/** Where the work order is on its normal path (cancelled: the path up to where it stopped). */
export function progress(wo) {
  const reached = new Set(wo.timeline.map((e) => e.to).filter(Boolean));
  reached.add(wo.status);
  const at = FLOW.indexOf(wo.status);
  return h(
    'ol',
    { class: ['stepper', wo.status === 'cancelled' && 'stepper-cancelled'], testid: 'progress' },
    FLOW.map((s, i) =>
      h('li', { class: [at >= 0 && i < at ? 'done' : null, i === at ? 'current' : null, at < 0 && reached.has(s) ? 'done' : null], dataset: { state: s } }, h('span', { class: 'dot' }), h('span', { class: 'step-label' }, statusLabel(s))),
    ),
  );
}

function actorText(a) {
  if (a.user) return a.user.name;
  if (a.customer) return `${t('actor.customer')} ${a.customer.name}`;
  if (a.kind === 'customer') return t('actor.customer');
  if (a.kind === 'system') return t('actor.system');
  return a.kind ?? '';
}

export function timeline(wo) {
  const rows = [...wo.timeline].reverse();
  return section(
    t('wo.timeline'),
    'timeline',
    h(
      'ol',
      { class: 'timeline' },
      rows.map((e) =>
        h(
          'li',
          { dataset: { event: e.event, action: e.action ?? '', to: e.to ?? '' } },
          h('div', { class: 'tl-head' }, h('strong', {}, e.event === 'transition' && e.to ? statusLabel(e.to) : t(`event.${e.event}`)), h('time', {}, dateTime(e.at))),
          h('div', { class: 'tl-meta muted' }, actorText(e.actor)),
          e.note ? h('div', { class: 'tl-note' }, e.note) : null,
        ),
      ),
    ),
  );
}

export function amounts(wo) {
  const a = wo.amounts;
  if (a.total === 0 && a.paid === 0) return null; // nothing confirmed yet: no row of zeros
  return h(
    'dl',
    { class: 'amounts', testid: 'amounts' },
    h('div', {}, h('dt', {}, t('wo.total')), h('dd', { testid: 'amount-total' }, money(a.total, a.currency))),
    h('div', {}, h('dt', {}, t('wo.paid')), h('dd', { testid: 'amount-paid' }, money(a.paid, a.currency))),
    h('div', { class: a.due > 0 ? 'due' : 'settled' }, h('dt', {}, t('wo.due')), h('dd', { testid: 'amount-due' }, money(a.due, a.currency))),
  );
}

/** One quote version: lines, untaxed, tax, total. `actions` (confirm/reject, send) go under it. */
export function quoteCard(q, currency, actions = null) {
  return h(
    'article',
    { class: ['quote', `q-${q.status}`], testid: `quote-v${q.version}`, dataset: { status: q.status } },
    h('header', { class: 'quote-head' }, h('h3', {}, t('quote.version', { n: q.version })), chip(quoteStatusLabel(q.status), `qs-${q.status}`, 'quote-status')),
    q.decided_on_behalf ? h('p', { class: 'muted small' }, t('quote.onbehalf')) : null,
    h(
      'table',
      { class: 'lines' },
      h(
        'tbody',
        {},
        q.lines.map((l) =>
          h(
            'tr',
            {},
            h('td', {}, h('span', { class: ['kind', `kind-${l.kind}`] }, t(`quote.line.${l.kind}`)), ' ', l.description, h('div', { class: 'muted small' }, `${qty(l.qty)} × ${money(l.unit_price, currency)}${l.discount_percent ? ` −${l.discount_percent}%` : ''}`)),
            h('td', { class: 'num' }, money(l.total, currency)),
          ),
        ),
      ),
      h(
        'tfoot',
        {},
        h('tr', {}, h('td', {}, t('quote.untaxed')), h('td', { class: 'num', testid: 'quote-untaxed' }, money(q.untaxed.amount, q.untaxed.currency))),
        h('tr', {}, h('td', {}, t('quote.tax')), h('td', { class: 'num', testid: 'quote-tax' }, money(q.tax.amount, q.tax.currency))),
        h('tr', { class: 'grand' }, h('td', {}, t('quote.total')), h('td', { class: 'num', testid: 'quote-total' }, money(q.total.amount, q.total.currency))),
      ),
    ),
    q.note ? h('p', { class: 'muted small' }, q.note) : null,
    actions,
  );
}

/** Payment orders and ledger rows of a work order (GET /work-orders/:id/payments). */
export function payments(p) {
  const cur = p.currency ?? 'CNY';
  return section(
    t('wo.payments'),
    'payments',
    p.orders.length === 0 && p.ledger.length === 0 ? h('p', { class: 'muted' }, t('common.none')) : null,
    p.orders.length
      ? h(
          'ul',
          { class: 'plain', testid: 'payment-orders' },
          p.orders.map((o) =>
            h('li', { dataset: { status: o.status } }, h('span', {}, `${t('pay.order')} ${o.out_trade_no}`), ' ', chip(t(`pay.status.${o.status}`), `ps-${o.status}`), h('span', { class: 'num' }, money(o.amount, o.currency))),
          ),
        )
      : null,
    p.ledger.length
      ? h(
          'ul',
          { class: 'plain ledger', testid: 'ledger' },
          p.ledger.map((e) =>
            h('li', { dataset: { kind: e.kind } }, h('span', {}, `${t('pay.ledger')} #${e.seq} ${t(`ledger.${e.kind}`)} · ${e.channel}`), h('small', { class: 'muted' }, ` ${dateTime(e.at)}`), h('span', { class: 'num' }, money(e.amount, e.currency))),
          ),
        )
      : null,
    p.ledger.length ? h('p', { class: 'small muted' }, `${t('wo.paid')}: ${money(p.paid, cur)}`) : null,
  );
}

/**
 * A work order in a list. Its `total` is Odoo's, which counts a quote only once confirmed: a row still waiting for
 * the customer shows its latest quote's total (`quoteTotal`, see `withQuoteTotals`), one with nothing priced a dash.
 */
export function woRow(wo, href, current = false) {
  const due = wo.amount_due?.amount ?? 0;
  const amount =
    wo.total.amount > 0
      ? h('div', { class: 'num small', testid: 'wo-row-amount' }, money(wo.total.amount, wo.total.currency), due > 0 && due !== wo.total.amount ? h('div', { class: 'muted' }, `${t('wo.due')} ${money(due, wo.total.currency)}`) : null)
      : wo.quoteTotal
        ? h('div', { class: 'num small', testid: 'wo-row-amount' }, h('span', { class: 'muted' }, `${t('wo.row.quote')} `), money(wo.quoteTotal.amount, wo.quoteTotal.currency))
        : h('div', { class: 'num small muted', testid: 'wo-row-amount' }, '—');
  return h(
    'a',
    { class: ['wo-row', current && 'current'], href, testid: 'wo-row', dataset: { id: String(wo.id), status: wo.status } },
    h('div', { class: 'wo-row-main' }, h('strong', {}, wo.number), h('span', { class: 'muted' }, ` ${wo.vehicle?.plate ?? ''}`), wo.customer ? h('div', { class: 'muted small' }, wo.customer.name) : null, wo.symptom ? h('div', { class: 'small ellipsis' }, wo.symptom) : null),
    h('div', { class: 'wo-row-side' }, statusChip(wo.status, 'wo-row-status'), amount),
  );
}

/** Rows waiting on a quote get its total from the work order (the list has none): a few GETs, at most 10. */
export async function withQuoteTotals(items, get) {
  const waiting = items.filter((w) => w.total.amount === 0 && w.status === 'quoted').slice(0, 10);
  const full = await Promise.all(waiting.map((w) => get(`/work-orders/${w.id}`).catch(() => null)));
  const byId = new Map(full.filter(Boolean).map((w) => [w.id, w]));
  return items.map((w) => {
    const q = byId.get(w.id)?.quotes.filter((x) => x.status !== 'draft').at(-1);
    return q ? { ...w, quoteTotal: q.total } : w;
  });
}

export function rolesText(roles) {
  return roles.map(roleLabel).join(' · ');
}
