/**
 * Refunds (issue 7): a manager's refund is checked under the work order's lock against what was paid less what is
 * refunded or in flight, sent on the channel of the payment it returns, and ledgered once when the provider confirms;
 * settlement registers it in Odoo (credit note for the price-reducing part + outbound payment). The concurrent check
 * is proven on PostgreSQL (DATABASE_URL); PGlite is one connection.
 */
import { WORK_ORDER_LOCK_CLASS, lockWorkOrder } from '../src/store/work-order-lock';
import { expectProblem, payableWorkOrders, staffTokens, startHarness, waitFor, type Harness } from './harness';

const databaseUrl = process.env.DATABASE_URL || undefined;

function suite(name: string, opts: { databaseUrl?: string }) {
  describe(name, () => {
    let h: Harness;
    let advisor: string;
    let technician: string;
    let cashier: string;
    let manager: string;
    let workOrder: (unitPrice?: number) => Promise<{ id: number; token: string }>;

    beforeAll(async () => {
      h = await startHarness({ wechatPay: true, ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) });
      ({ advisor, technician, cashier, manager } = await staffTokens(h, ['advisor', 'technician', 'cashier', 'manager']));
      workOrder = payableWorkOrders(h, { advisor, technician }, { tag: `rf-${name.length}`, phone: '1370000', plate: '粤S5' });
    });
    afterAll(async () => {
      await h.close();
    });

    const odooWo = (id: number) =>
      h.odoo.orm.sudo().model('drmoto.work.order').read([id], ['state', 'amount_paid', 'amount_refunded', 'amount_credited', 'amount_due', 'amount_invoiced'])[0] as Record<string, number | string>;
    const ledgerRows = async (wo: number) =>
      (await h.bff.container.db.query<{ seq: number; kind: string; amount: number; channel: string; provider_refund_id: string | null }>(
        'SELECT seq, kind, amount, channel, provider_refund_id FROM ledger_entries WHERE work_order_id = $1 ORDER BY seq',
        [wo],
      )).rows;
    const cash = (id: number, amount: number, token = cashier, extra: Record<string, unknown> = {}) =>
      h.req('POST', `/api/v1/work-orders/${id}/payments/offline`, { token, body: { method: 'cash', amount, ...extra }, headers: { 'idempotency-key': `cash-${id}-${Math.random()}` } });
    const refund = (id: number, body: Record<string, unknown>, key = `refund-${id}-${Math.random()}`, token = manager) =>
      h.req('POST', `/api/v1/work-orders/${id}/refunds`, { token, body, headers: { 'idempotency-key': key } });
    /** paid with WeChat through the platform mock; returns the charge's ledger seq */
    async function payWechat(id: number, token: string): Promise<number> {
      const r = await h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token, headers: { 'idempotency-key': `wx-${id}-${Math.random()}` } });
      expect(r.status).toBe(201);
      await h.wechatPay!.pay(r.body.payment_order.out_trade_no);
      const rows = await ledgerRows(id);
      return rows.find((e) => e.kind === 'charge' && e.channel === 'wechat')!.seq;
    }

    if (!opts.databaseUrl) {
      it('WeChat: 202 in flight → the refund notification arrives twice → ONE ledger row; Odoo gets a credit note + outbound payment, nothing due', async () => {
        const { id, token } = await workOrder();
        const chargeSeq = await payWechat(id, token);
        await waitFor(() => odooWo(id).amount_paid === 150);
        const r = await refund(id, { amount: 5000, reason: 'goodwill: late delivery' });
        expect(r.status).toBe(202);
        expect(r.body).toEqual(expect.objectContaining({ status: 'processing', channel: 'wechat', payment_seq: chargeSeq, amount: 5000, credit_amount: 5000, ledger_seq: null, out_refund_no: expect.stringMatching(/^RF\d+-[0-9a-f]{24}$/) }));
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund')).toEqual([]);
        const call = h.wechatPay!.calls.find((c) => c.path === '/v3/refund/domestic/refunds');
        expect(call?.body).toEqual(expect.objectContaining({ out_refund_no: r.body.out_refund_no, amount: expect.objectContaining({ refund: 5000, total: 15000 }) }));

        const done = await h.wechatPay!.completeRefund(r.body.out_refund_no, { duplicate: 1 });
        expect(done.deliveries.map((d) => d.status)).toEqual([204, 204]);
        const refunds = (await ledgerRows(id)).filter((e) => e.kind === 'refund');
        expect(refunds).toEqual([expect.objectContaining({ amount: -5000, channel: 'wechat', provider_refund_id: h.wechatPay!.refunds.get(r.body.out_refund_no)!.refund_id })]);
        const list = await h.req('GET', `/api/v1/work-orders/${id}/refunds`, { token: cashier });
        expect(list.body.items).toEqual([expect.objectContaining({ status: 'succeeded', ledger_seq: refunds[0]!.seq })]);
        await waitFor(() => odooWo(id).amount_refunded === 50);
        expect(odooWo(id)).toEqual(expect.objectContaining({ amount_paid: 100, amount_credited: 50, amount_due: 0, amount_invoiced: 100 }));
        // a redelivery later still changes nothing; the idempotent replay answers the first response
        await h.wechatPay!.redeliver(done.deliveries[0]!.notification_id);
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund')).toHaveLength(1);
        const audit = await h.bff.container.db.query<{ action: string }>("SELECT action FROM bff_audit_log WHERE target = $1 AND action LIKE 'refund.%' ORDER BY id", [`work_order:${id}`]);
        expect(audit.rows.map((a) => a.action)).toEqual(['refund.requested', 'refund.completed']);
      });

      it('a forged refund notification → 401, nothing recorded; a lost one is found by the reconciler', async () => {
        const { id, token } = await workOrder();
        await payWechat(id, token);
        const r = await refund(id, { amount: 3000, reason: 'parts returned' });
        const forged = await h.wechatPay!.completeRefund(r.body.out_refund_no, { forge: 'signature' });
        expect(forged.deliveries[0]!.status).toBe(401);
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund')).toEqual([]);
        await h.wechatPay!.completeRefund(r.body.out_refund_no, { lose: true });
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund')).toEqual([]);
        expect(await h.bff.container.deps.refunds!.reconcileInFlight(0)).toBeGreaterThanOrEqual(1);
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund').map((e) => e.amount)).toEqual([-3000]);
      });

      it('offline: refunded and ledgered at once (201); an overpayment goes back first, without a credit note', async () => {
        const { id } = await workOrder();
        expect((await cash(id, 15000)).status).toBe(201);
        expect((await cash(id, 2000, manager, { allow_overpayment: true })).status).toBe(201);
        const r = await refund(id, { amount: 2000, reason: 'overpaid at the counter' });
        expect(r.status).toBe(201);
        expect(r.body).toEqual(expect.objectContaining({ status: 'succeeded', channel: 'offline', amount: 2000, credit_amount: 0, ledger_seq: expect.any(Number) }));
        await waitFor(() => odooWo(id).amount_refunded === 20);
        expect(odooWo(id)).toEqual(expect.objectContaining({ amount_paid: 150, amount_credited: 0, amount_due: 0, amount_invoiced: 150 }));
        // the same key again: the stored answer, no second row
        const again = await refund(id, { amount: 2000, reason: 'overpaid at the counter' }, 'same-key-0001');
        const replay = await refund(id, { amount: 2000, reason: 'overpaid at the counter' }, 'same-key-0001');
        expect(replay.headers.get('idempotent-replayed')).toBe('true');
        expect(replay.body.id).toBe(again.body.id);
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund').map((e) => e.amount)).toEqual([-2000, -2000]);
      });

      it('more than paid less refunded and in flight → 409; a refund after close leaves it closed; callers and input checked', async () => {
        const { id, token } = await workOrder();
        await payWechat(id, token);
        await waitFor(() => odooWo(id).amount_paid === 150);
        expectProblem(await refund(id, { amount: 15001, reason: 'too much' }), 409, 'REFUND_EXCEEDS_PAID');
        expect((await refund(id, { amount: 10000, reason: 'first' })).status).toBe(202);
        const over = await refund(id, { amount: 6000, reason: 'second' });
        expectProblem(over, 409, 'REFUND_EXCEEDS_PAID');
        expect(over.body.refundable).toBe(5000);
        expectProblem(await refund(id, { amount: 100, reason: 'x' }, undefined, cashier), 403);
        expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/refunds`, { token: manager, body: { amount: 100, reason: 'x' } }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
        expectProblem(await refund(id, { amount: 0, reason: 'x' }), 400);
        expectProblem(await refund(id, { amount: 100 }), 400);
        expectProblem(await refund(id, { amount: 100, reason: 'x', payment_seq: 1 }), 422, 'NOT_A_PAYMENT');

        // closed: pay cash for another work order, deliver (closes), then refund
        const other = await workOrder();
        await cash(other.id, 15000);
        await waitFor(() => odooWo(other.id).amount_paid === 150);
        await h.req('POST', `/api/v1/work-orders/${other.id}/transitions`, { token: technician, body: { action: 'mark_ready' } });
        const d = await h.req('POST', `/api/v1/work-orders/${other.id}/transitions`, { token: advisor, body: { action: 'deliver' } });
        expect(d.body.status).toBe('closed');
        expect((await refund(other.id, { amount: 1000, reason: 'goodwill after pickup' })).status).toBe(201);
        await waitFor(() => odooWo(other.id).amount_refunded === 10);
        expect(odooWo(other.id)).toEqual(expect.objectContaining({ state: 'closed', amount_due: 0, amount_invoiced: 140, amount_paid: 140 }));
      });
    } else {
      it('two concurrent refunds whose sum exceeds what was paid: one 2xx, one 409 REFUND_EXCEEDS_PAID, one ledger row', async () => {
        const { id } = await workOrder();
        expect((await cash(id, 15000)).status).toBe(201);
        const results = await Promise.all([1, 2].map((i) => refund(id, { amount: 10000, reason: `race ${i}` }, `race-${id}-${i}-key`)));
        expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
        expectProblem(results.find((r) => r.status === 409)!, 409, 'REFUND_EXCEEDS_PAID');
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund').map((e) => e.amount)).toEqual([-10000]);
      });

      it('a refund confirmation waits for the work order’s money lock (a refund check must not read the balance before it and the in-flight list after it)', async () => {
        const { id, token } = await workOrder();
        await payWechat(id, token);
        await waitFor(() => odooWo(id).amount_paid === 150);
        const r = await refund(id, { amount: 5000, reason: 'lock order' });
        expect(r.status).toBe(202);
        const db = h.bff.container.db;
        const { completing } = await db.transaction(async (tx) => {
          await lockWorkOrder(tx, id); // as a concurrent refund request holds it while it checks
          const completing = h.wechatPay!.completeRefund(r.body.out_refund_no);
          // the notification's confirmation queues behind this lock: a backend waits for exactly this advisory lock
          await waitFor(async () => {
            const { rows } = await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted AND classid = $1
                  AND objid = (hashtext(current_schema() || '/' || $2::text)::bigint & 4294967295)::text::oid`,
              [WORK_ORDER_LOCK_CLASS, id],
            );
            return rows[0]!.n === 1;
          });
          expect((await ledgerRows(id)).filter((e) => e.kind === 'refund')).toEqual([]);
          return { completing }; // (not the promise itself: the transaction would wait for it, holding the lock)
        });
        const delivered = await completing;
        expect(delivered.deliveries.map((d) => d.status)).toEqual([204]);
        expect((await ledgerRows(id)).filter((e) => e.kind === 'refund').map((e) => e.amount)).toEqual([-5000]);
      });
    }
  });
}

suite('refunds (PGlite)', {});
if (databaseUrl) suite('refunds (PostgreSQL)', { databaseUrl });
else describe('refunds (PostgreSQL)', () => it.skip('needs DATABASE_URL: the concurrent refund check runs on PostgreSQL only', () => undefined));
