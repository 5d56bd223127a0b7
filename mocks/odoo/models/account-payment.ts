/**
 * account.payment (customer payments: inbound, and outbound for the refunds of a later issue) and
 * account.partial.reconcile, reduced to the workshop's receivable: a payment is created and posted in one go on its
 * channel's journal (`PWXP/2026/00001`: the journal's dedicated payment sequence). Reconciliation is per work
 * order, as `(open receivable lines of its invoices, credit notes and payments).reconcile()` does in Odoo 17:
 * the open debits (posted invoices, outbound payments) and the open credits (posted credit notes, inbound payments)
 * are matched oldest first on each side (by date, then creation), one partial per pair, until one side is exhausted;
 * whatever is left stays open (an unpaid invoice, or an outstanding payment / credit note that the next invoice
 * consumes). drmoto_workshop inherits account.payment with the work order, the ledger reference (unique per shop)
 * and the channel.
 */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { currencyRounding, floatRound, monetaryColumn } from './account-tax';
import { CHANNELS } from './account-journal';
import { MOVE, movesOfWorkOrder, nextName, PARTIAL, recomputeMove } from './account-move';
import { guardAccountRecords, internalEnv, isInternal, validationError, WO } from './drmoto-wo-common';
import { companyRule } from '../security';

export const PAYMENT = 'account.payment';

export function paymentsOfWorkOrder(env: Env, woId: number): Row[] {
  const payments = env.model(PAYMENT).sudo();
  return payments.sortRows(
    payments.allRows().filter((p) => p.drmoto_work_order_id === woId),
    'id',
  );
}

function partialsOfPayment(env: Env, payment: Row): Row[] {
  const side = payment.payment_type === 'inbound' ? 'credit_payment_id' : 'debit_payment_id';
  return env
    .model(PARTIAL)
    .sudo()
    .allRows()
    .filter((p) => p[side] === payment.id);
}

/** what of a posted payment is not reconciled yet */
export function paymentUnreconciled(env: Env, payment: Row): number {
  if (payment.state !== 'posted') return 0;
  const prec = currencyRounding(env, payment.currency_id as number | null);
  const v = monetaryColumn(Number(payment.amount ?? 0) - partialsOfPayment(env, payment).reduce((s, p) => s + Number(p.amount), 0), prec);
  return v === 0 ? 0 : v;
}

/** action_post: the name from the journal's payment sequence for the payment date's year, state posted */
export function postPayment(env: Env, paymentId: number): void {
  const payments = internalEnv(env).model(PAYMENT);
  const payment = payments.row(paymentId)!;
  const journal = env.model('account.journal').sudo().row(payment.journal_id as number)!;
  const year = String(payment.date ?? env.now()).slice(0, 4);
  const name = nextName(env, PAYMENT, journal.id, `${journal.payment_sequence === true ? 'P' : ''}${String(journal.code)}/${year}/`);
  payments.write([paymentId], { name, state: 'posted' });
}

interface Open {
  kind: 'move' | 'payment';
  row: Row;
  residual: number;
}

/** oldest first: date, then creation (moves before payments on a tie), then id */
function byAge(a: Open, b: Open): number {
  const da = String(a.row.date ?? '');
  const db = String(b.row.date ?? '');
  if (da !== db) return da < db ? -1 : 1;
  const ca = String(a.row.create_date ?? '');
  const cb = String(b.row.create_date ?? '');
  if (ca !== cb) return ca < cb ? -1 : 1;
  if (a.kind !== b.kind) return a.kind === 'move' ? -1 : 1;
  return a.row.id - b.row.id;
}

/** _drmoto_reconcile: match the work order's open debits and credits oldest first (see the header) */
export function reconcileWorkOrder(env: Env, woId: number): void {
  const wo = env.model(WO).sudo().row(woId);
  if (!wo) return;
  const moves = movesOfWorkOrder(env, woId).filter((m) => m.state === 'posted');
  const payments = paymentsOfWorkOrder(env, woId).filter((p) => p.state === 'posted');
  const prec = currencyRounding(env, (moves[0]?.currency_id ?? payments[0]?.currency_id ?? null) as number | null);
  const open = (o: Open): boolean => floatRound(o.residual, prec) > 0;
  const debits: Open[] = [
    ...moves.filter((m) => m.move_type === 'out_invoice').map((row): Open => ({ kind: 'move', row, residual: Number(row.amount_residual ?? 0) })),
    ...payments.filter((p) => p.payment_type === 'outbound').map((row): Open => ({ kind: 'payment', row, residual: paymentUnreconciled(env, row) })),
  ]
    .filter(open)
    .sort(byAge);
  const credits: Open[] = [
    ...moves.filter((m) => m.move_type === 'out_refund').map((row): Open => ({ kind: 'move', row, residual: Number(row.amount_residual ?? 0) })),
    ...payments.filter((p) => p.payment_type === 'inbound').map((row): Open => ({ kind: 'payment', row, residual: paymentUnreconciled(env, row) })),
  ]
    .filter(open)
    .sort(byAge);
  const partials = internalEnv(env).model(PARTIAL);
  const touched = new Set<number>();
  let i = 0;
  let j = 0;
  while (i < debits.length && j < credits.length) {
    const d = debits[i]!;
    const c = credits[j]!;
    const amount = monetaryColumn(Math.min(d.residual, c.residual), prec);
    partials.create([
      {
        debit_move_id: d.kind === 'move' ? d.row.id : false,
        debit_payment_id: d.kind === 'payment' ? d.row.id : false,
        credit_move_id: c.kind === 'move' ? c.row.id : false,
        credit_payment_id: c.kind === 'payment' ? c.row.id : false,
        amount,
        currency_id: d.row.currency_id,
        company_id: wo.company_id,
        max_date: String(d.row.date) > String(c.row.date) ? d.row.date : c.row.date,
      },
    ]);
    for (const o of [d, c]) if (o.kind === 'move') touched.add(o.row.id);
    d.residual = monetaryColumn(d.residual - amount, prec);
    c.residual = monetaryColumn(c.residual - amount, prec);
    if (!open(d)) i += 1;
    if (!open(c)) j += 1;
  }
  for (const id of touched) recomputeMove(env, id);
}

const READONLY_PARTIAL = "partial reconciliations are made by the work order's actions";

/** fields of a work order's payment that only the actions set (the memo stays free) */
const PAYMENT_FREE = new Set(['ref']);

function guardPayment(env: Env, rows: Row[], what: string): void {
  guardAccountRecords(env, rows, what, 'Only a draft payment can be changed or deleted.');
}

export const accountPayment: ModelDef = {
  name: PAYMENT,
  description: 'Payments',
  order: 'date desc, name desc, id desc',
  displayName: (_env, row) => (row.name && row.name !== '/' ? String(row.name) : `Draft Payment (* ${row.id})`),
  fields: {
    name: { type: 'char', string: 'Number', readonly: true, default: '/', index: true },
    payment_type: {
      type: 'selection',
      string: 'Payment Type',
      selection: [
        ['outbound', 'Send'],
        ['inbound', 'Receive'],
      ],
      required: true,
      default: 'inbound',
    },
    partner_type: {
      type: 'selection',
      string: 'Partner Type',
      selection: [
        ['customer', 'Customer'],
        ['supplier', 'Vendor'],
      ],
      required: true,
      default: 'customer',
    },
    partner_id: { type: 'many2one', string: 'Customer/Vendor', relation: 'res.partner', index: true, ondelete: 'restrict' },
    amount: { type: 'monetary', string: 'Amount', currencyField: 'currency_id' },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', required: true },
    journal_id: { type: 'many2one', string: 'Journal', relation: 'account.journal', required: true, index: true },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', required: true, index: true },
    date: { type: 'date', string: 'Date', required: true, index: true },
    ref: { type: 'char', string: 'Memo' },
    state: {
      type: 'selection',
      string: 'Status',
      selection: [
        ['draft', 'Draft'],
        ['posted', 'Posted'],
        ['cancel', 'Cancelled'],
      ],
      required: true,
      readonly: true,
      default: 'draft',
      index: true,
    },
    is_reconciled: {
      type: 'boolean',
      string: 'Is Reconciled',
      store: false,
      compute: (env, row) => row.state === 'posted' && floatRound(paymentUnreconciled(env, row), currencyRounding(env, row.currency_id as number | null)) === 0,
    },
    reconciled_invoice_ids: {
      type: 'many2many',
      string: 'Reconciled Invoices',
      relation: MOVE,
      store: false,
      compute: (env, row) => [...new Set(partialsOfPayment(env, row).map((p) => (row.payment_type === 'inbound' ? p.debit_move_id : p.credit_move_id)).filter((id): id is number => typeof id === 'number'))],
    },
    // drmoto_workshop
    drmoto_work_order_id: { type: 'many2one', string: 'Work order', relation: WO, index: true, ondelete: 'restrict', readonly: true },
    drmoto_ledger_ref: { type: 'char', string: 'Ledger reference', readonly: true, index: true, help: 'The BFF ledger row this payment registers (unique per shop).' },
    drmoto_channel: { type: 'selection', string: 'Payment channel', selection: CHANNELS, readonly: true },
  },
  sqlConstraints: [
    { name: 'check_amount_not_negative', unique: [], checkFields: ['amount'], check: (r) => Number(r.amount ?? 0) >= 0, message: 'The payment amount cannot be negative.' },
    { name: 'drmoto_ledger_ref_company_uniq', unique: ['company_id', 'drmoto_ledger_ref'], message: 'DRM_DUP_KEY: this ledger entry is already registered' },
  ],
  hooks: {
    preCreate: (env, vals) => {
      if (!isInternal(env) && vals.drmoto_work_order_id) throw validationError("a work order's payments are registered with its action_register_payment");
      const journal = typeof vals.journal_id === 'number' ? env.model('account.journal').sudo().row(vals.journal_id) : undefined;
      if (!vals.company_id && journal) vals.company_id = journal.company_id;
      if (!vals.currency_id && vals.company_id) vals.currency_id = env.model('res.company').sudo().row(vals.company_id as number)?.currency_id ?? false;
      if (!vals.date) vals.date = env.now().slice(0, 10);
    },
    preWrite: (env, rows, vals) => {
      if (Object.keys(vals).every((k) => PAYMENT_FREE.has(k))) return;
      guardPayment(env, rows, Object.keys(vals).sort().join(', '));
    },
    preUnlink: (env, rows) => guardPayment(env, rows, 'existence'),
  },
  acl: {
    'drmoto_workshop.group_drmoto_cashier': 'r',
    'base.group_system': 'rwcu',
  },
  rules: [
    companyRule('Payment multi-company'),
  ],
};

export const accountPartialReconcile: ModelDef = {
  name: PARTIAL,
  description: 'Partial Reconcile',
  order: 'id',
  fields: {
    debit_move_id: { type: 'many2one', string: 'Debit (invoice)', relation: MOVE, index: true, ondelete: 'cascade' },
    credit_move_id: { type: 'many2one', string: 'Credit (credit note)', relation: MOVE, index: true, ondelete: 'cascade' },
    debit_payment_id: { type: 'many2one', string: 'Debit (outbound payment)', relation: PAYMENT, index: true, ondelete: 'cascade' },
    credit_payment_id: { type: 'many2one', string: 'Credit (inbound payment)', relation: PAYMENT, index: true, ondelete: 'cascade' },
    amount: { type: 'monetary', string: 'Amount', currencyField: 'currency_id' },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', index: true },
    max_date: { type: 'date', string: 'Max Date of Matched Lines' },
  },
  hooks: {
    preCreate: (env) => {
      if (!isInternal(env)) throw validationError(READONLY_PARTIAL);
    },
    preWrite: (env) => {
      if (!isInternal(env)) throw validationError(READONLY_PARTIAL);
    },
    preUnlink: (env) => {
      if (!isInternal(env)) throw validationError(READONLY_PARTIAL);
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_cashier': 'r',
    'base.group_system': 'r',
  },
  rules: [
    companyRule('Partial reconcile multi-company'),
  ],
};
