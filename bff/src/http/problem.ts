import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger';
import { AppError, toProblem } from './errors';

/** body-parser's own errors carry `type`; translate them before they look like bugs. */
function fromBodyParser(err: unknown): AppError | undefined {
  if (!err || typeof err !== 'object' || !('type' in err)) return undefined;
  switch ((err as { type: string }).type) {
    case 'entity.parse.failed':
      return new AppError('bad_request', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'Unsupported body encoding or charset.');
    case 'request.aborted':
      return new AppError('bad_request', 'The request was aborted.');
    default:
      return undefined;
  }
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));
};

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const traceId = String(res.locals.traceId ?? '');
    const appErr = err instanceof AppError ? err : fromBodyParser(err);
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
