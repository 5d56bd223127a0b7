import { startHarness, expectProblem, type Harness } from './harness';

describe('parts API', () => {
  let h: Harness;
  let advisor: string;
  let technician: string;
  let keeper: string;
  let product: { id: number; free: () => number };

  beforeAll(async () => {
    h = await startHarness();
    [advisor, technician, keeper] = (await Promise.all(['advisor', 'technician', 'keeper'].map((l) => h.staffToken(l)))) as [string, string, string];
    const env = h.odoo.orm.sudo();
    const id = env.model('product.product').search([['detailed_type', '=', 'product']], { limit: 1 })[0] as number;
    product = { id, free: () => (env.model('product.product').read([id], ['free_qty'])[0] as { free_qty: number }).free_qty };
  });
  afterAll(async () => {
    await h.close();
  });

  let n = 0;
  async function workOrderInProgress(): Promise<number> {
    n++;
    const c = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: `Parts ${n}`, phone: `1360000${String(1000 + n)}` } });
    const v = await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: c.body.id, plate_no: `粤P${String(20000 + n)}` } });
    const wo = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: c.body.id, vehicle_id: v.body.id, checkin: true } });
    const id = wo.body.id as number;
    await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: technician, body: { action: 'start_diagnosis' } });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes`, { token: advisor, body: { lines: [{ kind: 'part', product_id: product.id, description: 'pads', qty: 2, unit_price: 10000 }] } });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/send`, { token: advisor });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/confirm`, { token: advisor });
    const r = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: technician, body: { action: 'start_repair' } });
    expect(r.body.status).toBe('in_progress');
    return id;
  }

  const post = (id: number, kind: string, lines: unknown, key?: string, token = keeper) =>
    h.req('POST', `/api/v1/work-orders/${id}/parts/${kind}`, { token, body: { lines }, headers: key ? { 'idempotency-key': key } : {} });

  it('request → issue → return, with stock moving in Odoo', async () => {
    const id = await workOrderInProgress();
    const req = await h.req('POST', `/api/v1/work-orders/${id}/parts/requests`, { token: technician, body: { lines: [{ product_id: product.id, qty: 2 }] } });
    expect(req.status).toBe(200);
    expect(req.body.items[0]).toEqual(expect.objectContaining({ planned: 2, requested: 2, issued: 0 }));
    const before = product.free();
    const issued = await post(id, 'issue', [{ product_id: product.id, qty: 2 }], 'issue-key-0001');
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual(expect.objectContaining({ picking: expect.objectContaining({ state: 'done' }), replayed: false }));
    expect(product.free()).toBe(before - 2);
    const back = await post(id, 'return', [{ product_id: product.id, qty: 1 }], 'return-key-0001');
    expect(back.status).toBe(201);
    expect(product.free()).toBe(before - 1);
    const view = await h.req('GET', `/api/v1/work-orders/${id}/parts`, { token: advisor });
    expect(view.body.items[0]).toEqual(expect.objectContaining({ issued: 2, returned: 1, net: 1 }));
    expect(view.body.pickings.map((p: { kind: string; state: string }) => `${p.kind}:${p.state}`)).toEqual(['issue:done', 'return:done']);
  });

  it('the same Idempotency-Key replays; another body is 422; with the BFF keys wiped Odoo still posts nothing twice', async () => {
    const id = await workOrderInProgress();
    const before = product.free();
    const a = await post(id, 'issue', [{ product_id: product.id, qty: 1 }], 'issue-twice-0001');
    const b = await post(id, 'issue', [{ product_id: product.id, qty: 1 }], 'issue-twice-0001');
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body).toEqual(a.body);
    expectProblem(await post(id, 'issue', [{ product_id: product.id, qty: 2 }], 'issue-twice-0001'), 422, 'IDEMPOTENCY_KEY_REUSED');
    // defence in depth: the BFF store forgets the key, the Odoo-side key still holds
    await h.bff.container.db.query('DELETE FROM idempotency_keys');
    const c = await post(id, 'issue', [{ product_id: product.id, qty: 1 }], 'issue-twice-0001');
    expect(c.status).toBe(201);
    expect(c.body.replayed).toBe(true);
    expect(c.body.picking.id).toBe(a.body.picking.id);
    expect(product.free()).toBe(before - 1);
    const view = await h.req('GET', `/api/v1/work-orders/${id}/parts`, { token: advisor });
    expect(view.body.pickings).toHaveLength(1);
  });

  it('guards: no key → 400; over-return and no stock → 409; wrong role → 403; closed/cancelled work orders refuse', async () => {
    const id = await workOrderInProgress();
    expectProblem(await post(id, 'issue', [{ product_id: product.id, qty: 1 }]), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    expectProblem(await post(id, 'return', [{ product_id: product.id, qty: 1 }], 'over-return-0001'), 409, 'DRM_OVER_RETURN');
    const tooMany = await post(id, 'issue', [{ product_id: product.id, qty: 100_000 }], 'no-stock-00001');
    expectProblem(tooMany, 409, 'DRM_NO_STOCK');
    expect(tooMany.body.detail).toMatch(/available/);
    expectProblem(await post(id, 'issue', [{ product_id: product.id, qty: 1 }], 'tech-issue-0001', technician), 403);
    expectProblem(await post(id, 'issue', [{ product_id: product.id, qty: 0 }], 'zero-qty-00001'), 400);
    expectProblem(await post(id, 'issue', [], 'empty-lines-001'), 400);
    const view = await h.req('GET', `/api/v1/work-orders/${id}/parts`, { token: advisor });
    expect(view.body.pickings).toHaveLength(0);
  });

  it('cancel is refused while parts are issued; after returning them it cancels', async () => {
    const id = await workOrderInProgress();
    await post(id, 'issue', [{ product_id: product.id, qty: 2 }], 'cancel-guard-01');
    const refused = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: advisor, body: { action: 'cancel', reason: 'customer left' } });
    expectProblem(refused, 409, 'DRM_HAS_PARTS');
    await post(id, 'return', [{ product_id: product.id, qty: 2 }], 'cancel-guard-02');
    const ok = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: advisor, body: { action: 'cancel', reason: 'customer left' } });
    expect(ok.body.status).toBe('cancelled');
    expectProblem(await post(id, 'issue', [{ product_id: product.id, qty: 1 }], 'after-cancel-01'), 409, 'DRM_WO_STATE');
  });
});
