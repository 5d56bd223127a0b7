import { z } from 'zod';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency';
import type { Access } from './route';

type Schema = z.ZodType;

/** What the document needs of a registered route (RouteDef without its handler). */
export interface DocRoute {
  method: string;
  path: string;
  summary: string;
  tags: string[];
  access: Access;
  operationId?: string;
  params?: Schema;
  query?: Schema;
  body?: Schema;
  headers?: Record<string, { description: string; required?: boolean }>;
  idempotency?: 'required' | 'optional';
  etag?: boolean;
  csv?: boolean;
  rateLimited?: boolean;
  responses: Record<number, { description: string; schema?: Schema; contentType?: string }>;
}

/** Operations served outside the registry (health, provider webhooks), described by hand: full path → method → operation. */
export type ExtraPaths = Record<string, Record<string, Record<string, unknown>>>;

const problemRef = { $ref: '#/components/schemas/Problem' };
const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** `get /work-orders/:id/quotes/:version` → `getWorkOrdersByIdQuotesByVersion`: unique because (method, path) is. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith(':') ? `by-${seg.slice(1)}` : seg))
    .flatMap((seg) => seg.split(/[-_]/))
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method.toLowerCase() + words.join('');
}

function problem(description: string, headers: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    description,
    headers: { 'X-Request-Id': ref('X-Request-Id'), ...headers },
    content: { 'application/problem+json': { schema: problemRef } },
  };
}

/**
 * The OpenAPI 3.0 document of the registered routes (from their zod schemas) plus the hand-described ones. Built once by
 * createApp after every route is registered; the standard answers follow from what a route declares: a body → 415
 * (the API refuses a non-JSON body), If-Match → 412 (and 428 when required), an idempotency key →
 * Idempotent-Replayed and 409/422, `rateLimited` → 429 + Retry-After, every 503 → Retry-After, every answer →
 * X-Request-Id (the trace id).
 */
export function buildOpenApi(
  basePath: string,
  routes: readonly DocRoute[],
  info: { title: string; version: string; description?: string },
  extra: ExtraPaths = {},
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const oasPath = (basePath + r.path).replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const js = toJson(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (js.required ?? []).includes(name),
          schema: s,
        });
      }
    }
    if (r.idempotency && !r.headers?.[IDEMPOTENCY_KEY_HEADER]) {
      parameters.push({
        name: IDEMPOTENCY_KEY_HEADER,
        in: 'header',
        required: r.idempotency === 'required',
        description:
          'One key per operation (8–255 printable ASCII). A retry with the same key and body gets the first response again (header Idempotent-Replayed: true).',
        schema: { type: 'string', minLength: 8, maxLength: 255 },
      });
    }
    for (const [name, h] of Object.entries(r.headers ?? {})) {
      const schema =
        name === IDEMPOTENCY_KEY_HEADER ? { type: 'string', minLength: 8, maxLength: 255 } : { type: 'string' };
      const required =
        name === IDEMPOTENCY_KEY_HEADER ? r.idempotency === 'required' || (h.required ?? false) : (h.required ?? false);
      parameters.push({ name, in: 'header', required, description: h.description, schema });
    }
    const ifMatch = Object.entries(r.headers ?? {}).find(([name]) => name.toLowerCase() === 'if-match')?.[1];
    const etag = r.etag ?? ifMatch !== undefined;

    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      const ok = Number(status) < 300;
      const headers: Record<string, unknown> = { 'X-Request-Id': ref('X-Request-Id') };
      if (ok && etag) headers['ETag'] = ref('ETag');
      if (ok && r.idempotency) headers[IDEMPOTENT_REPLAYED_HEADER] = ref(IDEMPOTENT_REPLAYED_HEADER);
      const content: Record<string, unknown> = {};
      if (resp.schema) content[resp.contentType ?? 'application/json'] = { schema: toJson(resp.schema, 'output') };
      if (ok && r.csv)
        content['text/csv'] = {
          schema: { type: 'string', description: 'RFC 4180 CSV with a header row (sent as an attachment)' },
        };
      responses[status] = {
        description: resp.description,
        headers,
        ...(Object.keys(content).length ? { content } : {}),
      };
    }
    const std: [number, string][] = [[400, 'Bad request or validation failed']];
    if (r.access !== 'public')
      std.push([401, 'A valid Bearer access token is required'], [403, 'The caller may not do this']);
    std.push([404, 'Not found']);
    if (r.idempotency)
      std.push(
        [409, 'A request with this Idempotency-Key is still being processed'],
        [422, 'The Idempotency-Key was already used with a different request'],
      );
    if (ifMatch) std.push([412, 'If-Match names a revision that is no longer current']);
    if (r.body) std.push([415, 'The body is not application/json']);
    if (ifMatch?.required) std.push([428, 'If-Match is required']);
    for (const [s, d] of std) responses[String(s)] ??= problem(d);
    if (r.rateLimited)
      responses['429'] ??= problem('Too many attempts; retry after Retry-After seconds', {
        'Retry-After': ref('Retry-After'),
      });
    responses['503'] ??= problem('A dependency (Odoo, the store) is down; retry after Retry-After seconds', {
      'Retry-After': ref('Retry-After'),
    });

    (paths[oasPath] ??= {})[r.method] = {
      operationId: r.operationId ?? operationIdOf(r.method, r.path),
      summary: r.summary,
      tags: r.tags,
      ...(r.access === 'public' ? { security: [] } : {}),
      ...(r.access !== 'public' ? { 'x-access': r.access } : {}),
      parameters,
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: toJson(r.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  for (const [path, byMethod] of Object.entries(extra)) Object.assign((paths[path] ??= {}), byMethod);

  return {
    openapi: '3.0.3',
    info,
    servers: [{ url: '/' }],
    tags: [
      ...new Set(
        Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((o) => (o as { tags?: string[] }).tags ?? [])),
      ),
    ]
      .sort()
      .map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      headers: {
        'X-Request-Id': {
          description:
            'The trace id of the request: a valid X-Request-Id sent by the client, the trace-id of a W3C traceparent, or a new one. Also in every problem as trace_id.',
          schema: { type: 'string' },
        },
        ETag: {
          description:
            'The work order revision (writes: `"<revision>"`; reads: `"<revision>-<fingerprint>"`); send it back in If-Match',
          schema: { type: 'string' },
        },
        [IDEMPOTENT_REPLAYED_HEADER]: {
          description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key',
          schema: { type: 'string', enum: ['true'] },
        },
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            trace_id: { type: 'string' },
            code: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } },
              },
            },
          },
          required: ['type', 'title', 'status'],
        },
      },
    },
    security: [{ bearer: [] }],
  };
}

/** Response headers by component name, for hand-described operations. */
export const headerRef = ref;

function toJson(schema: Schema, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' });
}
