import { JobName } from '../jobs/names';
import type { JobHandler, JobQueue } from '../jobs/queue';
import type { HousekeepingService } from '../services/housekeeping.service';
import type { ReconcilerService } from '../services/reconciler.service';
import type { SettlementService } from '../services/settlement.service';
import { housekeepingWorker } from './housekeeping';
import { reconcileWorker } from './reconcile';
import { settleWorker } from './settle';

export interface WorkerServices {
  housekeeping: HousekeepingService;
  settlement: SettlementService;
  reconciler: ReconcilerService;
}

/**
 * Every job's handler, registered in one place: workers are to the queue what routes are to HTTP (one service call
 * each). The map names every JobName, so a job without a handler does not compile; `queue.start()` refuses one at boot.
 */
export function registerWorkers(queue: JobQueue, svc: WorkerServices): void {
  const workers: Record<JobName, JobHandler<never>> = {
    [JobName.Housekeeping]: housekeepingWorker(svc.housekeeping),
    [JobName.Settle]: settleWorker(svc.settlement),
    [JobName.Reconcile]: reconcileWorker(svc.reconciler),
  };
  for (const name of Object.values(JobName)) queue.register(name, workers[name]);
}
