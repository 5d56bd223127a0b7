import { AuditRepository } from './audit';
import { migrate } from './migrate';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? `${AuditRepository.name} (pg) — skipped: DATABASE_URL not set` : `${AuditRepository.name} (${backend.kind})`, () => {
    let t: TestDb;
    let sut: AuditRepository;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
      sut = new AuditRepository(t.db);
    });

    afterAll(async () => {
      await t?.cleanup();
    });

    beforeEach(async () => {
      await t.db.query('TRUNCATE bff_audit_log');
    });

    describe('record', () => {
      it('stores an entry and returns it with its id and time', async () => {
        const entry = await sut.record({
          action: 'payment.offline.record',
          traceId: 'trace-1',
          actorKind: 'staff',
          actorId: '7',
          target: 'work_order:42',
          detail: { amount: 12_300, currency: 'CNY', lines: [1, 2] },
        });
        expect(entry).toEqual({
          id: expect.any(Number),
          at: expect.any(Date),
          action: 'payment.offline.record',
          traceId: 'trace-1',
          actorKind: 'staff',
          actorId: '7',
          target: 'work_order:42',
          detail: { amount: 12_300, currency: 'CNY', lines: [1, 2] },
        });
      });

      it('stores missing optional fields as null', async () => {
        const entry = await sut.record({ action: 'housekeeping.sweep' });
        expect(entry).toMatchObject({ traceId: null, actorKind: null, actorId: null, target: null, detail: null });
      });

      it('writes inside the caller’s transaction', async () => {
        await expect(
          t.db.transaction(async (tx) => {
            await sut.record({ action: 'will.roll.back' }, tx);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await sut.list()).toEqual([]);
      });
    });

    describe('list', () => {
      it('returns the newest entries first, up to the limit', async () => {
        for (const action of ['a', 'b', 'c']) {
          await sut.record({ action, target: action === 'b' ? 'x' : 'y' });
        }
        expect((await sut.list({ limit: 2 })).map((e) => e.action)).toEqual(['c', 'b']);
        expect((await sut.list({ target: 'y' })).map((e) => e.action)).toEqual(['c', 'a']);
      });
    });
  });
}
