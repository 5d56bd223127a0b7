import { JobName } from './names';

/** What a handler receives. `attempt` counts from 1; a retried failed job starts again at 1. */
export interface JobItem<T = unknown> {
  id: string;
  name: JobName;
  data: T;
  attempt: number;
  traceId?: string;
}

export type JobHandler<T = unknown> = (job: JobItem<T>) => Promise<void>;

export interface AddJobOptions {
  /** Deterministic id (e.g. `settle-<outbox id>`): adding an id that exists is a no-op. See `validateJobId`. */
  jobId: string;
  /** Total runs before the job lands in the failed list; default DEFAULT_JOB_ATTEMPTS. */
  attempts?: number;
  /** First retry delay; doubles each attempt, with jitter. Default DEFAULT_BACKOFF_MS. */
  backoffMs?: number;
  delayMs?: number;
  traceId?: string;
}

export interface AddJobResult {
  id: string;
  /** False when a job with that id already existed (waiting, running, completed and kept, or failed). */
  added: boolean;
}

export interface FailedJob {
  id: string;
  name: JobName;
  data: unknown;
  traceId?: string;
  /** Runs that failed, the last one included. */
  attemptsMade: number;
  failedReason: string;
  failedAt?: Date;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  failed: number;
}

/** The job queue both drivers implement: BullMQ on Redis, or in-process when REDIS_URL is unset. */
export interface JobQueue {
  readonly kind: 'bullmq' | 'inprocess';
  register<T>(name: JobName, handler: JobHandler<T>): void;
  /** Starts processing; throws MissingJobHandlerError when any JobName has no handler. */
  start(): Promise<void>;
  add<T>(name: JobName, data: T, opts: AddJobOptions): Promise<AddJobResult>;
  /**
   * Adds several jobs of one name at once (BullMQ: one Redis transaction); an id that exists is left alone, as with
   * `add`. Nothing tells which were new: for relays that only need the jobs to exist.
   */
  addBulk<T>(name: JobName, jobs: ReadonlyArray<{ data: T; opts: AddJobOptions }>): Promise<void>;
  /** Jobs by state, across every process sharing the queue (BullMQ: Redis counters; in-process: this process). */
  counts(): Promise<JobCounts>;
  /** Newest failures first. */
  getFailed(opts?: { limit?: number }): Promise<FailedJob[]>;
  /** Moves a failed job back to waiting with a fresh set of attempts; false when there is no such failed job. */
  retry(jobId: string): Promise<boolean>;
  /**
   * Makes an existing job run as soon as a worker is free, keeping its attempt count (so a job's count of runs stays
   * one per run): a delayed job waiting out its backoff is promoted, a failed one goes back to waiting for one more
   * run. False when it is waiting, running or completed, or does not exist (then add it). A completed job is left
   * alone: its work is done, and re-running it because a sweep raced its completion would count a run for nothing.
   */
  runNow(jobId: string): Promise<boolean>;
  /** Runs a job has finished so far, BullMQ's `attemptsMade`: every failed run, and the successful one; undefined when the job does not exist. */
  attemptsMade(jobId: string): Promise<number | undefined>;
  ping(): Promise<void>;
  /** Stops taking jobs and waits for the running ones. */
  close(): Promise<void>;
}

export const DEFAULT_JOB_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 2_000;
/** Share of the delay that is random, so jobs failing together (Odoo down) do not retry together. */
export const BACKOFF_JITTER = 0.5;
/** Completed jobs are kept a day (BullMQ would otherwise keep them forever; Redis runs with noeviction). */
export const COMPLETED_RETENTION = { ageSeconds: 24 * 3600, count: 1_000 } as const;
/** Failed jobs stay for managers to inspect and retry; the reconciler, not this list, is the safety net. */
export const FAILED_RETENTION = { ageSeconds: 30 * 24 * 3600, count: 5_000 } as const;
export const FAILED_LIST_DEFAULT_LIMIT = 100;
const JOB_ID_MAX_LENGTH = 200;

/** Raised by `add` for an id BullMQ would refuse: integer-like (its own ids) or containing ':' (its key separator). */
export class InvalidJobIdError extends Error {
  readonly code = 'invalid_job_id';

  constructor(
    readonly jobId: unknown,
    reason: string,
  ) {
    super(`invalid job id ${JSON.stringify(jobId)}: ${reason}`);
    this.name = 'InvalidJobIdError';
  }
}

/** Thrown by a handler for a failure no retry can fix (bad data, a refused business rule): straight to failed. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** Raised by `start` when a JobName has no handler, so a forgotten one fails at boot, not when the job comes. */
export class MissingJobHandlerError extends Error {
  constructor(readonly missing: string[]) {
    super(`no handler registered for job(s): ${missing.join(', ')}`);
    this.name = 'MissingJobHandlerError';
  }
}

/** Raised by `add` after `close`. */
export class QueueClosedError extends Error {
  constructor() {
    super('job queue is closed');
    this.name = 'QueueClosedError';
  }
}

export function validateJobId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidJobIdError(id, 'a non-empty string is required');
  }
  if (id.length > JOB_ID_MAX_LENGTH) {
    throw new InvalidJobIdError(id, `longer than ${JOB_ID_MAX_LENGTH} characters`);
  }
  // BullMQ's own check is `${parseInt(id)}` === id; this also refuses '007', which would read like an auto id.
  if (/^-?\d+$/.test(id)) {
    throw new InvalidJobIdError(id, 'integer-like ids are reserved for generated ids; use a prefix such as "settle-"');
  }
  if (id.includes(':')) {
    throw new InvalidJobIdError(id, '":" separates Redis keys');
  }
}

export function validateAddOptions(opts: AddJobOptions): void {
  validateJobId(opts.jobId);
  if (opts.attempts !== undefined && (!Number.isInteger(opts.attempts) || opts.attempts < 1)) {
    throw new RangeError(`attempts must be a positive integer, got ${opts.attempts}`);
  }
  for (const key of ['backoffMs', 'delayMs'] as const) {
    const value = opts[key];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new RangeError(`${key} must be a non-negative number, got ${value}`);
    }
  }
}

/** What a driver stores for one add: the caller's options over the defaults. */
export interface ResolvedAddOptions {
  attempts: number;
  backoffMs: number;
  delayMs: number;
}

/** Options every driver takes. */
export interface QueueDriverOptions {
  /** Jobs run at once by this process (default 1). */
  concurrency?: number;
  /** Overrides every job's first retry delay (tests and demos: a failing job reaches the failed list in seconds). */
  backoffMs?: number;
  /** Called when a run throws: `final` when the job goes to the failed list, else it will be retried (metrics). */
  onJobFailed?: (failure: { queue: string; name: JobName; final: boolean }) => void;
}

/** Validates `opts` (see validateAddOptions) and fills in the defaults, the same for both drivers. */
export function resolveAddOptions(opts: AddJobOptions, driver: QueueDriverOptions = {}): ResolvedAddOptions {
  validateAddOptions(opts);
  return {
    attempts: opts.attempts ?? DEFAULT_JOB_ATTEMPTS,
    backoffMs: driver.backoffMs ?? opts.backoffMs ?? DEFAULT_BACKOFF_MS,
    delayMs: opts.delayMs ?? 0,
  };
}

/** The worker concurrency of a driver: a positive integer, 1 by default. */
export const concurrencyOf = (driver: QueueDriverOptions): number => Math.max(1, Math.trunc(driver.concurrency ?? 1));

const JOB_NAMES: ReadonlySet<string> = new Set(Object.values(JobName));

export function assertJobName(name: unknown): asserts name is JobName {
  if (typeof name !== 'string' || !JOB_NAMES.has(name)) {
    throw new Error(`unknown job name ${JSON.stringify(name)}`);
  }
}

export function assertAllHandlers(registered: ReadonlySet<string>): void {
  const missing = Object.values(JobName).filter((name) => !registered.has(name));
  if (missing.length > 0) {
    throw new MissingJobHandlerError(missing);
  }
}

/**
 * Exponential backoff with jitter, BullMQ's formula: the n-th retry waits between (1 - jitter) and 1 times
 * base * 2^(n-1). `attemptsMade` counts the failures so far (1 before the first retry).
 */
export function backoffDelay(attemptsMade: number, baseMs: number, jitter = BACKOFF_JITTER, random = Math.random): number {
  const max = Math.round(2 ** Math.max(attemptsMade - 1, 0) * baseMs);
  if (jitter <= 0) {
    return max;
  }
  const min = max * (1 - jitter);
  return Math.floor(random() * max * jitter + min);
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
