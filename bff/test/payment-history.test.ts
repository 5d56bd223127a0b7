import { GENESIS_HASH, ledgerEntryHash } from '../src/domain/ledger-hash';
import type { Db } from '../src/store/db';
import { hashInputOf, LEDGER_LOCK_CLASS, ledgerRef, type LedgerEntry, type LedgerEntryInput } from '../src/store/ledger';
import { sampleCharge } from './support/ledger';
import { verifyLedger } from '../src/store/ledger-verify';
import { startHarness, expectProblem, type Harness } from './harness';

/**
 * A ledger row stamped with a chosen instant (the repository stamps clock_timestamp()), chained and hashed exactly as
 * LedgerRepository.append does, so the day boundaries of the shop's zone can be placed on purpose.
 */
async function appendAt(db: Db, createdAt: string, input: LedgerEntryInput): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [LEDGER_LOCK_CLASS]);
    const head = (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1')).rows[0];
    const e: Omit<LedgerEntry, 'hash'> = {
      seq: (head?.seq ?? 0) + 1,
      createdAt,
      kind: input.kind,
      amount: input.amount,
      currency: input.currency,
      shopId: input.shopId,
      warehouseId: input.warehouseId,
      merchantAccount: input.merchantAccount,
      channel: input.channel,
      ref: ledgerRef(input),
      providerTxnId: input.providerTxnId ?? null,
      providerRefundId: input.providerRefundId ?? null,
      providerEventId: null,
      sourceSeq: input.sourceSeq ?? null,
      workOrderId: input.workOrderId ?? null,
      paymentOrderId: null,
      actor: input.actor,
      reason: input.reason ?? null,
      payloadHash: input.payloadHash,
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    await tx.query(
      `INSERT INTO ledger_entries (seq, created_at, kind, amount, currency, shop_id, warehouse_id, merchant_account, channel, ref,
         provider_txn_id, provider_refund_id, source_seq, work_order_id, actor, reason, payload_hash, prev_hash, hash)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [e.seq, e.createdAt, e.kind, e.amount, e.currency, e.shopId, e.warehouseId, e.merchantAccount, e.channel, e.ref, e.providerTxnId, e.providerRefundId, e.sourceSeq, e.workOrderId, e.actor, e.reason, e.payloadHash, e.prevHash, ledgerEntryHash(hashInputOf(e))],
    );
    return e.seq;
  });
}

/**
 * Payment history (GET /payments) and the payments report (GET /reports/payments) over a ledger seeded around the
 * day boundary of Asia/Shanghai (UTC+8). Seeded rows (amounts in fen), with their local day:
 *   #1 charge  wechat   15000 A1  2031-03-14T15:30Z  14 Mar 23:30
 *   #2 charge  wechat   20000 B1  2031-03-14T16:30Z  15 Mar 00:30
 *   #3 charge  offline   5000 A2  2031-03-15T02:00Z  15 Mar 10:00
 *   #4 refund  wechat   -3000 A1  2031-03-15T03:00Z  15 Mar 11:00
 *   #5 suspense wechat    999 —   2031-03-15T04:00Z  15 Mar 12:00
 *   #6 reversal offline -5000 A2  2031-03-15T05:00Z  15 Mar 13:00  (of #3)
 *   #7 charge  wechat    8800 X   2031-03-15T06:00Z  15 Mar 14:00  shop 2
 *   #8 charge  stripe    7000 B1  2031-03-15T16:00Z  16 Mar 00:00  (after the range)
 * plus #0 charge wechat 1000 A1 at 2031-03-13T15:59:59.999999Z (13 Mar 23:59:59.999999, before the range), first.
 * Customer A owns A1 and A2, customer B owns B1.
 */
describe('payment history and the payments report (from the ledger)', () => {
  let h: Harness;
  const tok: Record<string, string> = {};
  let custA: string;
  let custB: string;
  const wo: Record<string, number> = {};
  const seq: Record<string, number> = {};
  const txn: Record<string, string> = {};

  const get = (path: string, token: string, headers: Record<string, string> = {}) => h.req('GET', `/api/v1${path}`, { token, headers });

  async function ownWorkOrder(token: string, customerId: number, plate: string): Promise<number> {
    const v = await h.req('POST', '/api/v1/vehicles', { token, body: { plate_no: plate } });
    const r = await h.req('POST', '/api/v1/work-orders', { token: tok.advisor, body: { customer_id: customerId, vehicle_id: v.body.id } });
    expect(r.status).toBe(201);
    return r.body.id as number;
  }

  beforeAll(async () => {
    // PGlite in `npm test`; PostgreSQL too when DATABASE_URL is set (CI): the SQL must hold on both.
    h = await startHarness(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
    for (const login of ['advisor', 'technician', 'keeper', 'cashier', 'manager']) tok[login] = await h.staffToken(login);
    const a = await h.customerLogin('hist-a', 'phone-13800001001');
    const b = await h.customerLogin('hist-b', 'phone-13800001002');
    [custA, custB] = [a.access_token, b.access_token];
    wo.A1 = await ownWorkOrder(custA, a.user.customer_id as number, '粤H10001');
    wo.A2 = await ownWorkOrder(custA, a.user.customer_id as number, '粤H10002');
    wo.B1 = await ownWorkOrder(custB, b.user.customer_id as number, '粤H20001');
    const db = h.bff.container.db;
    const add = async (name: string, at: string, over: Partial<LedgerEntryInput>) => {
      const input = sampleCharge({ shopId: 1, ...over });
      txn[name] = input.providerTxnId ?? input.providerRefundId ?? '';
      seq[name] = await appendAt(db, at, input);
    };
    await add('r0', '2031-03-13T15:59:59.999999Z', { amount: 1000, workOrderId: wo.A1 });
    await add('r1', '2031-03-14T15:30:00.000000Z', { amount: 15000, workOrderId: wo.A1 });
    await add('r2', '2031-03-14T16:30:00.000000Z', { amount: 20000, workOrderId: wo.B1 });
    await add('r3', '2031-03-15T02:00:00.000000Z', { amount: 5000, workOrderId: wo.A2, channel: 'offline', merchantAccount: 'till-1', providerTxnId: 'CASH-20310315-0001', actor: 'staff:5' });
    await add('r4', '2031-03-15T03:00:00.000000Z', { kind: 'refund', amount: -3000, workOrderId: wo.A1, providerTxnId: null, providerRefundId: '50300001234567890123' });
    await add('r5', '2031-03-15T04:00:00.000000Z', { kind: 'suspense', amount: 999, workOrderId: null, reason: 'unknown out_trade_no' });
    await add('r6', '2031-03-15T05:00:00.000000Z', { kind: 'reversal', amount: -5000, workOrderId: wo.A2, channel: 'offline', merchantAccount: 'till-1', providerTxnId: null, sourceSeq: seq.r3, actor: 'staff:6', reason: 'keyed twice' });
    await add('r7', '2031-03-15T06:00:00.000000Z', { amount: 8800, workOrderId: 999_001, shopId: 2 });
    await add('r8', '2031-03-15T16:00:00.000000Z', { amount: 7000, workOrderId: wo.B1, channel: 'stripe', merchantAccount: 'acct_1', providerTxnId: 'pi_3OabcdefGHIJKLmn' });
    // The seeded rows form a valid chain: the helper hashes exactly as the repository does.
    expect((await verifyLedger(db)).ok).toBe(true);
  });
  afterAll(async () => {
    await h.close();
  });

  const ids = (r: { body: { items: { id: number }[] } }) => r.body.items.map((i) => i.id);
  const names = (...ns: string[]) => ns.map((n) => seq[n]);

  describe('GET /payments (customers)', () => {
    it('a customer sees only their own work orders\' charges, refunds and reversals, newest first, references masked', async () => {
      const r = await get('/payments', custA);
      expect(r.status).toBe(200);
      expect(ids(r)).toEqual(names('r6', 'r4', 'r3', 'r1', 'r0'));
      expect(r.body.next_cursor).toBeNull();
      const refund = r.body.items[1];
      expect(refund).toEqual({
        id: seq.r4,
        at: '2031-03-15T03:00:00.000000Z',
        kind: 'refund',
        channel: 'wechat',
        amount: -3000,
        currency: 'CNY',
        shop_id: 1,
        work_order: { id: wo.A1, number: expect.stringMatching(/^WO\//) },
        out_trade_no: null,
        provider_ref: '****123456'.replace('123456', txn.r4!.slice(-6)),
      });
      expect(r.body.items[2].provider_ref).toBe(`****${txn.r3!.slice(-6)}`);
      // no staff-only fields, and no full provider reference anywhere
      for (const i of r.body.items) {
        expect(i).not.toHaveProperty('actor');
        expect(i).not.toHaveProperty('reason');
      }
      expect(r.text).not.toContain(txn.r1!);
      const b = await get('/payments', custB);
      expect(ids(b)).toEqual(names('r8', 'r2'));
    });

    it('filters: work order, channel, kind, dates in the shop\'s zone; suspense is never shown to customers', async () => {
      expect(ids(await get(`/payments?work_order_id=${wo.A2}`, custA))).toEqual(names('r6', 'r3'));
      expect(ids(await get('/payments?channel=wechat', custA))).toEqual(names('r4', 'r1', 'r0'));
      expect(ids(await get('/payments?kind=refund,reversal', custA))).toEqual(names('r6', 'r4'));
      expect(ids(await get('/payments?kind=suspense', custA))).toEqual([]);
      expect(ids(await get('/payments?from=2031-03-14&to=2031-03-14', custA))).toEqual(names('r1'));
      expect(ids(await get('/payments?from=2031-03-15&to=2031-03-16', custB))).toEqual(names('r8', 'r2'));
    });

    it("someone else's work order → 404; a shop filter → 403; an unbound customer → 403", async () => {
      expectProblem(await get(`/payments?work_order_id=${wo.B1}`, custA), 404);
      expectProblem(await get('/payments?shop_id=1', custA), 403);
      const unbound = await h.customerLogin('hist-unbound');
      expectProblem(await get('/payments', unbound.access_token), 403, 'PHONE_NOT_BOUND');
    });
  });

  describe('GET /payments (staff)', () => {
    it('cashier: the shop\'s ledger with full references, actor and reason; other shops\' rows excluded', async () => {
      const r = await get('/payments', tok.cashier!);
      expect(ids(r)).toEqual(names('r8', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0'));
      const rev = r.body.items[1];
      expect(rev).toEqual(expect.objectContaining({ kind: 'reversal', amount: -5000, channel: 'offline', provider_ref: null, actor: 'staff:6', reason: 'keyed twice', work_order: { id: wo.A2, number: expect.any(String) } }));
      expect(r.body.items[3].provider_ref).toBe(txn.r4);
      expect(r.body.items[2]).toEqual(expect.objectContaining({ kind: 'suspense', work_order: null, reason: 'unknown out_trade_no' }));
    });

    it('filters combine: channel, kind, work order and a local date range', async () => {
      expect(ids(await get('/payments?channel=wechat&kind=charge', tok.cashier!))).toEqual(names('r2', 'r1', 'r0'));
      expect(ids(await get(`/payments?work_order_id=${wo.B1}`, tok.manager!))).toEqual(names('r8', 'r2'));
      expect(ids(await get('/payments?from=2031-03-15&to=2031-03-15', tok.cashier!))).toEqual(names('r6', 'r5', 'r4', 'r3', 'r2'));
      expect(ids(await get('/payments?to=2031-03-14', tok.cashier!))).toEqual(names('r1', 'r0'));
      expect(ids(await get('/payments?from=2031-03-16&kind=charge&channel=stripe&channel=wechat', tok.cashier!))).toEqual(names('r8'));
    });

    it('keyset pages: limit bounds each page, next_cursor walks every row exactly once', async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: Awaited<ReturnType<typeof get>> = await get(`/payments?limit=3${cursor ? `&cursor=${cursor}` : ''}`, tok.cashier!);
        expect(r.status).toBe(200);
        expect(r.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...ids(r));
        cursor = r.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(names('r8', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0'));
      // a page that ends exactly at the last row says so
      const two = await get('/payments?limit=2&channel=stripe,offline', tok.cashier!);
      expect(ids(two)).toEqual(names('r8', 'r6'));
      const rest = await get(`/payments?limit=2&channel=stripe,offline&cursor=${two.body.next_cursor}`, tok.cashier!);
      expect(ids(rest)).toEqual(names('r3'));
      expect(rest.body.next_cursor).toBeNull();
    });

    it('roles: advisor, technician and keeper → 403; another shop → 403', async () => {
      for (const login of ['advisor', 'technician', 'keeper']) expectProblem(await get('/payments', tok[login]!), 403);
      expectProblem(await get('/payments?shop_id=2', tok.cashier!), 403);
    });

    it.each([
      ['limit=0', 'query.limit'],
      ['limit=101', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['kind=gift', 'query.kind.0'],
      ['channel=alipay', 'query.channel.0'],
      ['channel=', 'query.channel'],
      ['from=2031-02-29', 'query.from'],
      ['from=2031-03-15&to=2031-03-14', 'query.from'],
      ['cursor=not-a-cursor', 'query.cursor'],
      [`cursor=${Buffer.from('p1.-4').toString('base64url')}`, 'query.cursor'],
      ['work_order_id=0', 'query.work_order_id'],
      ['status=paid', 'query'],
    ])('%s → 400 problem+json', async (qs, path) => {
      const r = await get(`/payments?${qs}`, tok.cashier!);
      expectProblem(r, 400);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });
  });

  describe('GET /reports/payments', () => {
    const zero = { charges_count: 0, charges_amount: 0, refunds_count: 0, refunds_amount: 0, reversals_amount: 0, net_amount: 0, suspense_amount: 0 };

    it('totals by local day and channel, by channel, by day; charges, refunds, reversals, net; suspense apart', async () => {
      const r = await get('/reports/payments?from=2031-03-14&to=2031-03-15', tok.cashier!);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        report: 'payments',
        shop: { id: 1, name: 'DrMoto Demo Shop', tz: 'Asia/Shanghai', currency: 'CNY' },
        from: '2031-03-14',
        to: '2031-03-15',
        rows: [
          { day: '2031-03-14', channel: 'wechat', currency: 'CNY', ...zero, charges_count: 1, charges_amount: 15000, net_amount: 15000 },
          { day: '2031-03-15', channel: 'offline', currency: 'CNY', ...zero, charges_count: 1, charges_amount: 5000, reversals_amount: 5000, net_amount: 0 },
          { day: '2031-03-15', channel: 'wechat', currency: 'CNY', ...zero, charges_count: 1, charges_amount: 20000, refunds_count: 1, refunds_amount: 3000, net_amount: 17000, suspense_amount: 999 },
        ],
        by_channel: [
          { channel: 'offline', currency: 'CNY', ...zero, charges_count: 1, charges_amount: 5000, reversals_amount: 5000, net_amount: 0 },
          { channel: 'wechat', currency: 'CNY', ...zero, charges_count: 2, charges_amount: 35000, refunds_count: 1, refunds_amount: 3000, net_amount: 32000, suspense_amount: 999 },
        ],
        by_day: [
          { day: '2031-03-14', currency: 'CNY', ...zero, charges_count: 1, charges_amount: 15000, net_amount: 15000 },
          { day: '2031-03-15', currency: 'CNY', ...zero, charges_count: 2, charges_amount: 25000, refunds_count: 1, refunds_amount: 3000, reversals_amount: 5000, net_amount: 17000, suspense_amount: 999 },
        ],
        totals: [{ currency: 'CNY', ...zero, charges_count: 3, charges_amount: 40000, refunds_count: 1, refunds_amount: 3000, reversals_amount: 5000, net_amount: 32000, suspense_amount: 999 }],
      });
    });

    it('the last microsecond of a local day and local midnight fall on their own days', async () => {
      const d13 = await get('/reports/payments?from=2031-03-13&to=2031-03-13', tok.manager!);
      expect(d13.body.totals).toEqual([{ currency: 'CNY', ...zero, charges_count: 1, charges_amount: 1000, net_amount: 1000 }]);
      const d16 = await get('/reports/payments?from=2031-03-16&to=2031-03-16', tok.manager!);
      expect(d16.body.rows).toEqual([{ day: '2031-03-16', channel: 'stripe', currency: 'CNY', ...zero, charges_count: 1, charges_amount: 7000, net_amount: 7000 }]);
      const none = await get('/reports/payments?from=2031-04-01&to=2031-04-30', tok.manager!);
      expect(none.body).toEqual(expect.objectContaining({ rows: [], by_channel: [], by_day: [], totals: [] }));
    });

    it('as CSV (Accept: text/csv): header row, one row per day and channel, signed integers in minor units', async () => {
      const r = await get('/reports/payments?from=2031-03-14&to=2031-03-15', tok.cashier!, { accept: 'text/csv' });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(r.headers.get('content-disposition')).toBe('attachment; filename="payments_1_2031-03-14_2031-03-15.csv"');
      expect(r.text).toBe(
        [
          'day,channel,currency,charges_count,charges_amount,refunds_count,refunds_amount,reversals_amount,net_amount,suspense_amount',
          '2031-03-14,wechat,CNY,1,15000,0,0,0,15000,0',
          '2031-03-15,offline,CNY,1,5000,0,0,5000,0,0',
          '2031-03-15,wechat,CNY,1,20000,1,3000,0,17000,999',
          '',
        ].join('\r\n'),
      );
      // JSON stays the default, also for Accept: */* and for a browser's Accept
      expect((await get('/reports/payments?from=2031-03-14&to=2031-03-15', tok.cashier!, { accept: '*/*' })).headers.get('content-type')).toMatch(/^application\/json/);
      expect((await get('/reports/payments?from=2031-03-14&to=2031-03-15', tok.cashier!, { accept: 'text/html,application/xhtml+xml' })).headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('roles: cashier and manager only (advisor, keeper, technician, customers → 403)', async () => {
      for (const t of [tok.advisor!, tok.keeper!, tok.technician!, custA]) expectProblem(await get('/reports/payments?from=2031-03-14&to=2031-03-15', t), 403);
    });
  });
});
