import { readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalLedgerEntry, GENESIS_HASH, ledgerEntryHash, payloadHash, type LedgerHashInput } from '../domain/ledger-hash';
import type { Db } from './db';
import {
  hashInputOf,
  LedgerHashMismatchError,
  LedgerInputError,
  LedgerRepository,
  LedgerUsageError,
  ledgerRef,
  type LedgerEntry,
  type ReceiptInput,
} from './ledger';
import { PaymentOrderRepository } from './payment-orders';
import { randomTxnId, resetLedgerForTests, sampleCharge } from '../../test/support/ledger';
import { verifyLedger } from './ledger-verify';
import { migrate } from './migrate';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

async function allRows(repo: LedgerRepository): Promise<LedgerEntry[]> {
  return repo.listAfter(0, 10_000);
}


/** Text that stresses a JSON serializer: every C0 control, quotes, backslashes, U+007F, U+2028/9, astral, combining. */
function adversarialText(seed: number): string {
  const pool = [
    ...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)),
    '"', '\\', '/', '\u007f', '\u0080', '\u00ff', '\u2028', '\u2029', '\ufeff', '\ufffd', '😀', '𝄞', 'é', 'e\u0301', '汉字', '粤B·12345',
    "'", '<', '>', '&', '%s', '$1', ' ', 'a', 'Z', '0',
  ];
  let x = (seed % 2_147_483_646) + 1;
  const next = () => ((x = (x * 48_271) % 2_147_483_647), x); // MINSTD: reproducible, and exact in a double
  return Array.from({ length: 1 + (next() % 24) }, () => pool[next() % pool.length]).join('');
}

const MIGRATION_0012 = readFileSync(path.join(__dirname, 'migrations', '0012_ledger_append_functions.sql'), 'utf8');
/** The migration's own ledger_canonical, to restore it after a test replaced it. */
const CANONICAL_DEFINITION = MIGRATION_0012.slice(MIGRATION_0012.indexOf('CREATE FUNCTION ledger_canonical('), MIGRATION_0012.indexOf('$$;', MIGRATION_0012.indexOf('CREATE FUNCTION ledger_canonical(')) + 3).replace(
  'CREATE FUNCTION',
  'CREATE OR REPLACE FUNCTION',
);

describe('ledgerRef', () => {
  it('keys money received by transaction id, refunds by refund id, applies and reversals by the source row', () => {
    expect(ledgerRef(sampleCharge({ providerTxnId: 'T1' }))).toBe('txn:T1');
    expect(ledgerRef(sampleCharge({ kind: 'suspense', providerTxnId: 'T1' }))).toBe('txn:T1');
    expect(ledgerRef(sampleCharge({ kind: 'refund', amount: -5, providerRefundId: 'R1' }))).toBe('refund:R1');
    expect(ledgerRef(sampleCharge({ kind: 'suspense', amount: -5, providerRefundId: 'R1', sourceSeq: 3 }))).toBe('refund:R1');
    expect(ledgerRef(sampleCharge({ kind: 'suspense', amount: -5, sourceSeq: 3 }))).toBe('apply:3');
    expect(ledgerRef(sampleCharge({ sourceSeq: 3 }))).toBe('apply:3');
    expect(ledgerRef(sampleCharge({ kind: 'reversal', amount: -5, sourceSeq: 3 }))).toBe('reversal:3');
  });

  it('refuses an entry that has no reference of its kind', () => {
    expect(() => ledgerRef(sampleCharge({ kind: 'refund', amount: -5 }))).toThrow(/needs providerRefundId/);
    expect(() => ledgerRef(sampleCharge({ kind: 'reversal', amount: -5 }))).toThrow(/needs sourceSeq/);
    expect(() => ledgerRef(sampleCharge({ providerTxnId: null }))).toThrow(/needs providerTxnId/);
    expect(() => ledgerRef(sampleCharge({ providerRefundId: 'R1' }))).toThrow(LedgerInputError);
  });
});

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? `${LedgerRepository.name} (pg) — skipped: DATABASE_URL not set` : `${LedgerRepository.name} (${backend.kind})`, () => {
    let t: TestDb;
    let sut: LedgerRepository;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
      sut = new LedgerRepository(t.db);
    });

    afterAll(async () => {
      await t?.cleanup();
    });

    beforeEach(async () => {
      await resetLedgerForTests(t.db);
    });

    describe('append', () => {
      it('starts the chain at seq 1 from 64 zeros and links every row to the one before', async () => {
        const first = await sut.appendOne(sampleCharge());
        const second = await sut.appendOne(sampleCharge({ workOrderId: 43, amount: 1 }));
        expect(first).toMatchObject({ seq: 1, inserted: true, entry: { prevHash: GENESIS_HASH } });
        expect(second).toMatchObject({ seq: 2, inserted: true, entry: { prevHash: first.hash } });
        for (const row of await allRows(sut)) {
          expect(row.hash).toBe(ledgerEntryHash(hashInputOf(row)));
        }
      });

      it('returns the stored row, created_at in UTC with six fractional digits as read back from the database', async () => {
        const r = await sut.appendOne(sampleCharge({ reason: 'cash "exact"', providerEventId: 'EV1', paymentOrderId: null }));
        expect(r.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        expect(await sut.get(r.seq)).toEqual(r.entry);
        const { rows } = await t.db.query<{ same: boolean }>(`SELECT created_at = $1::timestamptz AS same FROM ledger_entries WHERE seq = $2`, [
          r.createdAt,
          r.seq,
        ]);
        expect(rows[0]?.same).toBe(true);
      });

      it('writes inside the caller’s transaction: a rollback leaves no row and the chain continues cleanly', async () => {
        await sut.appendOne(sampleCharge());
        await expect(
          t.db.transaction(async (tx) => {
            await sut.append(tx, sampleCharge());
            throw new Error('webhook failed after the append');
          }),
        ).rejects.toThrow('webhook failed');
        const next = await sut.appendOne(sampleCharge());
        expect(next.seq).toBe(2);
        expect((await verifyLedger(t.db)).ok).toBe(true);
      });

      it('returns the existing row with inserted false for the same transaction id, also when it comes back as suspense', async () => {
        const txn = randomTxnId();
        const charge = await sut.appendOne(sampleCharge({ providerTxnId: txn }));
        const again = await sut.appendOne(sampleCharge({ providerTxnId: txn, providerEventId: 'retry' }));
        const asSuspense = await sut.appendOne(sampleCharge({ kind: 'suspense', providerTxnId: txn, workOrderId: null }));
        expect(again).toEqual({ ...charge, inserted: false });
        expect(asSuspense).toEqual({ ...charge, inserted: false });
        expect(await allRows(sut)).toHaveLength(1);
      });

      it('keeps the same transaction id apart per channel', async () => {
        const txn = randomTxnId();
        await sut.appendOne(sampleCharge({ providerTxnId: txn }));
        const stripe = await sut.appendOne(sampleCharge({ providerTxnId: txn, channel: 'stripe' }));
        expect(stripe.inserted).toBe(true);
      });

      it('records a refund once per refund id', async () => {
        const charge = await sut.appendOne(sampleCharge());
        const refund = { ...sampleCharge({ kind: 'refund', amount: -2_500, providerTxnId: charge.entry.providerTxnId }), providerRefundId: '50300001' };
        const first = await sut.appendOne(refund);
        const second = await sut.appendOne({ ...refund, providerEventId: 'retry' });
        expect(first).toMatchObject({ inserted: true, entry: { ref: 'refund:50300001', amount: -2_500 } });
        expect(second).toEqual({ ...first, inserted: false });
      });

      it('applies a suspense row once: suspense −x and charge +x share apply:<seq>', async () => {
        const suspense = await sut.appendOne(sampleCharge({ kind: 'suspense', workOrderId: null, amount: 3_000 }));
        const release = sampleCharge({ kind: 'suspense', amount: -3_000, sourceSeq: suspense.seq, workOrderId: 42, actor: 'staff:9' });
        const apply = sampleCharge({ kind: 'charge', amount: 3_000, sourceSeq: suspense.seq, workOrderId: 42, actor: 'staff:9' });
        const r1 = await t.db.transaction(async (tx) => [await sut.append(tx, release), await sut.append(tx, apply)]);
        expect(r1.map((r) => [r.inserted, r.entry.ref])).toEqual([
          [true, `apply:${suspense.seq}`],
          [true, `apply:${suspense.seq}`],
        ]);
        const r2 = await t.db.transaction(async (tx) => [await sut.append(tx, release), await sut.append(tx, apply)]);
        expect(r2.map((r) => r.inserted)).toEqual([false, false]);
        expect((await sut.workOrderTotals(42)).get('CNY')).toEqual({ charge: 3_000n, refund: 0n, reversal: 0n, suspense: -3_000n, netPaid: 3_000n });
      });

      it('reverses a row once', async () => {
        const charge = await sut.appendOne(sampleCharge());
        const reversal = sampleCharge({ kind: 'reversal', amount: -10_000, sourceSeq: charge.seq, actor: 'staff:1', reason: 'chargeback' });
        expect((await sut.appendOne(reversal)).inserted).toBe(true);
        expect((await sut.appendOne(reversal)).inserted).toBe(false);
      });

      it('refuses amounts of the wrong sign, missing work orders and malformed hashes before touching the database', async () => {
        await expect(sut.appendOne(sampleCharge({ amount: -1 }))).rejects.toThrow(/charge amount must be positive/);
        await expect(sut.appendOne(sampleCharge({ kind: 'refund', amount: 5, providerRefundId: 'R' }))).rejects.toThrow(LedgerInputError);
        await expect(sut.appendOne(sampleCharge({ amount: 1.5 }))).rejects.toThrow(/safe integer/);
        await expect(sut.appendOne(sampleCharge({ workOrderId: null }))).rejects.toThrow(/needs a work order/);
        await expect(sut.appendOne(sampleCharge({ currency: 'cny' }))).rejects.toThrow(/currency/);
        await expect(sut.appendOne(sampleCharge({ payloadHash: 'abc' }))).rejects.toThrow(/payloadHash/);
        expect(await allRows(sut)).toEqual([]);
      });

      it('refuses the root handle, which would release the chain lock after each statement', async () => {
        await expect(sut.append(t.db, sampleCharge())).rejects.toThrow(LedgerUsageError);
      });

      it('refuses a REPEATABLE READ transaction, whose snapshot could predate the chain lock', async () => {
        await expect(t.db.transaction((tx) => sut.append(tx, sampleCharge()), { isolation: 'repeatable read' })).rejects.toThrow(
          /needs READ COMMITTED/,
        );
      });
    });

    describe('in the database (migration 0012)', () => {
      const canonicalSql = (e: LedgerHashInput) =>
        t.db.query<{ c: string }>(
          `SELECT ledger_canonical($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) AS c`,
          [e.seq, e.createdAt, e.kind, e.amount, e.currency, e.shopId, e.warehouseId, e.merchantAccount, e.channel, e.ref, e.providerTxnId,
            e.providerRefundId, e.providerEventId, e.sourceSeq, e.workOrderId, e.paymentOrderId, e.actor, e.reason, e.payloadHash, e.prevHash],
        );

      it('ledger_canonical writes exactly the text ledger-hash.ts hashes, for adversarial strings, nulls and extreme integers', async () => {
        for (let i = 0; i < 120; i++) {
          const e: LedgerHashInput = {
            seq: i === 0 ? Number.MAX_SAFE_INTEGER : i + 1,
            createdAt: '2031-02-28T23:59:59.000001Z',
            kind: i % 2 ? 'suspense' : 'charge',
            amount: i === 1 ? Number.MIN_SAFE_INTEGER : i % 3 ? -i * 1_000_003 : i * 7,
            currency: 'CNY',
            shopId: i === 2 ? 2_147_483_647 : i,
            warehouseId: i === 3 ? -2_147_483_648 : 1,
            merchantAccount: adversarialText(i),
            channel: 'wechat',
            ref: `txn:${adversarialText(i + 1000)}`,
            providerTxnId: adversarialText(i + 2000),
            providerRefundId: i % 4 ? null : adversarialText(i + 3000),
            providerEventId: i % 5 ? adversarialText(i + 4000) : null,
            sourceSeq: i % 6 ? null : i,
            workOrderId: i % 7 ? i : null,
            paymentOrderId: i % 8 ? null : Number.MAX_SAFE_INTEGER - i,
            actor: adversarialText(i + 5000),
            reason: i % 3 ? adversarialText(i + 6000) : null,
            payloadHash: payloadHash(String(i)),
            prevHash: i ? payloadHash(`prev${i}`) : GENESIS_HASH,
          };
          const { rows } = await canonicalSql(e);
          expect(rows[0]?.c).toBe(canonicalLedgerEntry(e));
        }
      });

      it('appends with the hash ledger-hash.ts computes, stamped after the row before it', async () => {
        const a = await sut.appendOne(sampleCharge({ reason: adversarialText(7), actor: adversarialText(8) }));
        const b = await sut.appendOne(sampleCharge({ kind: 'suspense', workOrderId: null, merchantAccount: adversarialText(9) }));
        expect(b.entry.prevHash).toBe(a.hash);
        expect(b.createdAt > a.createdAt).toBe(true);
        for (const r of [a, b]) expect(r.hash).toBe(ledgerEntryHash(hashInputOf(r.entry)));
        expect(await allRows(sut)).toEqual([a.entry, b.entry]);
        expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: 2 });
      });

      it('refuses, and does not keep, a row whose database hash ledger-hash.ts does not reproduce', async () => {
        await sut.appendOne(sampleCharge());
        // a canonical form that drifted from ledger-hash.ts (here: the reason left out)
        await t.db.exec(CANONICAL_DEFINITION.replace(`|| ',"reason":' || coalesce(to_json(p_reason)::text, 'null')`, ''));
        try {
          await expect(sut.appendOne(sampleCharge({ reason: 'drift' }))).rejects.toThrow(LedgerHashMismatchError);
          expect(await allRows(sut)).toHaveLength(1);
        } finally {
          await t.db.exec(CANONICAL_DEFINITION);
        }
        expect((await sut.appendOne(sampleCharge({ reason: 'fixed' }))).seq).toBe(2);
        expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: 2 });
      });
    });

    describe('recordReceipt', () => {
      let orders: PaymentOrderRepository;
      let n = 0;
      const open = async (over: { channel?: 'wechat' | 'stripe'; amount?: number; providerOrderRef?: string } = {}) => {
        n += 1;
        const created = await t.db.transaction((tx) =>
          orders.createOpen(tx, {
            outTradeNo: `RCPT${String(n).padStart(8, '0')}`,
            workOrderId: 500 + n,
            shopId: 3,
            warehouseId: 4,
            merchantAccount: '1900000109',
            channel: over.channel ?? 'wechat',
            amount: over.amount ?? 2_500,
            currency: 'CNY',
            timeExpire: new Date(Date.now() + 3_600_000),
          }),
        );
        if (over.providerOrderRef) await orders.setProviderRef(created.order.outTradeNo, over.providerOrderRef);
        return created.order;
      };
      const receipt = (outTradeNo: string, over: Partial<ReceiptInput> = {}): ReceiptInput => ({
        channel: 'wechat',
        outTradeNo,
        txnId: randomTxnId(),
        amount: 2_500,
        currency: 'CNY',
        merchantAccount: '1900000109',
        actor: 'system:wechatpay-notify',
        payloadHash: payloadHash(outTradeNo),
        ...over,
      });
      const outboxRows = async () =>
        (await t.db.query<{ ledger_seq: number; work_order_id: number; kind: string; state: string }>('SELECT ledger_seq, work_order_id, kind, state FROM settlement_outbox ORDER BY id')).rows;

      beforeAll(() => {
        orders = new PaymentOrderRepository(t.db);
      });

      it('records a known open order’s payment once: a charge, the order paid, one outbox row; a retry adds nothing', async () => {
        const order = await open();
        const paidAt = new Date('2031-03-01T08:00:00.000Z');
        const r = await sut.recordReceipt(receipt(order.outTradeNo, { txnId: 'T-ONE', paidAt }));
        expect(r).toMatchObject({ outcome: 'charged', anomaly: null, seq: 1, outboxId: expect.any(Number) });
        expect(r.outcome !== 'duplicate' && r.entry).toMatchObject({
          kind: 'charge', amount: 2_500, shopId: 3, warehouseId: 4, workOrderId: order.workOrderId, paymentOrderId: order.id, ref: 'txn:T-ONE',
        });
        expect(await orders.get(order.outTradeNo)).toMatchObject({ state: 'paid', paidLedgerSeq: 1, paidAt });
        expect(await outboxRows()).toEqual([{ ledger_seq: 1, work_order_id: order.workOrderId, kind: 'charge', state: 'pending' }]);
        expect(await sut.recordReceipt(receipt(order.outTradeNo, { txnId: 'T-ONE' }))).toEqual({ outcome: 'duplicate', anomaly: null });
        expect(await allRows(sut)).toHaveLength(1);
        expect(await outboxRows()).toHaveLength(1);
        expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: 1 });
      });

      it('puts money no order explains in suspense, attributed where an order is known, without paying the order; another amount retires it', async () => {
        const paid = await open();
        await sut.recordReceipt(receipt(paid.outTradeNo));
        const short = await open();
        const closed = await open();
        await orders.close(closed.outTradeNo, 'test');
        const stripeOrder = await open({ channel: 'stripe' });
        const intentOrder = await open({ channel: 'stripe', providerOrderRef: 'pi_theirs' });
        const cases: Array<[ReceiptInput, RegExp, number | null]> = [
          [receipt('RCPT99999999'), /^unknown wechat out_trade_no "RCPT99999999"$/, null],
          [receipt(stripeOrder.outTradeNo), /^unknown wechat out_trade_no/, null],
          [receipt(short.outTradeNo, { amount: 2_499 }), /amount 2499 CNY differs from the order's 2500 CNY/, short.workOrderId],
          [receipt(short.outTradeNo, { currency: 'USD' }), /amount 2500 USD differs/, short.workOrderId],
          [receipt(paid.outTradeNo), /was already paid \(ledger seq 1\)/, paid.workOrderId],
          [receipt(closed.outTradeNo), /is closed/, closed.workOrderId],
          [receipt(intentOrder.outTradeNo, { channel: 'stripe', txnId: 'pi_other', merchantAccount: null, providerOrderRef: 'pi_other' }), /pi_other is not order .* \(pi_theirs\)/, intentOrder.workOrderId],
        ];
        for (const [input, reason, workOrderId] of cases) {
          const r = await sut.recordReceipt(input);
          expect(r).toMatchObject({ outcome: 'suspense', anomaly: expect.stringMatching(reason) });
          expect(r.outcome !== 'duplicate' && r.entry).toMatchObject({ kind: 'suspense', amount: input.amount, workOrderId, reason: r.anomaly });
          expect(await sut.recordReceipt(input)).toMatchObject({ outcome: 'duplicate' });
        }
        // The provider was paid for it (another amount): retired, so the next payment opens a new order (issue 15.3).
        expect(await orders.get(short.outTradeNo)).toMatchObject({ state: 'closed', closeReason: expect.stringMatching(/^paid 2499 CNY at the provider: suspense/) });
        expect((await orders.get(stripeOrder.outTradeNo))?.state).toBe('open');
        expect((await orders.get(intentOrder.outTradeNo))?.state).toBe('open');
        expect(await outboxRows()).toHaveLength(1);
        // a Stripe receipt takes the order's merchant account when none is given
        const ok = await sut.recordReceipt(receipt(stripeOrder.outTradeNo, { channel: 'stripe', txnId: 'pi_ok', merchantAccount: null }));
        expect(ok.outcome !== 'duplicate' && ok.entry).toMatchObject({ kind: 'charge', channel: 'stripe', merchantAccount: '1900000109' });
        expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: cases.length + 2 });
      });

      it('records receipts that arrive together in one batched statement, each exactly as if alone, in arrival order', async () => {
        const seen: string[] = [];
        const spy: Db = Object.assign(Object.create(t.db) as Db, {
          query: (sql: string, params?: unknown[], o?: { prepare?: string }) => {
            seen.push(sql);
            return t.db.query(sql, params, o);
          },
        });
        const repo = new LedgerRepository(spy, { receiptConcurrency: 1 });
        const a = await open();
        const b = await open();
        const c = await open();
        const d = await open();
        const inputs = [
          receipt(a.outTradeNo, { txnId: 'B-1' }), // goes alone
          receipt(b.outTradeNo, { txnId: 'B-2', paidAt: new Date('2031-05-01T10:00:00.000Z') }), // these wait and go together
          receipt(b.outTradeNo, { txnId: 'B-2' }),
          receipt(b.outTradeNo, { txnId: 'B-3' }),
          receipt(c.outTradeNo, { txnId: 'B-4', amount: 1 }), // another amount: suspense, and the order is retired
          receipt('RCPT99999998', { txnId: 'B-5' }),
          receipt(d.outTradeNo, { txnId: 'B-6' }),
          receipt(c.outTradeNo, { txnId: 'B-7' }), // the retired order: suspense
        ];
        const results = await Promise.all(inputs.map((r) => repo.recordReceipt(r)));
        expect(results.map((r) => r.outcome)).toEqual(['charged', 'charged', 'duplicate', 'suspense', 'suspense', 'suspense', 'charged', 'suspense']);
        expect(results.map((r) => (r.outcome === 'duplicate' ? null : r.seq))).toEqual([1, 2, null, 3, 4, 5, 6, 7]);
        expect(results[7]).toMatchObject({ anomaly: expect.stringMatching(/is closed/) });
        expect(seen.filter((sql) => sql.includes('payment_record_receipts('))).toHaveLength(1);
        expect(seen.filter((sql) => sql.includes('payment_record_receipt('))).toHaveLength(1);
        expect(await orders.get(b.outTradeNo)).toMatchObject({ state: 'paid', paidLedgerSeq: 2, paidAt: new Date('2031-05-01T10:00:00.000Z') });
        expect((await outboxRows()).map((o) => o.ledger_seq)).toEqual([1, 2, 6]);
        expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: 7 });
      });

      it('records the rest of a batch when the database refuses one of its items, which alone fails', async () => {
        const repo = new LedgerRepository(t.db, { receiptConcurrency: 1 });
        const orderA = await open();
        const orderB = await open();
        const first = repo.recordReceipt(receipt(orderA.outTradeNo, { txnId: 'F-0' }));
        const batch = Promise.allSettled([
          repo.recordReceipt(receipt(orderB.outTradeNo, { txnId: 'F-1' })),
          repo.recordReceipt(receipt(orderB.outTradeNo, { txnId: 'F-\u0000' })), // text can't hold NUL
          repo.recordReceipt(receipt(orderA.outTradeNo, { txnId: 'F-0' })),
        ]);
        expect(await first).toMatchObject({ outcome: 'charged' });
        const [ok, bad, dup] = await batch;
        expect(ok).toMatchObject({ status: 'fulfilled', value: { outcome: 'charged' } });
        expect(bad.status).toBe('rejected');
        expect(dup).toMatchObject({ status: 'fulfilled', value: { outcome: 'duplicate' } });
        expect(await allRows(sut)).toHaveLength(2);
        expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: 2 });
      });

      it('refuses malformed input before touching the database', async () => {
        const order = await open();
        await expect(sut.recordReceipt(receipt(order.outTradeNo, { amount: 0 }))).rejects.toThrow(LedgerInputError);
        await expect(sut.recordReceipt(receipt(order.outTradeNo, { txnId: '' }))).rejects.toThrow(LedgerInputError);
        await expect(sut.recordReceipt(receipt(order.outTradeNo, { currency: 'cny' }))).rejects.toThrow(/currency/);
        await expect(sut.recordReceipt(receipt(order.outTradeNo, { payloadHash: 'x' }))).rejects.toThrow(/payloadHash/);
        expect(await allRows(sut)).toEqual([]);
      });

      if (backend.kind === 'pg') {
        it('on separate pools: one transaction reported 20 times is one charge; two transactions for one order are a charge and suspense', async () => {
          const pools = await Promise.all(Array.from({ length: 4 }, () => t.openAnother()));
          try {
            const order = await open();
            const same = receipt(order.outTradeNo);
            const results = await Promise.all(Array.from({ length: 20 }, (_, i) => new LedgerRepository(pools[i % 4]!).recordReceipt(same)));
            expect(results.filter((r) => r.outcome === 'charged')).toHaveLength(1);
            expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(19);

            const other = await open();
            const two = await Promise.all([0, 1].map((i) => new LedgerRepository(pools[i]!).recordReceipt(receipt(other.outTradeNo))));
            expect(two.map((r) => r.outcome).sort()).toEqual(['charged', 'suspense']);
            expect(await outboxRows()).toHaveLength(2);
            expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: 3 });
          } finally {
            await Promise.all(pools.map((p) => p.close()));
          }
        });
      }
    });

    describe('append-only', () => {
      it('rejects UPDATE, DELETE and TRUNCATE with the trigger’s message, even for the owner', async () => {
        const r = await sut.appendOne(sampleCharge());
        await expect(t.db.query('UPDATE ledger_entries SET amount = 1 WHERE seq = $1', [r.seq])).rejects.toThrow(
          'ledger_entries is append-only: UPDATE is not allowed',
        );
        await expect(t.db.query('DELETE FROM ledger_entries WHERE seq = $1', [r.seq])).rejects.toThrow(
          'ledger_entries is append-only: DELETE is not allowed',
        );
        await expect(t.db.query('TRUNCATE ledger_entries CASCADE')).rejects.toThrow('ledger_entries is append-only: TRUNCATE is not allowed');
        expect(await sut.get(r.seq)).toEqual(r.entry);
      });

      it('refuses a raw INSERT that does not link to the chain head', async () => {
        const r = await sut.appendOne(sampleCharge());
        const forged = { ...r.entry, seq: 2, ref: 'txn:forged', providerTxnId: 'forged', prevHash: 'f'.repeat(64), hash: 'e'.repeat(64) };
        await expect(
          t.db.query(
            `INSERT INTO ledger_entries (seq, created_at, kind, amount, currency, shop_id, warehouse_id, merchant_account, channel, ref,
               provider_txn_id, work_order_id, actor, payload_hash, prev_hash, hash)
             VALUES ($1, now(), 'charge', 1, 'CNY', 1, 1, 'm', 'wechat', $2, $3, 42, 'x', $4, $5, $6)`,
            [forged.seq, forged.ref, forged.providerTxnId, forged.payloadHash, forged.prevHash, forged.hash],
          ),
        ).rejects.toThrow(/does not follow the chain head/);
      });

      it('refuses a reference that does not match its kind (the CHECK behind ledgerRef)', async () => {
        const r = await sut.appendOne(sampleCharge());
        await expect(
          t.db.query(
            `INSERT INTO ledger_entries (seq, created_at, kind, amount, currency, shop_id, warehouse_id, merchant_account, channel, ref,
               provider_txn_id, work_order_id, actor, payload_hash, prev_hash, hash)
             VALUES (2, now(), 'charge', 1, 'CNY', 1, 1, 'm', 'wechat', 'txn:other', 'T2', 42, 'x', $1, $2, $3)`,
            [r.entry.payloadHash, r.hash, 'e'.repeat(64)],
          ),
        ).rejects.toMatchObject({ code: '23514', constraint: 'ledger_entries_ref_check' });
      });
    });

    describe('reads', () => {
      it('lists a work order’s rows, finds a receipt by transaction id and sums per currency', async () => {
        const a = await sut.appendOne(sampleCharge({ workOrderId: 7, amount: 10_000 }));
        await sut.appendOne(sampleCharge({ workOrderId: 7, amount: 500, currency: 'USD', channel: 'stripe' }));
        await sut.appendOne({ ...sampleCharge({ workOrderId: 7, kind: 'refund', amount: -2_000 }), providerRefundId: 'R7' });
        await sut.appendOne(sampleCharge({ workOrderId: 8 }));
        expect((await sut.listByWorkOrder(7)).map((e) => e.amount)).toEqual([10_000, 500, -2_000]);
        expect(await sut.findReceipt('wechat', a.entry.providerTxnId ?? '')).toEqual(a.entry);
        expect(await sut.findReceipt('stripe', a.entry.providerTxnId ?? '')).toBeUndefined();
        const totals = await sut.workOrderTotals(7);
        expect(Object.fromEntries(totals)).toEqual({
          CNY: { charge: 10_000n, refund: -2_000n, reversal: 0n, suspense: 0n, netPaid: 8_000n },
          USD: { charge: 500n, refund: 0n, reversal: 0n, suspense: 0n, netPaid: 500n },
        });
        expect(await sut.head()).toEqual({ seq: 4, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      });
    });

    if (backend.kind === 'pg') {
      describe('concurrency (separate pools, as separate BFF processes)', () => {
        let pools: Db[];

        beforeAll(async () => {
          pools = await Promise.all(Array.from({ length: 5 }, () => t.openAnother()));
        });

        it('serializes 50 concurrent appends into seq 1..50 with no gap or fork', async () => {
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) => new LedgerRepository(pools[i % pools.length]!).appendOne(sampleCharge({ workOrderId: 100 + i }))),
          );
          expect(results.every((r) => r.inserted)).toBe(true);
          expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
          const verified = await verifyLedger(t.db);
          expect(verified).toMatchObject({ ok: true, rows: 50, breaks: [] });
        });

        it('records a transaction id reported by 20 concurrent callers exactly once', async () => {
          const txn = randomTxnId();
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              new LedgerRepository(pools[i % pools.length]!).appendOne(
                sampleCharge({ providerTxnId: txn, kind: i % 2 ? 'charge' : 'suspense', workOrderId: i % 2 ? 42 : null }),
              ),
            ),
          );
          expect(results.filter((r) => r.inserted)).toHaveLength(1);
          expect(new Set(results.map((r) => r.seq))).toEqual(new Set([results[0]!.seq]));
          const { rows } = await t.db.query<{ n: number }>(`SELECT count(*) AS n FROM ledger_entries WHERE provider_txn_id = $1`, [txn]);
          expect(rows[0]?.n).toBe(1);
        });
      });
    }
  });
}
