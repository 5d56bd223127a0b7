/**
 * account.move and account.move.line, reduced to customer invoices (`out_invoice`) and credit notes (`out_refund`)
 * with their product lines: taxes by account.tax compute_all per line (round per line, as the quote lines), so an
 * invoice that carries a quote version's lines has the version's total to the cent. No journal items for the
 * receivable and tax accounts: the receivable side is the move's `amount_residual`, settled by
 * account.partial.reconcile rows (account-payment.ts). Names follow Odoo 17's journal sequences: the next number
 * after the last posted name of the journal with the same prefix (`INV/2026/00001`, credit notes
 * `RINV/2026/00001` with the journal's dedicated credit-note sequence).
 * drmoto_workshop inherits account.move with the work order, the request key of the sync that created it and the
 * quote version it invoiced to (plus the ledger reference and channel, for the refunds of a later issue).
 */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { computeAll, currencyRounding, floatRound, monetaryColumn } from './account-tax';
import { CHANNELS } from './account-journal';
import { woRounding } from './drmoto-work-order-amounts';
import { guardAccountRecords, internalEnv, isInternal, QUOTE, validationError, WO } from './drmoto-wo-common';
import { companyRule } from '../security';

export const MOVE = 'account.move';
export const MOVE_LINE = 'account.move.line';
export const PARTIAL = 'account.partial.reconcile';

export const MOVE_TYPES: Array<[string, string]> = [
  ['entry', 'Journal Entry'],
  ['out_invoice', 'Customer Invoice'],
  ['out_refund', 'Customer Credit Note'],
  ['in_invoice', 'Vendor Bill'],
  ['in_refund', 'Vendor Credit Note'],
  ['out_receipt', 'Sales Receipt'],
  ['in_receipt', 'Purchase Receipt'],
];
export const PAYMENT_STATES: Array<[string, string]> = [
  ['not_paid', 'Not Paid'],
  ['in_payment', 'In Payment'],
  ['paid', 'Paid'],
  ['partial', 'Partially Paid'],
  ['reversed', 'Reversed'],
  ['invoicing_legacy', 'Invoicing App Legacy'],
];

const money = (label: string) => ({ type: 'monetary' as const, string: label, readonly: true, currencyField: 'currency_id' });

export function movesOfWorkOrder(env: Env, woId: number): Row[] {
  const moves = env.model(MOVE).sudo();
  return moves.sortRows(
    moves.allRows().filter((m) => m.drmoto_work_order_id === woId),
    'id',
  );
}

export function linesOf(env: Env, moveId: number): Row[] {
  const lines = env.model(MOVE_LINE).sudo();
  return lines.sortRows(
    lines.allRows().filter((l) => l.move_id === moveId),
    lines.def.order ?? 'id',
  );
}

const moveRow = (env: Env, id: unknown): Row | undefined => (typeof id === 'number' ? env.model(MOVE).sudo().row(id) : undefined);
const companyCurrency = (env: Env, companyId: unknown): number | null =>
  (typeof companyId === 'number' ? (env.model('res.company').sudo().row(companyId)?.currency_id as number | undefined) : undefined) ?? null;

/** account.move.line._compute_totals: compute_all(price_unit * (1 - discount / 100), currency, quantity) per line */
export function invoiceLineAmounts(env: Env, taxIds: number[], priceUnit: number, discount: number, quantity: number, currencyId: number | null): { price_subtotal: number; price_total: number } {
  const r = computeAll(env, taxIds, priceUnit * (1 - discount / 100.0), currencyId, quantity);
  const prec = currencyRounding(env, currencyId);
  return { price_subtotal: monetaryColumn(r.total_excluded, prec), price_total: monetaryColumn(r.total_included, prec) };
}

/**
 * The stored amounts of a move: untaxed / tax / total as the currency-rounded sums of its lines; the residual as
 * the total less its partial reconciliations; payment_state from the residual — `paid`, or `reversed` when every
 * counterpart is a credit note reversing this invoice (Odoo 17's rule), never `in_payment` (no outstanding
 * receipts account on the workshop's payment journals). A recompute, not a write.
 */
export function recomputeMove(env: Env, moveId: number): void {
  const move = env.model(MOVE).sudo().row(moveId);
  if (!move) return;
  const prec = currencyRounding(env, move.currency_id as number | null);
  const lines = linesOf(env, moveId);
  const untaxed = lines.reduce((s, l) => s + Number(l.price_subtotal ?? 0), 0);
  const total = lines.reduce((s, l) => s + Number(l.price_total ?? 0), 0);
  move.amount_untaxed = monetaryColumn(untaxed, prec);
  move.amount_total = monetaryColumn(total, prec);
  move.amount_tax = monetaryColumn(Number(move.amount_total) - Number(move.amount_untaxed), prec);
  refreshInvoiced(env, move.drmoto_work_order_id);
  if (move.state !== 'posted') {
    move.amount_residual = move.amount_total;
    move.payment_state = 'not_paid';
    return;
  }
  const debit = move.move_type === 'out_invoice';
  const partials = env
    .model(PARTIAL)
    .sudo()
    .allRows()
    .filter((p) => (debit ? p.debit_move_id : p.credit_move_id) === moveId);
  const residual = monetaryColumn(Number(move.amount_total) - partials.reduce((s, p) => s + Number(p.amount), 0), prec);
  move.amount_residual = residual === 0 ? 0 : residual;
  if (floatRound(residual, prec) === 0) {
    const counterparts = partials.map((p) => moveRow(env, debit ? p.credit_move_id : p.debit_move_id));
    const reversed = debit && partials.length > 0 && counterparts.every((c) => c && c.move_type === 'out_refund' && c.reversed_entry_id === moveId);
    move.payment_state = reversed ? 'reversed' : 'paid';
  } else move.payment_state = partials.length ? 'partial' : 'not_paid';
}

/** amount_invoiced: posted customer invoices − posted credit notes of the work order */
export function amountInvoiced(env: Env, wo: Row): number {
  const total = movesOfWorkOrder(env, wo.id)
    .filter((m) => m.state === 'posted')
    .reduce((s, m) => s + (m.move_type === 'out_invoice' ? 1 : m.move_type === 'out_refund' ? -1 : 0) * Number(m.amount_total ?? 0), 0);
  const v = monetaryColumn(total, woRounding(env, wo));
  return v === 0 ? 0 : v;
}

/** the stored compute drmoto.work.order.amount_invoiced (@api.depends on the moves' state and total): in place, no write() */
function refreshInvoiced(env: Env, woId: unknown): void {
  const wo = typeof woId === 'number' ? env.model(WO).sudo().row(woId) : undefined;
  if (wo) wo.amount_invoiced = amountInvoiced(env, wo);
}

/** the next name of a journal's sequence with this prefix (`INV/2026/` → `INV/2026/00003`), as _get_last_sequence + 1 */
export function nextName(env: Env, model: string, journalId: number, prefix: string): string {
  let last = 0;
  for (const r of env.model(model).sudo().allRows()) {
    if (r.journal_id !== journalId || typeof r.name !== 'string' || !r.name.startsWith(prefix)) continue;
    const n = Number(r.name.slice(prefix.length));
    if (Number.isInteger(n) && n > last) last = n;
  }
  return `${prefix}${String(last + 1).padStart(5, '0')}`;
}

/** action_post: the name from the journal's (credit note) sequence for the invoice date's year, state posted */
export function postMove(env: Env, moveId: number): void {
  const moves = internalEnv(env).model(MOVE);
  const move = moves.row(moveId)!;
  const journal = env.model('account.journal').sudo().row(move.journal_id as number)!;
  const year = String(move.invoice_date ?? move.date ?? env.now()).slice(0, 4);
  const refund = move.move_type === 'out_refund' && journal.refund_sequence === true;
  const name = move.name && move.name !== '/' ? String(move.name) : nextName(env, MOVE, journal.id, `${refund ? 'R' : ''}${String(journal.code)}/${year}/`);
  moves.write([moveId], { name, state: 'posted' });
  recomputeMove(env, moveId);
}

/** fields of a work order's move that only the actions set (narration stays free) */
const MOVE_FREE = new Set(['narration']);

function guardMove(env: Env, moves: Row[], what: string): void {
  guardAccountRecords(env, moves, what, 'You cannot modify a posted entry of this journal.');
}

export const accountMove: ModelDef = {
  name: MOVE,
  description: 'Journal Entry',
  order: 'date desc, name desc, id desc',
  displayName: (_env, row) => (row.name && row.name !== '/' ? String(row.name) : `Draft (* ${row.id})`),
  fields: {
    name: { type: 'char', string: 'Number', readonly: true, default: '/', index: true },
    move_type: { type: 'selection', string: 'Type', selection: MOVE_TYPES, required: true, readonly: true, default: 'entry', index: true },
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
    journal_id: { type: 'many2one', string: 'Journal', relation: 'account.journal', required: true, index: true },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', required: true, index: true, default: (env) => env.companyId() },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', required: true },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner', index: true, ondelete: 'restrict' },
    date: { type: 'date', string: 'Date', required: true, index: true },
    invoice_date: { type: 'date', string: 'Invoice/Bill Date', index: true },
    invoice_origin: { type: 'char', string: 'Origin' },
    ref: { type: 'char', string: 'Reference' },
    narration: { type: 'text', string: 'Terms and Conditions' },
    invoice_line_ids: { type: 'one2many', string: 'Invoice lines', relation: MOVE_LINE, inverseName: 'move_id' },
    amount_untaxed: money('Untaxed Amount'),
    amount_tax: money('Tax'),
    amount_total: money('Total'),
    amount_residual: money('Amount Due'),
    amount_total_signed: {
      ...money('Total Signed'),
      store: false,
      compute: (_env, row) => (row.move_type === 'out_refund' ? -1 : 1) * Number(row.amount_total ?? 0),
    },
    amount_residual_signed: {
      ...money('Amount Due Signed'),
      store: false,
      compute: (_env, row) => (row.move_type === 'out_refund' ? -1 : 1) * Number(row.amount_residual ?? 0),
    },
    payment_state: { type: 'selection', string: 'Payment Status', selection: PAYMENT_STATES, readonly: true, default: 'not_paid' },
    reversed_entry_id: { type: 'many2one', string: 'Reversal of', relation: MOVE, readonly: true, index: true },
    // drmoto_workshop
    drmoto_work_order_id: { type: 'many2one', string: 'Work order', relation: WO, index: true, ondelete: 'restrict', readonly: true },
    drmoto_request_key: { type: 'char', string: 'Request key', readonly: true, help: 'The key of the action_sync_invoices call that created it.' },
    drmoto_quote_id: { type: 'many2one', string: 'Invoiced quote version', relation: QUOTE, readonly: true, ondelete: 'restrict' },
    drmoto_ledger_ref: { type: 'char', string: 'Ledger reference', readonly: true, help: "The BFF ledger row (refund credit notes, later)." },
    drmoto_channel: { type: 'selection', string: 'Payment channel', selection: CHANNELS, readonly: true },
  },
  sqlConstraints: [
    // account_move.py: unique_name (a partial unique index on posted moves)
    { name: 'unique_name', unique: ['name', 'journal_id'], where: (r) => r.state === 'posted', message: 'Another entry with the same name already exists.' },
    { name: 'drmoto_wo_key_uniq', unique: ['drmoto_work_order_id', 'drmoto_request_key'], message: 'DRM_DUP_KEY: this request key already posted an invoice on this work order' },
  ],
  hooks: {
    preCreate: (env, vals) => {
      if (!isInternal(env) && vals.drmoto_work_order_id) throw validationError("a work order's invoices are created with its action_sync_invoices");
      const journal = typeof vals.journal_id === 'number' ? env.model('account.journal').sudo().row(vals.journal_id) : undefined;
      if (!vals.company_id && journal) vals.company_id = journal.company_id;
      if (!vals.currency_id) vals.currency_id = (journal?.currency_id as number | null | undefined) ?? companyCurrency(env, vals.company_id ?? env.companyId()) ?? false;
      if (!vals.date) vals.date = vals.invoice_date || env.now().slice(0, 10);
    },
    afterCreate: (env, rows) => {
      for (const m of rows) recomputeMove(env, m.id);
    },
    preWrite: (env, rows, vals) => {
      if (Object.keys(vals).every((k) => MOVE_FREE.has(k))) return;
      guardMove(env, rows, Object.keys(vals).sort().join(', '));
    },
    preUnlink: (env, rows) => {
      if (rows.some((m) => m.state === 'posted')) throw new UserError('You cannot delete an entry which has been posted once.');
      guardMove(env, rows, 'existence');
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_cashier': 'r',
    'base.group_system': 'rwcu',
  },
  rules: [
    companyRule('Account Entry'),
  ],
};

export const accountMoveLine: ModelDef = {
  name: MOVE_LINE,
  description: 'Journal Item',
  order: 'move_id desc, sequence, id',
  fields: {
    move_id: { type: 'many2one', string: 'Journal Entry', relation: MOVE, required: true, index: true, ondelete: 'cascade' },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    display_type: {
      type: 'selection',
      string: 'Display Type',
      selection: [
        ['product', 'Product'],
        ['line_section', 'Section'],
        ['line_note', 'Note'],
      ],
      default: 'product',
      required: true,
    },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', readonly: true, index: true },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', readonly: true },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner', readonly: true },
    parent_state: {
      type: 'selection',
      string: 'Status',
      selection: [
        ['draft', 'Draft'],
        ['posted', 'Posted'],
        ['cancel', 'Cancelled'],
      ],
      store: false,
      compute: (env, row) => (moveRow(env, row.move_id)?.state as string | undefined) ?? null,
    },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', ondelete: 'restrict' },
    name: { type: 'char', string: 'Label' },
    quantity: { type: 'float', string: 'Quantity', digits: [16, 2], default: 1.0 },
    price_unit: { type: 'float', string: 'Unit Price', digits: [16, 2] },
    discount: { type: 'float', string: 'Discount (%)', digits: [16, 2], default: 0.0 },
    tax_ids: { type: 'many2many', string: 'Taxes', relation: 'account.tax' },
    price_subtotal: money('Subtotal'),
    price_total: money('Total'),
  },
  computes: [
    {
      fields: ['company_id', 'currency_id', 'partner_id'],
      depends: ['move_id'],
      compute: (env, row) => {
        const m = moveRow(env, row.move_id);
        return { company_id: (m?.company_id as number | undefined) ?? null, currency_id: (m?.currency_id as number | undefined) ?? null, partner_id: (m?.partner_id as number | undefined) ?? null };
      },
    },
    {
      fields: ['price_subtotal', 'price_total'],
      depends: ['quantity', 'price_unit', 'discount', 'tax_ids', 'move_id'],
      compute: (env, row) =>
        invoiceLineAmounts(env, (row.tax_ids as number[] | null) ?? [], Number(row.price_unit ?? 0), Number(row.discount ?? 0), Number(row.quantity ?? 0), (row.currency_id as number | null) ?? null),
    },
  ],
  hooks: {
    preCreate: (env, vals) => {
      const m = moveRow(env, vals.move_id);
      if (m) guardMove(env, [m], 'lines');
    },
    afterCreate: (env, rows) => {
      for (const id of new Set(rows.map((l) => l.move_id as number))) recomputeMove(env, id);
    },
    preWrite: (env, rows) =>
      guardMove(
        env,
        rows.map((l) => moveRow(env, l.move_id)).filter((m): m is Row => !!m),
        'lines',
      ),
    afterWrite: (env, rows) => {
      for (const id of new Set(rows.map((l) => l.move_id as number))) recomputeMove(env, id);
    },
    preUnlink: (env, rows) =>
      guardMove(
        env,
        rows.map((l) => moveRow(env, l.move_id)).filter((m): m is Row => !!m),
        'lines',
      ),
    afterUnlink: (env, rows) => {
      for (const id of new Set(rows.map((l) => l.move_id as number))) recomputeMove(env, id);
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_cashier': 'r',
    'base.group_system': 'rwcu',
  },
  rules: [
    companyRule('Entry lines'),
  ],
};
