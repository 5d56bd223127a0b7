import { h } from './dom.js';
import { t } from './i18n.js';
import { FLOW, dateTime, money, qty, quoteStatusLabel, roleLabel, statusLabel } from './format.js';
import { chip, section } from './ui.js';

export function statusChip(status, testid = 'wo-status') {
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

export function woRow(wo, href) {
  return h(
    'a',
    { class: 'wo-row', href, testid: 'wo-row', dataset: { id: String(wo.id), status: wo.status } },
    h('div', { class: 'wo-row-main' }, h('strong', {}, wo.number), h('span', { class: 'muted' }, ` ${wo.vehicle?.plate ?? ''}`), wo.customer ? h('div', { class: 'muted small' }, wo.customer.name) : null, wo.symptom ? h('div', { class: 'small ellipsis' }, wo.symptom) : null),
    h('div', { class: 'wo-row-side' }, statusChip(wo.status, 'wo-row-status'), h('div', { class: 'num small' }, money(wo.total.amount, wo.total.currency))),
  );
}

export function rolesText(roles) {
  return roles.map(roleLabel).join(' · ');
}
