/** drmoto.audit.log: privileged actions; readable by workshop users (the addon's ACL); write and unlink always refused, superuser included. */
import type { ModelDef } from '../orm/types';
import { forbidden } from './drmoto-actor';
import { ACTOR_KINDS, AUDIT_ACTIONS } from './drmoto-wo-common';

export const drmotoAuditLog: ModelDef = {
  name: 'drmoto.audit.log',
  description: 'Workshop audit log',
  order: 'id desc',
  recName: 'action',
  fields: {
    action: { type: 'selection', string: 'Action', selection: AUDIT_ACTIONS, required: true, readonly: true },
    res_model: { type: 'char', string: 'Model', required: true, readonly: true },
    // fields.Many2oneReference: an integer on the wire
    res_id: { type: 'integer', string: 'Record', readonly: true },
    work_order_id: { type: 'many2one', string: 'Work order', relation: 'drmoto.work.order', index: true, ondelete: 'restrict', readonly: true },
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', readonly: true, index: true, ondelete: 'restrict' },
    user_id: { type: 'many2one', string: 'Odoo user', relation: 'res.users', readonly: true, ondelete: 'restrict' },
    actor_kind: { type: 'selection', string: 'Actor Kind', selection: ACTOR_KINDS, required: true, readonly: true },
    actor_user_id: { type: 'many2one', string: 'Acting staff', relation: 'res.users', readonly: true, ondelete: 'restrict' },
    actor_partner_id: { type: 'many2one', string: 'Acting customer', relation: 'res.partner', readonly: true, ondelete: 'restrict' },
    before: { type: 'text', string: 'Before', readonly: true, help: 'JSON' },
    after: { type: 'text', string: 'After', readonly: true, help: 'JSON' },
    note: { type: 'text', string: 'Note', readonly: true },
    trace_id: { type: 'char', string: 'Trace', readonly: true },
    request_key: { type: 'char', string: 'Request Key', readonly: true },
  },
  hooks: {
    preWrite: () => {
      throw forbidden("audit log rows can't be changed");
    },
    preUnlink: () => {
      throw forbidden("audit log rows can't be deleted");
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
  },
  rules: [
    {
      name: 'Audit log: multi-company',
      perms: ['read', 'write', 'create', 'unlink'],
      domain: (env) => ['|', ['company_id', '=', false], ['company_id', 'in', env.companyIds()]],
    },
  ],
};
