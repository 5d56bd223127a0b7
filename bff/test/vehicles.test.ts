import { startHarness, expectProblem, type Harness } from './harness';

/** A problem that names nothing beyond itself: no `existing_vehicle`, no owner. */
const PROBLEM_KEYS = ['code', 'detail', 'instance', 'status', 'title', 'trace_id', 'type'];

describe('vehicles API', () => {
  let h: Harness;
  let advisor: string;
  let customerId: number;
  beforeAll(async () => {
    h = await startHarness();
    advisor = await h.staffToken('advisor');
    const c = await h.req('POST', '/api/v1/customers', { token: advisor, body: { name: 'Chen Qi', phone: '13900001111' } });
    customerId = c.body.id;
  });
  afterAll(async () => {
    await h.close();
  });

  it('registers a vehicle with a normalized plate', async () => {
    const r = await h.req('POST', '/api/v1/vehicles', {
      token: advisor,
      body: { customer_id: customerId, plate_no: '粤B·66666', vin: 'lsvaa4182e2100001', brand: 'Honda', model: 'CB400', year: 2021, odometer_km: 12000 },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual(expect.objectContaining({ plate_normalized: '粤B66666', vin: 'LSVAA4182E2100001', customer_id: customerId, model: 'CB400', year: 2021 }));
  });

  it.each(['粤b66666', '粤B 66666', '粤B66666', '粤B-66666'])('the same plate written as %s → 409 naming the vehicle', async (plate) => {
    const r = await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: customerId, plate_no: plate } });
    expectProblem(r, 409, 'DRM_DUP_PLATE');
    expect(r.body.existing_vehicle).toEqual(expect.objectContaining({ plate_no: '粤B·66666', customer_id: customerId, id: expect.any(Number) }));
    expect(r.body.detail).toMatch(/vehicle \d+/);
  });

  it('a duplicate VIN → 409', async () => {
    const r = await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: customerId, plate_no: '粤B77777', vin: 'LSVAA4182E2100001' } });
    expectProblem(r, 409, 'DRM_DUP_VIN');
  });

  it.each([
    ['bad plate characters', { plate_no: '粤B$1234' }, 'body.plate_no'],
    ['VIN too short', { plate_no: '粤B12121', vin: 'ABC' }, 'body.vin'],
    ['VIN with I/O/Q', { plate_no: '粤B12122', vin: 'LSVAA4182E210000O' }, 'body.vin'],
    ['year as string', { plate_no: '粤B12123', year: '2020' }, 'body.year'],
    ['negative odometer', { plate_no: '粤B12124', odometer_km: -1 }, 'body.odometer_km'],
    ['unknown field', { plate_no: '粤B12125', colour: 'red' }, 'body'],
  ])('%s → 400', async (_l, extra, path) => {
    const r = await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: customerId, ...extra } });
    expectProblem(r, 400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('an unknown customer → 422; a technician may not register → 403', async () => {
    expectProblem(await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: 999999, plate_no: '粤B12126' } }), 422);
    const tech = await h.staffToken('technician');
    expectProblem(await h.req('POST', '/api/v1/vehicles', { token: tech, body: { customer_id: customerId, plate_no: '粤B12127' } }), 403);
  });

  it('searches by partial plate (case-insensitive, with separators), VIN and phone', async () => {
    const byPlate = await h.req('GET', `/api/v1/vehicles?plate=${encodeURIComponent('b·666')}`, { token: advisor });
    expect(byPlate.body.items.map((v: { plate_normalized: string }) => v.plate_normalized)).toContain('粤B66666');
    const byVin = await h.req('GET', '/api/v1/vehicles?vin=2100001', { token: advisor });
    expect(byVin.body.total).toBe(1);
    const byPhone = await h.req('GET', '/api/v1/vehicles?phone=0000111', { token: advisor });
    expect(byPhone.body.items.map((v: { customer_id: number }) => v.customer_id)).toEqual([customerId]);
    const byQ = await h.req('GET', `/api/v1/vehicles?q=${encodeURIComponent('粤b66')}`, { token: advisor });
    expect(byQ.body.total).toBeGreaterThanOrEqual(1);
    for (const q of ['%', '_', "'; DROP TABLE x; --", "['id','>',0]"]) {
      const r = await h.req('GET', `/api/v1/vehicles?q=${encodeURIComponent(q)}`, { token: advisor });
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(0);
    }
  });

  it('patches a vehicle; moving it onto an existing plate → 409', async () => {
    const v = await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: customerId, plate_no: '粤B88888' } });
    const p = await h.req('PATCH', `/api/v1/vehicles/${v.body.id}`, { token: advisor, body: { odometer_km: 500, brand: 'Yamaha' } });
    expect(p.body).toEqual(expect.objectContaining({ odometer_km: 500, brand: 'Yamaha' }));
    expectProblem(await h.req('PATCH', `/api/v1/vehicles/${v.body.id}`, { token: advisor, body: { plate_no: '粤B66666' } }), 409, 'DRM_DUP_PLATE');
    expectProblem(await h.req('PATCH', '/api/v1/vehicles/999999', { token: advisor, body: { brand: 'X' } }), 404);
  });

  it('customers register and list only their own vehicles', async () => {
    const me = await h.customerLogin('veh-owner', 'phone-13900002222');
    const token = me.access_token;
    const created = await h.req('POST', '/api/v1/vehicles', { token, body: { plate_no: '京A·00001' } });
    expect(created.status).toBe(201);
    expect(created.body.customer_id).toBe(me.user.customer_id);
    const mine = await h.req('GET', '/api/v1/vehicles', { token });
    expect(mine.body.items.map((v: { plate_normalized: string }) => v.plate_normalized)).toEqual(['京A00001']);
    // someone else's vehicle: invisible, not even "forbidden"
    const others = await h.req('GET', '/api/v1/vehicles?plate=66666', { token: advisor });
    const otherId = others.body.items[0].id;
    expectProblem(await h.req('GET', `/api/v1/vehicles/${otherId}`, { token }), 404);
    expectProblem(await h.req('PATCH', `/api/v1/vehicles/${otherId}`, { token, body: { brand: 'X' } }), 404);
    expectProblem(await h.req('POST', '/api/v1/vehicles', { token, body: { plate_no: '京A00002', customer_id: customerId } }), 403);
    // a customer trying a plate someone else owns learns only that it exists: no vehicle id, no owner
    const dup = await h.req('POST', '/api/v1/vehicles', { token, body: { plate_no: '粤B66666' } });
    expectProblem(dup, 409, 'DRM_DUP_PLATE');
    expect(Object.keys(dup.body).sort()).toEqual(PROBLEM_KEYS);
    expect(dup.body.detail).not.toMatch(/vehicle \d|Chen Qi/);
    // their own plate again: that one they may see
    const again = await h.req('POST', '/api/v1/vehicles', { token, body: { plate_no: '京a00001' } });
    expectProblem(again, 409, 'DRM_DUP_PLATE');
    expect(again.body.existing_vehicle).toEqual({ id: created.body.id, plate_no: '京A·00001' });
  });

  describe('ownership: registering a plate first does not make it yours', () => {
    it("a customer's registration is unconfirmed until an advisor confirms it (a customer and a technician may not)", async () => {
      const me = await h.customerLogin('veh-confirm', 'phone-13900003333');
      const v = await h.req('POST', '/api/v1/vehicles', { token: me.access_token, body: { plate_no: '京C·10001' } });
      expect(v.body.ownership).toBe('unconfirmed');
      expectProblem(await h.req('POST', `/api/v1/vehicles/${v.body.id}/confirm-ownership`, { token: me.access_token }), 403);
      expectProblem(await h.req('POST', `/api/v1/vehicles/${v.body.id}/confirm-ownership`, { token: await h.staffToken('technician') }), 403);
      const ok = await h.req('POST', `/api/v1/vehicles/${v.body.id}/confirm-ownership`, { token: advisor });
      expect(ok.status).toBe(200);
      expect(ok.body.ownership).toBe('confirmed');
      expect((await h.req('GET', `/api/v1/vehicles/${v.body.id}`, { token: me.access_token })).body.ownership).toBe('confirmed');
    });

    it("the owner's registration at the counter wins over a squatter's unconfirmed one", async () => {
      const squatter = await h.customerLogin('veh-squatter', 'phone-13900004444');
      const squat = await h.req('POST', '/api/v1/vehicles', { token: squatter.access_token, body: { plate_no: '京D·20002' } });
      expect([squat.status, squat.body.ownership]).toEqual([201, 'unconfirmed']);
      // the real owner tries from the mini-program first: blocked, told nothing about the squatter, sent to the counter
      const owner = await h.customerLogin('veh-real-owner', 'phone-13900005555');
      const blocked = await h.req('POST', '/api/v1/vehicles', { token: owner.access_token, body: { plate_no: '京D20002' } });
      expectProblem(blocked, 409, 'DRM_DUP_PLATE');
      expect(Object.keys(blocked.body).sort()).toEqual(PROBLEM_KEYS);
      expect(blocked.body.detail).not.toMatch(/vehicle \d/);
      expect(blocked.body.detail).toMatch(/counter/);
      // at the counter the advisor registers it for the owner: 201, confirmed; the squatter's registration is gone
      const counter = await h.req('POST', '/api/v1/vehicles', { token: advisor, body: { plate_no: '京D·20002', customer_id: owner.user.customer_id } });
      expect(counter.status).toBe(201);
      expect(counter.body).toEqual(expect.objectContaining({ customer_id: owner.user.customer_id, ownership: 'confirmed' }));
      expect((await h.req('GET', '/api/v1/vehicles', { token: owner.access_token })).body.items.map((v: { id: number }) => v.id)).toEqual([counter.body.id]);
      expect((await h.req('GET', '/api/v1/vehicles', { token: squatter.access_token })).body.items).toEqual([]);
      expectProblem(await h.req('GET', `/api/v1/vehicles/${squat.body.id}`, { token: squatter.access_token }), 404);
      // and now the plate is the owner's: the squatter can't take it back
      expectProblem(await h.req('POST', '/api/v1/vehicles', { token: squatter.access_token, body: { plate_no: '京D20002' } }), 409, 'DRM_DUP_PLATE');
    });
  });
});
