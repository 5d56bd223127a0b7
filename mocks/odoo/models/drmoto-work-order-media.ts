/**
 * drmoto.work.order.media and `drmoto.work.order.action_add_media`, as
 * odoo-addons/drmoto_workshop/models/drmoto_work_order_media.py (docs/odoo-contract.md "Media"):
 *   1. vals valid (DRM_VALIDATION), then the request key: a media row of this work order with this key → same vals:
 *      returned with `replayed: true`; else DRM_DUP_KEY.
 *   2. actor: staff advisor or technician (or manager) of the shop; the customer owning the work order, for `damage`
 *      and `other` only; never the system (DRM_FORBIDDEN).
 *   3. state: not on a closed or cancelled work order (DRM_WO_STATE).
 * Adding media does not write the work order (its revision stays). The shop's minimum of check-in photos before
 * `checkin → diagnosing` (res.company.drmoto_min_checkin_photos, 0 = off) is `checkCheckinMedia`, called by
 * action_start_diagnosis after its state check.
 */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { MethodDef, ModelDef, Row } from '../orm/types';
import { forbidden, getActor } from './drmoto-actor';
import { requestKey, staffHasRole } from './drmoto-work-order-actions';
import { actorFields, ACTOR_KINDS, contextStr, validationError, WO, actionWorkOrder } from './drmoto-wo-common';
import { formatDatetime } from '../orm/values';
import { companyRule } from '../security';

export const MEDIA = 'drmoto.work.order.media';
export const MEDIA_KINDS: Array<[string, string]> = [
  ['checkin_photo', 'Check-in photo'],
  ['damage', 'Damage'],
  ['repair_evidence', 'Repair evidence'],
  ['other', 'Other'],
];
const KIND_VALUES = MEDIA_KINDS.map(([v]) => v);
const CUSTOMER_KINDS = ['damage', 'other'];
const NO_MEDIA_STATES = ['closed', 'cancelled'];
const MEDIA_KEYS = new Set(['object_key', 'name', 'content_type', 'size', 'kind']);
/** writable after creation (by managers, the ACL decides): the description, not the evidence */
const MEDIA_EDITABLE = new Set(['name', 'kind']);
const MAX_SIZE = 2_147_483_647;
const MAX_KEY_LENGTH = 1024;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export const drmotoWorkOrderMedia: ModelDef = {
  name: MEDIA,
  description: 'Work order photo or video',
  order: 'uploaded_at, id',
  fields: {
    work_order_id: { type: 'many2one', string: 'Work order', relation: WO, required: true, index: true, ondelete: 'restrict', readonly: true },
    // related work_order_id.company_id, stored (set on create: the work order's shop never changes)
    company_id: { type: 'many2one', string: 'Shop', relation: 'res.company', index: true, readonly: true },
    name: { type: 'char', string: 'File name', required: true },
    object_key: { type: 'char', string: 'Storage key', required: true, readonly: true, index: true },
    content_type: { type: 'char', string: 'Content Type', required: true, readonly: true },
    size: { type: 'integer', string: 'Size (bytes)', required: true, readonly: true },
    kind: { type: 'selection', string: 'Kind', selection: MEDIA_KINDS, required: true, default: 'other' },
    uploaded_at: { type: 'datetime', string: 'Uploaded At', required: true, readonly: true, index: true, default: () => formatDatetime(new Date()) },
    user_id: { type: 'many2one', string: 'Uploaded by', relation: 'res.users', readonly: true, ondelete: 'restrict' },
    actor_kind: { type: 'selection', string: 'Actor Kind', selection: ACTOR_KINDS, required: true, readonly: true },
    actor_user_id: { type: 'many2one', string: 'Acting staff', relation: 'res.users', readonly: true, ondelete: 'restrict' },
    actor_partner_id: { type: 'many2one', string: 'Acting customer', relation: 'res.partner', readonly: true, ondelete: 'restrict' },
    request_key: { type: 'char', string: 'Request Key', required: true, readonly: true },
    trace_id: { type: 'char', string: 'Trace Id', readonly: true },
    is_image: { type: 'boolean', string: 'Is Image', store: false, compute: (_env, row) => String(row.content_type ?? '').startsWith('image/') },
    // the mock has no ir.config_parameter: drmoto_workshop.media_base_url is never set here
    preview_url: { type: 'char', string: 'Preview Url', store: false, compute: () => null },
  },
  sqlConstraints: [
    { name: 'object_key_uniq', unique: ['object_key'], message: 'DRM_DUP_KEY: this object is already recorded' },
    { name: 'work_order_request_key_uniq', unique: ['work_order_id', 'request_key'], message: 'DRM_DUP_KEY: this request key already recorded media on this work order' },
    { name: 'size_positive', unique: [], checkFields: ['size'], check: (r) => r.size === null || Number(r.size) > 0, message: "DRM_VALIDATION: a media file can't be empty" },
  ],
  hooks: {
    beforeCreate: (env, vals) => {
      const wo = typeof vals.work_order_id === 'number' ? env.model(WO).sudo().row(vals.work_order_id) : undefined;
      vals.company_id = (wo?.company_id as number | undefined) ?? false;
    },
    preWrite: (_env, _rows, vals) => {
      const locked = Object.keys(vals)
        .filter((k) => !MEDIA_EDITABLE.has(k))
        .sort();
      if (locked.length) throw forbidden(`media metadata can't be changed (${locked.join(', ')})`);
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
    'drmoto_workshop.group_drmoto_manager': 'rwu',
  },
  rules: [
    companyRule('Work order media: multi-company'),
  ],
};

/** _drmoto_media_vals */
function mediaVals(wo: Row, vals: unknown): { object_key: string; name: string; content_type: string; size: number; kind: string } {
  if (!vals || typeof vals !== 'object' || Array.isArray(vals)) throw validationError('vals must be an object');
  const v = vals as Record<string, unknown>;
  const unknown = Object.keys(v)
    .filter((k) => !MEDIA_KEYS.has(k))
    .sort();
  if (unknown.length) throw validationError(`unknown fields: ${unknown.join(', ')}`);
  const prefix = `work-orders/${wo.id}/`;
  const key = v.object_key;
  if (typeof key !== 'string' || !key.startsWith(prefix) || key.length <= prefix.length || key.length > MAX_KEY_LENGTH || key.split('/').includes('..')) {
    throw validationError(`object_key must be a key under ${prefix}`);
  }
  const name = v.name;
  if (typeof name !== 'string' || !name.trim() || name.length > 255) throw validationError('name must be a file name of 1 to 255 characters');
  const contentType = v.content_type;
  if (typeof contentType !== 'string' || !(contentType.startsWith('image/') || contentType.startsWith('video/'))) throw validationError('content_type must be an image/* or video/* type');
  const size = v.size;
  if (!isInt(size) || !(size > 0 && size <= MAX_SIZE)) throw validationError(`size must be an integer from 1 to ${MAX_SIZE}`);
  const kind = v.kind || 'other';
  if (typeof kind !== 'string' || !KIND_VALUES.includes(kind)) throw validationError(`kind must be one of ${KIND_VALUES.join(', ')}`);
  return { object_key: key, name: name.trim(), content_type: contentType, size, kind };
}

function actionAddMedia(env: Env, ids: number[], keyValue: unknown, vals: unknown): Record<string, unknown> {
  const wo = actionWorkOrder(env, ids);
  const key = requestKey(keyValue);
  const clean = mediaVals(wo, vals);
  const media = env.model(MEDIA).sudo();
  const existing = media.sortRows(
    media.allRows().filter((m) => m.work_order_id === wo.id && m.request_key === key),
    media.def.order ?? 'id',
  )[0];
  if (existing) {
    if ((Object.keys(clean) as Array<keyof typeof clean>).some((f) => existing[f] !== clean[f])) {
      throw new UserError(`DRM_DUP_KEY: request key ${key} recorded other media on work order ${String(wo.name)}`);
    }
    return { id: wo.id, media_id: existing.id, replayed: true };
  }
  const actor = getActor(env);
  if (actor.kind === 'customer') {
    if (wo.partner_id !== actor.partner_id) throw forbidden(`work order ${String(wo.name)} is not this customer's`);
    if (!CUSTOMER_KINDS.includes(clean.kind)) throw forbidden(`a customer may not add ${clean.kind} media`);
  } else if (actor.kind === 'system') {
    throw forbidden('the system may not add media');
  } else if (!staffHasRole(env, actor.uid, ['advisor', 'technician', 'manager'], wo.company_id as number)) {
    throw forbidden(`staff user ${actor.uid} may not add media`);
  }
  if (NO_MEDIA_STATES.includes(String(wo.state))) throw new UserError(`DRM_WO_STATE: work order ${String(wo.name)} is in state '${String(wo.state)}'; cannot add media`);
  const [id] = media.create([
    {
      ...clean,
      work_order_id: wo.id,
      user_id: env.uid,
      ...actorFields(actor),
      request_key: key,
      trace_id: contextStr(env, 'drmoto_trace_id'),
    },
  ]);
  return { id: wo.id, media_id: id, replayed: false };
}

/** _drmoto_check_checkin_media: before `checkin → diagnosing`, the shop's minimum of check-in photos */
export function checkCheckinMedia(env: Env, wo: Row): void {
  const company = env.model('res.company').sudo().row(wo.company_id as number);
  const required = Number(company?.drmoto_min_checkin_photos ?? 0);
  if (required <= 0) return;
  const count = env
    .model(MEDIA)
    .sudo()
    .allRows()
    .filter((m) => m.work_order_id === wo.id && m.kind === 'checkin_photo').length;
  if (count < required) {
    throw new UserError(`DRM_MEDIA_REQUIRED: work order ${String(wo.name)} has ${count} check-in photo(s); ${String(company?.name ?? '')} requires ${required} before the diagnosis`);
  }
}

export const MEDIA_ACTIONS: Record<string, MethodDef> = {
  action_add_media: {
    api: 'records',
    params: [
      { name: 'request_key', default: false },
      { name: 'vals', default: false },
    ],
    fn: (env, [key, vals], ids) => actionAddMedia(env, ids, key, vals),
  },
};

/** work order fields of the addon's media extension (non-stored computes) */
export const WORK_ORDER_MEDIA_FIELDS: ModelDef['fields'] = {
  media_ids: { type: 'one2many', string: 'Photos & videos', relation: MEDIA, inverseName: 'work_order_id', readonly: true },
  media_count: {
    type: 'integer',
    string: 'Media',
    store: false,
    compute: (env, row) => env.model(MEDIA).sudo().allRows().filter((m) => m.work_order_id === row.id).length,
  },
  checkin_photo_count: {
    type: 'integer',
    string: 'Check-in photos',
    store: false,
    compute: (env, row) => env.model(MEDIA).sudo().allRows().filter((m) => m.work_order_id === row.id && m.kind === 'checkin_photo').length,
  },
};
