/**
 * The payment jobs end to end, on each queue driver: the scheduled Reconcile job ledgering a payment whose
 * notification never arrived, and a settlement that failed for good while Odoo was down, retried by a manager
 * (BullMQ `job.retry()` / the in-process equivalent) once Odoo is back.
 *
 * Drivers: the in-process queue on PGlite always; BullMQ (REDIS_URL, a prefix of its own, obliterated afterwards)
 * on PostgreSQL when DATABASE_URL is set, else on PGlite.
 */
import { randomUUID } from 'node:crypto';
import { BullmqJobQueue } from '../src/jobs/bullmq';
import { SettlementService } from '../src/services/settlement.service';
import { expectProblem, startHarness, type Harness } from './harness';

jest.setTimeout(90_000);

const redisUrl = process.env.REDIS_URL || undefined;
const databaseUrl = process.env.DATABASE_URL || undefined;

interface Driver {
  name: string;
  env: Record<string, string>;
  databaseUrl?: string;
  cleanup(): Promise<void>;
}

function drivers(): Driver[] {
  const inProcess: Driver = { name: 'in-process queue, PGlite', env: {}, cleanup: async () => undefined };
  if (!redisUrl) return [inProcess];
  const prefix = `jobs-reconcile-${randomUUID().slice(0, 8)}`;
  return [
    inProcess,
    {
      name: `BullMQ, ${databaseUrl ? 'PostgreSQL' : 'PGlite'}`,
      env: { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix },
      databaseUrl,
      cleanup: () => BullmqJobQueue.obliterate({ redisUrl, prefix }),
    },
  ];
}

if (!redisUrl) console.warn('[skipped] jobs-reconcile on BullMQ: REDIS_URL not set (the in-process driver runs)');

const waitFor = async <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.each(drivers().map((d) => [d.name, d] as const))('payment jobs [%s]', (_name, driver) => {
  let n = 0;

  /** A harness with this driver; `env` adds to it. */
  const harness = (env: Record<string, string>) => startHarness({ wechatPay: true, ...(driver.databaseUrl ? { databaseUrl: driver.databaseUrl } : {}), env: { ...driver.env, ...env } });

  /** A customer's work order with a confirmed 150.00 labor quote, in progress, and its open WeChat payment order. */
  async function payableWorkOrder(h: Harness): Promise<{ id: number; token: string; outTradeNo: string; orderId: number }> {
    n++;
    const tag = `${driver.env.REDIS_URL ? 'b' : 'i'}${n}`;
    const [advisor, technician] = await Promise.all([h.staffToken('advisor'), h.staffToken('technician')]);
    const me = await h.customerLogin(`jobs-${tag}`, `phone-1360000${String(1000 + n)}`);
    const v = await h.req('POST', '/api/v1/vehicles', { token: me.access_token, body: { plate_no: `粤J${String(40000 + n)}` } });
    expect(v.status).toBe(201);
    const wo = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: me.user.customer_id, vehicle_id: v.body.id, checkin: true } });
    expect(wo.status).toBe(201);
    const id = wo.body.id as number;
    const steps = [
      [technician, `/api/v1/work-orders/${id}/transitions`, { action: 'start_diagnosis' }],
      [advisor, `/api/v1/work-orders/${id}/quotes`, { lines: [{ kind: 'labor', description: 'Service', qty: 1, unit_price: 15000 }] }],
      [advisor, `/api/v1/work-orders/${id}/quotes/1/send`, undefined],
      [me.access_token, `/api/v1/work-orders/${id}/quotes/1/confirm`, undefined],
      [technician, `/api/v1/work-orders/${id}/transitions`, { action: 'start_repair' }],
    ] as const;
    for (const [token, path, body] of steps) {
      const r = await h.req('POST', path, { token, body });
      if (r.status !== 200 && r.status !== 201) throw new Error(`${path}: ${r.status} ${r.text}`);
    }
    const pay = await h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token: me.access_token, headers: { 'idempotency-key': `jobs-pay-${randomUUID()}` } });
    expect(pay.status).toBe(201);
    return { id, token: me.access_token, outTradeNo: pay.body.payment_order.out_trade_no as string, orderId: pay.body.payment_order.id as number };
  }

  const ledgerOf = async (h: Harness, wo: number) =>
    (await h.bff.container.db.query<{ kind: string; amount: string; provider_txn_id: string | null }>('SELECT kind, amount::text AS amount, provider_txn_id FROM ledger_entries WHERE work_order_id = $1 ORDER BY seq', [wo])).rows;
  const odooWo = (h: Harness, id: number) =>
    h.odoo.orm.sudo().model('drmoto.work.order').read([id], ['state', 'amount_paid', 'amount_due'])[0] as { state: string; amount_paid: number; amount_due: number };
  const odooCount = (h: Harness, model: string, domain: unknown[]) => h.odoo.orm.sudo().model(model).search(domain).length;

  describe('the Reconcile job on its schedule', () => {
    let h: Harness;
    beforeAll(async () => {
      // every second, for orders at least 200 ms old
      h = await harness({ RECONCILE_INTERVAL_MS: '1000', RECONCILE_AFTER_MS: '200' });
    });
    afterAll(async () => {
      await h?.close();
      await driver.cleanup();
    });

    it('finds an open order whose notification never arrived, queries WeChat Pay, ledgers and settles it', async () => {
      const { id, outTradeNo } = await payableWorkOrder(h);
      const paid = await h.wechatPay!.pay(outTradeNo, { lose: true });
      expect(paid.deliveries).toEqual([]); // WeChat's notification is lost: the BFF hears nothing
      const txn = String(paid.transaction!.transaction_id);

      const ledger = await waitFor('the reconciler ledgers the payment', async () => {
        const rows = await ledgerOf(h, id);
        return rows.length > 0 && rows;
      });
      expect(ledger).toEqual([{ kind: 'charge', amount: '15000', provider_txn_id: txn }]);
      // found by the order query (nobody called /payments/:id/check, nothing was delivered)
      expect(h.wechatPay!.calls.some((c) => c.method === 'GET' && c.path.includes(`/v3/pay/transactions/out-trade-no/${outTradeNo}`))).toBe(true);
      expect(h.wechatPay!.deliveries.filter((d) => d.body.includes(outTradeNo))).toEqual([]);
      expect(h.logs.some((l) => l.message === 'reconciled' && Number(l.orders_checked) >= 1)).toBe(true);

      // and settled in Odoo through the settle job: one payment
      await waitFor('Odoo has the payment', async () => odooWo(h, id).amount_paid === 150);
      const order = await h.bff.container.db.query<{ state: string }>('SELECT state FROM payment_orders WHERE out_trade_no = $1', [outTradeNo]);
      expect(order.rows).toEqual([{ state: 'paid' }]);
      expect(odooCount(h, 'account.payment', [['drmoto_work_order_id', '=', id]])).toBe(1);
    });
  });

  describe('a settlement that failed for good, retried by a manager', () => {
    let h: Harness;
    beforeAll(async () => {
      // retries 10 ms apart (doubling), so the 8 attempts are spent in seconds; no reconciler to requeue it, and no
      // Odoo probe to heal it by itself (bff/test/odoo-outage.test.ts covers that)
      h = await harness({ QUEUE_BACKOFF_MS: '10', RECONCILE_INTERVAL_MS: '3600000', ODOO_PROBE_INTERVAL_MS: '3600000' });
    });
    afterAll(async () => {
      h?.odoo.resume();
      await h?.close();
      await driver.cleanup();
    });

    it('Odoo down → the settle job fails after its attempts → listed → Odoo back → retry → settled, closed once', async () => {
      const { id, outTradeNo } = await payableWorkOrder(h);
      const [technician, manager] = await Promise.all([h.staffToken('technician'), h.staffToken('manager')]);
      expect((await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: technician, body: { action: 'mark_ready' } })).status).toBe(200);
      const delivered = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: manager, body: { action: 'deliver', override: true, note: 'paid at pickup' } });
      expect(delivered.status).toBe(200);
      expect(odooWo(h, id).state).toBe('delivered'); // money owing: the settlement is what closes it

      h.odoo.pause();
      const paid = await h.wechatPay!.pay(outTradeNo);
      expect(paid.deliveries.map((d) => d.status)).toEqual([204]); // acknowledged and ledgered without Odoo
      expect((await ledgerOf(h, id)).map((e) => e.kind)).toEqual(['charge']);
      const [outbox] = (await h.bff.container.db.query<{ id: number }>('SELECT id FROM settlement_outbox WHERE work_order_id = $1', [id])).rows;
      const jobId = SettlementService.jobId(outbox!.id);

      const failed = await waitFor('the settle job in the failed list', async () => {
        const r = await h.req('GET', '/api/v1/admin/failed-jobs', { token: manager });
        expect(r.status).toBe(200);
        return (r.body.items as Array<Record<string, unknown>>).find((j) => j.id === jobId);
      });
      expect(failed).toEqual({ id: jobId, name: 'settle', attempts: 8, failed_reason: expect.any(String), data: { outboxId: outbox!.id } });
      expect(odooWo(h, id).state).toBe('delivered');
      const pending = await h.bff.container.db.query<{ state: string }>('SELECT state FROM settlement_outbox WHERE id = $1', [outbox!.id]);
      expect(pending.rows).toEqual([{ state: 'pending' }]);
      // only a manager sees and retries failed jobs
      expectProblem(await h.req('GET', '/api/v1/admin/failed-jobs', { token: technician }), 403);
      expectProblem(await h.req('POST', `/api/v1/admin/failed-jobs/${jobId}/retry`, { token: technician }), 403);

      h.odoo.resume();
      const retried = await h.req('POST', `/api/v1/admin/failed-jobs/${jobId}/retry`, { token: manager });
      expect(retried.status).toBe(200);
      expect(retried.body).toEqual({ id: jobId, retried: true });

      await waitFor('settled after the retry', async () => {
        const r = await h.bff.container.db.query<{ state: string }>('SELECT state FROM settlement_outbox WHERE id = $1', [outbox!.id]);
        return r.rows[0]?.state === 'settled';
      });
      expect(odooWo(h, id)).toEqual(expect.objectContaining({ state: 'closed', amount_paid: 150, amount_due: 0 }));
      // exactly once: one payment, one invoice, one closing transition
      expect(odooCount(h, 'account.payment', [['drmoto_work_order_id', '=', id]])).toBe(1);
      expect(odooCount(h, 'account.move', [['drmoto_work_order_id', '=', id], ['move_type', '=', 'out_invoice']])).toBe(1);
      expect(odooCount(h, 'drmoto.wo.status.log', [['work_order_id', '=', id], ['to_state', '=', 'closed']])).toBe(1);
      // no longer failed: not listed, and a second retry finds nothing
      const after = await h.req('GET', '/api/v1/admin/failed-jobs', { token: manager });
      expect((after.body.items as Array<{ id: string }>).map((j) => j.id)).not.toContain(jobId);
      expectProblem(await h.req('POST', `/api/v1/admin/failed-jobs/${jobId}/retry`, { token: manager }), 404);
    });
  });
});
