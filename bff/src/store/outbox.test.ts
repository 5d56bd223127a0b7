import { LedgerRepository } from './ledger';
import { resetLedgerForTests, sampleCharge } from '../../test/support/ledger';
import { migrate } from './migrate';
import { OutboxMismatchError, SettlementOutboxRepository } from './outbox';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(
    skip ? `${SettlementOutboxRepository.name} (pg) — skipped: DATABASE_URL not set` : `${SettlementOutboxRepository.name} (${backend.kind})`,
    () => {
      let t: TestDb;
      let ledger: LedgerRepository;
      let sut: SettlementOutboxRepository;

      /** A charge and its outbox row, committed together as the webhook does. */
      const settle = (workOrderId = 42) =>
        t.db.transaction(async (tx) => {
          const appended = await ledger.append(tx, sampleCharge({ workOrderId }));
          return sut.enqueue(tx, appended.seq, workOrderId, 'charge');
        });

      beforeAll(async () => {
        t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
        await migrate(t.db);
        ledger = new LedgerRepository(t.db);
        sut = new SettlementOutboxRepository(t.db, { baseDelayMs: 1_000, maxDelayMs: 4_000 });
      });

      afterAll(async () => {
        await t?.cleanup();
      });

      beforeEach(async () => {
        await resetLedgerForTests(t.db);
      });

      describe('constructor', () => {
        it('refuses a base delay longer than the maximum', () => {
          expect(() => new SettlementOutboxRepository(t.db, { baseDelayMs: 10, maxDelayMs: 5 })).toThrow(RangeError);
        });
      });

      describe('enqueue', () => {
        it('enqueues a ledger row once, in the append’s transaction', async () => {
          const first = await settle();
          expect(first).toMatchObject({ inserted: true, entry: { ledgerSeq: 1, workOrderId: 42, kind: 'charge', state: 'pending', attempts: 0 } });
          const again = await t.db.transaction((tx) => sut.enqueue(tx, 1, 42, 'charge'));
          expect(again).toEqual({ entry: first.entry, inserted: false });
        });

        it('rolls back with the ledger row', async () => {
          await expect(
            t.db.transaction(async (tx) => {
              const appended = await ledger.append(tx, sampleCharge());
              await sut.enqueue(tx, appended.seq, 42, 'charge');
              throw new Error('boom');
            }),
          ).rejects.toThrow('boom');
          expect(await sut.pending()).toEqual([]);
        });

        it('refuses a ledger row of another work order or kind, or none at all', async () => {
          const appended = await ledger.appendOne(sampleCharge({ workOrderId: 42 }));
          await expect(t.db.transaction((tx) => sut.enqueue(tx, appended.seq, 43, 'charge'))).rejects.toThrow(OutboxMismatchError);
          await expect(t.db.transaction((tx) => sut.enqueue(tx, appended.seq, 42, 'refund'))).rejects.toThrow(/is not a refund of work order 42/);
          await expect(t.db.transaction((tx) => sut.enqueue(tx, 999, 42, 'charge'))).rejects.toThrow(OutboxMismatchError);
        });
      });

      describe('pending, pendingForWorkOrder', () => {
        it('lists due pending rows oldest first, optionally only those older than an age', async () => {
          const a = await settle(1);
          const b = await settle(2);
          await t.db.query(`UPDATE settlement_outbox SET created_at = now() - interval '10 minutes' WHERE id = $1`, [a.entry.id]);
          expect((await sut.pending()).map((e) => e.id)).toEqual([a.entry.id, b.entry.id]);
          expect((await sut.pending({ olderThanMs: 60_000 })).map((e) => e.id)).toEqual([a.entry.id]);
          expect((await sut.pending({ limit: 1 })).map((e) => e.id)).toEqual([a.entry.id]);
        });

        it('lists what a work order still has to settle, failed rows included', async () => {
          const a = await settle(5);
          const b = await settle(5);
          const c = await settle(5);
          await settle(6);
          await sut.markSettled(a.entry.id);
          await sut.markFailed(b.entry.id, 'Odoo refused: journal missing');
          expect((await sut.pendingForWorkOrder(5)).map((e) => [e.id, e.state])).toEqual([
            [b.entry.id, 'failed'],
            [c.entry.id, 'pending'],
          ]);
        });
      });

      describe('markSettled, markFailed, recordAttempt, requeue', () => {
        it('settles once', async () => {
          const { entry } = await settle();
          expect(await sut.markSettled(entry.id)).toBe(true);
          expect(await sut.markSettled(entry.id)).toBe(false);
          expect(await sut.get(entry.id)).toMatchObject({ state: 'settled', settledAt: expect.any(Date), lastError: null });
          expect(await sut.pending()).toEqual([]);
        });

        it('backs a failed attempt off exponentially up to the maximum, and leaves it out of pending until due', async () => {
          const { entry } = await settle();
          const delays: number[] = [];
          for (let i = 0; i < 4; i++) {
            const after = await sut.recordAttempt(entry.id, `Odoo down ${i}`);
            const { rows } = await t.db.query<{ ms: number }>(
              `SELECT round(extract(epoch FROM next_attempt_at - now()) * 1000)::int AS ms FROM settlement_outbox WHERE id = $1`,
              [entry.id],
            );
            delays.push(Math.round((rows[0]?.ms ?? 0) / 1000));
            expect(after).toMatchObject({ attempts: i + 1, lastError: `Odoo down ${i}`, state: 'pending' });
          }
          expect(delays).toEqual([1, 2, 4, 4]);
          expect(await sut.pending()).toEqual([]);
        });

        it('fails a row for good, keeps a bounded error, and lets a manager requeue it', async () => {
          const { entry } = await settle();
          expect(await sut.markFailed(entry.id, 'x'.repeat(5_000))).toBe(true);
          const failed = await sut.get(entry.id);
          expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
          expect(failed?.lastError).toHaveLength(2_000);
          expect(await sut.recordAttempt(entry.id, 'late')).toBeUndefined();
          expect(await sut.requeue(entry.id)).toBe(true);
          expect((await sut.pending()).map((e) => e.id)).toEqual([entry.id]);
          expect(await sut.markSettled(entry.id)).toBe(true);
        });
      });
    },
  );
}
