import type { OdooClient } from './client';
import { int, m2oId, m2oName, str, toOdoo, utc } from './shapes';

export interface Customer {
  id: number;
  name: string;
  phone: string | null;
  phone_normalized: string | null;
  email: string | null;
  street: string | null;
  city: string | null;
  note: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface Vehicle {
  id: number;
  plate_no: string;
  plate_normalized: string;
  vin: string | null;
  brand: string | null;
  model: string | null;
  year: number | null;
  odometer_km: number | null;
  customer_id: number;
  customer_name: string | null;
  shop_id: number | null;
  created_at: string | null;
  updated_at: string | null;
  /** `unconfirmed`: registered by a customer and not yet checked by staff (staff registering the plate for its owner wins). */
  ownership: 'unconfirmed' | 'confirmed';
}

export interface StaffProfile {
  uid: number;
  name: string;
  login: string;
  partner_id: number;
  company_id: number;
  company_ids: number[];
  roles: string[];
}

const PARTNER_FIELDS = ['id', 'name', 'phone', 'drmoto_phone_normalized', 'email', 'street', 'city', 'comment', 'create_date', 'write_date'];
const VEHICLE_FIELDS = ['id', 'plate_no', 'plate_normalized', 'vin', 'brand', 'vehicle_model', 'year', 'odometer', 'partner_id', 'company_id', 'create_date', 'write_date', 'ownership_state'];

function toCustomer(r: Record<string, unknown>): Customer {
  return {
    id: r.id as number,
    name: str(r.name) ?? '',
    phone: str(r.phone),
    phone_normalized: str(r.drmoto_phone_normalized),
    email: str(r.email),
    street: str(r.street),
    city: str(r.city),
    // Odoo's comment is an HTML field; the API speaks plain text.
    note: str(r.comment) === null ? null : htmlToText(String(r.comment)),
    created_at: utc(r.create_date),
    updated_at: utc(r.write_date),
  };
}

function htmlToText(s: string): string | null {
  const t = s.replace(/<br\s*\/?>/gi, '\n').replace(/<\/p>\s*<p>/gi, '\n').replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim();
  return t === '' ? null : t;
}

function toVehicle(r: Record<string, unknown>): Vehicle {
  return {
    id: r.id as number,
    plate_no: str(r.plate_no) ?? '',
    plate_normalized: str(r.plate_normalized) ?? '',
    vin: str(r.vin),
    brand: str(r.brand),
    model: str(r.vehicle_model),
    year: int(r.year) || null,
    odometer_km: int(r.odometer),
    customer_id: m2oId(r.partner_id) ?? 0,
    customer_name: m2oName(r.partner_id),
    shop_id: m2oId(r.company_id),
    created_at: utc(r.create_date),
    updated_at: utc(r.write_date),
    ownership: r.ownership_state === 'unconfirmed' ? 'unconfirmed' : 'confirmed',
  };
}

export interface CustomerInput {
  name?: string;
  phone?: string;
  email?: string | null;
  street?: string | null;
  city?: string | null;
  note?: string | null;
}

function customerVals(v: CustomerInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (v.name !== undefined) out.name = v.name;
  if (v.phone !== undefined) out.phone = v.phone;
  if (v.email !== undefined) out.email = toOdoo(v.email);
  if (v.street !== undefined) out.street = toOdoo(v.street);
  if (v.city !== undefined) out.city = toOdoo(v.city);
  if (v.note !== undefined) out.comment = toOdoo(v.note);
  return out;
}

export class CustomerGateway {
  constructor(private readonly odoo: OdooClient) {}

  /** One call: find the active customer by normalized phone or create one (DESIGN §4: one person, one partner). */
  async upsert(v: CustomerInput & { name: string; phone: string }): Promise<{ id: number; created: boolean }> {
    return this.odoo.execute<{ id: number; created: boolean }>('res.partner', 'drmoto_upsert_customer', [customerVals(v)]);
  }

  async get(id: number): Promise<Customer | null> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('res.partner', [['id', '=', id], ['drmoto_is_customer', '=', true]], PARTNER_FIELDS);
    return rows[0] ? toCustomer(rows[0]) : null;
  }

  async update(id: number, v: CustomerInput): Promise<void> {
    await this.odoo.execute('res.partner', 'write', [[id], customerVals(v)]);
  }

  async search(domain: unknown[], page: { offset: number; limit: number; order: string }): Promise<{ items: Customer[]; total: number }> {
    const full = [['drmoto_is_customer', '=', true], ...domain];
    const { rows, total } = await this.odoo.searchPage<Record<string, unknown>>('res.partner', full, PARTNER_FIELDS, page);
    return { items: rows.map(toCustomer), total };
  }
}

export interface VehicleInput {
  customer_id?: number;
  plate_no?: string;
  vin?: string | null;
  brand?: string | null;
  model?: string | null;
  year?: number | null;
  odometer_km?: number | null;
}

function vehicleVals(v: VehicleInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (v.customer_id !== undefined) out.partner_id = v.customer_id;
  if (v.plate_no !== undefined) out.plate_no = v.plate_no;
  if (v.vin !== undefined) out.vin = toOdoo(v.vin);
  if (v.brand !== undefined) out.brand = toOdoo(v.brand);
  if (v.model !== undefined) out.vehicle_model = toOdoo(v.model);
  if (v.year !== undefined) out.year = v.year ?? 0;
  if (v.odometer_km !== undefined) out.odometer = v.odometer_km ?? 0;
  return out;
}

export class VehicleGateway {
  constructor(private readonly odoo: OdooClient) {}

  async create(v: VehicleInput & { customer_id: number; plate_no: string }): Promise<number> {
    return this.odoo.execute<number>('drmoto.vehicle', 'create', [vehicleVals(v)]);
  }

  async update(id: number, v: VehicleInput): Promise<void> {
    await this.odoo.execute('drmoto.vehicle', 'write', [[id], vehicleVals(v)]);
  }

  async get(id: number): Promise<Vehicle | null> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.vehicle', [['id', '=', id]], VEHICLE_FIELDS);
    return rows[0] ? toVehicle(rows[0]) : null;
  }

  /** The active registration of a plate (plates are unique among active vehicles: one moved aside is archived). */
  async findByPlate(plateNormalized: string, companyId?: number): Promise<Vehicle | null> {
    const domain: unknown[] = [['plate_normalized', '=', plateNormalized]];
    if (companyId) domain.push(['company_id', '=', companyId]);
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.vehicle', domain, VEHICLE_FIELDS, { limit: 1 });
    return rows[0] ? toVehicle(rows[0]) : null;
  }

  /** Staff have seen the papers: the registration is the owner's. */
  async confirmOwnership(id: number): Promise<void> {
    await this.odoo.execute('drmoto.vehicle', 'action_confirm_ownership', [[id]]);
  }

  async findByVin(vin: string): Promise<Vehicle | null> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.vehicle', [['vin', '=', vin]], VEHICLE_FIELDS, { limit: 1, context: { active_test: false } });
    return rows[0] ? toVehicle(rows[0]) : null;
  }

  async search(domain: unknown[], page: { offset: number; limit: number; order: string }): Promise<{ items: Vehicle[]; total: number }> {
    const { rows, total } = await this.odoo.searchPage<Record<string, unknown>>('drmoto.vehicle', domain, VEHICLE_FIELDS, page);
    return { items: rows.map(toVehicle), total };
  }
}

export class IdentityGateway {
  constructor(private readonly odoo: OdooClient) {}

  login(appId: string, openid: string, unionid?: string): Promise<{ identity_id: number; partner_id: number | false }> {
    return this.odoo.execute('drmoto.wechat.identity', 'drmoto_login', [appId, openid, unionid ?? false], {}, { actor: { kind: 'system' } });
  }

  bindPhone(appId: string, openid: string, phone: string, name?: string): Promise<{ identity_id: number; partner_id: number; created: boolean }> {
    return this.odoo.execute('drmoto.wechat.identity', 'drmoto_bind_phone', [appId, openid, phone, name ?? false], {}, { actor: { kind: 'system' } });
  }

  async openidOf(identityId: number): Promise<{ app_id: string; openid: string; partner_id: number | null } | null> {
    const rows = await this.odoo.searchRead<Record<string, unknown>>('drmoto.wechat.identity', [['id', '=', identityId]], ['app_id', 'openid', 'partner_id']);
    const r = rows[0];
    return r ? { app_id: String(r.app_id), openid: String(r.openid), partner_id: m2oId(r.partner_id) } : null;
  }
}

export class StaffGateway {
  constructor(private readonly odoo: OdooClient) {}

  authenticate(login: string, password: string, clientIp?: string): Promise<number | null> {
    return this.odoo.authenticateUser(login, password, clientIp);
  }

  profile(uid: number): Promise<StaffProfile> {
    return this.odoo.execute<StaffProfile>('res.users', 'drmoto_staff_profile', [uid], {}, { idempotent: true, actor: { kind: 'system' } });
  }
}
