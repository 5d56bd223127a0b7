/**
 * Parts through stock pickings (issue 4): action_request_parts / action_issue_parts / action_return_parts, the
 * pickings, moves and quants behind them, the part quantities, the cancel guard — run through OdooService.execute
 * (one transaction per call, as execute_kw) and, for the fault shapes, over HTTP.
 */
import http from 'node:http';
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from '../../../bff/src/integrations/odoo/xmlrpc-codec';
import { AccessError, UserError, ValidationError } from '../errors';
import { createOrm, OdooService, startOdooMock } from '../server';
import type { Orm } from '../orm/orm';
import type { Row } from '../orm/types';
import { internalEnv } from './drmoto-wo-common';
import { linesHash } from './drmoto-work-order-parts';
import { fails } from './fails.testing';

type Result = Record<string, unknown>;
type Actor = Record<string, unknown>;

describe('parts through stock pickings (issue 4)', () => {
  let orm: Orm;
  let odoo: OdooService;
  let keySeq = 0;
  const key = () => `parts-key-${++keySeq}`;
  const uid = (login: string) => orm.ref(`drmoto_mock.user_${login}`);
  const bff = () => uid('bff');
  const sudo = () => orm.sudoEnv();
  const partner = (name: string) => sudo().model('res.partner')._search([['name', '=', name]])[0]!;
  const vehicle = (plate: string) => sudo().model('drmoto.vehicle')._search([['plate_normalized', '=', plate]])[0]!;
  const product = (code: string) => sudo().model('product.product')._search([['default_code', '=', code]])[0]!;
  const staff = (login: string): Actor => ({ kind: 'staff', uid: uid(login) });
  const customer = (name = 'Zhang San'): Actor => ({ kind: 'customer', partner_id: partner(name) });
  const system: Actor = { kind: 'system' };
  const wo = (id: number): Row => sudo().model('drmoto.work.order').row(id)!;
  const rowsOf = (model: string, pred: (r: Row) => boolean) => sudo().model(model).sortRows(sudo().model(model).allRows().filter(pred), 'id');
  const logs = (id: number) => rowsOf('drmoto.wo.status.log', (l) => l.work_order_id === id);
  const audits = (id: number) => rowsOf('drmoto.audit.log', (a) => a.work_order_id === id);
  const pickings = (id: number) => rowsOf('stock.picking', (p) => p.drmoto_work_order_id === id);
  const moves = (pickingId: number) => rowsOf('stock.move', (m) => m.picking_id === pickingId);
  const parts = (id: number) => rowsOf('drmoto.work.order.part', (p) => p.work_order_id === id);
  const partOf = (id: number, code: string) => parts(id).find((p) => p.product_id === product(code));
  const stockLoc = () => orm.ref('stock.stock_location_stock');
  const customersLoc = () => orm.ref('stock.stock_location_customers');
  /** on hand at WH/Stock, read as the BFF would: product.product with context location */
  const onHand = (code: string, field: 'qty_available' | 'free_qty' = 'qty_available') =>
    (odoo.execute(bff(), 'product.product', 'read', [[product(code)], [field]], { context: { location: stockLoc() } }) as Result[])[0]![field] as number;
  const quantAt = (code: string, loc: number) => sudo().model('stock.quant').allRows().find((q) => q.product_id === product(code) && q.location_id === loc);

  const ex = (u: number, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) => odoo.execute(u, model, method, args, kwargs);
  const asBff = (actor: Actor, model: string, method: string, args: unknown[], ctx: Record<string, unknown> = {}) =>
    ex(bff(), model, method, args, { context: { drmoto_actor: actor, ...ctx } });
  const act = (id: number, method: string, actor: Actor, args: unknown[] = []): Result =>
    asBff(actor, 'drmoto.work.order', method, [[id], wo(id).revision, key(), ...args]) as Result;
  const line = (code: string, qty: number) => ({ product_id: product(code), qty });
  const issue = (id: number, lines: unknown[], k = key(), actor: Actor = staff('keeper'), ctx: Record<string, unknown> = {}) =>
    asBff(actor, 'drmoto.work.order', 'action_issue_parts', [[id], k, lines], ctx) as Result;
  const ret = (id: number, lines: unknown[], k = key(), actor: Actor = staff('keeper')) => asBff(actor, 'drmoto.work.order', 'action_return_parts', [[id], k, lines]) as Result;
  const request = (id: number, lines: unknown[], k = key(), actor: Actor = staff('technician')) =>
    asBff(actor, 'drmoto.work.order', 'action_request_parts', [[id], k, lines]) as Result;
  const labor = { kind: 'labor', description: 'Labor', qty: 1, price_unit: 100 };
  const partLine = (code: string, qty: number) => ({ kind: 'part', product_id: product(code), description: code, qty, price_unit: 10 });

  function toState(state: string, quoteLines: unknown[] = [labor, partLine('BP-F01', 2), partLine('OIL-1L', 1.5)]): number {
    const id = (asBff(staff('advisor'), 'drmoto.work.order', 'action_open', [{ partner_id: partner('Zhang San'), vehicle_id: vehicle('粤B12345'), symptom: 'parts' }, key()]) as Result).id as number;
    if (state === 'draft') return id;
    act(id, 'action_checkin', staff('advisor'));
    if (state === 'checkin') return id;
    act(id, 'action_start_diagnosis', staff('technician'));
    act(id, 'action_create_quote', staff('advisor'), [quoteLines]);
    act(id, 'action_send_quote', staff('advisor'), [1]);
    act(id, 'action_confirm_quote', customer(), [1]);
    act(id, 'action_start_repair', staff('technician'));
    if (state === 'in_progress') return id;
    throw new Error(state);
  }

  beforeEach(() => {
    orm = createOrm();
    odoo = new OdooService(orm, 'drmoto');
  });

  describe('issue', () => {
    it('ONE done picking WH/stock → the customer location; quants down; qty_issued; one log row, one audit row', () => {
      const id = toState('in_progress');
      const [pads, oil] = [onHand('BP-F01'), onHand('OIL-1L')];
      const rev = wo(id).revision;
      const r = issue(id, [line('OIL-1L', 1.5), line('BP-F01', 1), line('BP-F01', 1)], 'issue-1', staff('keeper'), { drmoto_trace_id: 't-issue' });
      const [picking, ...more] = pickings(id);
      expect(more).toEqual([]);
      expect(r).toEqual({
        id,
        picking_id: picking!.id,
        picking_name: 'WH/OUT/00002', // 00001 is the seed's (WO 4)
        state: 'done',
        replayed: false,
        lines: [
          { product_id: product('BP-F01'), qty: 2 },
          { product_id: product('OIL-1L'), qty: 1.5 },
        ],
      });
      expect(picking).toMatchObject({
        state: 'done',
        picking_type_id: orm.ref('stock.picking_type_out'),
        location_id: stockLoc(),
        location_dest_id: customersLoc(),
        partner_id: partner('Zhang San'),
        origin: wo(id).name,
        company_id: 1,
        drmoto_kind: 'issue',
        drmoto_request_key: 'issue-1',
        drmoto_lines_hash: linesHash([
          { product_id: product('BP-F01'), qty: 2, rounding: 0.01 },
          { product_id: product('OIL-1L'), qty: 1.5, rounding: 0.01 },
        ]),
        date_done: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      });
      expect(picking!.drmoto_lines_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(moves(picking!.id).map((m) => [m.product_id, m.product_uom_qty, m.quantity, m.state, m.location_id, m.location_dest_id, m.drmoto_work_order_id])).toEqual([
        [product('BP-F01'), 2, 2, 'done', stockLoc(), customersLoc(), id],
        [product('OIL-1L'), 1.5, 1.5, 'done', stockLoc(), customersLoc(), id],
      ]);
      expect([onHand('BP-F01'), onHand('OIL-1L')]).toEqual([pads - 2, oil - 1.5]);
      expect(onHand('BP-F01', 'free_qty')).toBe(pads - 2);
      expect(quantAt('BP-F01', stockLoc())).toMatchObject({ quantity: pads - 2, reserved_quantity: 0 });
      expect(quantAt('BP-F01', customersLoc())).toBeUndefined(); // only internal locations are tracked
      expect(partOf(id, 'BP-F01')).toMatchObject({ qty_planned: 2, qty_requested: 0, qty_issued: 2, qty_returned: 0, qty_net: 2, source: 'quote' });
      expect(partOf(id, 'OIL-1L')).toMatchObject({ qty_issued: 1.5, qty_net: 1.5 });
      // the work order is not written: its revision stays; the log row records it
      expect(wo(id).revision).toBe(rev);
      expect(logs(id).at(-1)).toMatchObject({ event: 'parts_issued', action: 'issue_parts', request_key: 'issue-1', trace_id: 't-issue', actor_kind: 'staff', actor_user_id: uid('keeper'), user_id: bff(), revision: rev, from_state: 'in_progress', to_state: 'in_progress' });
      expect(String(logs(id).at(-1)!.note)).toBe('WH/OUT/00002: [BP-F01] Front brake pads (pair) × 2, [OIL-1L] Engine oil 10W-40 1L × 1.5');
      const a = audits(id).at(-1)!;
      expect(a).toMatchObject({ action: 'stock_issue', res_model: 'stock.picking', res_id: picking!.id, actor_user_id: uid('keeper'), request_key: 'issue-1', trace_id: 't-issue' });
      expect(JSON.parse(String(a.after))).toEqual({ picking: 'WH/OUT/00002', lines: [{ product_id: product('BP-F01'), qty: 2 }, { product_id: product('OIL-1L'), qty: 1.5 }] });
      expect(String(a.after)).toContain('"qty": 2.0');
      // the work order's transfers
      expect(ex(bff(), 'drmoto.work.order', 'read', [[id], ['picking_ids', 'picking_count']])).toEqual([{ id, picking_ids: [picking!.id], picking_count: 1 }]);
    });

    it('refuses what is not in stock: DRM_NO_STOCK names the product and the available quantity; no picking, no quant change', () => {
      const id = toState('in_progress');
      const before = orm.snapshot();
      const e = fails(() => issue(id, [line('BP-F01', 1), line('CK-520', 7)]), UserError, 'DRM_NO_STOCK');
      expect(e).not.toBeInstanceOf(ValidationError);
      expect(e.message).toBe('DRM_NO_STOCK: not enough [CK-520] Chain kit 520: available 6, requested 7');
      expect(() => issue(id, [line('CK-520', 6.5)])).toThrow('DRM_NO_STOCK: not enough [CK-520] Chain kit 520: available 6, requested 6.5');
      expect(pickings(id)).toEqual([]);
      expect(orm.snapshot()).toEqual(before); // nothing at all: no picking, no quant, no sequence number, no log
      // all the stock there is: fine, then nothing is left
      issue(id, [line('CK-520', 6)]);
      expect(onHand('CK-520')).toBe(0);
      expect(() => issue(id, [line('CK-520', 1)])).toThrow('DRM_NO_STOCK: not enough [CK-520] Chain kit 520: available 0, requested 1');
    });

    it('the same key with the same lines returns the same picking, replayed; nothing changes', () => {
      const id = toState('in_progress');
      const first = issue(id, [line('BP-F01', 1), line('OIL-1L', 1)], 'same-key');
      const before = orm.snapshot();
      const again = issue(id, [line('OIL-1L', 0.5), line('BP-F01', 1), line('OIL-1L', 0.5)], 'same-key'); // same lines, canonically
      expect(again).toEqual({ ...first, replayed: true });
      expect(orm.snapshot()).toEqual(before);
      // even when the stock is gone meanwhile, and before the actor check
      internalEnv(sudo()).model('stock.quant').write(
        sudo().model('stock.quant')._search([['product_id', '=', product('BP-F01')]]),
        { quantity: 0 },
      );
      expect(issue(id, [line('BP-F01', 1), line('OIL-1L', 1)], 'same-key', staff('technician'))).toMatchObject({ picking_id: first.picking_id, replayed: true });
    });

    it('the same key with other lines, or for the other kind, or used by another action → DRM_DUP_KEY', () => {
      const id = toState('in_progress');
      const first = issue(id, [line('BP-F01', 1)], 'dup-key');
      const before = orm.snapshot();
      const e = fails(() => issue(id, [line('BP-F01', 2)], 'dup-key'), UserError, 'DRM_DUP_KEY');
      expect(e.message).toBe(`DRM_DUP_KEY: request key dup-key already posted picking ${String(first.picking_name)} on work order ${String(wo(id).name)} with different lines`);
      expect(() => ret(id, [line('BP-F01', 1)], 'dup-key')).toThrow(`DRM_DUP_KEY: request key dup-key was used for 'issue_parts' on work order ${String(wo(id).name)}, not for 'return_parts'`);
      expect(orm.snapshot()).toEqual(before);
      // a key of a transition, and a transition with the key of a picking
      const rev = wo(id).revision;
      asBff(staff('technician'), 'drmoto.work.order', 'action_mark_ready', [[id], rev, 'ready-key']);
      expect(() => issue(id, [line('BP-F01', 1)], 'ready-key')).toThrow(`DRM_DUP_KEY: request key ready-key was used for 'mark_ready' on work order ${String(wo(id).name)}, not for 'issue_parts'`);
      expect(() => asBff(staff('advisor'), 'drmoto.work.order', 'action_cancel', [[id], false, 'dup-key', 'x'])).toThrow(
        `DRM_DUP_KEY: request key dup-key was used for 'issue_parts' on work order ${String(wo(id).name)}, not for 'cancel'`,
      );
      // the same key on another work order is another request
      const other = toState('in_progress');
      expect(issue(other, [line('BP-F01', 2)], 'dup-key')).toMatchObject({ replayed: false });
    });

    it('the picking constraint: unique (work order, key), a ValidationError with the DRM_DUP_KEY message', () => {
      const id = toState('in_progress');
      issue(id, [line('BP-F01', 1)], 'constraint-key');
      const e = fails(
        () =>
          internalEnv(sudo())
            .model('stock.picking')
            .create([{ picking_type_id: orm.ref('stock.picking_type_out'), location_dest_id: customersLoc(), drmoto_work_order_id: id, drmoto_request_key: 'constraint-key', drmoto_kind: 'issue' }]),
        ValidationError,
        'DRM_DUP_KEY',
      );
      expect(e.message).toBe('The operation cannot be completed: DRM_DUP_KEY: this request key already posted a picking on this work order');
    });

    it('only while the work order is open: draft, closed, cancelled → DRM_WO_STATE', () => {
      const draft = toState('draft');
      expect(() => issue(draft, [line('BP-F01', 1)])).toThrow(`DRM_WO_STATE: work order ${String(wo(draft).name)} is in state 'draft'; cannot issue parts`);
      const checkin = toState('checkin');
      expect(issue(checkin, [line('BP-F01', 1)]).state).toBe('done');
      const cancelled = toState('checkin');
      act(cancelled, 'action_cancel', staff('advisor'), ['gone']);
      fails(() => issue(cancelled, [line('BP-F01', 1)]), UserError, 'DRM_WO_STATE');
      // a return there: only while something is issued
      expect(() => ret(cancelled, [line('BP-F01', 1)])).toThrow(`DRM_WO_STATE: work order ${String(wo(cancelled).name)} is in state 'cancelled'; cannot return parts`);
      const closed = sudo().model('drmoto.work.order')._search([['state', '=', 'closed']])[0]!;
      expect(() => issue(closed, [line('BP-F01', 1)])).toThrow("is in state 'closed'; cannot issue parts");
    });

    it('storable products of the shop only, quantities > 0: DRM_VALIDATION', () => {
      const id = toState('in_progress');
      const [consu, tracked] = internalEnv(sudo())
        .model('product.product')
        .create([
          { name: 'Rag', default_code: 'RAG', type: 'consu', uom_id: 1 },
          { name: 'Serialized ECU', default_code: 'SN-1', type: 'product', tracking: 'serial', uom_id: 1 },
        ]);
      const bad: Array<[unknown, string]> = [
        [[line('LAB-H', 1)], 'DRM_VALIDATION: line 1: [LAB-H] Labor (hour) is not a storable product'],
        [[{ product_id: tracked, qty: 1 }], 'DRM_VALIDATION: line 1: [SN-1] Serialized ECU is tracked by lots or serial numbers; move it in Inventory'],
        [[line('BP-F01', 1), { product_id: consu, qty: 1 }], 'DRM_VALIDATION: line 2: [RAG] Rag is not a storable product'],
        [[line('BP-F01', 0)], 'DRM_VALIDATION: line 1: qty must be a number > 0'],
        [[line('BP-F01', -1)], 'DRM_VALIDATION: line 1: qty must be a number > 0'],
        [[{ product_id: product('BP-F01'), qty: '1' }], 'DRM_VALIDATION: line 1: qty must be a number > 0'],
        [[line('BP-F01', 0.001)], 'DRM_VALIDATION: the quantity of [BP-F01] Front brake pads (pair) rounds to 0'],
        [[{ product_id: 999999, qty: 1 }], 'DRM_VALIDATION: line 1: product 999999 does not exist in this shop'],
        [[{ product_id: product('BP-F01'), qty: 1, price: 3 }], 'DRM_VALIDATION: line 1: unknown fields price'],
        [[], 'DRM_VALIDATION: lines must be a non-empty list of {product_id, qty}'],
        [false, 'DRM_VALIDATION: lines must be a non-empty list of {product_id, qty}'],
        [['x'], 'DRM_VALIDATION: line 1 must be an object'],
      ];
      for (const [lines, message] of bad) {
        expect(() => issue(id, lines as unknown[])).toThrow(message);
        expect(() => ret(id, lines as unknown[])).toThrow(message);
      }
      expect(pickings(id)).toEqual([]);
    });

    it('roles: keeper and manager issue and return; nobody else', () => {
      const id = toState('in_progress');
      for (const actor of [staff('technician'), staff('advisor'), staff('cashier'), customer(), system]) {
        fails(() => issue(id, [line('BP-F01', 1)], key(), actor), AccessError, 'DRM_FORBIDDEN');
        fails(() => ret(id, [line('BP-F01', 1)], key(), actor), AccessError, 'DRM_FORBIDDEN');
      }
      expect(() => issue(id, [line('BP-F01', 1)], key(), staff('technician'))).toThrow(`DRM_FORBIDDEN: staff user ${uid('technician')} may not issue parts`);
      expect(() => issue(id, [line('BP-F01', 1)], key(), customer())).toThrow('DRM_FORBIDDEN: a customer may not issue parts');
      expect(issue(id, [line('BP-F01', 1)], key(), staff('manager')).state).toBe('done');
      // the keeper calling as itself (the Odoo UI, or its own login): its groups decide
      const r = ex(uid('keeper'), 'drmoto.work.order', 'action_issue_parts', [[id], key(), [line('BP-F01', 1)]]) as Result;
      expect(r.state).toBe('done');
      expect(logs(id).at(-1)).toMatchObject({ actor_user_id: uid('keeper'), user_id: uid('keeper') });
      expect(ex(uid('keeper'), 'drmoto.work.order', 'action_return_parts', [[id], key(), [line('BP-F01', 1)]])).toMatchObject({ state: 'done' });
      expect(() => ex(uid('technician'), 'drmoto.work.order', 'action_issue_parts', [[id], key(), [line('BP-F01', 1)]])).toThrow(AccessError);
      // the keeper reads work orders, parts, pickings, moves; it can't change a work order's transfer by hand
      expect(ex(uid('keeper'), 'drmoto.work.order.part', 'search_count', [[['work_order_id', '=', id]]])).toBe(2);
      const [p] = pickings(id);
      expect(ex(uid('keeper'), 'stock.picking', 'read', [[p!.id], ['name', 'state']])).toEqual([{ id: p!.id, name: p!.name, state: 'done' }]);
      expect(() => ex(uid('keeper'), 'stock.move', 'write', [moves(p!.id).map((m) => m.id), { quantity: 5 }])).toThrow('DRM_VALIDATION: quantity of a work order');
      expect(() => ex(uid('keeper'), 'stock.picking', 'write', [[p!.id], { drmoto_request_key: 'other' }])).toThrow('DRM_VALIDATION');
      expect(() => ex(uid('keeper'), 'stock.picking', 'unlink', [[p!.id]])).toThrow("DRM_VALIDATION: unlink of a work order's transfer change only through the work order's actions");
      expect(() => ex(uid('keeper'), 'stock.move', 'unlink', [moves(p!.id).map((m) => m.id)])).toThrow('You can not delete product moves if the picking is done.');
      expect(() => ex(uid('advisor'), 'stock.picking', 'write', [[p!.id], { note: 'x' }])).toThrow(AccessError);
    });

    it('is all-or-nothing: a failure after the picking is validated leaves nothing behind, quants included', () => {
      const id = toState('in_progress');
      const before = orm.snapshot();
      const hooks = orm.defs.get('drmoto.wo.status.log')!.hooks!;
      const saved = hooks.beforeCreate;
      hooks.beforeCreate = () => {
        throw new UserError('simulated failure');
      };
      try {
        expect(() => issue(id, [line('BP-F01', 1)])).toThrow('simulated failure');
      } finally {
        hooks.beforeCreate = saved;
      }
      expect(orm.snapshot()).toEqual(before);
    });
  });

  describe('return', () => {
    it('ONE done picking customer location → WH/Stock; quants up; qty_returned and qty_net; over-return refused', () => {
      const id = toState('in_progress');
      issue(id, [line('BP-F01', 2), line('OIL-1L', 1.5)]);
      const pads = onHand('BP-F01');
      const r = ret(id, [line('BP-F01', 1)], 'return-1');
      const picking = pickings(id).at(-1)!;
      expect(r).toEqual({ id, picking_id: picking.id, picking_name: 'WH/IN/00001', state: 'done', replayed: false, lines: [{ product_id: product('BP-F01'), qty: 1 }] });
      expect(picking).toMatchObject({ picking_type_id: orm.ref('stock.picking_type_in'), location_id: customersLoc(), location_dest_id: stockLoc(), drmoto_kind: 'return', state: 'done' });
      expect(onHand('BP-F01')).toBe(pads + 1);
      expect(partOf(id, 'BP-F01')).toMatchObject({ qty_issued: 2, qty_returned: 1, qty_net: 1 });
      expect(logs(id).at(-1)).toMatchObject({ event: 'parts_returned', action: 'return_parts', request_key: 'return-1' });
      expect(audits(id).at(-1)).toMatchObject({ action: 'stock_return', res_id: picking.id });
      // replay
      expect(ret(id, [line('BP-F01', 1)], 'return-1')).toEqual({ ...r, replayed: true });
      expect(onHand('BP-F01')).toBe(pads + 1);
      // over-return: more than issued − returned, or something never issued; nothing created
      const before = orm.snapshot();
      const e = fails(() => ret(id, [line('OIL-1L', 1), line('BP-F01', 1.5)]), UserError, 'DRM_OVER_RETURN');
      expect(e.message).toBe('DRM_OVER_RETURN: cannot return 1.5 [BP-F01] Front brake pads (pair): 1 issued and not returned');
      expect(() => ret(id, [line('SP-001', 1)])).toThrow('DRM_OVER_RETURN: cannot return 1 [SP-001] Spark plug: 0 issued and not returned');
      expect(orm.snapshot()).toEqual(before);
      ret(id, [line('BP-F01', 1), line('OIL-1L', 1.5)]);
      expect(parts(id).map((p) => p.qty_net)).toEqual([0, 0]);
      expect(pickings(id).map((p) => p.name)).toEqual(['WH/OUT/00002', 'WH/IN/00001', 'WH/IN/00002']);
    });

    it('cancel is refused while parts are issued (DRM_HAS_PARTS); after the full return it works', () => {
      const id = toState('in_progress');
      issue(id, [line('BP-F01', 2)]);
      const e = fails(() => act(id, 'action_cancel', staff('advisor'), ['customer left']), UserError, 'DRM_HAS_PARTS');
      expect(e.message).toBe('DRM_HAS_PARTS: return the issued parts first');
      ret(id, [line('BP-F01', 1)]);
      expect(() => act(id, 'action_cancel', staff('manager'), ['customer left'])).toThrow('DRM_HAS_PARTS');
      ret(id, [line('BP-F01', 1)]);
      expect(act(id, 'action_cancel', staff('advisor'), ['customer left']).state).toBe('cancelled');
      // money held is reported first
      const other = toState('in_progress');
      issue(other, [line('BP-F01', 1)]);
      internalEnv(sudo()).model('drmoto.work.order').write([other], { amount_paid: 10 });
      expect(() => act(other, 'action_cancel', staff('advisor'), ['x'])).toThrow('DRM_MONEY_HELD');
    });

    it('a return is allowed after delivery while something is issued', () => {
      const id = sudo().model('drmoto.work.order')._search([['state', '=', 'in_progress']])[0]!; // the seed's WO 4
      act(id, 'action_mark_ready', staff('technician'));
      expect(ret(id, [line('OIL-1L', 1)]).state).toBe('done');
      expect(partOf(id, 'OIL-1L')).toMatchObject({ qty_issued: 4, qty_returned: 1, qty_net: 3 });
    });
  });

  describe('request', () => {
    it('adds to qty_requested (part rows created as needed, source request); a work-order action: revision + 1, one log row', () => {
      const id = toState('in_progress');
      const rev = Number(wo(id).revision);
      const r = request(id, [line('SP-001', 1), line('BP-F01', 1)], 'req-1');
      expect(r).toEqual({
        id,
        revision: rev + 1,
        replayed: false,
        parts: [
          { product_id: product('BP-F01'), qty_requested: 1 },
          { product_id: product('SP-001'), qty_requested: 1 },
        ],
      });
      expect(partOf(id, 'SP-001')).toMatchObject({ qty_planned: 0, qty_requested: 1, source: 'request', uom_id: 1, quote_id: null });
      expect(request(id, [line('SP-001', 2)], key(), staff('advisor')).parts).toEqual([{ product_id: product('SP-001'), qty_requested: 3 }]);
      expect(request(id, [line('SP-001', 1), line('BP-F01', 1)], 'req-1')).toEqual({ ...r, replayed: true });
      expect(partOf(id, 'SP-001')).toMatchObject({ qty_requested: 3, qty_to_issue: 3 });
      // to issue: the larger of planned and requested, less what is out
      expect(partOf(id, 'BP-F01')).toMatchObject({ qty_planned: 2, qty_requested: 1, qty_to_issue: 2 });
      issue(id, [line('BP-F01', 1.5), line('SP-001', 3)]);
      expect([partOf(id, 'BP-F01')!.qty_to_issue, partOf(id, 'SP-001')!.qty_to_issue]).toEqual([0.5, 0]);
      expect(asBff(staff('advisor'), 'drmoto.work.order.part', 'search_read', [[['work_order_id', '=', id], ['qty_to_issue', '>', 0]], ['product_id', 'qty_to_issue', 'work_order_state']]) as Result[]).toEqual([
        { id: partOf(id, 'BP-F01')!.id, product_id: [product('BP-F01'), '[BP-F01] Front brake pads (pair)'], qty_to_issue: 0.5, work_order_state: 'in_progress' },
        { id: partOf(id, 'OIL-1L')!.id, product_id: [product('OIL-1L'), '[OIL-1L] Engine oil 10W-40 1L'], qty_to_issue: 1.5, work_order_state: 'in_progress' },
      ]);
      expect(logs(id).filter((l) => l.event === 'parts_requested').map((l) => [l.action, l.revision, l.actor_user_id])).toEqual([
        ['request_parts', rev + 1, uid('technician')],
        ['request_parts', rev + 2, uid('advisor')],
      ]);
      for (const actor of [staff('keeper'), staff('cashier'), customer(), system]) fails(() => request(id, [line('SP-001', 1)], key(), actor), AccessError, 'DRM_FORBIDDEN');
      fails(() => request(id, [line('LAB-H', 1)]), UserError, 'DRM_VALIDATION');
      expect(() => request(toState('draft'), [line('SP-001', 1)])).toThrow("is in state 'draft'; cannot request parts");
    });

    it('a later confirmed quote keeps the rows with something requested or issued', () => {
      const id = toState('in_progress');
      issue(id, [line('BP-F01', 1)]);
      request(id, [line('OIL-1L', 1)]);
      act(id, 'action_create_quote', staff('advisor'), [[labor, partLine('SP-001', 2)]]);
      act(id, 'action_send_quote', staff('advisor'), [2]);
      act(id, 'action_confirm_quote', customer(), [2]);
      expect(parts(id).map((p) => [p.product_id, p.qty_planned, p.qty_requested, p.qty_issued, p.source])).toEqual([
        [product('BP-F01'), 0, 0, 1, 'quote'],
        [product('OIL-1L'), 0, 1, 0, 'quote'],
        [product('SP-001'), 2, 0, 0, 'quote'],
      ]);
    });
  });

  it('reads as the BFF does, quantities by location; the seed issued the parts of WO 4 (WH/OUT/00001)', () => {
    const id = sudo().model('drmoto.work.order')._search([['state', '=', 'in_progress']])[0]!;
    expect(id).toBe(4);
    const ps = asBff(staff('advisor'), 'drmoto.work.order.part', 'search_read', [[['work_order_id', '=', id]], ['product_id', 'qty_planned', 'qty_requested', 'qty_issued', 'qty_returned', 'uom_id']]) as Result[];
    expect(ps.map((p) => [(p.product_id as [number, string])[1], p.qty_planned, p.qty_requested, p.qty_issued, p.qty_returned, (p.uom_id as [number, string])[1]])).toEqual([
      ['[OF-001] Oil filter', 1, 1, 1, 0, 'Units'],
      ['[OIL-1L] Engine oil 10W-40 1L', 4, 4, 4, 0, 'L'],
    ]);
    const picks = asBff(staff('advisor'), 'stock.picking', 'search_read', [[['drmoto_work_order_id', '=', id]], ['name', 'state', 'drmoto_kind', 'date_done', 'drmoto_request_key']]) as Result[];
    expect(picks).toEqual([{ id: expect.any(Number), name: 'WH/OUT/00001', state: 'done', drmoto_kind: 'issue', date_done: expect.any(String), drmoto_request_key: 'seed-4-issue-parts' }]);
    expect(onHand('OF-001')).toBe(29);
    expect(onHand('OIL-1L')).toBe(56);
    // qty_available without a location: every internal location; at the customers' location: nothing tracked
    expect((ex(bff(), 'product.product', 'read', [[product('OIL-1L')], ['qty_available', 'free_qty']]) as Result[])[0]).toMatchObject({ qty_available: 56, free_qty: 56 });
    expect((ex(bff(), 'product.product', 'read', [[product('OIL-1L')], ['qty_available']], { context: { location: customersLoc() } }) as Result[])[0]!.qty_available).toBe(0);
    expect((ex(bff(), 'product.product', 'read', [[product('OIL-1L')], ['qty_available']], { context: { warehouse: 1 } }) as Result[])[0]!.qty_available).toBe(56);
    expect(ex(bff(), 'res.partner', 'read', [[partner('Zhao Liu')], ['property_stock_customer']])).toEqual([{ id: partner('Zhao Liu'), property_stock_customer: [customersLoc(), 'Partners/Customers'] }]);
    const types = ex(bff(), 'stock.picking.type', 'search_read', [[], ['name', 'code', 'warehouse_id', 'display_name']], { order: 'id' }) as Result[];
    expect(types.map((t) => [t.display_name, t.code])).toEqual([
      ['DrMoto Demo Shop: Receipts', 'incoming'],
      ['DrMoto Demo Shop: Delivery Orders', 'outgoing'],
    ]);
    const log = logs(id).filter((l) => l.event === 'parts_issued' || l.event === 'parts_requested');
    expect(log.map((l) => [l.event, l.actor_user_id])).toEqual([
      ['parts_requested', uid('technician')],
      ['parts_issued', uid('keeper')],
    ]);
  });

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

    it('DRM_NO_STOCK and DRM_DUP_KEY are faultCode 2 / UserError on both transports; a result marshals', async () => {
      const mock = await startOdooMock({ port: 0 });
      try {
        const b = mock.orm.uid('bff');
        const keeper = { kind: 'staff', uid: mock.orm.uid('keeper') };
        const code = (c: string): number => mock.orm.sudo().model('product.product')._search([['default_code', '=', c]])[0]!;
        const [ck, of] = [code('CK-520'), code('OF-001')];
        const args = (a: XmlRpcValue[]): XmlRpcValue[] => ['drmoto', b, 'bff', 'drmoto.work.order', 'action_issue_parts', a, { context: { drmoto_actor: keeper } }];
        const xml = async (a: XmlRpcValue[]) => decodeMethodResponse(await post(`${mock.url}/xmlrpc/2/object`, encodeMethodCall('execute_kw', args(a)), 'text/xml'));
        const json = async (a: XmlRpcValue[]) =>
          JSON.parse(await post(`${mock.url}/jsonrpc`, JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'object', method: 'execute_kw', args: args(a) } }), 'application/json')) as {
            result?: Result;
            error?: { data: { name: string; message: string } };
          };
        const noStock = 'DRM_NO_STOCK: not enough [CK-520] Chain kit 520: available 6, requested 10';
        expect(await xml([[4], 'http-issue-1', [{ product_id: ck, qty: 10 }]])).toEqual({ ok: false, faultCode: 2, faultString: noStock });
        expect((await json([[4], 'http-issue-1', [{ product_id: ck, qty: 10 }]])).error?.data).toMatchObject({ name: 'odoo.exceptions.UserError', message: noStock });
        const ok = await xml([[4], 'http-issue-2', [{ product_id: of, qty: 2 }]]);
        expect(ok).toEqual({ ok: true, value: { id: 4, picking_id: expect.any(Number), picking_name: 'WH/OUT/00002', state: 'done', replayed: false, lines: [{ product_id: of, qty: 2 }] } });
        expect((await json([[4], 'http-issue-2', [{ product_id: of, qty: 2 }]])).result).toMatchObject({ picking_name: 'WH/OUT/00002', replayed: true });
        const dup = await xml([[4], 'http-issue-2', [{ product_id: of, qty: 3 }]]);
        expect(dup).toEqual({ ok: false, faultCode: 2, faultString: expect.stringMatching(/^DRM_DUP_KEY: .* with different lines$/) });
        expect((await json([[4], 'http-issue-2', [{ product_id: of, qty: 3 }]])).error?.data.name).toBe('odoo.exceptions.UserError');
      } finally {
        await mock.close();
      }
    });
  });
});
