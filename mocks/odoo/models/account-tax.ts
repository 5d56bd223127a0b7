/**
 * account.tax, reduced to what the workshop needs: percent taxes (price included or not), with Odoo 17's
 * `compute_all` arithmetic (odoo/addons/account/models/account_tax.py) for round-per-line companies:
 * one tax repartition line of 100% per tax, no groups, no fixed/division/python taxes, no India special case.
 */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { companyRule } from '../security';

/** Python 2's round (odoo.tools.float_utils.round): half away from zero. */
function pyRound(f: number): number {
  const roundf = roundHalfEven(f);
  if (roundHalfEven(f + 1) - roundf !== 1) return f + Math.sign(f) * 0.5;
  return roundf === 0 ? (Object.is(f, -0) || f < 0 ? -0 : 0) : roundf;
}

/** Python 3's builtin round(x) for floats: nearest, ties to even. */
function roundHalfEven(x: number): number {
  const fl = Math.floor(x);
  const diff = x - fl;
  if (diff < 0.5) return fl;
  if (diff > 0.5) return fl + 1;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** odoo.tools.float_utils.float_round(value, precision_rounding=…, rounding_method='HALF-UP') */
export function floatRound(value: number, precisionRounding: number): number {
  if (precisionRounding === 0 || value === 0) return 0;
  let normalized = value / precisionRounding;
  const epsilonMagnitude = Math.log(Math.abs(normalized)) / Math.log(2);
  const epsilon = 2 ** (epsilonMagnitude - 52);
  normalized += Math.sign(normalized) * epsilon;
  return pyRound(normalized) * precisionRounding;
}

/** Monetary.convert_to_column: float_repr(currency.round(value), currency.decimal_places) */
export function monetaryColumn(value: number, rounding: number): number {
  const digits = rounding > 0 && rounding < 1 ? Math.ceil(Math.log10(1 / rounding) - 1e-9) : 0;
  return Number(floatRound(value, rounding).toFixed(digits));
}

/** float_is_zero(value, precision_rounding) */
export function floatIsZero(value: number, precisionRounding: number): boolean {
  return Math.abs(floatRound(value, precisionRounding)) < precisionRounding;
}

export interface TaxResult {
  id: number;
  name: string;
  amount: number;
  base: number;
  sequence: number;
  price_include: boolean;
}

export interface ComputeAllResult {
  taxes: TaxResult[];
  total_excluded: number;
  total_included: number;
  total_void: number;
}

/** rounding of a currency row (res.currency.rounding) */
export function currencyRounding(env: Env, currencyId: number | null | undefined): number {
  const cur = currencyId ? env.model('res.currency').sudo().row(currencyId) : undefined;
  return cur ? Number(cur.rounding) : 0.01;
}

/**
 * `taxes.compute_all(price_unit, currency, quantity)` for percent taxes. `taxIds` in any order (sorted by
 * sequence, id as flatten_taxes_hierarchy does). Amounts rounded per line with the currency's rounding.
 */
export function computeAll(env: Env, taxIds: number[], priceUnit: number, currencyId: number | null, quantity = 1): ComputeAllResult {
  const taxModel = env.model('account.tax').sudo();
  const taxes: Row[] = taxIds
    .map((id) => taxModel.row(id))
    .filter((t): t is Row => !!t)
    .sort((a, b) => Number(a.sequence) - Number(b.sequence) || a.id - b.id);
  for (const t of taxes) {
    if (t.amount_type !== 'percent') throw new UserError(`DRM_VALIDATION: the mock only computes percent taxes (${String(t.name)})`);
  }
  const prec = currencyRounding(env, currencyId);
  const round = (v: number): number => floatRound(v, prec);

  // recompute_base(base, incl_tax_amounts) with only percent taxes
  let inclPercent: Array<[number, number]> = [];
  const recomputeBase = (baseAmount: number): number => {
    const percent = inclPercent.reduce((s, [, f]) => s + f, 0);
    inclPercent = [];
    return (baseAmount - 0) / (1.0 + percent / 100.0) * (100 - 0) / 100;
  };

  let base = round(priceUnit * quantity);
  let sign = 1;
  if (floatIsZero(base, prec)) sign = 1;
  else if (base < 0) {
    sign = -1;
    base = -base;
  }

  const checkpoints = new Map<number, number>();
  let i = taxes.length - 1;
  let storeIncludedTaxTotal = true;
  let isBaseAffected = true;
  for (const tax of [...taxes].reverse()) {
    if (tax.include_base_amount && isBaseAffected) {
      base = recomputeBase(base);
      storeIncludedTaxTotal = true;
    }
    if (tax.price_include) {
      inclPercent.push([i, Number(tax.amount)]);
      if (storeIncludedTaxTotal && Number(tax.amount)) {
        checkpoints.set(i, base);
        storeIncludedTaxTotal = false;
      }
    }
    i -= 1;
    isBaseAffected = tax.is_base_affected !== false;
  }

  const totalExcluded = round(recomputeBase(base));
  base = totalExcluded;
  let totalIncluded = totalExcluded;
  const totalVoid = totalExcluded;
  let skipCheckpoint = false;
  let cumulatedTaxIncluded = 0;
  const out: TaxResult[] = [];
  taxes.forEach((tax, idx) => {
    const priceInclude = tax.price_include === true;
    const taxBase = priceInclude || tax.is_base_affected !== false ? base : totalExcluded;
    let taxAmount: number;
    const checkpoint = checkpoints.get(idx);
    if (!skipCheckpoint && priceInclude && checkpoint !== undefined) {
      // "We know the total to reach for that tax, so we make a substraction to avoid any rounding issues"
      taxAmount = checkpoint - (base + cumulatedTaxIncluded);
      cumulatedTaxIncluded = 0;
    } else taxAmount = (taxBase * Number(tax.amount)) / 100; // _compute_amount with force_price_include=False
    taxAmount = round(taxAmount);
    const factorized = round(taxAmount * 1);
    if (priceInclude && checkpoint === undefined) cumulatedTaxIncluded += factorized;
    out.push({
      id: tax.id,
      name: String(tax.name),
      amount: sign * taxAmount,
      base: round(sign * taxBase),
      sequence: Number(tax.sequence),
      price_include: priceInclude,
    });
    if (tax.include_base_amount) {
      base += factorized;
      if (!priceInclude) skipCheckpoint = true;
    }
    totalIncluded += factorized;
  });
  return {
    taxes: out,
    total_excluded: sign * totalExcluded,
    total_included: sign * round(totalIncluded),
    total_void: sign * totalVoid,
  };
}

export const accountTax: ModelDef = {
  name: 'account.tax',
  description: 'Tax',
  order: 'sequence,id',
  fields: {
    name: { type: 'char', string: 'Tax Name', required: true, translate: true },
    type_tax_use: {
      type: 'selection',
      string: 'Tax Type',
      selection: [['sale', 'Sales'], ['purchase', 'Purchases'], ['none', 'None']],
      default: 'sale',
      required: true,
    },
    amount_type: {
      type: 'selection',
      string: 'Tax Computation',
      selection: [['group', 'Group of Taxes'], ['fixed', 'Fixed'], ['percent', 'Percentage of Price'], ['division', 'Percentage of Price Tax Included']],
      default: 'percent',
      required: true,
    },
    active: { type: 'boolean', string: 'Active', default: true },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', required: true, default: (env) => env.companyId() },
    sequence: { type: 'integer', string: 'Sequence', required: true, default: 1 },
    amount: { type: 'float', string: 'Amount', required: true, digits: [16, 4], default: 0 },
    description: { type: 'char', string: 'Description', translate: true },
    price_include: { type: 'boolean', string: 'Included in Price', default: false },
    include_base_amount: { type: 'boolean', string: 'Affect Base of Subsequent Taxes', default: false },
    is_base_affected: { type: 'boolean', string: 'Base Affected by Previous Taxes', default: true },
  },
  sqlConstraints: [
    // account_tax.py: name_company_uniq unique(name, company_id, type_tax_use, tax_scope)
    { name: 'name_company_uniq', unique: ['name', 'company_id', 'type_tax_use'], message: 'Tax names must be unique!' },
  ],
  methods: {
    /** compute_all(price_unit, currency=None, quantity=1.0, product=None, partner=None, …) over RPC (ids = the taxes) */
    compute_all: {
      api: 'records',
      params: [
        { name: 'price_unit' },
        { name: 'currency', default: null },
        { name: 'quantity', default: 1.0 },
        { name: 'product', default: null },
        { name: 'partner', default: null },
        { name: 'is_refund', default: false },
        { name: 'handle_price_include', default: true },
        { name: 'include_caba_tags', default: false },
        { name: 'fixed_multiplicator', default: 1 },
      ],
      fn: (env, [priceUnit, currency, quantity], ids) => {
        env.model('account.tax').checkAccessRights('read');
        const currencyId = typeof currency === 'number' ? currency : ((env.model('res.company').sudo().row(env.companyId() ?? 0)?.currency_id as number | null) ?? null);
        const r = computeAll(env, ids, Number(priceUnit), currencyId, Number(quantity ?? 1));
        return { base_tags: [], taxes: r.taxes.map((t) => ({ ...t, account_id: false, tax_ids: [], tag_ids: [] })), total_excluded: r.total_excluded, total_included: r.total_included, total_void: r.total_void };
      },
    },
  },
  // account: group_account_invoice / readonly read, group_account_manager full; internal users read taxes
  acl: { 'base.group_user': 'r', 'base.group_system': 'rwcu' },
  rules: [
    companyRule('Tax multi-company'),
  ],
};
