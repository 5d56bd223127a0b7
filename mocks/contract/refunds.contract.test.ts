/**
 * Refunds (docs/odoo-contract.md "Refunds and offline payments", issue 7), against the mock or a real Odoo 17
 * (ODOO_URL): action_register_refund posts an outbound payment and, for the part that lowers the price, a credit
 * note; amount_due = total − credited − paid never goes up because of a refund; the sync never invoices a refunded
 * amount again; a refund after close leaves the work order closed and settled. Amounts are derived from Odoo's own
 * totals (taxes differ between the mock and a fresh Odoo), compared in minor units.
 */
import type { Principal } from '../../bff/src/domain/principal';
import type { OdooClient } from '../../bff/src/integrations/odoo/client';
import { CustomerGateway, VehicleGateway } from '../../bff/src/integrations/odoo/gateways';
import { PaymentsGateway } from '../../bff/src/integrations/odoo/payments';
import { WorkOrderGateway, type ActionResult } from '../../bff/src/integrations/odoo/work-orders';
import { as, openTarget, rejected, type Target, unique, WorkOrderDriver } from './target';

let target: Target;
let odoo: OdooClient;
let wos: WorkOrderGateway;
const staff: Record<string, Principal> = {};
const system: Principal = { kind: 'system' };
let decimals = 2;

beforeAll(async () => {
  target = await openTarget();
  odoo = target.client('jsonrpc');
  wos = new WorkOrderGateway(odoo);
  for (const login of ['advisor', 'technician', 'cashier', 'manager']) {
    const uid = await odoo.authenticateUser(login, 'demo');
    staff[login] = { kind: 'staff', uid: uid!, name: login, roles: [login as 'advisor'], companyId: 0 };
  }
  const [company] = await odoo.searchRead<{ currency_id: [number, string] }>('res.company', [], ['currency_id'], { limit: 1, order: 'id asc' });
  const [cur] = await odoo.searchRead<{ decimal_places: number }>('res.currency', [['id', '=', company!.currency_id[0]]], ['decimal_places']);
  decimals = cur!.decimal_places;
});
afterAll(async () => {
  await target?.close();
});

const minor = (x: number) => Math.round(x * 10 ** decimals);
const major = (m: number) => m / 10 ** decimals;
const labor = (price: number, description = 'Labor') => ({ kind: 'labor', description, qty: 1, price_unit: price, discount: 0 });

async function inRepair(lines: unknown[] = [labor(80)]): Promise<{ wo: WorkOrderDriver; partnerId: number }> {
  const partnerId = (await new CustomerGateway(odoo).upsert({ name: 'Refund ' + unique.tag(), phone: unique.phone() })).id;
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

describe.each(['jsonrpc', 'xmlrpc'] as const)('refunds over %s', (transport) => {
  let p: PaymentsGateway;
  beforeAll(() => {
    p = new PaymentsGateway(target.client(transport));
  });

  /** Synced and paid in full, as settlement leaves it; returns the total in minor units. */
  async function paidInFull(wo: WorkOrderDriver): Promise<number> {
    await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()));
    const total = minor((await p.money(wo.id))!.amount_total);
    await as(system, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), major(total), 'wechat'));
    return total;
  }

  it('a price-reducing refund: ONE credit note + ONE outbound payment; paid and price go down together, nothing due; the sync invoices nothing again; a replay changes nothing', async () => {
    const { wo } = await inRepair();
    const total = await paidInFull(wo);
    const revision = (await p.money(wo.id))!.revision;
    const ref = 'ledger-' + unique.tag();
    const r = await as(system, () => p.registerRefund(wo.id, ref, major(1500), 'wechat', major(1500)));
    expect(r).toEqual({ id: wo.id, payment_id: expect.any(Number), credit_note_id: expect.any(Number), amount_paid: expect.any(Number), amount_refunded: expect.any(Number), amount_credited: expect.any(Number), amount_due: 0, replayed: false });
    expect([minor(r.amount_paid), minor(r.amount_refunded), minor(r.amount_credited)]).toEqual([total - 1500, 1500, 1500]);
    const m = (await p.money(wo.id))!;
    expect([minor(m.amount_invoiced), minor(m.amount_due), m.revision]).toEqual([total - 1500, 0, revision]);
    const notes = (await p.invoices(wo.id)).filter((x) => x.move_type === 'out_refund');
    expect(notes).toHaveLength(1);
    expect([notes[0]!.id, notes[0]!.state, minor(notes[0]!.amount_total)]).toEqual([r.credit_note_id, 'posted', 1500]);
    const [out] = await p.payments(wo.id, ref);
    expect(out).toEqual(expect.objectContaining({ id: r.payment_id, payment_type: 'outbound', state: 'posted', channel: 'wechat' }));
    expect(minor(out!.amount)).toBe(1500);
    expect((await as(system, () => p.syncInvoices(wo.id, 'sync-' + unique.tag()))).invoice_ids).toEqual([]);
    const audit = await odoo.searchRead<Record<string, unknown>>('drmoto.audit.log', [['work_order_id', '=', wo.id], ['action', '=', 'refund']], ['res_id', 'actor_kind']);
    expect(audit).toEqual([expect.objectContaining({ res_id: r.payment_id, actor_kind: 'system' })]);
    const log = await odoo.searchRead<{ request_key: string }>('drmoto.wo.status.log', [['work_order_id', '=', wo.id], ['event', '=', 'refund_registered']], ['request_key']);
    expect(log.map((l) => l.request_key)).toEqual([`ledger/${ref}`]);

    const again = await as(system, () => p.registerRefund(wo.id, ref, major(1500), 'wechat', major(1500)));
    expect(again).toEqual({ ...r, replayed: true });
    expect(await p.paymentCount(ref)).toBe(1);
    expect((await p.invoices(wo.id)).filter((x) => x.move_type === 'out_refund')).toHaveLength(1);
  });

  it('returning an overpayment: no credit note; the money held goes back and nothing is due', async () => {
    const { wo } = await inRepair();
    const total = await paidInFull(wo);
    await as(system, () => p.registerPayment(wo.id, 'ledger-' + unique.tag(), major(2000), 'offline'));
    expect(minor((await p.money(wo.id))!.amount_due)).toBe(-2000);
    const r = await as(system, () => p.registerRefund(wo.id, 'ledger-' + unique.tag(), major(2000), 'offline', 0));
    expect(r.credit_note_id).toBe(false);
    const m = (await p.money(wo.id))!;
    expect([minor(m.amount_paid), minor(m.amount_refunded), minor(m.amount_credited), minor(m.amount_due), minor(m.amount_invoiced)]).toEqual([total, 2000, 0, 0, total]);
    expect((await p.invoices(wo.id)).filter((x) => x.move_type === 'out_refund')).toHaveLength(0);
  });

  it('a refund after close leaves the work order closed and settled; more work later still carries the credit', async () => {
    const { wo, partnerId } = await inRepair();
    const total = await paidInFull(wo);
    await wo.act(staff.technician!, 'action_mark_ready');
    const d = await wo.act(staff.advisor!, 'action_deliver');
    expect(d.state).toBe('closed');
    await as(system, () => p.registerRefund(wo.id, 'ledger-' + unique.tag(), major(1000), 'wechat', major(1000)));
    const m = (await p.money(wo.id))!;
    expect([m.state, minor(m.amount_due), minor(m.amount_invoiced)]).toEqual(['closed', 0, total - 1000]);
    const close = await as(system, () => wos.act(wo.id, 'action_close', null, 'close-' + unique.tag()));
    expect(close.reason).toMatch(/^DRM_WO_STATE/);

    // another work order: refunded during repair, then a bigger version — what is owed is the new total less the credit
    const other = await inRepair();
    const t1 = await paidInFull(other.wo);
    await as(system, () => p.registerRefund(other.wo.id, 'ledger-' + unique.tag(), major(500), 'wechat', major(500)));
    const c = await other.wo.act(staff.advisor!, 'action_create_quote', [[labor(80), labor(40, 'Extra')]]);
    await other.wo.act(staff.advisor!, 'action_send_quote', [c.version]);
    await other.wo.act({ kind: 'customer', identityId: 1, partnerId: other.partnerId }, 'action_confirm_quote', [c.version]);
    const t2 = minor((await p.money(other.wo.id))!.amount_total);
    expect(t2).toBeGreaterThan(t1);
    const synced = await as(system, () => p.syncInvoices(other.wo.id, 'sync-' + unique.tag()));
    expect(synced.invoice_ids).toHaveLength(1);
    const after = (await p.money(other.wo.id))!;
    expect([minor(after.amount_invoiced), minor(after.amount_due)]).toEqual([t2 - 500, t2 - t1]);
    void partnerId;
  });

  it('bad arguments → 422 DRM_VALIDATION; another amount, credit or channel on the same ref, or a payment’s ref → 409 DRM_DUP_KEY; technician/advisor → 403', async () => {
    const { wo } = await inRepair();
    await paidInFull(wo);
    for (const [amount, credit, channel] of [[0, 0, 'wechat'], [5, 6, 'wechat'], [5, -1, 'wechat'], [5, 0, 'bitcoin']] as const) {
      const e = await rejected(as(system, () => p.registerRefund(wo.id, 'ledger-' + unique.tag(), amount, channel as 'wechat', credit)));
      expect([e.type, e.code]).toEqual(['unprocessable', 'DRM_VALIDATION']);
    }
    for (const who of [staff.technician!, staff.advisor!]) {
      const e = await rejected(as(who, () => p.registerRefund(wo.id, 'ledger-' + unique.tag(), 5, 'wechat', 5)));
      expect([e.type, e.code]).toEqual(['forbidden', 'DRM_FORBIDDEN']);
    }
    const ref = 'ledger-' + unique.tag();
    await as(staff.cashier!, () => p.registerRefund(wo.id, ref, 5, 'wechat', 5));
    for (const [amount, credit, channel] of [[6, 5, 'wechat'], [5, 0, 'wechat'], [5, 5, 'stripe']] as const) {
      const e = await rejected(as(system, () => p.registerRefund(wo.id, ref, amount, channel, credit)));
      expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    }
    const paidRef = (await p.payments(wo.id)).find((x) => x.payment_type === 'inbound')!.ledger_ref!;
    const e = await rejected(as(system, () => p.registerRefund(wo.id, paidRef, 1, 'wechat', 0)));
    expect([e.type, e.code]).toEqual(['conflict', 'DRM_DUP_KEY']);
    expect((await p.payments(wo.id)).filter((x) => x.payment_type === 'outbound')).toHaveLength(1);
  });
});
