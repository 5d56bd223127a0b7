import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { quantsOf } from './stock-quant';

/**
 * The locations of stock's `_get_domain_locations`: context `location` (an id or a list of ids, child_of), else
 * context `warehouse` (its view location), else every internal location (null).
 */
export function contextLocations(env: Env): number[] | null {
  const loc = env.context.location;
  if (typeof loc === 'number') return [loc];
  if (Array.isArray(loc) && loc.every((x) => typeof x === 'number')) return loc as number[];
  if (typeof loc === 'string' && loc) {
    const locations = env.model('stock.location').sudo();
    return locations.allRows().filter((l) => String(l.complete_name ?? '').toLowerCase().includes(loc.toLowerCase())).map((l) => l.id);
  }
  const wh = env.context.warehouse;
  if (typeof wh === 'number') {
    const w = env.model('stock.warehouse').sudo().row(wh);
    return w ? [w.view_location_id as number] : [];
  }
  return null;
}

/** on hand (quantity) and free (quantity − reserved) in internal locations under `locationIds` (all when null) */
export function productQuantities(env: Env, productId: number, locationIds: number[] | null): { qty_available: number; free_qty: number } {
  let onHand = 0;
  let free = 0;
  for (const q of quantsOf(env, productId, locationIds)) {
    onHand += Number(q.quantity ?? 0);
    free += Number(q.quantity ?? 0) - Number(q.reserved_quantity ?? 0);
  }
  return { qty_available: Number(onHand.toFixed(6)), free_qty: Number(free.toFixed(6)) };
}

const qtyAvailable = (env: Env, row: Row): number => productQuantities(env, row.id, contextLocations(env)).qty_available;
const freeQty = (env: Env, row: Row): number => productQuantities(env, row.id, contextLocations(env)).free_qty;

export const productProduct: ModelDef = {
  name: 'product.product',
  description: 'Product Variant',
  order: 'default_code, name, id',
  recNamesSearch: ['name', 'default_code'],
  displayName: (_env, row) => (row.default_code ? `[${String(row.default_code)}] ${String(row.name ?? '')}` : String(row.name ?? '')),
  fields: {
    name: { type: 'char', string: 'Name', required: true, translate: true },
    default_code: { type: 'char', string: 'Internal Reference', index: true },
    barcode: { type: 'char', string: 'Barcode' },
    type: {
      type: 'selection',
      string: 'Product Type',
      selection: [['consu', 'Consumable'], ['service', 'Service'], ['product', 'Storable Product']],
      default: 'consu',
      required: true,
    },
    // product 17: detailed_type is what the form edits; type follows it (no 'event'/'course' variants here)
    detailed_type: {
      type: 'selection',
      string: 'Product Type',
      selection: [['consu', 'Consumable'], ['service', 'Service'], ['product', 'Storable Product']],
      default: 'consu',
      required: true,
    },
    // stock: lots / serial numbers (the workshop moves untracked products only)
    tracking: {
      type: 'selection',
      string: 'Tracking',
      selection: [['serial', 'By Unique Serial Number'], ['lot', 'By Lots'], ['none', 'No Tracking']],
      default: 'none',
      required: true,
    },
    list_price: { type: 'float', string: 'Sales Price', digits: [16, 2], default: 1 },
    standard_price: { type: 'float', string: 'Cost', digits: [16, 2] },
    uom_id: { type: 'many2one', string: 'Unit of Measure', relation: 'uom.uom', required: true, ondelete: 'restrict' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    active: { type: 'boolean', string: 'Active', default: true },
    sale_ok: { type: 'boolean', string: 'Can be Sold', default: true },
    // account: customer taxes
    taxes_id: { type: 'many2many', string: 'Customer Taxes', relation: 'account.tax' },
    qty_available: { type: 'float', string: 'Quantity On Hand', store: false, compute: qtyAvailable },
    free_qty: { type: 'float', string: 'Free To Use Quantity', store: false, compute: freeQty },
  },
  hooks: {
    preCreate: (_env, vals) => syncType(vals),
    beforeWrite: (_env, _rows, vals) => syncType(vals),
  },
  sqlConstraints: [{ name: 'barcode_uniq', unique: ['barcode'], message: 'A barcode can only be assigned to one product !' }],
  acl: { 'base.group_user': 'r', 'base.group_system': 'rwcu', 'stock.group_stock_manager': 'rwcu' },
};

/** keep type and detailed_type equal, whichever of the two is given */
function syncType(vals: Record<string, unknown>): void {
  if ('detailed_type' in vals && vals.detailed_type) vals.type = vals.detailed_type;
  else if ('type' in vals && vals.type) vals.detailed_type = vals.type;
}
