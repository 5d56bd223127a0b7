import { randomBytes } from 'node:crypto';
import { BullmqJobQueue } from './bullmq';
import { describeJobQueue } from './job-queue.spec';

const redisUrl = process.env.REDIS_URL;

jest.setTimeout(30_000);

if (redisUrl) {
  describeJobQueue(BullmqJobQueue.name, async (opts) => {
    // A prefix per test: other jest workers may use the same Redis at the same time.
    const prefix = `test-${randomBytes(6).toString('hex')}`;
    const queue = new BullmqJobQueue({ ...opts, redisUrl, prefix });
    return {
      queue,
      async cleanup() {
        await queue.close();
        await BullmqJobQueue.obliterate({ redisUrl, prefix });
      },
    };
  });
} else {
  console.warn('[skipped] BullMQ queue tests: REDIS_URL not set');
  describe.skip(`${BullmqJobQueue.name} — skipped: REDIS_URL not set`, () => {
    it('needs a Redis server', () => undefined);
  });
}
