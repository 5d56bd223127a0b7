/** res.partner with drmoto_workshop's customer fields, guards and drmoto_upsert_customer (models/res_partner.py). */
import { UserError, ValidationError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { normalizePhone } from '../normalize';
import { actorGuarded, checkStaffRole, forbidden, getActor } from './drmoto-actor';

const UPSERT_KEYS = ['name', 'phone', 'email', 'street', 'city', 'comment'];
const CUSTOMER_WRITABLE = new Set(UPSERT_KEYS);
const PHONE_INVALID = 'DRM_PHONE_INVALID: the phone number is neither a CN mobile nor an E.164 number';

/** partner.property_stock_customer, or the property's default (Partners/Customers) when the partner has none */
export function customerLocation(env: Env, partnerId: number | null): number | null {
  const own = partnerId === null ? null : (env.model('res.partner').sudo().row(partnerId)?.property_stock_customer as number | null | undefined);
  return own ?? env.orm.xmlids.get('stock.stock_location_customers')?.id ?? null;
}

/** the active customer with this normalized phone (at most one: the constraint) */
export function findCustomer(env: Env, phoneNormalized: string): number | undefined {
  return env.model('res.partner')._search(
    [
      ['drmoto_is_customer', '=', true],
      ['drmoto_phone_normalized', '=', phoneNormalized],
    ],
    { limit: 1 },
  )[0];
}

export const resPartner: ModelDef = {
  name: 'res.partner',
  description: 'Contact',
  order: 'complete_name ASC, id DESC',
  recName: 'complete_name',
  recNamesSearch: ['complete_name', 'email', 'ref', 'vat'],
  displayName: (_env, row) => String(row.complete_name ?? row.name ?? ''),
  fields: {
    name: { type: 'char', string: 'Name', index: true },
    complete_name: { type: 'char', string: 'Complete Name', index: true },
    parent_id: { type: 'many2one', string: 'Related Company', relation: 'res.partner' },
    child_ids: { type: 'one2many', string: 'Contact', relation: 'res.partner', inverseName: 'parent_id' },
    type: {
      type: 'selection',
      string: 'Address Type',
      selection: [['contact', 'Contact'], ['invoice', 'Invoice Address'], ['delivery', 'Delivery Address'], ['other', 'Other Address'], ['private', 'Private Address']],
      default: 'contact',
    },
    is_company: { type: 'boolean', string: 'Is a Company', default: false },
    ref: { type: 'char', string: 'Reference' },
    vat: { type: 'char', string: 'Tax ID' },
    phone: { type: 'char', string: 'Phone' },
    mobile: { type: 'char', string: 'Mobile' },
    email: { type: 'char', string: 'Email' },
    street: { type: 'char', string: 'Street' },
    street2: { type: 'char', string: 'Street2' },
    city: { type: 'char', string: 'City' },
    zip: { type: 'char', string: 'Zip' },
    comment: { type: 'text', string: 'Notes' },
    lang: { type: 'char', string: 'Language' },
    tz: { type: 'char', string: 'Timezone' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', index: true },
    user_ids: { type: 'one2many', string: 'Users', relation: 'res.users', inverseName: 'partner_id' },
    active: { type: 'boolean', string: 'Active', default: true },
    customer_rank: { type: 'integer', string: 'Customer Rank', default: 0 },
    supplier_rank: { type: 'integer', string: 'Supplier Rank', default: 0 },
    // drmoto_workshop
    drmoto_is_customer: {
      type: 'boolean',
      string: 'Workshop customer',
      index: true,
      help: 'A customer of the workshop: identified by a phone number unique among active customers.',
    },
    drmoto_phone_normalized: {
      type: 'char',
      string: 'Normalized phone',
      index: true,
      readonly: true,
      help: 'The phone as a CN mobile (13800138000) or E.164 (+14155552671); empty when invalid.',
    },
    drmoto_vehicle_ids: { type: 'one2many', string: 'Vehicles', relation: 'drmoto.vehicle', inverseName: 'partner_id' },
    drmoto_vehicle_count: {
      type: 'integer',
      string: 'Vehicle count',
      store: false,
      compute: (env, row) => env.model('drmoto.vehicle').sudo().allRows().filter((v) => v.partner_id === row.id && v.active !== false).length,
    },
    drmoto_wechat_identity_ids: { type: 'one2many', string: 'WeChat identities', relation: 'drmoto.wechat.identity', inverseName: 'partner_id' },
    // stock: company-dependent in Odoo (ir.property, default Partners/Customers); see customerLocation()
    property_stock_customer: {
      type: 'many2one',
      string: 'Customer Location',
      relation: 'stock.location',
      default: (env) => env.orm.xmlids.get('stock.stock_location_customers')?.id ?? null,
      help: 'The destination of deliveries to this contact (issued parts go here).',
    },
  },
  computes: [
    {
      fields: ['drmoto_phone_normalized'],
      depends: ['phone'],
      compute: (_env, row) => ({ drmoto_phone_normalized: normalizePhone(row.phone) }),
    },
    {
      fields: ['complete_name'],
      depends: ['name', 'parent_id', 'is_company', 'type'],
      compute: (env, row) => ({ complete_name: completeName(env, row) }),
    },
  ],
  sqlConstraints: [
    {
      name: 'drmoto_phone_customer_uniq',
      unique: ['drmoto_phone_normalized'],
      // EXCLUDE (drmoto_phone_normalized WITH =) WHERE (drmoto_is_customer AND active)
      where: (row) => row.drmoto_is_customer === true && row.active !== false,
      message: 'DRM_DUP_PHONE: another customer already has this phone number',
    },
  ],
  constraints: [
    {
      fields: ['phone', 'drmoto_is_customer'],
      check: (_env, rows) => {
        for (const p of rows) {
          if (p.drmoto_is_customer && p.phone && !p.drmoto_phone_normalized) throw new ValidationError(PHONE_INVALID);
        }
      },
    },
    {
      // base's check_name: CHECK( (type='contact' AND name IS NOT NULL) or (type!='contact') )
      fields: ['name', 'type'],
      check: (_env, rows) => {
        for (const p of rows) if ((p.type ?? 'contact') === 'contact' && (p.name === null || p.name === undefined)) throw new ValidationError('The operation cannot be completed: Contacts require a name');
      },
    },
  ],
  hooks: {
    beforeCreate: (env, vals) => {
      if (!actorGuarded(env)) return;
      const actor = getActor(env);
      if (actor.kind === 'customer') throw forbidden('a customer may not create contacts');
      if (vals.drmoto_is_customer) checkStaffRole(env, actor, 'advisor', 'create customers');
    },
    beforeWrite: (env, rows, vals) => {
      if (!actorGuarded(env)) return;
      const actor = getActor(env);
      if (actor.kind === 'customer') {
        if (rows.some((p) => p.id !== actor.partner_id)) throw forbidden('a customer may only change their own details');
        if (Object.keys(vals).some((k) => !CUSTOMER_WRITABLE.has(k))) {
          throw forbidden(`a customer may only change ${[...CUSTOMER_WRITABLE].sort().join(', ')}`);
        }
      } else if ('drmoto_is_customer' in vals || rows.some((p) => p.drmoto_is_customer)) {
        checkStaffRole(env, actor, 'advisor', 'change customers');
      }
    },
    beforeUnlink: (env, rows) => {
      if (!actorGuarded(env)) return;
      const actor = getActor(env);
      if (actor.kind === 'customer') throw forbidden('a customer may not delete contacts');
      if (rows.some((p) => p.drmoto_is_customer)) checkStaffRole(env, actor, 'manager', 'delete customers');
    },
  },
  methods: {
    drmoto_upsert_customer: {
      api: 'model',
      params: [{ name: 'vals' }],
      fn: (env, [vals]) => upsertCustomer(env, vals),
    },
  },
  acl: { 'base.group_user': 'r', 'base.group_partner_manager': 'rwcu', 'base.group_portal': 'r', 'base.group_public': 'r' },
};

function completeName(env: Env, row: Row): string | null {
  const name = row.name === null || row.name === undefined ? null : String(row.name);
  if (row.parent_id !== null && row.parent_id !== undefined && !row.is_company) {
    const parent = env.model('res.partner').sudo().row(row.parent_id as number);
    const pname = parent ? String(parent.complete_name ?? parent.name ?? '') : '';
    return name ? `${pname}, ${name}` : pname;
  }
  return name;
}

function upsertCustomer(env: Env, vals: unknown): { id: number; created: boolean } {
  if (!vals || typeof vals !== 'object' || Array.isArray(vals)) throw new UserError('DRM_VALIDATION: vals must be an object');
  const v = vals as Record<string, unknown>;
  const unknown = Object.keys(v)
    .filter((k) => !UPSERT_KEYS.includes(k))
    .sort();
  if (unknown.length) throw new UserError(`DRM_VALIDATION: unknown fields: ${unknown.join(', ')}`);
  const actor = getActor(env);
  if (actor.kind !== 'staff') throw forbidden('only staff may create customers');
  checkStaffRole(env, actor, 'advisor', 'create customers');

  const phone = normalizePhone(v.phone);
  if (!phone) throw new UserError(PHONE_INVALID);
  const partners = env.model('res.partner');
  const existing = findCustomer(env, phone);
  if (existing !== undefined) {
    const row = partners.row(existing)!;
    const fill: Record<string, unknown> = {};
    for (const key of ['email', 'street', 'city', 'comment']) {
      if (truthy(v[key]) && !truthy(row[key])) fill[key] = v[key];
    }
    if (Object.keys(fill).length) partners.write([existing], fill);
    return { id: existing, created: false };
  }
  const name = typeof v.name === 'string' ? v.name.trim() : truthy(v.name) ? String(v.name).trim() : '';
  if (!name) throw new UserError('DRM_VALIDATION: a new customer needs a name');
  const createVals: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== false && x !== '') createVals[k] = x;
  Object.assign(createVals, { name, drmoto_is_customer: true, customer_rank: 1 });
  const [id] = partners.create([createVals]);
  return { id: id!, created: true };
}

const truthy = (x: unknown): boolean => x !== null && x !== undefined && x !== false && x !== '' && x !== 0;
