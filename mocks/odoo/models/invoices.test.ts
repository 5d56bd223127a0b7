/**
 * Invoices, payments and the settled close (issue 5): action_sync_invoices, action_register_payment, the journals,
 * moves, payments and their reconciliation, the settled rule of action_close and the cancel guard — run through
 * OdooService.execute (one transaction per call, as execute_kw) and, for the result and fault shapes, over HTTP.
 */
import http from 'node:http';
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from '../../../bff/src/integrations/odoo/xmlrpc-codec';
import { AccessError, UserError, ValidationError } from '../errors';
import { createOrm, OdooService, startOdooMock } from '../server';
import type { Orm } from '../orm/orm';
import type { Row } from '../orm/types';
import { postMove } from './account-move';
import { postPayment, reconcileWorkOrder } from './account-payment';
import { internalEnv } from './drmoto-wo-common';
import { recomputeMoney } from './drmoto-work-order-invoicing';
import { fails } from './fails.testing';

type Result = Record<string, unknown>;
type Actor = Record<string, unknown>;

const WO = 'drmoto.work.order';

describe('invoices, payments, closing (issue 5)', () => {
  let orm: Orm;
  let odoo: OdooService;
  let keySeq = 0;
  const key = () => `inv-key-${++keySeq}`;
  const uid = (login: string) => orm.ref(`drmoto_mock.user_${login}`);
  const bff = () => uid('bff');
  const sudo = () => orm.sudoEnv();
  const partner = (name: string) => sudo().model('res.partner')._search([['name', '=', name]])[0]!;
  const vehicle = (plate: string) => sudo().model('drmoto.vehicle')._search([['plate_normalized', '=', plate]])[0]!;
  const product = (code: string) => sudo().model('product.product')._search([['default_code', '=', code]])[0]!;
  const staff = (login: string): Actor => ({ kind: 'staff', uid: uid(login) });
  const customer = (name = 'Zhang San'): Actor => ({ kind: 'customer', partner_id: partner(name) });
  const system: Actor = { kind: 'system' };
  const wo = (id: number): Row => sudo().model(WO).row(id)!;
  const rowsOf = (model: string, pred: (r: Row) => boolean, order = 'id') => sudo().model(model).sortRows(sudo().model(model).allRows().filter(pred), order);
  const moves = (id: number) => rowsOf('account.move', (m) => m.drmoto_work_order_id === id);
  const moveLines = (moveId: number) => rowsOf('account.move.line', (l) => l.move_id === moveId, 'sequence, id');
  const payments = (id: number) => rowsOf('account.payment', (p) => p.drmoto_work_order_id === id);
  const logs = (id: number) => rowsOf('drmoto.wo.status.log', (l) => l.work_order_id === id);
  const quotes = (id: number) => rowsOf('drmoto.work.order.quote', (q) => q.work_order_id === id, 'version');
  const quoteLines = (quoteId: number) => rowsOf('drmoto.work.order.quote.line', (l) => l.quote_id === quoteId, 'sequence, id');
  const incl = () => orm.ref('drmoto_mock.tax_vat13_incl');
  const excl = () => orm.ref('drmoto_mock.tax_vat13_excl');
  const cents = (v: unknown) => Math.round(Number(v) * 100);
  /** net invoiced, summed in integer cents: the exactness the BFF asserts */
  const netCents = (id: number) => moves(id).reduce((s, m) => s + (m.state !== 'posted' ? 0 : m.move_type === 'out_invoice' ? 1 : -1) * cents(m.amount_total), 0);

  const ex = (u: number, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) => odoo.execute(u, model, method, args, kwargs);
  const asBff = (actor: Actor, model: string, method: string, args: unknown[], ctx: Record<string, unknown> = {}) =>
    ex(bff(), model, method, args, { context: { drmoto_actor: actor, ...ctx } });
  const act = (id: number, method: string, actor: Actor, args: unknown[] = [], k = key()): Result => asBff(actor, WO, method, [[id], wo(id).revision, k, ...args]) as Result;
  const sync = (id: number, k = key(), actor: Actor = system): Result => asBff(actor, WO, 'action_sync_invoices', [[id], k]) as Result;
  const pay = (id: number, amount: unknown, ref = `ledger-${key()}`, channel: unknown = 'wechat', actor: Actor = system): Result =>
    asBff(actor, WO, 'action_register_payment', [[id], ref, amount, channel]) as Result;
  const close = (id: number, actor: Actor = system, k = key()): Result => asBff(actor, WO, 'action_close', [[id], false, k]) as Result;
  const labor = (price: number, extra: Record<string, unknown> = {}) => ({ kind: 'labor', description: 'Labor', qty: 1, price_unit: price, ...extra });
  const part = (code: string, qty: number, price: number, extra: Record<string, unknown> = {}) => ({ kind: 'part', product_id: product(code), description: code, qty, price_unit: price, ...extra });

  /** a work order in `state` whose confirmed version 1 has `lines` */
  function toState(state: 'in_progress' | 'ready' | 'quoted', lines: unknown[]): number {
    const id = (asBff(staff('advisor'), WO, 'action_open', [{ partner_id: partner('Zhang San'), vehicle_id: vehicle('粤B12345'), symptom: 'invoices' }, key()]) as Result).id as number;
    act(id, 'action_checkin', staff('advisor'));
    act(id, 'action_start_diagnosis', staff('technician'));
    act(id, 'action_create_quote', staff('advisor'), [lines]);
    act(id, 'action_send_quote', staff('advisor'), [1]);
    if (state === 'quoted') return id;
    act(id, 'action_confirm_quote', customer(), [1]);
    act(id, 'action_start_repair', staff('technician'));
    if (state === 'in_progress') return id;
    act(id, 'action_mark_ready', staff('technician'));
    return id;
  }
  /** extra work during the repair: a new version, sent and confirmed by the customer */
  function newVersion(id: number, lines: unknown[]): void {
    const r = act(id, 'action_create_quote', staff('advisor'), [lines]);
    act(id, 'action_send_quote', staff('advisor'), [r.version]);
    act(id, 'action_confirm_quote', customer(), [r.version]);
  }

  beforeEach(() => {
    orm = createOrm();
    odoo = new OdooService(orm, 'drmoto');
  });

  // ------------------------------------------------------------------------------------------ sync

  describe('action_sync_invoices', () => {
    it('the first sync posts ONE invoice that replicates the confirmed version (taxes incl. and excl., discounts): same lines, same total', () => {
      const id = toState('in_progress', [
        labor(113, { tax_ids: [incl()] }),
        part('BP-F01', 2, 150.5, { discount: 10, tax_ids: [incl()] }),
        part('BP-F01', 2, 150.5, { discount: 10, tax_ids: [excl()] }),
        labor(120, { qty: 1.5, tax_ids: [excl()] }),
        part('OIL-1L', 3, 33.33, { discount: 33.33, tax_ids: [excl()] }),
        labor(10, { tax_ids: [incl()] }),
        labor(10, { tax_ids: [incl()] }),
        labor(33.33, { tax_ids: [] }),
      ]);
      const [rev, nLogs] = [wo(id).revision, logs(id).length];
      const quote = quotes(id)[0]!;
      const r = sync(id, 'sync-1');
      expect(Object.keys(r).sort()).toEqual(['amount_invoiced', 'id', 'invoice_ids', 'replayed', 'target']);
      expect(r).toEqual({ id, invoice_ids: [expect.any(Number)], amount_invoiced: quote.amount_total, target: quote.amount_total, replayed: false });
      const [inv, ...more] = moves(id);
      expect(more).toEqual([]);
      expect(inv).toMatchObject({
        id: (r.invoice_ids as number[])[0],
        move_type: 'out_invoice',
        state: 'posted',
        name: expect.stringMatching(/^INV\/\d{4}\/\d{5}$/),
        partner_id: partner('Zhang San'),
        journal_id: orm.ref('drmoto_mock.journal_sale'),
        currency_id: 1,
        company_id: 1,
        invoice_origin: wo(id).name,
        drmoto_request_key: 'sync-1',
        drmoto_quote_id: quote.id,
        amount_untaxed: quote.amount_untaxed,
        amount_tax: quote.amount_tax,
        amount_total: quote.amount_total,
        amount_residual: quote.amount_total,
        payment_state: 'not_paid',
      });
      expect(inv!.invoice_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const fields = (l: Row) => [l.product_id, l.price_unit, l.discount, l.tax_ids, l.price_subtotal, l.price_total];
      expect(moveLines(inv!.id).map((l) => [l.name, l.quantity, ...fields(l)])).toEqual(quoteLines(quote.id).map((l) => [l.description, l.qty, ...fields(l)]));
      expect(cents(wo(id).amount_total)).toBe(netCents(id));
      // read as the BFF does
      expect((ex(bff(), WO, 'read', [[id], ['amount_invoiced', 'amount_refunded', 'invoice_ids', 'invoice_count']]) as Result[])[0]).toEqual({
        id,
        amount_invoiced: quote.amount_total,
        amount_refunded: 0,
        invoice_ids: [inv!.id],
        invoice_count: 1,
      });
      // no write of the work order; one status-log row with the key
      expect(wo(id).revision).toBe(rev);
      expect(logs(id).length).toBe(nLogs + 1);
      expect(logs(id).at(-1)).toMatchObject({ event: 'invoices_synced', action: 'sync_invoices', actor_kind: 'system', request_key: 'sync-1', revision: rev, from_state: 'in_progress', to_state: 'in_progress' });
      expect(logs(id).at(-1)!.note).toBe(`${String(inv!.name)}: ${Number(quote.amount_total).toFixed(2)} CNY`);
    });

    it('a second sync with nothing to do changes nothing; the same key replays the recorded result', () => {
      const id = toState('in_progress', [labor(100), part('OF-001', 1, 45)]);
      const first = sync(id, 'sync-a');
      const [n, nLogs] = [moves(id).length, logs(id).length];
      const second = sync(id, 'sync-b');
      expect(second).toEqual({ id, invoice_ids: [], amount_invoiced: 145, target: 145, replayed: false });
      expect([moves(id).length, logs(id).length]).toEqual([n, nLogs]);
      expect(sync(id, 'sync-a')).toEqual({ ...first, replayed: true });
      expect(moves(id).length).toBe(n);
      // a key of another action
      const k = key();
      act(id, 'action_mark_ready', staff('technician'), [], k);
      expect(() => sync(id, k)).toThrow(new UserError(`DRM_DUP_KEY: request key ${k} was used for 'mark_ready' on work order ${String(wo(id).name)}, not for 'sync_invoices'`));
    });

    it('nothing confirmed → nothing to invoice', () => {
      const id = toState('quoted', [labor(100)]);
      expect(sync(id)).toEqual({ id, invoice_ids: [], amount_invoiced: 0, target: 0, replayed: false });
      expect(moves(id)).toEqual([]);
    });

    it('a higher version → ONE supplementary invoice with the added lines only; a lower one → ONE credit note; net == target each time', () => {
      const id = toState('in_progress', [labor(100), part('OF-001', 1, 45)]);
      sync(id);
      newVersion(id, [labor(100), part('OF-001', 1, 45), part('AF-001', 1, 65, { discount: 5 })]);
      expect(wo(id).amount_total).toBe(206.75);
      const up = sync(id);
      expect(up).toMatchObject({ invoice_ids: [expect.any(Number)], amount_invoiced: 206.75, target: 206.75 });
      const supp = sudo().model('account.move').row((up.invoice_ids as number[])[0]!)!;
      expect(supp).toMatchObject({ move_type: 'out_invoice', amount_total: 61.75, drmoto_quote_id: quotes(id)[1]!.id, ref: `${String(wo(id).name)} v2` });
      expect(moveLines(supp.id).map((l) => [l.name, l.quantity, l.price_unit, l.discount, l.price_total])).toEqual([['AF-001', 1, 65, 5, 61.75]]);
      // v3 drops the oil filter and changes the labor price
      newVersion(id, [labor(80), part('AF-001', 1, 65, { discount: 5 })]);
      const down = sync(id);
      const credit = sudo().model('account.move').row((down.invoice_ids as number[])[0]!)!;
      expect(credit).toMatchObject({ move_type: 'out_refund', name: expect.stringMatching(/^RINV\/\d{4}\/00001$/), amount_total: 65, reversed_entry_id: supp.id });
      // the credit note credits what went away (positive) and debits what came (negative)
      expect(moveLines(credit.id).map((l) => [l.name, l.quantity, l.price_unit, l.price_total])).toEqual([
        ['Labor', -1, 80, -80],
        ['Labor', 1, 100, 100],
        ['OF-001', 1, 45, 45],
      ]);
      expect(down).toMatchObject({ amount_invoiced: 141.75, target: 141.75 });
      expect(netCents(id)).toBe(cents(wo(id).amount_total));
      expect(wo(id).amount_total).toBe(141.75);
      expect(moves(id).map((m) => m.move_type)).toEqual(['out_invoice', 'out_invoice', 'out_refund']);
    });

    it('net invoiced == target to the cent over many versions: odd prices, discounts, quantities, taxes incl. and excl.', () => {
      const pick = (i: number) => [
        labor(33.33, { qty: 1.5, discount: 12.5, tax_ids: [incl()] }),
        labor(99.99, { qty: 3, tax_ids: [excl()] }),
        part('OIL-1L', 1.2, 85, { discount: 33.33, tax_ids: [incl()] }),
        part('SP-001', 7, 0.07, { tax_ids: [excl()] }),
        part('BP-F01', 2, 150.5, { discount: 10 }),
        labor(10, { tax_ids: [incl()] }),
        labor(0.05, { tax_ids: [excl(), incl()] }),
        part('CK-520', 1, 559.99, { discount: 0.5, tax_ids: [] }),
      ].filter((_l, j) => (i * 7 + j * 3) % 5 !== 0 || j === i % 8);
      const id = toState('in_progress', pick(0));
      for (let v = 1; v <= 8; v += 1) {
        const before = moves(id).length;
        const r = sync(id);
        expect(moves(id).length).toBe(before + (r.invoice_ids as unknown[]).length);
        expect((r.invoice_ids as unknown[]).length).toBeLessThanOrEqual(1);
        expect(netCents(id)).toBe(cents(wo(id).amount_total));
        expect(r.amount_invoiced).toBe(wo(id).amount_total);
        newVersion(id, pick(v));
      }
      // both directions happened, with exactly one move per changed total
      expect([...new Set(moves(id).map((m) => m.move_type))].sort()).toEqual(['out_invoice', 'out_refund']);
      expect(moves(id).length).toBeGreaterThanOrEqual(6);
      // every move is positive, each one posted with its own number
      for (const m of moves(id)) expect([m.state, Number(m.amount_total) > 0]).toEqual(['posted', true]);
      expect(new Set(moves(id).map((m) => m.name)).size).toBe(moves(id).length);
    });

    it('refund credit notes (a ledger ref) lower the target = total − credited and are never re-invoiced; a returned overpayment has none', () => {
      const id = toState('in_progress', [labor(100)]);
      sync(id);
      pay(id, 100);
      // what action_register_refund will do: a credit note carrying the ledger ref + an outbound payment
      const aenv = internalEnv(sudo());
      const refund = (amount: number, outbound: number, ref: string) => {
        const [cn] = aenv.model('account.move').create([
          { move_type: 'out_refund', journal_id: 1, partner_id: partner('Zhang San'), invoice_date: '2026-01-02', drmoto_work_order_id: id, drmoto_ledger_ref: ref, invoice_line_ids: [[0, 0, { name: 'Refund', quantity: 1, price_unit: amount, tax_ids: [[6, 0, [incl()]]] }]] },
        ]);
        postMove(aenv, cn!);
        const [p] = aenv.model('account.payment').create([{ payment_type: 'outbound', partner_id: partner('Zhang San'), amount: outbound, journal_id: 2, drmoto_work_order_id: id, drmoto_ledger_ref: ref, drmoto_channel: 'wechat' }]);
        postPayment(aenv, p!);
        reconcileWorkOrder(aenv, id);
        recomputeMoney(aenv, id);
      };
      refund(20, 20, 'refund-1');
      expect(wo(id)).toMatchObject({ amount_paid: 80, amount_refunded: 20 });
      expect(sync(id)).toMatchObject({ invoice_ids: [], amount_invoiced: 80, target: 80 });
      // a higher version: the supplementary invoice carries the line difference only (the refund stays out of it)
      newVersion(id, [labor(100), labor(50, { description: 'Extra', tax_ids: [excl()] })]);
      const up = sync(id);
      expect(up).toMatchObject({ amount_invoiced: 136.5, target: 136.5 });
      expect(moveLines((up.invoice_ids as number[])[0]!).map((l) => [l.name, l.quantity, l.price_total])).toEqual([['Extra', 1, 56.5]]);
      // a refund of 15 of which 10 lowers the price: only the credit note moves the target (docs/odoo-contract.md)
      refund(10, 15, 'refund-2');
      expect(wo(id)).toMatchObject({ amount_paid: 65, amount_refunded: 35, amount_credited: 30, amount_due: 61.5 });
      expect(sync(id)).toMatchObject({ invoice_ids: [], amount_invoiced: 126.5, target: 126.5 });
    });

    it('is for the system, cashiers and managers; refused on a cancelled work order', () => {
      const id = toState('in_progress', [labor(100)]);
      for (const who of [staff('technician'), staff('advisor'), staff('keeper'), customer()]) fails(() => sync(id, key(), who), AccessError, 'DRM_FORBIDDEN');
      expect(sync(id, key(), staff('cashier')).invoice_ids).toHaveLength(1);
      expect(sync(id, key(), staff('manager')).invoice_ids).toEqual([]);
      const other = toState('quoted', [labor(5)]);
      act(other, 'action_cancel', staff('advisor'), ['no']);
      expect(() => sync(other)).toThrow(`DRM_WO_STATE: work order ${String(wo(other).name)} is in state 'cancelled'; cannot sync the invoices`);
    });
  });

  // ------------------------------------------------------------------------------------------ payments

  describe('action_register_payment', () => {
    it('ONE posted inbound payment on the channel journal (created on first use), reconciled oldest first; amount_paid / amount_due follow', () => {
      const id = toState('in_progress', [labor(100), part('OF-001', 1, 45)]);
      sync(id);
      newVersion(id, [labor(100), part('OF-001', 1, 45), part('AF-001', 1, 55)]);
      sync(id);
      const [inv1, inv2] = moves(id);
      const rev = wo(id).revision;
      expect(sudo().model('account.journal').allRows().map((j) => j.code)).toEqual(['INV', 'WXP']); // WXP: the seed's WeChat payment
      const r = pay(id, 120.5, 'ledger-a', 'offline', staff('cashier'));
      expect(r).toEqual({ id, payment_id: expect.any(Number), amount_paid: 120.5, amount_due: 79.5, replayed: false });
      const cash = sudo().model('account.journal').allRows().find((j) => j.code === 'CASH')!;
      expect(cash).toMatchObject({ type: 'cash', name: 'Cash', company_id: 1 });
      const [p] = payments(id);
      expect(p).toMatchObject({
        id: r.payment_id,
        name: expect.stringMatching(/^PCASH\/\d{4}\/00001$/),
        payment_type: 'inbound',
        partner_type: 'customer',
        partner_id: partner('Zhang San'),
        amount: 120.5,
        journal_id: cash.id,
        state: 'posted',
        drmoto_work_order_id: id,
        drmoto_ledger_ref: 'ledger-a',
        drmoto_channel: 'offline',
      });
      const state = (m: Row) => {
        const r = sudo().model('account.move').row(m.id)!;
        return [r.payment_state, r.amount_residual];
      };
      // 145.00 + 55.00 invoiced; 120.50 paid: the oldest invoice first
      expect([state(inv1!), state(inv2!)]).toEqual([
        ['partial', 24.5],
        ['not_paid', 55],
      ]);
      pay(id, 50, 'ledger-b');
      expect([state(inv1!), state(inv2!)]).toEqual([
        ['paid', 0],
        ['partial', 29.5],
      ]);
      const last = pay(id, 29.5, 'ledger-c', 'stripe');
      expect(last).toMatchObject({ amount_paid: 200, amount_due: 0 });
      expect(sudo().model('account.move').row(inv2!.id)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
      expect(sudo().model('account.journal').allRows().map((j) => [j.code, j.type])).toEqual([
        ['INV', 'sale'],
        ['WXP', 'bank'],
        ['CASH', 'cash'],
        ['STRP', 'bank'],
      ]);
      expect((ex(bff(), 'account.payment', 'read', [[last.payment_id], ['is_reconciled', 'reconciled_invoice_ids']]) as Result[])[0]).toEqual({ id: last.payment_id, is_reconciled: true, reconciled_invoice_ids: [inv2!.id] });
      // payments don't write the work order; each leaves one log row
      expect(wo(id).revision).toBe(rev);
      expect(logs(id).filter((l) => l.event === 'payment_registered').map((l) => [l.request_key, l.actor_kind, l.note])).toEqual([
        ['ledger/ledger-a', 'staff', `${String(p!.name)}: 120.50 CNY via offline`],
        ['ledger/ledger-b', 'system', expect.stringMatching(/^PWXP\/\d{4}\/\d{5}: 50\.00 CNY via wechat$/)],
        ['ledger/ledger-c', 'system', expect.stringMatching(/^PSTRP\/\d{4}\/00001: 29\.50 CNY via stripe$/)],
      ]);
    });

    it('the same ledger ref again → the same payment, replayed; other content → DRM_DUP_KEY; the constraint backs it', () => {
      const id = toState('in_progress', [labor(100)]);
      sync(id);
      const first = pay(id, 60, 'ledger-x');
      const again = pay(id, 60, 'ledger-x');
      expect(again).toEqual({ ...first, replayed: true });
      expect(payments(id)).toHaveLength(1);
      expect(wo(id).amount_paid).toBe(60);
      const name = String(payments(id)[0]!.name);
      expect(() => pay(id, 61, 'ledger-x')).toThrow(new UserError(`DRM_DUP_KEY: ledger entry ledger-x is already registered as ${name} for 60.00 CNY via wechat, not 61.00 CNY via wechat`));
      expect(() => pay(id, 60, 'ledger-x', 'stripe')).toThrow('DRM_DUP_KEY');
      const other = toState('in_progress', [labor(10)]);
      expect(() => pay(other, 60, 'ledger-x')).toThrow(new UserError(`DRM_DUP_KEY: ledger entry ledger-x is already registered as ${name} on work order ${String(wo(id).name)}`));
      // a concurrent twin can't see the first one: the unique constraint answers
      const twin = { ...payments(id)[0]!, name: '/', state: 'draft' } as Record<string, unknown>;
      for (const k of ['id', 'create_date', 'write_date', 'create_uid', 'write_uid']) delete twin[k];
      expect(() => internalEnv(sudo()).model('account.payment').create([twin])).toThrow(new ValidationError('The operation cannot be completed: DRM_DUP_KEY: this ledger entry is already registered'));
    });

    it('validates amount and channel (DRM_VALIDATION), refuses technicians and customers (DRM_FORBIDDEN) and cancelled work orders', () => {
      const id = toState('in_progress', [labor(100)]);
      for (const amount of [0, -5, 0.004, '10', null, true]) fails(() => pay(id, amount), UserError, 'DRM_VALIDATION');
      expect(() => pay(id, 10, 'l-1', 'alipay')).toThrow("DRM_VALIDATION: unknown payment channel 'alipay': use wechat, stripe or offline");
      expect(() => pay(id, 10, '   ')).toThrow('DRM_VALIDATION: a ledger reference is a string of 1 to 255 characters');
      for (const who of [staff('technician'), staff('advisor'), customer()]) fails(() => pay(id, 10, `l-${key()}`, 'wechat', who), AccessError, 'DRM_FORBIDDEN');
      expect(() => pay(id, 10, 'l-2', 'wechat', staff('technician'))).toThrow(new AccessError(`DRM_FORBIDDEN: staff user ${uid('technician')} may not register a payment`));
      expect(pay(id, 10, 'l-3', 'offline', staff('manager')).amount_paid).toBe(10);
      expect(payments(id)).toHaveLength(1);
      const other = toState('quoted', [labor(5)]);
      act(other, 'action_cancel', staff('advisor'), ['no']);
      expect(() => pay(other, 5)).toThrow(`DRM_WO_STATE: work order ${String(wo(other).name)} is in state 'cancelled'; cannot register a payment`);
    });

    it('a payment before the invoice stays outstanding; the next invoice consumes it', () => {
      const id = toState('in_progress', [labor(100)]);
      const r = pay(id, 100);
      expect(r).toMatchObject({ amount_paid: 100, amount_due: 0 });
      expect((ex(bff(), 'account.payment', 'read', [[r.payment_id], ['is_reconciled']]) as Result[])[0]!.is_reconciled).toBe(false);
      const s = sync(id);
      expect(sudo().model('account.move').row((s.invoice_ids as number[])[0]!)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
      expect((ex(bff(), 'account.payment', 'read', [[r.payment_id], ['is_reconciled']]) as Result[])[0]!.is_reconciled).toBe(true);
    });

    it('amount_paid, amount_refunded, amount_invoiced change only through payments and invoices; moves and payments of a work order only through its actions', () => {
      const id = toState('in_progress', [labor(100)]);
      sync(id);
      pay(id, 100);
      for (const field of ['amount_paid', 'amount_refunded', 'amount_invoiced']) {
        expect(() => ex(uid('manager'), WO, 'write', [[id], { [field]: 0 }])).toThrow(`DRM_VALIDATION: ${field} change only through the work order's actions`);
      }
      const admin = orm.ref('base.user_admin');
      const [inv] = moves(id);
      const [p] = payments(id);
      fails(() => ex(admin, 'account.move', 'write', [[inv!.id], { amount_total: 1 }]), UserError, 'DRM_VALIDATION');
      fails(() => ex(admin, 'account.move.line', 'write', [[moveLines(inv!.id)[0]!.id], { price_unit: 1 }]), UserError, 'DRM_VALIDATION');
      fails(() => ex(admin, 'account.payment', 'write', [[p!.id], { amount: 1 }]), UserError, 'DRM_VALIDATION');
      expect(() => ex(admin, 'account.move', 'unlink', [[inv!.id]])).toThrow('You cannot delete an entry which has been posted once.');
      fails(() => ex(admin, 'account.move', 'create', [{ move_type: 'out_invoice', journal_id: 1, partner_id: partner('Zhang San'), drmoto_work_order_id: id }]), UserError, 'DRM_VALIDATION');
      fails(() => ex(admin, 'account.payment', 'create', [{ journal_id: 1, amount: 5, drmoto_work_order_id: id }]), UserError, 'DRM_VALIDATION');
      expect(ex(admin, 'account.move', 'write', [[inv!.id], { narration: 'thanks' }])).toBe(true);
      expect(wo(id).amount_paid).toBe(100);
      // cashiers (and managers, the BFF) read invoices and payments; technicians don't
      expect((ex(uid('cashier'), 'account.move', 'search_read', [[['drmoto_work_order_id', '=', id]], ['name', 'payment_state', 'amount_residual']]) as Result[])[0]).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
      expect(() => ex(uid('technician'), 'account.payment', 'search_read', [[], ['name']])).toThrow(AccessError);
    });
  });

  // ------------------------------------------------------------------------------------------ closing

  describe('settled close', () => {
    it('delivered + paid + invoiced → closes once; the settlement job calls it routinely before', () => {
      const id = toState('ready', [labor(100), part('OF-001', 1, 45)]);
      sync(id);
      pay(id, 145);
      // the settlement job's close: not delivered yet → no raise, no change
      expect(close(id)).toMatchObject({ closed: false, reason: `DRM_WO_STATE: work order ${String(wo(id).name)} is in state 'ready'; cannot close` });
      act(id, 'action_deliver', staff('manager'), [true]); // not owing: the override is not used
      expect(wo(id).state).toBe('closed');
      const closes = logs(id).filter((l) => l.action === 'close');
      expect(closes).toHaveLength(1);
      expect(close(id)).toMatchObject({ closed: false, state: 'closed' });
      expect(logs(id).filter((l) => l.action === 'close')).toHaveLength(1);
    });

    it('paid but invoiced ≠ target → {closed: false, reason: DRM_NOT_INVOICED}, no change; after the sync it closes', () => {
      const id = toState('ready', [labor(100)]);
      pay(id, 100);
      const d = act(id, 'action_deliver', staff('advisor'));
      const name = String(wo(id).name);
      expect(d).toMatchObject({ state: 'delivered', closed: false, reason: `DRM_NOT_INVOICED: work order ${name} has 0.00 CNY invoiced, not 100.00 CNY; sync its invoices first` });
      const [n, rev] = [logs(id).length, wo(id).revision];
      expect(close(id)).toEqual({ id, name, state: 'delivered', revision: rev, log_id: false, replayed: false, closed: false, reason: d.reason });
      expect([logs(id).length, wo(id).revision]).toEqual([n, rev]);
      sync(id);
      expect(close(id, staff('cashier'), 'close-ok')).toMatchObject({ closed: true, reason: false, state: 'closed' });
      expect(close(id, system, 'close-ok')).toMatchObject({ closed: true, replayed: true });
    });

    it('invoiced but not paid → DRM_MONEY_OWING first; a higher version after payment makes it owe again', () => {
      const id = toState('in_progress', [labor(100)]);
      sync(id);
      pay(id, 100);
      newVersion(id, [labor(100), labor(20, { description: 'Extra' })]);
      act(id, 'action_mark_ready', staff('technician'));
      expect(wo(id).amount_due).toBe(20);
      expect(() => act(id, 'action_deliver', staff('advisor'))).toThrow('DRM_MONEY_OWING');
      sync(id);
      pay(id, 20);
      expect(act(id, 'action_deliver', staff('advisor'))).toMatchObject({ state: 'closed', closed: true });
      expect(netCents(id)).toBe(12000);
    });

    it('deliver when already settled closes in the same call', () => {
      const id = toState('ready', [part('BP-F01', 1, 180, { discount: 10, tax_ids: [excl()] })]);
      sync(id);
      pay(id, wo(id).amount_total);
      expect(wo(id).amount_total).toBe(183.06);
      const r = act(id, 'action_deliver', staff('advisor'));
      expect(r).toMatchObject({ state: 'closed', closed: true, reason: false, revision: wo(id).revision });
    });
  });

  describe('cancel', () => {
    it('is refused while money is held (DRM_MONEY_HELD)', () => {
      const id = toState('in_progress', [labor(100)]);
      sync(id);
      pay(id, 30);
      expect(() => act(id, 'action_cancel', staff('manager'), ['changed mind'])).toThrow(
        new UserError(`DRM_MONEY_HELD: work order ${String(wo(id).name)} holds 30.00 CNY of payments; refund them first`),
      );
      expect(wo(id).state).toBe('in_progress');
    });

    it('credits what is invoiced (ONE credit note, reversing the invoice): a cancelled work order owes nothing', () => {
      const id = toState('in_progress', [labor(100), part('OF-001', 2, 45, { tax_ids: [excl()] })]);
      const [inv] = sync(id).invoice_ids as number[];
      act(id, 'action_cancel', staff('advisor'), ['customer left'], 'cancel-1');
      const [, credit] = moves(id);
      expect(credit).toMatchObject({ move_type: 'out_refund', state: 'posted', drmoto_request_key: 'cancel-1/invoices', reversed_entry_id: inv, amount_total: 201.7, payment_state: 'paid', amount_residual: 0 });
      expect(sudo().model('account.move').row(inv!)).toMatchObject({ payment_state: 'reversed', amount_residual: 0 });
      expect(moveLines(credit!.id).map((l) => [l.name, l.quantity])).toEqual([
        ['Labor', 1],
        ['OF-001', 2],
      ]);
      expect((ex(bff(), WO, 'read', [[id], ['state', 'amount_invoiced']]) as Result[])[0]).toEqual({ id, state: 'cancelled', amount_invoiced: 0 });
    });
  });

  // ------------------------------------------------------------------------------------------ seed

  it('the seed settled WO 1 through the real flow: INV/<year>/00001, PWXP/<year>/00001 (ledger seed-ledger-1), closed on delivery', () => {
    const w1 = wo(1);
    expect(w1).toMatchObject({ state: 'closed', amount_total: 282, amount_paid: 282, amount_due: 0, amount_refunded: 0 });
    const [inv, ...moreMoves] = moves(1);
    expect(moreMoves).toEqual([]);
    expect(inv).toMatchObject({ id: 1, name: expect.stringMatching(/^INV\/\d{4}\/00001$/), move_type: 'out_invoice', amount_total: 282, payment_state: 'paid', drmoto_request_key: 'seed-1-settle-1/invoices' });
    expect(moveLines(1).map((l) => [l.name, l.quantity, l.price_unit, l.discount, l.price_total])).toEqual([
      ['Replace front pads', 1, 120, 0, 120],
      ['Front brake pads (pair)', 1, 180, 10, 162],
    ]);
    const [p, ...morePayments] = payments(1);
    expect(morePayments).toEqual([]);
    expect(p).toMatchObject({ id: 1, name: expect.stringMatching(/^PWXP\/\d{4}\/00001$/), amount: 282, drmoto_ledger_ref: 'seed-ledger-1', drmoto_channel: 'wechat', journal_id: 2 });
    expect(sudo().model('account.journal').allRows().map((j) => [j.id, j.code, j.type])).toEqual([
      [1, 'INV', 'sale'],
      [2, 'WXP', 'bank'],
    ]);
    expect(logs(1).map((l) => l.event).slice(-5)).toEqual(['transition', 'invoices_synced', 'payment_registered', 'transition', 'transition']);
    expect(logs(1).slice(-2).map((l) => l.to_state)).toEqual(['delivered', 'closed']);
    // the other work orders have no invoices or payments
    expect(sudo().model('account.move').allRows().every((m) => m.drmoto_work_order_id === 1)).toBe(true);
  });

  // ------------------------------------------------------------------------------------------ over HTTP

  describe('over both transports', () => {
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

    it('sync, payment, replay and close results marshal; DRM_VALIDATION is faultCode 2 / UserError, DRM_FORBIDDEN faultCode 4 / AccessError', async () => {
      const mock = await startOdooMock({ port: 0 });
      try {
        const b = mock.orm.uid('bff');
        const args = (method: string, a: XmlRpcValue[], actor: XmlRpcValue, model = WO): XmlRpcValue[] => ['drmoto', b, 'bff', model, method, a, { context: { drmoto_actor: actor } }];
        const xml = async (method: string, a: XmlRpcValue[], actor: XmlRpcValue = { kind: 'system' }) =>
          decodeMethodResponse(await post(`${mock.url}/xmlrpc/2/object`, encodeMethodCall('execute_kw', args(method, a, actor)), 'text/xml'));
        const json = async (method: string, a: XmlRpcValue[], actor: XmlRpcValue = { kind: 'system' }, model = WO) =>
          JSON.parse(await post(`${mock.url}/jsonrpc`, JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'object', method: 'execute_kw', args: args(method, a, actor, model) } }), 'application/json')) as {
            result?: Result;
            error?: { data: { name: string; message: string } };
          };
        // WO 5 (seed): ready, 98 CNY confirmed, nothing invoiced or paid
        const synced = await xml('action_sync_invoices', [[5], 'http-sync-1']);
        expect(synced).toEqual({ ok: true, value: { id: 5, invoice_ids: [2], amount_invoiced: 98, target: 98, replayed: false } });
        expect((await json('action_sync_invoices', [[5], 'http-sync-1'])).result).toEqual({ id: 5, invoice_ids: [2], amount_invoiced: 98, target: 98, replayed: true });
        expect((await json('action_sync_invoices', [[5], 'http-sync-2'])).result).toEqual({ id: 5, invoice_ids: [], amount_invoiced: 98, target: 98, replayed: false });
        const paid = await json('action_register_payment', [[5], 'http-ledger-1', 98, 'stripe']);
        expect(paid.result).toEqual({ id: 5, payment_id: 2, amount_paid: 98, amount_due: 0, replayed: false });
        expect(await xml('action_register_payment', [[5], 'http-ledger-1', 98, 'stripe'])).toEqual({ ok: true, value: { id: 5, payment_id: 2, amount_paid: 98, amount_due: 0, replayed: true } });
        const invalid = 'DRM_VALIDATION: amount must be a number > 0';
        expect(await xml('action_register_payment', [[5], 'http-ledger-2', 0, 'stripe'])).toEqual({ ok: false, faultCode: 2, faultString: invalid });
        expect((await json('action_register_payment', [[5], 'http-ledger-2', -1, 'stripe'])).error?.data).toMatchObject({ name: 'odoo.exceptions.UserError', message: invalid });
        const tech = { kind: 'staff', uid: mock.orm.uid('technician') };
        const forbidden = `DRM_FORBIDDEN: staff user ${mock.orm.uid('technician')} may not register a payment`;
        expect(await xml('action_register_payment', [[5], 'http-ledger-3', 1, 'wechat'], tech)).toEqual({ ok: false, faultCode: 4, faultString: forbidden });
        expect((await json('action_register_payment', [[5], 'http-ledger-3', 1, 'wechat'], tech)).error?.data).toMatchObject({ name: 'odoo.exceptions.AccessError', message: forbidden });
        // the settlement job's close before the delivery, then the delivery closes it
        expect(await xml('action_close', [[5], false, 'http-close-1'])).toEqual({ ok: true, value: expect.objectContaining({ closed: false, log_id: false, reason: expect.stringMatching(/^DRM_WO_STATE: /) }) });
        const delivered = await json('action_deliver', [[5], false, 'http-deliver-1'], { kind: 'staff', uid: mock.orm.uid('advisor') });
        expect(delivered.result).toMatchObject({ state: 'closed', closed: true, reason: false });
        const moves = (await json('search_read', [[['drmoto_work_order_id', '=', 5]], ['name', 'move_type', 'amount_total', 'amount_residual', 'payment_state']], { kind: 'system' }, 'account.move')).result as unknown as Result[];
        expect(moves).toEqual([{ id: 2, name: expect.stringMatching(/^INV\/\d{4}\/00002$/), move_type: 'out_invoice', amount_total: 98, amount_residual: 0, payment_state: 'paid' }]);
      } finally {
        await mock.close();
      }
    });
  });
});
