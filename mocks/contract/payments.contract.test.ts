/**
 * Invoices, payments and the settled close (docs/odoo-contract.md "Invoices, payments, closing (issue 5)"), against
 * the mock or a real Odoo 17 (ODOO_URL). Taxes and currency differ between the two (mock: 13% tax-included, CNY; a
 * fresh Odoo: 15% tax-excluded, USD), so the suite asserts Odoo's own arithmetic — invoices add up to the work
 * order's total to the cent — never fixed amounts. Every run uses new customers, keys and ledger references.
 */
import type { Principal } from '../../bff/src/domain/principal';
import { AppError } from '../../bff/src/errors';
import type { OdooClient } from '../../bff/src/integrations/odoo/client';
import { CustomerGateway, VehicleGateway } from '../../bff/src/integrations/odoo/gateways';
import { PaymentsGateway, type InvoiceRow } from '../../bff/src/integrations/odoo/payments';
import { WorkOrderGateway, type ActionResult } from '../../bff/src/integrations/odoo/work-orders';
import { as, openTarget, rejected, type Target, productDomain, unique, WorkOrderDriver } from './target';

let target: Target;
let odoo: OdooClient;
let wos: WorkOrderGateway;
let pays: PaymentsGateway;
const staff: Record<string, Principal> = {};
const system: Principal = { kind: 'system' };
let productId: number;
/** the shop currency's decimal places: amounts are compared in it */
let decimals = 2;

beforeAll(async () => {
  target = await openTarget();
  odoo = target.client('jsonrpc');
  wos = new WorkOrderGateway(odoo);
  pays = new PaymentsGateway(odoo);
  for (const login of ['advisor', 'technician', 'cashier', 'manager']) {
    const uid = await odoo.authenticateUser(login, 'demo');
    staff[login] = { kind: 'staff', uid: uid!, name: login, roles: [login as 'advisor'], companyId: 0 };
  }
  const products = await odoo.searchRead<{ id: number }>('product.product', [['sale_ok', '=', true], ...(await productDomain(odoo, 'storable'))], ['id'], { limit: 1, order: 'id asc' });
  productId = products[0]!.id;
  const [company] = await odoo.searchRead<{ currency_id: [number, string] }>('res.company', [], ['currency_id'], { limit: 1, order: 'id asc' });
  const [cur] = await odoo.searchRead<{ decimal_places: number; name: string }>('res.currency', [['id', '=', company!.currency_id[0]]], ['decimal_places', 'name']);
  decimals = cur!.decimal_places;
  console.info(`payments contract: ${target.kind} Odoo at ${target.url}, currency ${cur!.name} (${decimals} decimals)`);
});
afterAll(async () => {
  await target?.close();
});

/** an amount in minor units of the shop currency: "to the cent" comparisons without float noise */
const minor = (x: number) => Math.round(x * 10 ** decimals);
const expectMoney = (actual: number, expected: number) => expect(minor(actual)).toBe(minor(expected));
const signed = (m: InvoiceRow, f: 'amount_total' | 'amount_untaxed' | 'amount_tax' = 'amount_total') => (m.move_type === 'out_refund' ? -m[f] : m[f]);
const net = (moves: InvoiceRow[], f: 'amount_total' | 'amount_untaxed' | 'amount_tax' = 'amount_total') =>
  moves.filter((m) => m.state === 'posted').reduce((a, m) => a + minor(signed(m, f)), 0) / 10 ** decimals;

const labor = (price: number, qty = 1, discount = 0, description = 'Labor') => ({ kind: 'labor', description, qty, price_unit: price, discount });
const part = (price: number, qty = 1, discount = 0, description = 'Part') => ({ kind: 'part', product_id: productId, description, qty, price_unit: price, discount });
/** awkward prices and a discount, so per-line tax rounding matters */
const V1 = () => [labor(199.99), part(33.33, 3, 7), labor(0.05, 1, 0, 'Shop supplies')];

/** A work order in repair with version 1 (`lines`) confirmed by the customer. */
async function inRepair(lines: unknown[] = V1()): Promise<{ wo: WorkOrderDriver; partnerId: number }> {
  const partnerId = (await new CustomerGateway(odoo).upsert({ name: 'Pay ' + unique.tag(), phone: unique.phone() })).id;
  const vehicleId = await new VehicleGateway(odoo).create({ customer_id: partnerId, plate_no: unique.plate() });
  const open = await as(staff.advisor!, () => wos.open({ partner_id: partnerId, vehicle_id: vehicleId, symptom: 'service', state: 'checkin' }, 'open-' + unique.tag()));
  const wo = new WorkOrderDriver(wos, open.id, open);
  await wo.act(staff.technician!, 'action_start_diagnosis');
  await wo.act(staff.advisor!, 'action_create_quote', [lines]);
  await wo.act(staff.advisor!, 'action_send_quote', [1]);
  await wo.act({ kind: 'customer', identityId: 1, partnerId }, 'action_confirm_quote', [1]);
  await wo.act(staff.technician!, 'action_start_repair');
  return { wo, partnerId };
}

async function ready(lines?: unknown[]): Promise<WorkOrderDriver> {
  const { wo } = await inRepair(lines);
  await wo.act(staff.technician!, 'action_mark_ready');
  return wo;
}

/** a new confirmed version (extra work, or less of it) while in repair */
async function reQuote(wo: WorkOrderDriver, partnerId: number, lines: unknown[]): Promise<number> {
  const c = await wo.act(staff.advisor!, 'action_create_quote', [lines]);
  await wo.act(staff.advisor!, 'action_send_quote', [c.version]);
  await wo.act({ kind: 'customer', identityId: 1, partnerId }, 'action_confirm_quote', [c.version]);
  return c.version!;
}

const total = async (id: number) => (await pays.money(id))!.amount_total;
const closedRows = async (id: number) => (await wos.log(id)).filter((l) => l.to_state === 'closed');

describe.each(['jsonrpc', 'xmlrpc'] as const)('invoices over %s', (transport) => {
  let p: PaymentsGateway;
  beforeAll(() => {
    p = new PaymentsGateway(target.client(transport));
  });

  it("the first sync posts ONE invoice of exactly the confirmed total, a copy of the version's lines; the work order's revision stays", async () => {
    const { wo } = await inRepair();
    const before = (await pays.money(wo.id))!;
    const [q1] = await wos.quotes(wo.id);
    const r = await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    expect(r).toEqual({ id: wo.id, invoice_ids: [expect.any(Number)], amount_invoiced: expect.any(Number), target: expect.any(Number), replayed: false });
    expectMoney(r.target, before.amount_total);
    expectMoney(r.amount_invoiced, before.amount_total);

    const moves = await pays.invoices(wo.id);
    expect(moves.map((m) => [m.id, m.move_type, m.state])).toEqual([[r.invoice_ids[0], 'out_invoice', 'posted']]);
    const [inv] = moves;
    expectMoney(inv!.amount_total, before.amount_total);
    expectMoney(inv!.amount_untaxed, q1!.amounts.untaxed);
    expectMoney(inv!.amount_tax, q1!.amounts.tax);
    expect(inv!.quote_id).toBe(q1!.id);

    const qLines = await wos.quoteLines([q1!.id]);
    const iLines = await pays.invoiceLines([inv!.id]);
    const shape = (l: { product: number | null; name: string; qty: number; price: number; disc: number; taxes: number[]; total: number }) =>
      [l.product, l.name, l.qty, l.price, l.disc, [...l.taxes].sort((a, b) => a - b), minor(l.total)];
    expect(iLines.map((l) => shape({ product: l.product_id, name: l.name, qty: l.quantity, price: l.price_unit, disc: l.discount, taxes: l.tax_ids, total: l.price_total }))).toEqual(
      qLines.map((l) => shape({ product: l.product?.id ?? null, name: l.description, qty: l.qty, price: l.price_unit, disc: l.discount, taxes: l.tax_ids, total: l.total })),
    );

    const after = (await pays.money(wo.id))!;
    expectMoney(after.amount_invoiced, before.amount_total);
    expect(after.revision).toBe(before.revision);
    expect(after.amount_paid).toBe(0);
  });

  it('a second sync does nothing (no move, no log row); the same key replays the first result', async () => {
    const { wo } = await inRepair();
    const key = 'sync-' + unique.tag();
    const first = await as(system, () => p.syncInvoices(wo.id, key));
    const logRows = (await wos.log(wo.id)).length;
    const second = await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    expect(second).toEqual({ ...first, invoice_ids: [], replayed: false });
    const replay = await as(system, () => p.syncInvoices(wo.id, key));
    expect(replay).toEqual({ ...first, replayed: true });
    expect(await pays.invoices(wo.id)).toHaveLength(1);
    expect((await wos.log(wo.id)).length).toBe(logRows);
  });

  it('a new confirmed version with a higher total → ONE supplementary invoice; net invoiced == the new total', async () => {
    const { wo, partnerId } = await inRepair();
    await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    const v1Total = await total(wo.id);
    await reQuote(wo, partnerId, [labor(199.99), part(33.33, 4, 7), labor(0.05, 1, 0, 'Shop supplies'), labor(57.77, 1.5, 3, 'Extra: brake fluid flush')]);
    const v2Total = await total(wo.id);
    expect(v2Total).toBeGreaterThan(v1Total);
    const r = await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    expect(r.invoice_ids).toHaveLength(1);
    expectMoney(r.target, v2Total);
    expectMoney(r.amount_invoiced, v2Total);
    const moves = await pays.invoices(wo.id);
    expect(moves.map((m) => `${m.move_type}:${m.state}`)).toEqual(['out_invoice:posted', 'out_invoice:posted']);
    expect(moves[1]!.id).toBe(r.invoice_ids[0]);
    expectMoney(moves[1]!.amount_total, v2Total - v1Total);
    expectMoney(net(moves), v2Total);
    const [, q2] = await wos.quotes(wo.id);
    expectMoney(net(moves, 'amount_untaxed'), q2!.amounts.untaxed);
    expectMoney(net(moves, 'amount_tax'), q2!.amounts.tax);
    expectMoney((await pays.money(wo.id))!.amount_invoiced, v2Total);
    // and then nothing more to do
    expect((await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()))).invoice_ids).toEqual([]);
  });

  it('a new confirmed version with a lower total → ONE credit note (out_refund); net invoiced == the new total', async () => {
    const { wo, partnerId } = await inRepair();
    await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    const v1Total = await total(wo.id);
    await reQuote(wo, partnerId, [labor(199.99), part(33.33, 1, 7)]);
    const v2Total = await total(wo.id);
    expect(v2Total).toBeLessThan(v1Total);
    const r = await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    expect(r.invoice_ids).toHaveLength(1);
    expectMoney(r.amount_invoiced, v2Total);
    const moves = await pays.invoices(wo.id);
    expect(moves.map((m) => `${m.move_type}:${m.state}`)).toEqual(['out_invoice:posted', 'out_refund:posted']);
    expect(moves[1]!.id).toBe(r.invoice_ids[0]);
    expectMoney(moves[1]!.amount_total, v1Total - v2Total);
    expectMoney(net(moves), v2Total);
    const [, q2] = await wos.quotes(wo.id);
    expectMoney(net(moves, 'amount_untaxed'), q2!.amounts.untaxed);
    expectMoney(net(moves, 'amount_tax'), q2!.amounts.tax);
    expectMoney((await pays.money(wo.id))!.amount_invoiced, v2Total);
  });

  it('who may sync: the system and a cashier; a technician or an advisor → 403 DRM_FORBIDDEN, nothing posted', async () => {
    const { wo } = await inRepair();
    for (const who of [staff.technician!, staff.advisor!]) {
      const e = await rejected(as(who, () => p.syncInvoices(wo.id, 'sync-' + unique.tag())));
      expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
    }
    expect(await pays.invoices(wo.id)).toHaveLength(0);
    expect((await as(staff.cashier!, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()))).invoice_ids).toHaveLength(1);
  });

  it('a sync key used by another action → 409 DRM_DUP_KEY', async () => {
    const { wo } = await inRepair();
    const key = 'k-' + unique.tag();
    await wo.act(staff.technician!, 'action_mark_ready', [], key);
    const e = await rejected(as(system, () => p.syncInvoices(wo.id, key)));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    expect(await pays.invoices(wo.id)).toHaveLength(0);
  });
});

describe.each(['jsonrpc', 'xmlrpc'] as const)('payments over %s', (transport) => {
  let p: PaymentsGateway;
  beforeAll(() => {
    p = new PaymentsGateway(target.client(transport));
  });

  it('register → amount_paid/amount_due; the same ledger ref replays (still ONE account.payment); the revision stays', async () => {
    const { wo } = await inRepair();
    const before = (await pays.money(wo.id))!;
    const half = Math.floor(before.amount_total * 10 ** decimals / 2) / 10 ** decimals;
    const ref = 'ledger-' + unique.tag();
    const r = await as(system, () => p.registerPayment(wo.id, ref, half, 'wechat'));
    expect(r).toEqual({ id: wo.id, payment_id: expect.any(Number), amount_paid: expect.any(Number), amount_due: expect.any(Number), replayed: false });
    expectMoney(r.amount_paid, half);
    expectMoney(r.amount_due, before.amount_total - half);

    const again = await as(system, () => p.registerPayment(wo.id, ref, half, 'wechat'));
    expect(again).toEqual({ ...r, replayed: true });
    expect(await p.paymentCount(ref)).toBe(1);
    const [pay] = await pays.payments(wo.id, ref);
    expect(pay).toEqual(expect.objectContaining({ id: r.payment_id, state: 'posted', payment_type: 'inbound', channel: 'wechat', ledger_ref: ref }));
    expectMoney(pay!.amount, half);

    const after = (await pays.money(wo.id))!;
    expectMoney(after.amount_paid, half);
    expectMoney(after.amount_due, before.amount_total - half);
    expect(after.revision).toBe(before.revision);
  });

  it('the same ledger ref with another amount or channel → 409 DRM_DUP_KEY; nothing more is registered', async () => {
    const { wo } = await inRepair();
    const ref = 'ledger-' + unique.tag();
    const r = await as(system, () => p.registerPayment(wo.id, ref, 10, 'stripe'));
    const otherAmount = await rejected(as(system, () => p.registerPayment(wo.id, ref, 11, 'stripe')));
    expect([otherAmount.type, otherAmount.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    const otherChannel = await rejected(as(system, () => p.registerPayment(wo.id, ref, 10, 'offline')));
    expect([otherChannel.type, otherChannel.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    const other = await inRepair();
    const otherWo = await rejected(as(system, () => p.registerPayment(other.wo.id, ref, 10, 'stripe')));
    expect([otherWo.type, otherWo.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    expect(await p.paymentCount(ref)).toBe(1);
    expect((await pays.payments(other.wo.id)).length).toBe(0);
    expectMoney((await pays.money(wo.id))!.amount_paid, r.amount_paid);
  });

  it('amount 0 or < 0, or an unknown channel → 422 DRM_VALIDATION, nothing registered', async () => {
    const { wo } = await inRepair();
    for (const [amount, channel] of [[0, 'wechat'], [-5, 'wechat'], [10, 'bitcoin']] as const) {
      const e = await rejected(as(system, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), amount, channel as 'wechat')));
      expect([e.type, e.code]).toEqual(['unprocessable', 'DRM_VALIDATION']);
    }
    expect(await pays.payments(wo.id)).toHaveLength(0);
    expect((await pays.money(wo.id))!.amount_paid).toBe(0);
  });

  it('a technician (or an advisor) registering a payment → 403 DRM_FORBIDDEN; a cashier may', async () => {
    const { wo } = await inRepair();
    for (const who of [staff.technician!, staff.advisor!]) {
      const e = await rejected(as(who, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), 10, 'offline')));
      expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
    }
    expect(await pays.payments(wo.id)).toHaveLength(0);
    const ok = await as(staff.cashier!, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), 10, 'offline'));
    expectMoney(ok.amount_paid, 10);
  });

  it('offline money is audited (note: method, reference, cashier) even when the system registers it; other channels by the system are not', async () => {
    const { wo } = await inRepair();
    const ref = 'ledger-' + unique.tag();
    const note = 'card_terminal · ref SLIP-' + unique.tag() + ' (recorded by staff:7)';
    const r = await as(system, () => p.registerPayment(wo.id, ref, 10, 'offline', undefined, note));
    await as(system, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), 5, 'wechat'));
    const audit = await odoo.searchRead<Record<string, unknown>>('drmoto.audit.log', [['work_order_id', '=', wo.id], ['action', '=', 'payment']], ['res_model', 'res_id', 'actor_kind', 'note', 'after', 'request_key']);
    expect(audit).toEqual([expect.objectContaining({ res_model: 'account.payment', res_id: r.payment_id, actor_kind: 'system', note, request_key: `ledger/${ref}` })]);
    expect(JSON.parse(String(audit[0]!.after))).toEqual(expect.objectContaining({ channel: 'offline', ledger_ref: ref }));
    // a replay writes no second row
    expect((await as(system, () => p.registerPayment(wo.id, ref, 10, 'offline', undefined, note))).replayed).toBe(true);
    expect(await odoo.searchCount('drmoto.audit.log', [['work_order_id', '=', wo.id], ['action', '=', 'payment']])).toBe(1);
  });

  it('cancel with money held → 409 DRM_MONEY_HELD, the work order stays', async () => {
    const { wo } = await inRepair();
    await as(system, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), 1, 'wechat'));
    const e = await rejected(wo.act(staff.advisor!, 'action_cancel', ['customer changed their mind']));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_MONEY_HELD']);
    expect((await pays.money(wo.id))!.state).toBe('in_progress');
  });

  it('close while paid but not invoiced → {closed: false, reason: DRM_NOT_INVOICED…}, no change, no log row; after a sync it closes', async () => {
    const wo = await ready();
    const amount = await total(wo.id);
    await as(system, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), amount, 'wechat'));
    const d = await wo.act(staff.advisor!, 'action_deliver', [false]);
    expect(d).toEqual(expect.objectContaining({ state: 'delivered', closed: false, reason: expect.stringMatching(/DRM_NOT_INVOICED: /) }));
    const logRows = (await wos.log(wo.id)).length;
    const c = await wo.close(system);
    expect(c).toEqual(expect.objectContaining({ state: 'delivered', closed: false, replayed: false, reason: expect.stringMatching(/^DRM_NOT_INVOICED: /) }));
    expect((await wos.log(wo.id)).length).toBe(logRows);
    expect((await pays.money(wo.id))!.state).toBe('delivered');
    await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    expect(await wo.close(system)).toEqual(expect.objectContaining({ state: 'closed', closed: true }));
    expect(await closedRows(wo.id)).toHaveLength(1);
  });
});

describe('the settled close', () => {
  it('payment before delivery: sync + pay, then deliver → closes at once, exactly once', async () => {
    const wo = await ready();
    const amount = await total(wo.id);
    const sync = await pays.syncInvoices(wo.id, 'sync-' + unique.tag());
    expectMoney(sync.amount_invoiced, amount);
    const paid = await pays.registerPayment(wo.id, 'ledger-' + unique.tag(), amount, 'wechat');
    expectMoney(paid.amount_due, 0);
    // the job's close before delivery is routine: not closed, with the state as the reason
    const early = await wo.close(system);
    expect(early).toEqual(expect.objectContaining({ closed: false, reason: expect.stringMatching(/^DRM_WO_STATE: .*'ready'/) }));
    const d = await wo.act(staff.advisor!, 'action_deliver', [false]);
    expect(d).toEqual(expect.objectContaining({ state: 'closed', closed: true }));
    const again = await wo.close(system);
    expect(again).toEqual(expect.objectContaining({ state: 'closed', closed: false, reason: expect.stringMatching(/^DRM_WO_STATE: .*'closed'/) }));
    const m = (await pays.money(wo.id))!;
    expect(m.state).toBe('closed');
    expectMoney(m.amount_invoiced, m.amount_total);
    expectMoney(m.amount_due, 0);
    expect(await closedRows(wo.id)).toHaveLength(1);
    // the invoice is paid: the payment was reconciled with it
    const [inv] = await pays.invoices(wo.id);
    expectMoney(inv!.amount_residual, 0);
  });

  it('delivery before payment: manager override, then the job syncs, pays and closes → closed exactly once; its retry replays', async () => {
    const wo = await ready();
    const amount = await total(wo.id);
    const d = await wo.act(staff.manager!, 'action_deliver', [true, 'regular customer, pays online']);
    expect(d).toEqual(expect.objectContaining({ state: 'delivered', closed: false, reason: expect.stringMatching(/^DRM_MONEY_OWING: /) }));
    expect(await wo.close(system)).toEqual(expect.objectContaining({ closed: false, reason: expect.stringMatching(/^DRM_MONEY_OWING: /) }));

    // the settlement job: sync, register, close — and the same three calls again when it is retried
    const seq = unique.tag();
    const job = async () => ({
      sync: await pays.syncInvoices(wo.id, `settle-${seq}/sync`),
      pay: await pays.registerPayment(wo.id, `ledger-${seq}`, amount, 'wechat'),
      close: await wo.close(system, `settle-${seq}/close`),
    });
    const first = await job();
    expect(first.sync.replayed).toBe(false);
    expect(first.pay).toEqual(expect.objectContaining({ replayed: false }));
    expectMoney(first.pay.amount_due, 0);
    expect(first.close).toEqual(expect.objectContaining({ state: 'closed', closed: true, replayed: false }));
    const retry = await job();
    expect(retry.sync).toEqual({ ...first.sync, replayed: true });
    expect(retry.pay).toEqual({ ...first.pay, replayed: true });
    expect(retry.close).toEqual(expect.objectContaining({ state: 'closed', closed: true, replayed: true, revision: first.close.revision }));

    expect(await closedRows(wo.id)).toHaveLength(1);
    expect(await pays.invoices(wo.id)).toHaveLength(1);
    expect(await pays.paymentCount(`ledger-${seq}`)).toBe(1);
    const m = (await pays.money(wo.id))!;
    expect(m.state).toBe('closed');
    expectMoney(m.amount_invoiced, amount);
  });

  it('partial payments: owing until the last one; a technician may not close (403 DRM_FORBIDDEN)', async () => {
    const wo = await ready();
    const amount = await total(wo.id);
    await wo.act(staff.manager!, 'action_deliver', [true]);
    await pays.syncInvoices(wo.id, 'sync-' + unique.tag());
    const first = Math.floor((amount * 10 ** decimals) / 3) / 10 ** decimals;
    const a = await pays.registerPayment(wo.id, 'ledger-' + unique.tag(), first, 'offline');
    expectMoney(a.amount_due, amount - first);
    expect(await wo.close(system)).toEqual(expect.objectContaining({ closed: false, reason: expect.stringMatching(/^DRM_MONEY_OWING: /) }));
    const e = await rejected(wo.close(staff.technician!));
    expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
    const b = await pays.registerPayment(wo.id, 'ledger-' + unique.tag(), (minor(amount) - minor(first)) / 10 ** decimals, 'wechat');
    expectMoney(b.amount_paid, amount);
    expectMoney(b.amount_due, 0);
    expect(await wo.close(staff.cashier!)).toEqual(expect.objectContaining({ state: 'closed', closed: true }));
    expect(await closedRows(wo.id)).toHaveLength(1);
  });
});

describe('concurrent settlement (the queued job and the deliver route settling the same charge)', () => {
  it('a burst of syncs with different keys posts ONE invoice; a burst of one ledger ref registers ONE payment; a burst of closes closes once', async () => {
    const wo = await ready();
    const amount = await total(wo.id);
    await wo.act(staff.manager!, 'action_deliver', [true]);
    const n = 6;
    const syncs = await Promise.allSettled(Array.from({ length: n }, () => pays.syncInvoices(wo.id, 'sync-' + unique.tag())));
    const syncFailures = syncs.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as AppError);
    expect(syncFailures.map((e) => e.code)).toEqual([]);
    const created = syncs.flatMap((r) => (r.status === 'fulfilled' ? r.value.invoice_ids : []));
    expect(created).toHaveLength(1);
    expect(await pays.invoices(wo.id)).toHaveLength(1);

    const ref = 'ledger-' + unique.tag();
    const regs = await Promise.allSettled(Array.from({ length: n }, () => pays.registerPayment(wo.id, ref, amount, 'wechat')));
    const ok = regs.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = regs.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as AppError);
    for (const f of failed) expect([f.type, f.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(ok.map((r) => r.payment_id)).size).toBe(1);
    expect(await pays.paymentCount(ref)).toBe(1);
    expectMoney((await pays.money(wo.id))!.amount_paid, amount);

    const closes = await Promise.allSettled(Array.from({ length: n }, () => wo.close(system)));
    const closeFailures = closes.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as AppError);
    expect(closeFailures.map((e) => e.code)).toEqual([]);
    expect(closes.filter((r) => r.status === 'fulfilled' && r.value.closed === true)).toHaveLength(1);
    expect(await closedRows(wo.id)).toHaveLength(1);
  });
});
