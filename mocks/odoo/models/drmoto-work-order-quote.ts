/**
 * drmoto.work.order.quote: one complete quote version of a work order. Versions are created, sent, confirmed
 * and rejected by the work order's action methods; a version in any state but draft is locked
 * (DRM_QUOTE_LOCKED) through the ORM too, except the state fields the actions set.
 */
import { UserError } from '../errors';
import { monetaryColumn } from './account-tax';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { isInternal, QUOTE, QUOTE_LINE, QUOTE_STATES, WO } from './drmoto-wo-common';
import { recomputeWorkOrder } from './drmoto-work-order-amounts';
import { companyRule } from '../security';

/** the fields the actions write on a version that is no longer a draft */
export const QUOTE_STATE_FIELDS = new Set(['state', 'sent_at', 'decided_at', 'decided_by_user_id', 'decided_by_partner_id', 'decided_on_behalf']);

/** _drmoto_locked_error */
export function lockedError(env: Env, quote: Row): UserError {
  const wo = quote.work_order_id === null ? undefined : env.model(WO).sudo().row(quote.work_order_id as number);
  return new UserError(`DRM_QUOTE_LOCKED: quote version ${String(quote.version)} of ${String(wo?.name ?? '')} is '${String(quote.state)}'; only a draft can change`);
}

/** lines of a quote that is not a draft can't be created, written or deleted */
export function checkQuoteEditable(env: Env, quotes: Row[]): void {
  for (const q of quotes) if (q.state !== 'draft') throw lockedError(env, q);
}

/** _compute_amounts: currency-rounded sums of the lines; then the work order's stored amounts follow */
export function recomputeQuote(env: Env, quoteId: number): void {
  const quote = env.model(QUOTE).sudo().row(quoteId);
  if (!quote) return;
  const lines = env
    .model(QUOTE_LINE)
    .sudo()
    .allRows()
    .filter((l) => l.quote_id === quoteId);
  const untaxed = lines.reduce((s, l) => s + Number(l.price_subtotal ?? 0), 0);
  const tax = lines.reduce((s, l) => s + Number(l.price_tax ?? 0), 0);
  const rounding = quoteRounding(env, quote);
  quote.amount_untaxed = monetaryColumn(untaxed, rounding);
  quote.amount_tax = monetaryColumn(tax, rounding);
  quote.amount_total = monetaryColumn(untaxed + tax, rounding);
  if (quote.work_order_id !== null) recomputeWorkOrder(env, quote.work_order_id as number);
}

function quoteRounding(env: Env, quote: Row): number {
  const company = quote.company_id === null ? undefined : env.model('res.company').sudo().row(quote.company_id as number);
  const cur = company ? env.model('res.currency').sudo().row(company.currency_id as number) : undefined;
  return cur ? Number(cur.rounding) : 0.01;
}

const woOf = (env: Env, row: Row): Row | undefined => (row.work_order_id === null ? undefined : env.model(WO).sudo().row(row.work_order_id as number));

export const drmotoWorkOrderQuote: ModelDef = {
  name: QUOTE,
  description: 'Work order quote version',
  order: 'work_order_id desc, version desc',
  fields: {
    name: { type: 'char', string: 'Name', readonly: true },
    work_order_id: { type: 'many2one', string: 'Work order', relation: WO, required: true, index: true, ondelete: 'restrict', readonly: true },
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', index: true, readonly: true },
    partner_id: {
      type: 'many2one',
      string: 'Customer',
      relation: 'res.partner',
      store: false,
      compute: (env, row) => (woOf(env, row)?.partner_id as number | undefined) ?? null,
    },
    version: { type: 'integer', string: 'Version', required: true, readonly: true },
    state: { type: 'selection', string: 'Status', selection: QUOTE_STATES, required: true, default: 'draft', readonly: true, index: true },
    line_ids: { type: 'one2many', string: 'Lines', relation: QUOTE_LINE, inverseName: 'quote_id' },
    currency_id: {
      type: 'many2one',
      string: 'Currency',
      relation: 'res.currency',
      store: false,
      compute: (env, row) => {
        const company = row.company_id === null ? undefined : env.model('res.company').sudo().row(row.company_id as number);
        return (company?.currency_id as number | undefined) ?? null;
      },
    },
    amount_untaxed: { type: 'monetary', string: 'Untaxed amount', readonly: true, currencyField: 'currency_id' },
    amount_tax: { type: 'monetary', string: 'Taxes', readonly: true, currencyField: 'currency_id' },
    amount_total: { type: 'monetary', string: 'Total', readonly: true, currencyField: 'currency_id' },
    sent_at: { type: 'datetime', string: 'Sent At', readonly: true },
    decided_at: { type: 'datetime', string: 'Decided At', readonly: true },
    decided_by_user_id: { type: 'many2one', string: 'Decided by (staff)', relation: 'res.users', readonly: true },
    decided_by_partner_id: { type: 'many2one', string: 'Decided by (customer)', relation: 'res.partner', readonly: true },
    decided_on_behalf: { type: 'boolean', string: 'Decided On Behalf', readonly: true, help: "Decided by staff on the customer's behalf (audited)." },
    note: { type: 'text', string: 'Note' },
  },
  computes: [
    {
      // name = "<work order> v<version>"; company_id related stored
      fields: ['name', 'company_id'],
      depends: ['work_order_id', 'version'],
      compute: (env, row) => {
        const wo = woOf(env, row);
        return { name: `${String(wo?.name ?? '')} v${String(row.version)}`, company_id: (wo?.company_id as number | undefined) ?? null };
      },
    },
  ],
  sqlConstraints: [
    { name: 'work_order_version_uniq', unique: ['work_order_id', 'version'], message: 'DRM_DUP_KEY: this quote version already exists on this work order' },
  ],
  hooks: {
    preCreate: (env) => {
      if (!isInternal(env)) throw new UserError("DRM_VALIDATION: quote versions are created with the work order's action_create_quote");
    },
    afterCreate: (env, rows) => {
      for (const q of rows) recomputeQuote(env, q.id);
    },
    preWrite: (env, rows, vals) => {
      const keys = Object.keys(vals);
      if (keys.some((k) => QUOTE_STATE_FIELDS.has(k)) && !isInternal(env)) {
        throw new UserError("DRM_QUOTE_STATE: a quote's status changes only through the work order's actions");
      }
      if (keys.includes('work_order_id') || keys.includes('version')) throw new UserError("DRM_VALIDATION: a quote version can't move or be renumbered");
      if (keys.some((k) => !QUOTE_STATE_FIELDS.has(k))) checkQuoteEditable(env, rows);
    },
    afterWrite: (env, rows) => {
      for (const q of rows) recomputeQuote(env, q.id);
    },
    beforeUnlink: (env, rows) => checkQuoteEditable(env, rows),
    afterUnlink: (env, rows) => {
      for (const id of new Set(rows.map((q) => q.work_order_id as number))) recomputeWorkOrder(env, id);
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
    'drmoto_workshop.group_drmoto_advisor': 'rwu',
  },
  rules: [
    companyRule('Work order quote: multi-company'),
  ],
};
