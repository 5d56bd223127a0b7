import type { ModelDef } from '../orm/types';

export const stockQuant: ModelDef = {
  name: 'stock.quant',
  description: 'Quants',
  recName: 'product_id',
  fields: {
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true, ondelete: 'restrict' },
    location_id: { type: 'many2one', string: 'Location', relation: 'stock.location', required: true, ondelete: 'restrict' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    quantity: { type: 'float', string: 'Quantity', readonly: true },
    reserved_quantity: { type: 'float', string: 'Reserved Quantity' },
    available_quantity: {
      type: 'float',
      string: 'Available Quantity',
      store: false,
      compute: (_env, row) => Number(row.quantity ?? 0) - Number(row.reserved_quantity ?? 0),
    },
    in_date: { type: 'datetime', string: 'Incoming Date', default: (env) => env.now() },
  },
  acl: { 'base.group_user': 'r', 'stock.group_stock_user': 'rwc' },
};
