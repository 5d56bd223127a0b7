import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger';
import { noopMetrics, type Metrics } from '../metrics/metrics';

/**
 * The route template of an answered request (`/api/v1/work-orders/:id`), never its path: ids in a label would make a
 * series per work order, and a path or query string in a log line can carry a phone number or a token. `unmatched`
 * when no route took the request (404s, a body refused before routing).
 */
export function routeTemplate(req: Request, res: Response): string {
  const path: unknown = req.route?.path;
  if (typeof path !== 'string') return 'unmatched';
  // An error leaving a router resets req.baseUrl before 'finish': the mount recorded on the way in still knows it.
  return (req.baseUrl || (res.locals.mount as string | undefined) || '') + path;
}

/** Remembers where the router it is `use`d in is mounted (see routeTemplate). */
export const markMount: RequestHandler = (req, res, next) => {
  res.locals.mount = req.baseUrl;
  next();
};

/** The status of a request whose caller closed the connection before the answer was complete (nginx's 499). */
export const CLIENT_CLOSED = 499;

/**
 * Times every request once it is answered: the HTTP histogram, and one log line — `info` with LOG_REQUESTS (the
 * production default), else `http` (shown with LOG_LEVEL=http or debug). The line carries the method, the route
 * template, the status, the duration and the trace id, and goes through the logger's masking like any other.
 * Nothing here does I/O before the answer: the webhook path pays for a clock read and a listener.
 */
export function requestObserver(opts: { logger: Logger; metrics?: Metrics; logRequests: boolean }): RequestHandler {
  const { logger } = opts;
  const metrics = opts.metrics ?? noopMetrics;
  const level = opts.logRequests ? 'info' : 'http';
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // 'close', not 'finish': a caller that gave up (WeChat Pay waits 5 s) never sees 'finish' but must be counted.
    res.once('close', () => {
      const ns = Number(process.hrtime.bigint() - started);
      const route = routeTemplate(req, res);
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
      metrics.httpRequest(req.method, route, status, ns / 1e9);
      // winston formats (and masks) a line before its transports drop it by level: skip the work early.
      if (!logger.isLevelEnabled(level)) return;
      // 'close' fires outside the request's async context: name the trace id explicitly.
      logger.log(level, 'request', { trace_id: res.locals.traceId, method: req.method, route, status, ms: Math.round(ns / 1e3) / 1e3 });
    });
    next();
  };
}
