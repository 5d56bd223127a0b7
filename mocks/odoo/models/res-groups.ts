import type { ModelDef } from '../orm/types';

export const resGroups: ModelDef = {
  name: 'res.groups',
  description: 'Access Groups',
  order: 'name',
  displayName: (_env, row) => String(row.full_name ?? row.name ?? ''),
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    full_name: { type: 'char', string: 'Group Name' },
    category_name: { type: 'char', string: 'Application' },
    implied_ids: { type: 'many2many', string: 'Inherits', relation: 'res.groups' },
    comment: { type: 'text', string: 'Comment' },
  },
  computes: [
    {
      fields: ['full_name'],
      depends: ['name', 'category_name'],
      compute: (_env, row) => ({ full_name: row.category_name ? `${String(row.category_name)} / ${String(row.name)}` : (row.name ?? null) }),
    },
  ],
  acl: { 'base.group_user': 'r', 'base.group_erp_manager': 'rwcu' },
};
