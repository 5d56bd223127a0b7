import http from 'node:http';
import { createLogger } from '../../bff/src/logger';
import { OdooClient, type OdooConfig } from '../../bff/src/integrations/odoo/client';
import { loadConfig } from '../../bff/src/config';
import { startServer, type RunningServer } from '../../bff/src/server';
import { startOdooMock, type OdooMock } from '../../mocks/odoo/server';
import { startWechatMock, type WechatMock } from '../../mocks/wechat/server';

/** One benchmark environment: Odoo (mock, or real with ODOO_URL), a direct gateway client, the BFF on a port. */
export interface BenchEnv {
  real: boolean;
  base: Omit<OdooConfig, 'transport'>;
  json: OdooClient;
  xml: OdooClient;
  bff: RunningServer;
  mock?: OdooMock;
  call(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
  login(login: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBenchEnv(): Promise<BenchEnv> {
  const real = Boolean(process.env.ODOO_URL);
  const mock = real ? undefined : await startOdooMock({ port: 0 });
  const base: Omit<OdooConfig, 'transport'> = {
    url: process.env.ODOO_URL ?? mock!.url,
    db: process.env.ODOO_DB ?? mock!.db,
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
  const cfg = loadConfig({
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    ODOO_URL: base.url,
    ODOO_DB: base.db,
    ODOO_USER: base.user,
    ODOO_PASSWORD: base.password,
    ODOO_MAX_SOCKETS: '32',
    PGLITE_DIR: 'memory://',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret',
    WECHAT_SECRET: wechat.secret,
    WECHAT_APPID: wechat.appId,
    WECHAT_API_BASE: wechat.url,
    RATE_LIMIT_AUTH_PER_MIN: '100000',
  });
  const bff = await startServer(cfg, logger);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const call: BenchEnv['call'] = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = http.request(
        bff.url + path,
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
          res.on('end', () => ((res.statusCode ?? 500) < 400 ? resolve({ status: res.statusCode!, headers: res.headers, body: b }) : reject(new Error(`${method} ${path}: ${res.statusCode} ${b}`))));
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
    bff,
    mock,
    call,
    async login(login, password = 'demo') {
      return (JSON.parse((await call('POST', '/api/v1/auth/staff/login', { body: { login, password } })).body) as { access_token: string }).access_token;
    },
    async close() {
      await bff.shutdown('bench');
      agent.destroy();
      json.close();
      xml.close();
      await wechat.close();
      await mock?.close();
    },
  };
}
