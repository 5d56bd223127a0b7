import { AccessError, MissingError, PyError, ValidationError } from '../errors';
import { createOrm } from '../server';
import { Model, Orm } from './orm';

describe(Orm.name, () => {
  let orm: Orm;
  const admin = () => orm.sudoEnv();
  const as = (login: string, ctx: Record<string, unknown> = {}) => {
    const [uid] = orm.sudoEnv().model('res.users')._search([['login', '=', login]]);
    return orm.env(uid!, ctx);
  };
  const partners = () => admin().model('res.partner');
  const ids = (m: Model, domain: unknown[]) => m._search(domain, { order: 'id' });

  beforeEach(() => {
    orm = createOrm();
    orm.now = () => new Date(Date.UTC(2024, 2, 5, 17, 30, 0));
    const p = partners();
    p.create([
      { name: 'Alpha 100%', phone: false, city: 'Shenzhen', customer_rank: 3 },
      { name: 'beta_one', city: false, customer_rank: 0 },
      { name: 'Gamma', city: 'Guangzhou', active: false },
      { name: 'back\\slash', city: 'Shenzhen', customer_rank: 5 },
    ]);
  });

  const byName = (...names: string[]) => names.map((n) => partners().withContext({ active_test: false })._search([['name', '=', n]])[0]);

  describe('domains', () => {
    it('ands implicitly and supports prefix | and !', () => {
      const [alpha, beta] = byName('Alpha 100%', 'beta_one');
      expect(ids(partners(), [['id', 'in', [alpha, beta]], ['city', '=', 'Shenzhen']])).toEqual([alpha]);
      expect(ids(partners(), ['|', ['name', '=', 'Alpha 100%'], ['name', '=', 'beta_one']])).toEqual([alpha, beta]);
      expect(ids(partners(), ['!', ['name', '!=', 'beta_one']])).toEqual([beta]);
    });

    it("('x', '=', False) matches empty values and '!=' a value also matches NULL, as SQL in Odoo", () => {
      const [alpha, beta, slash] = byName('Alpha 100%', 'beta_one', 'back\\slash');
      expect(ids(partners(), [['city', '=', false], ['id', 'in', [alpha, beta, slash]]])).toEqual([beta]);
      expect(ids(partners(), [['city', '!=', 'Shenzhen'], ['id', 'in', [alpha, beta, slash]]])).toEqual([beta]);
      // NOT pushed into the leaf: '!' (city = 'Shenzhen') is city != 'Shenzhen' (NULL included)
      expect(ids(partners(), ['!', ['city', '=', 'Shenzhen'], ['id', 'in', [alpha, beta, slash]]])).toEqual([beta]);
      // but < excludes NULLs on both sides
      expect(ids(partners(), [['city', '<', 'T'], ['id', 'in', [alpha, beta, slash]]])).toEqual([alpha, slash]);
    });

    it("'in' with False also matches NULL; 'not in' without False keeps NULL", () => {
      const [alpha, beta, slash] = byName('Alpha 100%', 'beta_one', 'back\\slash');
      const scope = ['id', 'in', [alpha, beta, slash]];
      expect(ids(partners(), [['city', 'in', ['Guangzhou', false]], scope])).toEqual([beta]);
      expect(ids(partners(), [['city', 'not in', ['Shenzhen']], scope])).toEqual([beta]);
      expect(ids(partners(), [['city', 'not in', ['Guangzhou', false]], scope])).toEqual([alpha, slash]);
      expect(ids(partners(), [['id', 'in', []]])).toEqual([]);
    });

    it('like/ilike wrap in %…% with PostgreSQL wildcards; =like uses the pattern as is; backslash escapes', () => {
      const [alpha, beta, slash] = byName('Alpha 100%', 'beta_one', 'back\\slash');
      expect(ids(partners(), [['name', 'ilike', 'ALPHA']])).toEqual([alpha]);
      expect(ids(partners(), [['name', 'like', 'ALPHA']])).toEqual([]);
      expect(ids(partners(), [['name', 'ilike', 'b_ta']])).toEqual([beta]);
      expect(ids(partners(), [['name', 'ilike', '100\\%']])).toEqual([alpha]);
      expect(ids(partners(), [['name', 'ilike', 'beta\\_one']])).toEqual([beta]);
      expect(ids(partners(), [['name', 'ilike', 'back\\\\slash']])).toEqual([slash]);
      expect(ids(partners(), [['name', '=like', 'Alpha%']])).toEqual([alpha]);
      expect(ids(partners(), [['name', '=ilike', 'alpha']])).toEqual([]);
      expect(ids(partners(), [['name', '=ilike', 'beta_one']])).toEqual([beta]);
      // every other character is literal, regex syntax included
      for (const literal of ["' OR 1=1 --", '(a|b)-[c]{2}/.*+?^$']) expect(ids(partners(), [['name', 'ilike', literal]])).toEqual([]);
    });

    it("ilike '' matches everything, even NULL; not ilike 'x' keeps NULL", () => {
      const all = partners()._search([]).length;
      expect(partners()._search([['city', 'ilike', '']]).length).toBe(all);
      const [beta] = byName('beta_one');
      expect(partners()._search([['city', 'not ilike', 'shen']])).toContain(beta);
    });

    it('hides archived records unless active_test is false or the domain names active', () => {
      const [gamma] = byName('Gamma');
      expect(partners()._search([['name', '=', 'Gamma']])).toEqual([]);
      expect(partners().withContext({ active_test: false })._search([['name', '=', 'Gamma']])).toEqual([gamma]);
      expect(partners()._search([['name', '=', 'Gamma'], ['active', 'in', [true, false]]])).toEqual([gamma]);
    });

    it('follows dotted paths through many2one (comodel searched with active_test=False)', () => {
      const vehicles = admin().model('drmoto.vehicle');
      expect(vehicles.read(vehicles._search([['partner_id.drmoto_phone_normalized', 'ilike', '0013800']]), ['plate_no'])).toEqual([
        { id: 1, plate_no: '粤B12345' },
      ]);
      const [zhang] = partners()._search([['name', '=', 'Zhang San']]);
      partners().write([zhang!], { active: false });
      expect(vehicles._search([['partner_id.name', '=', 'Zhang San']])).toEqual([1]);
      // the seed's other vehicles belong to Wang Wu and Zhao Liu
      expect(vehicles._search([['partner_id.name', '!=', 'Zhang San']])).not.toContain(1);
      expect(vehicles._search([['partner_id.name', '!=', 'Zhang San'], ['partner_id.name', 'not in', ['Wang Wu', 'Zhao Liu']]])).toEqual([]);
    });

    it('resolves a string on a many2one by name_search', () => {
      expect(admin().model('drmoto.vehicle')._search([['partner_id', 'ilike', 'zhang']])).toEqual([1]);
      expect(admin().model('drmoto.vehicle')._search([['partner_id', '=', 'nobody']])).toEqual([]);
    });

    it('supports child_of on a parent field', () => {
      const stock = admin().model('stock.location');
      const [wh] = stock._search([['name', '=', 'WH']]);
      const names = stock.read(stock._search([['id', 'child_of', wh]]), ['complete_name']).map((r) => r.complete_name);
      expect(names).toEqual(['WH', 'WH/Stock']);
    });

    it('raises ValueError for bad domains as Odoo does', () => {
      expect(() => partners()._search([['nope', '=', 1]])).toThrow("Invalid field res.partner.nope in leaf ('nope', '=', 1)");
      expect(() => partners()._search(['|', ['name', '=', 'x']])).toThrow("Domain ['|', ['name', '=', 'x']] is syntactically not correct.");
      expect(() => partners()._search([['name', 'eq', 'x']])).toThrow("Invalid leaf ('name', 'eq', 'x')");
      expect(() => partners()._search([['name', '=']])).toThrow(PyError);
    });
  });

  describe('order, offset, limit', () => {
    it('parses "field desc, id asc" and sorts NULLs last ascending', () => {
      const p = partners();
      const rows = p.read(p._search([['city', 'in', ['Shenzhen', false]], ['customer_rank', '>=', 0]], { order: 'customer_rank desc, id', limit: 2 }), ['name']);
      expect(rows.map((r) => r.name)).toEqual(['back\\slash', 'Alpha 100%']);
      expect(() => p._search([], { order: 'name; drop table' })).toThrow('Invalid "order" specified');
      expect(() => p._search([], { order: 'nope desc' })).toThrow("Invalid field 'nope' on model 'res.partner'");
    });
  });

  describe('read', () => {
    it('returns Odoo shapes: [id, name] many2one, false for empty, id lists, magic fields', () => {
      const [row] = admin().model('drmoto.vehicle').read([1], ['partner_id', 'vin', 'year', 'display_name', 'create_date', 'write_uid', 'active']);
      expect(row).toEqual({
        id: 1,
        partner_id: [expect.any(Number), 'Zhang San'],
        vin: false,
        year: 2021,
        display_name: '粤B12345',
        create_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
        write_uid: [1, 'OdooBot'],
        active: true,
      });
      const [zhang] = partners()._search([['name', '=', 'Zhang San']]);
      expect(partners().read([zhang!], ['drmoto_vehicle_ids', 'drmoto_vehicle_count'])[0]).toEqual({ id: zhang, drmoto_vehicle_ids: [1], drmoto_vehicle_count: 1 });
    });

    it('drops ids that do not exist and rejects unknown fields', () => {
      expect(partners().read([99999], ['name'])).toEqual([]);
      expect(() => partners().read([1], ['zzz'])).toThrow("Invalid field 'zzz' on model 'res.partner'");
    });
  });

  describe('x2many commands', () => {
    it('applies 0–6 on many2many and one2many', () => {
      const groups = admin().model('res.groups');
      const [a, b, c] = groups.create([{ name: 'A' }, { name: 'B' }, { name: 'C' }]);
      const [g] = groups.create([{ name: 'G', implied_ids: [[6, 0, [a, b]]] }]);
      const implied = () => groups.read([g!], ['implied_ids'])[0]!.implied_ids;
      groups.write([g!], { implied_ids: [[4, c], [3, a]] });
      expect(implied()).toEqual(expect.arrayContaining([b, c]));
      groups.write([g!], { implied_ids: [[0, 0, { name: 'New' }]] });
      expect((implied() as number[]).length).toBe(3);
      groups.write([g!], { implied_ids: [[5, 0, 0]] });
      expect(implied()).toEqual([]);

      const p = partners();
      const [company] = p.create([{ name: 'ACME', is_company: true, child_ids: [[0, 0, { name: 'Joe' }], [0, 0, { name: 'Ann' }]] }]);
      const kids = p.read([company!], ['child_ids'])[0]!.child_ids as number[];
      expect(p.read(kids, ['complete_name']).map((r) => r.complete_name).sort()).toEqual(['ACME, Ann', 'ACME, Joe']);
      p.write([company!], { child_ids: [[1, kids[0], { name: 'Joey' }], [3, kids[1]]] });
      expect(p.read([company!], ['child_ids'])[0]!.child_ids).toEqual([kids[0]]);
      p.write([company!], { child_ids: [[2, kids[0]]] });
      expect(p.read([kids[0]!], ['name'])).toEqual([]);
    });
  });

  describe('create/write/unlink', () => {
    it('returns the NOT NULL and foreign key messages of _as_validation_error', () => {
      const v = admin().model('drmoto.vehicle');
      expect(() => v.create([{ plate_no: '粤A11111', company_id: 1 }])).toThrow(
        new ValidationError(
          'The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Workshop vehicle (drmoto.vehicle)\nField: Owner (partner_id)\n',
        ),
      );
      const [zhang] = partners()._search([['name', '=', 'Zhang San']]);
      expect(() => partners().unlink([zhang!])).toThrow(
        'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Workshop vehicle (drmoto.vehicle)\nConstraint: drmoto_vehicle_partner_id_fkey\n',
      );
      expect(() => partners().write([99999], { name: 'x' })).toThrow(new MissingError('Record does not exist or has been deleted.\n(Record: res.partner(99999,), User: 1)'));
      expect(() => partners().unlink([99999])).toThrow(MissingError);
      expect(() => partners().create([{ nope: 1 }])).toThrow("Invalid field 'nope' on model 'res.partner'");
    });
  });

  describe('access', () => {
    it('raises AccessError with Odoo 17 wording from the ACLs', () => {
      const tech = as('technician');
      expect(() => tech.model('drmoto.vehicle').create([{ plate_no: '粤A22222', partner_id: 1 }])).toThrow(
        new AccessError(
          "You are not allowed to create 'Workshop vehicle' (drmoto.vehicle) records.\n\nThis operation is allowed for the following groups:\n\t- Workshop/Manager\n\t- Workshop/Service Advisor\n\nContact your administrator to request access if necessary.",
        ),
      );
      expect(tech.model('drmoto.vehicle').read([1], ['plate_no'])).toEqual([{ id: 1, plate_no: '粤B12345' }]);
      expect(() => as('admin').model('drmoto.vehicle')._search([])).toThrow("You are not allowed to access 'Workshop vehicle' (drmoto.vehicle) records.");
    });

    it('applies the company rule on vehicles', () => {
      const [other] = admin().model('res.company').create([{ name: 'Other Shop', partner_id: 1, currency_id: 1 }]);
      const [zhang] = partners()._search([['name', '=', 'Zhang San']]);
      const [foreign] = admin().model('drmoto.vehicle').create([{ plate_no: '粤C99999', partner_id: zhang, company_id: other }]);
      const advisor = as('advisor').model('drmoto.vehicle');
      expect(advisor._search([])).toContain(1);
      expect(advisor._search([])).not.toContain(foreign);
      expect(() => advisor.read([foreign!], ['plate_no'])).toThrow(/Sorry, Li Advisor \(id=\d+\) doesn't have 'read' access to:\n- Workshop vehicle \(drmoto.vehicle\)/);
      expect(() => advisor.write([foreign!], { odometer: 1 })).toThrow(AccessError);
    });
  });

  describe('read_group', () => {
    beforeEach(() => {
      const quants = admin().model('stock.quant');
      orm.now = () => new Date(Date.UTC(2024, 2, 5, 16, 30, 0)); // 00:30 on 6 March in Shanghai
      quants.create([{ product_id: 1, location_id: 8, quantity: 2 }]);
    });

    it('groups lazily with <field>_count, default sums, __domain', () => {
      const groups = admin().model('stock.quant').readGroup([], ['quantity'], ['product_id'], {});
      expect(groups[0]).toEqual({
        product_id: [1, '[BP-F01] Front brake pads (pair)'],
        product_id_count: 2,
        quantity: 26,
        __domain: [['product_id', '=', 1]],
      });
      expect(admin().model('stock.quant').readGroup([], ['quantity:max'], ['product_id', 'location_id'], { lazy: false })[0]).toMatchObject({
        __count: 2,
        quantity: 24,
      });
    });

    it('groups datetimes by day in the context tz, with __range in UTC and a babel label', () => {
      const quants = admin().withContext({ tz: 'Asia/Shanghai' }).model('stock.quant');
      const groups = quants.readGroup([['quantity', '=', 2]], [], ['create_date:day'], {});
      expect(groups.map((g) => g['create_date:day'])).toEqual(['06 Mar 2024']);
      expect(groups[0]!.__range).toEqual({ 'create_date:day': { from: '2024-03-05 16:00:00', to: '2024-03-06 16:00:00' } });
      expect(groups[0]!.__domain).toEqual(['&', ['quantity', '=', 2], '&', ['create_date', '>=', '2024-03-05 16:00:00'], ['create_date', '<', '2024-03-06 16:00:00']]);
      const utc = admin().model('stock.quant').readGroup([['quantity', '=', 2]], [], ['create_date:month'], {});
      expect(utc[0]!['create_date:month']).toBe('March 2024');
    });

    it('rejects bad specs', () => {
      expect(() => admin().model('stock.quant').readGroup([], [], ['nope'], {})).toThrow("Invalid field 'nope' on model 'stock.quant'");
      expect(() => admin().model('stock.quant').readGroup([], ['quantity:median'], ['product_id'], {})).toThrow("Invalid aggregate method 'median' for 'quantity:median'.");
    });
  });

  describe('fields_get / name_search', () => {
    it('describes fields', () => {
      const f = admin().model('drmoto.vehicle').fieldsGet(['partner_id', 'plate_no'], ['type', 'string', 'relation', 'required']);
      expect(f).toEqual({
        plate_no: { type: 'char', string: 'Plate', required: true },
        partner_id: { type: 'many2one', string: 'Owner', relation: 'res.partner', required: true },
      });
    });

    it('name_search returns [id, display_name] pairs', () => {
      expect(admin().model('product.product').nameSearch('oil', null, 'ilike', 10)).toEqual([
        [expect.any(Number), '[OF-001] Oil filter'],
        [expect.any(Number), '[OIL-1L] Engine oil 10W-40 1L'],
      ]);
    });
  });
});
