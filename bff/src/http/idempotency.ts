import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from '../logger';
import type { BeginResult, IdempotencyClaim, IdempotencyScope, StoredResponse } from '../store/idempotency';
import { AppError } from '../errors';

/**
 * The Idempotency-Key layer of the route registry (DESIGN.md §7, Stripe-like): a route with `idempotency` set runs its
 * handler at most once per (principal, method, concrete path, key); a retry gets the stored response again.
 */

export type IdempotencyMode = 'required' | 'optional';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** 8–255 printable ASCII characters (space included; HTTP strips it at either end). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{8,255}$/;
/** Response headers stored and replayed with the body; the rest (trace id, rate limits…) belong to each request. */
export const STORED_HEADERS = ['content-type', 'location', 'etag'] as const;

/** What the registry needs of the store (IdempotencyStore; a fake in tests). */
export interface IdempotencyStorePort {
  begin(scope: IdempotencyScope, requestHash: string): Promise<BeginResult>;
  complete(claim: IdempotencyClaim, response: StoredResponse): Promise<boolean>;
  release(claim: IdempotencyClaim): Promise<boolean>;
}

/** The key of the request, or undefined on an optional route without one; a 400 when required and missing or malformed. */
export function readIdempotencyKey(req: Request, mode: IdempotencyMode): string | undefined {
  const values = req.headersDistinct[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (!values || values.length === 0) {
    if (mode === 'required') {
      throw new AppError('invalid_input', `This endpoint needs an ${IDEMPOTENCY_KEY_HEADER} header (8–255 printable ASCII characters, one per operation).`, {
        code: 'IDEMPOTENCY_KEY_REQUIRED',
      });
    }
    return undefined;
  }
  const key = values[0];
  if (values.length > 1 || key === undefined || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError('invalid_input', `The ${IDEMPOTENCY_KEY_HEADER} header must be one value of 8–255 printable ASCII characters.`, {
      code: 'IDEMPOTENCY_KEY_INVALID',
    });
  }
  return key;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * JSON with object keys sorted at every depth, so two requests that mean the same thing serialize the same.
 * Dates and other `toJSON` values serialize as JSON.stringify does; a bigint as its decimal string.
 */
export function canonicalJson(value: unknown): string {
  const json = JSON.stringify(value ?? null, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (isPlainObject(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = v[k];
      return sorted;
    }
    return v;
  });
  return json ?? 'null';
}

/** SHA-256 (hex) of the canonical JSON of what the handler receives: the validated body (and query). */
export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

/**
 * The concrete path of the request without its query: the route's path with its *validated* parameters, so
 * `/work-orders/07` and `/work-orders/7` are one scope. A path with wildcards or optional parts keeps the raw path.
 */
export function scopePath(req: Request, routePath: string, params: unknown): string {
  const values = (params ?? req.params) as Record<string, unknown>;
  if (!/[*{}()?]/.test(routePath)) {
    let complete = true;
    const path = routePath.replace(/:(\w+)/g, (_m, name: string) => {
      const value = values[name];
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') {
        complete = false;
        return '';
      }
      return encodeURIComponent(String(value));
    });
    if (complete) return req.baseUrl + path;
  }
  return new URL(req.originalUrl, 'http://localhost').pathname;
}

/** 5xx: the operation may not have run (Odoo down, a bug). 429: it did not run and the client is told to retry. */
export function isStorable(status: number): boolean {
  return status < 500 && status !== 429;
}

type Chunk = string | Buffer | Uint8Array;
type EndFn = (chunk?: unknown, encoding?: unknown, cb?: unknown) => Response;
type WriteFn = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

function toBuffer(chunk: Chunk, encoding: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return Buffer.from(chunk);
}

export class Idempotency {
  constructor(
    private readonly store: IdempotencyStorePort,
    private readonly logger?: Pick<Logger, 'warn' | 'error'>,
  ) {}

  /**
   * Claims the key, runs `handler`, and stores what it answered before the answer leaves the process: a client that
   * got a response and retries always gets the replay. Errors thrown by `handler` reach the error handler as usual;
   * the problem it renders is captured the same way.
   */
  async run(scope: IdempotencyScope, hash: string, res: Response, handler: () => Promise<void>): Promise<void> {
    let begun: BeginResult;
    try {
      begun = await this.store.begin(scope, hash);
    } catch (err) {
      throw new AppError('dependency_unavailable', 'The request could not be recorded for idempotency; retry with the same key.', {
        code: 'IDEMPOTENCY_STORE_UNAVAILABLE',
        retryAfterS: 1,
        cause: err,
      });
    }
    switch (begun.kind) {
      case 'mismatch':
        throw new AppError('unprocessable', `This ${IDEMPOTENCY_KEY_HEADER} was already used with a different request; use a new key for a new operation.`, {
          code: 'IDEMPOTENCY_KEY_REUSED',
        });
      case 'in_flight':
        throw new AppError('conflict', `A request with this ${IDEMPOTENCY_KEY_HEADER} is still being processed; retry shortly.`, {
          code: 'IDEMPOTENCY_KEY_IN_FLIGHT',
          retryAfterS: 1,
        });
      case 'completed':
        replay(res, begun.response);
        return;
      case 'claimed':
        if (begun.takenOver) {
          this.logger?.warn('idempotency: took over a claim whose lease expired', { method: scope.method, path: scope.path });
        }
        break;
    }
    const capture = this.capture(res, begun.claim);
    try {
      await handler();
    } catch (err) {
      capture.handlerThrew();
      throw err;
    }
  }

  /**
   * Wraps `res.write`/`res.end` for the rest of this response: the body is collected, and the final `end` waits until
   * the outcome is stored (or the claim released) before it sends anything.
   */
  private capture(res: Response, claim: IdempotencyClaim): { handlerThrew(): void } {
    const originalWrite = res.write.bind(res) as WriteFn;
    const originalEnd = res.end.bind(res) as EndFn;
    const chunks: Buffer[] = [];
    let ended = false;
    // A handler that streamed part of a body and then threw: the error handler can only cut the response short.
    let truncated = false;

    (res as unknown as { write: WriteFn }).write = (chunk, encoding, cb) => {
      if (ended) return true;
      if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk as Chunk, encoding));
      return originalWrite(chunk, encoding, cb);
    };
    (res as unknown as { end: EndFn }).end = (chunk, encoding, cb) => {
      // The first end decides; a second (an error handler after a handler that answered, then threw) is dropped.
      if (ended) return res;
      ended = true;
      if (typeof chunk === 'function') {
        cb = chunk;
        chunk = undefined;
      } else if (typeof encoding === 'function') {
        cb = encoding;
        encoding = undefined;
      }
      if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk as Chunk, encoding));
      // Freezes status and headers as captured; nothing reaches the socket before the end below.
      if (!res.headersSent) res.writeHead(res.statusCode);
      const response: StoredResponse = { status: res.statusCode, headers: storedHeaders(res), body: Buffer.concat(chunks) };
      void this.settle(claim, response, truncated).finally(() => {
        originalEnd(chunk, encoding, cb);
      });
      return res;
    };
    return {
      handlerThrew() {
        if (res.headersSent && !ended) truncated = true;
      },
    };
  }

  private async settle(claim: IdempotencyClaim, response: StoredResponse, truncated: boolean): Promise<void> {
    const where = { method: claim.scope.method, path: claim.scope.path, status: response.status };
    try {
      if (isStorable(response.status) && !truncated) {
        // 4xx included: the operation ran and was refused (illegal transition, 422…); a retry must not run it again.
        if (!(await this.store.complete(claim, response))) {
          this.logger?.warn('idempotency: claim lost before completion (lease expired and taken over); response not stored', where);
        }
      } else if (!(await this.store.release(claim))) {
        this.logger?.warn('idempotency: claim lost before release', where);
      }
    } catch (err) {
      // The client still gets its answer; the in-flight claim then blocks retries until its lease expires.
      this.logger?.error('idempotency: could not record the outcome', { ...where, err });
    }
  }
}

function storedHeaders(res: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}

function replay(res: Response, stored: StoredResponse): void {
  res.status(stored.status);
  for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
  res.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  res.end(stored.body);
}
