import { AccessError, MissingError, UserError, ValidationError } from '../errors';
import { createOrm, OdooService } from '../server';
import type { Orm } from '../orm/orm';

describe('drmoto_workshop models', () => {
  let orm: Orm;
  let odoo: OdooService;
  const uid = (login: string) => orm.sudoEnv({ active_test: false }).model('res.users')._search([['login', '=', login]])[0]!;
  const call = (login: string, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    odoo.execute(uid(login), model, method, args, kwargs);
  const zhang = () => orm.sudoEnv().model('res.partner')._search([['name', '=', 'Zhang San']])[0]!;

  beforeEach(() => {
    orm = createOrm();
    odoo = new OdooService(orm, 'drmoto');
  });

  describe('res.partner', () => {
    describe('drmoto_upsert_customer', () => {
      it('finds the customer by normalized phone, fills only empty fields, never renames', () => {
        expect(call('advisor', 'res.partner', 'drmoto_upsert_customer', [{ name: 'Other', phone: '0086 138 0013 8000', email: 'z@example.com' }])).toEqual({
          id: zhang(),
          created: false,
        });
        expect(orm.sudoEnv().model('res.partner').read([zhang()], ['name', 'email'])).toEqual([{ id: zhang(), name: 'Zhang San', email: 'z@example.com' }]);
      });

      it('creates a customer', () => {
        const r = call('bff', 'res.partner', 'drmoto_upsert_customer', [{ name: ' Li Si ', phone: '+86 139-0013-9000' }]) as { id: number; created: boolean };
        expect(r.created).toBe(true);
        expect(orm.sudoEnv().model('res.partner').read([r.id], ['name', 'drmoto_phone_normalized', 'drmoto_is_customer', 'customer_rank'])[0]).toEqual({
          id: r.id,
          name: 'Li Si',
          drmoto_phone_normalized: '13900139000',
          drmoto_is_customer: true,
          customer_rank: 1,
        });
      });

      it('refuses bad input with stable codes', () => {
        expect(() => call('advisor', 'res.partner', 'drmoto_upsert_customer', [{ name: 'X', phone: '12345' }])).toThrow(
          new UserError('DRM_PHONE_INVALID: the phone number is neither a CN mobile nor an E.164 number'),
        );
        expect(() => call('advisor', 'res.partner', 'drmoto_upsert_customer', [{ phone: '13900139000' }])).toThrow('DRM_VALIDATION: a new customer needs a name');
        expect(() => call('advisor', 'res.partner', 'drmoto_upsert_customer', [{ name: 'X', phone: '13900139000', vip: true }])).toThrow('DRM_VALIDATION: unknown fields: vip');
        expect(() =>
          call('bff', 'res.partner', 'drmoto_upsert_customer', [{ name: 'X', phone: '13900139000' }], { context: { drmoto_actor: { kind: 'customer', partner_id: 5 } } }),
        ).toThrow(new AccessError('DRM_FORBIDDEN: only staff may create customers'));
        expect(() =>
          call('bff', 'res.partner', 'drmoto_upsert_customer', [{ name: 'X', phone: '13900139000' }], { context: { drmoto_actor: { kind: 'staff', uid: uid('technician') } } }),
        ).toThrow(`DRM_FORBIDDEN: staff user ${uid('technician')} may not create customers`);
      });
    });

    it('keeps the phone unique among active customers (DRM_DUP_PHONE) but not among archived ones', () => {
      expect(() => call('bff', 'res.partner', 'create', [{ name: 'Twin', phone: '+86 138 0013 8000', drmoto_is_customer: true }])).toThrow(
        new ValidationError('The operation cannot be completed: DRM_DUP_PHONE: another customer already has this phone number'),
      );
      expect(call('bff', 'res.partner', 'create', [{ name: 'Old twin', phone: '13800138000', drmoto_is_customer: true, active: false }])).toEqual(expect.any(Number));
      expect(call('bff', 'res.partner', 'create', [{ name: 'Not a customer', phone: '13800138000' }])).toEqual(expect.any(Number));
      expect(() => call('bff', 'res.partner', 'create', [{ name: 'Bad', phone: '123', drmoto_is_customer: true }])).toThrow('DRM_PHONE_INVALID');
    });

    it('lets a customer actor change only their own details, and only for the integration user', () => {
      const own = { context: { drmoto_actor: { kind: 'customer', partner_id: zhang() } } };
      const other = { context: { drmoto_actor: { kind: 'customer', partner_id: 999 } } };
      expect(call('bff', 'res.partner', 'write', [[zhang()], { city: 'Foshan' }], own)).toBe(true);
      expect(() => call('bff', 'res.partner', 'write', [[zhang()], { city: 'X' }], other)).toThrow(new AccessError('DRM_FORBIDDEN: a customer may only change their own details'));
      expect(() => call('bff', 'res.partner', 'write', [[zhang()], { drmoto_is_customer: false }], own)).toThrow(
        'DRM_FORBIDDEN: a customer may only change city, comment, email, name, phone, street',
      );
      // ignored for anyone but the integration user
      expect(call('advisor', 'res.partner', 'write', [[zhang()], { city: 'X' }], other)).toBe(true);
    });
  });

  describe('drmoto.vehicle', () => {
    const create = (vals: Record<string, unknown>, login = 'advisor', kwargs: Record<string, unknown> = {}) =>
      call(login, 'drmoto.vehicle', 'create', [{ partner_id: zhang(), ...vals }], kwargs);

    it('normalizes plate and VIN, names the vehicle after the plate, defaults the company', () => {
      const id = create({ plate_no: '粤b· 54321', vin: ' lhgkf1234567890ab ' }) as number;
      expect(orm.sudoEnv().model('drmoto.vehicle').read([id], ['name', 'plate_no', 'plate_normalized', 'vin', 'company_id'])[0]).toEqual({
        id,
        name: '粤b· 54321',
        plate_no: '粤b· 54321',
        plate_normalized: '粤B54321',
        vin: 'LHGKF1234567890AB',
        company_id: [1, 'DrMoto Demo Shop'],
      });
    });

    it('validates plate, VIN, year and odometer', () => {
      expect(() => create({ plate_no: ' · ' })).toThrow(new ValidationError('DRM_PLATE_INVALID: the plate is required'));
      expect(() => create({ plate_no: '粤B#1' })).toThrow(
        'DRM_PLATE_INVALID: a plate is 2 to 12 Chinese characters, letters A-Z or digits once separators are removed',
      );
      expect(() => create({ plate_no: '粤B11111', vin: 'IOQ' })).toThrow('DRM_VIN_INVALID: a VIN is 17 characters of A-Z (without I, O, Q) and 0-9');
      expect(() => create({ plate_no: '粤B11111', year: 1800 })).toThrow(/^DRM_VALIDATION: the year must be between 1900 and \d{4}$/);
      expect(() => create({ plate_no: '粤B11111', odometer: -1 })).toThrow("DRM_VALIDATION: the odometer can't be negative");
    });

    it('keeps plates unique per shop and VINs unique', () => {
      expect(() => create({ plate_no: '粤b·12345' })).toThrow(
        new ValidationError('The operation cannot be completed: DRM_DUP_PLATE: this plate is already registered in this shop'),
      );
      create({ plate_no: '粤B22222', vin: 'LHGKF1234567890AB' });
      expect(() => create({ plate_no: '粤B33333', vin: 'lhgkf1234567890ab' })).toThrow('The operation cannot be completed: DRM_DUP_VIN: this VIN is already registered');
    });

    it('lets a customer actor register and change only their own vehicles', () => {
      const asCustomer = { context: { drmoto_actor: { kind: 'customer', partner_id: zhang() } } };
      const id = call('bff', 'drmoto.vehicle', 'create', [{ plate_no: '粤B77777' }], asCustomer) as number;
      expect(orm.sudoEnv().model('drmoto.vehicle').row(id)!.partner_id).toBe(zhang());
      expect(() => call('bff', 'drmoto.vehicle', 'create', [{ plate_no: '粤B88888', partner_id: 1 }], asCustomer)).toThrow(
        'DRM_FORBIDDEN: a customer may only register their own vehicles',
      );
      expect(() => call('bff', 'drmoto.vehicle', 'write', [[id], { partner_id: 1 }], asCustomer)).toThrow(
        'DRM_FORBIDDEN: a customer may not give a vehicle away or move it to another shop',
      );
      const stranger = { context: { drmoto_actor: { kind: 'customer', partner_id: 1 } } };
      expect(() => call('bff', 'drmoto.vehicle', 'write', [[id], { odometer: 5 }], stranger)).toThrow('DRM_FORBIDDEN: a customer may only change their own vehicles');
      expect(() => call('bff', 'drmoto.vehicle', 'unlink', [[id]], asCustomer)).toThrow('DRM_FORBIDDEN: only a manager may delete vehicles; archive them instead');
    });

    it('rolls the whole call back on error', () => {
      expect(() => call('advisor', 'drmoto.vehicle', 'create', [[{ plate_no: '粤B40000', partner_id: zhang() }, { plate_no: '粤B40000', partner_id: zhang() }]])).toThrow(
        'DRM_DUP_PLATE',
      );
      expect(orm.sudoEnv().model('drmoto.vehicle')._search([['plate_normalized', '=', '粤B40000']])).toEqual([]);
    });
  });

  describe('drmoto.wechat.identity', () => {
    it('drmoto_login gets or creates the identity', () => {
      const first = call('bff', 'drmoto.wechat.identity', 'drmoto_login', ['wxapp', 'openid-1']) as { identity_id: number };
      expect(first).toEqual({ identity_id: expect.any(Number), partner_id: false });
      expect(call('bff', 'drmoto.wechat.identity', 'drmoto_login', ['wxapp', 'openid-1', 'union-1'])).toEqual(first);
      expect(() => call('bff', 'drmoto.wechat.identity', 'drmoto_login', ['wxapp', ' '])).toThrow('DRM_VALIDATION: openid must be a non-empty string');
    });

    it('drmoto_bind_phone links the advisor-entered customer, creates one otherwise, refuses a second customer', () => {
      expect(call('bff', 'drmoto.wechat.identity', 'drmoto_bind_phone', ['wxapp', 'o1', '+86 13800138000'])).toEqual({
        identity_id: expect.any(Number),
        partner_id: zhang(),
        created: false,
      });
      expect(call('bff', 'drmoto.wechat.identity', 'drmoto_bind_phone', ['wxapp', 'o1', '13800138000'])).toMatchObject({ partner_id: zhang(), created: false });
      expect(() => call('bff', 'drmoto.wechat.identity', 'drmoto_bind_phone', ['wxapp', 'o1', '13900000001'])).toThrow(
        new UserError('DRM_IDENTITY_BOUND: this WeChat identity is already bound to another customer'),
      );
      const fresh = call('bff', 'drmoto.wechat.identity', 'drmoto_bind_phone', ['wxapp', 'o2', '13900000001']) as { partner_id: number; created: boolean };
      expect(fresh.created).toBe(true);
      expect(orm.sudoEnv().model('res.partner').read([fresh.partner_id], ['name'])[0]!.name).toBe('WeChat user 0001');
      expect(call('bff', 'drmoto.wechat.identity', 'drmoto_login', ['wxapp', 'o2'])).toMatchObject({ partner_id: fresh.partner_id });
    });

    it('is not readable by a technician', () => {
      expect(() => call('technician', 'drmoto.wechat.identity', 'search', [[]])).toThrow(AccessError);
    });
  });

  describe('res.users', () => {
    it('drmoto_staff_profile returns ids, companies and roles', () => {
      expect(call('bff', 'res.users', 'drmoto_staff_profile', [uid('advisor')])).toEqual({
        uid: uid('advisor'),
        name: 'Li Advisor',
        login: 'advisor',
        partner_id: expect.any(Number),
        company_id: 1,
        company_ids: [1],
        roles: ['advisor'],
      });
      expect((call('manager', 'res.users', 'drmoto_staff_profile', [uid('manager')]) as { roles: string[] }).roles).toEqual([
        'technician',
        'advisor',
        'keeper',
        'cashier',
        'manager',
      ]);
      expect((call('admin', 'res.users', 'drmoto_staff_profile', [uid('admin')]) as { roles: string[] }).roles).toEqual([]);
      expect(() => call('advisor', 'res.users', 'drmoto_staff_profile', [uid('manager')])).toThrow(
        "DRM_FORBIDDEN: only the integration user may read another user's profile",
      );
      expect(() => call('bff', 'res.users', 'drmoto_staff_profile', [999999])).toThrow(new MissingError('DRM_NOT_FOUND: no active user with id 999999'));
    });
  });

  describe('res.company / res.currency', () => {
    it('exposes the shop time zone and currency decimals', () => {
      expect(call('bff', 'res.company', 'read', [[1], ['drmoto_tz', 'currency_id']])).toEqual([{ id: 1, drmoto_tz: 'Asia/Shanghai', currency_id: [1, 'CNY'] }]);
      expect(call('bff', 'res.currency', 'search_read', [[['name', 'in', ['CNY', 'JPY']]], ['decimal_places']], { context: { active_test: false } })).toEqual([
        { id: 1, decimal_places: 2 },
        { id: 4, decimal_places: 0 },
      ]);
    });
  });
});
