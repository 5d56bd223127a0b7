/**
 * The money side of drmoto.work.order (docs/odoo-contract.md "Invoices, payments, closing (issue 5)"): the invoicing
 * target, the net invoiced amount, the payment totals, and the two operations behind action_sync_invoices and
 * action_register_payment (the action methods themselves, with their checks, are in drmoto-work-order-payments.ts).
 *
 * Exact invoicing, by line difference: the work order's "sync" moves (its posted invoices and credit notes without
 * a ledger reference) carry quote lines — each line a tuple (product, label, quantity, unit price, discount, taxes),
 * counted +1 on an invoice and −1 on a credit note (a negative quantity flips the sign). A sync compares that
 * multiset with the lines of the latest confirmed version and posts ONE move with the difference: the tuples the
 * version has and the invoices don't (positive quantity on an invoice), and those the invoices have and the version
 * doesn't (negative quantity). Identical tuples cancel exactly (same compute_all per line), every other line is
 * taxed as on the quote, so the move's total is exactly the difference of the two totals, for price-included and
 * price-excluded taxes and any discount, and the first invoice simply replicates the version's lines. Whether an
 * invoice or a credit note is posted, and whether anything is, is decided by the amounts: target − net invoiced,
 * in the currency's rounding (0 → no move, even when the lines differ). Refund credit notes (action_register_refund,
 * with a ledger reference) stay out of the line difference and lower the target (total − amount_credited) by exactly
 * their amount; a safety net that should not trigger: when the line difference doesn't add up, one "Adjustment" line
 * with the shop's default tax when it is price-included (else untaxed) makes up the rest.
 */
import type { Env } from '../orm/orm';
import type { Raw, Row } from '../orm/types';
import { floatRound, monetaryColumn } from './account-tax';
import { channelJournal, saleJournal } from './account-journal';
import { amountInvoiced, invoiceLineAmounts, linesOf, MOVE, movesOfWorkOrder, postMove } from './account-move';
import { PAYMENT, paymentsOfWorkOrder, postPayment, reconcileWorkOrder } from './account-payment';
import { amountDue, confirmedQuote, woRounding } from './drmoto-work-order-amounts';
import { money, QUOTE_LINE, WO } from './drmoto-wo-common';

export { amountInvoiced };

const currencyOf = (env: Env, wo: Row): number | null => (env.model('res.company').sudo().row(wo.company_id as number)?.currency_id as number | undefined) ?? null;

/** today in the shop's time zone (fields.Date.context_today with the shop's tz) */
export function shopToday(env: Env, companyId: number): string {
  const tz = String(env.model('res.company').sudo().row(companyId)?.drmoto_tz ?? 'UTC');
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(env.orm.now());
}

/** _drmoto_invoicing_target: the net price = latest confirmed total − refund credit notes; 0 for a cancelled work order */
export function invoiceTarget(env: Env, wo: Row): number {
  if (wo.state === 'cancelled') return 0;
  const v = monetaryColumn(Number(wo.amount_total ?? 0) - Number(wo.amount_credited ?? 0), woRounding(env, wo));
  return v === 0 ? 0 : v;
}

/** amount_credited: posted refund credit notes (out_refund with a ledger reference) of the work order */
export function amountCredited(env: Env, wo: Row): number {
  const total = movesOfWorkOrder(env, wo.id)
    .filter((m) => m.state === 'posted' && m.move_type === 'out_refund' && m.drmoto_ledger_ref)
    .reduce((s, m) => s + Number(m.amount_total ?? 0), 0);
  const v = monetaryColumn(total, woRounding(env, wo));
  return v === 0 ? 0 : v;
}

/** amount_paid (inbound − outbound), amount_refunded (outbound), amount_credited, amount_due: stored computes */
export function recomputeMoney(env: Env, woId: number): void {
  const wo = env.model(WO).sudo().row(woId);
  if (!wo) return;
  const prec = woRounding(env, wo);
  let inbound = 0;
  let outbound = 0;
  for (const p of paymentsOfWorkOrder(env, woId)) {
    if (p.state !== 'posted') continue;
    if (p.payment_type === 'inbound') inbound += Number(p.amount);
    else outbound += Number(p.amount);
  }
  const clean = (v: number): number => (v === 0 ? 0 : v);
  wo.amount_paid = clean(monetaryColumn(inbound - outbound, prec));
  wo.amount_refunded = clean(monetaryColumn(outbound, prec));
  wo.amount_credited = amountCredited(env, wo);
  wo.amount_due = amountDue(env, wo);
}

/** why the work order's invoicing is not settled (a `DRM_NOT_INVOICED: …` string), or false */
export function invoicingBlocker(env: Env, wo: Row): string | false {
  const target = invoiceTarget(env, wo);
  const invoiced = amountInvoiced(env, wo);
  if (floatRound(invoiced - target, woRounding(env, wo)) === 0) return false;
  const cur = currencyOf(env, wo);
  return `DRM_NOT_INVOICED: work order ${String(wo.name)} has ${money(env, invoiced, cur)} invoiced, not ${money(env, target, cur)}; sync its invoices first`;
}

// ------------------------------------------------------------------------------------------------ sync

interface LineTuple {
  product_id: number | null;
  name: string;
  quantity: number;
  price_unit: number;
  discount: number;
  tax_ids: number[];
}

const tupleKey = (t: LineTuple): string => JSON.stringify([t.product_id, t.name, t.quantity, t.price_unit, t.discount, t.tax_ids]);

/** _drmoto_invoice_lines_delta: target lines − invoiced lines, as signed multiplicities in a stable order */
function lineDelta(env: Env, wo: Row, quote: Row | undefined): Array<{ tuple: LineTuple; n: number }> {
  const counts = new Map<string, { tuple: LineTuple; n: number }>();
  const add = (t: LineTuple, n: number): void => {
    const k = tupleKey(t);
    const cur = counts.get(k) ?? { tuple: t, n: 0 };
    cur.n += n;
    counts.set(k, cur);
  };
  if (quote) {
    const qlines = env.model(QUOTE_LINE).sudo();
    const rows = qlines.sortRows(
      qlines.allRows().filter((l) => l.quote_id === quote.id),
      'sequence, id',
    );
    for (const l of rows) {
      add(
        {
          product_id: (l.product_id as number | null) ?? null,
          name: String(l.description ?? ''),
          quantity: Number(l.qty),
          price_unit: Number(l.price_unit ?? 0),
          discount: Number(l.discount ?? 0),
          tax_ids: [...((l.tax_ids as number[] | null) ?? [])].sort((a, b) => a - b),
        },
        1,
      );
    }
  }
  for (const m of movesOfWorkOrder(env, wo.id)) {
    if (m.state !== 'posted' || m.drmoto_ledger_ref !== null || (m.move_type !== 'out_invoice' && m.move_type !== 'out_refund')) continue;
    const sign = m.move_type === 'out_invoice' ? 1 : -1;
    for (const l of linesOf(env, m.id)) {
      const q = Number(l.quantity ?? 0);
      if (q === 0) continue;
      add(
        {
          product_id: (l.product_id as number | null) ?? null,
          name: String(l.name ?? ''),
          quantity: Math.abs(q),
          price_unit: Number(l.price_unit ?? 0),
          discount: Number(l.discount ?? 0),
          tax_ids: [...((l.tax_ids as number[] | null) ?? [])].sort((a, b) => a - b),
        },
        -sign * Math.sign(q),
      );
    }
  }
  return [...counts.values()].filter((e) => e.n !== 0);
}

export interface SyncOutcome {
  created: number[];
  target: number;
  amount_invoiced: number;
}

/**
 * _drmoto_sync_invoices(key): ONE posted invoice (increase) or credit note (decrease) that brings the net invoiced
 * amount to the target, or nothing. `env` is the action environment (sudo, internal). Reconciles afterwards.
 */
export function syncMoves(env: Env, wo: Row, key: string): SyncOutcome {
  const target = invoiceTarget(env, wo);
  const prec = woRounding(env, wo);
  const diff = monetaryColumn(target - amountInvoiced(env, wo), prec);
  if (floatRound(diff, prec) === 0) return { created: [], target, amount_invoiced: amountInvoiced(env, wo) };
  const moveType = diff > 0 ? 'out_invoice' : 'out_refund';
  const dir = diff > 0 ? 1 : -1;
  const quote = wo.state === 'cancelled' ? undefined : confirmedQuote(env, wo.id);
  const currencyId = currencyOf(env, wo);
  const lineVals: Array<Record<string, unknown>> = [];
  let total = 0;
  const push = (t: LineTuple, quantity: number): void => {
    lineVals.push({ sequence: (lineVals.length + 1) * 10, product_id: t.product_id ?? false, name: t.name, quantity, price_unit: t.price_unit, discount: t.discount, tax_ids: [[6, 0, t.tax_ids]] });
    total += invoiceLineAmounts(env, t.tax_ids, t.price_unit, t.discount, quantity, currencyId).price_total;
  };
  for (const { tuple, n } of lineDelta(env, wo, quote)) {
    for (let k = 0; k < Math.abs(n); k += 1) push(tuple, Math.sign(n) * dir * tuple.quantity);
  }
  const rest = monetaryColumn(Math.abs(diff) - total, prec);
  if (floatRound(rest, prec) !== 0) {
    const company = env.model('res.company').sudo().row(wo.company_id as number);
    const def = company?.account_sale_tax_id as number | null | undefined;
    const tax = def ? env.model('account.tax').sudo().row(def) : undefined;
    push({ product_id: null, name: 'Adjustment', quantity: 1, price_unit: rest, discount: 0, tax_ids: tax?.price_include === true ? [tax.id] : [] }, 1);
  }
  const today = shopToday(env, wo.company_id as number);
  const journal = saleJournal(env, wo.company_id as number);
  const lastInvoice = movesOfWorkOrder(env, wo.id)
    .filter((m) => m.state === 'posted' && m.move_type === 'out_invoice')
    .pop();
  const [moveId] = env.model(MOVE).create([
    {
      move_type: moveType,
      partner_id: wo.partner_id,
      journal_id: journal.id,
      company_id: wo.company_id,
      currency_id: currencyId ?? false,
      invoice_date: today,
      date: today,
      invoice_origin: wo.name,
      ref: quote ? `${String(wo.name)} v${String(quote.version)}` : String(wo.name),
      reversed_entry_id: moveType === 'out_refund' && lastInvoice ? lastInvoice.id : false,
      drmoto_work_order_id: wo.id,
      drmoto_request_key: key,
      drmoto_quote_id: quote ? quote.id : false,
      invoice_line_ids: lineVals.map((v) => [0, 0, v]),
    },
  ]);
  postMove(env, moveId!);
  reconcileWorkOrder(env, wo.id);
  return { created: [moveId!], target, amount_invoiced: amountInvoiced(env, wo) };
}

// ------------------------------------------------------------------------------------------------ payments

/** the row of `model` carrying this ledger reference in the shop, if any */
function byLedgerRef(env: Env, model: string, companyId: number, ledgerRef: string): Row | undefined {
  return env
    .model(model)
    .sudo()
    .allRows()
    .find((r) => r.company_id === companyId && r.drmoto_ledger_ref === ledgerRef);
}

/** the payment of this ledger reference in the shop, if registered */
export const paymentByLedgerRef = (env: Env, companyId: number, ledgerRef: string): Row | undefined => byLedgerRef(env, PAYMENT, companyId, ledgerRef);

/** ONE posted payment of the work order keyed by `ledgerRef` on the channel's journal, reconciled; amount_paid follows */
function postedPayment(env: Env, wo: Row, type: 'inbound' | 'outbound', ref: string, ledgerRef: string, amount: number, channel: string): number {
  const journal = channelJournal(env, wo.company_id as number, channel);
  const [paymentId] = env.model(PAYMENT).create([
    {
      payment_type: type,
      partner_type: 'customer',
      partner_id: wo.partner_id,
      amount,
      currency_id: currencyOf(env, wo) ?? false,
      journal_id: journal.id,
      company_id: wo.company_id,
      date: shopToday(env, wo.company_id as number),
      ref,
      drmoto_work_order_id: wo.id,
      drmoto_ledger_ref: ledgerRef,
      drmoto_channel: channel,
    } as Record<string, Raw>,
  ]);
  postPayment(env, paymentId!);
  reconcileWorkOrder(env, wo.id);
  recomputeMoney(env, wo.id);
  return paymentId!;
}

/**
 * _drmoto_register_payment: ONE posted inbound payment on the channel's journal (created when missing), reconciled
 * with the open invoices of the work order oldest first; amount_paid follows. `env` is the action environment.
 */
export function registerPayment(env: Env, wo: Row, ledgerRef: string, amount: number, channel: string): number {
  return postedPayment(env, wo, 'inbound', String(wo.name), ledgerRef, amount, channel);
}

// ------------------------------------------------------------------------------------------------ refunds

/** the refund credit note's ledger reference */
export const CREDIT_SUFFIX = '/credit';

/** the move (any type) carrying this ledger reference in the shop, if any */
export const moveByLedgerRef = (env: Env, companyId: number, ledgerRef: string): Row | undefined => byLedgerRef(env, MOVE, companyId, ledgerRef);

/**
 * _drmoto_make_refund_credit_note: ONE posted out_refund of exactly `credit`, one line with the shop's default sale tax
 * when it is price-included (else untaxed), keyed `<ledger_ref>/credit`. `env` is the action environment.
 */
export function makeRefundCreditNote(env: Env, wo: Row, credit: number, creditRef: string, key: string): number {
  const company = env.model('res.company').sudo().row(wo.company_id as number);
  const def = company?.account_sale_tax_id as number | null | undefined;
  const tax = def ? env.model('account.tax').sudo().row(def) : undefined;
  const today = shopToday(env, wo.company_id as number);
  const lastInvoice = movesOfWorkOrder(env, wo.id)
    .filter((m) => m.state === 'posted' && m.move_type === 'out_invoice')
    .pop();
  const [moveId] = env.model(MOVE).create([
    {
      move_type: 'out_refund',
      partner_id: wo.partner_id,
      journal_id: saleJournal(env, wo.company_id as number).id,
      company_id: wo.company_id,
      currency_id: currencyOf(env, wo) ?? false,
      invoice_date: today,
      date: today,
      invoice_origin: wo.name,
      ref: `${String(wo.name)} refund`,
      reversed_entry_id: lastInvoice ? lastInvoice.id : false,
      drmoto_work_order_id: wo.id,
      drmoto_request_key: key,
      drmoto_ledger_ref: creditRef,
      invoice_line_ids: [[0, 0, { sequence: 10, product_id: false, name: `Refund ${creditRef.slice(0, -CREDIT_SUFFIX.length)}`, quantity: 1, price_unit: credit, discount: 0, tax_ids: [[6, 0, tax?.price_include === true ? [tax.id] : []]] }]],
    } as unknown as Record<string, Raw>,
  ]);
  const move = env.model(MOVE).sudo().row(moveId!)!;
  const prec = woRounding(env, wo);
  if (floatRound(Number(move.amount_total) - credit, prec) !== 0) {
    throw new Error(`the refund credit note of ${String(wo.name)} would be ${String(move.amount_total)}, not ${credit}`);
  }
  postMove(env, moveId!);
  return moveId!;
}

/** _drmoto_register_refund: ONE posted outbound payment on the channel's journal, reconciled; amounts follow. */
export function registerRefundPayment(env: Env, wo: Row, ledgerRef: string, amount: number, channel: string): number {
  return postedPayment(env, wo, 'outbound', `Refund ${String(wo.name)}`, ledgerRef, amount, channel);
}
