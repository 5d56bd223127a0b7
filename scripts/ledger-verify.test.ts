import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDb, type Db } from '../bff/src/store/db';
import { ledgerEntryHash } from '../bff/src/domain/ledger-hash';
import { hashInputOf, LedgerRepository } from '../bff/src/store/ledger';
import { resetLedgerForTests, sampleCharge } from '../bff/test/support/ledger';
import { migrate } from '../bff/src/store/migrate';
import { createTestDb, warnSkippedOnce, type TestDb } from '../bff/test/support/test-db';
import { runLedgerVerify, verifyLedger } from './ledger-verify';

const databaseUrl = process.env.DATABASE_URL;
const run = promisify(execFile);

/** The test's handle, lent to runLedgerVerify (which closes what it opens). */
const borrow = (db: Db): Db => ({
  kind: db.kind,
  query: (sql, params) => db.query(sql, params),
  exec: (sql) => db.exec(sql),
  transaction: (fn, opts) => db.transaction(fn, opts),
  ping: () => db.ping(),
  close: async () => undefined,
});

/** What an owner or superuser could do behind the trigger's back. */
async function tamper(db: Db, sql: string, params: unknown[] = []): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec('ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update_delete');
    await tx.query(sql, params);
    await tx.exec('ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_no_update_delete');
  });
}

async function seedLedger(db: Db): Promise<void> {
  const ledger = new LedgerRepository(db);
  const charge = await ledger.appendOne(sampleCharge({ workOrderId: 1, amount: 10_000 }));
  await ledger.appendOne({ ...sampleCharge({ workOrderId: 1, kind: 'refund', amount: -2_500 }), providerRefundId: 'R1' });
  await ledger.appendOne(sampleCharge({ workOrderId: 2, amount: 700, currency: 'USD', channel: 'stripe' }));
  const suspense = await ledger.appendOne(sampleCharge({ kind: 'suspense', workOrderId: null, amount: 300 }));
  await ledger.appendOne(sampleCharge({ kind: 'reversal', workOrderId: 1, amount: -1_000, sourceSeq: charge.seq }));
  await ledger.appendOne(sampleCharge({ kind: 'suspense', workOrderId: 3, amount: -300, sourceSeq: suspense.seq }));
  await ledger.appendOne(sampleCharge({ kind: 'charge', workOrderId: 3, amount: 300, sourceSeq: suspense.seq }));
}

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? `${verifyLedger.name} (pg) — skipped: DATABASE_URL not set` : `${verifyLedger.name} (${backend.kind})`, () => {
    let t: TestDb;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
    });

    afterAll(async () => {
      await t?.cleanup();
    });

    beforeEach(async () => {
      await resetLedgerForTests(t.db);
    });

    it('passes an empty ledger', async () => {
      expect(await verifyLedger(t.db)).toMatchObject({ ok: true, rows: 0, head: null, firstBrokenSeq: null, breaks: [], totals: {} });
    });

    it('passes an intact chain, walking it in batches, and recomputes the totals per currency', async () => {
      await seedLedger(t.db);
      const r = await verifyLedger(t.db, { batchSize: 2 });
      expect(r).toMatchObject({ ok: true, rows: 7, head: { seq: 7 }, firstBrokenSeq: null, breaks: [], workOrders: 3 });
      expect(r.totals).toEqual({
        CNY: { charge: 10_300n, refund: -2_500n, reversal: -1_000n, suspense: 0n, netPaid: 6_800n },
        USD: { charge: 700n, refund: 0n, reversal: 0n, suspense: 0n, netPaid: 700n },
      });
    });

    it('flags a refund or a suspense release that takes more out of its source row than came in through it', async () => {
      const ledger = new LedgerRepository(t.db);
      const charge = await ledger.appendOne(sampleCharge({ workOrderId: 5, amount: 1_000 }));
      await ledger.appendOne(sampleCharge({ workOrderId: 6, amount: 5_000 }));
      await ledger.appendOne({ ...sampleCharge({ workOrderId: 5, kind: 'refund', amount: -600 }), providerRefundId: 'RA', sourceSeq: charge.seq });
      expect((await verifyLedger(t.db)).ok).toBe(true);
      const over = await ledger.appendOne({ ...sampleCharge({ workOrderId: 5, kind: 'refund', amount: -500 }), providerRefundId: 'RB', sourceSeq: charge.seq });
      const suspense = await ledger.appendOne(sampleCharge({ kind: 'suspense', workOrderId: null, amount: 300 }));
      const release = await ledger.appendOne({ ...sampleCharge({ kind: 'suspense', workOrderId: null, amount: -400 }), providerRefundId: 'RS', sourceSeq: suspense.seq });
      const r = await verifyLedger(t.db);
      expect(r.ok).toBe(false);
      expect(r.breaks.filter((b) => b.type === 'over_released').map((b) => b.seq)).toEqual([over.seq, release.seq]);
    });

    it('names the row whose amount was changed behind the trigger', async () => {
      await seedLedger(t.db);
      await tamper(t.db, 'UPDATE ledger_entries SET amount = 1 WHERE seq = 3');
      const r = await verifyLedger(t.db);
      expect(r).toMatchObject({ ok: false, firstBrokenSeq: 3 });
      expect(r.breaks[0]).toMatchObject({ type: 'hash', seq: 3 });
    });

    it('detects a re-hashed row by the broken link to the next one', async () => {
      await seedLedger(t.db);
      // A careful forger recomputes the row's own hash; the next row's prev_hash still points at the old one.
      const ledger = new LedgerRepository(t.db);
      const row = (await ledger.get(2))!;
      const forged = { ...row, amount: -1 };
      await tamper(t.db, 'UPDATE ledger_entries SET amount = -1, hash = $1 WHERE seq = 2', [ledgerEntryHash(hashInputOf(forged))]);
      const r = await verifyLedger(t.db);
      expect(r).toMatchObject({ ok: false, firstBrokenSeq: 3 });
      expect(r.breaks[0]).toMatchObject({ type: 'prev_hash', seq: 3 });
    });

    it('detects a deleted middle row as a seq gap', async () => {
      await seedLedger(t.db);
      await t.db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL session_replication_role = replica`);
        await tx.query('DELETE FROM ledger_entries WHERE seq = 4');
      });
      const r = await verifyLedger(t.db);
      expect(r).toMatchObject({ ok: false, rows: 6, firstBrokenSeq: 5 });
      expect(r.breaks.map((b) => b.type)).toEqual(expect.arrayContaining(['seq_gap', 'prev_hash']));
      expect(r.breaks.find((b) => b.type === 'seq_gap')?.message).toMatch(/rows 4\.\.4 are missing/);
    });

    it('flags a work order refunded beyond what it was paid', async () => {
      const ledger = new LedgerRepository(t.db);
      await ledger.appendOne(sampleCharge({ workOrderId: 9, amount: 1_000 }));
      await ledger.appendOne({ ...sampleCharge({ workOrderId: 9, kind: 'refund', amount: -1_500 }), providerRefundId: 'R9' });
      const r = await verifyLedger(t.db);
      expect(r).toMatchObject({ ok: false, firstBrokenSeq: 2 });
      expect(r.breaks).toEqual([expect.objectContaining({ type: 'negative_net_paid', seq: 2, workOrderId: 9, currency: 'CNY' })]);
    });

    describe(runLedgerVerify.name, () => {
      it('prints the summary and exits 0 on an intact ledger, 1 on a break', async () => {
        await seedLedger(t.db);
        const out: string[] = [];
        expect(await runLedgerVerify({}, (s) => out.push(s), async () => borrow(t.db))).toBe(0);
        expect(out.join('\n')).toMatch(/ledger: 7 row\(s\), head seq 7 [0-9a-f]{64}, 3 work order\(s\)/);
        expect(out.join('\n')).toContain('CNY: charge 10300  refund -2500  reversal -1000  suspense 0  net paid 6800');
        expect(out.join('\n')).toContain('OK: chain and balances verified');

        await tamper(t.db, 'UPDATE ledger_entries SET amount = -1 WHERE seq = 5');
        out.length = 0;
        expect(await runLedgerVerify({ LEDGER_VERIFY_JSON: '1' }, (s) => out.push(s), async () => borrow(t.db))).toBe(1);
        expect(JSON.parse(out.join('\n'))).toMatchObject({ ok: false, firstBrokenSeq: 5 });
      });
    });
  });
}

describe('npm run ledger:verify (the script, PGlite directory)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'drmoto-ledger-verify-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const runScript = async (env: Record<string, string>): Promise<{ code: number; stdout: string }> => {
    const script = path.join(__dirname, 'ledger-verify.ts');
    const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
    const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', ...env };
    delete childEnv.JEST_WORKER_ID;
    try {
      const { stdout } = await run(tsx, [script], { env: childEnv, timeout: 60_000 });
      return { code: 0, stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' };
    }
  };

  it('exits 0 on an intact ledger and 1 once a row was changed', async () => {
    const db = await createDb({ pgliteDir: dir });
    try {
      await migrate(db);
      await seedLedger(db);
    } finally {
      await db.close();
    }
    const clean = await runScript({ PGLITE_DIR: dir });
    expect(clean).toEqual({ code: 0, stdout: expect.stringContaining('OK: chain and balances verified') });

    const again = await createDb({ pgliteDir: dir });
    try {
      await tamper(again, 'UPDATE ledger_entries SET reason = $1 WHERE seq = 2', ['edited']);
    } finally {
      await again.close();
    }
    const broken = await runScript({ PGLITE_DIR: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('BROKEN at seq 2');
  }, 120_000);

  it('exits 2 when there is nothing to verify', async () => {
    expect(await runScript({ PGLITE_DIR: path.join(dir, 'missing') })).toEqual({ code: 2, stdout: expect.stringMatching(/does not exist/) });
  }, 60_000);
});
