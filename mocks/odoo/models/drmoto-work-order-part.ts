/**
 * drmoto.work.order.part as odoo-addons/drmoto_workshop/models/drmoto_work_order_part.py: one row per product per
 * work order. Issue 3: the planned quantity, mirrored from the part lines of the latest confirmed quote version.
 * Issue 4: what the technician requested, and what was issued and returned — computed from the DONE moves of the
 * work order's issue/return pickings (`@api.depends` on the moves: stock.move's hooks call recomputeParts).
 */
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { PART, QUOTE, QUOTE_LINE, WO, WO_STATES } from './drmoto-wo-common';
import { companyRule } from '../security';

export const PART_SOURCES: Array<[string, string]> = [
  ['quote', 'Quote'],
  ['advisor', 'Advisor'],
  ['request', 'Request'],
];

const qtyField = (label: string, help?: string) => ({ type: 'float' as const, string: label, readonly: true, digits: [16, 2] as [number, number], default: 0, help });

/** the uom's rounding (Odoo's "Product Unit of Measure" precision is 0.01 by default) */
export function uomRounding(env: Env, uomId: number | null): number {
  const r = uomId === null ? undefined : Number(env.model('uom.uom').sudo().row(uomId)?.rounding);
  return r && r > 0 ? r : 0.01;
}

/** digits of a rounding: 0.01 → 2, 1 → 0 */
export function roundingDigits(rounding: number): number {
  return rounding > 0 && rounding < 1 ? Math.ceil(Math.log10(1 / rounding) - 1e-9) : 0;
}

/** float_round(qty, precision_rounding=rounding), as a clean JS number */
export function roundQty(qty: number, rounding: number): number {
  const digits = roundingDigits(rounding);
  const v = Number((Math.round(qty / rounding + Math.sign(qty) * 1e-9) * rounding).toFixed(digits));
  return v === 0 ? 0 : v;
}

/** uom.uom._compute_quantity within one category: qty / from.factor * to.factor */
export function convertUom(env: Env, qty: number, fromUom: number | null, toUom: number | null): number {
  if (fromUom === toUom || fromUom === null || toUom === null) return qty;
  const uoms = env.model('uom.uom').sudo();
  const from = Number(uoms.row(fromUom)?.factor ?? 1) || 1;
  const to = Number(uoms.row(toUom)?.factor ?? 1) || 1;
  return (qty / from) * to;
}

export function partsOf(env: Env, woId: number): Row[] {
  const parts = env.model(PART).sudo();
  return parts.sortRows(
    parts.allRows().filter((p) => p.work_order_id === woId),
    'id',
  );
}

/** the part row of a product, created (qty 0, the product's unit) when missing */
export function ensurePart(env: Env, woId: number, productId: number, source: string): Row {
  const found = partsOf(env, woId).find((p) => p.product_id === productId);
  if (found) return found;
  const parts = env.model(PART).sudo();
  const uom = env.model('product.product').sudo().row(productId)?.uom_id as number;
  const [id] = parts.create([{ work_order_id: woId, product_id: productId, uom_id: uom, source }]);
  return parts.row(id!)!;
}

/**
 * _compute_qty_issued: issued and returned quantities (in the part's unit) from the done moves of the work
 * order's issue and return pickings; qty_net = issued − returned. A product moved without a part row gets one
 * (source 'request'). Stored values, recomputed in place (not a write: no revision bump).
 */
export function recomputeParts(env: Env, woIds: Iterable<number>): void {
  const moves = env.model('stock.move').sudo();
  const pickings = env.model('stock.picking').sudo();
  for (const woId of new Set(woIds)) {
    if (!env.model(WO).sudo().row(woId)) continue;
    const totals = new Map<number, { issued: number; returned: number }>();
    for (const m of moves.allRows()) {
      if (m.drmoto_work_order_id !== woId || m.state !== 'done') continue;
      const kind = m.picking_id === null ? undefined : pickings.row(m.picking_id as number)?.drmoto_kind;
      if (kind !== 'issue' && kind !== 'return') continue;
      const productId = m.product_id as number;
      const t = totals.get(productId) ?? { issued: 0, returned: 0 };
      const productUom = env.model('product.product').sudo().row(productId)?.uom_id as number;
      const qty = convertUom(env, Number(m.quantity ?? 0), m.product_uom as number, productUom);
      if (kind === 'issue') t.issued += qty;
      else t.returned += qty;
      totals.set(productId, t);
    }
    for (const productId of totals.keys()) ensurePart(env, woId, productId, 'request');
    for (const part of partsOf(env, woId)) {
      const t = totals.get(part.product_id as number) ?? { issued: 0, returned: 0 };
      const productUom = env.model('product.product').sudo().row(part.product_id as number)?.uom_id as number;
      const rounding = uomRounding(env, part.uom_id as number);
      part.qty_issued = roundQty(convertUom(env, t.issued, productUom, part.uom_id as number), rounding);
      part.qty_returned = roundQty(convertUom(env, t.returned, productUom, part.uom_id as number), rounding);
      part.qty_net = roundQty(Number(part.qty_issued) - Number(part.qty_returned), rounding);
      part.qty_to_issue = toIssue(env, part);
    }
  }
}

/** qty_to_issue: what is requested or planned (the larger) and not issued yet, never below 0 */
function toIssue(env: Env, part: Row): number {
  const rounding = uomRounding(env, part.uom_id as number);
  const todo = roundQty(Math.max(Number(part.qty_planned ?? 0), Number(part.qty_requested ?? 0)) - Number(part.qty_net ?? 0), rounding);
  return todo > 0 ? todo : 0;
}

const hasActivity = (p: Row): boolean => Number(p.qty_requested ?? 0) !== 0 || Number(p.qty_issued ?? 0) !== 0 || Number(p.qty_returned ?? 0) !== 0;

/**
 * _drmoto_plan_parts(quote): the planned quantities mirror the part lines of the confirmed version (summed per
 * product). Rows of products no longer planned keep what was requested/issued (qty_planned 0); a quote row
 * with nothing else on it goes.
 */
export function planParts(env: Env, woId: number, quoteId: number): void {
  const parts = env.model(PART).sudo();
  const products = env.model('product.product').sudo();
  const lines = env.model(QUOTE_LINE).sudo();
  const planned = new Map<number, { uom: number; qty: number }>();
  for (const l of lines.sortRows(lines.allRows().filter((x) => x.quote_id === quoteId), lines.def.order ?? 'id')) {
    if (l.kind !== 'part' || l.product_id === null) continue;
    const uom = products.row(l.product_id as number)?.uom_id as number;
    const cur = planned.get(l.product_id as number) ?? { uom, qty: 0 };
    cur.qty += Number(l.qty);
    planned.set(l.product_id as number, cur);
  }
  const gone: number[] = [];
  for (const p of partsOf(env, woId)) {
    const plan = planned.get(p.product_id as number);
    if (plan) {
      parts.write([p.id], { qty_planned: plan.qty, quote_id: quoteId });
      planned.delete(p.product_id as number);
    } else if (p.quote_id !== null) {
      if (p.source === 'quote' && !hasActivity(p)) gone.push(p.id);
      else parts.write([p.id], { qty_planned: 0, quote_id: false });
    }
  }
  if (gone.length) parts.unlink(gone);
  if (planned.size) {
    parts.create([...planned.entries()].map(([product, p]) => ({ work_order_id: woId, product_id: product, uom_id: p.uom, qty_planned: p.qty, quote_id: quoteId, source: 'quote' })));
  }
}

export const drmotoWorkOrderPart: ModelDef = {
  name: PART,
  description: 'Work order part',
  order: 'work_order_id, id',
  recName: 'product_id',
  fields: {
    work_order_id: { type: 'many2one', string: 'Work order', relation: WO, required: true, index: true, ondelete: 'cascade', readonly: true },
    work_order_state: {
      type: 'selection',
      string: 'Work order status',
      selection: WO_STATES,
      store: false,
      compute: (env, row) => (env.model(WO).sudo().row(row.work_order_id as number)?.state as string | undefined) ?? null,
    },
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', readonly: true },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true, readonly: true, ondelete: 'restrict' },
    qty_planned: { type: 'float', string: 'Planned', readonly: true },
    qty_requested: qtyField('Requested', 'What the technicians requested (cumulative).'),
    qty_issued: qtyField('Issued', 'Done moves of the issue pickings.'),
    qty_returned: qtyField('Returned', 'Done moves of the return pickings.'),
    qty_net: qtyField('Net issued', 'Issued less returned.'),
    qty_to_issue: qtyField('To issue', 'What is requested or planned (the larger) and not issued yet.'),
    uom_id: { type: 'many2one', string: 'Unit', relation: 'uom.uom', required: true, readonly: true, ondelete: 'restrict' },
    quote_id: { type: 'many2one', string: 'Quote version', relation: QUOTE, readonly: true, ondelete: 'restrict', help: 'The confirmed version the planned quantity comes from.' },
    source: { type: 'selection', string: 'Source', selection: PART_SOURCES, required: true, readonly: true, default: 'quote' },
  },
  computes: [
    { fields: ['qty_to_issue'], depends: ['qty_planned', 'qty_requested', 'product_id', 'uom_id'], compute: (env, row) => ({ qty_to_issue: toIssue(env, row) }) },
    {
      fields: ['company_id'],
      depends: ['work_order_id'],
      compute: (env, row) => ({ company_id: (env.model(WO).sudo().row(row.work_order_id as number)?.company_id as number | undefined) ?? null }),
    },
  ],
  sqlConstraints: [{ name: 'work_order_product_uniq', unique: ['work_order_id', 'product_id'], message: 'DRM_VALIDATION: a work order has one part row per product' }],
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
  },
  rules: [
    companyRule('Work order part: multi-company'),
  ],
};
