import type { Principal } from '../domain/principal';
import { escapeLike, normalizePhone } from '../domain/normalize';
import { AppError } from '../errors';
import type { Customer, CustomerGateway, CustomerInput, Vehicle, VehicleGateway } from '../integrations/odoo/gateways';

export interface Page {
  page: number;
  limit: number;
}

export class CustomerService {
  constructor(
    private readonly customers: CustomerGateway,
    private readonly vehicles: VehicleGateway,
  ) {}

  /** Dedupe by phone: the existing customer comes back (created: false), never a second partner. */
  async upsert(input: CustomerInput & { name: string; phone: string }): Promise<{ customer: Customer; created: boolean }> {
    const phone = this.phone(input.phone);
    let result: { id: number; created: boolean };
    try {
      result = await this.customers.upsert({ ...input, phone });
    } catch (e) {
      // A concurrent twin won the partial unique constraint: its row is committed now, so ask again.
      if (e instanceof AppError && e.code === 'DRM_DUP_PHONE') result = await this.customers.upsert({ ...input, phone });
      else throw e;
    }
    return { customer: await this.mustGet(result.id), created: result.created };
  }

  async get(p: Principal, id: number): Promise<Customer> {
    this.assertCanSee(p, id);
    return this.mustGet(id);
  }

  async update(p: Principal, id: number, input: CustomerInput): Promise<Customer> {
    this.assertCanSee(p, id);
    await this.mustGet(id);
    const vals = { ...input };
    if (vals.phone !== undefined) vals.phone = this.phone(vals.phone);
    await this.customers.update(id, vals);
    return this.mustGet(id);
  }

  async search(q: string | undefined, page: Page): Promise<{ items: Customer[]; total: number; page: number; limit: number }> {
    const domain: unknown[] = [];
    if (q) {
      const digits = q.replace(/[^\d]/g, '');
      const term = escapeLike(q.trim());
      if (digits.length >= 3) domain.push('|', ['name', 'ilike', term], ['drmoto_phone_normalized', 'ilike', escapeLike(digits)]);
      else domain.push(['name', 'ilike', term]);
    }
    const r = await this.customers.search(domain, { offset: (page.page - 1) * page.limit, limit: page.limit, order: 'name asc, id asc' });
    return { ...r, page: page.page, limit: page.limit };
  }

  async vehiclesOf(p: Principal, id: number): Promise<Vehicle[]> {
    this.assertCanSee(p, id);
    await this.mustGet(id);
    return (await this.vehicles.search([['partner_id', '=', id]], { offset: 0, limit: 200, order: 'id asc' })).items;
  }

  private phone(raw: string): string {
    const n = normalizePhone(raw);
    if (!n) {
      throw new AppError('validation', 'The request body is invalid.', {
        errors: [{ path: 'body.phone', message: 'Not a mobile number (CN 11 digits, or international with +country code).', code: 'DRM_PHONE_INVALID' }],
      });
    }
    return n;
  }

  /** Customers see only themselves; someone else's id is "not found", not "forbidden" (no probing). */
  private assertCanSee(p: Principal, id: number): void {
    if (p.kind === 'customer' && p.partnerId !== id) throw new AppError('not_found', `Customer ${id} not found.`);
  }

  private async mustGet(id: number): Promise<Customer> {
    const c = await this.customers.get(id);
    if (!c) throw new AppError('not_found', `Customer ${id} not found.`);
    return c;
  }
}
