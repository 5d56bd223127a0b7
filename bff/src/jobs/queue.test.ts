import { JobName } from './names';
import { assertAllHandlers, backoffDelay, InvalidJobIdError, MissingJobHandlerError, validateJobId } from './queue';
import { createQueue } from './index';

describe('validateJobId', () => {
  it.each(['settle-42', 'reconcile-2024-01-02', 'hk_1', 'a'])('accepts %p', (id) => {
    expect(() => validateJobId(id)).not.toThrow();
  });

  it.each([['42'], ['-7'], ['007'], ['settle:42'], [''], [42], ['x'.repeat(201)]])('rejects %p', (id) => {
    expect(() => validateJobId(id)).toThrow(InvalidJobIdError);
  });
});

describe('assertAllHandlers', () => {
  it('names every job without a handler', () => {
    expect(() => assertAllHandlers(new Set())).toThrow(MissingJobHandlerError);
    expect(() => assertAllHandlers(new Set(Object.values(JobName)))).not.toThrow();
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt without jitter', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 100, 0))).toEqual([100, 200, 400, 800]);
  });

  it('stays within the jitter band', () => {
    expect(backoffDelay(3, 100, 0.5, () => 0)).toBe(200);
    expect(backoffDelay(3, 100, 0.5, () => 0.999)).toBe(399);
  });
});

describe('createQueue', () => {
  it('is in-process without a Redis URL', async () => {
    const queue = createQueue({});
    expect(queue.kind).toBe('inprocess');
    await queue.close();
  });
});
