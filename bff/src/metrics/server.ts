import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';

export interface MetricsSource {
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on a listener of its own (METRICS_HOST:METRICS_PORT), apart from the API's port, so the reverse proxy
 * never exposes it and it needs no auth. Nothing else is served there. A port that can't be bound is logged and
 * skipped: metrics must not take the API down (Prometheus then shows the target down: `up == 0`).
 */
export async function startMetricsServer(source: MetricsSource, opts: { host: string; port: number }, logger: Logger): Promise<MetricsServer | undefined> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    source.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        logger.error('metrics not rendered', { error: e instanceof Error ? e.message : String(e) });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    logger.error('metrics listener not started', { host: opts.host, port: opts.port, error: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
  const addr = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
