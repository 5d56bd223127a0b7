import { Router } from 'express';
import type { Logger } from '../../logger';

export type HealthCheck = () => Promise<void>;

/** Liveness says the process serves; readiness says its dependencies answer (each check bounded in time). */
export function systemRoutes(opts: { checks: Record<string, HealthCheck>; openapi?: () => unknown; logger: Logger; version: string; timeoutMs?: number }): Router {
  const r = Router();
  const timeoutMs = opts.timeoutMs ?? 2000;
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: opts.version, uptime_s: Math.round(process.uptime()) });
  });
  r.get('/readyz', async (_req, res) => {
    const entries = await Promise.all(
      Object.entries(opts.checks).map(async ([name, check]) => {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return [name, { status: 'up', ms: Date.now() - started }] as const;
        } catch (e) {
          opts.logger.warn('readiness check failed', { check: name, error: e instanceof Error ? e.message : String(e) });
          return [name, { status: 'down', ms: Date.now() - started, error: e instanceof Error ? e.message : 'failed' }] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = entries.every(([, c]) => c.status === 'up');
    res.status(ready ? 200 : 503);
    if (!ready) res.setHeader('Retry-After', '5');
    res.json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  if (opts.openapi) {
    const doc = opts.openapi;
    r.get('/openapi.json', (_req, res) => {
      res.json(doc());
    });
  }
  return r;
}
