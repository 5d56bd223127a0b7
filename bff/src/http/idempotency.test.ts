import express, { Router, type Request } from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { z } from 'zod';
import { createLogger } from '../logger';
import type { TokenService } from '../services/token.service';
import type { BeginResult, IdempotencyClaim, IdempotencyScope, StoredResponse } from '../store/idempotency';
import { AppError } from '../errors';
import {
  canonicalJson,
  Idempotency,
  isStorable,
  readIdempotencyKey,
  requestHash,
  scopePath,
  type IdempotencyStorePort,
} from './idempotency';
import { problemHandler } from './problem';
import { RouteRegistry } from './route';
import { traceMiddleware } from './trace';

const silent = createLogger({ silent: true });

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const fakeReq = (over: Partial<Request> & { headers?: Record<string, string | string[]> }): Request => {
  const headers = over.headers ?? {};
  const headersDistinct: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) headersDistinct[k.toLowerCase()] = Array.isArray(v) ? v : [v];
  return { params: {}, baseUrl: '', originalUrl: '/', ...over, headersDistinct } as unknown as Request;
};

/** A fake store that always claims, and records what the layer did with the claim. */
class FakeStore implements IdempotencyStorePort {
  calls: string[] = [];
  completed?: StoredResponse;
  completeGate?: Promise<void>;
  failBegin?: Error;

  async begin(scope: IdempotencyScope): Promise<BeginResult> {
    this.calls.push('begin');
    if (this.failBegin) throw this.failBegin;
    return { kind: 'claimed', claim: { scope, token: 't' }, takenOver: false };
  }
  async complete(_claim: IdempotencyClaim, response: StoredResponse): Promise<boolean> {
    this.calls.push('complete');
    await this.completeGate;
    this.completed = response;
    return true;
  }
  async release(): Promise<boolean> {
    this.calls.push('release');
    return true;
  }
}

const fakeTokens = { verifyAccess: () => ({ kind: 'staff', uid: 7, name: 'K', roles: ['keeper'], companyId: 1 }) } as unknown as TokenService;

async function serve(store: IdempotencyStorePort, handler: (req: Request, res: express.Response) => Promise<void>) {
  const app = express();
  app.set('etag', false);
  app.use(traceMiddleware);
  const router = Router();
  router.use(express.json());
  const registry = new RouteRegistry('/api', fakeTokens, new Idempotency(store, silent));
  registry.add(router, {
    method: 'post',
    path: '/things',
    summary: 'test',
    tags: [],
    access: { staff: 'any' },
    idempotency: 'required',
    responses: { 201: { description: 'ok' } },
    handler: (_v, req, res) => handler(req, res),
  });
  app.use('/api', router);
  app.use(problemHandler(silent));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/things`;
  const post = (body: unknown = {}) =>
    fetch(url, { method: 'POST', headers: { authorization: 'Bearer x', 'content-type': 'application/json', 'idempotency-key': 'key-12345678' }, body: JSON.stringify(body) });
  return { post, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('readIdempotencyKey', () => {
  it('returns the key', () => {
    expect(readIdempotencyKey(fakeReq({ headers: { 'idempotency-key': 'abc 1234-XYZ' } }), 'required')).toBe('abc 1234-XYZ');
  });

  it('returns undefined on an optional route without the header', () => {
    expect(readIdempotencyKey(fakeReq({}), 'optional')).toBeUndefined();
  });

  it('refuses a missing key on a required route with IDEMPOTENCY_KEY_REQUIRED', () => {
    expect(() => readIdempotencyKey(fakeReq({}), 'required')).toThrow(expect.objectContaining({ type: 'invalid_input', code: 'IDEMPOTENCY_KEY_REQUIRED' }));
  });

  it.each([
    ['too short', 'abc1234'],
    ['too long', 'k'.repeat(256)],
    ['not ASCII', 'clé-clé-clé'],
    ['a control character', 'key\t12345678'],
  ])('refuses a key that is %s, even on an optional route', (_why, key) => {
    expect(() => readIdempotencyKey(fakeReq({ headers: { 'idempotency-key': key } }), 'optional')).toThrow(
      expect.objectContaining({ type: 'invalid_input', code: 'IDEMPOTENCY_KEY_INVALID' }),
    );
  });

  it('accepts 8 and 255 characters', () => {
    for (const key of ['k'.repeat(8), 'k'.repeat(255)]) expect(readIdempotencyKey(fakeReq({ headers: { 'idempotency-key': key } }), 'required')).toBe(key);
  });

  it('refuses the header sent twice', () => {
    expect(() => readIdempotencyKey(fakeReq({ headers: { 'idempotency-key': ['key-aaaaaaaa', 'key-bbbbbbbb'] } }), 'required')).toThrow(
      expect.objectContaining({ code: 'IDEMPOTENCY_KEY_INVALID' }),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('drops undefined members and serializes dates and bigints', () => {
    expect(canonicalJson({ a: undefined, at: new Date('2024-01-02T03:04:05.000Z'), n: 10n })).toBe('{"at":"2024-01-02T03:04:05.000Z","n":"10"}');
  });

  it('serializes undefined as null', () => {
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('requestHash', () => {
  it('is the same for the same content in another key order, and differs for other content', () => {
    expect(requestHash({ a: 1, b: [1, 2] })).toBe(requestHash({ b: [1, 2], a: 1 }));
    expect(requestHash({ a: 1, b: [1, 2] })).not.toBe(requestHash({ a: 1, b: [2, 1] }));
    expect(requestHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('scopePath', () => {
  it('fills the route path with the validated parameters under the mount path', () => {
    const req = fakeReq({ baseUrl: '/api/v1', originalUrl: '/api/v1/work-orders/07/parts/issue?x=1' });
    expect(scopePath(req, '/work-orders/:id/parts/issue', { id: 7 })).toBe('/api/v1/work-orders/7/parts/issue');
  });

  it('falls back to the request path without its query for wildcard routes or missing parameters', () => {
    const req = fakeReq({ baseUrl: '/api', originalUrl: '/api/files/a/b?x=1' });
    expect(scopePath(req, '/files/*rest', { rest: ['a', 'b'] })).toBe('/api/files/a/b');
    expect(scopePath(req, '/files/:id', {})).toBe('/api/files/a/b');
  });
});

describe('isStorable', () => {
  it('stores 2xx–4xx except 429, never 5xx', () => {
    expect([200, 201, 400, 404, 409, 422, 429, 500, 502, 503].map(isStorable)).toEqual([true, true, true, true, true, true, false, false, false, false]);
  });
});

describe(Idempotency.name, () => {
  describe('run', () => {
    it('stores the response before the client receives any of it', async () => {
      const store = new FakeStore();
      const gate = deferred();
      store.completeGate = gate.promise;
      const app = await serve(store, async (_req, res) => {
        res.status(201).location('/x/1').json({ id: 1 });
      });
      try {
        let received = false;
        const pending = app.post().then(async (r) => {
          received = true;
          return { status: r.status, text: await r.text() };
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(store.calls).toEqual(['begin', 'complete']);
        expect(received).toBe(false);
        gate.resolve();
        expect(await pending).toEqual({ status: 201, text: '{"id":1}' });
        expect(store.completed).toEqual({
          status: 201,
          headers: { 'content-type': 'application/json; charset=utf-8', location: '/x/1' },
          body: Buffer.from('{"id":1}'),
        });
      } finally {
        await app.close();
      }
    });

    it('captures a streamed response whole', async () => {
      const store = new FakeStore();
      const app = await serve(store, async (_req, res) => {
        res.status(200).type('application/json');
        res.write('{"a":');
        res.write(Buffer.from('1}'));
        res.end();
      });
      try {
        const r = await app.post();
        expect(await r.text()).toBe('{"a":1}');
        expect(store.completed?.body.toString()).toBe('{"a":1}');
      } finally {
        await app.close();
      }
    });

    it('releases the claim, and does not store, when a handler streamed part of a body and then threw', async () => {
      const store = new FakeStore();
      const app = await serve(store, async (_req, res) => {
        res.status(200).type('application/json');
        res.write('{"a":');
        throw new Error('boom');
      });
      try {
        const r = await app.post();
        await r.text().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(store.calls).toEqual(['begin', 'release']);
      } finally {
        await app.close();
      }
    });

    it('keeps the first answer when a handler answers and then throws', async () => {
      const store = new FakeStore();
      const app = await serve(store, async (_req, res) => {
        res.status(201).json({ ok: true });
        throw new AppError('conflict', 'too late');
      });
      try {
        const r = await app.post();
        expect({ status: r.status, text: await r.text() }).toEqual({ status: 201, text: '{"ok":true}' });
        expect(store.completed?.status).toBe(201);
      } finally {
        await app.close();
      }
    });

    it('answers 503 when the store cannot be reached, without running the handler', async () => {
      const store = new FakeStore();
      store.failBegin = new Error('connection refused');
      let ran = false;
      const app = await serve(store, async (_req, res) => {
        ran = true;
        res.json({});
      });
      try {
        const r = await app.post();
        expect(r.status).toBe(503);
        expect(r.headers.get('retry-after')).toBe('1');
        expect(((await r.json()) as { code?: string }).code).toBe('IDEMPOTENCY_STORE_UNAVAILABLE');
        expect(ran).toBe(false);
      } finally {
        await app.close();
      }
    });

    it('still answers the client when the outcome cannot be stored', async () => {
      const store = new FakeStore();
      store.complete = () => Promise.reject(new Error('db down'));
      const app = await serve(store, async (_req, res) => {
        res.status(201).json({ id: 2 });
      });
      try {
        const r = await app.post();
        expect({ status: r.status, text: await r.text() }).toEqual({ status: 201, text: '{"id":2}' });
      } finally {
        await app.close();
      }
    });
  });
});

describe(`${RouteRegistry.name} with idempotency`, () => {
  const route = {
    method: 'post' as const,
    path: '/things/:id',
    summary: 'A thing',
    tags: ['t'],
    access: { staff: 'any' as const },
    params: z.object({ id: z.coerce.number() }).strict(),
    responses: { 201: { description: 'ok' } },
    handler: async () => undefined,
  };

  it('refuses an idempotent route when it was built without a store', () => {
    const registry = new RouteRegistry('/api', fakeTokens);
    expect(() => registry.add(Router(), { ...route, idempotency: 'required' })).toThrow(/without an Idempotency store/);
  });

  it('refuses idempotency on a public route', () => {
    const registry = new RouteRegistry('/api', fakeTokens, new Idempotency(new FakeStore()));
    expect(() => registry.add(Router(), { ...route, access: 'public', idempotency: 'optional' })).toThrow(/authenticated route/);
  });

  it('documents the header and the 409/422 answers in the OpenAPI document', () => {
    const registry = new RouteRegistry('/api', fakeTokens, new Idempotency(new FakeStore()));
    registry.add(Router(), { ...route, idempotency: 'required' });
    registry.add(Router(), { ...route, path: '/other', params: undefined });
    const doc = registry.openapi({ title: 't', version: '1' }) as { paths: Record<string, Record<string, { parameters: { name: string; required: boolean }[]; responses: Record<string, unknown> }>> };
    const op = doc.paths['/api/things/{id}']?.post;
    expect(op?.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['409', '422']));
    expect(doc.paths['/api/other']?.post?.parameters.map((p) => p.name)).not.toContain('Idempotency-Key');
  });
});
