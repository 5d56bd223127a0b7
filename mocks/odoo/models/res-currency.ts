import type { ModelDef } from '../orm/types';

export const resCurrency: ModelDef = {
  name: 'res.currency',
  description: 'Currency',
  order: 'active desc, name',
  fields: {
    name: { type: 'char', string: 'Currency', required: true, size: 3 },
    full_name: { type: 'char', string: 'Name' },
    symbol: { type: 'char', string: 'Symbol', required: true },
    rounding: { type: 'float', string: 'Rounding Factor', digits: [12, 6], default: 0.01 },
    decimal_places: { type: 'integer', string: 'Decimal Places', store: false, compute: (_env, row) => decimalPlaces(Number(row.rounding)) },
    position: { type: 'selection', string: 'Symbol Position', selection: [['after', 'After Amount'], ['before', 'Before Amount']], default: 'after' },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  sqlConstraints: [{ name: 'unique_name', unique: ['name'], message: 'The currency code must be unique!' }],
  acl: { 'base.group_user': 'r', 'base.group_system': 'rwcu' },
};

/** res.currency._compute_decimal_places: digits of the rounding factor */
function decimalPlaces(rounding: number): number {
  return rounding > 0 && rounding < 1 ? Math.ceil(Math.log10(1 / rounding)) : 0;
}
