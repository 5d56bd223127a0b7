import { Writable } from 'node:stream';
import { createLogger } from '../logger';
import type { PaymentsGateway } from '../integrations/odoo/payments';
import type { ShopGateway } from '../integrations/odoo/shops';
import { JobName } from '../jobs/names';
import type { AddJobOptions, JobQueue } from '../jobs/queue';
import type { LedgerRepository } from '../store/ledger';
import type { SettlementOutboxRepository } from '../store/outbox';
import { SettlementService } from './settlement.service';

/** A queue that records what the relay hands it; `fail` makes the next addBulk reject (Redis down). */
function recordingQueue() {
  const calls: Array<{ name: JobName; jobs: Array<{ data: unknown; opts: AddJobOptions }> }> = [];
  let fail = false;
  const queue = {
    kind: 'inprocess',
    addBulk: async (name: JobName, jobs: Array<{ data: unknown; opts: AddJobOptions }>) => {
      calls.push({ name, jobs: [...jobs] });
      if (fail) {
        fail = false;
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      }
    },
  } as unknown as JobQueue;
  return { queue, calls, failNext: () => (fail = true) };
}

function relayUnderTest() {
  const q = recordingQueue();
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const none = {} as never;
  const settlement = new SettlementService(
    none as PaymentsGateway,
    none as LedgerRepository,
    none as SettlementOutboxRepository,
    none as ShopGateway,
    q.queue,
    createLogger({ level: 'debug', stream }),
  );
  return { settlement, ...q, logs };
}

describe('SettlementService.relay', () => {
  it('hands the rows committed in one turn of the event loop to the queue in one addBulk, each once, with its options', async () => {
    const { settlement, calls } = relayUnderTest();
    const waits = [settlement.relay(7), settlement.relay(8, 'trace-8'), settlement.relay(7), settlement.relay(9)];
    expect(calls).toHaveLength(0); // nothing is sent before the turn ends
    await Promise.all(waits);
    expect(calls).toEqual([
      {
        name: JobName.Settle,
        jobs: [
          { data: { outboxId: 7 }, opts: { jobId: 'settle-7', attempts: 8, backoffMs: 2_000, traceId: undefined } },
          { data: { outboxId: 8 }, opts: { jobId: 'settle-8', attempts: 8, backoffMs: 2_000, traceId: 'trace-8' } },
          { data: { outboxId: 9 }, opts: { jobId: 'settle-9', attempts: 8, backoffMs: 2_000, traceId: undefined } },
        ],
      },
    ]);
    await settlement.relay(10);
    expect(calls.map((c) => c.jobs.map((j) => j.opts.jobId))).toEqual([['settle-7', 'settle-8', 'settle-9'], ['settle-10']]);
  });

  it('never rejects: a queue that is down is logged with the outbox ids, which stay for the reconciler', async () => {
    const { settlement, calls, failNext, logs } = relayUnderTest();
    failNext();
    await expect(Promise.all([settlement.relay(1), settlement.relay(2)])).resolves.toEqual([undefined, undefined]);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'settle jobs not queued; the reconciler will', outbox_ids: [1, 2], error: expect.stringContaining('ECONNREFUSED') }),
    );
    await settlement.relay(3);
    expect(calls.map((c) => c.jobs.length)).toEqual([2, 1]);
  });
});
