import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';

/** on-hand quantity in internal locations (stock's qty_available, without the warehouse/location context) */
function qtyAvailable(env: Env, row: Row): number {
  const locations = env.model('stock.location').sudo();
  return env
    .model('stock.quant')
    .sudo()
    .allRows()
    .filter((q) => q.product_id === row.id && locations.row(q.location_id as number)?.usage === 'internal')
    .reduce((sum, q) => sum + Number(q.quantity ?? 0), 0);
}

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
    list_price: { type: 'float', string: 'Sales Price', digits: [16, 2], default: 1 },
    standard_price: { type: 'float', string: 'Cost', digits: [16, 2] },
    uom_id: { type: 'many2one', string: 'Unit of Measure', relation: 'uom.uom', required: true, ondelete: 'restrict' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    active: { type: 'boolean', string: 'Active', default: true },
    sale_ok: { type: 'boolean', string: 'Can be Sold', default: true },
    // account: customer taxes
    taxes_id: { type: 'many2many', string: 'Customer Taxes', relation: 'account.tax' },
    qty_available: { type: 'float', string: 'Quantity On Hand', store: false, compute: qtyAvailable },
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
