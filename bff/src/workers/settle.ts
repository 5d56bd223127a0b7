import type { JobHandler } from '../jobs/queue';
import type { SettleJob, SettlementService } from '../services/settlement.service';

/** JobName.Settle, job id `settle-<outbox id>`: one ledger entry into Odoo. A refusal is permanent (PermanentJobError). */
export function settleWorker(svc: SettlementService): JobHandler<SettleJob> {
  return async (job) => {
    await svc.settle(job.data.outboxId);
  };
}
