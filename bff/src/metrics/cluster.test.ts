import { InProcessJobQueue } from '../jobs/inprocess';
import { JobName, QueueName } from '../jobs/names';
import { LedgerRepository } from '../store/ledger';
import { sampleCharge } from '../../test/support/ledger';
import { LeaseRepository } from '../store/leases';
import { migrate } from '../store/migrate';
import { SettlementOutboxRepository } from '../store/outbox';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';
import type { Db } from '../store/db';
import { ClusterStats, CLUSTER_METRICS_LEASE } from './cluster';
import { PrometheusMetrics } from './prometheus';

const databaseUrl = process.env.DATABASE_URL;

/** One BFF replica's view of the cluster gauges: its own lease holder id, registry and queue, the shared store. */
function replica(db: Db, holder: string, ttlMs?: number) {
  const queue = new InProcessJobQueue();
  const stats = new ClusterStats({ leases: new LeaseRepository(db), outbox: new SettlementOutboxRepository(db), queue, queueName: QueueName.Default }, holder, ttlMs);
  const metrics = new PrometheusMetrics({ cluster: stats, processMetrics: false });
  return { queue, stats, metrics, text: async () => (await metrics.render()).body };
}

const BACKLOG = /^drmoto_outbox_backlog\{outbox="settlement"\} (\d+)$/m;
const reports = (text: string) => BACKLOG.test(text);

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? `${ClusterStats.name} (pg) — skipped: DATABASE_URL not set` : `${ClusterStats.name} (${backend.kind})`, () => {
    let t: TestDb;
    /** On PostgreSQL the second replica has a pool of its own, as a second process would. */
    let other: Db;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
      other = backend.kind === 'pg' ? await t.openAnother() : t.db;
    });
    afterAll(async () => {
      await t?.cleanup();
    });
    beforeEach(async () => {
      await t.db.query('DELETE FROM bff_leases');
    });

    it('two replicas on one store: exactly one reports the outbox backlog and queue counts, the other leaves them out', async () => {
      const a = replica(t.db, 'replica-a');
      const b = replica(other, 'replica-b');
      const [ta, tb] = await Promise.all([a.text(), b.text()]);
      expect([reports(ta), reports(tb)].filter(Boolean)).toHaveLength(1);
      const [holder, idle] = reports(ta) ? [ta, tb] : [tb, ta];
      expect(holder).toMatch(/^drmoto_cluster_metrics_holder 1$/m);
      expect(holder).toMatch(/^drmoto_outbox_oldest_age_seconds\{outbox="settlement"\} \d/m);
      expect(holder).toMatch(/^drmoto_jobs\{queue="drmoto",state="failed"\} 0$/m);
      expect(idle).toMatch(/^drmoto_cluster_metrics_holder 0$/m);
      expect(idle).not.toMatch(/^drmoto_outbox_oldest_age_seconds\{/m);
      expect(idle).not.toMatch(/^drmoto_jobs\{/m);
      // The holder keeps it on the next scrapes; the other still doesn't report.
      expect(reports(await (reports(ta) ? a : b).text())).toBe(true);
      expect(reports(await (reports(ta) ? b : a).text())).toBe(false);
    });

    it('reports the pending rows and the age of the oldest; settled rows leave the backlog', async () => {
      const ledger = new LedgerRepository(t.db);
      const outbox = new SettlementOutboxRepository(t.db);
      const rows = [];
      for (const wo of [71, 72]) {
        rows.push(
          await t.db.transaction(async (tx) => {
            const appended = await ledger.append(tx, sampleCharge({ workOrderId: wo }));
            return outbox.enqueue(tx, appended.seq, wo, 'charge');
          }),
        );
      }
      // The oldest row was written a minute ago (the test can't wait for it).
      await t.db.query(`UPDATE settlement_outbox SET created_at = now() - interval '60 seconds' WHERE id = $1`, [rows[0]!.entry.id]);
      const a = replica(t.db, 'replica-a');
      let text = await a.text();
      const before = Number(text.match(BACKLOG)?.[1]);
      expect(before).toBeGreaterThanOrEqual(2);
      expect(Number(text.match(/^drmoto_outbox_oldest_age_seconds\{outbox="settlement"\} ([\d.]+)$/m)?.[1])).toBeGreaterThanOrEqual(60);
      await outbox.markSettled(rows[0]!.entry.id);
      text = await a.text();
      expect(Number(text.match(BACKLOG)?.[1])).toBe(before - 1);
    });

    it('reports the queue by state', async () => {
      const a = replica(t.db, 'replica-a');
      for (const name of Object.values(JobName)) a.queue.register(name, async () => undefined);
      await a.queue.add(JobName.Housekeeping, {}, { jobId: 'hk-later', delayMs: 3_600_000 });
      expect(await a.text()).toMatch(/^drmoto_jobs\{queue="drmoto",state="delayed"\} 1$/m);
      await a.queue.close();
    });

    it('hands over: at once when the holder releases, or after the TTL when it stops renewing', async () => {
      const a = replica(t.db, 'replica-a', 60_000);
      const b = replica(other, 'replica-b', 60_000);
      expect(reports(await a.text())).toBe(true);
      expect(reports(await b.text())).toBe(false);
      await a.stats.release();
      expect(reports(await b.text())).toBe(true);
      expect(reports(await a.text())).toBe(false);

      await t.db.query('DELETE FROM bff_leases');
      const c = replica(t.db, 'replica-c', 1);
      const d = replica(other, 'replica-d', 1);
      expect(reports(await c.text())).toBe(true);
      // A holder that stopped renewing (crashed): its 1 ms lease is over by the time the next replica is scraped.
      await new Promise((r) => setTimeout(r, 20));
      expect(reports(await d.text())).toBe(true);
      expect((await t.db.query<{ holder: string }>('SELECT holder FROM bff_leases WHERE name = $1', [CLUSTER_METRICS_LEASE])).rows).toEqual([{ holder: 'replica-d' }]);
    });

    it('racing replicas: one lease holder among many concurrent takers', async () => {
      const leases = new LeaseRepository(other);
      const mine = new LeaseRepository(t.db);
      const won = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? leases : mine).acquire('race', `r-${i}`, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });
}
