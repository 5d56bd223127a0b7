/**
 * drmoto.work.order.part as odoo-addons/drmoto_workshop/models/drmoto_work_order_part.py: issue 3 keeps the
 * planned quantity, mirrored from the part lines of the latest confirmed quote version (issue 4 adds issued and
 * returned quantities through pickings).
 */
import type { Env } from '../orm/orm';
import type { ModelDef } from '../orm/types';
import { PART, QUOTE, QUOTE_LINE, WO } from './drmoto-wo-common';

/** _drmoto_plan_parts(quote): one row per (product, unit of measure) of the quote's part lines, replacing the old ones */
export function planParts(env: Env, woId: number, quoteId: number): void {
  const parts = env.model(PART).sudo();
  const products = env.model('product.product').sudo();
  const lines = env.model(QUOTE_LINE).sudo();
  const planned = new Map<string, { product: number; uom: number; qty: number }>();
  for (const l of lines.sortRows(lines.allRows().filter((x) => x.quote_id === quoteId), lines.def.order ?? 'id')) {
    if (l.kind !== 'part' || l.product_id === null) continue;
    const uom = products.row(l.product_id as number)?.uom_id as number;
    const k = `${String(l.product_id)},${uom}`;
    const cur = planned.get(k) ?? { product: l.product_id as number, uom, qty: 0 };
    cur.qty += Number(l.qty);
    planned.set(k, cur);
  }
  const old = parts.allRows().filter((p) => p.work_order_id === woId).map((p) => p.id);
  if (old.length) parts.unlink(old);
  if (planned.size) {
    parts.create([...planned.values()].map((p) => ({ work_order_id: woId, product_id: p.product, uom_id: p.uom, qty_planned: p.qty, quote_id: quoteId })));
  }
}

export const drmotoWorkOrderPart: ModelDef = {
  name: PART,
  description: 'Work order part',
  order: 'work_order_id, id',
  recName: 'product_id',
  fields: {
    work_order_id: { type: 'many2one', string: 'Work order', relation: WO, required: true, index: true, ondelete: 'cascade', readonly: true },
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', readonly: true },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true, readonly: true, ondelete: 'restrict' },
    qty_planned: { type: 'float', string: 'Planned', readonly: true },
    uom_id: { type: 'many2one', string: 'Unit', relation: 'uom.uom', required: true, readonly: true, ondelete: 'restrict' },
    quote_id: { type: 'many2one', string: 'Quote version', relation: QUOTE, readonly: true, ondelete: 'restrict', help: 'The confirmed version the planned quantity comes from.' },
  },
  computes: [
    {
      fields: ['company_id'],
      depends: ['work_order_id'],
      compute: (env, row) => ({ company_id: (env.model(WO).sudo().row(row.work_order_id as number)?.company_id as number | undefined) ?? null }),
    },
  ],
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
  },
  rules: [
    {
      name: 'Work order part: multi-company',
      perms: ['read', 'write', 'create', 'unlink'],
      domain: (env) => [['company_id', 'in', env.companyIds()]],
    },
  ],
};
