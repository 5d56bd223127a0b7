import { BullmqJobQueue } from './bullmq';
import { InProcessJobQueue } from './inprocess';
import type { JobQueue } from './queue';

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
  type JobHandler,
  type JobItem,
  type JobQueue,
} from './queue';

export interface CreateQueueOptions {
  /** BullMQ on this Redis; the in-process driver when unset. */
  redisUrl?: string;
  prefix?: string;
  concurrency?: number;
  onError?: (err: Error) => void;
}

export function createQueue(opts: CreateQueueOptions = {}): JobQueue {
  if (opts.redisUrl) {
    return new BullmqJobQueue({ redisUrl: opts.redisUrl, prefix: opts.prefix, concurrency: opts.concurrency, onError: opts.onError });
  }
  return new InProcessJobQueue({ concurrency: opts.concurrency });
}
