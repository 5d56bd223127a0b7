import { BullmqJobQueue } from '../src/jobs/bullmq';
import { SettlementService } from '../src/services/settlement.service';
import { verifyLedger } from '../src/store/ledger-verify';
import { deliver, describeWithServers, openWorld, outcome, paidNotification, payableOrders, phases, settle, type World } from './multiprocess';

/**
 * Issue 15.1: Odoo down for longer than a settlement job's retry budget. Payments are acknowledged and ledgered
 * meanwhile; the outbox rows then wait out their own backoff (10 minutes here). When Odoo answers again the workers'
 * probe notices and re-queues them, so everything settles long before that backoff — with at most
 * SETTLE_CONCURRENCY settlement calls per process in flight at Odoo, and each run counted once, the same on the
 * queue's job and on the outbox row.
 */

const ORDERS = 40;
const PROCESSES = 2;
const SETTLE_CONCURRENCY = 2;
// Far longer than the cap the test waits for settlement after Odoo returns: only the probe can settle in time.
const OUTBOX_BACKOFF_MS = 600_000;
const JOB_ATTEMPTS = 8; // settlement jobs' own retry budget (settlement.service.ts)

jest.setTimeout(240_000);

describeWithServers('Odoo down longer than the retry budget', () => {
  let world: World;

  beforeAll(async () => {
    world = await openWorld({
      processes: PROCESSES,
      env: {
        // the job retry budget: 8 runs ~50 ms apart, doubling — a few seconds instead of ~4 minutes
        QUEUE_BACKOFF_MS: '50',
        QUEUE_CONCURRENCY: '8',
        SETTLE_CONCURRENCY: String(SETTLE_CONCURRENCY),
        SETTLE_RETRY_BASE_MS: String(OUTBOX_BACKOFF_MS),
        SETTLE_RETRY_MAX_MS: String(OUTBOX_BACKOFF_MS),
        ODOO_PROBE_INTERVAL_MS: '500',
        RECONCILE_INTERVAL_MS: '1000',
        SETTLE_RELAY_AFTER_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('acknowledges payments while Odoo is down and settles them all soon after it answers, without flooding it', async () => {
    const phase = phases('odoo-outage');
    const orders = await payableOrders(world, ORDERS, { series: 2, deliver: true });
    const signers = await Promise.all(orders.map((o) => paidNotification(world.wxpay, o)));
    phase(`${ORDERS} payable work orders`);
    await world.odoo.cut();

    // acknowledged ⇒ ledgered, with Odoo unreachable
    const statuses = await Promise.all(orders.map((_, i) => deliver(world.bffs[i % PROCESSES]!.url, signers[i]!())));
    expect(statuses.every((s) => s === 200 || s === 204)).toBe(true);
    const ids = orders.map((o) => o.workOrderId);
    const charged = await world.store.db.query<{ n: string }>(`SELECT count(DISTINCT work_order_id)::text AS n FROM ledger_entries WHERE kind = 'charge'`);
    expect(Number(charged.rows[0]!.n)).toBe(ORDERS);

    // the outage outlasts every job's retry budget: each row has failed JOB_ATTEMPTS runs and now waits 10 minutes
    const rows = () => world.store.db.query<{ id: number; attempts: number; waits_ms: number }>(
      `SELECT id, attempts, extract(epoch FROM next_attempt_at - now()) * 1000 AS waits_ms FROM settlement_outbox WHERE state = 'pending' ORDER BY id`,
    );
    await settle('every settlement job out of retries', async () => {
      const { rows: pending } = await rows();
      return { done: pending.length === ORDERS && pending.every((r) => r.attempts >= JOB_ATTEMPTS), state: pending.map((r) => r.attempts) };
    }, 120_000);
    expect((await rows()).rows.every((r) => r.waits_ms > OUTBOX_BACKOFF_MS / 2)).toBe(true);
    phase('Odoo cut: payments acknowledged, every job out of retries');

    world.odoo.resetCounts();
    await world.odoo.restore();
    const final = await settle('settled after Odoo came back', async () => {
      const state = await outcome(world, ids);
      return { done: state.outbox.settled === ORDERS && state.closed === ORDERS, state };
    }, 60_000);
    phase('Odoo back: everything settled and closed');
    expect(final).toEqual({ charges: ORDERS, suspense: 0, chargedWorkOrders: ORDERS, outbox: { settled: ORDERS }, closed: ORDERS, paymentsPerWorkOrder: { '1': ORDERS } });
    expect((await verifyLedger(world.store.db)).ok).toBe(true);

    // bounded drain: never more settlement calls at Odoo than the processes' gates allow
    expect(world.odoo.maxInFlight).toBeGreaterThan(0);
    expect(world.odoo.maxInFlight).toBeLessThanOrEqual(PROCESSES * SETTLE_CONCURRENCY);

    // each run counted once, the same on the outbox (authoritative: its failed runs, then settled) and on the row's
    // queue job (BullMQ's attemptsMade: every finished run, the successful one included)
    const queue = new BullmqJobQueue({ redisUrl: process.env.REDIS_URL!, prefix: world.prefix });
    try {
      const { rows: settled } = await world.store.db.query<{ id: number; attempts: number }>('SELECT id, attempts FROM settlement_outbox ORDER BY id');
      const onQueue = await Promise.all(settled.map((r) => queue.attemptsMade(SettlementService.jobId(r.id))));
      expect(onQueue).toEqual(settled.map((r) => r.attempts + 1));
      expect(settled.every((r) => r.attempts >= JOB_ATTEMPTS)).toBe(true);
    } finally {
      await queue.close();
    }
  });
});
