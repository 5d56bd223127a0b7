import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import { requestContext } from '../context';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
const REQUEST_ID = /^[\w.:\-]{8,128}$/;

/** W3C traceparent's trace-id wins, then X-Request-Id, else a new 32-hex id. */
export function traceIdFrom(traceparent?: string, requestId?: string): string {
  const tp = traceparent?.trim().toLowerCase().match(TRACEPARENT);
  if (tp && tp[1] && !/^0+$/.test(tp[1])) return tp[1];
  const rid = requestId?.trim();
  if (rid && REQUEST_ID.test(rid)) return rid;
  return randomBytes(16).toString('hex');
}

export const traceMiddleware: RequestHandler = (req, res, next) => {
  const traceId = traceIdFrom(req.header('traceparent'), req.header('x-request-id'));
  res.locals.traceId = traceId;
  res.setHeader('X-Request-Id', traceId);
  requestContext.run({ traceId }, () => next());
};
