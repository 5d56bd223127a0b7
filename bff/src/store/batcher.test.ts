import { Batcher, type BatchResult } from './batcher';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};
const tick = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('sends a lone item at once, gathers what arrives while batches are in flight, and keeps each result with its item', async () => {
    const calls: number[][] = [];
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const batcher = new Batcher<number, string>(
      async (items) => {
        calls.push(items);
        const gate = deferred<void>();
        gates.push(gate);
        await gate.promise;
        return items.map((n): BatchResult<string> => (n === 13 ? { ok: false, error: new Error('unlucky') } : { ok: true, value: `v${n}` }));
      },
      { concurrency: 2, maxBatch: 3 },
    );
    const p1 = batcher.submit(1);
    await tick();
    expect(calls).toEqual([[1]]);
    const p2 = batcher.submit(2);
    await tick();
    expect(calls).toEqual([[1], [2]]);
    const later = Promise.allSettled([3, 4, 13, 6, 7].map((n) => batcher.submit(n)));
    await tick();
    expect(batcher.load).toEqual({ waiting: 5, running: 2 });
    gates[0]!.resolve();
    expect(await p1).toBe('v1');
    await tick();
    expect(calls).toEqual([[1], [2], [3, 4, 13]]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    await tick();
    await tick();
    expect(calls[3]).toEqual([6, 7]);
    gates[3]!.resolve();
    expect(await p2).toBe('v2');
    const settled = await later;
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual(['v3', 'v4', 'unlucky', 'v6', 'v7']);
    expect(batcher.load).toEqual({ waiting: 0, running: 0 });
  });

  it('rejects every item of a batch whose run fails, and goes on with the next', async () => {
    let fail = true;
    const batcher = new Batcher<number, number>(
      async (items) => {
        if (fail) {
          fail = false;
          throw new Error('store down');
        }
        return items.map((n) => ({ ok: true as const, value: n * 2 }));
      },
      { concurrency: 1, maxBatch: 10 },
    );
    const first = [1, 2].map((n) => batcher.submit(n));
    await expect(first[0]).rejects.toThrow('store down');
    expect(await batcher.submit(5)).toBe(10);
    // the second item went in the second batch (the first held only item 1), so it succeeded
    expect(await first[1]).toBe(4);
  });

  it('rejects a result list of the wrong length instead of leaving an item hanging', async () => {
    const batcher = new Batcher<number, number>(async () => [], { concurrency: 1, maxBatch: 10 });
    await expect(batcher.submit(1)).rejects.toThrow(/returned 0 results/);
  });

  it('refuses options that are not positive integers', () => {
    expect(() => new Batcher(async () => [], { concurrency: 0, maxBatch: 1 })).toThrow(RangeError);
    expect(() => new Batcher(async () => [], { concurrency: 1, maxBatch: 1.5 })).toThrow(RangeError);
  });
});
