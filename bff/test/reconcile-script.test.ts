/**
 * `npm run reconcile` (issue 7): after payments on every channel, refunds (price-reducing and returned overpayment)
 * and a suspense entry applied, Odoo's invoices, credit notes and payments add up to the ledger's balance for every
 * work order; money Odoo has and the ledger does not is reported as a mismatch (exit 1).
 */
import { callKw } from '../../mocks/odoo/orm/orm';
import { runReconcile } from '../../scripts/reconcile';
import type { Db } from '../src/store/db';
import { verifyLedger } from '../src/store/ledger-verify';
import { payableWorkOrders, staffTokens, startHarness, waitFor, type Harness } from './harness';

const borrow = (db: Db): Db => ({ kind: db.kind, query: (s, p) => db.query(s, p), exec: (s) => db.exec(s), transaction: (fn, o) => db.transaction(fn, o), ping: () => db.ping(), close: async () => undefined });

describe('reconcile: Odoo adds up to the ledger for every work order', () => {
  let h: Harness;
  let advisor: string;
  let technician: string;
  let cashier: string;
  let manager: string;
  let workOrder: (unitPrice?: number) => Promise<{ id: number; token: string }>;

  beforeAll(async () => {
    h = await startHarness({ wechatPay: true });
    ({ advisor, technician, cashier, manager } = await staffTokens(h, ['advisor', 'technician', 'cashier', 'manager']));
    workOrder = payableWorkOrders(h, { advisor, technician }, { tag: 'rc', phone: '1310000', plate: '粤V8' });
  });
  afterAll(async () => {
    await h.close();
  });
  const key = () => `k-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const post = (path: string, token: string, body?: unknown) => h.req('POST', path, { token, body, headers: { 'idempotency-key': key() } });
  const reconcile = async () => {
    const lines: string[] = [];
    const code = await runReconcile({ RECONCILE_JSON: '0' }, (t) => lines.push(t), { open: async () => borrow(h.bff.container.db), odoo: h.bff.container.odoo });
    return { code, text: lines.join('\n') };
  };
  const settled = async () => waitFor(async () => (await h.bff.container.db.query("SELECT 1 FROM settlement_outbox WHERE state <> 'settled'")).rows.length === 0, 15_000);

  it('payments, refunds and an applied suspense entry → exit 0; an Odoo payment without a ledger row → exit 1 naming the work order', async () => {
    // WeChat, partly refunded as goodwill
    const a = await workOrder();
    const pa = await post(`/api/v1/work-orders/${a.id}/payments/wechat`, a.token);
    await h.wechatPay!.pay(pa.body.payment_order.out_trade_no);
    const ra = await post(`/api/v1/work-orders/${a.id}/refunds`, manager, { amount: 2500, reason: 'goodwill' });
    await h.wechatPay!.completeRefund(ra.body.out_refund_no);
    // cash with a manager-allowed overpayment, the excess returned; then closed by delivery
    const b = await workOrder(9900);
    await post(`/api/v1/work-orders/${b.id}/payments/offline`, cashier, { method: 'cash', amount: 9900 });
    await post(`/api/v1/work-orders/${b.id}/payments/offline`, manager, { method: 'cash', amount: 100, allow_overpayment: true });
    expect((await post(`/api/v1/work-orders/${b.id}/refunds`, manager, { amount: 100, reason: 'change' })).body.credit_amount).toBe(0);
    // a wrong-amount WeChat payment in suspense, applied to a third work order, which is topped up in cash
    const c = await workOrder();
    const pc = await post(`/api/v1/work-orders/${c.id}/payments/wechat`, c.token);
    await h.wechatPay!.pay(pc.body.payment_order.out_trade_no, { amount: 5000 });
    const s = await h.bff.container.db.query<{ seq: number }>("SELECT seq FROM ledger_entries WHERE kind = 'suspense' AND work_order_id = $1", [c.id]);
    expect((await post(`/api/v1/suspense/${s.rows[0]!.seq}/apply`, manager, { work_order_id: c.id })).status).toBe(201);
    await post(`/api/v1/work-orders/${c.id}/payments/offline`, cashier, { method: 'cash', amount: 10000 });
    await settled();

    const ok = await reconcile();
    expect(ok.text).toMatch(/OK: Odoo matches the ledger/);
    expect(ok.code).toBe(0);
    expect((await verifyLedger(h.bff.container.db)).ok).toBe(true);

    // money registered in Odoo behind the ledger's back
    callKw(h.odoo.orm.as('bff', { drmoto_actor: { kind: 'system' } }), 'drmoto.work.order', 'action_register_payment', [[b.id], 'not-in-ledger-1', 1, 'offline'], {});
    const bad = await reconcile();
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(new RegExp(`\\[mismatch\\] work order ${b.id} .*inbound payments 10100 ≠ ledger charges 10000`));
  });
});
