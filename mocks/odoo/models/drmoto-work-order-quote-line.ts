/**
 * drmoto.work.order.quote.line as odoo-addons/drmoto_workshop/models/drmoto_work_order_quote_line.py: labor and
 * part lines of one quote version, taxed by account.tax.compute_all per line; locked with their quote; every
 * price away from the list price and every discount leaves an audit row.
 */
import { ValidationError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { computeAll, floatRound, monetaryColumn } from './account-tax';
import { checkQuoteEditable, lockedError, recomputeQuote } from './drmoto-work-order-quote';
import { pyFloat, QUOTE, QUOTE_LINE, recordAudit, WO } from './drmoto-wo-common';
import { companyRule } from '../security';

const quoteRow = (env: Env, id: unknown): Row | undefined => (typeof id === 'number' ? env.model(QUOTE).sudo().row(id) : undefined);
const woRow = (env: Env, id: unknown): Row | undefined => (typeof id === 'number' ? env.model(WO).sudo().row(id) : undefined);

export function currencyOfCompany(env: Env, companyId: unknown): number | null {
  const c = typeof companyId === 'number' ? env.model('res.company').sudo().row(companyId) : undefined;
  return (c?.currency_id as number | undefined) ?? null;
}

function rounding(env: Env, currencyId: number | null): number {
  const cur = currencyId ? env.model('res.currency').sudo().row(currencyId) : undefined;
  return cur ? Number(cur.rounding) : 0.01;
}

/** _compute_amounts: tax_ids.with_context(round=True).compute_all(price_unit * (1 - discount / 100), currency, qty) */
export function lineAmounts(env: Env, row: Row): { price_subtotal: number; price_tax: number; price_total: number } {
  const currencyId = currencyOfCompany(env, row.company_id) ?? currencyOfCompany(env, env.companyId());
  const price = Number(row.price_unit ?? 0) * (1 - Number(row.discount ?? 0) / 100.0);
  const r = computeAll(env, (row.tax_ids as number[] | null) ?? [], price, currencyId, Number(row.qty ?? 0));
  const prec = rounding(env, currencyId);
  return {
    price_subtotal: monetaryColumn(r.total_excluded, prec),
    price_total: monetaryColumn(r.total_included, prec),
    price_tax: monetaryColumn(floatRound(r.total_included - r.total_excluded, prec), prec),
  };
}

/** drmoto.work.order._drmoto_default_taxes: parts → the product's sale taxes of the shop; else the shop's default */
export function defaultTaxes(env: Env, companyId: number | null, kind: unknown, productId: unknown): number[] {
  const company = companyId === null ? undefined : env.model('res.company').sudo().row(companyId);
  if (kind === 'part' && typeof productId === 'number') {
    const product = env.model('product.product').sudo().row(productId);
    const taxes = env.model('account.tax').sudo();
    const mine = ((product?.taxes_id as number[] | null) ?? []).filter((t) => taxes.row(t)?.company_id === companyId);
    if (mine.length) return mine;
  }
  const def = company?.account_sale_tax_id as number | null | undefined;
  return def ? [def] : [];
}

/** product.display_name */
function productName(env: Env, productId: number): string {
  const products = env.model('product.product').sudo();
  const p = products.row(productId);
  return p ? products.displayName(p) : '';
}

/** _compute_from_product (precompute, store, readonly=False): only where the vals don't set the field */
function fromProduct(env: Env, vals: Record<string, unknown>, creating: boolean): void {
  const pid = vals.product_id;
  if (typeof pid === 'number' && pid) {
    const product = env.model('product.product').sudo().row(pid);
    if (!('description' in vals)) vals.description = product ? productName(env, pid) : false;
    if (!('price_unit' in vals)) vals.price_unit = product ? Number(product.list_price) : 0;
  } else if (creating && !('price_unit' in vals)) vals.price_unit = 0;
}

/** what a write changed, between beforeWrite and afterWrite (writes don't nest on one model here) */
const pricingBefore: Array<Map<number, [number, number]> | null> = [];

/** _drmoto_audit_pricing: one row per line priced away from the list price, one per discount */
function auditPricing(env: Env, rows: Row[], before: Map<number, [number, number]> | null): void {
  const products = env.model('product.product').sudo();
  for (const line of rows) {
    const [oldPrice, oldDiscount] = before?.get(line.id) ?? [null, null];
    const product = line.product_id === null ? undefined : products.row(line.product_id as number);
    const price = Number(line.price_unit ?? 0);
    const discount = Number(line.discount ?? 0);
    const differs = (a: number, b: number) => floatRound(a, 0.01) !== floatRound(b, 0.01); // Product Price: 2 digits
    const woId = (line.work_order_id as number | null) ?? null;
    if (product && differs(price, Number(product.list_price)) && (oldPrice === null || differs(price, oldPrice))) {
      recordAudit(env, 'price_override', QUOTE_LINE, line.id, {
        before: { list_price: pyFloat(product.list_price), price_unit: oldPrice === null ? null : pyFloat(oldPrice) },
        after: { price_unit: pyFloat(price), product_id: product.id },
        workOrderId: woId,
      });
    }
    if (discount && (oldDiscount === null || discount !== oldDiscount)) {
      recordAudit(env, 'discount', QUOTE_LINE, line.id, {
        before: { discount: pyFloat(oldDiscount || 0.0), price_unit: pyFloat(price) },
        after: { discount: pyFloat(discount) },
        workOrderId: woId,
      });
    }
  }
}

export const drmotoWorkOrderQuoteLine: ModelDef = {
  name: QUOTE_LINE,
  description: 'Work order quote line',
  order: 'quote_id, sequence, id',
  recName: 'description',
  fields: {
    quote_id: { type: 'many2one', string: 'Quote', relation: QUOTE, required: true, index: true, ondelete: 'cascade' },
    work_order_id: { type: 'many2one', string: 'Work order', relation: WO, index: true, readonly: true },
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', readonly: true },
    currency_id: {
      type: 'many2one',
      string: 'Currency',
      relation: 'res.currency',
      store: false,
      compute: (env, row) => currencyOfCompany(env, row.company_id),
    },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    kind: { type: 'selection', string: 'Kind', selection: [['labor', 'Labor'], ['part', 'Part']], required: true, default: 'labor' },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', index: true, ondelete: 'restrict' },
    description: { type: 'char', string: 'Description', required: true },
    qty: { type: 'float', string: 'Quantity', required: true, default: 1.0, digits: [16, 2] },
    price_unit: { type: 'float', string: 'Unit price', digits: [16, 2] },
    discount: { type: 'float', string: 'Discount (%)', digits: [16, 2], default: 0.0 },
    tax_ids: { type: 'many2many', string: 'Taxes', relation: 'account.tax' },
    price_subtotal: { type: 'monetary', string: 'Subtotal', readonly: true, currencyField: 'currency_id' },
    price_tax: { type: 'monetary', string: 'Tax', readonly: true, currencyField: 'currency_id' },
    price_total: { type: 'monetary', string: 'Total', readonly: true, currencyField: 'currency_id' },
  },
  computes: [
    {
      // related stored: quote_id.work_order_id, quote_id.company_id
      fields: ['work_order_id', 'company_id'],
      depends: ['quote_id'],
      compute: (env, row) => {
        const wo = woRow(env, quoteRow(env, row.quote_id)?.work_order_id);
        return { work_order_id: wo ? wo.id : null, company_id: (wo?.company_id as number | undefined) ?? null };
      },
    },
    {
      fields: ['price_subtotal', 'price_tax', 'price_total'],
      depends: ['qty', 'price_unit', 'discount', 'tax_ids', 'product_id', 'quote_id'],
      compute: (env, row) => lineAmounts(env, row),
    },
  ],
  sqlConstraints: [
    { name: 'qty_positive', unique: [], checkFields: ['qty'], check: (r) => Number(r.qty) > 0, message: "DRM_VALIDATION: a quote line's quantity must be > 0" },
    {
      name: 'price_unit_positive',
      unique: [],
      checkFields: ['price_unit'],
      check: (r) => Number(r.price_unit ?? 0) >= 0,
      message: "DRM_VALIDATION: a quote line's price can't be negative",
    },
    {
      name: 'discount_range',
      unique: [],
      checkFields: ['discount'],
      check: (r) => Number(r.discount ?? 0) >= 0 && Number(r.discount ?? 0) <= 100,
      message: 'DRM_VALIDATION: a discount is between 0 and 100 %',
    },
  ],
  constraints: [
    {
      fields: ['kind', 'product_id'],
      check: (_env, rows) => {
        for (const l of rows) if (l.kind === 'part' && l.product_id === null) throw new ValidationError('DRM_VALIDATION: a part line needs a product');
      },
    },
  ],
  hooks: {
    preCreate: (env, vals) => {
      const quote = quoteRow(env, vals.quote_id);
      if (quote && quote.state !== 'draft') throw lockedError(env, quote);
    },
    beforeCreate: (env, vals) => {
      const quote = quoteRow(env, vals.quote_id);
      fromProduct(env, vals, true);
      if (!('tax_ids' in vals)) {
        const wo = woRow(env, quote?.work_order_id);
        vals.tax_ids = [[6, 0, defaultTaxes(env, (wo?.company_id as number | undefined) ?? env.companyId(), vals.kind, vals.product_id)]];
      }
    },
    afterCreate: (env, rows) => {
      auditPricing(env, rows, null);
      for (const id of new Set(rows.map((l) => l.quote_id as number))) recomputeQuote(env, id);
    },
    preWrite: (env, rows, vals) => {
      checkQuoteEditable(
        env,
        rows.map((l) => quoteRow(env, l.quote_id)).filter((q): q is Row => !!q),
      );
      const target = vals.quote_id ? quoteRow(env, vals.quote_id) : undefined;
      if (target && target.state !== 'draft') throw lockedError(env, target);
    },
    beforeWrite: (env, rows, vals) => {
      if ('product_id' in vals) fromProduct(env, vals, false);
      if (('product_id' in vals || 'kind' in vals) && !('tax_ids' in vals) && rows.length === 1) {
        const row = rows[0]!;
        const wo = woRow(env, row.work_order_id);
        vals.tax_ids = [[6, 0, defaultTaxes(env, (wo?.company_id as number | undefined) ?? null, vals.kind ?? row.kind, 'product_id' in vals ? vals.product_id : row.product_id)]];
      }
      const pricing = ['price_unit', 'discount', 'product_id'].some((k) => k in vals);
      pricingBefore.push(pricing ? new Map(rows.map((l) => [l.id, [Number(l.price_unit ?? 0), Number(l.discount ?? 0)]])) : null);
    },
    afterWrite: (env, rows) => {
      const before = pricingBefore.pop() ?? null;
      if (before) auditPricing(env, rows, before);
      for (const id of new Set(rows.map((l) => l.quote_id as number))) recomputeQuote(env, id);
    },
    beforeUnlink: (env, rows) =>
      checkQuoteEditable(
        env,
        rows.map((l) => quoteRow(env, l.quote_id)).filter((q): q is Row => !!q),
      ),
    afterUnlink: (env, rows) => {
      for (const id of new Set(rows.map((l) => l.quote_id as number))) recomputeQuote(env, id);
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
    'drmoto_workshop.group_drmoto_advisor': 'rwcu',
  },
  rules: [
    companyRule('Work order quote line: multi-company'),
  ],
};
