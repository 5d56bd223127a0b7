/** drmoto.vehicle as odoo-addons/drmoto_workshop/models/drmoto_vehicle.py */
import { ValidationError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef } from '../orm/types';
import { cleanPlate, cleanVin, isValidPlate, isValidVin } from '../normalize';
import { actorGuarded, checkStaffRole, forbidden, getActor } from './drmoto-actor';
import { companyRule } from '../security';

function cleanVals(vals: Record<string, unknown>): void {
  if ('vin' in vals) vals.vin = cleanVin(vals.vin);
  if ('plate_no' in vals && !cleanPlate(vals.plate_no)) throw new ValidationError('DRM_PLATE_INVALID: the plate is required');
}

/** fields.Date.context_today(self).year (the user's tz, else UTC) */
function contextYear(env: Env): number {
  const tz = typeof env.context.tz === 'string' ? env.context.tz : 'UTC';
  try {
    return Number(new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric' }).format(env.orm.now()));
  } catch {
    return env.orm.now().getUTCFullYear();
  }
}

/** _drmoto_move_aside: other customers' unconfirmed registrations of the plate in the shop are archived */
function moveAside(env: Env, plate: unknown, companyId: number | false, partnerId: unknown): number[] {
  const vehicles = env.model('drmoto.vehicle').sudo();
  const ids = vehicles._search([
    ['plate_normalized', '=', plate],
    ['company_id', '=', companyId],
    ['ownership_state', '=', 'unconfirmed'],
    ['partner_id', '!=', partnerId ?? false],
  ]);
  if (ids.length) vehicles.write(ids, { active: false });
  return ids;
}

export const drmotoVehicle: ModelDef = {
  name: 'drmoto.vehicle',
  description: 'Workshop vehicle',
  order: 'plate_normalized, id',
  recNamesSearch: ['plate_no', 'plate_normalized', 'vin'],
  fields: {
    name: { type: 'char', string: 'Name', readonly: true, help: 'The plate, as typed.' },
    plate_no: { type: 'char', string: 'Plate', required: true, help: 'As typed, e.g. 粤B·12345.' },
    plate_normalized: {
      type: 'char',
      string: 'Normalized plate',
      readonly: true,
      index: true,
      help: 'Upper case without spaces and separators: 粤B·12345, 粤b 12345 -> 粤B12345.',
    },
    vin: { type: 'char', string: 'VIN', index: true },
    brand: { type: 'char', string: 'Brand' },
    vehicle_model: { type: 'char', string: 'Model' },
    year: { type: 'integer', string: 'Year' },
    odometer: { type: 'integer', string: 'Odometer (km)' },
    partner_id: { type: 'many2one', string: 'Owner', relation: 'res.partner', required: true, index: true, ondelete: 'restrict' },
    company_id: {
      type: 'many2one',
      string: 'Shop',
      relation: 'res.company',
      required: true,
      index: true,
      default: (env) => env.companyId(),
    },
    active: { type: 'boolean', string: 'Active', default: true },
    ownership_state: {
      type: 'selection',
      string: 'Ownership',
      selection: [
        ['unconfirmed', 'Unconfirmed'],
        ['confirmed', 'Confirmed'],
      ],
      required: true,
      default: 'confirmed',
      help: 'A plate a customer registered themselves stays unconfirmed until staff have seen the papers.',
    },
  },
  computes: [
    { fields: ['name'], depends: ['plate_no'], compute: (_env, row) => ({ name: row.plate_no ?? null }) },
    { fields: ['plate_normalized'], depends: ['plate_no'], compute: (_env, row) => ({ plate_normalized: cleanPlate(row.plate_no) || null }) },
  ],
  sqlConstraints: [
    {
      name: 'plate_company_uniq',
      unique: ['company_id', 'plate_normalized'],
      // EXCLUDE (company_id WITH =, plate_normalized WITH =) WHERE (active): a registration moved aside keeps its plate
      where: (row) => row.active !== false,
      message: 'DRM_DUP_PLATE: this plate is already registered in this shop',
    },
    { name: 'vin_uniq', unique: ['vin'], message: 'DRM_DUP_VIN: this VIN is already registered' },
  ],
  constraints: [
    {
      fields: ['plate_no'],
      check: (_env, rows) => {
        for (const v of rows) {
          if (!isValidPlate(v.plate_normalized as string | null)) {
            throw new ValidationError('DRM_PLATE_INVALID: a plate is 2 to 12 Chinese characters, letters A-Z or digits once separators are removed');
          }
        }
      },
    },
    {
      fields: ['vin'],
      check: (_env, rows) => {
        for (const v of rows) {
          if (v.vin && !isValidVin(v.vin as string)) throw new ValidationError('DRM_VIN_INVALID: a VIN is 17 characters of A-Z (without I, O, Q) and 0-9');
        }
      },
    },
    {
      fields: ['year', 'odometer'],
      check: (env, rows) => {
        const maxYear = contextYear(env) + 1;
        for (const v of rows) {
          const year = Number(v.year ?? 0);
          if (year && !(year >= 1900 && year <= maxYear)) throw new ValidationError(`DRM_VALIDATION: the year must be between 1900 and ${maxYear}`);
          if (Number(v.odometer ?? 0) < 0) throw new ValidationError("DRM_VALIDATION: the odometer can't be negative");
        }
      },
    },
  ],
  hooks: {
    beforeCreate: (env, vals) => {
      cleanVals(vals);
      if (!vals.plate_no) throw new ValidationError('DRM_PLATE_INVALID: the plate is required');
      if (actorGuarded(env)) {
        const actor = getActor(env);
        if (actor.kind === 'customer') {
          if (!('partner_id' in vals)) vals.partner_id = actor.partner_id;
          if (vals.partner_id !== actor.partner_id) throw forbidden('a customer may only register their own vehicles');
          vals.ownership_state = 'unconfirmed';
          return;
        }
        if (actor.kind === 'system') throw forbidden('the system may not register vehicles');
        checkStaffRole(env, actor, 'advisor', 'register vehicles');
      }
      // staff (or Odoo's own screens) register the real owner's plate: it wins over a customer's unconfirmed one
      vals.ownership_state ??= 'confirmed';
      if (vals.ownership_state === 'confirmed') moveAside(env, cleanPlate(vals.plate_no), (vals.company_id as number | undefined) ?? env.companyId() ?? false, vals.partner_id);
    },
    beforeWrite: (env, rows, vals) => {
      cleanVals(vals);
      if (!actorGuarded(env)) return;
      const actor = getActor(env);
      if (actor.kind === 'customer') {
        const own = actor.partner_id;
        if (rows.some((v) => v.partner_id !== own)) throw forbidden('a customer may only change their own vehicles');
        if (('partner_id' in vals ? vals.partner_id : own) !== own || 'company_id' in vals) {
          throw forbidden('a customer may not give a vehicle away or move it to another shop');
        }
        if ('ownership_state' in vals) throw forbidden('only staff confirm who owns a vehicle');
      } else if (actor.kind === 'system') throw forbidden('the system may not change vehicles');
      else checkStaffRole(env, actor, 'advisor', 'change vehicles');
    },
    beforeUnlink: (env) => {
      if (!actorGuarded(env)) return;
      const actor = getActor(env);
      if (actor.kind !== 'staff') throw forbidden('only a manager may delete vehicles; archive them instead');
      checkStaffRole(env, actor, 'manager', 'delete vehicles');
    },
  },
  methods: {
    action_confirm_ownership: {
      api: 'records',
      params: [],
      fn: (env, _args, ids) => {
        if (actorGuarded(env)) {
          const actor = getActor(env);
          if (actor.kind !== 'staff') throw forbidden('only staff confirm who owns a vehicle');
          checkStaffRole(env, actor, 'advisor', 'confirm vehicle ownership');
        }
        const vehicles = env.model('drmoto.vehicle');
        const open = ids.filter((id) => vehicles.row(id)?.ownership_state !== 'confirmed');
        if (open.length) vehicles.write(open, { ownership_state: 'confirmed' });
        return { ids, ownership_state: 'confirmed' };
      },
    },
  },
  acl: {
    'drmoto_workshop.group_drmoto_user': 'r',
    'drmoto_workshop.group_drmoto_advisor': 'rwc',
    'drmoto_workshop.group_drmoto_manager': 'rwcu',
  },
  rules: [
    companyRule('Vehicle: multi-company'),
  ],
};
