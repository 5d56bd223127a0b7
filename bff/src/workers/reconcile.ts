import type { JobHandler } from '../jobs/queue';
import type { ReconcilerService } from '../services/reconciler.service';

/** JobName.Reconcile, once per period across all replicas (jobs/schedule.ts). */
export function reconcileWorker(svc: ReconcilerService): JobHandler {
  return async () => {
    await svc.run();
  };
}
