import { JobName } from './names';
import { InProcessJobQueue } from './inprocess';
import { deferred, describeJobQueue } from './job-queue.spec';

describeJobQueue(InProcessJobQueue.name, async (opts) => {
  const queue = new InProcessJobQueue(opts);
  return { queue, cleanup: () => queue.close() };
});

/** These tests drive JobName.Housekeeping; the other names get no-op handlers so start() runs. */
function withOtherHandlers(queue: InProcessJobQueue): InProcessJobQueue {
  for (const name of Object.values(JobName)) if (name !== JobName.Housekeeping) queue.register(name, async () => undefined);
  return queue;
}

describe(`${InProcessJobQueue.name} specifics`, () => {
  it('runs up to `concurrency` jobs at once', async () => {
    const queue = withOtherHandlers(new InProcessJobQueue({ concurrency: 2 }));
    const started: string[] = [];
    const bothStarted = deferred();
    const release = deferred();
    queue.register(JobName.Housekeeping, async (job) => {
      started.push(job.id);
      if (started.length === 2) {
        bothStarted.resolve();
      }
      await release.promise;
    });
    await queue.start();
    await queue.add(JobName.Housekeeping, {}, { jobId: 'a-1' });
    await queue.add(JobName.Housekeeping, {}, { jobId: 'a-2' });
    await queue.add(JobName.Housekeeping, {}, { jobId: 'a-3' });
    await bothStarted.promise;
    expect(started).toEqual(['a-1', 'a-2']);
    release.resolve();
    await queue.close();
  });

  it('hands each attempt a fresh JSON copy of the data, as BullMQ does', async () => {
    const queue = withOtherHandlers(new InProcessJobQueue());
    const seen: unknown[] = [];
    const done = deferred();
    queue.register<{ at: unknown; list: number[] }>(JobName.Housekeeping, async (job) => {
      seen.push(structuredClone(job.data));
      job.data.list.push(99);
      if (job.attempt === 1) {
        throw new Error('again');
      }
      done.resolve();
    });
    await queue.start();
    await queue.add(JobName.Housekeeping, { at: new Date('2024-01-01T00:00:00Z'), list: [1] }, { jobId: 'json-1', backoffMs: 1 });
    await done.promise;
    expect(seen).toEqual([
      { at: '2024-01-01T00:00:00.000Z', list: [1] },
      { at: '2024-01-01T00:00:00.000Z', list: [1] },
    ]);
    await queue.close();
  });
});
