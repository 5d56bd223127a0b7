import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger';
import { AppError, toProblem } from './errors';

/**
 * The framework's own errors (body-parser's carry `type`; http-errors and the router's carry a 4xx `status`): translate
 * them before they look like bugs. Their messages stay out of the answer (they can quote internals, e.g. zlib's).
 */
function fromBodyParser(err: unknown): AppError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const status = (err as { status?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  switch ((err as { type?: unknown }).type) {
    case 'entity.parse.failed':
      return new AppError('bad_request', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'Unsupported body encoding or charset.');
    case 'request.aborted':
      return new AppError('bad_request', 'The request was aborted.');
  }
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  // The router's URIError: a path segment that is not valid percent-encoding.
  if (err instanceof URIError) return new AppError('bad_request', 'The request path is not valid percent-encoding.');
  // http-errors marks the client's fault `expose` (e.g. body-parser: a gzip body that does not inflate). An SDK error
  // with a 4xx statusCode (ours to fix) is not one of these and stays a 500.
  if ((err as { expose?: unknown }).expose !== true) return undefined;
  if (status === 413) return new AppError('payload_too_large', 'The request body is too large.');
  if (status === 415) return new AppError('unsupported_media_type', 'Unsupported body encoding or charset.');
  return new AppError('bad_request', 'The request body could not be read.');
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
        return new AppError('unavailable', 'A service the BFF depends on is unavailable; try again shortly.', { code: 'DEPENDENCY_UNAVAILABLE', retryAfterS: 5, cause: err });
      }
      if (STORE_BUSY_STATES.test(code)) return new AppError('unavailable', 'The BFF is busy; try again shortly.', { code: 'STORE_BUSY', retryAfterS: 1, cause: err });
    }
    if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) {
      return new AppError('unavailable', 'A service the BFF depends on is unavailable; try again shortly.', { code: 'DEPENDENCY_UNAVAILABLE', retryAfterS: 5, cause: err });
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
    } else if (appErr.status >= 500) {
      logger.warn('request failed', { status: appErr.status, type: appErr.type, detail: appErr.message, code: appErr.code, cause: appErr.cause });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (appErr?.extra.retryAfterS !== undefined) res.setHeader('Retry-After', String(appErr.extra.retryAfterS));
    if (appErr?.type === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer realm="drmoto"');
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
}
