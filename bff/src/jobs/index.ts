import { BullmqJobQueue } from './bullmq';
import { InProcessJobQueue } from './inprocess';
import type { JobQueue, QueueDriverOptions } from './queue';

export { JobName, QueueName } from './names';
export {
  InvalidJobIdError,
  MissingJobHandlerError,
  PermanentJobError,
  QueueClosedError,
  validateJobId,
  type AddJobOptions,
  type AddJobResult,
  type FailedJob,
  type JobCounts,
  type JobHandler,
  type JobItem,
  type JobQueue,
  type QueueDriverOptions,
} from './queue';

export interface CreateQueueOptions extends QueueDriverOptions {
  /** BullMQ on this Redis; the in-process driver when unset. */
  redisUrl?: string;
  prefix?: string;
  /** BullMQ only: see BullmqQueueOptions.lockMs. */
  lockMs?: number;
  onError?: (err: Error) => void;
}

export function createQueue(opts: CreateQueueOptions = {}): JobQueue {
  const driver: QueueDriverOptions = { concurrency: opts.concurrency, backoffMs: opts.backoffMs, onJobFailed: opts.onJobFailed };
  if (opts.redisUrl) {
    return new BullmqJobQueue({ ...driver, redisUrl: opts.redisUrl, prefix: opts.prefix, lockMs: opts.lockMs, onError: opts.onError });
  }
  return new InProcessJobQueue(driver);
}
