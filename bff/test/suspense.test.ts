/**
 * Suspense (issue 7): money that arrived but could not be a work order's charge is listed, applied to a work order
 * (ledgered as suspense −x / charge +x, settled to Odoo, audited) or refunded on its channel (ledgered when WeChat
 * confirms). `ledger:verify` checks the balances afterwards.
 */
import { verifyLedger } from '../src/store/ledger-verify';
import { expectProblem, payableWorkOrders, staffTokens, startHarness, waitFor, type Harness } from './harness';

describe('suspense: list, apply, refund', () => {
  let h: Harness;
  let advisor: string;
  let technician: string;
  let cashier: string;
  let manager: string;
  let workOrder: (unitPrice?: number) => Promise<{ id: number; token: string }>;

  beforeAll(async () => {
    h = await startHarness({ wechatPay: true });
    ({ advisor, technician, cashier, manager } = await staffTokens(h, ['advisor', 'technician', 'cashier', 'manager']));
    workOrder = payableWorkOrders(h, { advisor, technician }, { tag: 'sp', phone: '1390000', plate: '粤U7' });
  });
  afterAll(async () => {
    await h.close();
  });

  /** a WeChat payment of the wrong amount: suspense; returns its ledger seq */
  async function suspenseOf(amount: number): Promise<number> {
    const { id, token } = await workOrder();
    const r = await h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token, headers: { 'idempotency-key': `wx-${id}-${Math.random()}` } });
    await h.wechatPay!.pay(r.body.payment_order.out_trade_no, { amount });
    const rows = await h.bff.container.db.query<{ seq: number }>("SELECT seq FROM ledger_entries WHERE kind = 'suspense' AND amount = $1 AND work_order_id = $2", [amount, id]);
    return rows.rows[0]!.seq;
  }

  const odooWo = (id: number) => h.odoo.orm.sudo().model('drmoto.work.order').read([id], ['amount_paid', 'amount_due'])[0] as Record<string, number>;
  const apply = (seq: number, body: Record<string, unknown>, key = `ap-${seq}-${Math.random()}`, token = manager) =>
    h.req('POST', `/api/v1/suspense/${seq}/apply`, { token, body, headers: { 'idempotency-key': key } });

  it('lists open suspense; applies one whole to a work order (suspense −x, charge +x, Odoo paid, audited); not twice, not elsewhere', async () => {
    const seq = await suspenseOf(12345);
    const list = await h.req('GET', '/api/v1/suspense', { token: cashier });
    expect(list.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ seq, amount: 12345, open: 12345, channel: 'wechat', currency: 'CNY' })]));
    const target = await workOrder();
    expectProblem(await apply(seq, { work_order_id: target.id }, undefined, cashier), 403);
    expectProblem(await h.req('POST', `/api/v1/suspense/${seq}/apply`, { token: manager, body: { work_order_id: target.id } }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    const r = await apply(seq, { work_order_id: target.id }, `apply-${seq}-key`);
    expect(r.status).toBe(201);
    expect(r.body).toEqual(expect.objectContaining({ replayed: false, charge: expect.objectContaining({ kind: 'charge', amount: 12345, work_order_id: target.id }), suspense: expect.objectContaining({ open: 0, applied: 12345 }) }));
    const rows = await h.bff.container.db.query<{ kind: string; amount: number; ref: string }>('SELECT kind, amount, ref FROM ledger_entries WHERE source_seq = $1 ORDER BY seq', [seq]);
    expect(rows.rows).toEqual([
      { kind: 'suspense', amount: -12345, ref: `apply:${seq}` },
      { kind: 'charge', amount: 12345, ref: `apply:${seq}` },
    ]);
    await waitFor(() => odooWo(target.id).amount_paid === 123.45);
    expect(odooWo(target.id).amount_due).toBe(26.55);
    const audit = await h.bff.container.db.query("SELECT action FROM bff_audit_log WHERE action = 'suspense.applied' AND target = $1", [`work_order:${target.id}`]);
    expect(audit.rows).toHaveLength(1);
    // replayed by key; applied again (new key) to the same work order: the same charge; elsewhere: 409
    expect((await apply(seq, { work_order_id: target.id }, `apply-${seq}-key`)).headers.get('idempotent-replayed')).toBe('true');
    expect((await apply(seq, { work_order_id: target.id })).body.replayed).toBe(true);
    const other = await workOrder();
    expectProblem(await apply(seq, { work_order_id: other.id }), 409, 'SUSPENSE_APPLIED');
    expect((await h.req('GET', '/api/v1/suspense', { token: cashier })).body.items.map((i: { seq: number }) => i.seq)).not.toContain(seq);
  });

  it('more than the amount due → 409 unless an overpayment is allowed', async () => {
    const seq = await suspenseOf(20000);
    const target = await workOrder();
    const r = await apply(seq, { work_order_id: target.id });
    expectProblem(r, 409, 'AMOUNT_EXCEEDS_DUE');
    expect(r.body.due).toBe(15000);
    expect((await apply(seq, { work_order_id: target.id, allow_overpayment: true })).status).toBe(201);
    await waitFor(() => odooWo(target.id).amount_paid === 200);
    expect(odooWo(target.id).amount_due).toBe(-50);
  });

  it('refunds suspense on WeChat: 202, then the notification (twice) ledgers ONE release; more than open → 409; the ledger verifies', async () => {
    const seq = await suspenseOf(999);
    expectProblem(await h.req('POST', `/api/v1/suspense/${seq}/refund`, { token: manager, body: { reason: 'x', amount: 1000 }, headers: { 'idempotency-key': `sr-${seq}-big` } }), 409, 'REFUND_EXCEEDS_SUSPENSE');
    const r = await h.req('POST', `/api/v1/suspense/${seq}/refund`, { token: manager, body: { reason: 'wrong amount paid' }, headers: { 'idempotency-key': `sr-${seq}-all` } });
    expect(r.status).toBe(202);
    expect(r.body).toEqual(expect.objectContaining({ status: 'processing', amount: 999, work_order_id: null, payment_seq: seq }));
    const open = await h.req('GET', '/api/v1/suspense?all=true', { token: cashier });
    expect(open.body.items.find((i: { seq: number }) => i.seq === seq)).toEqual(expect.objectContaining({ open: 0, in_flight: 999 }));
    await h.wechatPay!.completeRefund(r.body.out_refund_no, { duplicate: 1 });
    const rows = await h.bff.container.db.query<{ kind: string; amount: number }>('SELECT kind, amount FROM ledger_entries WHERE source_seq = $1 ORDER BY seq', [seq]);
    expect(rows.rows).toEqual([{ kind: 'suspense', amount: -999 }]);
    const all = await h.req('GET', '/api/v1/suspense?all=true', { token: cashier });
    expect(all.body.items.find((i: { seq: number }) => i.seq === seq)).toEqual(expect.objectContaining({ open: 0, refunded: 999, in_flight: 0 }));
    const v = await verifyLedger(h.bff.container.db);
    expect(v.breaks).toEqual([]);
    expect(v.ok).toBe(true);
  });
});
