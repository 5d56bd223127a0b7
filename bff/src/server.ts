import express from 'express';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, VERSION, type AppDeps } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { buildContainer, type Container } from './container';
import { notFoundHandler, problemHandler } from './http/problem';
import { createLogger, type Logger } from './logger';
import { systemRoutes } from './routes/system/route';
import { MigrationError } from './store/migrate';

export interface RunningServer {
  url: string;
  server: Server;
  container: Container;
  /** Stops taking connections, drains in-flight requests (up to the timeout), then closes dependencies. */
  shutdown(reason?: string): Promise<void>;
}

/** Builds the container and the app (with extra app `options`, e.g. the demo's /demo mount) and listens. */
export async function startServer(config: Config, logger: Logger, options: AppDeps['options'] = {}): Promise<RunningServer> {
  const container = await buildContainer(config, logger);
  let draining = false;
  // Readiness goes down first so a load balancer stops sending new requests during the drain.
  container.deps.checks.shutdown = async () => {
    if (draining) throw new Error('shutting down');
  };
  // A worker (BFF_ROLE=worker) serves only liveness and readiness, for its orchestrator: the API is the other roles'.
  const app =
    config.role === 'worker'
      ? express().disable('x-powered-by').use(systemRoutes({ checks: container.deps.checks, logger, version: VERSION })).use(notFoundHandler).use(problemHandler(logger))
      : createApp({ ...container.deps, options: { ...container.deps.options, ...options } });
  const server = app.listen(config.http.port, config.http.host);
  // Responses not yet started when the drain begins say `Connection: close`, so keep-alive clients (a load balancer's
  // pooled connections) reconnect elsewhere instead of sending their next request into a closing socket.
  const open = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (draining && !res.headersSent) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65_000; // longer than typical load-balancer idle timeouts
  const addr = server.address() as AddressInfo;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const url = `http://${host}:${addr.port}`;

  let closing: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown') =>
    (closing ??= (async () => {
      draining = true;
      logger.info('draining', { reason, role: config.role, in_flight: open.size, timeout_ms: config.http.shutdownTimeoutMs });
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        logger.warn('drain timeout: closing remaining connections');
        server.closeAllConnections();
      }, config.http.shutdownTimeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      // Closes the BullMQ worker after its active jobs finish (BFF_ROLE=worker|all), then the queue, store and Odoo.
      await container.close();
      logger.info('stopped');
    })());

  return { url, server, container, shutdown };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger({ level: config.log.level });
  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (e) {
    // The schema does not fit this release (not migrated, behind, contracted): the message says what to run.
    if (e instanceof MigrationError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  logger.info('listening', { url: running.url, role: config.role, odoo: config.odoo.url, transport: config.odoo.transport, store: running.container.db.kind, queue: running.container.queue.kind });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      running.shutdown(sig).then(
        () => process.exit(0),
        (e: unknown) => {
          logger.error('shutdown failed', { err: e });
          process.exit(1);
        },
      );
    });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`fatal: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
