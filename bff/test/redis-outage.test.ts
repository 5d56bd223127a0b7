import { verifyLedger } from '../src/store/ledger-verify';
import { deliver, describeWithServers, openWorld, outcome, paidNotification, payableOrders, phases, pool, settle, type World } from './multiprocess';

/**
 * Issue 15.7: Redis unreachable in the middle of a storm (cut at a TCP proxy between the BFF processes and Redis;
 * the shared Redis itself stays up). Whatever the BFF acknowledges is in the ledger — the outbox row commits with the
 * charge, only the hand-over to the queue waits — and once Redis is back the rows settle without anyone acting: the
 * reconciler's sweep (or the relay retrying) hands them to the queue.
 */

const ORDERS = 40;
const PROCESSES = 2;

jest.setTimeout(300_000);

describeWithServers('Redis down during a storm', () => {
  let world: World;

  beforeAll(async () => {
    world = await openWorld({
      processes: PROCESSES,
      env: { QUEUE_BACKOFF_MS: '200', QUEUE_LOCK_MS: '3000', RECONCILE_INTERVAL_MS: '1000', SETTLE_RELAY_AFTER_MS: '1000', SETTLE_RETRY_BASE_MS: '500', SETTLE_RETRY_MAX_MS: '5000' },
    });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('ledgers every acknowledged notification while Redis is cut, and settles them by itself once it is back', async () => {
    const phase = phases('redis-outage');
    const orders = await payableOrders(world, ORDERS, { series: 3, deliver: true });
    const signers = await Promise.all(orders.map((o) => paidNotification(world.wxpay, o)));
    phase(`${ORDERS} payable work orders`);
    await world.redis.cut();

    // every notification twice, across both processes, while the queue is unreachable
    const acked = new Set<number>();
    const sends = orders.flatMap((_, i) => [i, i]);
    await pool(sends, 8, async (i, k) => {
      const status = await deliver(world.bffs[k % PROCESSES]!.url, signers[i]!());
      if (status === 200 || status === 204) acked.add(i);
    });
    phase(`${sends.length} notifications during the Redis outage, ${acked.size} payments acknowledged`);
    const { rows } = await world.store.db.query<{ work_order_id: number; outbox: string | null }>(
      `SELECT l.work_order_id, o.state AS outbox FROM ledger_entries l LEFT JOIN settlement_outbox o ON o.ledger_seq = l.seq WHERE l.kind = 'charge'`,
    );
    // acknowledged ⇒ ledgered, each with its outbox row
    const ledgered = new Map(rows.map((r) => [r.work_order_id, r.outbox]));
    for (const i of acked) expect(ledgered.get(orders[i]!.workOrderId)).toBe('pending');
    expect(acked.size).toBeGreaterThan(0);

    await world.redis.restore();
    // WeChat retries what was not acknowledged
    for (let i = 0; i < orders.length; i++) {
      if (acked.has(i)) continue;
      const status = await deliver(world.bffs[i % PROCESSES]!.url, signers[i]!());
      if (status === 200 || status === 204) acked.add(i);
    }
    expect(acked.size).toBe(ORDERS);

    const ids = orders.map((o) => o.workOrderId);
    const final = await settle('settled after Redis came back', async () => {
      const state = await outcome(world, ids);
      return { done: state.outbox.settled === ORDERS && state.closed === ORDERS, state };
    }, 90_000);
    phase('settled and closed after Redis came back');
    expect(final).toEqual({ charges: ORDERS, suspense: 0, chargedWorkOrders: ORDERS, outbox: { settled: ORDERS }, closed: ORDERS, paymentsPerWorkOrder: { '1': ORDERS } });
    expect((await verifyLedger(world.store.db)).ok).toBe(true);
  });
});
