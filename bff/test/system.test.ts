import { startHarness, expectProblem, type Harness } from './harness';

describe('system endpoints and HTTP plumbing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('GET /healthz answers without touching dependencies', async () => {
    const r = await h.req('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });

  it('GET /readyz checks Odoo, the store and the queue', async () => {
    const r = await h.req('GET', '/readyz');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.checks).sort()).toEqual(['odoo', 'queue', 'shutdown', 'store']);
    expect(r.body.checks.odoo.status).toBe('up');
  });

  it('GET /readyz is 503 naming Odoo while Odoo is down, and recovers', async () => {
    h.odoo.pause();
    try {
      const r = await h.req('GET', '/readyz');
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(r.body.checks.odoo.status).toBe('down');
      expect(r.body.checks.store.status).toBe('up');
    } finally {
      h.odoo.resume();
    }
    expect((await h.req('GET', '/readyz')).status).toBe(200);
  });

  it('GET /openapi.json is generated from the route schemas', async () => {
    const r = await h.req('GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.0.3');
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/staff/login', '/api/v1/customers', '/api/v1/customers/{id}', '/api/v1/vehicles', '/api/v1/vehicles/{id}']),
    );
    const body = r.body.paths['/api/v1/customers'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['name', 'phone']));
    expect(body.additionalProperties).toBe(false);
  });

  it('unknown routes are 404 problem+json', async () => {
    const r = await h.req('GET', '/api/v1/nope');
    expectProblem(r, 404);
    expect(r.body.instance).toBe('/api/v1/nope');
  });

  it('echoes X-Request-Id, takes the trace id of a traceparent, otherwise makes one', async () => {
    const a = await h.req('GET', '/healthz', { headers: { 'x-request-id': 'req-12345678' } });
    expect(a.headers.get('x-request-id')).toBe('req-12345678');
    const b = await h.req('GET', '/healthz', { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    expect(b.headers.get('x-request-id')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const c = await h.req('GET', '/healthz', { headers: { traceparent: 'garbage' } });
    expect(c.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('puts the trace id in every log line of a request, and in the problem body', async () => {
    const r = await h.req('GET', '/api/v1/nope-traced', { headers: { 'x-request-id': 'trace-in-logs-1' } });
    expect(r.body.trace_id).toBe('trace-in-logs-1');
    // The request line names the route template, not the path (an unrouted path: `unmatched`).
    const line = h.logs.filter((l) => l.message === 'request' && l.route === 'unmatched' && l.status === 404).at(-1);
    expect(line?.trace_id).toBe('trace-in-logs-1');
    expect(JSON.stringify(h.logs)).not.toContain('nope-traced');
  });

  it('malformed JSON → 400, non-JSON body → 415, oversized → 413', async () => {
    expectProblem(await h.req('POST', '/api/v1/auth/staff/login', { raw: '{"login":', headers: { 'content-type': 'application/json' } }), 400);
    expectProblem(await h.req('POST', '/api/v1/auth/staff/login', { raw: 'login=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    expectProblem(await h.req('POST', '/api/v1/auth/staff/login', { body: { login: 'x'.repeat(200_000), password: 'y' } }), 413);
  });

  it('sets security headers (helmet) and no x-powered-by', async () => {
    const r = await h.req('GET', '/healthz');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-powered-by')).toBeNull();
  });
});
