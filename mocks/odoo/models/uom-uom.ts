import type { ModelDef } from '../orm/types';

export const uomUom: ModelDef = {
  name: 'uom.uom',
  description: 'Product Unit of Measure',
  order: 'factor DESC, id',
  fields: {
    name: { type: 'char', string: 'Unit of Measure', required: true },
    category_name: { type: 'char', string: 'Category' },
    factor: { type: 'float', string: 'Ratio', default: 1 },
    rounding: { type: 'float', string: 'Rounding Precision', default: 0.01 },
    uom_type: {
      type: 'selection',
      string: 'Type',
      selection: [['bigger', 'Bigger than the reference Unit of Measure'], ['reference', 'Reference Unit of Measure for this category'], ['smaller', 'Smaller than the reference Unit of Measure']],
      default: 'reference',
    },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  acl: { 'base.group_user': 'r', 'base.group_system': 'rwcu' },
};
