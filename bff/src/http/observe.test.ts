import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger } from '../logger';
import { PrometheusMetrics } from '../metrics/prometheus';
import { markMount, requestObserver } from './observe';
import { traceMiddleware } from './trace';

/** An app shaped like createApp's: routers mounted under /api/v1 without a path of their own, an error handler. */
function appWith(opts: { logRequests: boolean; level?: string }) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: opts.level ?? 'info', stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const app = express();
  app.use(traceMiddleware);
  app.use(requestObserver({ logger, metrics, logRequests: opts.logRequests }));
  const inner = express.Router();
  inner.get('/customers/:id', (_req, res) => {
    res.json({ ok: true });
  });
  inner.get('/work-orders/:id', (_req, _res, next) => next(new Error('refused')));
  const api = express.Router();
  api.use(markMount);
  api.use(inner);
  app.use('/api/v1', api);
  app.use((_req, res) => {
    res.status(404).end();
  });
  app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(409).end();
  });
  return { app, lines, metrics, requests: () => lines.filter((l) => l.message === 'request') };
}

describe(requestObserver.name, () => {
  it('labels requests with the route template — also when a handler passes an error on — and never the path', async () => {
    const { app, metrics } = appWith({ logRequests: false });
    await request(app).get('/api/v1/customers/13800138000?access_token=secret').expect(200);
    await request(app).get('/api/v1/customers/77').expect(200);
    await request(app).get('/api/v1/work-orders/5').expect(409);
    await request(app).post('/api/v1/nowhere/6').expect(404);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^drmoto_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/customers\/:id",status_class="2xx"\} 2$/m);
    expect(text).toMatch(/^drmoto_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/work-orders\/:id",status_class="4xx"\} 1$/m);
    expect(text).toMatch(/^drmoto_http_request_duration_seconds_count\{method="POST",route="unmatched",status_class="4xx"\} 1$/m);
    expect(text).toMatch(/^drmoto_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/customers\/:id",status_class="2xx"\} \d+$/m);
    expect(text).not.toMatch(/13800138000|secret|\/77|nowhere/);
  });

  it('with LOG_REQUESTS: one info line per request — method, route template, status, ms, trace id — and no path or query', async () => {
    const { app, requests } = appWith({ logRequests: true });
    const res = await request(app).get('/api/v1/customers/13800138000?q=13900139000&access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc').set('x-request-id', 'trace-0001-abcd').expect(200);
    await request(app).get('/api/v1/nowhere/13700137000').expect(404);
    const [first, second] = requests();
    expect(requests()).toHaveLength(2);
    expect(first).toEqual({ level: 'info', message: 'request', method: 'GET', route: '/api/v1/customers/:id', status: 200, ms: expect.any(Number), trace_id: res.headers['x-request-id'], service: 'drmoto-bff', timestamp: expect.any(String) });
    expect(first!.trace_id).toBe('trace-0001-abcd');
    expect(second).toEqual(expect.objectContaining({ route: 'unmatched', status: 404 }));
    const written = JSON.stringify(requests());
    expect(written).not.toMatch(/13800138000|13900139000|13700137000|eyJ|access_token|nowhere/);
  });

  it('masks what it writes by the logger\'s rules', async () => {
    // A route template with a phone-like literal segment still goes through the masking format.
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
    const app = express();
    app.use(requestObserver({ logger, logRequests: true }));
    app.get('/lookup/13800138000/:id', (_req, res) => {
      res.end();
    });
    await request(app).get('/lookup/13800138000/1').expect(200);
    expect(lines.find((l) => l.message === 'request')).toEqual(expect.objectContaining({ route: '/lookup/138****8000/:id' }));
  });

  it('counts a request whose caller gave up before the answer as 499, with its route', async () => {
    const { lines, metrics } = appWith({ logRequests: true });
    const logger = createLogger({ stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
    const app = express();
    app.use(requestObserver({ logger, metrics, logRequests: true }));
    let answered!: () => void;
    const late = new Promise<void>((r) => (answered = r));
    app.post('/webhooks/slow', (_req, res) => {
      setTimeout(() => {
        res.status(204).end();
        answered();
      }, 300);
    });
    await expect(request(app).post('/webhooks/slow').timeout(50)).rejects.toThrow(/Timeout/);
    await late;
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ route: '/webhooks/slow', status: 499 })]);
    expect(await metrics.registry.metrics()).toMatch(/^drmoto_http_request_duration_seconds_count\{method="POST",route="\/webhooks\/slow",status_class="4xx"\} 1$/m);
  });

  it('without LOG_REQUESTS the line is at http level: written with LOG_LEVEL=http, skipped at info', async () => {
    const quiet = appWith({ logRequests: false, level: 'info' });
    await request(quiet.app).get('/api/v1/customers/1').expect(200);
    expect(quiet.requests()).toEqual([]);
    const verbose = appWith({ logRequests: false, level: 'http' });
    await request(verbose.app).get('/api/v1/customers/1').expect(200);
    expect(verbose.requests()).toEqual([expect.objectContaining({ level: 'http', route: '/api/v1/customers/:id' })]);
  });
});
