import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { requestContext } from '../context';
import { principalKey, type Principal, type StaffRole } from '../domain/principal';
import { AppError } from '../errors';
import { readIdempotencyKey, requestHash, scopePath, type Idempotency, type IdempotencyMode } from './idempotency';
import { buildOpenApi, type ExtraPaths } from './openapi';
import { parsePart } from './validate';

/**
 * Who may call a route. `public`: anyone. `staff: [...]`: staff with one of the roles (managers pass
 * every staff check). `customer: 'bound'`: customers whose phone is bound to an Odoo partner.
 */
export type Access =
  | 'public'
  | { staff?: readonly StaffRole[] | 'any'; customer?: 'any' | 'bound' };

export interface Valid<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  traceId: string;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteDef<PS extends Schema | undefined, QS extends Schema | undefined, BS extends Schema | undefined> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express path, e.g. `/customers/:id`. */
  path: string;
  summary: string;
  tags: string[];
  /** Defaults to method + path (`getWorkOrdersById`). */
  operationId?: string;
  access: Access;
  params?: PS;
  query?: QS;
  body?: BS;
  /**
   * Request headers for the document. `check` validates one before anything runs (before an Idempotency-Key is
   * claimed, so a malformed header never spends the key): it throws an AppError.
   */
  headers?: Record<string, { description: string; required?: boolean; check?: (value: string | undefined) => void }>;
  /**
   * Opt in to the Idempotency-Key layer (DESIGN.md §7): `required` refuses a request without the header, `optional`
   * applies it when the header is sent. Not for public routes (all anonymous callers would share one key space).
   */
  idempotency?: IdempotencyMode;
  responses: Record<number, { description: string; schema?: Schema; contentType?: string }>;
  /** For the document: success answers carry an ETag (implied by an If-Match header). */
  etag?: boolean;
  /** For the document: a 200 also comes as `text/csv` (Accept: text/csv). */
  csv?: boolean;
  /** For the document: a rate limiter guards the route (429 + Retry-After). */
  rateLimited?: boolean;
  handler: (v: Valid<Out<PS>, Out<QS>, Out<BS>>, req: Request, res: Response) => Promise<void>;
}

/** What authentication needs: a bearer access token in, the principal it stands for out (an AppError if it doesn't verify). */
export interface AccessTokenVerifier {
  verifyAccess(token: string): Principal;
}

/** Routes register here and in express at once, so /openapi.json is generated from the same zod schemas. */
export class RouteRegistry {
  readonly routes: RouteDef<Schema | undefined, Schema | undefined, Schema | undefined>[] = [];

  constructor(
    private readonly basePath: string,
    private readonly tokens: AccessTokenVerifier,
    /** Needed as soon as one route sets `idempotency`; `add` refuses such a route without it. */
    private readonly idempotency?: Idempotency,
  ) {}

  add<PS extends Schema | undefined, QS extends Schema | undefined, BS extends Schema | undefined>(
    router: Router,
    def: RouteDef<PS, QS, BS>,
  ): void {
    const idempotency = def.idempotency ? this.idempotencyFor(def) : undefined;
    this.routes.push(def as unknown as RouteDef<Schema | undefined, Schema | undefined, Schema | undefined>);
    const handler: RequestHandler = async (req, res) => {
      const principal = authenticate(this.tokens, req, def.access);
      const ctx = requestContext.get();
      if (ctx) ctx.principal = principal;
      const key = def.idempotency ? readIdempotencyKey(req, def.idempotency) : undefined;
      for (const [name, h] of Object.entries(def.headers ?? {})) h.check?.(req.header(name));
      const v = {
        params: def.params ? parsePart(def.params, req.params, 'params') : undefined,
        query: def.query ? parsePart(def.query, req.query, 'query') : refuseUnknown('query', req.query),
        body: def.body ? parsePart(def.body, req.body ?? {}, 'body') : refuseUnknown('body', req.body),
        principal,
        traceId: String(res.locals.traceId),
      } as Valid<Out<PS>, Out<QS>, Out<BS>>;
      if (idempotency === undefined || key === undefined) {
        await def.handler(v, req, res);
        return;
      }
      // Validation has passed: a refused request never touches the key. The hash covers what the handler receives.
      const scope = { principal: principalKey(principal), method: req.method, path: scopePath(req, def.path, v.params), key };
      const hash = requestHash({ query: v.query, body: v.body });
      await idempotency.run(scope, hash, res, () => def.handler(v, req, res));
    };
    router[def.method](def.path, handler);
  }

  private idempotencyFor(def: { method: string; path: string; access: Access }): Idempotency {
    if (def.access === 'public') {
      throw new Error(`${def.method.toUpperCase()} ${def.path}: idempotency needs an authenticated route (keys are scoped per principal)`);
    }
    if (!this.idempotency) {
      throw new Error(`${def.method.toUpperCase()} ${def.path}: idempotency is set but the RouteRegistry was built without an Idempotency store`);
    }
    return this.idempotency;
  }

  /** The OpenAPI document of the registered routes plus `extra` (routes served outside the registry). */
  openapi(info: { title: string; version: string; description?: string }, extra?: ExtraPaths): Record<string, unknown> {
    return buildOpenApi(this.basePath, this.routes, info, extra);
  }
}

/**
 * A route that declares no query (or body) takes none: unknown input is refused, not ignored (DESIGN.md §11), so a
 * client's typo is not silently dropped and a stray body can't vary under one Idempotency-Key. An empty JSON object
 * counts as no body.
 */
function refuseUnknown(where: 'query' | 'body', value: unknown): undefined {
  if (value === undefined || value === null) return undefined;
  const keys = typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : undefined;
  if (keys?.length === 0) return undefined;
  const errors = keys
    ? keys.slice(0, 20).map((k) => ({ path: `${where}.${k.slice(0, 64)}`, message: `Unknown ${where === 'query' ? 'query parameter' : 'field'}: this endpoint takes no ${where}.`, code: 'unrecognized_keys' }))
    : [{ path: where, message: `This endpoint takes no ${where}.`, code: 'invalid_type' }];
  throw new AppError('validation', `The request ${where} is invalid.`, { errors });
}

function authenticate(tokens: AccessTokenVerifier, req: Request, access: Access): Principal {
  if (access === 'public') return { kind: 'system' };
  const header = req.header('authorization');
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  if (!m || !m[1]) throw new AppError('unauthenticated', 'A Bearer access token is required.');
  const p = tokens.verifyAccess(m[1]);
  if (p.kind === 'staff') {
    if (!access.staff) throw new AppError('forbidden', 'Staff accounts cannot use this endpoint.');
    if (access.staff !== 'any' && !p.roles.includes('manager') && !p.roles.some((r) => access.staff!.includes(r))) {
      throw new AppError('forbidden', `This needs one of the roles: ${access.staff.join(', ')}.`);
    }
    return p;
  }
  if (p.kind === 'customer') {
    if (!access.customer) throw new AppError('forbidden', 'Customers cannot use this endpoint.');
    if (access.customer === 'bound' && p.partnerId === null) {
      throw new AppError('forbidden', 'Bind your phone number first (POST /api/v1/auth/wechat/phone).', { code: 'PHONE_NOT_BOUND' });
    }
    return p;
  }
  throw new AppError('unauthenticated', 'The token is invalid.');
}
