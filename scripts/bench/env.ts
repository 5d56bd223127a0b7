import http from 'node:http';
import { createLogger } from '../../bff/src/logger';
import { OdooClient, type OdooConfig } from '../../bff/src/integrations/odoo/client';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startWechatMock, type WechatMock } from '../../mocks/wechat/server';

/** One benchmark environment: Odoo (mock process, or real with ODOO_URL), a direct gateway client, the BFF process. */
export interface BenchEnv {
  real: boolean;
  base: Omit<OdooConfig, 'transport'>;
  json: OdooClient;
  xml: OdooClient;
  bffUrl: string;
  call(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
  login(login: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a child process and resolves with the first stdout match of `ready` (its URL). */
export function spawnReady(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_PROFILE_DIR: the BFF runs under `node --cpu-prof` (a .cpuprofile per process there, for DevTools).
  const profile = process.env.BENCH_PROFILE_DIR && args[0] === 'bff/src/server.ts';
  const argv = profile ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, '--import', 'tsx', ...args] : [require.resolve('tsx/cli'), ...args];
  const child = spawn(process.execPath, argv, { cwd: path.join(__dirname, '..', '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${out}`)), 60_000);
    // Once started, only a tail is kept (for the exit message): a busy child logs a line per request.
    const keep = (b: Buffer) => {
      out += b.toString();
      if (started && out.length > 8192) out = out.slice(-4096);
    };
    child.stdout!.on('data', (b: Buffer) => {
      keep(b);
      if (started) return;
      const m = out.match(ready);
      if (m?.[1]) {
        started = true;
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.stderr!.on('data', keep);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The Odoo mock in a process of its own on a free port; `env` adds to this process's (e.g. ODOO_MOCK_REPLY_DELAY_MS). */
export function spawnOdooMock(env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  return spawnReady(['mocks/odoo/main.ts'], { ...process.env, ODOO_MOCK_PORT: '0', ...env }, /on (http:\/\/127\.0\.0\.1:\d+)/);
}

/**
 * The BFF in a process of its own as production runs it (free port, info logs); `env` adds its Odoo, store, providers.
 * NODE_ENV stays `development` only so it migrates its store at boot and may run on PGlite or without Redis (production
 * mode refuses both and never migrates); nothing else in the BFF reads NODE_ENV.
 */
export function spawnBff(env: Record<string, string | undefined>): Promise<{ child: ChildProcess; url: string }> {
  return spawnReady(
    ['bff/src/server.ts'],
    { PATH: process.env.PATH, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', JWT_SECRET: 'bench-secret-bench-secret-bench-secret', ...env },
    /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
  );
}

/**
 * The BFF, the Odoo mock and the load generator each run in their own process (as in production the BFF
 * and Odoo do), so the measurements don't share one event loop. With ODOO_URL the real Odoo replaces the mock.
 */
export async function openBenchEnv(): Promise<BenchEnv> {
  const real = Boolean(process.env.ODOO_URL);
  const mock = real ? undefined : await spawnOdooMock();
  const base: Omit<OdooConfig, 'transport'> = {
    url: process.env.ODOO_URL ?? mock!.url,
    db: process.env.ODOO_DB ?? 'drmoto',
    user: process.env.ODOO_USER ?? 'bff',
    password: process.env.ODOO_PASSWORD ?? 'bff',
    timeoutMs: 30_000,
    maxSockets: 32,
    readRetries: 0,
  };
  const logger = createLogger({ silent: true });
  const json = new OdooClient({ ...base, transport: 'jsonrpc' }, logger);
  const xml = new OdooClient({ ...base, transport: 'xmlrpc' }, logger);
  const wechat: WechatMock = await startWechatMock();
  const bffProc = await spawnBff({
    ODOO_URL: base.url,
    ODOO_DB: base.db,
    ODOO_USER: base.user,
    ODOO_PASSWORD: base.password,
    ODOO_MAX_SOCKETS: '32',
    PGLITE_DIR: 'memory://',
    WECHAT_SECRET: wechat.secret,
    WECHAT_APPID: wechat.appId,
    WECHAT_API_BASE: wechat.url,
    RATE_LIMIT_AUTH_PER_MIN: '100000',
  });
  const bffUrl = bffProc.url;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const call: BenchEnv['call'] = (method, p, opts = {}) =>
    new Promise((resolve, reject) => {
      const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = http.request(
        bffUrl + p,
        {
          method,
          agent,
          headers: {
            ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
            ...opts.headers,
          },
        },
        (res) => {
          let b = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (b += c));
          res.on('end', () => ((res.statusCode ?? 500) < 400 ? resolve({ status: res.statusCode!, headers: res.headers, body: b }) : reject(new Error(`${method} ${p}: ${res.statusCode} ${b}`))));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return {
    real,
    base,
    json,
    xml,
    bffUrl,
    call,
    async login(login, password = 'demo') {
      return (JSON.parse((await call('POST', '/api/v1/auth/staff/login', { body: { login, password } })).body) as { access_token: string }).access_token;
    },
    async close() {
      await stop(bffProc.child);
      agent.destroy();
      json.close();
      xml.close();
      await wechat.close();
      if (mock) await stop(mock.child);
    },
  };
}
