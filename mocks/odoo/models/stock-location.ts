import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';

function completeName(env: Env, row: Row): string {
  const parent = row.location_id === null || row.location_id === undefined ? undefined : env.model('stock.location').sudo().row(row.location_id as number);
  if (parent && row.usage !== 'view') return `${String(parent.complete_name ?? parent.name)}/${String(row.name)}`;
  return String(row.name ?? '');
}

export const stockLocation: ModelDef = {
  name: 'stock.location',
  description: 'Inventory Locations',
  order: 'complete_name, id',
  recName: 'complete_name',
  parentName: 'location_id',
  fields: {
    name: { type: 'char', string: 'Location Name', required: true },
    complete_name: { type: 'char', string: 'Full Location Name' },
    location_id: { type: 'many2one', string: 'Parent Location', relation: 'stock.location', ondelete: 'cascade' },
    child_ids: { type: 'one2many', string: 'Contains', relation: 'stock.location', inverseName: 'location_id' },
    usage: {
      type: 'selection',
      string: 'Location Type',
      selection: [
        ['supplier', 'Vendor Location'],
        ['view', 'View'],
        ['internal', 'Internal Location'],
        ['customer', 'Customer Location'],
        ['inventory', 'Inventory Loss'],
        ['production', 'Production'],
        ['transit', 'Transit Location'],
      ],
      default: 'internal',
      required: true,
    },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    warehouse_id: { type: 'many2one', string: 'Warehouse', relation: 'stock.warehouse' },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  computes: [{ fields: ['complete_name'], depends: ['name', 'location_id', 'usage'], compute: (env, row) => ({ complete_name: completeName(env, row) }) }],
  acl: { 'base.group_user': 'r', 'base.group_partner_manager': 'r', 'stock.group_stock_manager': 'rwcu' },
};
