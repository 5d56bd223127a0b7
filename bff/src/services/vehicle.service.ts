import type { Principal } from '../domain/principal';
import { cleanVin, escapeLike, normalizePlate, normalizeVin, plateSearchTerm } from '../domain/normalize';
import { AppError } from '../errors';
import type { CustomerGateway, Vehicle, VehicleGateway, VehicleInput } from '../integrations/odoo/gateways';

export interface VehicleQuery {
  q?: string;
  plate?: string;
  vin?: string;
  phone?: string;
  customer_id?: number;
  page: number;
  limit: number;
}

export class VehicleService {
  constructor(
    private readonly vehicles: VehicleGateway,
    private readonly customers: CustomerGateway,
  ) {}

  async create(p: Principal, input: VehicleInput & { plate_no: string; customer_id?: number }): Promise<Vehicle> {
    const customerId = p.kind === 'customer' ? p.partnerId : input.customer_id;
    if (!customerId) {
      throw new AppError('validation', 'The request body is invalid.', { errors: [{ path: 'body.customer_id', message: 'Required for staff.' }] });
    }
    if (p.kind === 'customer' && input.customer_id !== undefined && input.customer_id !== p.partnerId) {
      throw new AppError('forbidden', 'Customers register vehicles for themselves only.');
    }
    if (!(await this.customers.get(customerId))) {
      throw new AppError('unprocessable', `Customer ${customerId} does not exist.`, { errors: [{ path: 'body.customer_id', message: 'Unknown customer.' }] });
    }
    const vals = this.checked({ ...input, customer_id: customerId });
    let id: number;
    try {
      id = await this.vehicles.create({ ...vals, customer_id: customerId, plate_no: input.plate_no });
    } catch (e) {
      throw await this.explainDuplicate(e, vals, p);
    }
    return this.mustGet(p, id);
  }

  async update(p: Principal, id: number, input: VehicleInput): Promise<Vehicle> {
    await this.mustGet(p, id);
    if (p.kind === 'customer' && input.customer_id !== undefined && input.customer_id !== p.partnerId) {
      throw new AppError('forbidden', 'Customers cannot hand a vehicle to someone else.');
    }
    if (input.customer_id !== undefined && !(await this.customers.get(input.customer_id))) {
      throw new AppError('unprocessable', `Customer ${input.customer_id} does not exist.`, { errors: [{ path: 'body.customer_id', message: 'Unknown customer.' }] });
    }
    const vals = this.checked(input);
    try {
      await this.vehicles.update(id, vals);
    } catch (e) {
      throw await this.explainDuplicate(e, vals, p);
    }
    return this.mustGet(p, id);
  }

  async get(p: Principal, id: number): Promise<Vehicle> {
    return this.mustGet(p, id);
  }

  /** Staff search by plate / VIN / phone (partial, case-insensitive); customers list their own. */
  async search(p: Principal, query: VehicleQuery): Promise<{ items: Vehicle[]; total: number; page: number; limit: number }> {
    const domain: unknown[] = [];
    if (p.kind === 'customer') domain.push(['partner_id', '=', p.partnerId]);
    else if (query.customer_id) domain.push(['partner_id', '=', query.customer_id]);
    // `ilike ''` matches everything in Odoo: a term that cleans down to nothing must match nothing.
    const none = { items: [], total: 0, page: query.page, limit: query.limit };
    if (query.plate !== undefined) {
      const term = plateSearchTerm(query.plate);
      if (!term) return none;
      domain.push(['plate_normalized', 'ilike', escapeLike(term)]);
    }
    if (query.vin !== undefined) {
      const term = cleanVin(query.vin);
      if (!term) return none;
      domain.push(['vin', 'ilike', escapeLike(term)]);
    }
    if (query.phone !== undefined) {
      const digits = query.phone.replace(/[^0-9]/g, '');
      if (!digits) return none;
      domain.push(['partner_id.drmoto_phone_normalized', 'ilike', escapeLike(digits)]);
    }
    if (query.q !== undefined) {
      const plate = plateSearchTerm(query.q);
      const vin = cleanVin(query.q);
      const digits = query.q.replace(/[^0-9]/g, '');
      const ors: unknown[][] = [];
      if (plate) ors.push(['plate_normalized', 'ilike', escapeLike(plate)]);
      if (vin) ors.push(['vin', 'ilike', escapeLike(vin)]);
      if (digits.length >= 3) ors.push(['partner_id.drmoto_phone_normalized', 'ilike', escapeLike(digits)]);
      if (ors.length === 0) return none;
      domain.push(...Array(ors.length - 1).fill('|'), ...ors);
    }
    const r = await this.vehicles.search(domain, { offset: (query.page - 1) * query.limit, limit: query.limit, order: 'plate_normalized asc, id asc' });
    return { ...r, page: query.page, limit: query.limit };
  }

  private checked(input: VehicleInput): VehicleInput {
    const errors: { path: string; message: string; code?: string }[] = [];
    if (input.plate_no !== undefined && !normalizePlate(input.plate_no)) {
      errors.push({ path: 'body.plate_no', message: 'A plate is 2–12 characters: Chinese, A–Z, 0–9 (separators like · - are ignored).', code: 'DRM_PLATE_INVALID' });
    }
    let vin = input.vin;
    if (vin !== undefined && vin !== null) {
      const n = normalizeVin(vin);
      if (!n) errors.push({ path: 'body.vin', message: 'A VIN is 17 characters of A–Z (no I, O, Q) and 0–9.', code: 'DRM_VIN_INVALID' });
      else vin = n;
    }
    if (errors.length) throw new AppError('validation', 'The request body is invalid.', { errors });
    return { ...input, vin };
  }

  /** Odoo's unique constraint says "duplicate"; the client needs to know which vehicle already has it. */
  private async explainDuplicate(e: unknown, vals: VehicleInput, p: Principal): Promise<unknown> {
    if (!(e instanceof AppError)) return e;
    if (e.code === 'DRM_DUP_PLATE' && vals.plate_no) {
      const existing = await this.vehicles.findByPlate(normalizePlate(vals.plate_no) ?? vals.plate_no, p.kind === 'staff' ? p.companyId || undefined : undefined);
      return new AppError('conflict', `Plate ${existing?.plate_no ?? vals.plate_no} is already registered${existing ? ` as vehicle ${existing.id}` : ''}.`, {
        code: 'DRM_DUP_PLATE',
        details: existing ? { existing_vehicle: this.exposeExisting(existing, p) } : undefined,
      });
    }
    if (e.code === 'DRM_DUP_VIN' && vals.vin) {
      const existing = await this.vehicles.findByVin(vals.vin);
      return new AppError('conflict', `VIN ${vals.vin} is already registered${existing ? ` as vehicle ${existing.id}` : ''}.`, {
        code: 'DRM_DUP_VIN',
        details: existing ? { existing_vehicle: this.exposeExisting(existing, p) } : undefined,
      });
    }
    return e;
  }

  /** Staff learn who owns the plate; a customer only learns it exists (no leaking other people's data). */
  private exposeExisting(v: Vehicle, p: Principal): Record<string, unknown> {
    if (p.kind === 'staff') return { id: v.id, plate_no: v.plate_no, customer_id: v.customer_id, customer_name: v.customer_name };
    return p.kind === 'customer' && v.customer_id === p.partnerId ? { id: v.id, plate_no: v.plate_no } : { plate_no: v.plate_no };
  }

  private async mustGet(p: Principal, id: number): Promise<Vehicle> {
    const v = await this.vehicles.get(id);
    if (!v || (p.kind === 'customer' && v.customer_id !== p.partnerId)) throw new AppError('not_found', `Vehicle ${id} not found.`);
    return v;
  }
}
