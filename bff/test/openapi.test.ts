import { RouteRegistry } from '../src/http/route';
import { operationIdOf } from '../src/http/openapi';
import { startHarness, type Harness } from './harness';

type Op = {
  operationId?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
};

describe('GET /openapi.json', () => {
  let h: Harness;
  let doc: {
    paths: Record<string, Record<string, Op>>;
    tags: { name: string }[];
    components: { headers: Record<string, unknown> };
  };
  const spy = jest.spyOn(RouteRegistry.prototype, 'openapi');
  const op = (method: string, path: string): Op => {
    const o = doc.paths[path]?.[method];
    if (!o) throw new Error(`${method} ${path} is not in the document`);
    return o;
  };
  const ops = () =>
    Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, o]) => ({ id: `${method.toUpperCase()} ${path}`, o })),
    );

  beforeAll(async () => {
    h = await startHarness({ env: { STRIPE_SECRET_KEY: 'sk_test_openapi', STRIPE_WEBHOOK_SECRET: 'whsec_openapi' } });
    doc = (await h.req('GET', '/openapi.json')).body;
  }, 120_000);
  afterAll(async () => {
    spy.mockRestore();
    await h.close();
  });

  it('is built once at app creation, not per request', async () => {
    const second = await h.req('GET', '/openapi.json');
    expect(second.body).toEqual(doc);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('gives every operation a unique operationId and at least one declared tag', () => {
    const all = ops();
    expect(all.length).toBeGreaterThan(40);
    const ids = all.map(({ o }) => o.operationId);
    for (const { id, o } of all) {
      expect([id, typeof o.operationId]).toEqual([id, 'string']);
      expect([id, o.tags?.length ?? 0]).not.toEqual([id, 0]);
    }
    expect(new Set(ids).size).toBe(ids.length);
    const declared = doc.tags.map((t) => t.name);
    for (const { o } of all) for (const t of o.tags ?? []) expect(declared).toContain(t);
  });

  it('documents the health routes and the provider webhooks', () => {
    expect(op('get', '/healthz').operationId).toBe('getHealthz');
    expect(op('get', '/readyz').responses['503']?.headers).toHaveProperty('Retry-After');
    expect(op('post', '/api/v1/webhooks/wechatpay').parameters?.map((p) => p.name)).toContain('Wechatpay-Signature');
    expect(op('post', '/api/v1/webhooks/stripe').parameters?.map((p) => p.name)).toEqual(['Stripe-Signature']);
  });

  it('names the conditional-request, idempotency and trace headers', () => {
    const transition = op('post', '/api/v1/work-orders/{id}/transitions');
    const byName = Object.fromEntries(
      (transition.parameters ?? []).filter((p) => p.in === 'header').map((p) => [p.name, p]),
    );
    expect(Object.keys(byName).sort()).toEqual(['Idempotency-Key', 'If-Match']);
    expect(transition.responses['412']).toBeDefined();
    expect(transition.responses['415']).toBeDefined();
    expect(Object.keys(transition.responses['200']?.headers ?? {}).sort()).toEqual([
      'ETag',
      'Idempotent-Replayed',
      'X-Request-Id',
    ]);
    expect(Object.keys(op('get', '/api/v1/work-orders/{id}').responses['200']?.headers ?? {})).toContain('ETag');
    // Required where the route requires it.
    const pay = op('post', '/api/v1/work-orders/{id}/payments/wechat');
    expect(pay.parameters?.find((p) => p.name === 'Idempotency-Key')?.required).toBe(true);
    expect(Object.keys(pay.responses['201']?.headers ?? {})).toContain('Idempotent-Replayed');
    // Reads that take no body have no 415; every answer names X-Request-Id; every 503 names Retry-After.
    expect(op('get', '/api/v1/customers').responses['415']).toBeUndefined();
    for (const { id, o } of ops()) {
      for (const [status, r] of Object.entries(o.responses))
        expect([id, status, Object.keys(r.headers ?? {})]).toEqual([
          id,
          status,
          expect.arrayContaining(['X-Request-Id']),
        ]);
      if (o.responses['503'])
        expect([id, Object.keys(o.responses['503'].headers ?? {})]).toEqual([
          id,
          expect.arrayContaining(['Retry-After']),
        ]);
    }
    for (const name of ['ETag', 'Idempotent-Replayed', 'Retry-After', 'X-Request-Id'])
      expect(doc.components.headers).toHaveProperty(name);
  });

  it('documents 429 on the rate-limited auth routes and text/csv on the reports', () => {
    expect(op('post', '/api/v1/auth/staff/login').responses['429']?.headers).toHaveProperty('Retry-After');
    expect(op('get', '/api/v1/auth/me').responses['429']).toBeUndefined();
    for (const r of ['payments', 'work-orders', 'parts']) {
      expect(Object.keys(op('get', `/api/v1/reports/${r}`).responses['200']?.content ?? {}).sort()).toEqual([
        'application/json',
        'text/csv',
      ]);
    }
    expect(Object.keys(op('get', '/api/v1/reports').responses['200']?.content ?? {})).toEqual(['application/json']);
  });

  it('matches what the API answers: a text body is 415, X-Request-Id is echoed', async () => {
    const r = await h.req('POST', '/api/v1/customers', {
      headers: { 'content-type': 'text/plain', 'x-request-id': 'openapi-test-1' },
      raw: 'x',
    });
    expect(r.status).toBe(415);
    expect(r.headers.get('x-request-id')).toBe('openapi-test-1');
  });
});

describe('GET /docs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  it('answers an HTML page whose scripts and styles are all same-origin files, under the app-wide CSP', async () => {
    const r = await h.req('GET', '/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = r.headers.get('content-security-policy') ?? '';
    const scriptSrc = csp
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval/);
    const scripts = [...r.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\ssrc="\/[^/]/); // a path on this origin, not //host or https://
      expect(body!.trim()).toBe(''); // no inline code: script-src 'self' would block it
    }
    const refs = [...r.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.every((u) => u.startsWith('/') && !u.startsWith('//'))).toBe(true);
    for (const u of refs) {
      const a = await h.req('GET', u);
      expect([u, a.status]).toEqual([u, 200]);
    }
    expect((await h.req('GET', '/docs/assets/swagger-ui-bundle.js')).headers.get('content-type')).toMatch(/javascript/);
  });

  it('serves only the files the page uses from the package (not its demo page with an inline script, nor source maps)', async () => {
    expect((await h.req('GET', '/docs/assets/index.html')).status).toBe(404);
    expect((await h.req('GET', '/docs/assets/swagger-ui-bundle.js.map')).status).toBe(404);
    expect((await h.req('GET', '/docs/assets/../package.json')).status).toBe(404);
  });

  it('is off with the document (DOCS_ENABLED=false)', async () => {
    const off = await startHarness({ DOCS_ENABLED: 'false' });
    try {
      expect((await off.req('GET', '/docs')).status).toBe(404);
      expect((await off.req('GET', '/openapi.json')).status).toBe(404);
    } finally {
      await off.close();
    }
  }, 120_000);
});

describe('operationIdOf', () => {
  it('is camelCase method + path with path parameters as By…', () => {
    expect(operationIdOf('get', '/work-orders/:id/quotes/:version')).toBe('getWorkOrdersByIdQuotesByVersion');
    expect(operationIdOf('post', '/auth/wechat/login')).toBe('postAuthWechatLogin');
    expect(operationIdOf('post', '/suspense/:seq/apply')).toBe('postSuspenseBySeqApply');
  });
});
