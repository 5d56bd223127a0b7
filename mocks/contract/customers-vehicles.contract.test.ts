import { AppError } from '../../bff/src/errors';
import type { OdooClient } from '../../bff/src/integrations/odoo/client';
import { CustomerGateway, IdentityGateway, StaffGateway, VehicleGateway } from '../../bff/src/integrations/odoo/gateways';
import { requestContext } from '../../bff/src/context';
import { openTarget, rejected, type Target, unique } from './target';

let target: Target;
beforeAll(async () => {
  target = await openTarget();
  // eslint-disable-next-line no-console
  console.info(`contract suite target: ${target.kind} Odoo at ${target.url} (db ${target.db})`);
});
afterAll(async () => {
  await target?.close();
});

describe('common service', () => {
  it('version answers like a supported Odoo (the mock speaks 17; README "Odoo versions")', async () => {
    const v = await target.client('jsonrpc').version();
    expect(v.server_version).toMatch(/^(17|18|19|20)\./);
    expect(v.protocol_version).toBe(1);
  });

  it.each(['jsonrpc', 'xmlrpc'] as const)('%s authenticate: uid for good credentials, null for bad ones', async (t) => {
    const c = target.client(t);
    expect(await c.authenticateUser('advisor', 'demo')).toEqual(expect.any(Number));
    expect(await c.authenticateUser('advisor', 'wrong-password')).toBeNull();
    expect(await c.authenticateUser('nobody-' + unique.tag(), 'x')).toBeNull();
  });
});

describe.each(['jsonrpc', 'xmlrpc'] as const)('over %s', (transport) => {
  let odoo: OdooClient;
  let customers: CustomerGateway;
  let vehicles: VehicleGateway;
  let identities: IdentityGateway;
  beforeAll(() => {
    odoo = target.client(transport);
    customers = new CustomerGateway(odoo);
    vehicles = new VehicleGateway(odoo);
    identities = new IdentityGateway(odoo);
  });

  describe('customers (res.partner)', () => {
    it('upsert creates once and finds the same partner for the phone written differently', async () => {
      const digits = unique.phone();
      const a = await customers.upsert({ name: 'Contract ' + unique.tag(), phone: digits });
      expect(a).toEqual({ id: expect.any(Number), created: true });
      const spaced = `+86 ${digits.slice(0, 3)}-${digits.slice(3, 7)}-${digits.slice(7)}`;
      const b = await customers.upsert({ name: 'Someone else', phone: spaced });
      expect(b).toEqual({ id: a.id, created: false });
      const c = await customers.get(a.id);
      expect(c).toEqual(expect.objectContaining({ id: a.id, phone_normalized: digits }));
      expect(c!.name).not.toBe('Someone else');
    });

    it('an invalid phone → 422 DRM_PHONE_INVALID', async () => {
      const e = await rejected(customers.upsert({ name: 'Bad ' + unique.tag(), phone: '12345' }));
      expect([e.type, e.code]).toEqual(['unprocessable', 'DRM_PHONE_INVALID']);
    });

    it("writing another customer's phone → 409 DRM_DUP_PHONE (the partial unique constraint)", async () => {
      const p1 = unique.phone();
      const a = await customers.upsert({ name: 'A ' + unique.tag(), phone: p1 });
      const b = await customers.upsert({ name: 'B ' + unique.tag(), phone: unique.phone() });
      const e = await rejected(customers.update(b.id, { phone: p1 }));
      expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_PHONE']);
      expect(a.id).not.toBe(b.id);
    });

    it('reading a missing record → null; a missing id in write → 404', async () => {
      expect(await customers.get(2_000_000_000)).toBeNull();
      const e = await rejected(customers.update(2_000_000_000, { city: 'X' }));
      expect(e.type).toBe('not_found');
    });
  });

  describe('vehicles (drmoto.vehicle)', () => {
    let owner: number;
    beforeAll(async () => {
      owner = (await customers.upsert({ name: 'Owner ' + unique.tag(), phone: unique.phone() })).id;
    });

    it('normalizes the plate: with ·, lower case or spaces it is one vehicle (409 DRM_DUP_PLATE)', async () => {
      const plate = unique.plate();
      const id = await vehicles.create({ customer_id: owner, plate_no: `${plate.slice(0, 2)}·${plate.slice(2)}` });
      const v = await vehicles.get(id);
      expect(v).toEqual(expect.objectContaining({ plate_normalized: plate, customer_id: owner }));
      for (const variant of [plate.toLowerCase(), `${plate.slice(0, 2)} ${plate.slice(2)}`, plate]) {
        const e = await rejected(vehicles.create({ customer_id: owner, plate_no: variant }));
        expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_PLATE']);
      }
      expect((await vehicles.findByPlate(plate))?.id).toBe(id);
    });

    it('VIN: upper-cased, unique (409 DRM_DUP_VIN), validated (422 DRM_VIN_INVALID)', async () => {
      const vin = unique.vin();
      const id = await vehicles.create({ customer_id: owner, plate_no: unique.plate(), vin: vin.toLowerCase() });
      expect((await vehicles.get(id))?.vin).toBe(vin);
      const dup = await rejected(vehicles.create({ customer_id: owner, plate_no: unique.plate(), vin }));
      expect([dup.type, dup.code]).toEqual(['conflict', 'DRM_DUP_VIN']);
      const bad = await rejected(vehicles.create({ customer_id: owner, plate_no: unique.plate(), vin: 'SHORTVIN' }));
      expect([bad.type, bad.code]).toEqual(['unprocessable', 'DRM_VIN_INVALID']);
    });

    it('an invalid plate → 422 DRM_PLATE_INVALID', async () => {
      const e = await rejected(vehicles.create({ customer_id: owner, plate_no: '粤B$$12' }));
      expect([e.type, e.code]).toEqual(['unprocessable', 'DRM_PLATE_INVALID']);
    });

    it('searches: plate ilike, VIN ilike, owner phone through a dotted path; wildcards escaped', async () => {
      const phone = unique.phone();
      const who = (await customers.upsert({ name: 'Searcher ' + unique.tag(), phone })).id;
      const plate = unique.plate();
      const vin = unique.vin();
      const id = await vehicles.create({ customer_id: who, plate_no: plate, vin });
      const page = { offset: 0, limit: 10, order: 'id asc' };
      expect((await vehicles.search([['plate_normalized', 'ilike', plate.slice(1).toLowerCase()]], page)).items.map((v) => v.id)).toContain(id);
      expect((await vehicles.search([['vin', 'ilike', vin.slice(3, 12)]], page)).items.map((v) => v.id)).toEqual([id]);
      expect((await vehicles.search([['partner_id.drmoto_phone_normalized', 'ilike', phone.slice(2)]], page)).items.map((v) => v.id)).toEqual([id]);
      const or = await vehicles.search(['|', ['plate_normalized', '=', plate], ['vin', '=', 'NOPE'], ['partner_id', '=', who]], page);
      expect(or.items.map((v) => v.id)).toEqual([id]);
      expect(or.total).toBe(1);
      // an escaped % is a literal percent sign, so it matches nothing
      expect((await vehicles.search([['plate_normalized', 'ilike', '\\%']], page)).total).toBe(0);
    });

    it('a customer actor may not write a vehicle of someone else → 403 DRM_FORBIDDEN', async () => {
      const plate = unique.plate();
      const id = await vehicles.create({ customer_id: owner, plate_no: plate });
      const stranger = (await customers.upsert({ name: 'Stranger ' + unique.tag(), phone: unique.phone() })).id;
      const e = await rejected(
        requestContext.run({ traceId: 'contract-actor', principal: { kind: 'customer', identityId: 1, partnerId: stranger } }, () => vehicles.update(id, { brand: 'Hacked' })),
      );
      expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
      expect((await vehicles.get(id))?.brand).toBeNull();
    });
  });

  describe('vehicle ownership (who registers a plate first cannot block its owner)', () => {
    let advisor: number;
    const asCustomer = <T>(partnerId: number, fn: () => Promise<T>) =>
      requestContext.run({ traceId: 'contract-owner', principal: { kind: 'customer', identityId: 1, partnerId } }, fn);
    const asAdvisor = <T>(fn: () => Promise<T>) =>
      requestContext.run({ traceId: 'contract-owner', principal: { kind: 'staff', uid: advisor, name: 'Advisor', roles: ['advisor'], companyId: 0 } }, fn);
    const newCustomer = async (name: string) => (await customers.upsert({ name: `${name} ${unique.tag()}`, phone: unique.phone() })).id;
    beforeAll(async () => {
      advisor = (await new StaffGateway(odoo).authenticate('advisor', 'demo'))!;
    });

    it("a customer's registration is unconfirmed; a staff one confirmed; only an advisor confirms", async () => {
      const me = await newCustomer('Self');
      const id = await asCustomer(me, () => vehicles.create({ customer_id: me, plate_no: unique.plate() }));
      expect((await vehicles.get(id))?.ownership).toBe('unconfirmed');
      const own = await asCustomer(me, () => rejected(vehicles.confirmOwnership(id)));
      expect([own.type, own.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
      await asAdvisor(() => vehicles.confirmOwnership(id));
      expect((await vehicles.get(id))?.ownership).toBe('confirmed');
      const byStaff = await asAdvisor(() => vehicles.create({ customer_id: me, plate_no: unique.plate() }));
      expect((await vehicles.get(byStaff))?.ownership).toBe('confirmed');
    });

    it("staff registering the owner's plate archive another customer's unconfirmed registration of it; a confirmed one stays a 409", async () => {
      const [squatter, owner, third] = [await newCustomer('Squatter'), await newCustomer('Owner'), await newCustomer('Third')];
      const plate = unique.plate();
      const squat = await asCustomer(squatter, () => vehicles.create({ customer_id: squatter, plate_no: plate }));
      const other = await asCustomer(third, () => rejected(vehicles.create({ customer_id: third, plate_no: plate.toLowerCase() })));
      expect([other.type, other.code]).toEqual(['conflict', 'DRM_DUP_PLATE']);
      const mine = await asAdvisor(() => vehicles.create({ customer_id: owner, plate_no: plate }));
      expect(await vehicles.get(mine)).toEqual(expect.objectContaining({ customer_id: owner, ownership: 'confirmed' }));
      expect((await vehicles.findByPlate(plate))?.id).toBe(mine);
      const [archived] = await odoo.searchRead<{ active: boolean }>('drmoto.vehicle', [['id', '=', squat]], ['active'], { context: { active_test: false } });
      expect(archived?.active).toBe(false);
      const again = await asAdvisor(() => rejected(vehicles.create({ customer_id: squatter, plate_no: plate })));
      expect([again.type, again.code]).toEqual(['conflict', 'DRM_DUP_PLATE']);
    });
  });

  describe('WeChat identity', () => {
    it('one person, one partner: bind links the openid to the customer entered by phone', async () => {
      const digits = unique.phone();
      const entered = await customers.upsert({ name: 'Entered ' + unique.tag(), phone: `+86 ${digits}` });
      const openid = 'o' + unique.tag() + unique.tag();
      const login = await identities.login('wx_contract', openid);
      expect(login).toEqual({ identity_id: expect.any(Number), partner_id: false });
      const again = await identities.login('wx_contract', openid);
      expect(again.identity_id).toBe(login.identity_id);
      const bound = await identities.bindPhone('wx_contract', openid, digits);
      expect(bound).toEqual({ identity_id: login.identity_id, partner_id: entered.id, created: false });
      expect((await identities.login('wx_contract', openid)).partner_id).toBe(entered.id);
      // binding the same phone again is a no-op
      expect(await identities.bindPhone('wx_contract', openid, digits)).toEqual(bound);
      // binding another phone to an already-bound identity is refused
      const other = unique.phone();
      await customers.upsert({ name: 'Other ' + unique.tag(), phone: other });
      const e = await rejected(identities.bindPhone('wx_contract', openid, other));
      expect([e.type, e.code]).toEqual(['conflict', 'DRM_IDENTITY_BOUND']);
    });

    it('binding a phone nobody entered creates the customer', async () => {
      const openid = 'o' + unique.tag() + unique.tag();
      await identities.login('wx_contract', openid);
      const bound = await identities.bindPhone('wx_contract', openid, unique.phone(), 'New Customer');
      expect(bound.created).toBe(true);
      expect((await customers.get(bound.partner_id))?.name).toBe('New Customer');
    });
  });

  describe('staff and access', () => {
    it('drmoto_staff_profile returns the roles of the Odoo groups', async () => {
      const staff = new StaffGateway(odoo);
      const uid = await staff.authenticate('advisor', 'demo');
      expect(uid).toEqual(expect.any(Number));
      const p = await staff.profile(uid!);
      expect(p).toEqual(expect.objectContaining({ uid, login: 'advisor', roles: ['advisor'], company_id: expect.any(Number) }));
      const mgr = await staff.profile((await staff.authenticate('manager', 'demo'))!);
      expect(mgr.roles).toEqual(expect.arrayContaining(['manager']));
    });

    it("a technician calling Odoo directly may read but not create vehicles → 403 (AccessError)", async () => {
      const tech = new VehicleGateway(target.client(transport, { login: 'technician', password: 'demo' }));
      await expect(tech.search([], { offset: 0, limit: 1, order: 'id asc' })).resolves.toEqual(expect.objectContaining({ items: expect.any(Array) }));
      const owner = (await customers.upsert({ name: 'T ' + unique.tag(), phone: unique.phone() })).id;
      const e = await rejected(tech.create({ customer_id: owner, plate_no: unique.plate() }));
      expect([e.type, e.code]).toEqual(['forbidden', 'ODOO_ACCESS']);
    });

    it('a wrong integration password → 503 ODOO_AUTH', async () => {
      const bad = target.client(transport, { login: 'bff', password: 'wrong' });
      const e = await rejected(bad.searchCount('res.partner', []));
      expect([e.type, e.code]).toEqual(['dependency_unavailable', 'ODOO_AUTH']);
    });

    it('server errors (invalid field, unknown method) → 502 ODOO_ERROR, never a 500', async () => {
      const a = await rejected(odoo.searchRead('res.partner', [['no_such_field', '=', 1]], ['id']));
      expect([a.type, a.code]).toEqual(['upstream_error', 'ODOO_ERROR']);
      const b = await rejected(odoo.execute('res.partner', 'no_such_method', [[]]));
      expect([b.type, b.code]).toEqual(['upstream_error', 'ODOO_ERROR']);
    });
  });
});
