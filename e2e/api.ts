/** Direct BFF calls for test setup and final checks (the browser does the journey itself). */
export interface Tokens {
  access_token: string;
  refresh_token: string;
  user: Record<string, unknown>;
}

export interface CatalogItem {
  id: number;
  code: string | null;
  name: string;
  kind: 'labor' | 'part';
  unit_price: number;
  free_qty: number | null;
}

export class Bff {
  constructor(readonly url: string) {}

  async req(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}/api/v1${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }

  async ok(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<any> {
    const r = await this.req(method, path, opts);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** The seeded labor hour and front brake pads, from the demo's catalogue (ids and list prices of the Odoo mock). */
  async catalog(): Promise<{ labor: CatalogItem; pads: CatalogItem }> {
    const { items } = (await (await fetch(`${this.url}/demo/mock/catalog`)).json()) as { items: CatalogItem[] };
    const labor = items.find((i) => i.code === 'LAB-H');
    const pads = items.find((i) => i.code === 'BP-F01');
    if (!labor || !pads) throw new Error('the seeded catalogue has no LAB-H / BP-F01');
    return { labor, pads };
  }

  async staff(login: string): Promise<string> {
    return ((await this.ok('POST', '/auth/staff/login', { body: { login, password: 'demo' } })) as Tokens).access_token;
  }

  /** A new customer with a bound phone (the page's sessionStorage entry is `{access, refresh, user}`). */
  async customer(tag: string): Promise<Tokens> {
    const login = (await this.ok('POST', '/auth/wechat/login', { body: { code: `user-${tag}` } })) as Tokens;
    return (await this.ok('POST', '/auth/wechat/phone', { token: login.access_token, body: { code: `phone-${uniquePhone()}`, name: `Rider ${tag}` } })) as Tokens;
  }

  /** customer request → advisor check-in, diagnosis, quote v1 (1 h labor + 1 brake pads) sent. */
  async quoted(tag: string): Promise<{ woId: number; customer: Tokens; plate: string }> {
    const customer = await this.customer(tag);
    const plate = uniquePlate();
    const v = await this.ok('POST', '/vehicles', { token: customer.access_token, body: { plate_no: plate, brand: 'Honda' } });
    const wo = await this.ok('POST', '/work-orders', { token: customer.access_token, body: { vehicle_id: v.id, symptom: 'brakes squeak' } });
    const advisor = await this.staff('advisor');
    const { labor, pads } = await this.catalog();
    await this.ok('POST', `/work-orders/${wo.id}/transitions`, { token: advisor, body: { action: 'checkin' } });
    await this.ok('POST', `/work-orders/${wo.id}/transitions`, { token: advisor, body: { action: 'start_diagnosis' } });
    const q = await this.ok('POST', `/work-orders/${wo.id}/quotes`, {
      token: advisor,
      body: {
        lines: [
          { kind: 'labor', product_id: labor.id, description: 'Labor', qty: 1, unit_price: labor.unit_price },
          { kind: 'part', product_id: pads.id, description: pads.name, qty: 1, unit_price: pads.unit_price },
        ],
      },
    });
    await this.ok('POST', `/work-orders/${wo.id}/quotes/${q.quote_version}/send`, { token: advisor });
    return { woId: wo.id, customer, plate };
  }

  /** … then confirmed by the customer, repair started and the parts requested by the technician. */
  async partsRequested(tag: string): Promise<{ woId: number; customer: Tokens }> {
    const { woId, customer } = await this.quoted(tag);
    await this.ok('POST', `/work-orders/${woId}/quotes/1/confirm`, { token: customer.access_token });
    const tech = await this.staff('technician');
    await this.ok('POST', `/work-orders/${woId}/transitions`, { token: tech, body: { action: 'start_repair' } });
    const { pads } = await this.catalog();
    await this.ok('POST', `/work-orders/${woId}/parts/requests`, { token: tech, body: { lines: [{ product_id: pads.id, qty: 1 }] } });
    return { woId, customer };
  }

  /** … then the parts issued by the keeper and the repair marked ready: a walk-in shop's customer pays now. */
  async readyForPickup(tag: string): Promise<{ woId: number; customer: Tokens }> {
    const { woId, customer } = await this.partsRequested(tag);
    const { pads } = await this.catalog();
    await this.ok('POST', `/work-orders/${woId}/parts/issue`, { token: await this.staff('keeper'), headers: { 'Idempotency-Key': `issue-${woId}-${Date.now()}` }, body: { lines: [{ product_id: pads.id, qty: 1 }] } });
    await this.ok('POST', `/work-orders/${woId}/transitions`, { token: await this.staff('technician'), body: { action: 'mark_ready' } });
    return { woId, customer };
  }
}

let seq = 0;
/** Unique within a run and across runs on the same mock (time + counter). */
export function uniquePhone(): string {
  seq += 1;
  return `139${String((Date.now() / 1000) % 1e5 | 0).padStart(5, '0')}${String(seq % 1000).padStart(3, '0')}`;
}
export function uniquePlate(): string {
  seq += 1;
  return `粤E·${String((Date.now() + seq) % 1e5).padStart(5, '0')}`;
}

export const CUSTOMER_SESSION_KEY = 'drmoto.demo.customer';
export const STAFF_SESSION_KEY = 'drmoto.demo.staff';
export const asSession = (t: Tokens) => ({ access: t.access_token, refresh: t.refresh_token, user: t.user });
