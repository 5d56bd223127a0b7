import { startHarness, expectProblem, type Harness } from './harness';

/**
 * Reports from Odoo (work orders, parts) through the BFF against the Odoo mock. Every record is made at a chosen
 * instant (the mock's clock), around the day boundary of the shop's zone, Asia/Shanghai (UTC+8):
 *   2031-03-14T15:30Z = 14 Mar 23:30 local · 2031-03-14T16:30Z = 15 Mar 00:30 local (same UTC day, next local day).
 * The expected figures below are worked out by hand from those instants.
 */
describe('reports (work orders and parts, from Odoo read_group)', () => {
  let h: Harness;
  const tok: Record<string, string> = {};
  let realNow: () => Date;
  let n = 0;

  const at = (iso: string) => {
    h.odoo.orm.orm.now = () => new Date(iso);
  };
  const get = (path: string, token: string, headers: Record<string, string> = {}) => h.req('GET', `/api/v1${path}`, { token, headers });

  beforeAll(async () => {
    h = await startHarness();
    realNow = h.odoo.orm.orm.now;
    for (const login of ['advisor', 'technician', 'keeper', 'cashier', 'manager']) tok[login] = await h.staffToken(login);
  });
  afterAll(async () => {
    h.odoo.orm.orm.now = realNow;
    await h.close();
  });

  async function openWorkOrder(): Promise<number> {
    n++;
    const c = await h.req('POST', '/api/v1/customers', { token: tok.advisor, body: { name: `Report ${n}`, phone: `1370000${String(1000 + n)}` } });
    const v = await h.req('POST', '/api/v1/vehicles', { token: tok.advisor, body: { customer_id: c.body.id, plate_no: `粤R${String(40000 + n)}` } });
    const wo = await h.req('POST', '/api/v1/work-orders', { token: tok.advisor, body: { customer_id: c.body.id, vehicle_id: v.body.id, checkin: true } });
    expect(wo.status).toBe(201);
    return wo.body.id as number;
  }

  const act = async (id: number, token: string, body: Record<string, unknown>) => {
    const r = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token, body });
    expect(r.status).toBe(200);
    return r.body;
  };

  /** In progress with a confirmed quote of `price` minor units. */
  async function toInProgress(id: number, price: number): Promise<void> {
    await act(id, tok.technician!, { action: 'start_diagnosis' });
    expect((await h.req('POST', `/api/v1/work-orders/${id}/quotes`, { token: tok.advisor, body: { lines: [{ kind: 'labor', description: 'Check', qty: 1, unit_price: price }] } })).status).toBe(201);
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/send`, { token: tok.advisor });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/1/confirm`, { token: tok.advisor });
    await act(id, tok.technician!, { action: 'start_repair' });
  }

  /** A free check-up: nothing to pay, so delivering it closes it at once (closed_at = the mock's clock). */
  async function closeFree(id: number, closeAt: string): Promise<void> {
    await toInProgress(id, 0);
    await act(id, tok.technician!, { action: 'mark_ready' });
    at(closeAt);
    const d = await act(id, tok.advisor!, { action: 'deliver' });
    expect(d).toEqual(expect.objectContaining({ status: 'closed', closed: true }));
  }

  describe('GET /reports/work-orders', () => {
    beforeAll(async () => {
      // A: created 14 Mar 23:30 local, stays in check-in.
      at('2031-03-14T15:30:00Z');
      await openWorkOrder();
      // B: created 15 Mar 00:30 local, closed 15 Mar 23:59:59 local.
      at('2031-03-14T16:30:00Z');
      const b = await openWorkOrder();
      await closeFree(b, '2031-03-15T15:59:59Z');
      // C: created 13 Mar 23:59:59 local (before the range), closed 15 Mar 00:00:00 local (in it).
      at('2031-03-13T15:59:59Z');
      const c = await openWorkOrder();
      await closeFree(c, '2031-03-14T16:00:00Z');
      // D: created 16 Mar 00:00 local (after the range).
      at('2031-03-15T16:00:00Z');
      await openWorkOrder();
      h.odoo.orm.orm.now = realNow;
    });

    it('counts by status (created in the range) and created / closed per local day', async () => {
      const r = await get('/reports/work-orders?from=2031-03-14&to=2031-03-15', tok.advisor!);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        report: 'work-orders',
        shop: { id: 1, name: 'DrMoto Demo Shop', tz: 'Asia/Shanghai', currency: 'CNY' },
        from: '2031-03-14',
        to: '2031-03-15',
        by_status: [
          { status: 'checkin', count: 1 },
          { status: 'closed', count: 1 },
        ],
        created_total: 2,
        closed_total: 2,
        by_day: [
          { day: '2031-03-14', created: 1, closed: 0 },
          { day: '2031-03-15', created: 1, closed: 2 },
        ],
      });
    });

    it('one day only: the 00:30 work order belongs to the next day', async () => {
      const r = await get('/reports/work-orders?from=2031-03-14&to=2031-03-14', tok.manager!);
      expect(r.body.by_status).toEqual([{ status: 'checkin', count: 1 }]);
      expect(r.body.by_day).toEqual([{ day: '2031-03-14', created: 1, closed: 0 }]);
      const later = await get('/reports/work-orders?from=2031-03-16&to=2031-03-16', tok.manager!);
      expect(later.body.by_day).toEqual([{ day: '2031-03-16', created: 1, closed: 0 }]);
    });

    it('as CSV: a header row and one tidy table, as a download', async () => {
      const r = await get('/reports/work-orders?from=2031-03-14&to=2031-03-15', tok.advisor!, { accept: 'text/csv' });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(r.headers.get('content-disposition')).toBe('attachment; filename="work-orders_1_2031-03-14_2031-03-15.csv"');
      expect(r.headers.get('vary')).toMatch(/Accept/);
      expect(r.text).toBe('group,key,count\r\nstatus,checkin,1\r\nstatus,closed,1\r\ncreated_on,2031-03-14,1\r\ncreated_on,2031-03-15,1\r\nclosed_on,2031-03-15,2\r\n');
    });
  });

  describe('GET /reports/parts', () => {
    let pads: number;
    let oil: number;
    let odd: number;

    beforeAll(async () => {
      const env = h.odoo.orm.sudo();
      const product = (code: string) => env.model('product.product').search([['default_code', '=', code]])[0] as number;
      pads = product('BP-F01');
      oil = product('OIL-1L');
      // A name that needs CSV quoting and would start a formula in a spreadsheet.
      const units = env.model('uom.uom').search([['name', '=', 'Units']])[0];
      [odd] = env.model('product.product').create([{ name: '=Bolt, M8 "hex"', default_code: 'BLT-8', type: 'product', list_price: 1, uom_id: units }]) as [number];
      const whStock = env.model('stock.warehouse').read([1], ['lot_stock_id'])[0]!.lot_stock_id as [number, string];
      env.model('stock.quant').create([{ product_id: odd, location_id: whStock[0], company_id: 1, quantity: 100 }]);

      at('2031-03-01T02:00:00Z');
      const wo = await openWorkOrder();
      await toInProgress(wo, 10000);
      let k = 0;
      const post = async (kind: 'issue' | 'return', when: string, lines: { product_id: number; qty: number }[]) => {
        at(when);
        const r = await h.req('POST', `/api/v1/work-orders/${wo}/parts/${kind}`, { token: tok.keeper, body: { lines }, headers: { 'idempotency-key': `report-parts-${++k}` } });
        expect(r.status).toBe(201);
      };
      await post('issue', '2031-03-14T15:30:00Z', [{ product_id: pads, qty: 3 }]); // 14 Mar 23:30
      await post('issue', '2031-03-14T16:30:00Z', [{ product_id: pads, qty: 2 }, { product_id: oil, qty: 1.5 }]); // 15 Mar 00:30
      await post('return', '2031-03-15T10:00:00Z', [{ product_id: pads, qty: 1 }]); // 15 Mar 18:00
      await post('issue', '2031-03-15T11:00:00Z', [{ product_id: odd, qty: 7 }]); // 15 Mar 19:00
      await post('issue', '2031-03-15T16:00:00Z', [{ product_id: pads, qty: 4 }]); // 16 Mar 00:00: outside
      h.odoo.orm.orm.now = realNow;
    });

    it('issued, returned and net per local day and product, from done moves', async () => {
      const r = await get('/reports/parts?from=2031-03-14&to=2031-03-15', tok.keeper!);
      expect(r.status).toBe(200);
      const P = { id: pads, name: '[BP-F01] Front brake pads (pair)' };
      const O = { id: oil, name: '[OIL-1L] Engine oil 10W-40 1L' };
      const B = { id: odd, name: '[BLT-8] =Bolt, M8 "hex"' };
      expect(r.body.rows).toEqual([
        { day: '2031-03-14', product: P, uom: 'Units', issued: 3, returned: 0, net: 3 },
        { day: '2031-03-15', product: B, uom: 'Units', issued: 7, returned: 0, net: 7 },
        { day: '2031-03-15', product: P, uom: 'Units', issued: 2, returned: 1, net: 1 },
        { day: '2031-03-15', product: O, uom: 'L', issued: 1.5, returned: 0, net: 1.5 },
      ]);
      expect(r.body.by_product).toEqual([
        { product: B, uom: 'Units', issued: 7, returned: 0, net: 7 },
        { product: P, uom: 'Units', issued: 5, returned: 1, net: 4 },
        { product: O, uom: 'L', issued: 1.5, returned: 0, net: 1.5 },
      ]);
      const d16 = await get('/reports/parts?from=2031-03-16&to=2031-03-16', tok.manager!);
      expect(d16.body.rows).toEqual([{ day: '2031-03-16', product: P, uom: 'Units', issued: 4, returned: 0, net: 4 }]);
    });

    it('as CSV: quoted and formula-safe cells', async () => {
      const r = await get('/reports/parts?from=2031-03-14&to=2031-03-15', tok.keeper!, { accept: 'text/csv' });
      expect(r.headers.get('content-disposition')).toBe('attachment; filename="parts_1_2031-03-14_2031-03-15.csv"');
      expect(r.text.split('\r\n')).toEqual([
        'day,product_id,product,uom,issued,returned,net',
        `2031-03-14,${pads},[BP-F01] Front brake pads (pair),Units,3,0,3`,
        `2031-03-15,${odd},"[BLT-8] =Bolt, M8 ""hex""",Units,7,0,7`,
        `2031-03-15,${pads},[BP-F01] Front brake pads (pair),Units,2,1,1`,
        `2031-03-15,${oil},[OIL-1L] Engine oil 10W-40 1L,L,1.5,0,1.5`,
        '',
      ]);
    });

    it('the CSV bytes start with a UTF-8 BOM (Excel) and keep the text as UTF-8', async () => {
      const res = await fetch(`${h.bff.url}/api/v1/reports/parts?from=2031-03-14&to=2031-03-14`, { headers: { authorization: `Bearer ${tok.keeper}`, accept: 'text/csv' } });
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bytes.subarray(3).toString('utf8')).toBe(`day,product_id,product,uom,issued,returned,net\r\n2031-03-14,${pads},[BP-F01] Front brake pads (pair),Units,3,0,3\r\n`);
    });

    it('a range with nothing in it is empty, not an error', async () => {
      const r = await get('/reports/parts?from=2030-01-01&to=2030-01-31', tok.keeper!);
      expect(r.body).toEqual(expect.objectContaining({ rows: [], by_product: [] }));
      const csv = await get('/reports/parts?from=2030-01-01&to=2030-01-31', tok.keeper!, { accept: 'text/csv' });
      expect(csv.text).toBe('day,product_id,product,uom,issued,returned,net\r\n');
    });
  });

  describe('access and validation', () => {
    it('the index lists the reports the caller may read, with links', async () => {
      const ids = async (login: string) => ((await get('/reports', tok[login]!)).body.reports as { id: string }[]).map((r) => r.id);
      expect(await ids('manager')).toEqual(['payments', 'work-orders', 'parts']);
      expect(await ids('cashier')).toEqual(['payments']);
      expect(await ids('advisor')).toEqual(['work-orders']);
      expect(await ids('keeper')).toEqual(['parts']);
      expect(await ids('technician')).toEqual([]);
      const m = await get('/reports', tok.manager!);
      expect(m.body.reports[2]).toEqual({ id: 'parts', title: expect.any(String), href: '/api/v1/reports/parts', roles: ['keeper', 'manager'], params: ['from', 'to', 'shop_id'], formats: ['application/json', 'text/csv'] });
    });

    it('roles: technician and cashier cannot read the parts report; keeper not the work-order report; customers none → 403', async () => {
      expectProblem(await get('/reports/parts?from=2031-03-14&to=2031-03-15', tok.technician!), 403);
      expectProblem(await get('/reports/parts?from=2031-03-14&to=2031-03-15', tok.cashier!), 403);
      expectProblem(await get('/reports/work-orders?from=2031-03-14&to=2031-03-15', tok.keeper!), 403);
      const me = await h.customerLogin('reports-cust', 'phone-13700009999');
      for (const path of ['/reports', '/reports/payments?from=2031-03-14&to=2031-03-15', '/reports/work-orders?from=2031-03-14&to=2031-03-15', '/reports/parts?from=2031-03-14&to=2031-03-15']) {
        expectProblem(await get(path, me.access_token), 403);
      }
      expectProblem(await h.req('GET', '/api/v1/reports/parts?from=2031-03-14&to=2031-03-15'), 401);
    });

    it('another shop than the caller\'s Odoo user may access → 403', async () => {
      expectProblem(await get('/reports/parts?from=2031-03-14&to=2031-03-15&shop_id=2', tok.keeper!), 403);
      expect((await get('/reports/parts?from=2031-03-14&to=2031-03-15&shop_id=1', tok.keeper!)).status).toBe(200);
    });

    it.each([
      ['missing to', 'from=2031-03-14', 'query.to'],
      ['from after to', 'from=2031-03-15&to=2031-03-14', 'query.from'],
      ['not ISO', 'from=14/03/2031&to=2031-03-15', 'query.from'],
      ['not a calendar day', 'from=2031-02-29&to=2031-03-15', 'query.from'],
      ['a datetime', 'from=2031-03-14T00:00:00Z&to=2031-03-15', 'query.from'],
      ['longer than 366 days', 'from=2030-01-01&to=2031-01-02', 'query.to'],
      ['an unknown parameter', 'from=2031-03-14&to=2031-03-15&tz=UTC', 'query'],
      ['a repeated parameter', 'from=2031-03-14&from=2031-03-13&to=2031-03-15', 'query.from'],
      ['a bad shop id', 'from=2031-03-14&to=2031-03-15&shop_id=x', 'query.shop_id'],
    ])('%s → 400 problem+json naming the field', async (_name, qs, path) => {
      const r = await get(`/reports/work-orders?${qs}`, tok.manager!);
      expectProblem(r, 400);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });

    it('Odoo down → 503 problem+json with Retry-After (the ledger report needs only the cached shop)', async () => {
      h.odoo.pause();
      try {
        const r = await get('/reports/parts?from=2031-03-14&to=2031-03-15', tok.keeper!);
        expectProblem(r, 503);
        expect(r.headers.get('retry-after')).toBeTruthy();
      } finally {
        h.odoo.resume();
      }
      expect((await get('/reports/parts?from=2031-03-14&to=2031-03-15', tok.keeper!)).status).toBe(200);
    });

    it('/openapi.json describes the report routes and the payment history', async () => {
      const doc = (await h.req('GET', '/openapi.json')).body;
      for (const path of ['/api/v1/reports', '/api/v1/reports/payments', '/api/v1/reports/work-orders', '/api/v1/reports/parts', '/api/v1/payments']) {
        expect(doc.paths[path]?.get).toBeDefined();
      }
      expect(doc.paths['/api/v1/payments'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['cursor', 'limit', 'channel', 'kind', 'from', 'to', 'work_order_id', 'shop_id']));
    });

    it('366 days is the longest range accepted (a leap year)', async () => {
      expect((await get('/reports/work-orders?from=2032-01-01&to=2032-12-31', tok.manager!)).status).toBe(200);
    });
  });
});
