import { JobName } from '../jobs/names';
import { InProcessJobQueue } from '../jobs/inprocess';
import type { JobHandler, JobItem, JobQueue } from '../jobs/queue';
import type { HousekeepingService } from '../services/housekeeping.service';
import type { ReconcilerService } from '../services/reconciler.service';
import type { SettlementService } from '../services/settlement.service';
import { registerWorkers } from '.';

/** Services that only record which method ran, with what. */
function fakeServices() {
  const calls: string[] = [];
  return {
    calls,
    svc: {
      housekeeping: { sweep: async () => void calls.push('housekeeping.sweep') } as unknown as HousekeepingService,
      settlement: { settle: async (id: number) => void calls.push(`settlement.settle(${id})`) } as unknown as SettlementService,
      reconciler: { run: async () => void calls.push('reconciler.run') } as unknown as ReconcilerService,
    },
  };
}

const job = <T>(name: JobName, data: T): JobItem<T> => ({ id: `${name}-1`, name, data, attempt: 1 });

describe(registerWorkers.name, () => {
  it('registers a handler for every job name, so the queue starts', async () => {
    const queue = new InProcessJobQueue({});
    registerWorkers(queue, fakeServices().svc);
    await expect(queue.start()).resolves.toBeUndefined();
    await queue.close();
  });

  it('each handler makes its one service call', async () => {
    const handlers = new Map<JobName, JobHandler<unknown>>();
    const queue = { register: (name: JobName, h: JobHandler<unknown>) => void handlers.set(name, h) } as unknown as JobQueue;
    const { svc, calls } = fakeServices();
    registerWorkers(queue, svc);
    expect([...handlers.keys()].sort()).toEqual(Object.values(JobName).sort());
    await handlers.get(JobName.Housekeeping)!(job(JobName.Housekeeping, {}));
    await handlers.get(JobName.Settle)!(job(JobName.Settle, { outboxId: 42 }));
    await handlers.get(JobName.Reconcile)!(job(JobName.Reconcile, {}));
    expect(calls).toEqual(['housekeeping.sweep', 'settlement.settle(42)', 'reconciler.run']);
  });
});
