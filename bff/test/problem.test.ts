import express from 'express';
import { Writable } from 'node:stream';
import request from 'supertest';
import { AppError } from '../src/errors';
import { notFoundHandler, problemHandler } from '../src/http/problem';
import { traceMiddleware } from '../src/http/trace';
import { createLogger } from '../src/logger';

function appThatThrows(err: unknown) {
  const lines: string[] = [];
  const logger = createLogger({ stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
  const app = express();
  app.use(traceMiddleware);
  app.get('/boom', () => {
    throw err;
  });
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return { app, lines };
}

describe('problemHandler', () => {
  it('turns an unknown error into a bare 500 with only the trace id', async () => {
    const { app, lines } = appThatThrows(new Error('secret internals: password=hunter2 at db.ts:42'));
    const r = await request(app).get('/boom').set('x-request-id', 'trace-500-abc');
    expect(r.status).toBe(500);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.body).toEqual({
      type: 'urn:drmoto:problem:internal',
      title: 'Internal server error',
      status: 500,
      detail: expect.stringContaining('trace-500-abc'),
      instance: '/boom',
      trace_id: 'trace-500-abc',
    });
    expect(JSON.stringify(r.body)).not.toContain('hunter2');
    // The log keeps the error, with its trace id, for us.
    expect(lines.join('')).toContain('trace-500-abc');
  });

  it('maps an AppError to its status with code, errors and Retry-After', async () => {
    const { app } = appThatThrows(new AppError('dependency_unavailable', 'Odoo is down', { code: 'ODOO_UNAVAILABLE', retryAfterS: 7 }));
    const r = await request(app).get('/boom');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.body.code).toBe('ODOO_UNAVAILABLE');
  });
});
