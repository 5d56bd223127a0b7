import { startHarness, expectProblem, type Harness } from './harness';

describe('work orders API', () => {
  let h: Harness;
  let advisor: string;
  let technician: string;
  let cashier: string;
  let manager: string;
  let productId: number;

  beforeAll(async () => {
    h = await startHarness();
    [advisor, technician, cashier, manager] = (await Promise.all(['advisor', 'technician', 'cashier', 'manager'].map((l) => h.staffToken(l)))) as [string, string, string, string];
    const env = h.odoo.orm.sudo();
    productId = env.model('product.product').search([['detailed_type', '=', 'product']], { limit: 1 })[0] as number;
  });
  afterAll(async () => {
    await h.close();
  });

  let n = 0;
  /** A customer (logged in through WeChat, phone bound) with a vehicle. */
  async function customer(): Promise<{ token: string; id: number; vehicleId: number }> {
    n++;
    const phone = `1370000${String(1000 + n).padStart(4, '0')}`;
    const me = await h.customerLogin(`wo-cust-${n}`, `phone-${phone}`);
    const v = await h.req('POST', '/api/v1/vehicles', { token: me.access_token, body: { plate_no: `粤W${String(10000 + n)}` } });
    expect(v.status).toBe(201);
    return { token: me.access_token, id: me.user.customer_id as number, vehicleId: v.body.id };
  }

  async function move(id: number, token: string, action: string, etag: string, extra: Record<string, unknown> = {}) {
    return h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token, body: { action, ...extra }, headers: { 'if-match': etag } });
  }

  it('the whole journey: customer request → advisor quote → customer confirms → repair → deliver', async () => {
    const c = await customer();
    // customer opens a service request (draft)
    const created = await h.req('POST', '/api/v1/work-orders', { token: c.token, body: { vehicle_id: c.vehicleId, symptom: '刹车异响 brake noise' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(expect.objectContaining({ status: 'draft', number: expect.stringMatching(/^WO\/\d{4}\/\d{5}$/), shop_id: expect.any(Number) }));
    const id = created.body.id;
    let etag = created.headers.get('etag')!;
    expect(etag).toBe(`"${created.body.revision}"`);

    for (const [token, action] of [[advisor, 'checkin'], [technician, 'start_diagnosis']] as const) {
      const r = await move(id, token, action, etag);
      expect(r.status).toBe(200);
      etag = r.headers.get('etag')!;
    }
    const diag = await h.req('POST', `/api/v1/work-orders/${id}/diagnosis`, { token: technician, body: { text: 'Front pads worn' }, headers: { 'if-match': etag } });
    expect(diag.status).toBe(200);
    etag = diag.headers.get('etag')!;

    const q = await h.req('POST', `/api/v1/work-orders/${id}/quotes`, {
      token: advisor,
      headers: { 'if-match': etag },
      body: { lines: [{ kind: 'labor', description: 'Replace pads', qty: 1, unit_price: 20000 }, { kind: 'part', product_id: productId, description: 'Brake pads', qty: 2, unit_price: 15050 }] },
    });
    expect(q.status).toBe(201);
    expect(q.body.quote_version).toBe(1);
    etag = q.headers.get('etag')!;
    const sent = await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/send`, { token: advisor, headers: { 'if-match': etag } });
    expect(sent.body.status).toBe('quoted');

    // the customer sees the quote with lines, taxes and totals in minor units
    const quotes = await h.req('GET', `/api/v1/work-orders/${id}/quotes`, { token: c.token });
    const v1 = quotes.body.items[0];
    expect(v1.status).toBe('sent');
    expect(v1.total).toEqual({ amount: expect.any(Number), currency: expect.any(String) });
    expect(v1.lines.map((l: { unit_price: number }) => l.unit_price)).toEqual([20000, 15050]);
    expect(v1.untaxed.amount + v1.tax.amount).toBe(v1.total.amount);
    expect(v1.lines.reduce((a: number, l: { total: number }) => a + l.total, 0)).toBe(v1.total.amount);

    const conf = await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/confirm`, { token: c.token });
    expect(conf.status).toBe(200);
    etag = conf.headers.get('etag')!;

    const detail = await h.req('GET', `/api/v1/work-orders/${id}`, { token: c.token });
    expect(detail.body.amounts.due).toBe(v1.total.amount);
    expect(detail.body.confirmed_quote_version).toBe(1);
    expect(detail.body.planned_parts).toEqual([expect.objectContaining({ product: expect.objectContaining({ id: productId }), qty: 2 })]);

    for (const [token, action] of [[technician, 'start_repair'], [technician, 'mark_ready']] as const) {
      const r = await move(id, token, action, etag);
      expect(r.status).toBe(200);
      etag = r.headers.get('etag')!;
    }
    // money is owing: plain deliver is refused, a manager override delivers but close refuses (not settled)
    expectProblem(await move(id, advisor, 'deliver', etag), 409, 'DRM_MONEY_OWING');
    expectProblem(await move(id, advisor, 'deliver', etag, { override: true }), 403);
    const delivered = await move(id, manager, 'deliver', etag, { override: true, note: 'pays tomorrow' });
    expect(delivered.body).toEqual(expect.objectContaining({ status: 'delivered', closed: false }));
    etag = delivered.headers.get('etag')!;
    const close = await move(id, cashier, 'close', etag);
    expectProblem(close, 409, 'DRM_NOT_SETTLED');
    expect(close.body.reason).toEqual(expect.any(String));

    // the timeline shows every step with who and when
    const final = await h.req('GET', `/api/v1/work-orders/${id}`, { token: advisor });
    const steps = final.body.timeline.map((t: { to: string | null; event: string }) => `${t.event}:${t.to}`);
    expect(steps).toEqual(expect.arrayContaining(['open:draft', 'transition:checkin', 'transition:diagnosing', 'diagnosis:diagnosing', 'quote_created:diagnosing', 'quote_sent:quoted', 'quote_confirmed:quoted', 'transition:in_progress', 'transition:ready', 'transition:delivered']));
    for (const t of final.body.timeline) expect(t.at).toMatch(/Z$/);
    expect(final.body.timeline.find((t: { to: string }) => t.to === 'checkin').actor.user.id).toEqual(expect.any(Number));
  });

  it('illegal transition → 409 naming the state; stale If-Match → 412; wrong role → 403; bad If-Match → 400', async () => {
    const c = await customer();
    const wo = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: c.id, vehicle_id: c.vehicleId } });
    const etag = wo.headers.get('etag')!;
    const illegal = await move(wo.body.id, technician, 'mark_ready', etag);
    expectProblem(illegal, 409, 'DRM_WO_STATE');
    expect(illegal.body.detail).toContain('draft');
    expectProblem(await move(wo.body.id, advisor, 'checkin', '"999"'), 412, 'DRM_STALE');
    // "0" is a revision no work order has (they start at 1), not "no precondition"
    expectProblem(await move(wo.body.id, advisor, 'checkin', '"0"'), 412, 'DRM_STALE');
    expectProblem(await move(wo.body.id, technician, 'checkin', etag), 403);
    expectProblem(await move(wo.body.id, advisor, 'checkin', 'abc'), 400);
    expectProblem(await move(wo.body.id, advisor, 'fly', etag), 400);
    expectProblem(await move(wo.body.id, advisor, 'cancel', etag), 400);
    expect((await move(wo.body.id, advisor, 'checkin', etag)).status).toBe(200);
  });

  it('the same Idempotency-Key on a transition replays the first result', async () => {
    const c = await customer();
    const wo = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: c.id, vehicle_id: c.vehicleId } });
    const headers = { 'if-match': wo.headers.get('etag')!, 'idempotency-key': 'checkin-once-1234' };
    const a = await h.req('POST', `/api/v1/work-orders/${wo.body.id}/transitions`, { token: advisor, body: { action: 'checkin' }, headers });
    const b = await h.req('POST', `/api/v1/work-orders/${wo.body.id}/transitions`, { token: advisor, body: { action: 'checkin' }, headers });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.revision).toBe(a.body.revision);
    const d = await h.req('GET', `/api/v1/work-orders/${wo.body.id}`, { token: advisor });
    expect(d.body.timeline.filter((t: { to: string }) => t.to === 'checkin')).toHaveLength(1);
  });

  it("customers see only their own work orders (404 for someone else's) and may not move them", async () => {
    const a = await customer();
    const b = await customer();
    const wo = await h.req('POST', '/api/v1/work-orders', { token: a.token, body: { vehicle_id: a.vehicleId } });
    expectProblem(await h.req('GET', `/api/v1/work-orders/${wo.body.id}`, { token: b.token }), 404);
    expectProblem(await h.req('GET', `/api/v1/work-orders/${wo.body.id}/quotes`, { token: b.token }), 404);
    expectProblem(await h.req('POST', `/api/v1/work-orders/${wo.body.id}/quotes/1/confirm`, { token: b.token }), 404);
    expectProblem(await move(wo.body.id, a.token, 'checkin', '"1"'), 403);
    // opening a request for someone else's vehicle is refused
    const other = await h.req('POST', '/api/v1/work-orders', { token: a.token, body: { vehicle_id: b.vehicleId } });
    expect([403, 404, 422]).toContain(other.status);
    const mine = await h.req('GET', '/api/v1/work-orders', { token: a.token });
    expect(mine.body.items.every((w: { customer: { id: number } }) => w.customer.id === a.id)).toBe(true);
    expect(mine.body.total).toBe(1);
  });

  it('confirming a superseded or rejected version → 409', async () => {
    const c = await customer();
    const wo = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: c.id, vehicle_id: c.vehicleId, checkin: true } });
    const id = wo.body.id;
    await move(id, technician, 'start_diagnosis', '*');
    const line = { kind: 'labor', description: 'Check', qty: 1, unit_price: 5000 };
    await h.req('POST', `/api/v1/work-orders/${id}/quotes`, { token: advisor, body: { lines: [line] } });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/send`, { token: advisor });
    expect((await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/reject`, { token: c.token, body: { note: 'too much' } })).status).toBe(200);
    expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/confirm`, { token: c.token }), 409, 'DRM_QUOTE_STATE');
    await h.req('POST', `/api/v1/work-orders/${id}/quotes`, { token: advisor, body: { lines: [{ ...line, unit_price: 4000 }] } });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/2/send`, { token: advisor });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes`, { token: advisor, body: { lines: [{ ...line, unit_price: 3000 }] } });
    expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/quotes/2/confirm`, { token: c.token }), 409, 'DRM_QUOTE_STATE');
    const all = await h.req('GET', `/api/v1/work-orders/${id}/quotes`, { token: c.token });
    expect(all.body.items.map((q: { version: number; status: string }) => `${q.version}:${q.status}`)).toEqual(['1:rejected', '2:superseded', '3:draft']);
    expect((await h.req('GET', `/api/v1/work-orders/${id}/quotes/2`, { token: c.token })).body.lines[0].unit_price).toBe(4000);
    expectProblem(await h.req('GET', `/api/v1/work-orders/${id}/quotes/9`, { token: c.token }), 404);
  });

  it('list filters: several statuses, date range in the shop time zone, plate, customer, free text, sort and paging', async () => {
    const c = await customer();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: c.id, vehicle_id: c.vehicleId, symptom: `filter-probe ${i}`, checkin: i === 0 } });
      ids.push(r.body.id);
    }
    const byCustomer = await h.req('GET', `/api/v1/work-orders?customer_id=${c.id}&sort=created_at`, { token: advisor });
    expect(byCustomer.body.items.map((w: { id: number }) => w.id)).toEqual(ids);
    const byStatus = await h.req('GET', `/api/v1/work-orders?customer_id=${c.id}&status=checkin,cancelled`, { token: advisor });
    expect(byStatus.body.items.map((w: { id: number }) => w.id)).toEqual([ids[0]]);
    const repeated = await h.req('GET', `/api/v1/work-orders?customer_id=${c.id}&status=draft&status=checkin`, { token: advisor });
    expect(repeated.body.total).toBe(3);
    const paged = await h.req('GET', `/api/v1/work-orders?customer_id=${c.id}&limit=2&page=2&sort=-created_at`, { token: advisor });
    expect(paged.body).toEqual(expect.objectContaining({ total: 3, page: 2, limit: 2 }));
    expect(paged.body.items.map((w: { id: number }) => w.id)).toEqual([ids[0]]);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const dated = await h.req('GET', `/api/v1/work-orders?customer_id=${c.id}&created_from=${today}&created_to=${today}`, { token: advisor });
    expect(dated.body.total).toBe(3);
    const yesterday = await h.req('GET', `/api/v1/work-orders?customer_id=${c.id}&created_to=2020-01-01`, { token: advisor });
    expect(yesterday.body.total).toBe(0);
    const text = await h.req('GET', '/api/v1/work-orders?q=filter-probe', { token: advisor });
    expect(text.body.total).toBe(3);
    const plate = await h.req('GET', `/api/v1/work-orders?plate=${encodeURIComponent('粤w' + String(10000 + n))}`, { token: advisor });
    expect(plate.body.total).toBeGreaterThanOrEqual(3);
    expectProblem(await h.req('GET', '/api/v1/work-orders?status=flying', { token: advisor }), 400);
    expectProblem(await h.req('GET', '/api/v1/work-orders?created_from=2026-13-01', { token: advisor }), 400);
    expectProblem(await h.req('GET', '/api/v1/work-orders?created_from=2026-02-30', { token: advisor }), 400);
    expectProblem(await h.req('GET', '/api/v1/work-orders?created_from=2026-02-01&created_to=2026-01-01', { token: advisor }), 400);
    expectProblem(await h.req('GET', '/api/v1/work-orders?sort=name', { token: advisor }), 400);
    expectProblem(await h.req('GET', '/api/v1/work-orders?limit=101', { token: advisor }), 400);
  });

  it('bad quote input → 400; unknown work order → 404', async () => {
    expectProblem(await h.req('POST', '/api/v1/work-orders/999999/quotes', { token: advisor, body: { lines: [{ kind: 'labor', description: 'x', qty: 1, unit_price: 1 }] } }), 404);
    for (const lines of [[], [{ kind: 'part', description: 'no product', qty: 1, unit_price: 1 }], [{ kind: 'labor', description: 'x', qty: 1, unit_price: 1.5 }], [{ kind: 'labor', description: 'x', qty: -1, unit_price: 1 }], [{ kind: 'labor', description: 'x', qty: 1, unit_price: 1, discount_percent: 120 }]]) {
      expectProblem(await h.req('POST', '/api/v1/work-orders/1/quotes', { token: advisor, body: { lines } }), 400);
    }
    expectProblem(await h.req('GET', '/api/v1/work-orders/999999', { token: advisor }), 404);
  });
});
