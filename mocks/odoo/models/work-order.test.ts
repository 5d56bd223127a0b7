/**
 * drmoto.work.order and friends: the same matrix as odoo-addons/drmoto_workshop/tests/test_drmoto_work_order*.py,
 * test_drmoto_wo_status_log.py and test_drmoto_audit_log.py, run through OdooService.execute (one transaction per
 * call, as execute_kw) and, for the fault shapes, over HTTP.
 */
import http from 'node:http';
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from '../../../bff/src/integrations/odoo/xmlrpc-codec';
import { AccessError, MissingError, UserError, ValidationError } from '../errors';
import { createOrm, OdooService, startOdooMock } from '../server';
import type { Orm } from '../orm/orm';
import type { Row } from '../orm/types';
import { fails } from './fails.testing';

type Result = Record<string, unknown>;
type Actor = Record<string, unknown>;

describe('work orders (issue 3)', () => {
  let orm: Orm;
  let odoo: OdooService;
  let keySeq = 0;
  const key = () => `test-key-${++keySeq}`;
  const uid = (login: string) => orm.ref(`drmoto_mock.user_${login}`);
  const bff = () => orm.sudoEnv({ active_test: false }).model('res.users')._search([['login', '=', 'bff']])[0]!;
  const partner = (name: string) => orm.sudoEnv().model('res.partner')._search([['name', '=', name]])[0]!;
  const vehicle = (plate: string) => orm.sudoEnv().model('drmoto.vehicle')._search([['plate_normalized', '=', plate]])[0]!;
  const staff = (login: string): Actor => ({ kind: 'staff', uid: uid(login) });
  const customer = (name = 'Zhang San'): Actor => ({ kind: 'customer', partner_id: partner(name) });
  const system: Actor = { kind: 'system' };
  const sudo = () => orm.sudoEnv();
  const wo = (id: number): Row => sudo().model('drmoto.work.order').row(id)!;
  const logs = (id: number) => sudo().model('drmoto.wo.status.log').sortRows(sudo().model('drmoto.wo.status.log').allRows().filter((l) => l.work_order_id === id), 'id');
  const audits = (id: number) => sudo().model('drmoto.audit.log').sortRows(sudo().model('drmoto.audit.log').allRows().filter((a) => a.work_order_id === id), 'id');
  const quotes = (id: number) => sudo().model('drmoto.work.order.quote').sortRows(sudo().model('drmoto.work.order.quote').allRows().filter((q) => q.work_order_id === id), 'version');
  const lines = (quoteId: number) => sudo().model('drmoto.work.order.quote.line').sortRows(sudo().model('drmoto.work.order.quote.line').allRows().filter((l) => l.quote_id === quoteId), 'sequence, id');
  const product = (code: string) => sudo().model('product.product')._search([['default_code', '=', code]])[0]!;
  const incl = () => orm.ref('drmoto_mock.tax_vat13_incl');
  const excl = () => orm.ref('drmoto_mock.tax_vat13_excl');

  const ex = (u: number, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) => odoo.execute(u, model, method, args, kwargs);
  /** the BFF's call: the integration user speaking for `actor` */
  const asBff = (actor: Actor, model: string, method: string, args: unknown[], ctx: Record<string, unknown> = {}) =>
    ex(bff(), model, method, args, { context: { drmoto_actor: actor, ...ctx } });
  const open = (actor: Actor = staff('advisor'), vals: Record<string, unknown> = {}, k = key()): Result =>
    asBff(actor, 'drmoto.work.order', 'action_open', [{ partner_id: partner('Zhang San'), vehicle_id: vehicle('粤B12345'), symptom: 'brakes squeal', ...vals }, k]) as Result;
  const openId = (vals: Record<string, unknown> = {}) => open(staff('advisor'), vals).id as number;
  /** positional revision, request key, then args — as the BFF calls */
  const act = (id: number, method: string, actor: Actor, args: unknown[] = [], opts: { revision?: unknown; key?: string; ctx?: Record<string, unknown> } = {}): Result =>
    asBff(actor, 'drmoto.work.order', method, [[id], opts.revision === undefined ? wo(id).revision : opts.revision, opts.key ?? key(), ...args], opts.ctx) as Result;
  const labor = (price = 100, extra: Record<string, unknown> = {}) => ({ kind: 'labor', description: 'Labor', qty: 1, price_unit: price, ...extra });
  const part = (code: string, qty = 1, price?: number, extra: Record<string, unknown> = {}) => {
    const p = sudo().model('product.product').row(product(code))!;
    return { kind: 'part', product_id: p.id, description: String(p.name), qty, price_unit: price ?? Number(p.list_price), ...extra };
  };
  /** the settlement job (issue 5): invoices synced, the payment registered */
  const setPaid = (id: number, amount: number) => {
    asBff(system, 'drmoto.work.order', 'action_sync_invoices', [[id], key()]);
    asBff(system, 'drmoto.work.order', 'action_register_payment', [[id], `ledger-${key()}`, amount, 'wechat']);
  };

  function toState(state: string, ls: unknown[] = [labor()]): number {
    const id = openId();
    if (state === 'draft') return id;
    act(id, 'action_checkin', staff('advisor'));
    if (state === 'checkin') return id;
    act(id, 'action_start_diagnosis', staff('technician'));
    if (state === 'diagnosing') return id;
    act(id, 'action_create_quote', staff('advisor'), [ls]);
    act(id, 'action_send_quote', staff('advisor'), [quotes(id).length]);
    if (state === 'quoted') return id;
    act(id, 'action_confirm_quote', customer(), [quotes(id).length]);
    act(id, 'action_start_repair', staff('technician'));
    if (state === 'in_progress') return id;
    act(id, 'action_mark_ready', staff('technician'));
    if (state === 'ready') return id;
    throw new Error(state);
  }

  /** the thrown error, checked for class and code */
  beforeEach(() => {
    orm = createOrm();
    odoo = new OdooService(orm, 'drmoto');
  });

  // ------------------------------------------------------------------------------------------ open

  describe('action_open', () => {
    it('opens a draft as the advisor: number, shop, warehouse, advisor, technician, one open log row', () => {
      const r = open(staff('advisor'), { odometer_in: 12800, technician_id: uid('technician'), promised_date: '2026-05-01 10:00:00' }, 'open-1');
      expect(Object.keys(r).sort()).toEqual(['id', 'name', 'replayed', 'revision', 'state']);
      expect(r).toMatchObject({ state: 'draft', revision: 1, replayed: false, name: expect.stringMatching(/^WO\/\d{4}\/\d{5}$/) });
      const row = wo(r.id as number);
      expect(row).toMatchObject({ advisor_id: uid('advisor'), technician_id: uid('technician'), company_id: 1, warehouse_id: 1, open_request_key: 'open-1', odometer_in: 12800, promised_date: '2026-05-01 10:00:00' });
      const [log, ...more] = logs(r.id as number);
      expect(more).toEqual([]);
      expect(log).toMatchObject({ event: 'open', action: 'open', from_state: null, to_state: 'draft', actor_kind: 'staff', actor_user_id: uid('advisor'), user_id: bff(), request_key: 'open-1', revision: 1 });
    });

    it('numbers from the shared sequence WO/<year>/NNNNN', () => {
      const a = open().name as string;
      const b = open().name as string;
      expect(Number(b.slice(-5))).toBe(Number(a.slice(-5)) + 1);
      expect(a.slice(3, 7)).toBe(String(new Date().getUTCFullYear())); // no tz in the context: UTC, as ir.sequence
    });

    it('an advisor opens straight into checkin; the same key returns the same work order; another vehicle → DRM_DUP_KEY', () => {
      const first = open(staff('advisor'), { state: 'checkin' }, 'open-2');
      expect(first.state).toBe('checkin');
      const again = open(staff('advisor'), { state: 'checkin' }, 'open-2');
      expect(again).toEqual({ ...first, replayed: true });
      expect(sudo().model('drmoto.work.order').searchCount([['open_request_key', '=', 'open-2']])).toBe(1);
      const e = fails(() => open(staff('advisor'), { partner_id: partner('Wang Wu'), vehicle_id: vehicle('粤B56789') }, 'open-2'), UserError, 'DRM_DUP_KEY');
      expect(e.message).toBe(`DRM_DUP_KEY: request key open-2 already opened work order ${String(first.name)} for another vehicle`);
    });

    it('a customer opens a draft for their own vehicle only, and assigns no technician', () => {
      const r = asBff(customer(), 'drmoto.work.order', 'action_open', [{ vehicle_id: vehicle('粤B12345'), symptom: "won't start", state: 'checkin' }, key()]) as Result;
      expect(wo(r.id as number)).toMatchObject({ state: 'draft', partner_id: partner('Zhang San'), advisor_id: null });
      expect(logs(r.id as number)[0]).toMatchObject({ actor_kind: 'customer', actor_partner_id: partner('Zhang San') });
      const e = fails(() => asBff(customer('Wang Wu'), 'drmoto.work.order', 'action_open', [{ vehicle_id: vehicle('粤B12345') }, key()]), AccessError, 'DRM_FORBIDDEN');
      expect(e.message).toBe('DRM_FORBIDDEN: a customer may only open work orders for their own vehicles');
      fails(() => asBff(customer(), 'drmoto.work.order', 'action_open', [{ vehicle_id: vehicle('粤B12345'), technician_id: uid('technician') }, key()]), AccessError, 'DRM_FORBIDDEN');
    });

    it('refuses other actors and bad vals', () => {
      for (const actor of [staff('technician'), staff('cashier'), staff('keeper'), system]) fails(() => open(actor), AccessError, 'DRM_FORBIDDEN');
      expect(() => open(staff('technician'))).toThrow(`DRM_FORBIDDEN: staff user ${uid('technician')} may not open a work order`);
      expect(() => open(system)).toThrow('DRM_FORBIDDEN: the system may not open a work order');
      const bad: Array<[Record<string, unknown>, string | RegExp]> = [
        [{ partner_id: partner('Wang Wu') }, 'DRM_VALIDATION: vehicle 粤B12345 does not belong to Wang Wu'],
        [{ color: 'red' }, 'DRM_VALIDATION: unknown fields: color'],
        [{ vehicle_id: 'x' }, 'DRM_VALIDATION: vehicle_id must be a vehicle id'],
        [{ vehicle_id: 999999 }, 'DRM_VALIDATION: vehicle 999999 does not exist'],
        [{ state: 'quoted' }, "DRM_VALIDATION: a work order opens as 'draft' or 'checkin', not 'quoted'"],
        [{ odometer_in: -1 }, 'DRM_VALIDATION: odometer_in must be a non-negative integer'],
        [{ promised_date: 'tomorrow' }, "DRM_VALIDATION: promised_date must be 'YYYY-MM-DD HH:MM:SS' (UTC)"],
        [{ technician_id: uid('cashier') }, `DRM_VALIDATION: user ${uid('cashier')} is not a technician of this shop`],
      ];
      for (const [vals, msg] of bad) expect(() => open(staff('advisor'), vals)).toThrow(msg);
      expect(() => open(staff('advisor'), { partner_id: partner('Wang Wu') })).toThrow(ValidationError);
      expect(sudo().model('drmoto.work.order').searchCount([['symptom', '=', 'brakes squeal']])).toBe(0);
    });

    it('a work order created in the UI gets a number and an open row with a ui- key; every write bumps the revision', () => {
      const id = ex(uid('advisor'), 'drmoto.work.order', 'create', [{ partner_id: partner('Zhang San'), vehicle_id: vehicle('粤B12345'), symptom: 'rattle' }]) as number;
      expect(wo(id)).toMatchObject({ revision: 1, state: 'draft', advisor_id: uid('advisor'), warehouse_id: 1 });
      expect(String(wo(id).name)).toMatch(/^WO\/\d{4}\/\d{5}$/);
      expect(logs(id).map((l) => [l.event, String(l.request_key).slice(0, 3)])).toEqual([['open', 'ui-']]);
      ex(uid('advisor'), 'drmoto.work.order', 'write', [[id], { symptom: 'rattle at 60 km/h' }]);
      expect(wo(id).revision).toBe(2);
      ex(uid('advisor'), 'drmoto.work.order', 'write', [[id], { odometer_in: 100 }]);
      expect(wo(id).revision).toBe(3);
    });

    it('guards the fields only the actions change, the owner, deletion', () => {
      const id = openId();
      for (const vals of [{ state: 'closed' }, { revision: 9 }, { amount_paid: 5 }, { closed_at: '2026-01-01 00:00:00' }]) {
        fails(() => ex(uid('manager'), 'drmoto.work.order', 'write', [[id], vals]), UserError, 'DRM_VALIDATION');
      }
      expect(() => ex(uid('manager'), 'drmoto.work.order', 'write', [[id], { state: 'closed' }])).toThrow("DRM_VALIDATION: state change only through the work order's actions");
      // a caller can't unlock the guard with the addon's context flag
      fails(() => ex(uid('manager'), 'drmoto.work.order', 'write', [[id], { state: 'closed' }], { context: { drmoto_wo_action: true } }), UserError, 'DRM_VALIDATION');
      expect(() => ex(uid('technician'), 'drmoto.work.order', 'write', [[id], { symptom: 'x' }])).toThrow(AccessError);
      expect(() => asBff(customer(), 'drmoto.work.order', 'write', [[id], { symptom: 'x' }])).toThrow('DRM_FORBIDDEN: a customer may not change work orders directly');
      fails(() => ex(uid('advisor'), 'drmoto.work.order', 'write', [[id], { partner_id: partner('Wang Wu') }]), ValidationError, 'DRM_VALIDATION');
      expect(() => ex(uid('manager'), 'drmoto.work.order', 'unlink', [[id]])).toThrow(AccessError);
      expect(() => sudo().model('drmoto.work.order').unlink([id])).toThrow(`DRM_WO_STATE: work order ${String(wo(id).name)} has a history and can't be deleted; cancel it instead`);
      expect(() => ex(uid('advisor'), 'drmoto.work.order', 'write', [[id], { odometer_out: -5 }])).toThrow(
        new ValidationError("The operation cannot be completed: DRM_VALIDATION: the odometer can't be negative"),
      );
      expect(wo(id).revision).toBe(1);
    });
  });

  // ------------------------------------------------------------------------------------------ transitions

  describe('transitions', () => {
    it('happy path: each action +1 revision (deliver of a settled order +2), one log row each', () => {
      const id = openId();
      const steps: Array<[string, Actor, unknown[], string]> = [
        ['action_checkin', staff('advisor'), [], 'checkin'],
        ['action_start_diagnosis', staff('technician'), [], 'diagnosing'],
        ['action_record_diagnosis', staff('technician'), ['worn pads'], 'diagnosing'],
        ['action_create_quote', staff('advisor'), [[labor(0)]], 'diagnosing'],
        ['action_send_quote', staff('advisor'), [1], 'quoted'],
        ['action_confirm_quote', customer(), [1], 'quoted'],
        ['action_start_repair', staff('technician'), [], 'in_progress'],
        ['action_mark_ready', staff('technician'), [], 'ready'],
        ['action_deliver', staff('advisor'), [], 'closed'],
      ];
      for (const [method, actor, args, state] of steps) {
        const before = wo(id).revision as number;
        const r = act(id, method, actor, args);
        const expected = before + (method === 'action_deliver' ? 2 : 1);
        expect(r).toMatchObject({ id, name: wo(id).name, state, revision: expected, replayed: false, log_id: expect.any(Number) });
        expect(wo(id)).toMatchObject({ state, revision: expected });
      }
      expect(wo(id).diagnosis).toBe('worn pads');
      expect(wo(id).delivered_at && wo(id).closed_at).toBeTruthy();
      const rows = logs(id);
      expect(rows.map((l) => l.action)).toEqual(['open', 'checkin', 'start_diagnosis', 'record_diagnosis', 'create_quote', 'send_quote', 'confirm_quote', 'start_repair', 'mark_ready', 'deliver', 'close']);
      expect(rows.map((l) => l.event)).toEqual(['open', 'transition', 'transition', 'diagnosis', 'quote_created', 'quote_sent', 'quote_confirmed', 'transition', 'transition', 'transition', 'transition']);
      expect(rows.map((l) => l.revision)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(rows[10]!.request_key).toBe(`${String(rows[9]!.request_key)}/close`);
    });

    it('every illegal transition → DRM_WO_STATE naming the current state, nothing changes', () => {
      const calls: Record<string, [unknown[], string[]]> = {
        action_checkin: [[], ['draft']],
        action_start_diagnosis: [[], ['checkin']],
        action_record_diagnosis: [['text'], ['diagnosing']],
        action_create_quote: [[[labor()]], ['diagnosing', 'quoted', 'in_progress']],
        action_start_repair: [[], ['quoted']],
        action_mark_ready: [[], ['in_progress']],
        action_deliver: [[], ['ready']],
        action_cancel: [['reason'], ['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready']],
        action_send_quote: [[1], ['diagnosing', 'quoted', 'in_progress']],
        action_confirm_quote: [[1], ['quoted', 'in_progress']],
        action_reject_quote: [[1], ['quoted', 'in_progress']],
      };
      const orders: Record<string, number> = {};
      for (const s of ['draft', 'checkin', 'diagnosing', 'quoted', 'in_progress', 'ready']) orders[s] = toState(s);
      orders.closed = toState('ready', [labor(0)]);
      act(orders.closed, 'action_deliver', staff('advisor'));
      orders.cancelled = openId();
      act(orders.cancelled, 'action_cancel', staff('advisor'), ['customer left']);
      orders.delivered = toState('ready', [labor(10)]);
      act(orders.delivered, 'action_deliver', staff('manager'), [true]);
      expect(Object.fromEntries(Object.entries(orders).map(([s, id]) => [s, wo(id).state]))).toEqual(Object.fromEntries(Object.keys(orders).map((s) => [s, s])));
      let checked = 0;
      for (const [method, [args, legal]] of Object.entries(calls)) {
        for (const [state, id] of Object.entries(orders)) {
          if (legal.includes(state)) continue;
          const before = [logs(id).length, wo(id).revision];
          const e = fails(() => act(id, method, staff('manager'), args), UserError, 'DRM_WO_STATE');
          expect(e.message).toMatch(new RegExp(`^DRM_WO_STATE: work order ${String(wo(id).name)} is in state '${state}'; cannot `));
          expect([logs(id).length, wo(id).revision]).toEqual(before);
          checked++;
        }
      }
      expect(checked).toBe(77); // 11 actions × 9 states − the legal pairs
      expect(() => act(orders.draft!, 'action_checkin', staff('manager'), [], { revision: false }) && act(orders.draft!, 'action_checkin', staff('manager'))).toThrow(
        `DRM_WO_STATE: work order ${String(wo(orders.draft!).name)} is in state 'checkin'; cannot check in`,
      );
    });

    it('a stale revision → DRM_STALE (checked before the state); a falsy revision skips the check', () => {
      const id = openId();
      const e = fails(() => act(id, 'action_checkin', staff('advisor'), [], { revision: 7 }), UserError, 'DRM_STALE');
      expect(e.message).toBe(`DRM_STALE: work order ${String(wo(id).name)} is at revision 1, not 7`);
      expect([wo(id).state, wo(id).revision, logs(id).length]).toEqual(['draft', 1, 1]);
      act(id, 'action_checkin', staff('advisor'), [], { revision: false });
      expect(wo(id).state).toBe('checkin');
      fails(() => act(id, 'action_checkin', staff('advisor'), [], { revision: 1 }), UserError, 'DRM_STALE');
      expect(() => act(id, 'action_start_diagnosis', staff('advisor'), [], { revision: '2' })).toThrow('DRM_VALIDATION: revision must be an integer');
    });

    it('a repeated request key replays the first result (one log row), even stale, before the actor check; another action → DRM_DUP_KEY', () => {
      const id = openId();
      const first = act(id, 'action_checkin', staff('advisor'), [], { key: 'k-checkin' });
      act(id, 'action_start_diagnosis', staff('technician'));
      const n = logs(id).length;
      const again = act(id, 'action_checkin', staff('advisor'), [], { revision: 1, key: 'k-checkin' });
      expect(again).toEqual({ ...first, replayed: true });
      expect(logs(id).length).toBe(n);
      expect(wo(id).state).toBe('diagnosing');
      expect(logs(id).filter((l) => l.request_key === 'k-checkin')).toHaveLength(1);
      expect(act(id, 'action_checkin', staff('technician'), [], { key: 'k-checkin' }).replayed).toBe(true);
      const e = fails(() => act(id, 'action_record_diagnosis', staff('technician'), ['x'], { key: 'k-checkin' }), UserError, 'DRM_DUP_KEY');
      expect(e.message).toBe(`DRM_DUP_KEY: request key k-checkin was used for 'checkin' on work order ${String(wo(id).name)}, not for 'record_diagnosis'`);
      // the same key on another work order is another request
      const other = openId();
      expect(act(other, 'action_checkin', staff('advisor'), [], { key: 'k-checkin' }).replayed).toBe(false);
    });

    it('concurrent transitions serialize: the loser sees DRM_STALE, or its own key replayed', () => {
      const id = openId();
      const rev = wo(id).revision;
      const a = act(id, 'action_checkin', staff('advisor'), [], { revision: rev, key: 'race-a' });
      fails(() => act(id, 'action_checkin', staff('advisor'), [], { revision: rev, key: 'race-b' }), UserError, 'DRM_STALE');
      expect(act(id, 'action_checkin', staff('advisor'), [], { revision: rev, key: 'race-a' })).toEqual({ ...a, replayed: true });
      expect(logs(id).filter((l) => l.to_state === 'checkin')).toHaveLength(1);
    });

    it('validates the key and the work order; without a key the UI gets a ui- key', () => {
      const id = openId();
      for (const k of ['x'.repeat(256), 12, '  ']) expect(() => act(id, 'action_checkin', staff('advisor'), [], { key: k as string })).toThrow('DRM_VALIDATION: a request key is a string of 1 to 255 characters');
      fails(() => asBff(staff('advisor'), 'drmoto.work.order', 'action_checkin', [[999999], 1, 'k']), MissingError, 'DRM_NOT_FOUND');
      expect(() => asBff(staff('advisor'), 'drmoto.work.order', 'action_checkin', [[id, id + 1], 1, 'k'])).toThrow('DRM_VALIDATION: an action runs on exactly one work order');
      ex(uid('advisor'), 'drmoto.work.order', 'action_checkin', [[id]]);
      expect(String(logs(id).at(-1)!.request_key)).toMatch(/^ui-[0-9a-f-]{36}$/);
    });

    it('an action is all-or-nothing: a failure after its first writes leaves nothing behind', () => {
      const id = toState('diagnosing');
      const before = orm.snapshot();
      const logDef = orm.defs.get('drmoto.wo.status.log')!;
      const hooks = logDef.hooks!;
      const saved = hooks.beforeCreate;
      hooks.beforeCreate = () => {
        throw new UserError('simulated failure');
      };
      try {
        expect(() => act(id, 'action_create_quote', staff('advisor'), [[labor(100), part('BP-F01', 1, 150)]])).toThrow('simulated failure');
      } finally {
        hooks.beforeCreate = saved;
      }
      expect(quotes(id)).toEqual([]);
      expect(audits(id)).toEqual([]);
      expect(wo(id).revision).toBe(3);
      expect(orm.snapshot()).toEqual(before);
    });
  });

  // ------------------------------------------------------------------------------------------ actors

  describe('actors', () => {
    it('checks the acting principal before the revision and the state; a manager passes every staff check', () => {
      const id = openId();
      for (const actor of [staff('technician'), staff('cashier'), staff('keeper'), customer(), system]) fails(() => act(id, 'action_checkin', actor), AccessError, 'DRM_FORBIDDEN');
      expect(() => act(id, 'action_checkin', staff('technician'))).toThrow(`DRM_FORBIDDEN: staff user ${uid('technician')} may not check in`);
      expect(() => act(id, 'action_checkin', customer())).toThrow('DRM_FORBIDDEN: a customer may not check in');
      expect(() => act(id, 'action_checkin', system)).toThrow('DRM_FORBIDDEN: the system may not check in');
      expect(() => act(id, 'action_mark_ready', staff('advisor'), [], { revision: 99 })).toThrow(AccessError);
      act(id, 'action_checkin', staff('manager'));
      act(id, 'action_start_diagnosis', staff('technician'));
      expect(() => act(id, 'action_create_quote', staff('technician'), [[labor()]])).toThrow(AccessError);
      act(id, 'action_create_quote', staff('advisor'), [[labor()]]);
      act(id, 'action_send_quote', staff('advisor'), [1]);
      expect(() => act(id, 'action_confirm_quote', customer('Wang Wu'), [1])).toThrow(`DRM_FORBIDDEN: work order ${String(wo(id).name)} is not this customer's`);
      expect(() => act(id, 'action_confirm_quote', staff('technician'), [1])).toThrow(AccessError);
      act(id, 'action_confirm_quote', customer(), [1]);
      act(id, 'action_start_repair', staff('advisor'));
      expect(() => act(id, 'action_mark_ready', staff('advisor'))).toThrow(AccessError);
      act(id, 'action_mark_ready', staff('technician'));
      expect(() => act(id, 'action_deliver', staff('cashier'))).toThrow(AccessError);
    });

    it('the caller acting as itself: its own groups; drmoto_actor is ignored for anyone but the integration user', () => {
      const id = openId();
      expect(() => ex(uid('technician'), 'drmoto.work.order', 'action_checkin', [[id], false, key()])).toThrow('DRM_FORBIDDEN');
      expect(() => ex(orm.ref('base.user_admin'), 'drmoto.work.order', 'action_checkin', [[id], false, key()])).toThrow(AccessError);
      ex(uid('advisor'), 'drmoto.work.order', 'action_checkin', [[id], false, key()]);
      expect(ex(uid('technician'), 'drmoto.work.order', 'action_start_diagnosis', [[id], false, key()])).toMatchObject({ state: 'diagnosing' });
      expect(logs(id).at(-1)).toMatchObject({ actor_user_id: uid('technician'), user_id: uid('technician') });
      expect(() => ex(uid('technician'), 'drmoto.work.order', 'action_cancel', [[id], false, key(), 'no'], { context: { drmoto_actor: staff('manager') } })).toThrow(AccessError);
    });

    it('close: cashier, manager, system; not advisor, technician, customer', () => {
      const id = toState('in_progress', [labor(0)]);
      for (const actor of [staff('advisor'), staff('technician'), customer()]) fails(() => act(id, 'action_close', actor), AccessError, 'DRM_FORBIDDEN');
      for (const actor of [staff('cashier'), staff('manager'), system]) expect(act(id, 'action_close', actor)).toMatchObject({ closed: false });
    });
  });

  // ------------------------------------------------------------------------------------------ quotes

  describe('quote versions', () => {
    it('create: version n+1 as a draft, an open draft or sent version superseded, older versions unchanged', () => {
      const id = toState('diagnosing');
      const r1 = act(id, 'action_create_quote', staff('advisor'), [[labor(100)], 'first estimate']);
      expect(r1).toMatchObject({ version: 1, state: 'diagnosing', quote_id: expect.any(Number) });
      expect(sudo().model('drmoto.work.order').read([id], ['current_quote_id', 'quote_count'])[0]).toMatchObject({ current_quote_id: [r1.quote_id, `${String(wo(id).name)} v1`], quote_count: 1 });
      const r2 = act(id, 'action_create_quote', staff('advisor'), [[labor(120)]]);
      expect(quotes(id).map((q) => [q.version, q.state])).toEqual([[1, 'superseded'], [2, 'draft']]);
      act(id, 'action_send_quote', staff('advisor'), [2]);
      expect(wo(id).state).toBe('quoted');
      const v2before = sudo().model('drmoto.work.order.quote').read([r2.quote_id as number], null);
      const v2lines = lines(r2.quote_id as number).map((l) => ({ ...l }));
      act(id, 'action_create_quote', staff('advisor'), [[labor(90)]]);
      expect(quotes(id).map((q) => [q.version, q.state, q.amount_total])).toEqual([[1, 'superseded', 100], [2, 'superseded', 120], [3, 'draft', 90]]);
      expect(sudo().model('drmoto.work.order.quote').read([r2.quote_id as number], null)).toEqual([{ ...v2before[0], state: 'superseded' }]);
      expect(lines(r2.quote_id as number)).toEqual(v2lines);
      expect(quotes(id)[0]!.note).toBe('first estimate');
    });

    it('send/confirm/reject act on the latest version only', () => {
      const id = toState('diagnosing');
      expect(() => act(id, 'action_send_quote', staff('advisor'), [false])).toThrow(`DRM_QUOTE_STATE: work order ${String(wo(id).name)} has no quote; cannot send it`);
      act(id, 'action_create_quote', staff('advisor'), [[labor()]]);
      act(id, 'action_create_quote', staff('advisor'), [[labor(80)]]);
      const name = String(wo(id).name);
      expect(() => act(id, 'action_send_quote', staff('advisor'), [1])).toThrow(`DRM_QUOTE_STATE: quote version 1 of ${name} is not the latest (2); cannot send it`);
      fails(() => act(id, 'action_send_quote', staff('advisor'), [5]), MissingError, 'DRM_NOT_FOUND');
      act(id, 'action_send_quote', staff('advisor'), [2]);
      expect(() => act(id, 'action_send_quote', staff('advisor'), [2])).toThrow(`DRM_QUOTE_STATE: quote version 2 of ${name} is in state 'sent'; cannot send it`);
      fails(() => act(id, 'action_confirm_quote', customer(), [1]), UserError, 'DRM_QUOTE_STATE');
      expect(act(id, 'action_reject_quote', customer(), [2, 'too expensive'])).toMatchObject({ version: 2, state: 'quoted' });
      expect(() => act(id, 'action_confirm_quote', customer(), [2])).toThrow(`DRM_QUOTE_STATE: quote version 2 of ${name} is in state 'rejected'; cannot confirm it`);
      expect(() => act(id, 'action_start_repair', staff('technician'))).toThrow(`DRM_QUOTE_STATE: work order ${name} has no confirmed quote version; cannot start the repair`);
      act(id, 'action_create_quote', staff('advisor'), [[labor(60)]]);
      expect(() => act(id, 'action_confirm_quote', customer(), [3])).toThrow("is in state 'draft'; cannot confirm it");
      act(id, 'action_send_quote', staff('advisor'), [3]);
      const r = act(id, 'action_confirm_quote', customer(), [3]);
      const v3 = quotes(id)[2]!;
      expect([r.quote_id, r.version]).toEqual([v3.id, 3]);
      expect(v3).toMatchObject({ state: 'confirmed', decided_by_partner_id: partner('Zhang San'), decided_on_behalf: false, decided_by_user_id: null });
      expect(wo(id)).toMatchObject({ confirmed_quote_id: v3.id, amount_total: 60, amount_due: 60 });
      expect(audits(id).filter((a) => a.action === 'quote_on_behalf')).toEqual([]);
      expect(act(id, 'action_start_repair', staff('technician')).state).toBe('in_progress');
    });

    it('an advisor decides on the customer\'s behalf: audited', () => {
      const id = toState('quoted');
      act(id, 'action_confirm_quote', staff('advisor'), [1], { ctx: { drmoto_trace_id: 'trace-7' } });
      const q = quotes(id)[0]!;
      expect(q).toMatchObject({ decided_on_behalf: true, decided_by_user_id: uid('advisor'), decided_by_partner_id: partner('Zhang San') });
      const [a, ...more] = audits(id).filter((x) => x.action === 'quote_on_behalf');
      expect(more).toEqual([]);
      expect(a).toMatchObject({ res_model: 'drmoto.work.order.quote', res_id: q.id, actor_kind: 'staff', actor_user_id: uid('advisor'), user_id: bff(), trace_id: 'trace-7', company_id: 1 });
      expect(JSON.parse(String(a!.after))).toEqual({ state: 'confirmed' });
    });

    it('additional work during the repair: a new version while in_progress; the amount due follows the latest confirmed', () => {
      const id = toState('in_progress', [labor(100)]);
      act(id, 'action_create_quote', staff('advisor'), [[labor(100), labor(50)]]);
      expect(act(id, 'action_send_quote', staff('advisor'), [2]).state).toBe('in_progress');
      expect(wo(id).amount_total).toBe(100);
      act(id, 'action_confirm_quote', customer(), [2]);
      expect(wo(id)).toMatchObject({ state: 'in_progress', amount_total: 150, amount_due: 150 });
      expect(quotes(id).map((q) => q.state)).toEqual(['confirmed', 'confirmed']);
    });

    it('a sent version is immutable through the ORM too (quote, lines, state), for managers and superuser', () => {
      const id = toState('quoted', [labor(100)]);
      const q = quotes(id)[0]!;
      const [line] = lines(q.id);
      const lockedMsg = `DRM_QUOTE_LOCKED: quote version 1 of ${String(wo(id).name)} is 'sent'; only a draft can change`;
      for (const login of ['advisor', 'manager']) {
        const u = uid(login);
        expect(() => ex(u, 'drmoto.work.order.quote', 'write', [[q.id], { note: 'changed' }])).toThrow(lockedMsg);
        if (login === 'advisor') expect(() => ex(u, 'drmoto.work.order.quote', 'unlink', [[q.id]])).toThrow(lockedMsg);
        expect(() => ex(u, 'drmoto.work.order.quote', 'write', [[q.id], { line_ids: [[0, 0, { description: 'x', qty: 1, price_unit: 1 }]] }])).toThrow(lockedMsg);
        expect(() => ex(u, 'drmoto.work.order.quote.line', 'write', [[line!.id], { price_unit: 1 }])).toThrow(lockedMsg);
        expect(() => ex(u, 'drmoto.work.order.quote.line', 'unlink', [[line!.id]])).toThrow(lockedMsg);
        expect(() => ex(u, 'drmoto.work.order.quote.line', 'create', [{ quote_id: q.id, description: 'x', qty: 1, price_unit: 1 }])).toThrow(lockedMsg);
        expect(() => ex(u, 'drmoto.work.order.quote', 'write', [[q.id], { state: 'confirmed' }])).toThrow("DRM_QUOTE_STATE: a quote's status changes only through the work order's actions");
      }
      expect(() => sudo().model('drmoto.work.order.quote').write([q.id], { note: 'x' })).toThrow(lockedMsg);
      expect(() => sudo().model('drmoto.work.order.quote').unlink([q.id])).toThrow(lockedMsg);
      expect(() => sudo().model('drmoto.work.order.quote').write([q.id], { version: 7 })).toThrow("DRM_VALIDATION: a quote version can't move or be renumbered");
      expect(() => sudo().model('drmoto.work.order.quote').create([{ work_order_id: id, version: 9 }])).toThrow("DRM_VALIDATION: quote versions are created with the work order's action_create_quote");
      expect([quotes(id)[0]!.state, quotes(id)[0]!.amount_total, lines(q.id)[0]!.price_unit]).toEqual(['sent', 100, 100]);
    });

    it('a draft version is editable by the advisor; an empty draft can\'t be sent', () => {
      const id = toState('diagnosing');
      act(id, 'action_create_quote', staff('advisor'), [[labor(100)]]);
      const q = quotes(id)[0]!;
      ex(uid('advisor'), 'drmoto.work.order.quote', 'write', [[q.id], { note: 'ok', line_ids: [[0, 0, { description: 'Wash', qty: 1, price_unit: 20 }]] }]);
      expect(quotes(id)[0]!.amount_total).toBe(120);
      const wash = lines(q.id).find((l) => l.description === 'Wash')!;
      expect(wash.tax_ids).toEqual([incl()]);
      ex(uid('advisor'), 'drmoto.work.order.quote.line', 'unlink', [[wash.id]]);
      expect(quotes(id)[0]!.amount_total).toBe(100);
      expect(() => ex(uid('technician'), 'drmoto.work.order.quote', 'write', [[q.id], { note: 'x' }])).toThrow(AccessError);
      act(id, 'action_create_quote', staff('advisor'), [false]);
      expect(() => act(id, 'action_send_quote', staff('advisor'), [2])).toThrow('DRM_VALIDATION: quote version 2 has no lines');
      ex(uid('advisor'), 'drmoto.work.order.quote', 'unlink', [[quotes(id)[1]!.id]]);
      expect(quotes(id).map((x) => [x.version, x.state])).toEqual([[1, 'superseded']]);
    });

    it('validates the lines (DRM_VALIDATION, nothing created)', () => {
      const id = toState('diagnosing');
      const [purchase] = sudo().model('account.tax').create([{ name: 'Purchase 5%', amount: 5, type_tax_use: 'purchase', company_id: 1 }]);
      const bad: Array<[unknown, string]> = [
        ['x', 'lines must be a list'],
        [[{ kind: 'part', description: 'no product', qty: 1, price_unit: 1 }], 'line 1: a part line needs a product'],
        [[labor(1, { qty: 0 })], 'line 1: qty must be a number > 0'],
        [[labor(-1)], 'line 1: price_unit must be a number >= 0'],
        [[labor(1, { discount: 101 })], 'line 1: discount must be between 0 and 100'],
        [[labor(1, { description: '' })], 'line 1: a description is required'],
        [[labor(1, { kind: 'other' })], "line 1: kind is 'labor' or 'part'"],
        [[labor(1, { tax_ids: [purchase] })], 'line 1: tax_ids must be sale taxes of this shop'],
        [[labor(1, { qty: true })], 'line 1: qty must be a number > 0'],
        [[labor(1), labor(1, { color: 'red' })], 'line 2: unknown fields color'],
        [[{ kind: 'part', product_id: 999999, description: 'x', qty: 1, price_unit: 1 }], 'line 1: product 999999 does not exist in this shop'],
      ];
      for (const [ls, msg] of bad) expect(() => act(id, 'action_create_quote', staff('advisor'), [ls])).toThrow(`DRM_VALIDATION: ${msg}`);
      expect(quotes(id)).toEqual([]);
      expect(wo(id).revision).toBe(3);
    });

    it('audits a price away from the list price and a discount (create and UI edit)', () => {
      const id = toState('diagnosing');
      act(id, 'action_create_quote', staff('advisor'), [[part('BP-F01', 1, 180), part('BP-F01', 1, 150), part('OIL-1L', 1, undefined, { discount: 10 }), labor(99)]], { key: 'quote-key' });
      const rows = audits(id);
      expect(rows.map((a) => a.action)).toEqual(['price_override', 'discount']);
      expect(rows[0]).toMatchObject({ res_model: 'drmoto.work.order.quote.line', actor_user_id: uid('advisor'), request_key: 'quote-key' });
      expect(rows[0]!.before).toBe('{"list_price": 180.0, "price_unit": null}');
      expect(rows[0]!.after).toBe(`{"price_unit": 150.0, "product_id": ${product('BP-F01')}}`);
      expect(rows[1]!.after).toBe('{"discount": 10.0}');
      const first = lines(quotes(id)[0]!.id)[0]!;
      ex(uid('advisor'), 'drmoto.work.order.quote.line', 'write', [[first.id], { price_unit: 170 }]);
      expect(audits(id).filter((a) => a.res_id === first.id).map((a) => [a.action, a.before])).toEqual([['price_override', '{"list_price": 180.0, "price_unit": 180.0}']]);
    });

    it('a UI line takes description, price and taxes from its product', () => {
      const id = toState('diagnosing');
      act(id, 'action_create_quote', staff('advisor'), [[labor(1)]]);
      const q = quotes(id)[0]!;
      ex(uid('advisor'), 'drmoto.work.order.quote', 'write', [[q.id], { line_ids: [[0, 0, { kind: 'part', product_id: product('BP-F01'), qty: 2 }]] }]);
      const l = lines(q.id).find((x) => x.product_id)!;
      expect([l.description, l.price_unit, l.tax_ids, l.price_total]).toEqual(['[BP-F01] Front brake pads (pair)', 180, [incl()], 360]);
    });
  });

  // ------------------------------------------------------------------------------------------ taxes on lines

  describe('quote line taxes', () => {
    const quoteOf = (ls: unknown[]) => {
      const id = toState('diagnosing');
      const r = act(id, 'action_create_quote', staff('advisor'), [ls]);
      return sudo().model('drmoto.work.order.quote').row(r.quote_id as number)!;
    };

    it('tax included and excluded, with discount and quantity, rounded per line (hand-computed)', () => {
      const q = quoteOf([
        labor(113, { tax_ids: [incl()] }), // 100 + 13 included
        part('BP-F01', 2, 150.5, { discount: 10, tax_ids: [incl()] }), // 270.90 incl: 239.73 + 31.17
        part('BP-F01', 2, 150.5, { discount: 10, tax_ids: [excl()] }), // 270.90 + 35.22 = 306.12
        labor(120, { qty: 1.5, tax_ids: [excl()] }), // 180 + 23.40
        labor(33.33, { tax_ids: [] }), // no tax
      ]);
      expect(lines(q.id).map((l) => [l.price_subtotal, l.price_tax, l.price_total])).toEqual([
        [100, 13, 113],
        [239.73, 31.17, 270.9],
        [270.9, 35.22, 306.12],
        [180, 23.4, 203.4],
        [33.33, 0, 33.33],
      ]);
      // 100 + 239.73 + 270.9 + 180 + 33.33 = 823.96; 13 + 31.17 + 35.22 + 23.4 = 102.79
      expect([q.amount_untaxed, q.amount_tax, q.amount_total]).toEqual([823.96, 102.79, 926.75]);
    });

    it('rounds per line: 3 × 10.00 with 13% included → 3 × 8.85', () => {
      const q = quoteOf([0, 1, 2].map(() => labor(10, { tax_ids: [incl()] })));
      expect(lines(q.id).map((l) => l.price_subtotal)).toEqual([8.85, 8.85, 8.85]);
      expect([q.amount_untaxed, q.amount_tax, q.amount_total]).toEqual([26.55, 3.45, 30]);
    });

    it('default taxes: labor → the shop default, a part → its product taxes, a product without taxes → the shop default', () => {
      sudo().model('product.product').write([product('BP-F01')], { taxes_id: [[6, 0, [excl()]]] });
      sudo().model('product.product').write([product('OIL-1L')], { taxes_id: [[5, 0, 0]] });
      const q = quoteOf([labor(100), part('BP-F01'), part('OIL-1L')]);
      const [l, pads, oil] = lines(q.id);
      expect([l!.tax_ids, pads!.tax_ids, oil!.tax_ids]).toEqual([[incl()], [excl()], [incl()]]);
      expect([l!.price_total, pads!.price_total, oil!.price_subtotal]).toEqual([100, 203.4, 75.22]);
    });
  });

  // ------------------------------------------------------------------------------------------ parts

  describe('planned parts', () => {
    it('mirror the part lines of the latest confirmed version (summed per product), replaced on a later confirm', () => {
      const id = toState('quoted', [labor(), part('BP-F01', 1), part('BP-F01', 1), part('OIL-1L', 3)]);
      const parts = () =>
        sudo()
          .model('drmoto.work.order.part')
          .searchRead([['work_order_id', '=', id]], ['product_id', 'qty_planned', 'uom_id', 'quote_id'], { order: 'id' })
          .map((p) => [(p.product_id as [number, string])[0], p.qty_planned, (p.quote_id as [number, string])[1]]);
      expect(parts()).toEqual([]);
      act(id, 'action_confirm_quote', customer(), [1]);
      const n = String(wo(id).name);
      expect(parts()).toEqual([[product('BP-F01'), 2, `${n} v1`], [product('OIL-1L'), 3, `${n} v1`]]);
      act(id, 'action_start_repair', staff('technician'));
      act(id, 'action_create_quote', staff('advisor'), [[part('OIL-1L', 4)]]);
      act(id, 'action_send_quote', staff('advisor'), [2]);
      expect(parts()).toHaveLength(2);
      act(id, 'action_confirm_quote', customer(), [2]);
      expect(parts()).toEqual([[product('OIL-1L'), 4, `${n} v2`]]);
      act(id, 'action_create_quote', staff('advisor'), [[part('BP-F01', 9)]]);
      act(id, 'action_send_quote', staff('advisor'), [3]);
      act(id, 'action_reject_quote', customer(), [3]);
      expect(parts()).toEqual([[product('OIL-1L'), 4, `${n} v2`]]);
      const [pid] = sudo().model('drmoto.work.order.part')._search([['work_order_id', '=', id]]);
      expect(ex(uid('keeper'), 'drmoto.work.order.part', 'read', [[pid], ['qty_planned']])).toEqual([{ id: pid, qty_planned: 4 }]);
      for (const login of ['advisor', 'manager']) expect(() => ex(uid(login), 'drmoto.work.order.part', 'write', [[pid], { qty_planned: 5 }])).toThrow(AccessError);
    });
  });

  // ------------------------------------------------------------------------------------------ deliver, close, cancel

  describe('deliver and close', () => {
    it('money owing → DRM_MONEY_OWING; override by a manager only (audited); close then refuses without raising, once paid closes once', () => {
      const id = toState('ready', [labor(100)]);
      const name = String(wo(id).name);
      expect(wo(id).amount_due).toBe(100);
      expect(() => act(id, 'action_deliver', staff('advisor'))).toThrow(`DRM_MONEY_OWING: work order ${name} has 100.00 CNY due; a manager may deliver it with override`);
      expect(() => act(id, 'action_deliver', staff('advisor'), [true])).toThrow(new AccessError('DRM_FORBIDDEN: only a manager may deliver with money owing'));
      expect(wo(id).state).toBe('ready');
      expect(audits(id)).toEqual([]);
      const r = act(id, 'action_deliver', staff('manager'), [true, 'regular customer']);
      expect(r).toMatchObject({ state: 'delivered', closed: false, reason: `DRM_MONEY_OWING: work order ${name} has 100.00 CNY due` });
      const [override] = audits(id);
      expect(override).toMatchObject({ action: 'manager_override', actor_user_id: uid('manager'), note: 'regular customer', before: '{"amount_due": 100.0, "state": "ready"}' });
      const [n, rev] = [logs(id).length, wo(id).revision];
      const c = act(id, 'action_close', system);
      expect(c).toEqual({ id, name, state: 'delivered', revision: rev, log_id: false, replayed: false, closed: false, reason: `DRM_MONEY_OWING: work order ${name} has 100.00 CNY due` });
      expect([logs(id).length, wo(id).revision]).toEqual([n, rev]);
      setPaid(id, 100);
      expect(wo(id).amount_due).toBe(0);
      const closed = act(id, 'action_close', staff('cashier'), [], { key: 'close-1' });
      expect(closed).toMatchObject({ closed: true, reason: false, state: 'closed', log_id: expect.any(Number) });
      expect(act(id, 'action_close', system, [], { key: 'close-1' })).toEqual({ ...closed, replayed: true });
      const other = act(id, 'action_close', system);
      expect(other).toMatchObject({ closed: false, reason: `DRM_WO_STATE: work order ${name} is in state 'closed'; cannot close` });
      expect(logs(id).filter((l) => l.action === 'close')).toHaveLength(1);
      expect(() => act(id, 'action_close', system, [], { revision: 99 })).toThrow('DRM_STALE');
    });

    it('a paid work order closes on delivery; the replay returns the recorded result', () => {
      const id = toState('ready', [labor(50)]);
      setPaid(id, 50);
      const r = act(id, 'action_deliver', staff('advisor'), [], { key: 'deliver-1' });
      expect(r).toMatchObject({ state: 'closed', closed: true, reason: false, revision: wo(id).revision });
      expect(act(id, 'action_deliver', staff('advisor'), [], { key: 'deliver-1' })).toEqual({ ...r, replayed: true });
    });

    it('overpaid is not settled (DRM_MONEY_HELD); close on a work order not delivered says why', () => {
      const id = toState('ready', [labor(10)]);
      setPaid(id, 15);
      const r = act(id, 'action_deliver', staff('advisor'));
      expect(r).toMatchObject({ state: 'delivered', closed: false, reason: `DRM_MONEY_HELD: work order ${String(wo(id).name)} was paid 5.00 CNY more than its total; refund it first` });
      const other = toState('in_progress', [labor(0)]);
      expect(act(other, 'action_close', system).reason).toContain("is in state 'in_progress'");
    });
  });

  describe('cancel', () => {
    it('needs a reason, is audited, logs a cancel row', () => {
      const id = toState('diagnosing');
      expect(() => act(id, 'action_cancel', staff('advisor'), ['  '])).toThrow('DRM_VALIDATION: a cancel reason is required');
      expect(() => act(id, 'action_cancel', staff('technician'), ['no'])).toThrow(AccessError);
      const r = act(id, 'action_cancel', staff('advisor'), ['customer went elsewhere'], { key: 'cancel-key', ctx: { drmoto_trace_id: 't-9' } });
      expect(r.state).toBe('cancelled');
      expect(wo(id).cancel_reason).toBe('customer went elsewhere');
      const [a, ...more] = audits(id);
      expect(more).toEqual([]);
      expect(a).toMatchObject({ action: 'cancel', res_model: 'drmoto.work.order', res_id: id, user_id: bff(), actor_kind: 'staff', actor_user_id: uid('advisor'), note: 'customer went elsewhere', trace_id: 't-9', request_key: 'cancel-key', company_id: 1 });
      expect(a!.before).toBe('{"state": "diagnosing"}');
      expect(logs(id).at(-1)).toMatchObject({ event: 'cancel', from_state: 'diagnosing', to_state: 'cancelled', note: 'customer went elsewhere' });
    });

    it('is refused while money is held', () => {
      const id = toState('in_progress', [labor(10)]);
      setPaid(id, 10);
      expect(() => act(id, 'action_cancel', staff('manager'), ['changed mind'])).toThrow(`DRM_MONEY_HELD: work order ${String(wo(id).name)} holds 10.00 CNY of payments; refund them first`);
      expect(wo(id).state).toBe('in_progress');
    });
  });

  // ------------------------------------------------------------------------------------------ logs

  describe('status log and audit log', () => {
    it('a log row records who, what, key, trace, note, revision and the result', () => {
      const id = openId();
      const r = act(id, 'action_checkin', staff('advisor'), ['keys on the hook'], { revision: 1, key: 'k-1', ctx: { drmoto_trace_id: 'trace-123' } });
      const log = sudo().model('drmoto.wo.status.log').row(r.log_id as number)!;
      expect(log).toMatchObject({ work_order_id: id, event: 'transition', action: 'checkin', from_state: 'draft', to_state: 'checkin', actor_kind: 'staff', actor_user_id: uid('advisor'), user_id: bff(), request_key: 'k-1', trace_id: 'trace-123', note: 'keys on the hook', revision: 2, company_id: 1 });
      expect(JSON.parse(String(log.result))).toEqual({ id, name: wo(id).name, state: 'checkin', revision: 2 });
    });

    it('status log rows are append-only', () => {
      const id = openId();
      const [log] = logs(id);
      expect(() => sudo().model('drmoto.wo.status.log').write([log!.id], { note: 'edited' })).toThrow(new AccessError("DRM_FORBIDDEN: status log rows can't be changed"));
      expect(() => sudo().model('drmoto.wo.status.log').unlink([log!.id])).toThrow(new AccessError("DRM_FORBIDDEN: status log rows can't be deleted"));
      for (const login of ['manager', 'bff']) {
        expect(() => ex(uid(login === 'bff' ? 'manager' : login), 'drmoto.wo.status.log', 'write', [[log!.id], { note: 'x' }])).toThrow(AccessError);
        expect(() => ex(bff(), 'drmoto.wo.status.log', 'unlink', [[log!.id]])).toThrow(AccessError);
      }
      expect(() => ex(uid('manager'), 'drmoto.wo.status.log', 'create', [{ work_order_id: id, event: 'transition', action: 'x', actor_kind: 'staff', request_key: 'x' }])).toThrow(AccessError);
      expect(ex(uid('technician'), 'drmoto.wo.status.log', 'read', [[log!.id], ['event']])).toEqual([{ id: log!.id, event: 'open' }]);
      expect(() => ex(orm.ref('base.user_admin'), 'drmoto.wo.status.log', 'read', [[log!.id], ['event']])).toThrow(AccessError);
      expect(() => sudo().model('drmoto.wo.status.log').create([{ work_order_id: id, event: 'transition', action: 'checkin', actor_kind: 'staff', request_key: String(log!.request_key) }])).toThrow(
        new ValidationError('The operation cannot be completed: DRM_DUP_KEY: this request key was already used on this work order'),
      );
    });

    it('audit rows are append-only for everyone, superuser included; workshop users read them', () => {
      const id = openId();
      act(id, 'action_cancel', staff('advisor'), ['duplicate']);
      const [row] = audits(id);
      for (const u of [uid('manager'), bff()]) {
        fails(() => ex(u, 'drmoto.audit.log', 'write', [[row!.id], { note: 'edited' }]), AccessError, 'DRM_FORBIDDEN');
        fails(() => ex(u, 'drmoto.audit.log', 'unlink', [[row!.id]]), AccessError, 'DRM_FORBIDDEN');
      }
      expect(() => sudo().model('drmoto.audit.log').write([row!.id], { note: 'x' })).toThrow("DRM_FORBIDDEN: audit log rows can't be changed");
      expect(() => sudo().model('drmoto.audit.log').unlink([row!.id])).toThrow("DRM_FORBIDDEN: audit log rows can't be deleted");
      expect(() => ex(uid('manager'), 'drmoto.audit.log', 'create', [{ action: 'cancel', res_model: 'x', actor_kind: 'staff' }])).toThrow(AccessError);
      expect(ex(uid('cashier'), 'drmoto.audit.log', 'read', [[row!.id], ['action']])).toEqual([{ id: row!.id, action: 'cancel' }]);
    });
  });

  // ------------------------------------------------------------------------------------------ reads and seed

  it('reads as the BFF does: search_read with dotted filters and order, read_group by state', () => {
    const id = toState('quoted');
    const rows = asBff(staff('advisor'), 'drmoto.work.order', 'search_read', [[['vehicle_id.plate_normalized', 'ilike', 'B12345'], ['state', 'in', ['quoted']]], ['name', 'state', 'revision', 'partner_id', 'vehicle_id', 'amount_total', 'currency_id']], { order: 'create_date desc' } as never) as Result[];
    expect(rows.find((r) => r.id === id)).toMatchObject({ partner_id: [partner('Zhang San'), 'Zhang San'], vehicle_id: [vehicle('粤B12345'), '粤B12345'], currency_id: [1, 'CNY'], amount_total: 0 });
    const groups = ex(bff(), 'drmoto.work.order', 'read_group', [[['id', '=', id]], ['amount_total:sum'], ['state']]) as Result[];
    expect(groups.map((g) => [g.state, g.state_count])).toEqual([['quoted', 1]]);
  });

  it('the seed has demo work orders in every state, built through the actions', () => {
    const env = sudo();
    const rows = env.model('drmoto.work.order').searchRead([], ['name', 'state', 'partner_id', 'vehicle_id'], { order: 'id' });
    expect(rows.map((r) => r.state)).toEqual(['closed', 'delivered', 'cancelled', 'in_progress', 'ready', 'quoted', 'diagnosing', 'checkin', 'draft']);
    expect(rows.map((r) => String(r.name).slice(-5))).toEqual(['00001', '00002', '00003', '00004', '00005', '00006', '00007', '00008', '00009']);
    const states = new Set(env.model('drmoto.work.order.quote').allRows().map((q) => q.state));
    expect([...states].sort()).toEqual(['confirmed', 'rejected', 'sent', 'superseded']);
    for (const r of rows) expect(logs(r.id as number).length).toBeGreaterThan(0);
    // every state change of every work order is in its log, in order, with consecutive revisions
    for (const r of rows) {
      const ls = logs(r.id as number);
      expect(ls.at(-1)!.to_state).toBe(r.state);
      expect(ls.map((l) => l.revision)).toEqual([...ls.map((l) => l.revision)].sort((a, b) => Number(a) - Number(b)));
    }
    expect(env.model('drmoto.audit.log').allRows().map((a) => a.action).sort()).toEqual(['cancel', 'discount', 'manager_override', 'price_override', 'quote_on_behalf', 'stock_issue']);
    expect(wo(1)).toMatchObject({ state: 'closed', amount_due: 0 });
    expect(wo(2)).toMatchObject({ state: 'delivered', amount_due: 245 });
    // the seed keeps the ids of issue 2
    expect(vehicle('粤B12345')).toBe(1);
    expect(sudo().model('res.partner').row(partner('Zhang San'))!.phone).toBe('13800138000');
  });

  // ------------------------------------------------------------------------------------------ over HTTP

  describe('faults on the wire', () => {
    function post(url: string, body: string, type: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const req = http.request(url, { method: 'POST', headers: { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        });
        req.on('error', reject);
        req.end(body);
      });
    }

    it('DRM_STALE is faultCode 2 / UserError, DRM_FORBIDDEN faultCode 4 / AccessError; a result dict marshals', async () => {
      const mock = await startOdooMock({ port: 0 });
      try {
        const b = mock.orm.uid('bff');
        const tech = mock.orm.uid('technician');
        const args = (method: string, a: XmlRpcValue[], actor: XmlRpcValue): XmlRpcValue[] => ['drmoto', b, 'bff', 'drmoto.work.order', method, a, { context: { drmoto_actor: actor } }];
        const xml = async (method: string, a: XmlRpcValue[], actor: XmlRpcValue) => decodeMethodResponse(await post(`${mock.url}/xmlrpc/2/object`, encodeMethodCall('execute_kw', args(method, a, actor)), 'text/xml'));
        const json = async (method: string, a: XmlRpcValue[], actor: XmlRpcValue) =>
          JSON.parse(await post(`${mock.url}/jsonrpc`, JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'object', method: 'execute_kw', args: args(method, a, actor) } }), 'application/json')) as {
            result?: Result;
            error?: { data: { name: string; message: string } };
          };
        const advisor = { kind: 'staff', uid: mock.orm.uid('advisor') };
        const opened = await xml('action_open', [{ partner_id: 10, vehicle_id: 1 }, 'http-open'], advisor);
        expect(opened).toEqual({ ok: true, value: expect.objectContaining({ state: 'draft', revision: 1, replayed: false }) });
        const id = (opened as unknown as { value: { id: number } }).value.id;
        const stale = await xml('action_checkin', [[id], 6, 'http-1'], advisor);
        expect(stale).toEqual({ ok: false, faultCode: 2, faultString: expect.stringMatching(/^DRM_STALE: work order WO\/\d{4}\/\d{5} is at revision 1, not 6$/) });
        expect((await json('action_checkin', [[id], 6, 'http-1'], advisor)).error?.data).toMatchObject({ name: 'odoo.exceptions.UserError', message: expect.stringMatching(/^DRM_STALE: /) });
        const forbidden = await xml('action_checkin', [[id], 1, 'http-2'], { kind: 'staff', uid: tech });
        expect(forbidden).toEqual({ ok: false, faultCode: 4, faultString: `DRM_FORBIDDEN: staff user ${tech} may not check in` });
        expect((await json('action_checkin', [[id], 1, 'http-2'], { kind: 'staff', uid: tech })).error?.data.name).toBe('odoo.exceptions.AccessError');
        const ok = await xml('action_checkin', [[id], 1, 'http-3'], advisor);
        expect(ok).toEqual({ ok: true, value: expect.objectContaining({ state: 'checkin', revision: 2, replayed: false }) });
        // a close that can't close answers (false values marshal), over both transports
        expect((await json('action_close', [[id], false, 'http-4'], { kind: 'system' })).result).toMatchObject({ closed: false, log_id: false });
      } finally {
        await mock.close();
      }
    });
  });
});
