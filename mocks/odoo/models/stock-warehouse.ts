import type { ModelDef } from '../orm/types';

export const stockWarehouse: ModelDef = {
  name: 'stock.warehouse',
  description: 'Warehouse',
  order: 'sequence,id',
  fields: {
    name: { type: 'char', string: 'Warehouse', required: true },
    code: { type: 'char', string: 'Short Name', required: true, size: 5 },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', required: true, default: (env) => env.companyId() },
    partner_id: { type: 'many2one', string: 'Address', relation: 'res.partner' },
    view_location_id: { type: 'many2one', string: 'View Location', relation: 'stock.location', required: true },
    lot_stock_id: { type: 'many2one', string: 'Location Stock', relation: 'stock.location', required: true },
    in_type_id: { type: 'many2one', string: 'In Type', relation: 'stock.picking.type' },
    out_type_id: { type: 'many2one', string: 'Out Type', relation: 'stock.picking.type' },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  sqlConstraints: [
    { name: 'warehouse_name_uniq', unique: ['name', 'company_id'], message: 'The name of the warehouse must be unique per company!' },
    { name: 'warehouse_code_uniq', unique: ['code', 'company_id'], message: 'The short name of the warehouse must be unique per company!' },
  ],
  acl: { 'base.group_user': 'r', 'stock.group_stock_manager': 'rwcu' },
};
