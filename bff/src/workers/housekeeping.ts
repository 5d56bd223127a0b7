import type { JobHandler } from '../jobs/queue';
import type { HousekeepingService } from '../services/housekeeping.service';

/** JobName.Housekeeping, hourly across all replicas (jobs/schedule.ts). */
export function housekeepingWorker(svc: HousekeepingService): JobHandler {
  return async () => {
    await svc.sweep();
  };
}
