/**
 * PRD PAY-001 — "Exactly one immutable payment record per out_trade_no; the work order closes only once."
 *
 * 200 delivered work orders (manager override: money owing), each with a confirmed quote and a WeChat payment
 * order; then 1,000 signed notifications (each order's 5×, same notification id, freshly signed each time as
 * WeChat's retries are), shuffled and sent 50 at a time to the webhook. The settlement closes every work order.
 *
 * Backends: PGlite + the in-process queue by default; PostgreSQL (DATABASE_URL) and BullMQ (REDIS_URL, with a
 * unique QUEUE_PREFIX per run) when those are set, as in CI.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { callKw } from '../../mocks/odoo/orm/orm';
import { verifyLedger } from '../src/store/ledger-verify';
import { SettlementService } from '../src/services/settlement.service';
import { prng, startHarness, type Harness } from './harness';

jest.setTimeout(180_000);

const WORK_ORDERS = 200;
/** Each customer has WORK_ORDERS / CUSTOMERS vehicles, one work order each. */
const CUSTOMERS = 20;
const DELIVERIES_PER_ORDER = 5;
const SEND_CONCURRENCY = 50;
const SETUP_CONCURRENCY = 8;
const WO = 'drmoto.work.order';

const databaseUrl = process.env.DATABASE_URL || undefined;
const redisUrl = process.env.REDIS_URL || undefined;
const backends = `${databaseUrl ? 'PostgreSQL' : 'PGlite'} + ${redisUrl ? 'BullMQ' : 'in-process queue'}`;

/** Runs `fn` over `items` with at most `n` at a time; rejects on the first failure. */
async function pool<T, R>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms: number, describeState?: () => Promise<string>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what}: not reached within ${ms} ms${describeState ? ` (${await describeState()})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cents = (v: unknown): number => Math.round(Number(v) * 100);

describe(`PAY-001 one payment record per out_trade_no, one close per work order [${backends}]`, () => {
  let h: Harness;
  const queuePrefix = `pay001-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
  const seed = Number(process.env.PAY001_SEED) || Math.floor(Math.random() * 2 ** 31);

  beforeAll(async () => {
    h = await startHarness({
      wechatPay: true,
      ...(databaseUrl ? { databaseUrl } : {}),
      env: {
        RATE_LIMIT_AUTH_PER_MIN: '100000',
        LOG_LEVEL: 'info',
        ...(redisUrl ? { REDIS_URL: redisUrl, QUEUE_PREFIX: queuePrefix } : {}),
      },
    });
  });

  afterAll(async () => {
    await h?.close();
    if (redisUrl) {
      // Leave nothing of this run in the shared Redis.
      const r = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
      try {
        await r.connect();
        let cursor = '0';
        do {
          const [c, keys] = await r.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
          cursor = c;
          if (keys.length) await r.del(...keys);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    }
  });

  it(`${WORK_ORDERS} orders × ${DELIVERIES_PER_ORDER} concurrent duplicate notifications → ${WORK_ORDERS} ledger charges, ${WORK_ORDERS} Odoo payments, each work order closed once`, async () => {
    const pay = h.wechatPay!;
    const orm = h.odoo.orm;
    const staff = (login: string) => ({ kind: 'staff', uid: orm.uid(login) });
    const run = (actor: Record<string, unknown>, method: string, args: unknown[]) => callKw(orm.as('bff', { drmoto_actor: actor }), WO, method, args, {}) as Record<string, unknown>;
    const act = (id: number, method: string, actor: Record<string, unknown>, key: string, extra: unknown[] = []) => run(actor, method, [[id], false, key, ...extra]);
    const [advisor, technician, manager] = [staff('advisor'), staff('technician'), staff('manager')];

    // ---------------------------------------------------------------------------------------------- setup
    // WeChat customers (login + phone) and their vehicles through the API; each work order up to `delivered`
    // (manager override: the money is still owing, so the settlement is what closes it) in the Odoo mock as the
    // seeded users, through the integration user and its actor context as the BFF speaks — called in-process
    // (callKw on an env) rather than executeKw, whose per-call snapshot of the whole mock database would make
    // the setup quadratic; then the payment order through the API as the customer.
    const customers = await pool(Array.from({ length: CUSTOMERS }, (_, c) => c), SETUP_CONCURRENCY, async (c) => {
      const me = await h.customerLogin(`pay001-${c}`, `phone-1370000${String(1000 + c)}`);
      expect(me.user.customer_id).toEqual(expect.any(Number));
      return { token: me.access_token, partnerId: me.user.customer_id as number };
    });
    const orders = await pool(Array.from({ length: WORK_ORDERS }, (_, i) => i), SETUP_CONCURRENCY, async (i) => {
      const { token, partnerId } = customers[i % CUSTOMERS]!;
      const v = await h.req('POST', '/api/v1/vehicles', { token, body: { plate_no: `粤R${String(10000 + i)}` } });
      if (v.status !== 201) throw new Error(`vehicle ${i}: ${v.status} ${v.text}`);
      const k = `pay001-${i}`;
      const id = run(advisor, 'action_open', [{ partner_id: partnerId, vehicle_id: v.body.id, symptom: 'PAY-001', state: 'checkin' }, `${k}-open`]).id as number;
      act(id, 'action_start_diagnosis', technician, `${k}-diag`);
      act(id, 'action_create_quote', advisor, `${k}-quote`, [[{ kind: 'labor', description: 'Service', qty: 1, price_unit: 100 + (i % 37) }]]);
      act(id, 'action_send_quote', advisor, `${k}-send`, [1]);
      act(id, 'action_confirm_quote', { kind: 'customer', partner_id: partnerId }, `${k}-confirm`, [1]);
      act(id, 'action_start_repair', technician, `${k}-repair`);
      act(id, 'action_mark_ready', technician, `${k}-ready`);
      const delivered = act(id, 'action_deliver', manager, `${k}-deliver`, [true, 'PAY-001: delivered before payment']);
      expect(delivered).toEqual(expect.objectContaining({ state: 'delivered', closed: false }));
      const r = await h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token, headers: { 'idempotency-key': `${k}-pay-${randomUUID()}` } });
      if (r.status !== 201) throw new Error(`payment order for work order ${id}: ${r.status} ${r.text}`);
      const total = orm.sudo().model(WO).read([id], ['amount_total'])[0]!.amount_total as number;
      expect(r.body.payment_order.amount).toBe(cents(total));
      return { id, outTradeNo: r.body.payment_order.out_trade_no as string, amount: r.body.payment_order.amount as number };
    });
    expect(new Set(orders.map((o) => o.outTradeNo)).size).toBe(WORK_ORDERS);

    // The customers pay at WeChat; the platform's notifications are held back and sent by the test below.
    for (const o of orders) {
      const paid = await pay.pay(o.outTradeNo, { lose: true });
      expect(paid.deliveries).toEqual([]);
    }

    // ---------------------------------------------------------------------------------------------- 1,000 notifications
    const notificationIds = new Map(orders.map((o) => [o.outTradeNo, randomUUID()]));
    const random = prng(seed);
    const sends = orders.flatMap((o) => Array.from({ length: DELIVERIES_PER_ORDER }, () => o.outTradeNo));
    for (let i = sends.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [sends[i], sends[j]] = [sends[j]!, sends[i]!];
    }
    expect(sends).toHaveLength(WORK_ORDERS * DELIVERIES_PER_ORDER);
    const webhook = `${h.bff.url}/api/v1/webhooks/wechatpay`;
    const answers = await pool(sends, SEND_CONCURRENCY, async (outTradeNo) => {
      // Each delivery signed afresh (timestamp, nonce) around the same notification id, as WeChat retries.
      const n = pay.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: pay.transactionOf(outTradeNo), id: notificationIds.get(outTradeNo)!, summary: '支付成功' });
      const res = await fetch(webhook, { method: 'POST', headers: n.headers, body: n.body });
      return { outTradeNo, status: res.status, body: await res.text() };
    });
    const bad = answers.filter((a) => a.status < 200 || a.status > 299);
    expect({ seed, bad: bad.slice(0, 5) }).toEqual({ seed, bad: [] });

    // ---------------------------------------------------------------------------------------------- settlement drained
    const db = h.bff.container.db;
    const outboxStates = async () => (await db.query<{ state: string; n: string }>('SELECT state, count(*)::text AS n FROM settlement_outbox GROUP BY state ORDER BY state')).rows;
    await waitFor(
      'every settlement outbox row settled',
      async () => {
        const s = await outboxStates();
        return s.length === 1 && s[0]!.state === 'settled' && Number(s[0]!.n) === WORK_ORDERS;
      },
      120_000,
      async () => JSON.stringify(await outboxStates()),
    );

    // ---------------------------------------------------------------------------------------------- the ledger
    const ledger = (await db.query<{ seq: string; kind: string; amount: string; work_order_id: number | null; provider_txn_id: string | null }>('SELECT seq::text AS seq, kind, amount::text AS amount, work_order_id, provider_txn_id FROM ledger_entries ORDER BY seq')).rows;
    expect(ledger.filter((e) => e.kind !== 'charge')).toEqual([]); // no suspense, nothing else
    expect(ledger).toHaveLength(WORK_ORDERS);
    const txnOf = new Map(orders.map((o) => [o.outTradeNo, String(pay.orders.get(o.outTradeNo)!.transaction_id)]));
    expect(new Set(ledger.map((e) => e.provider_txn_id)).size).toBe(WORK_ORDERS);
    const chargeByWo = new Map(ledger.map((e) => [e.work_order_id, e]));
    for (const o of orders) {
      const e = chargeByWo.get(o.id);
      expect({ wo: o.id, amount: e && Number(e.amount), txn: e?.provider_txn_id }).toEqual({ wo: o.id, amount: o.amount, txn: txnOf.get(o.outTradeNo) });
    }
    const paidOrders = (await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM payment_orders WHERE state = 'paid'`)).rows[0]!;
    expect(Number(paidOrders.n)).toBe(WORK_ORDERS);
    const verified = await verifyLedger(db);
    expect({ ok: verified.ok, rows: verified.rows, breaks: verified.breaks.slice(0, 3) }).toEqual({ ok: true, rows: WORK_ORDERS, breaks: [] });

    // ---------------------------------------------------------------------------------------------- Odoo
    const sudo = orm.sudo();
    const ids = orders.map((o) => o.id);
    const wos = sudo.model(WO).read(ids, ['state', 'amount_total', 'amount_paid', 'amount_due', 'amount_invoiced']) as Array<{ id: number; state: string; amount_total: number; amount_paid: number; amount_due: number; amount_invoiced: number }>;
    expect(wos.filter((w) => w.state !== 'closed').map((w) => `${w.id}:${w.state}`)).toEqual([]);
    for (const w of wos) expect({ id: w.id, paid: cents(w.amount_paid), due: cents(w.amount_due) }).toEqual({ id: w.id, paid: cents(w.amount_total), due: 0 });

    const logIds = sudo.model('drmoto.wo.status.log').search([['work_order_id', 'in', ids]]);
    const logs = sudo.model('drmoto.wo.status.log').read(logIds, ['work_order_id', 'action', 'to_state']) as Array<{ work_order_id: number | [number, string]; action: string; to_state: string | false }>;
    const woOf = (v: number | [number, string] | false): number => (Array.isArray(v) ? v[0] : Number(v));
    const closedRows = new Map<number, number>();
    for (const l of logs) if (l.to_state === 'closed' || l.action === 'close') closedRows.set(woOf(l.work_order_id), (closedRows.get(woOf(l.work_order_id)) ?? 0) + 1);
    expect(ids.filter((id) => closedRows.get(id) !== 1).map((id) => `${id}:${closedRows.get(id) ?? 0}`)).toEqual([]);

    const paymentIds = sudo.model('account.payment').search([['drmoto_work_order_id', 'in', ids]]);
    const payments = sudo.model('account.payment').read(paymentIds, ['drmoto_work_order_id', 'drmoto_ledger_ref', 'amount', 'state']) as Array<{ drmoto_work_order_id: number | [number, string]; drmoto_ledger_ref: string; amount: number; state: string }>;
    expect(payments).toHaveLength(WORK_ORDERS);
    expect(new Set(payments.map((p) => p.drmoto_ledger_ref)).size).toBe(WORK_ORDERS);
    // each registers one of the ledger's charges (the settlement's reference `ledger-<installation>-<seq>`), and nothing else does
    const installation = (await h.bff.container.db.query<{ id: string }>('SELECT id FROM bff_installation')).rows[0]!.id;
    const refs = ledger.map((e) => SettlementService.names(installation, Number(e.seq)).ledgerRef);
    expect(payments.map((p) => p.drmoto_ledger_ref).sort()).toEqual([...refs].sort());
    expect(sudo.model('account.payment').search([['drmoto_ledger_ref', 'in', refs]])).toHaveLength(WORK_ORDERS);
    expect(new Set(payments.map((p) => woOf(p.drmoto_work_order_id))).size).toBe(WORK_ORDERS);

    const moveIds = sudo.model('account.move').search([['drmoto_work_order_id', 'in', ids]]);
    const moves = sudo.model('account.move').read(moveIds, ['drmoto_work_order_id', 'move_type', 'state', 'amount_total']) as Array<{ drmoto_work_order_id: number | [number, string]; move_type: string; state: string; amount_total: number }>;
    const netInvoiced = new Map<number, number>();
    for (const m of moves) {
      if (m.state !== 'posted') continue;
      const sign = m.move_type === 'out_invoice' ? 1 : m.move_type === 'out_refund' ? -1 : 0;
      netInvoiced.set(woOf(m.drmoto_work_order_id), (netInvoiced.get(woOf(m.drmoto_work_order_id)) ?? 0) + sign * cents(m.amount_total));
    }
    const totalOf = new Map(wos.map((w) => [w.id, cents(w.amount_total)]));
    expect(orders.filter((o) => netInvoiced.get(o.id) !== o.amount || totalOf.get(o.id) !== o.amount).map((o) => ({ wo: o.id, invoiced: netInvoiced.get(o.id), total: totalOf.get(o.id), paid: o.amount }))).toEqual([]);
    // no duplicate invoice: one customer invoice per work order (a single confirmed version, no credit notes needed)
    expect(moves.filter((m) => m.move_type === 'out_invoice' && m.state === 'posted')).toHaveLength(WORK_ORDERS);
  });
});
