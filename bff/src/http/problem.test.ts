import express from 'express';
import { Writable } from 'node:stream';
import request from 'supertest';
import { DbError } from '../store/db';
import { problemHandler } from './problem';
import { traceMiddleware } from './trace';
import { createLogger } from '../logger';

/** An app whose only route throws `err`, as a driver or the framework would. */
function appThatThrows(err: unknown) {
  const logger = createLogger({ stream: new Writable({ write: (_c: Buffer, _e, cb) => cb() }) });
  const app = express();
  app.use(traceMiddleware);
  app.get('/boom', () => {
    throw err;
  });
  app.use(problemHandler(logger));
  return app;
}

const econnrefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('problemHandler: dependencies that are down', () => {
  it.each([
    ['pg refusing the connection', econnrefused()],
    ['the store wrapping it as a cause', new Error('ledger append failed', { cause: econnrefused() })],
    ['PostgreSQL shutting down (57P01)', new DbError({ message: 'terminating connection due to administrator command', code: '57P01' })],
    ['a connection exception (08006)', new DbError({ message: 'connection failure', code: '08006' })],
    ["pg's pool: connection terminated", new Error('Connection terminated unexpectedly')],
    ["pg's pool: connect timeout", new Error('timeout exceeded when trying to connect')],
  ])('%s → 503 with Retry-After, nothing internal', async (_label, err) => {
    const r = await request(appThatThrows(err)).get('/boom');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.body).toEqual(expect.objectContaining({ type: 'urn:drmoto:problem:unavailable', code: 'DEPENDENCY_UNAVAILABLE' }));
    expect(JSON.stringify(r.body)).not.toMatch(/5432|ECONNREFUSED|terminat|timeout exceeded/);
  });

  it('a serialization failure that escaped its retry → 503 STORE_BUSY, retry after 1 s', async () => {
    const r = await request(appThatThrows(new DbError({ message: 'could not serialize access', code: '40001' }))).get('/boom');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.body.code).toBe('STORE_BUSY');
  });

  it('a constraint violation is not an outage: still a bare 500', async () => {
    const r = await request(appThatThrows(new DbError({ message: 'duplicate key value violates unique constraint "x"', code: '23505' }))).get('/boom');
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain('duplicate key');
  });
});

describe('problemHandler: framework errors', () => {
  it('an http-errors 4xx (exposed) keeps its status, not its message', async () => {
    const r = await request(appThatThrows(Object.assign(new Error('incorrect header check'), { status: 400, statusCode: 400, expose: true }))).get('/boom');
    expect(r.status).toBe(400);
    expect(r.body.type).toBe('urn:drmoto:problem:bad_request');
    expect(JSON.stringify(r.body)).not.toContain('incorrect header check');
  });

  it("the router's URIError (a path that does not percent-decode) → 400", async () => {
    const r = await request(appThatThrows(Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400 }))).get('/boom');
    expect(r.status).toBe(400);
  });

  it('an SDK error with a 4xx statusCode but no `expose` is our bug: 500', async () => {
    const r = await request(appThatThrows(Object.assign(new Error('No such payment_intent'), { statusCode: 404, type: 'StripeInvalidRequestError' }))).get('/boom');
    expect(r.status).toBe(500);
  });
});
