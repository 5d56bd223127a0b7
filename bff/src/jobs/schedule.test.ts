import { JobName } from './names';
import { validateJobId, type AddJobOptions, type JobQueue } from './queue';
import { periodJobId, scheduleRecurring } from './schedule';

describe(periodJobId.name, () => {
  it('names the period by its UTC start, to the second, as a valid job id', () => {
    const at = Date.UTC(2026, 10, 22, 14, 30, 41, 500);
    expect(periodJobId(JobName.Reconcile, 60_000, at)).toBe('reconcile-20261122T143000');
    expect(periodJobId(JobName.Reconcile, 1_000, at)).toBe('reconcile-20261122T143041');
    expect(periodJobId(JobName.Housekeeping, 3_600_000, at)).toBe('housekeeping-20261122T140000');
    expect(() => validateJobId(periodJobId(JobName.Reconcile, 60_000, at))).not.toThrow();
  });
});

describe(scheduleRecurring.name, () => {
  afterEach(() => jest.useRealTimers());

  it('offers each job every offerEveryMs; offers within one period carry the same id', async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1, 0, 0, 0) });
    const added: Array<{ name: JobName; opts: AddJobOptions }> = [];
    const queue = { add: async (name: JobName, _data: unknown, opts: AddJobOptions) => (added.push({ name, opts }), { id: opts.jobId, added: true }) } as unknown as JobQueue;
    const schedule = scheduleRecurring(queue, [{ name: JobName.Housekeeping, everyMs: 3_600_000, offerEveryMs: 600_000, attempts: 3 }], () => undefined);
    jest.advanceTimersByTime(3_600_000 + 600_000);
    schedule.stop();
    jest.advanceTimersByTime(3_600_000);
    expect(added.map((a) => a.opts.jobId)).toEqual([
      ...Array(5).fill('housekeeping-20260101T000000'),
      'housekeeping-20260101T010000',
      'housekeeping-20260101T010000',
    ]);
    expect(added.every((a) => a.name === JobName.Housekeeping && a.opts.attempts === 3)).toBe(true);
  });

  it('reports a failed offer and keeps offering', async () => {
    jest.useFakeTimers();
    let calls = 0;
    const queue = {
      add: async () => {
        calls++;
        throw new Error('redis down');
      },
    } as unknown as JobQueue;
    const errors: string[] = [];
    const schedule = scheduleRecurring(queue, [{ name: JobName.Reconcile, everyMs: 1_000, attempts: 1 }], (job, e) => errors.push(`${job.name}: ${e.message}`));
    await jest.advanceTimersByTimeAsync(2_000);
    schedule.stop();
    expect(calls).toBe(2);
    expect(errors).toEqual(['reconcile: redis down', 'reconcile: redis down']);
  });
});
