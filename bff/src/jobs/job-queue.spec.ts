/**
 * The one behavioural spec both queue drivers must pass (run by inprocess.test.ts and bullmq.test.ts). Not a test
 * file itself: `.spec.ts` is outside Jest's testMatch and the build. No timing assertions: tests wait for what the
 * handlers report, or poll an observable state with a generous deadline.
 */
import { JobName, QueueName } from './names';
import { InvalidJobIdError, MissingJobHandlerError, PermanentJobError, QueueClosedError, type JobItem, type JobQueue, type QueueDriverOptions } from './queue';

export interface QueueFixture {
  queue: JobQueue;
  cleanup(): Promise<void>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const failedIds = async (queue: JobQueue): Promise<string[]> => (await queue.getFailed()).map((job) => job.id);

export function describeJobQueue(title: string, makeQueue: (opts?: QueueDriverOptions) => Promise<QueueFixture>): void {
  describe(title, () => {
    let fixture: QueueFixture | undefined;
    // The spec exercises JobName.Housekeeping; every other job name gets a no-op handler so start() can run.
    const open = async (opts?: QueueDriverOptions): Promise<JobQueue> => {
      fixture = await makeQueue(opts);
      for (const name of Object.values(JobName)) if (name !== JobName.Housekeeping) fixture.queue.register(name, async () => undefined);
      return fixture.queue;
    };

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    describe('start', () => {
      it('refuses to start while a JobName has no handler', async () => {
        const queue = await open();
        const err = await queue.start().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(MissingJobHandlerError);
        expect((err as MissingJobHandlerError).missing).toContain(JobName.Housekeeping);
      });

      it('refuses a second handler for the same job', async () => {
        const queue = await open();
        queue.register(JobName.Housekeeping, async () => undefined);
        expect(() => queue.register(JobName.Housekeeping, async () => undefined)).toThrow(/already registered/);
      });
    });

    describe('add', () => {
      it('runs the handler with the data, id, attempt and trace id', async () => {
        const queue = await open();
        const seen = deferred<JobItem<{ workOrderId: number }>>();
        queue.register<{ workOrderId: number }>(JobName.Housekeeping, async (job) => seen.resolve(job));
        await queue.start();
        const result = await queue.add(JobName.Housekeeping, { workOrderId: 42 }, { jobId: 'hk-run', traceId: 'trace-1' });
        expect(result).toEqual({ id: 'hk-run', added: true });
        expect(await seen.promise).toEqual({
          id: 'hk-run',
          name: JobName.Housekeeping,
          data: { workOrderId: 42 },
          attempt: 1,
          traceId: 'trace-1',
        });
      });

      it('queues jobs added before start and runs them once started', async () => {
        const queue = await open();
        const seen = deferred<string>();
        queue.register(JobName.Housekeeping, async (job) => seen.resolve(job.id));
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-early' });
        await queue.start();
        expect(await seen.promise).toBe('hk-early');
      });

      it('treats an id that exists as a no-op, while running and after completion', async () => {
        const queue = await open();
        const runs: Array<{ id: string; data: unknown }> = [];
        const started = deferred();
        const release = deferred();
        const marker = deferred();
        queue.register(JobName.Housekeeping, async (job) => {
          runs.push({ id: job.id, data: job.data });
          if (job.id === 'hk-dup') {
            started.resolve();
            await release.promise;
          }
          if (job.id === 'hk-marker') {
            marker.resolve();
          }
        });
        await queue.start();
        expect(await queue.add(JobName.Housekeeping, { n: 1 }, { jobId: 'hk-dup' })).toEqual({ id: 'hk-dup', added: true });
        await started.promise;
        expect(await queue.add(JobName.Housekeeping, { n: 2 }, { jobId: 'hk-dup' })).toEqual({ id: 'hk-dup', added: false });
        release.resolve();
        // One worker, FIFO: had the duplicate been queued it would run before the marker.
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-marker' });
        await marker.promise;
        expect(await queue.add(JobName.Housekeeping, { n: 3 }, { jobId: 'hk-dup' })).toEqual({ id: 'hk-dup', added: false });
        expect(runs).toEqual([
          { id: 'hk-dup', data: { n: 1 } },
          { id: 'hk-marker', data: {} },
        ]);
      });

      it('addBulk adds every new id once, with its data and trace id, leaves an existing id alone, and adds nothing when one id is bad', async () => {
        const queue = await open();
        const runs: Array<{ id: string; data: unknown; traceId?: string }> = [];
        const marker = deferred();
        queue.register(JobName.Housekeeping, async (job) => {
          if (job.id === 'hk-bulk-marker') return marker.resolve();
          runs.push({ id: job.id, data: job.data, traceId: job.traceId });
        });
        await queue.add(JobName.Housekeeping, { n: 0 }, { jobId: 'hk-bulk-1' });
        await queue.addBulk(JobName.Housekeeping, [
          { data: { n: 1 }, opts: { jobId: 'hk-bulk-1' } },
          { data: { n: 2 }, opts: { jobId: 'hk-bulk-2', traceId: 'trace-2' } },
          { data: { n: 3 }, opts: { jobId: 'hk-bulk-3' } },
        ]);
        await queue.addBulk(JobName.Housekeeping, []);
        // all or nothing: one bad id and none of the batch is added
        await expect(
          queue.addBulk(JobName.Housekeeping, [
            { data: { n: 4 }, opts: { jobId: 'hk-bulk-4' } },
            { data: {}, opts: { jobId: 'settle:1' } },
          ]),
        ).rejects.toBeInstanceOf(InvalidJobIdError);
        await queue.start();
        // One worker, FIFO: had any id been queued twice, it would have run before the marker.
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-bulk-marker' });
        await marker.promise;
        expect(runs.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
          { id: 'hk-bulk-1', data: { n: 0 }, traceId: undefined },
          { id: 'hk-bulk-2', data: { n: 2 }, traceId: 'trace-2' },
          { id: 'hk-bulk-3', data: { n: 3 }, traceId: undefined },
        ]);
      });

      it.each(['123', '0', '-1', '007', 'settle:1', ''])('rejects the job id %p', async (jobId) => {
        const queue = await open();
        await expect(queue.add(JobName.Housekeeping, {}, { jobId })).rejects.toBeInstanceOf(InvalidJobIdError);
      });

      it('runs a delayed job after its delay', async () => {
        const queue = await open();
        const seen = deferred<string>();
        queue.register(JobName.Housekeeping, async (job) => seen.resolve(job.id));
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-delayed', delayMs: 20 });
        expect(await seen.promise).toBe('hk-delayed');
      });
    });

    describe('failures', () => {
      /** A handler that fails its first two attempts (Odoo unavailable) and succeeds on the third. */
      const failTwice = (queue: JobQueue) => {
        const attempts: number[] = [];
        const done = deferred();
        queue.register(JobName.Housekeeping, async (job) => {
          attempts.push(job.attempt);
          if (job.attempt < 3) {
            throw new Error(`Odoo unavailable (attempt ${job.attempt})`);
          }
          done.resolve();
        });
        return { attempts, done };
      };

      it('retries a transient failure with backoff until it succeeds', async () => {
        const queue = await open();
        const { attempts, done } = failTwice(queue);
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-transient', attempts: 5, backoffMs: 5 });
        await done.promise;
        expect(attempts).toEqual([1, 2, 3]);
        expect(await failedIds(queue)).toEqual([]);
      });

      it("the driver's backoffMs overrides a job's own (a job set to wait an hour between tries retries at once)", async () => {
        const queue = await open({ backoffMs: 5 });
        const { attempts, done } = failTwice(queue);
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-override', attempts: 5, backoffMs: 3_600_000 });
        await done.promise;
        expect(attempts).toEqual([1, 2, 3]);
      });

      it('fails a permanent error at once and lists it', async () => {
        const queue = await open();
        let calls = 0;
        queue.register(JobName.Housekeeping, async () => {
          calls++;
          throw new PermanentJobError('bad payload');
        });
        await queue.start();
        await queue.add(JobName.Housekeeping, { n: 1 }, { jobId: 'hk-permanent', attempts: 5, backoffMs: 5, traceId: 't-9' });
        const [failed] = await eventually(async () => {
          const list = await queue.getFailed();
          return list.length > 0 ? list : undefined;
        }, 'the failed job');
        expect(failed).toEqual({
          id: 'hk-permanent',
          name: JobName.Housekeeping,
          data: { n: 1 },
          traceId: 't-9',
          attemptsMade: 1,
          failedReason: 'bad payload',
          failedAt: expect.any(Date),
        });
        expect(calls).toBe(1);
      });

      it('lists a job that used up its attempts', async () => {
        const queue = await open();
        queue.register(JobName.Housekeeping, async (job) => {
          throw new Error(`still down (attempt ${job.attempt})`);
        });
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-exhausted', attempts: 2, backoffMs: 5 });
        const failed = await eventually(async () => (await queue.getFailed())[0], 'the failed job');
        expect(failed).toMatchObject({ id: 'hk-exhausted', attemptsMade: 2, failedReason: 'still down (attempt 2)' });
      });

      it('tells onJobFailed of each failed run, final when the job goes to the failed list', async () => {
        const failures: Array<{ queue: string; name: JobName; final: boolean }> = [];
        const queue = await open({ onJobFailed: (f) => failures.push(f) });
        queue.register(JobName.Housekeeping, async (job) => {
          throw new Error(`still down (attempt ${job.attempt})`);
        });
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-reported', attempts: 2, backoffMs: 5 });
        await eventually(async () => ((await failedIds(queue)).includes('hk-reported') ? true : undefined), 'the failed job');
        expect(failures).toEqual([
          { queue: QueueName.Default, name: JobName.Housekeeping, final: false },
          { queue: QueueName.Default, name: JobName.Housekeeping, final: true },
        ]);
        expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 1 });
      });

      it('retry() runs a failed job again with fresh attempts', async () => {
        const queue = await open();
        const rerun = deferred<number>();
        let calls = 0;
        queue.register(JobName.Housekeeping, async (job) => {
          calls++;
          if (calls === 1) {
            throw new PermanentJobError('Odoo refused');
          }
          rerun.resolve(job.attempt);
        });
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-retry' });
        await eventually(async () => ((await failedIds(queue)).includes('hk-retry') ? true : undefined), 'the failed job');
        expect(await queue.retry('hk-retry')).toBe(true);
        expect(await rerun.promise).toBe(1);
        await eventually(async () => ((await failedIds(queue)).length === 0 ? true : undefined), 'an empty failed list');
        expect(await queue.retry('hk-retry')).toBe(false);
        expect(await queue.retry('hk-missing')).toBe(false);
      });
    });

    describe('counts', () => {
      it('counts jobs waiting (not started yet) and delayed', async () => {
        const queue = await open();
        queue.register(JobName.Housekeeping, async () => undefined);
        expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0 });
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-count-1' });
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-count-2' });
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-count-later', delayMs: 3_600_000 });
        expect(await queue.counts()).toEqual({ waiting: 2, delayed: 1, active: 0, failed: 0 });
      });
    });

    describe('runNow', () => {
      it('promotes a job waiting out its backoff and keeps counting its runs', async () => {
        const queue = await open();
        const ran = deferred<number>();
        queue.register(JobName.Housekeeping, async (job) => {
          if (job.attempt === 1) throw new Error('Odoo down');
          ran.resolve(job.attempt);
        });
        await queue.start();
        // the retry would come an hour later
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-backoff', attempts: 3, backoffMs: 3_600_000 });
        await eventually(async () => ((await queue.attemptsMade('hk-backoff')) === 1 ? true : undefined), 'the first failed run');
        await eventually(async () => ((await queue.runNow('hk-backoff')) ? true : undefined), 'the promotion');
        expect(await ran.promise).toBe(2);
        // both runs count, the successful one too; a completed job is not run again
        await eventually(async () => ((await queue.attemptsMade('hk-backoff')) === 2 ? true : undefined), 'the second run counted');
        expect(await queue.runNow('hk-backoff')).toBe(false);
        expect(await queue.runNow('hk-missing')).toBe(false);
      });

      it('runs a failed job once more without a fresh set of attempts', async () => {
        const queue = await open();
        let runs = 0;
        queue.register(JobName.Housekeeping, async () => {
          runs++;
          throw new Error(`still down (run ${runs})`);
        });
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-spent', attempts: 2, backoffMs: 5 });
        await eventually(async () => ((await failedIds(queue)).includes('hk-spent') ? true : undefined), 'the failed job');
        expect(await queue.runNow('hk-spent')).toBe(true);
        const failed = await eventually(async () => (await queue.getFailed()).find((j) => j.failedReason === 'still down (run 3)'), 'the third failure');
        expect(failed.attemptsMade).toBe(3);
        expect(await queue.attemptsMade('hk-spent')).toBe(3);
      });
    });

    describe('ping', () => {
      it('answers while open', async () => {
        const queue = await open();
        await expect(queue.ping()).resolves.toBeUndefined();
      });
    });

    describe('close', () => {
      it('waits for a running job to finish', async () => {
        const queue = await open();
        const events: string[] = [];
        const started = deferred();
        const release = deferred();
        queue.register(JobName.Housekeeping, async () => {
          started.resolve();
          await release.promise;
          events.push('job finished');
        });
        await queue.start();
        await queue.add(JobName.Housekeeping, {}, { jobId: 'hk-slow' });
        await started.promise;
        const closed = queue.close().then(() => events.push('queue closed'));
        events.push('releasing');
        release.resolve();
        await closed;
        expect(events).toEqual(['releasing', 'job finished', 'queue closed']);
      });

      it('refuses new jobs once closed', async () => {
        const queue = await open();
        await queue.close();
        await expect(queue.add(JobName.Housekeeping, {}, { jobId: 'hk-late' })).rejects.toBeInstanceOf(QueueClosedError);
      });
    });
  });
}
