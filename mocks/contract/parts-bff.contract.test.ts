import { OdooClient } from '../../bff/src/integrations/odoo/client';
import { createLogger } from '../../bff/src/logger';
import { startHarness, type Harness } from '../../bff/test/harness';
import { productDomain, unique } from './target';

/**
 * PRD INV-001 through the whole stack: 50 concurrent identical issue requests (same Idempotency-Key)
 * → exactly one posted picking, and every answer is the original result, its replay, or a 409 while
 * the first was in flight. Against the Odoo mock or a real Odoo (ODOO_URL); on PostgreSQL when
 * DATABASE_URL is set (CI) — PGlite is one connection, so the race is only claimed on PostgreSQL.
 */
describe(`50 concurrent identical part issues (store: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let h: Harness;
  let tokens: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness({
      databaseUrl: process.env.DATABASE_URL,
      realOdoo: process.env.ODOO_URL
        ? { url: process.env.ODOO_URL, db: process.env.ODOO_DB ?? 'drmoto', user: process.env.ODOO_USER ?? 'bff', password: process.env.ODOO_PASSWORD ?? 'bff' }
        : undefined,
    });
    tokens = {};
    for (const l of ['advisor', 'technician', 'keeper']) tokens[l] = await h.staffToken(l);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('posts exactly one picking', async () => {
    const { advisor, technician, keeper } = tokens as Record<'advisor' | 'technician' | 'keeper', string>;
    const c = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'INV-001 ' + unique.tag(), phone: unique.phone() } });
    const v = await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: c.body.id, plate_no: unique.plate() } });
    const wo = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: c.body.id, vehicle_id: v.body.id, checkin: true } });
    const id = wo.body.id as number;
    await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: technician, body: { action: 'start_diagnosis' } });
    const prod = await findStockedProduct(h);
    await h.req('POST', `/api/v1/work-orders/${id}/quotes`, { token: advisor, body: { lines: [{ kind: 'part', product_id: prod, description: 'part', qty: 1, unit_price: 100 }] } });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/send`, { token: advisor });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/confirm`, { token: advisor });
    await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: technician, body: { action: 'start_repair' } });

    const key = 'inv001-' + unique.tag();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => h.req('POST', `/api/v1/work-orders/${id}/parts/issue`, { token: keeper, body: { lines: [{ product_id: prod, qty: 1 }] }, headers: { 'idempotency-key': key } })),
    );
    const created = answers.filter((a) => a.status === 201);
    const inFlight = answers.filter((a) => a.status === 409 && a.body?.code === 'IDEMPOTENCY_KEY_IN_FLIGHT');
    expect(created.length + inFlight.length).toBe(50);
    const pickingIds = new Set(created.map((a) => a.body.picking.id));
    expect(pickingIds.size).toBe(1);
    const originals = created.filter((a) => a.headers.get('idempotent-replayed') !== 'true');
    expect(originals).toHaveLength(1);
    for (const a of created) expect(a.body).toEqual(originals[0]!.body);

    const view = await h.req('GET', `/api/v1/work-orders/${id}/parts`, { token: advisor });
    expect(view.body.pickings.filter((p: { kind: string }) => p.kind === 'issue')).toHaveLength(1);
    const row = view.body.items.find((i: { product: { id: number } }) => i.product.id === prod);
    expect(row.issued).toBe(1);
  });
});

/** The first storable product the BFF's own parts flow can issue (the seed's, or the real Odoo's setup script's). */
async function findStockedProduct(h: Harness): Promise<number> {
  const c = h.config.odoo;
  const odoo = new OdooClient(c, createLogger({ silent: true }));
  try {
    const rows = await odoo.searchRead<{ id: number; free_qty: number }>('product.product', await productDomain(odoo, 'storable'), ['free_qty'], { order: 'id asc' });
    const p = rows.find((r) => r.free_qty >= 5);
    if (!p) throw new Error('no storable product with stock: run scripts/odoo-setup-users.py on the real Odoo');
    return p.id;
  } finally {
    odoo.close();
  }
}
