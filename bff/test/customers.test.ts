import { startHarness, expectProblem, type Harness } from './harness';

describe('customers API', () => {
  let h: Harness;
  let advisor: string;
  beforeAll(async () => {
    h = await startHarness();
    advisor = await h.staffToken('advisor');
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a customer (201) and returns the same one for the phone written differently (200)', async () => {
    const a = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'Wang Wu', phone: '138 0013 8111', email: 'wang@example.com' } });
    expect(a.status).toBe(201);
    expect(a.headers.get('location')).toBe(`/api/v1/customers/${a.body.id}`);
    expect(a.body).toEqual(expect.objectContaining({ name: 'Wang Wu', phone_normalized: '13800138111', created: true }));
    const b = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'Wang W.', phone: '+86 138-0013-8111' } });
    expect(b.status).toBe(200);
    expect(b.body).toEqual(expect.objectContaining({ id: a.body.id, name: 'Wang Wu', created: false }));
  });

  it('concurrent upserts of one phone make one partner', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => h.req('POST', '/api/v1/customers', { token: advisor, body: { name: `Twin ${i}`, phone: '13800138222' } })),
    );
    const ids = new Set(results.map((r) => r.body.id));
    expect(results.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
  });

  it.each([
    ['invalid phone', { name: 'A', phone: '12345' }, 'body.phone'],
    ['phone with letters', { name: 'A', phone: '1380013800a' }, 'body.phone'],
    ['empty name', { name: '   ', phone: '13800138333' }, 'body.name'],
    ['oversized name', { name: 'x'.repeat(129), phone: '13800138333' }, 'body.name'],
    ['wrong type', { name: 42, phone: '13800138333' }, 'body.name'],
    ['unknown field', { name: 'A', phone: '13800138333', is_admin: true }, 'body'],
    ['bad email', { name: 'A', phone: '13800138333', email: 'not-an-email' }, 'body.email'],
  ])('%s → 400 naming the field', async (_label, body, path) => {
    const r = await h.req('POST', '/api/v1/customers', { token: advisor, body });
    expectProblem(r, 400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('gets and patches a customer; phone change is normalized', async () => {
    const c = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'Zhao Liu', phone: '13800138444' } });
    const p = await h.req('PATCH', `/api/v1/customers/${c.body.id}`, { token: advisor, body: { city: 'Shenzhen', phone: '+86 13800138445' } });
    expect(p.status).toBe(200);
    expect(p.body).toEqual(expect.objectContaining({ city: 'Shenzhen', phone_normalized: '13800138445' }));
    const g = await h.req('GET', `/api/v1/customers/${c.body.id}`, { token: advisor });
    expect(g.body.city).toBe('Shenzhen');
  });

  it("patching a phone onto another customer's number → 409", async () => {
    const a = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'P1', phone: '13800138555' } });
    const b = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'P2', phone: '13800138556' } });
    expect(a.status).toBe(201);
    expectProblem(await h.req('PATCH', `/api/v1/customers/${b.body.id}`, { token: advisor, body: { phone: '13800138555' } }), 409, 'DRM_DUP_PHONE');
  });

  it('unknown ids → 404; non-numeric ids → 400', async () => {
    expectProblem(await h.req('GET', '/api/v1/customers/999999', { token: advisor }), 404);
    expectProblem(await h.req('GET', '/api/v1/customers/abc', { token: advisor }), 400);
    expectProblem(await h.req('PATCH', '/api/v1/customers/999999', { token: advisor, body: { city: 'X' } }), 404);
  });

  it('a customer sees and changes only themselves; their phone only through WeChat', async () => {
    const me = await h.customerLogin('cust-own', 'phone-13700138001');
    const other = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'Someone Else', phone: '13700138002' } });
    const token = me.access_token;
    expect((await h.req('GET', `/api/v1/customers/${me.user.customer_id}`, { token })).status).toBe(200);
    expectProblem(await h.req('GET', `/api/v1/customers/${other.body.id}`, { token }), 404);
    expectProblem(await h.req('PATCH', `/api/v1/customers/${other.body.id}`, { token, body: { name: 'Hacked' } }), 404);
    expect((await h.req('PATCH', `/api/v1/customers/${me.user.customer_id}`, { token, body: { name: 'Me Myself' } })).body.name).toBe('Me Myself');
    expectProblem(await h.req('PATCH', `/api/v1/customers/${me.user.customer_id}`, { token, body: { phone: '13700138003' } }), 403);
    expectProblem(await h.req('GET', '/api/v1/customers', { token }), 403);
  });

  it('search by partial name or phone; injection strings are plain text', async () => {
    await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'Searchable Person', phone: '13800138666' } });
    const byName = await h.req('GET', '/api/v1/customers?q=searchable', { token: advisor });
    expect(byName.body.items.map((c: { name: string }) => c.name)).toContain('Searchable Person');
    const byPhone = await h.req('GET', '/api/v1/customers?q=0138666', { token: advisor });
    expect(byPhone.body.total).toBe(1);
    for (const q of ['%', '_', "' OR 1=1 --", '["|",["id",">",0]]', '\\']) {
      const r = await h.req('GET', `/api/v1/customers?q=${encodeURIComponent(q)}`, { token: advisor });
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(0);
    }
    expectProblem(await h.req('GET', '/api/v1/customers?limit=1000', { token: advisor }), 400);
    expectProblem(await h.req('GET', '/api/v1/customers?q=a&q=b', { token: advisor }), 400);
  });
});
