/**
 * stock.picking.type: the operation types of a warehouse (stock/models/stock_picking.py). The seed creates the
 * warehouse's Receipts (IN) and Delivery Orders (OUT) with their sequences `WH/IN/` and `WH/OUT/`, as Odoo's
 * warehouse create does; as in Odoo 17, Delivery Orders has no default destination and Receipts no default source.
 */
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { companyRule } from '../security';

export const PICKING_TYPE_CODES: Array<[string, string]> = [
  ['incoming', 'Receipt'],
  ['outgoing', 'Delivery'],
  ['internal', 'Internal Transfer'],
];

/** the warehouse's first active operation type with this code */
export function pickingTypeOf(env: Env, warehouseId: number, code: 'incoming' | 'outgoing'): Row | undefined {
  const types = env.model('stock.picking.type').sudo();
  return types.sortRows(
    types.allRows().filter((t) => t.warehouse_id === warehouseId && t.code === code && t.active !== false),
    types.def.order ?? 'id',
  )[0];
}

/** stock.warehouse._create_or_update_sequences_and_picking_types, for the two types the workshop uses */
export function createWarehousePickingTypes(env: Env, warehouseId: number): { in: number; out: number } {
  const wh = env.model('stock.warehouse').sudo().row(warehouseId)!;
  const seqs = env.model('ir.sequence').sudo();
  const types = env.model('stock.picking.type').sudo();
  const code = String(wh.code);
  const [inSeq, outSeq] = seqs.create([
    { name: `${String(wh.name)} Sequence in`, prefix: `${code}/IN/`, padding: 5, company_id: wh.company_id },
    { name: `${String(wh.name)} Sequence out`, prefix: `${code}/OUT/`, padding: 5, company_id: wh.company_id },
  ]);
  const [inType] = types.create([
    {
      name: 'Receipts',
      code: 'incoming',
      sequence_code: 'IN',
      sequence_id: inSeq,
      sequence: 1,
      warehouse_id: wh.id,
      company_id: wh.company_id,
      default_location_src_id: false,
      default_location_dest_id: wh.lot_stock_id,
    },
  ]);
  const [outType] = types.create([
    {
      name: 'Delivery Orders',
      code: 'outgoing',
      sequence_code: 'OUT',
      sequence_id: outSeq,
      sequence: 5,
      warehouse_id: wh.id,
      company_id: wh.company_id,
      default_location_src_id: wh.lot_stock_id,
      default_location_dest_id: false,
      return_picking_type_id: inType,
    },
  ]);
  types.write([inType!], { return_picking_type_id: outType });
  env.model('stock.warehouse').sudo().write([wh.id], { in_type_id: inType, out_type_id: outType });
  return { in: inType!, out: outType! };
}

export const stockPickingType: ModelDef = {
  name: 'stock.picking.type',
  description: 'Picking Type',
  order: 'sequence, id',
  displayName: (env, row) => {
    const wh = row.warehouse_id === null ? undefined : env.model('stock.warehouse').sudo().row(row.warehouse_id as number);
    return wh ? `${String(wh.name)}: ${String(row.name)}` : String(row.name ?? '');
  },
  fields: {
    name: { type: 'char', string: 'Operation Type', required: true, translate: true },
    code: { type: 'selection', string: 'Type of Operation', selection: PICKING_TYPE_CODES, required: true },
    sequence_code: { type: 'char', string: 'Sequence Prefix', required: true },
    sequence_id: { type: 'many2one', string: 'Reference Sequence', relation: 'ir.sequence' },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    warehouse_id: { type: 'many2one', string: 'Warehouse', relation: 'stock.warehouse', ondelete: 'cascade' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', required: true, default: (env) => env.companyId() },
    default_location_src_id: { type: 'many2one', string: 'Default Source Location', relation: 'stock.location' },
    default_location_dest_id: { type: 'many2one', string: 'Default Destination Location', relation: 'stock.location' },
    return_picking_type_id: { type: 'many2one', string: 'Operation Type for Returns', relation: 'stock.picking.type' },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  acl: { 'base.group_user': 'r', 'stock.group_stock_manager': 'rwcu' },
  rules: [
    companyRule('Picking Type multi-company'),
  ],
};
