import { Gate } from './gate';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('Gate', () => {
  it('lets at most `limit` callers in, the rest in arrival order, and frees the slot when one fails', async () => {
    const gate = new Gate(2);
    const order: string[] = [];
    const held = ['a', 'b', 'c', 'd'].map(() => deferred());
    const runs = ['a', 'b', 'c', 'd'].map((name, i) =>
      gate.run(async () => {
        order.push(`in:${name}`);
        await held[i]!.promise;
        if (name === 'a') throw new Error('a failed');
        return name;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['in:a', 'in:b']);
    expect(gate.load).toEqual({ active: 2, waiting: 2 });
    held[0]!.resolve();
    await expect(runs[0]).rejects.toThrow('a failed');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['in:a', 'in:b', 'in:c']);
    held[1]!.resolve();
    held[2]!.resolve();
    held[3]!.resolve();
    expect(await Promise.all(runs.slice(1))).toEqual(['b', 'c', 'd']);
    expect(order).toEqual(['in:a', 'in:b', 'in:c', 'in:d']);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new Gate(0)).toThrow(RangeError);
    expect(() => new Gate(1.5)).toThrow(RangeError);
  });
});
