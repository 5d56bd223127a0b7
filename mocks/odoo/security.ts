import type { RecordRule } from './orm/types';
/**
 * Groups of the mock (xml id, name, category, implied groups), mirroring base/stock and
 * odoo-addons/drmoto_workshop/security/drmoto_security.xml. ACLs live on each model (ModelDef.acl),
 * copied from the modules' ir.model.access.csv.
 */
export interface GroupDef {
  xmlid: string;
  name: string;
  category: string;
  implied: string[];
}

export const GROUPS: GroupDef[] = [
  { xmlid: 'base.group_no_one', name: 'Technical Features', category: 'Extra Rights', implied: [] },
  { xmlid: 'base.group_user', name: 'Internal User', category: 'User types', implied: ['base.group_no_one'] },
  { xmlid: 'base.group_portal', name: 'Portal', category: 'User types', implied: [] },
  { xmlid: 'base.group_public', name: 'Public', category: 'User types', implied: [] },
  { xmlid: 'base.group_partner_manager', name: 'Contact Creation', category: 'Extra Rights', implied: [] },
  { xmlid: 'base.group_erp_manager', name: 'Access Rights', category: 'Administration', implied: ['base.group_user'] },
  { xmlid: 'base.group_system', name: 'Settings', category: 'Administration', implied: ['base.group_erp_manager'] },
  { xmlid: 'stock.group_stock_user', name: 'User', category: 'Inventory', implied: ['base.group_user'] },
  { xmlid: 'stock.group_stock_manager', name: 'Administrator', category: 'Inventory', implied: ['stock.group_stock_user'] },
  { xmlid: 'drmoto_workshop.group_drmoto_user', name: 'User', category: 'Workshop', implied: ['base.group_user'] },
  { xmlid: 'drmoto_workshop.group_drmoto_technician', name: 'Technician', category: 'Workshop', implied: ['drmoto_workshop.group_drmoto_user'] },
  {
    xmlid: 'drmoto_workshop.group_drmoto_advisor',
    name: 'Service Advisor',
    category: 'Workshop',
    implied: ['drmoto_workshop.group_drmoto_user', 'base.group_partner_manager'],
  },
  { xmlid: 'drmoto_workshop.group_drmoto_keeper', name: 'Warehouse Keeper', category: 'Workshop', implied: ['drmoto_workshop.group_drmoto_user'] },
  { xmlid: 'drmoto_workshop.group_drmoto_cashier', name: 'Cashier', category: 'Workshop', implied: ['drmoto_workshop.group_drmoto_user'] },
  {
    xmlid: 'drmoto_workshop.group_drmoto_manager',
    name: 'Manager',
    category: 'Workshop',
    implied: [
      'drmoto_workshop.group_drmoto_technician',
      'drmoto_workshop.group_drmoto_advisor',
      'drmoto_workshop.group_drmoto_keeper',
      'drmoto_workshop.group_drmoto_cashier',
    ],
  },
  { xmlid: 'drmoto_workshop.group_drmoto_integration', name: 'Integration (BFF)', category: 'Workshop', implied: ['drmoto_workshop.group_drmoto_manager'] },
];

/**
 * The multi-company record rule every company-owned model carries in Odoo (`[('company_id', 'in', company_ids)]`,
 * global, all operations).
 */
export function companyRule(name: string): RecordRule {
  return { name, perms: ['read', 'write', 'create', 'unlink'], domain: (env) => [['company_id', 'in', env.companyIds()]] };
}
