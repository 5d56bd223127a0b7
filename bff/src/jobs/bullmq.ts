import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueName, type JobName } from './names';
import {
  assertAllHandlers,
  assertJobName,
  BACKOFF_JITTER,
  COMPLETED_RETENTION,
  concurrencyOf,
  FAILED_LIST_DEFAULT_LIMIT,
  FAILED_RETENTION,
  PermanentJobError,
  QueueClosedError,
  resolveAddOptions,
  type AddJobOptions,
  type AddJobResult,
  type FailedJob,
  type JobCounts,
  type JobHandler,
  type JobQueue,
  type QueueDriverOptions,
} from './queue';

/** The only module that imports bullmq, and the queue's ioredis connections (the rate limits have theirs: http/rate-limit.ts). */
export interface BullmqQueueOptions extends QueueDriverOptions {
  redisUrl: string;
  /** Namespaces every Redis key (BullMQ's default is 'bull'); tests use one per test. */
  prefix?: string;
  queueName?: string;
  /**
   * How long a running job's lock lasts without renewal (BullMQ's lockDuration, default 30 s); the stalled-job check
   * runs as often, so a job of a killed process runs again within about twice this.
   */
  lockMs?: number;
  /** Connection and worker errors (Redis down…); job failures are not errors here. */
  onError?: (err: Error) => void;
}

/**
 * What is stored as BullMQ job data: the payload, the trace id, and a nonce telling our add from an earlier one —
 * BullMQ answers a duplicate id with the id alone, exactly as it answers a new job.
 */
interface Envelope {
  d?: unknown;
  t?: string;
  n: string;
}

const envelopeOf = (job: Job): Partial<Envelope> => (job.data ?? {}) as Partial<Envelope>;

export class BullmqJobQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly handlers = new Map<JobName, JobHandler<unknown>>();
  private readonly connection: Redis;
  private readonly queue: Queue;
  private worker?: Worker;
  private workerConnection?: Redis;
  private closing?: Promise<void>;
  private readonly onError: (err: Error) => void;

  constructor(private readonly opts: BullmqQueueOptions) {
    this.onError = opts.onError ?? ((err: Error) => console.error(`[jobs] ${err.message}`));
    this.connection = new Redis(opts.redisUrl, { connectionName: 'drmoto-bff:queue' });
    this.connection.on('error', this.onError);
    this.queue = new Queue(opts.queueName ?? QueueName.Default, { connection: this.connection, prefix: opts.prefix });
    this.queue.on('error', this.onError);
  }

  register<T>(name: JobName, handler: JobHandler<T>): void {
    if (this.handlers.has(name)) {
      throw new Error(`a handler for job ${name} is already registered`);
    }
    this.handlers.set(name, handler as JobHandler<unknown>);
  }

  async start(): Promise<void> {
    this.assertOpen();
    assertAllHandlers(new Set(this.handlers.keys()));
    if (this.worker) {
      return;
    }
    // The worker blocks on Redis; BullMQ requires its commands to wait out a reconnect rather than fail.
    this.workerConnection = new Redis(this.opts.redisUrl, { maxRetriesPerRequest: null, connectionName: 'drmoto-bff:worker' });
    this.workerConnection.on('error', this.onError);
    this.worker = new Worker(this.queue.name, (job) => this.process(job), {
      connection: this.workerConnection,
      prefix: this.opts.prefix,
      concurrency: concurrencyOf(this.opts),
      ...(this.opts.lockMs ? { lockDuration: this.opts.lockMs, stalledInterval: this.opts.lockMs } : {}),
    });
    this.worker.on('error', this.onError);
    await this.worker.waitUntilReady();
  }

  async add<T>(name: JobName, data: T, opts: AddJobOptions): Promise<AddJobResult> {
    this.assertOpen();
    const { attempts, backoffMs, delayMs } = resolveAddOptions(opts, this.opts);
    const nonce = randomUUID();
    const envelope: Envelope = { d: data, t: opts.traceId, n: nonce };
    await this.queue.add(name, envelope, this.jobOptions(opts.jobId, attempts, backoffMs, delayMs));
    const stored = await this.queue.getJob(opts.jobId);
    // Gone already means ours ran and was removed: an earlier job would have blocked the add, not vanished since.
    const added = !stored || envelopeOf(stored).n === nonce;
    return { id: opts.jobId, added };
  }

  async addBulk<T>(name: JobName, jobs: ReadonlyArray<{ data: T; opts: AddJobOptions }>): Promise<void> {
    this.assertOpen();
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map(({ data, opts }) => {
        const { attempts, backoffMs, delayMs } = resolveAddOptions(opts, this.opts);
        const envelope: Envelope = { d: data, t: opts.traceId, n: randomUUID() };
        return { name, data: envelope, opts: this.jobOptions(opts.jobId, attempts, backoffMs, delayMs) };
      }),
    );
  }

  async counts(): Promise<JobCounts> {
    const c = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed');
    return { waiting: c.waiting ?? 0, delayed: c.delayed ?? 0, active: c.active ?? 0, failed: c.failed ?? 0 };
  }

  async getFailed(opts: { limit?: number } = {}): Promise<FailedJob[]> {
    const limit = Math.max(1, opts.limit ?? FAILED_LIST_DEFAULT_LIMIT);
    const jobs = await this.queue.getFailed(0, limit - 1);
    return jobs.map((job) => {
      const envelope = envelopeOf(job);
      return {
        id: job.id ?? '',
        name: job.name as JobName,
        data: envelope.d,
        traceId: envelope.t,
        attemptsMade: job.attemptsMade,
        failedReason: job.failedReason ?? '',
        failedAt: job.finishedOn === undefined ? undefined : new Date(job.finishedOn),
      };
    });
  }

  async retry(jobId: string): Promise<boolean> {
    this.assertOpen();
    const job = await this.queue.getJob(jobId);
    if (!job || !(await job.isFailed())) {
      return false;
    }
    try {
      // A fresh set of attempts: a manager retries after fixing the cause (Odoo back up).
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    } catch (err) {
      // Another process retried it between the check and here.
      if (!(await job.isFailed())) {
        return false;
      }
      throw err;
    }
  }

  async runNow(jobId: string): Promise<boolean> {
    this.assertOpen();
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    const state = await job.getState();
    try {
      if (state === 'delayed') await job.promote();
      else if (state === 'failed') await job.retry('failed');
      else return false;
      return true;
    } catch (err) {
      // Another process moved it first (promoted, retried, or the delay ran out): it runs either way.
      if ((await job.getState()) !== state) return false;
      throw err;
    }
  }

  async attemptsMade(jobId: string): Promise<number | undefined> {
    const job = await this.queue.getJob(jobId);
    return job?.attemptsMade;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.connection.ping();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        // Worker.close waits for running jobs to finish.
        await this.worker?.close();
        await this.queue.close();
      } finally {
        await Promise.all([quietly(this.connection), this.workerConnection && quietly(this.workerConnection)]);
      }
    })();
    return this.closing;
  }

  /** Deletes everything under this queue name and prefix (tests). */
  static async obliterate(opts: Pick<BullmqQueueOptions, 'redisUrl' | 'prefix' | 'queueName'>): Promise<void> {
    const connection = new Redis(opts.redisUrl);
    const queue = new Queue(opts.queueName ?? QueueName.Default, { connection, prefix: opts.prefix });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
      await quietly(connection);
    }
  }

  private jobOptions(jobId: string, attempts: number, backoffMs: number, delayMs: number | undefined) {
    return {
      jobId,
      attempts,
      backoff: { type: 'exponential' as const, delay: backoffMs, jitter: BACKOFF_JITTER },
      delay: delayMs,
      removeOnComplete: { age: COMPLETED_RETENTION.ageSeconds, count: COMPLETED_RETENTION.count },
      removeOnFail: { age: FAILED_RETENTION.ageSeconds, count: FAILED_RETENTION.count },
    };
  }

  private assertOpen(): void {
    if (this.closing) {
      throw new QueueClosedError();
    }
  }

  private async process(job: Job): Promise<void> {
    const name: unknown = job.name;
    try {
      assertJobName(name);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    const handler = this.handlers.get(name);
    if (!handler) {
      throw new UnrecoverableError(`no handler registered for job ${name}`);
    }
    const envelope = envelopeOf(job);
    try {
      await handler({ id: job.id ?? '', name, data: envelope.d, attempt: job.attemptsMade + 1, traceId: envelope.t });
    } catch (err) {
      const permanent = err instanceof PermanentJobError;
      this.opts.onJobFailed?.({ queue: this.queue.name, name, final: permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
      if (permanent) {
        throw new UnrecoverableError(err.message);
      }
      throw err;
    }
  }
}

async function quietly(connection: Redis): Promise<void> {
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
