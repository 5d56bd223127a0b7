import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type ErrorKind, type FieldError } from '../errors';
import type { Logger } from '../logger';

/**
 * Each kind of AppError as an RFC 9457 problem: the only place that knows a kind's HTTP status. `slug` is the
 * problem type's last segment; clients match on it, so it keeps its first name where the kind has a plainer one.
 */
export const PROBLEMS: Record<ErrorKind, { status: number; title: string; slug: string }> = {
  invalid_input: { status: 400, title: 'Bad request', slug: 'bad_request' },
  validation: { status: 400, title: 'Validation failed', slug: 'validation' },
  unauthenticated: { status: 401, title: 'Unauthorized', slug: 'unauthorized' },
  forbidden: { status: 403, title: 'Forbidden', slug: 'forbidden' },
  not_found: { status: 404, title: 'Not found', slug: 'not_found' },
  conflict: { status: 409, title: 'Conflict', slug: 'conflict' },
  stale: { status: 412, title: 'Precondition failed', slug: 'precondition_failed' },
  payload_too_large: { status: 413, title: 'Payload too large', slug: 'payload_too_large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', slug: 'unsupported_media_type' },
  unprocessable: { status: 422, title: 'Unprocessable content', slug: 'unprocessable' },
  rate_limited: { status: 429, title: 'Too many requests', slug: 'rate_limited' },
  upstream_error: { status: 502, title: 'Upstream error', slug: 'bad_gateway' },
  dependency_unavailable: { status: 503, title: 'Service unavailable', slug: 'unavailable' },
  not_configured: { status: 503, title: 'Service unavailable', slug: 'unavailable' },
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  trace_id?: string;
  code?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'urn:drmoto:problem:';

export function statusOf(err: AppError): number {
  return PROBLEMS[err.type].status;
}

export function toProblem(err: unknown, traceId: string, instance?: string): Problem {
  if (err instanceof AppError) {
    const def = PROBLEMS[err.type];
    const problem: Problem = {
      type: PROBLEM_TYPE_BASE + def.slug,
      title: def.title,
      status: def.status,
      detail: err.message,
      instance,
      trace_id: traceId,
    };
    if (err.extra.code) problem.code = err.extra.code;
    if (err.extra.errors) problem.errors = err.extra.errors;
    if (err.extra.details) Object.assign(problem, err.extra.details, { type: problem.type, status: problem.status, title: problem.title });
    return problem;
  }
  return {
    type: PROBLEM_TYPE_BASE + 'internal',
    title: 'Internal server error',
    status: 500,
    detail: `An unexpected error occurred. Quote trace id ${traceId} when reporting it.`,
    instance,
    trace_id: traceId,
  };
}

/**
 * The framework's own errors (body-parser's carry `type`; http-errors and the router's carry a 4xx `status`): translate
 * them before they look like bugs. Their messages stay out of the answer (they can quote internals, e.g. zlib's).
 */
function fromBodyParser(err: unknown): AppError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const status = (err as { status?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  switch ((err as { type?: unknown }).type) {
    case 'entity.parse.failed':
      return new AppError('invalid_input', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'Unsupported body encoding or charset.');
    case 'request.aborted':
      return new AppError('invalid_input', 'The request was aborted.');
  }
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  // The router's URIError: a path segment that is not valid percent-encoding.
  if (err instanceof URIError) return new AppError('invalid_input', 'The request path is not valid percent-encoding.');
  // http-errors marks the client's fault `expose` (e.g. body-parser: a gzip body that does not inflate). An SDK error
  // with a 4xx statusCode (ours to fix) is not one of these and stays a 500.
  if ((err as { expose?: unknown }).expose !== true) return undefined;
  if (status === 413) return new AppError('payload_too_large', 'The request body is too large.');
  if (status === 415) return new AppError('unsupported_media_type', 'Unsupported body encoding or charset.');
  return new AppError('invalid_input', 'The request body could not be read.');
}

// SQLSTATEs of a database that is not there (class 08: connection exception; shutting down; can't connect now; too
// many connections), and of a transient conflict the client may simply retry.
const STORE_DOWN_STATES = /^(08...|57P0[123]|53300)$/;
const STORE_BUSY_STATES = /^(40001|40P01|55P03)$/;
// Socket errors of a dependency without an adapter of its own mapping them (pg's pool above all).
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// pg's own words for a connection that broke or never came (these carry no code).
const PG_CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end)/;

/**
 * A dependency that is down (the BFF store above all) is a 503 with Retry-After, not a bug: the house rule, and what a
 * client needs to know to retry. Looks through `cause` chains (the store wraps driver errors).
 */
function fromDependency(err: unknown): AppError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (STORE_DOWN_STATES.test(code) || SOCKET_ERRORS.has(code)) {
        return new AppError('dependency_unavailable', 'A service the BFF depends on is unavailable; try again shortly.', { code: 'DEPENDENCY_UNAVAILABLE', retryAfterS: 5, cause: err });
      }
      if (STORE_BUSY_STATES.test(code)) return new AppError('dependency_unavailable', 'The BFF is busy; try again shortly.', { code: 'STORE_BUSY', retryAfterS: 1, cause: err });
    }
    if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) {
      return new AppError('dependency_unavailable', 'A service the BFF depends on is unavailable; try again shortly.', { code: 'DEPENDENCY_UNAVAILABLE', retryAfterS: 5, cause: err });
    }
    current = cause;
  }
  return undefined;
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));
};

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const traceId = String(res.locals.traceId ?? '');
    const appErr = err instanceof AppError ? err : (fromBodyParser(err) ?? fromDependency(err));
    const problem = toProblem(appErr ?? err, traceId, req.originalUrl);
    if (!appErr) {
      logger.error('unhandled error', { err, method: req.method, path: req.path });
    } else if (statusOf(appErr) >= 500) {
      logger.warn('request failed', { status: statusOf(appErr), type: appErr.type, detail: appErr.message, code: appErr.code, cause: appErr.cause });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (appErr?.extra.retryAfterS !== undefined) res.setHeader('Retry-After', String(appErr.extra.retryAfterS));
    if (appErr?.type === 'unauthenticated') res.setHeader('WWW-Authenticate', 'Bearer realm="drmoto"');
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
}
