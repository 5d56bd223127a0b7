import { createDb, type Db } from './db';
import { IdempotencyStore, type BeginResult, type IdempotencyClaim, type IdempotencyScope, type StoredResponse } from './idempotency';
import { migrate } from './migrate';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

const scope = (over: Partial<IdempotencyScope> = {}): IdempotencyScope => ({
  principal: 'staff:7',
  method: 'POST',
  path: '/api/v1/work-orders/7/parts/issue',
  key: 'key-0001-abcdef',
  ...over,
});

const response = (over: Partial<StoredResponse> = {}): StoredResponse => ({
  status: 201,
  headers: { 'content-type': 'application/json; charset=utf-8', location: '/api/v1/pickings/9' },
  body: Buffer.from('{"id":9,"amount":1.50,"note":"é"}'),
  ...over,
});

function claimOf(r: BeginResult): IdempotencyClaim {
  if (r.kind !== 'claimed') throw new Error(`expected a claim, got ${r.kind}`);
  return r.claim;
}

/** Moves the lease of a key into the past, as if its claimant had crashed a while ago. */
async function expireLease(db: Db, s: IdempotencyScope): Promise<void> {
  await db.query(`UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE idem_key = $1 AND path = $2`, [s.key, s.path]);
}

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? `${IdempotencyStore.name} (pg) — skipped: DATABASE_URL not set` : `${IdempotencyStore.name} (${backend.kind})`, () => {
    let t: TestDb;
    let sut: IdempotencyStore;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
      sut = new IdempotencyStore(t.db);
    });

    afterAll(async () => {
      await t?.cleanup();
    });

    beforeEach(async () => {
      await t.db.query('TRUNCATE idempotency_keys');
    });

    describe('constructor', () => {
      it('refuses a lease that is not shorter than the retention', () => {
        expect(() => new IdempotencyStore(t.db, { leaseMs: 0 })).toThrow(RangeError);
        expect(() => new IdempotencyStore(t.db, { leaseMs: 10_000, retentionMs: 5_000 })).toThrow(RangeError);
      });
    });

    describe('begin', () => {
      it('claims a new key with a lease', async () => {
        const r = await sut.begin(scope(), 'hash-a');
        expect(r).toEqual({ kind: 'claimed', claim: { scope: scope(), token: expect.any(String) }, takenOver: false });
        const { rows } = await t.db.query<{ state: string; lease_s: number; keep_h: number }>(
          `SELECT state, extract(epoch FROM locked_until - now())::int AS lease_s, round(extract(epoch FROM expires_at - now()) / 3600)::int AS keep_h
             FROM idempotency_keys`,
        );
        expect(rows).toEqual([{ state: 'in_flight', lease_s: expect.any(Number), keep_h: 24 }]);
        expect(rows[0]?.lease_s).toBeGreaterThanOrEqual(58);
        expect(rows[0]?.lease_s).toBeLessThanOrEqual(60);
      });

      it('reports in flight for the same key and body while the claim is held', async () => {
        await sut.begin(scope(), 'hash-a');
        expect(await sut.begin(scope(), 'hash-a')).toEqual({ kind: 'in_flight', lockedUntil: expect.any(Date) });
      });

      it('reports a mismatch for the same key with another body, in flight or completed', async () => {
        const claim = claimOf(await sut.begin(scope(), 'hash-a'));
        expect(await sut.begin(scope(), 'hash-b')).toEqual({ kind: 'mismatch' });
        await sut.complete(claim, response());
        expect(await sut.begin(scope(), 'hash-b')).toEqual({ kind: 'mismatch' });
      });

      it('treats another principal, method or path as another key', async () => {
        claimOf(await sut.begin(scope(), 'hash-a'));
        for (const other of [scope({ principal: 'staff:8' }), scope({ method: 'PUT' }), scope({ path: '/api/v1/work-orders/8/parts/issue' }), scope({ key: 'key-0002-abcdef' })]) {
          expect((await sut.begin(other, 'hash-a')).kind).toBe('claimed');
        }
      });
    });

    describe('complete', () => {
      it('stores the response, which the same request then gets back byte for byte', async () => {
        const claim = claimOf(await sut.begin(scope(), 'hash-a'));
        expect(await sut.complete(claim, response())).toBe(true);
        const again = await sut.begin(scope(), 'hash-a');
        expect(again).toEqual({ kind: 'completed', response: response() });
        if (again.kind === 'completed') {
          // The body is bytes, not re-serialized JSON: `1.50` stays `1.50`.
          expect(again.response.body.toString('utf8')).toBe('{"id":9,"amount":1.50,"note":"é"}');
        }
      });

      it('stores 4xx outcomes too', async () => {
        const claim = claimOf(await sut.begin(scope(), 'hash-a'));
        const refused = response({ status: 409, headers: { 'content-type': 'application/problem+json' }, body: Buffer.from('{"status":409}') });
        expect(await sut.complete(claim, refused)).toBe(true);
        expect(await sut.begin(scope(), 'hash-a')).toEqual({ kind: 'completed', response: refused });
      });

      it('completes only once', async () => {
        const claim = claimOf(await sut.begin(scope(), 'hash-a'));
        expect(await sut.complete(claim, response())).toBe(true);
        expect(await sut.complete(claim, response({ status: 200 }))).toBe(false);
        expect(await sut.begin(scope(), 'hash-a')).toEqual({ kind: 'completed', response: response() });
      });

      it('extends the retention from the time of completion', async () => {
        const claim = claimOf(await sut.begin(scope(), 'hash-a'));
        await t.db.query(`UPDATE idempotency_keys SET expires_at = now() + interval '1 hour'`);
        await sut.complete(claim, response());
        const { rows } = await t.db.query<{ keep_h: number; locked: boolean }>(
          `SELECT round(extract(epoch FROM expires_at - now()) / 3600)::int AS keep_h, locked_until IS NOT NULL AS locked FROM idempotency_keys`,
        );
        expect(rows).toEqual([{ keep_h: 24, locked: false }]);
      });
    });

    describe('release', () => {
      it('frees the key: the next request, even with another body, runs anew', async () => {
        const claim = claimOf(await sut.begin(scope(), 'hash-a'));
        expect(await sut.release(claim)).toBe(true);
        expect((await sut.begin(scope(), 'hash-b')).kind).toBe('claimed');
      });

      it('does not release a completed key', async () => {
        const claim = claimOf(await sut.begin(scope(), 'hash-a'));
        await sut.complete(claim, response());
        expect(await sut.release(claim)).toBe(false);
        expect((await sut.begin(scope(), 'hash-a')).kind).toBe('completed');
      });
    });

    describe('lease', () => {
      it('lets a retry take over a claim whose lease expired', async () => {
        claimOf(await sut.begin(scope(), 'hash-a'));
        await expireLease(t.db, scope());
        const r = await sut.begin(scope(), 'hash-a');
        expect(r).toEqual({ kind: 'claimed', claim: { scope: scope(), token: expect.any(String) }, takenOver: true });
        // The new claimant holds a fresh lease.
        expect((await sut.begin(scope(), 'hash-a')).kind).toBe('in_flight');
      });

      it('honours the configured lease', async () => {
        const short = new IdempotencyStore(t.db, { leaseMs: 30 });
        claimOf(await short.begin(scope(), 'hash-a'));
        expect((await short.begin(scope(), 'hash-a')).kind).toBe('in_flight');
        await new Promise((resolve) => setTimeout(resolve, 60));
        expect(await short.begin(scope(), 'hash-a')).toMatchObject({ kind: 'claimed', takenOver: true });
      });

      it('does not let another body take over an expired claim', async () => {
        claimOf(await sut.begin(scope(), 'hash-a'));
        await expireLease(t.db, scope());
        expect(await sut.begin(scope(), 'hash-b')).toEqual({ kind: 'mismatch' });
      });

      it('keeps the taken-over claimant from completing or releasing: the claim token decides', async () => {
        const stale = claimOf(await sut.begin(scope(), 'hash-a'));
        await expireLease(t.db, scope());
        const fresh = claimOf(await sut.begin(scope(), 'hash-a'));
        expect(fresh.token).not.toBe(stale.token);

        expect(await sut.complete(stale, response({ status: 200, body: Buffer.from('"stale"') }))).toBe(false);
        expect(await sut.release(stale)).toBe(false);
        expect((await sut.begin(scope(), 'hash-a')).kind).toBe('in_flight');

        expect(await sut.complete(fresh, response())).toBe(true);
        expect(await sut.begin(scope(), 'hash-a')).toEqual({ kind: 'completed', response: response() });
      });
    });

    describe('sweep', () => {
      it('deletes completed keys past their retention and keeps the rest', async () => {
        const old = claimOf(await sut.begin(scope({ key: 'old-key-0001' }), 'h'));
        await sut.complete(old, response());
        const recent = claimOf(await sut.begin(scope({ key: 'recent-key-01' }), 'h'));
        await sut.complete(recent, response());
        await t.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 minute' WHERE idem_key = 'old-key-0001'`);

        expect(await sut.sweep()).toBe(1);
        expect((await sut.begin(scope({ key: 'old-key-0001' }), 'other')).kind).toBe('claimed');
        expect((await sut.begin(scope({ key: 'recent-key-01' }), 'h')).kind).toBe('completed');
      });

      it('deletes an in-flight key past its retention only once its lease has expired too', async () => {
        claimOf(await sut.begin(scope(), 'h'));
        await t.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 minute'`);
        expect(await sut.sweep()).toBe(0);
        await expireLease(t.db, scope());
        expect(await sut.sweep()).toBe(1);
      });

      it('takes the time to sweep at', async () => {
        const claim = claimOf(await sut.begin(scope(), 'h'));
        await sut.complete(claim, response());
        expect(await sut.sweep(new Date(Date.now() + 23 * 3600_000))).toBe(0);
        expect(await sut.sweep(new Date(Date.now() + 25 * 3600_000))).toBe(1);
      });

      it('honours the configured retention', async () => {
        const brief = new IdempotencyStore(t.db, { leaseMs: 1_000, retentionMs: 3_600_000 });
        await brief.complete(claimOf(await brief.begin(scope(), 'h')), response());
        expect(await brief.sweep(new Date(Date.now() + 2 * 3600_000))).toBe(1);
      });
    });
  });
}

const raceTitle = databaseUrl
  ? `${IdempotencyStore.name} race (pg, separate pools)`
  : `${IdempotencyStore.name} race (pg, separate pools) — skipped: DATABASE_URL not set`;
if (!databaseUrl) {
  warnSkippedOnce('PostgreSQL idempotency race tests: DATABASE_URL not set');
}

(databaseUrl ? describe : describe.skip)(raceTitle, () => {
  const CONTENDERS = 50;
  // 50 contenders over 20 single-connection pools, like 20 BFF processes: enough to race, and it leaves
  // room under PostgreSQL's default max_connections (100) for the other test files running beside it.
  const POOLS = 20;
  let t: TestDb;
  let stores: IdempotencyStore[];
  let dbs: Db[];

  beforeAll(async () => {
    t = await createTestDb({ databaseUrl });
    await migrate(t.db);
    dbs = await Promise.all(Array.from({ length: POOLS }, () => createDb({ databaseUrl, schema: t.schema, poolMax: 1 })));
    stores = Array.from({ length: CONTENDERS }, (_, i) => new IdempotencyStore(dbs[i % POOLS]!));
  });

  afterAll(async () => {
    await Promise.all((dbs ?? []).map((db) => db.close()));
    await t?.cleanup();
  });

  beforeEach(async () => {
    await t.db.query('TRUNCATE idempotency_keys');
  });

  const kinds = (results: BeginResult[]): Record<string, number> =>
    results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.kind]: (acc[r.kind] ?? 0) + 1 }), {});

  it(`gives a new key to exactly one of ${CONTENDERS} concurrent requests; the others see it in flight`, async () => {
    const results = await Promise.all(stores.map((s) => s.begin(scope(), 'hash-a')));
    expect(kinds(results)).toEqual({ claimed: 1, in_flight: CONTENDERS - 1 });
  });

  it('lets the others see in flight or, once the claimant completed, the replay', async () => {
    const results = await Promise.all(
      stores.map(async (s) => {
        const r = await s.begin(scope(), 'hash-a');
        // The claimant answers as soon as it has the key, while the others are still arriving.
        if (r.kind === 'claimed') await s.complete(r.claim, response());
        return r;
      }),
    );
    const counts = kinds(results);
    expect(counts.claimed).toBe(1);
    expect((counts.in_flight ?? 0) + (counts.completed ?? 0)).toBe(CONTENDERS - 1);
    for (const r of results) {
      if (r.kind === 'completed') expect(r.response).toEqual(response());
    }
    // Afterwards everyone gets the replay.
    expect(kinds(await Promise.all(stores.map((s) => s.begin(scope(), 'hash-a'))))).toEqual({ completed: CONTENDERS });
  });

  it(`lets exactly one of ${CONTENDERS} concurrent retries take over an expired lease`, async () => {
    const crashed = claimOf(await stores[0]!.begin(scope(), 'hash-a'));
    await expireLease(t.db, scope());
    const results = await Promise.all(stores.map((s) => s.begin(scope(), 'hash-a')));
    expect(kinds(results)).toEqual({ claimed: 1, in_flight: CONTENDERS - 1 });
    expect(results.find((r) => r.kind === 'claimed')).toMatchObject({ takenOver: true });
    expect(await stores[0]!.complete(crashed, response())).toBe(false);
  });

  it('lets exactly one request claim a key that is released while others retry', async () => {
    const first = claimOf(await stores[0]!.begin(scope(), 'hash-a'));
    const results = await Promise.all([stores[0]!.release(first), ...stores.slice(1).map((s) => s.begin(scope(), 'hash-a'))]);
    const begun = results.slice(1) as BeginResult[];
    expect(kinds(begun).claimed ?? 0).toBeLessThanOrEqual(1);
    expect((kinds(begun).claimed ?? 0) + (kinds(begun).in_flight ?? 0)).toBe(CONTENDERS - 1);
  });
});
