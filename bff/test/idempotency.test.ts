import express, { Router } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { z } from 'zod';
import type { Principal } from '../src/domain/principal';
import { AppError } from '../src/errors';
import { Idempotency } from '../src/http/idempotency';
import { notFoundHandler, problemHandler } from '../src/http/problem';
import { RouteRegistry } from '../src/http/route';
import { traceMiddleware } from '../src/http/trace';
import { createLogger } from '../src/logger';
import { TokenService } from '../src/services/token.service';
import { IdempotencyStore } from '../src/store/idempotency';
import { migrate } from '../src/store/migrate';
import { createTestDb, warnSkippedOnce, type TestDb } from './support/test-db';
import { expectProblem } from './harness';

/**
 * The Idempotency-Key layer through HTTP: the real RouteRegistry, error handler, TokenService and store, with two
 * test-only routes (no production route opts in yet). The handler's behaviour is set per test.
 */

const databaseUrl = process.env.DATABASE_URL;

type Behaviour = (input: { id: number; body: IssueBody; principal: Principal }, res: express.Response) => Promise<void>;

const issueBody = z.object({ product_id: z.number().int().positive(), qty: z.number().positive(), note: z.string().optional() }).strict();
type IssueBody = z.infer<typeof issueBody>;

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const issued: Behaviour = async ({ id, body }, res) => {
  res.status(201).location(`/api/v1/pickings/${id * 100}`).json({ picking_id: id * 100, work_order_id: id, qty: body.qty, n: Math.random() });
};

const keeper: Principal = { kind: 'staff', uid: 7, name: 'Keeper', roles: ['keeper'], companyId: 1 };
const otherKeeper: Principal = { kind: 'staff', uid: 8, name: 'Other keeper', roles: ['keeper'], companyId: 1 };

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');

  (skip ? describe.skip : describe)(skip ? 'Idempotency-Key over HTTP (pg) — skipped: DATABASE_URL not set' : `Idempotency-Key over HTTP (${backend.kind})`, () => {
    let t: TestDb;
    let server: Server;
    let base: string;
    let tokens: TokenService;
    let tokenOf: Map<Principal, string>;
    let behaviour: Behaviour;
    let calls: number;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
      const logger = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
      tokens = new TokenService(
        { secret: 'test-secret-test-secret-test-secret!', issuer: 'drmoto-test', accessTtlS: 600, refreshTtlS: 3600 },
        { issue: async () => undefined, consume: async () => true, revokeSubject: async () => undefined },
      );
      tokenOf = new Map();
      for (const p of [keeper, otherKeeper]) tokenOf.set(p, (await tokens.issue(p)).access_token);

      const registry = new RouteRegistry('/api/v1', tokens, new Idempotency(new IdempotencyStore(t.db), logger));
      const router = Router();
      router.use(express.json());
      registry.add(router, {
        method: 'post',
        path: '/work-orders/:id/parts/issue',
        summary: 'test only: issue parts',
        tags: ['test'],
        access: { staff: ['keeper'] },
        idempotency: 'required',
        params: z.object({ id: z.coerce.number().int().positive() }).strict(),
        body: issueBody,
        responses: { 201: { description: 'Issued' } },
        handler: async ({ params, body, principal }, _req, res) => {
          calls++;
          await behaviour({ id: params.id, body, principal }, res);
        },
      });
      registry.add(router, {
        method: 'post',
        path: '/notes',
        summary: 'test only: optional key',
        tags: ['test'],
        access: { staff: 'any' },
        idempotency: 'optional',
        body: z.object({ text: z.string() }).strict(),
        responses: { 201: { description: 'Noted' } },
        handler: async (_v, _req, res) => {
          calls++;
          res.status(201).json({ note: calls });
        },
      });
      const app = express();
      app.set('etag', false);
      app.use(traceMiddleware);
      app.use('/api/v1', router);
      app.use(notFoundHandler);
      app.use(problemHandler(logger));
      server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await t?.cleanup();
    });

    beforeEach(async () => {
      await t.db.query('TRUNCATE idempotency_keys');
      behaviour = issued;
      calls = 0;
    });

    async function post(path: string, opts: { key?: string; body?: unknown; as?: Principal } = {}) {
      const headers: Record<string, string> = { authorization: `Bearer ${tokenOf.get(opts.as ?? keeper)}`, 'content-type': 'application/json' };
      if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
      const res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(opts.body ?? { product_id: 3, qty: 2 }) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as any) : undefined };
    }

    const ISSUE = '/work-orders/7/parts/issue';

    describe('the key header', () => {
      it('is required: 400 IDEMPOTENCY_KEY_REQUIRED, and the handler does not run', async () => {
        const r = await post(ISSUE);
        expectProblem(r, 400, 'IDEMPOTENCY_KEY_REQUIRED');
        expect(calls).toBe(0);
      });

      it('must be 8–255 printable ASCII: 400 IDEMPOTENCY_KEY_INVALID', async () => {
        for (const key of ['short', 'k'.repeat(256), 'clé-clé-clé-clé']) {
          expectProblem(await post(ISSUE, { key }), 400, 'IDEMPOTENCY_KEY_INVALID');
        }
        expect(calls).toBe(0);
      });

      it('is optional where the route says so: without it every request runs, with it the answer is replayed', async () => {
        await post('/notes', { body: { text: 'a' } });
        await post('/notes', { body: { text: 'a' } });
        expect(calls).toBe(2);
        const first = await post('/notes', { key: 'note-key-0001', body: { text: 'a' } });
        const again = await post('/notes', { key: 'note-key-0001', body: { text: 'a' } });
        expect(calls).toBe(3);
        expect(again.text).toBe(first.text);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
      });

      it('is not touched by a request that fails validation', async () => {
        expectProblem(await post(ISSUE, { key: 'key-valid-0001', body: { product_id: 3, qty: -1 } }), 400);
        // Had the invalid body been stored, this would be a 422 (another body) or a replayed 400.
        const r = await post(ISSUE, { key: 'key-valid-0001' });
        expect(r.status).toBe(201);
        expect(r.headers.get('idempotent-replayed')).toBeNull();
        expect(calls).toBe(1);
      });
    });

    describe('replay', () => {
      it('answers a retry with the stored status, headers and body, marked Idempotent-Replayed, without running again', async () => {
        const first = await post(ISSUE, { key: 'key-replay-0001', body: { product_id: 3, qty: 2, note: 'left' } });
        expect(first.status).toBe(201);
        expect(first.headers.get('idempotent-replayed')).toBeNull();
        // The same content with its keys in another order is the same request.
        const again = await post(ISSUE, { key: 'key-replay-0001', body: { note: 'left', qty: 2, product_id: 3 } });
        expect(again.status).toBe(201);
        expect(again.text).toBe(first.text);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.headers.get('location')).toBe('/api/v1/pickings/700');
        expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
        expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
        expect(calls).toBe(1);
      });

      it('treats the same resource written another way (/work-orders/07) as the same scope', async () => {
        const first = await post(ISSUE, { key: 'key-scope-0007' });
        const again = await post('/work-orders/07/parts/issue', { key: 'key-scope-0007' });
        expect(again.text).toBe(first.text);
        expect(calls).toBe(1);
      });
    });

    describe('another body with the same key', () => {
      it('is refused with 422 IDEMPOTENCY_KEY_REUSED', async () => {
        await post(ISSUE, { key: 'key-reuse-0001', body: { product_id: 3, qty: 2 } });
        const r = await post(ISSUE, { key: 'key-reuse-0001', body: { product_id: 3, qty: 5 } });
        expectProblem(r, 422, 'IDEMPOTENCY_KEY_REUSED');
        expect(calls).toBe(1);
      });
    });

    describe('a request still in flight', () => {
      it('makes a retry with its key wait: 409 IDEMPOTENCY_KEY_IN_FLIGHT with Retry-After: 1', async () => {
        const entered = deferred();
        const gate = deferred();
        behaviour = async (input, res) => {
          entered.resolve();
          await gate.promise;
          await issued(input, res);
        };
        const first = post(ISSUE, { key: 'key-flight-0001' });
        await entered.promise;

        const retry = await post(ISSUE, { key: 'key-flight-0001' });
        expectProblem(retry, 409, 'IDEMPOTENCY_KEY_IN_FLIGHT');
        expect(retry.headers.get('retry-after')).toBe('1');

        gate.resolve();
        const done = await first;
        expect(done.status).toBe(201);
        const after = await post(ISSUE, { key: 'key-flight-0001' });
        expect(after.text).toBe(done.text);
        expect(after.headers.get('idempotent-replayed')).toBe('true');
        expect(calls).toBe(1);
      });

      it('runs the handler exactly once when 20 requests with one key arrive together', async () => {
        const gate = deferred();
        behaviour = async (input, res) => {
          await gate.promise;
          await issued(input, res);
        };
        const all = Promise.all(Array.from({ length: 20 }, () => post(ISSUE, { key: 'key-herd-00001' })));
        await new Promise((resolve) => setTimeout(resolve, 200));
        gate.resolve();
        const results = await all;
        // A request that arrives after the first completed gets the replay; one arriving while it runs, a 409.
        const originals = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true');
        const replays = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true');
        const inFlight = results.filter((r) => r.status === 409);
        expect(originals).toHaveLength(1);
        expect(replays.length + inFlight.length).toBe(19);
        for (const r of replays) expect(r.text).toBe(originals[0]!.text);
        for (const r of inFlight) expect(r.body.code).toBe('IDEMPOTENCY_KEY_IN_FLIGHT');
        expect(calls).toBe(1);
      });
    });

    describe('failures', () => {
      it('does not store a 5xx (Odoo down): the retry runs again', async () => {
        behaviour = async () => {
          throw new AppError('dependency_unavailable', 'Odoo is unavailable.', { code: 'ODOO_UNAVAILABLE', retryAfterS: 5 });
        };
        expectProblem(await post(ISSUE, { key: 'key-fail-00001' }), 503, 'ODOO_UNAVAILABLE');
        behaviour = issued;
        const retry = await post(ISSUE, { key: 'key-fail-00001' });
        expect(retry.status).toBe(201);
        expect(retry.headers.get('idempotent-replayed')).toBeNull();
        expect(calls).toBe(2);
      });

      it('does not store an unexpected error (500), nor a 5xx the handler answered itself', async () => {
        behaviour = async () => {
          throw new Error('bug');
        };
        expectProblem(await post(ISSUE, { key: 'key-fail-00002' }), 500);
        behaviour = async (_input, res) => {
          res.status(502).json({ upstream: 'down' });
        };
        expect((await post(ISSUE, { key: 'key-fail-00002' })).status).toBe(502);
        behaviour = issued;
        expect((await post(ISSUE, { key: 'key-fail-00002' })).status).toBe(201);
        expect(calls).toBe(3);
      });

      it('frees the key after a 5xx for another body too', async () => {
        behaviour = async () => {
          throw new AppError('dependency_unavailable', 'Odoo is unavailable.');
        };
        await post(ISSUE, { key: 'key-fail-00003', body: { product_id: 3, qty: 2 } });
        behaviour = issued;
        expect((await post(ISSUE, { key: 'key-fail-00003', body: { product_id: 3, qty: 9 } })).status).toBe(201);
      });

      it('does not store a 429: the client was told to retry', async () => {
        behaviour = async () => {
          throw new AppError('rate_limited', 'Slow down.', { retryAfterS: 1 });
        };
        expect((await post(ISSUE, { key: 'key-fail-00004' })).status).toBe(429);
        behaviour = issued;
        expect((await post(ISSUE, { key: 'key-fail-00004' })).status).toBe(201);
        expect(calls).toBe(2);
      });

      it('stores a 4xx the handler threw (the operation ran and was refused) and replays it', async () => {
        behaviour = async () => {
          throw new AppError('conflict', 'The work order is done; parts can no longer be issued.', { code: 'ILLEGAL_TRANSITION' });
        };
        const first = await post(ISSUE, { key: 'key-refused-001' });
        expectProblem(first, 409, 'ILLEGAL_TRANSITION');
        behaviour = issued;
        const again = await post(ISSUE, { key: 'key-refused-001' });
        expectProblem(again, 409, 'ILLEGAL_TRANSITION');
        // Byte for byte, down to the first request's trace id.
        expect(again.text).toBe(first.text);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(calls).toBe(1);
      });

      it('stores a 4xx the handler answered itself', async () => {
        behaviour = async (_input, res) => {
          res.status(422).json({ reason: 'not enough stock' });
        };
        const first = await post(ISSUE, { key: 'key-refused-002' });
        behaviour = issued;
        const again = await post(ISSUE, { key: 'key-refused-002' });
        expect([first.status, again.status]).toEqual([422, 422]);
        expect(again.body).toEqual({ reason: 'not enough stock' });
        expect(calls).toBe(1);
      });
    });

    describe('scope', () => {
      it('keeps the same key on two work orders apart', async () => {
        const a = await post('/work-orders/7/parts/issue', { key: 'key-shared-0001' });
        const b = await post('/work-orders/8/parts/issue', { key: 'key-shared-0001' });
        expect([a.status, b.status]).toEqual([201, 201]);
        expect(b.headers.get('idempotent-replayed')).toBeNull();
        expect([a.body.work_order_id, b.body.work_order_id]).toEqual([7, 8]);
        expect(calls).toBe(2);
      });

      it('keeps the same key of two principals apart', async () => {
        const seen: string[] = [];
        behaviour = async (input, res) => {
          seen.push(input.principal.kind === 'staff' ? input.principal.name : '?');
          await issued(input, res);
        };
        const a = await post(ISSUE, { key: 'key-shared-0002', as: keeper });
        const b = await post(ISSUE, { key: 'key-shared-0002', as: otherKeeper });
        expect(b.headers.get('idempotent-replayed')).toBeNull();
        expect(b.text).not.toBe(a.text);
        expect(seen).toEqual(['Keeper', 'Other keeper']);
      });

      it('runs the handler exactly once per key', async () => {
        for (const key of ['key-count-0001', 'key-count-0002', 'key-count-0001', 'key-count-0003', 'key-count-0002', 'key-count-0001']) {
          expect((await post(ISSUE, { key })).status).toBe(201);
        }
        expect(calls).toBe(3);
      });
    });
  });
}
