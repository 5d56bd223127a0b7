import express from 'express';
import { Writable } from 'node:stream';
import request from 'supertest';
import { AppError, ERROR_KINDS, type ErrorKind } from '../errors';
import { DbError } from '../store/db';
import { PROBLEMS, problemHandler } from './problem';
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

describe('problemHandler: every kind of AppError', () => {
  // Pinned here, not read from PROBLEMS: clients match on these statuses and types, so a change must show in a test.
  const expected: Record<ErrorKind, [status: number, type: string, title: string]> = {
    invalid_input: [400, 'bad_request', 'Bad request'],
    validation: [400, 'validation', 'Validation failed'],
    unauthenticated: [401, 'unauthorized', 'Unauthorized'],
    forbidden: [403, 'forbidden', 'Forbidden'],
    not_found: [404, 'not_found', 'Not found'],
    conflict: [409, 'conflict', 'Conflict'],
    stale: [412, 'precondition_failed', 'Precondition failed'],
    payload_too_large: [413, 'payload_too_large', 'Payload too large'],
    unsupported_media_type: [415, 'unsupported_media_type', 'Unsupported media type'],
    unprocessable: [422, 'unprocessable', 'Unprocessable content'],
    rate_limited: [429, 'rate_limited', 'Too many requests'],
    upstream_error: [502, 'bad_gateway', 'Upstream error'],
    dependency_unavailable: [503, 'unavailable', 'Service unavailable'],
    not_configured: [503, 'unavailable', 'Service unavailable'],
  };

  it('the table above names every kind, and only kinds', () => {
    expect(Object.keys(expected).sort()).toEqual([...ERROR_KINDS].sort());
    expect(Object.keys(PROBLEMS).sort()).toEqual([...ERROR_KINDS].sort());
  });

  it.each(ERROR_KINDS.map((k) => [k]))('%s → its status, type and title, with code, detail and Retry-After', async (kind) => {
    const [status, type, title] = expected[kind];
    const r = await request(appThatThrows(new AppError(kind, 'what happened', { code: 'SOME_CODE', retryAfterS: 9 }))).get('/boom');
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.headers['retry-after']).toBe('9');
    expect(r.headers['www-authenticate']).toBe(kind === 'unauthenticated' ? 'Bearer realm="drmoto"' : undefined);
    expect(r.body).toEqual({ type: `urn:drmoto:problem:${type}`, title, status, detail: 'what happened', instance: '/boom', trace_id: expect.any(String), code: 'SOME_CODE' });
  });
});
