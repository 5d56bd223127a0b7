import { GENESIS_HASH, ledgerEntryHash } from '../domain/ledger-hash';
import type { Db } from './db';
import { hashInputOf, LedgerInputError, LedgerRepository, LedgerUsageError, ledgerRef, type LedgerEntry } from './ledger';
import { randomTxnId, resetLedgerForTests, sampleCharge } from './ledger-testing';
import { verifyLedger } from './ledger-verify';
import { migrate } from './migrate';
import { createTestDb, warnSkippedOnce, type TestDb } from './testing';

const databaseUrl = process.env.DATABASE_URL;

async function allRows(repo: LedgerRepository): Promise<LedgerEntry[]> {
  return repo.listAfter(0, 10_000);
}

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
