/** drmoto.wo.status.log: one row per work-order action; read-only, never written or deleted after create. */
import type { ModelDef } from '../orm/types';
import { forbidden } from './drmoto-actor';
import { ACTOR_KINDS, LOG_EVENTS } from './drmoto-wo-common';
import { companyRule } from '../security';

export const drmotoWoStatusLog: ModelDef = {
  name: 'drmoto.wo.status.log',
  description: 'Work order status log',
  order: 'id desc',
  recName: 'action',
  fields: {
    work_order_id: { type: 'many2one', string: 'Work order', relation: 'drmoto.work.order', required: true, index: true, ondelete: 'restrict', readonly: true },
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', readonly: true, index: true, ondelete: 'restrict' },
    event: { type: 'selection', string: 'Event', selection: LOG_EVENTS, required: true, readonly: true },
    action: { type: 'char', string: 'Action', required: true, readonly: true, help: "The action method's name without 'action_'." },
    from_state: { type: 'char', string: 'From State', readonly: true },
    to_state: { type: 'char', string: 'To State', readonly: true },
    user_id: { type: 'many2one', string: 'Odoo user', relation: 'res.users', readonly: true, ondelete: 'restrict', help: 'The user that made the call.' },
    actor_kind: { type: 'selection', string: 'Actor Kind', selection: ACTOR_KINDS, required: true, readonly: true },
    actor_user_id: { type: 'many2one', string: 'Acting staff', relation: 'res.users', readonly: true, ondelete: 'restrict' },
    actor_partner_id: { type: 'many2one', string: 'Acting customer', relation: 'res.partner', readonly: true, ondelete: 'restrict' },
    request_key: { type: 'char', string: 'Request Key', required: true, readonly: true },
    trace_id: { type: 'char', string: 'Trace', readonly: true },
    note: { type: 'text', string: 'Note', readonly: true },
    revision: { type: 'integer', string: 'Revision', readonly: true, help: "The work order's revision after the action." },
    result: { type: 'text', string: 'Result', readonly: true, help: "The action's result (JSON), returned again on a replay." },
  },
  sqlConstraints: [
    { name: 'work_order_request_key_uniq', unique: ['work_order_id', 'request_key'], message: 'DRM_DUP_KEY: this request key was already used on this work order' },
  ],
  hooks: {
    preWrite: () => {
      throw forbidden("status log rows can't be changed");
    },
    preUnlink: () => {
      throw forbidden("status log rows can't be deleted");
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
  },
  rules: [
    companyRule('Work order status log: multi-company'),
  ],
};
