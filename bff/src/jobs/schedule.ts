import type { JobName } from './names';
import type { JobQueue } from './queue';

/** A job run once per period across every replica. */
export interface RecurringJob {
  name: JobName;
  /** The period: its start names the job, so the second replica's add of the same period is a no-op. */
  everyMs: number;
  /** How often each replica offers the current period's job; default `everyMs`. */
  offerEveryMs?: number;
  attempts: number;
}

/** `<name>-<period start, UTC, to the second>`, e.g. `reconcile-20261122T143000` (no ':' — BullMQ's key separator). */
export function periodJobId(name: JobName, everyMs: number, at: number): string {
  const start = new Date(Math.floor(at / everyMs) * everyMs).toISOString();
  return `${name}-${start.slice(0, 19).replace(/[-:]/g, '')}`;
}

/**
 * Offers each recurring job to the queue on a timer (unref'd: a schedule never keeps a process alive). Whichever
 * replica adds a period's job first runs it; a failed offer (Redis down) is reported and the next one tries again.
 */
export function scheduleRecurring(queue: JobQueue, jobs: RecurringJob[], onError: (job: RecurringJob, err: Error) => void, now: () => number = Date.now): { stop(): void } {
  const timers = jobs.map((job) => {
    const offer = () => {
      queue.add(job.name, {}, { jobId: periodJobId(job.name, job.everyMs, now()), attempts: job.attempts }).catch((e: unknown) => onError(job, e instanceof Error ? e : new Error(String(e))));
    };
    const timer = setInterval(offer, job.offerEveryMs ?? job.everyMs);
    timer.unref();
    return timer;
  });
  return {
    stop: () => timers.forEach((t) => clearInterval(t)),
  };
}
