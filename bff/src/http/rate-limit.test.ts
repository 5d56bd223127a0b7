import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { FailOpenStore } from './rate-limit';

/** A store whose init and increment fail while `down` is set (as the Redis store does while Redis is away). */
function flakyStore(): Store & { down: boolean; inits: number; calls: number } {
  return {
    down: true,
    inits: 0,
    calls: 0,
    init(this: { down: boolean; inits: number }) {
      this.inits++;
      if (this.down) return Promise.reject(new Error('connection refused')) as unknown as void;
    },
    async increment(this: { down: boolean; calls: number }): Promise<ClientRateLimitInfo> {
      this.calls++;
      if (this.down) throw new Error('connection refused');
      return { totalHits: this.calls, resetTime: new Date(Date.now() + 60_000) };
    },
    async decrement() {},
    async resetKey() {},
  };
}

describe(FailOpenStore.name, () => {
  it('lets requests through while the store fails, and counts again once it is back (its init is retried)', async () => {
    const inner = flakyStore();
    const errors: unknown[] = [];
    const store = new FailOpenStore(inner, (e) => errors.push(e));
    store.init({ windowMs: 60_000 } as Options);
    expect(await store.increment('k')).toEqual({ totalHits: 0, resetTime: undefined });
    expect(await store.increment('k')).toEqual({ totalHits: 0, resetTime: undefined });
    expect(errors).toHaveLength(2);
    inner.down = false;
    expect((await store.increment('k')).totalHits).toBeGreaterThan(0);
    expect(inner.inits).toBe(3); // the failed init is not kept: it runs again before the next try
  });

  it('does not call the store at all while it is known to be unavailable', async () => {
    const inner = flakyStore();
    inner.down = false;
    let up = false;
    const errors: unknown[] = [];
    const store = new FailOpenStore(inner, (e) => errors.push(e), () => up);
    store.init({ windowMs: 60_000 } as Options);
    expect(await store.increment('k')).toEqual({ totalHits: 0, resetTime: undefined });
    expect([inner.inits, inner.calls, errors.length]).toEqual([0, 0, 1]);
    up = true;
    expect((await store.increment('k')).totalHits).toBe(1);
  });
});
