import { QueueName, type JobName } from './names';
import {
  assertAllHandlers,
  backoffDelay,
  COMPLETED_RETENTION,
  concurrencyOf,
  errorMessage,
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

export type InProcessQueueOptions = QueueDriverOptions;

type JobState = 'delayed' | 'waiting' | 'active' | 'completed' | 'failed';

interface InProcessJob {
  id: string;
  name: JobName;
  /** JSON, as BullMQ stores it: a handler gets a fresh copy each run, and what can't survive JSON fails here too. */
  payload: string;
  traceId?: string;
  attempts: number;
  backoffMs: number;
  state: JobState;
  attemptsMade: number;
  failedReason?: string;
  finishedOn?: number;
  timer?: NodeJS.Timeout;
}

/**
 * The queue without Redis (demo, default tests): BullMQ's semantics in memory — ids dedupe, attempts with
 * exponential backoff and jitter, delays, a failed list, retry, concurrency. Jobs do not survive a restart; the
 * outbox reconciler re-creates what matters.
 */
export class InProcessJobQueue implements JobQueue {
  readonly kind = 'inprocess' as const;
  private readonly concurrency: number;
  private readonly handlers = new Map<JobName, JobHandler<unknown>>();
  private readonly jobs = new Map<string, InProcessJob>();
  private readonly waiting: string[] = [];
  /** Finished ids in finishing order, for retention and for getFailed. */
  private readonly completed = new Set<string>();
  private readonly failed = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private closing?: Promise<void>;

  constructor(private readonly opts: InProcessQueueOptions = {}) {
    this.concurrency = concurrencyOf(opts);
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
    this.started = true;
    this.pump();
  }

  async add<T>(name: JobName, data: T, opts: AddJobOptions): Promise<AddJobResult> {
    this.assertOpen();
    const { attempts, backoffMs, delayMs } = resolveAddOptions(opts, this.opts);
    this.prune();
    if (this.jobs.has(opts.jobId)) {
      return { id: opts.jobId, added: false };
    }
    const job: InProcessJob = {
      id: opts.jobId,
      name,
      payload: JSON.stringify({ data }),
      traceId: opts.traceId,
      attempts,
      backoffMs,
      state: 'waiting',
      attemptsMade: 0,
    };
    this.jobs.set(job.id, job);
    if (delayMs) {
      this.delay(job, delayMs);
    } else {
      this.enqueue(job);
    }
    return { id: job.id, added: true };
  }

  async addBulk<T>(name: JobName, jobs: ReadonlyArray<{ data: T; opts: AddJobOptions }>): Promise<void> {
    // All or nothing, as BullMQ's: every id is checked before any job is added.
    for (const job of jobs) resolveAddOptions(job.opts, this.opts);
    for (const job of jobs) await this.add(name, job.data, job.opts);
  }

  async counts(): Promise<JobCounts> {
    this.prune();
    const c: JobCounts = { waiting: 0, delayed: 0, active: 0, failed: 0 };
    for (const job of this.jobs.values()) if (job.state !== 'completed') c[job.state]++;
    return c;
  }

  async getFailed(opts: { limit?: number } = {}): Promise<FailedJob[]> {
    this.prune();
    const limit = opts.limit ?? FAILED_LIST_DEFAULT_LIMIT;
    return [...this.failed]
      .reverse()
      .slice(0, limit)
      .flatMap((id) => {
        const job = this.jobs.get(id);
        return job ? [toFailedJob(job)] : [];
      });
  }

  async retry(jobId: string): Promise<boolean> {
    this.assertOpen();
    const job = this.jobs.get(jobId);
    if (!job || job.state !== 'failed') {
      return false;
    }
    this.failed.delete(job.id);
    job.attemptsMade = 0;
    job.failedReason = undefined;
    job.finishedOn = undefined;
    this.enqueue(job);
    return true;
  }

  async runNow(jobId: string): Promise<boolean> {
    this.assertOpen();
    const job = this.jobs.get(jobId);
    if (!job) return false;
    if (job.state === 'delayed') {
      clearTimeout(job.timer);
      job.timer = undefined;
    } else if (job.state === 'failed') {
      this.failed.delete(job.id);
      job.finishedOn = undefined;
    } else return false;
    this.enqueue(job);
    return true;
  }

  async attemptsMade(jobId: string): Promise<number | undefined> {
    return this.jobs.get(jobId)?.attemptsMade;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const job of this.jobs.values()) {
        clearTimeout(job.timer);
      }
      // A job finishing re-pumps; the closing flag keeps it from starting another.
      while (this.running.size > 0) {
        await Promise.all([...this.running]);
      }
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) {
      throw new QueueClosedError();
    }
  }

  private enqueue(job: InProcessJob): void {
    job.state = 'waiting';
    this.waiting.push(job.id);
    this.pump();
  }

  private delay(job: InProcessJob, ms: number): void {
    job.state = 'delayed';
    // unref: a pending retry must not keep the process (or a test run) alive.
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.enqueue(job);
    }, ms);
    job.timer.unref();
  }

  private pump(): void {
    while (this.started && !this.closing && this.running.size < this.concurrency) {
      const id = this.waiting.shift();
      if (id === undefined) {
        return;
      }
      const job = this.jobs.get(id);
      if (job?.state !== 'waiting') {
        continue;
      }
      const run: Promise<void> = this.run(job).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(job: InProcessJob): Promise<void> {
    job.state = 'active';
    const attempt = job.attemptsMade + 1;
    try {
      const handler = this.handlers.get(job.name);
      if (!handler) {
        throw new PermanentJobError(`no handler registered for job ${job.name}`);
      }
      const { data } = JSON.parse(job.payload) as { data: unknown };
      await handler({ id: job.id, name: job.name, data, attempt, traceId: job.traceId });
      // as BullMQ's: the successful run counts too
      job.attemptsMade = attempt;
      job.state = 'completed';
      job.finishedOn = Date.now();
      this.completed.add(job.id);
    } catch (err) {
      job.attemptsMade = attempt;
      job.failedReason = errorMessage(err);
      const final = err instanceof PermanentJobError || attempt >= job.attempts || Boolean(this.closing);
      this.opts.onJobFailed?.({ queue: QueueName.Default, name: job.name, final });
      if (final) {
        job.state = 'failed';
        job.finishedOn = Date.now();
        this.failed.add(job.id);
      } else {
        this.delay(job, backoffDelay(attempt, job.backoffMs));
      }
    }
    this.prune();
  }

  /** Drops finished jobs past retention, as BullMQ's removeOnComplete/removeOnFail do; their ids become free. */
  private prune(): void {
    const now = Date.now();
    for (const [ids, retention] of [
      [this.completed, COMPLETED_RETENTION],
      [this.failed, FAILED_RETENTION],
    ] as const) {
      for (const id of ids) {
        const job = this.jobs.get(id);
        const expired = !job || now - (job.finishedOn ?? now) > retention.ageSeconds * 1000;
        if (!expired && ids.size <= retention.count) {
          break;
        }
        ids.delete(id);
        this.jobs.delete(id);
      }
    }
  }
}

function toFailedJob(job: InProcessJob): FailedJob {
  const { data } = JSON.parse(job.payload) as { data: unknown };
  return {
    id: job.id,
    name: job.name,
    data,
    traceId: job.traceId,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason ?? '',
    failedAt: job.finishedOn === undefined ? undefined : new Date(job.finishedOn),
  };
}
