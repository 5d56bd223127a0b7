/**
 * `npm run bench`: how the BFF talks to Odoo, measured side by side in one run.
 *  1. Transport: the same search_read through our JSON-RPC and XML-RPC transports (keep-alive), JSON-RPC
 *     with a new connection per call, and odoo-await (XML-RPC, new client per call) — sequential p50/p99,
 *     then the highest open-loop rate each holds without backlog.
 *  2. The BFF's added latency: GET /api/v1/vehicles/:id through the BFF vs the gateway call it makes.
 * Against the Odoo mock by default; ODOO_URL (+ ODOO_DB/USER/PASSWORD) points it at a real Odoo, where the
 * open-loop ladder is capped (BENCH_MAX_RATE, default 100/s) to stay under ~70% of one Odoo process.
 * Figures go to BENCHMARKS.md.
 */
import http from 'node:http';
import { createLogger } from '../bff/src/logger';
import { OdooClient, type OdooConfig } from '../bff/src/integrations/odoo/client';
import { loadConfig } from '../bff/src/config';
import { startServer } from '../bff/src/server';
import { startOdooMock } from '../mocks/odoo/server';
import { startWechatMock } from '../mocks/wechat/server';
import { fmt, machine, maxRate, sequential, writeSection, type Stats } from './bench/lib';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OdooAwait = require('odoo-await') as new (o: { baseUrl: string; db: string; username: string; password: string }) => {
  connect(): Promise<number>;
  searchRead(model: string, domain: unknown, fields: string[], opts?: { limit?: number }): Promise<unknown[]>;
};

const N = Number(process.env.BENCH_N ?? 300);

async function main(): Promise<void> {
  const real = Boolean(process.env.ODOO_URL);
  const mock = real ? undefined : await startOdooMock({ port: 0 });
  const base: Omit<OdooConfig, 'transport'> = {
    url: process.env.ODOO_URL ?? mock!.url,
    db: process.env.ODOO_DB ?? mock!.db,
    user: process.env.ODOO_USER ?? 'bff',
    password: process.env.ODOO_PASSWORD ?? 'bff',
    timeoutMs: 30_000,
    maxSockets: 16,
    readRetries: 0,
  };
  const logger = createLogger({ silent: true });
  const json = new OdooClient({ ...base, transport: 'jsonrpc' }, logger);
  const xml = new OdooClient({ ...base, transport: 'xmlrpc' }, logger);
  const domain = [['drmoto_is_customer', '=', true]];
  const fields = ['id', 'name', 'phone'];
  const uid = await json.authenticateUser(base.user, base.password);

  // JSON-RPC without keep-alive: what a naive fetch-per-call client pays.
  const noKeepAlive = () =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service: 'object', method: 'execute_kw', args: [base.db, uid, base.password, 'res.partner', 'search_read', [domain], { fields, limit: 10 }] }, id: 1 });
      const req = http.request(base.url + '/jsonrpc', { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    });
  const oa = new OdooAwait({ baseUrl: base.url, db: base.db, username: base.user, password: base.password });
  await oa.connect();

  const variants: [string, () => Promise<unknown>][] = [
    ['gateway JSON-RPC, keep-alive', () => json.searchRead('res.partner', domain, fields, { limit: 10 })],
    ['gateway XML-RPC, keep-alive', () => xml.searchRead('res.partner', domain, fields, { limit: 10 })],
    ['JSON-RPC, new connection per call', noKeepAlive],
    ['odoo-await (XML-RPC, new client per call)', () => oa.searchRead('res.partner', domain, fields, { limit: 10 })],
  ];
  const ladder = real ? [25, 50, 75, 100, 125].filter((r) => r <= Number(process.env.BENCH_MAX_RATE ?? 100)) : [250, 500, 1000, 1500, 2000, 3000, 4000];
  const rows: string[] = [];
  for (const [name, fn] of variants) {
    const seq = await sequential(fn, { n: N });
    const max = await maxRate(fn, ladder, 3);
    rows.push(`| ${name} | ${fmt(seq.p50)} | ${fmt(seq.p99)} | ${max.rate || '<' + ladder[0]} |`);
    process.stdout.write(`${name}: p50 ${fmt(seq.p50)} ms, p99 ${fmt(seq.p99)} ms, max rate ${max.rate}/s\n`);
  }

  // BFF overhead: a vehicle read through the BFF vs the same gateway call direct.
  const wechat = await startWechatMock();
  const cfg = loadConfig({
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    ODOO_URL: base.url,
    ODOO_DB: base.db,
    ODOO_USER: base.user,
    ODOO_PASSWORD: base.password,
    PGLITE_DIR: 'memory://',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret',
    WECHAT_SECRET: wechat.secret,
    WECHAT_APPID: wechat.appId,
    WECHAT_API_BASE: wechat.url,
    RATE_LIMIT_AUTH_PER_MIN: '100000',
  });
  const bff = await startServer(cfg, logger);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const call = (method: string, p: string, body?: unknown, token?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(bff.url + p, { method, agent, headers: { ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => (res.statusCode && res.statusCode < 400 ? resolve({ status: res.statusCode, body: b }) : reject(new Error(`${res.statusCode} ${b}`))));
      });
      req.on('error', reject);
      req.end(data);
    });
  const login = JSON.parse((await call('POST', '/api/v1/auth/staff/login', { login: 'advisor', password: 'demo' })).body) as { access_token: string };
  const vehicles = JSON.parse((await call('GET', '/api/v1/vehicles?limit=1', undefined, login.access_token)).body) as { items: { id: number }[] };
  const vid = vehicles.items[0]?.id;
  if (!vid) throw new Error('no vehicle to read');
  const vehicleFields = ['id', 'plate_no', 'plate_normalized', 'vin', 'brand', 'vehicle_model', 'year', 'odometer', 'partner_id', 'company_id', 'create_date', 'write_date'];
  const direct = await sequential(() => json.searchRead('drmoto.vehicle', [['id', '=', vid]], vehicleFields), { n: N });
  const viaBff = await sequential(() => call('GET', `/api/v1/vehicles/${vid}`, undefined, login.access_token), { n: N });
  const line = (name: string, s: Stats) => `| ${name} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} |`;

  writeSection(
    `Odoo transport and BFF overhead (${real ? 'real Odoo 17' : 'Odoo mock'})`,
    [
      `Run ${new Date().toISOString().slice(0, 16)}Z on ${machine()}; \`npm run bench\`${real ? ' with ODOO_URL set' : ''}. Times in ms.`,
      '',
      `**Transport** — \`res.partner\` search_read (10 rows), sequential p50/p99 over ${N} calls after warm-up, and the`,
      `highest open-loop rate (ladder ${ladder.join('/')} per s, 3 s each) held with no backlog.`,
      '',
      '| client | p50 | p99 | max rate/s |',
      '|---|---|---|---|',
      ...rows,
      '',
      `**BFF overhead** — one vehicle read, one connection, ${N} sequential calls:`,
      '',
      '| path | p50 | p95 | p99 |',
      '|---|---|---|---|',
      line('direct gateway search_read (JSON-RPC)', direct),
      line('GET /api/v1/vehicles/:id through the BFF', viaBff),
      '',
      `BFF added latency at p50: ${fmt(viaBff.p50 - direct.p50)} ms (JWT check, validation, mapping, logging, HTTP hop).`,
    ].join('\n'),
  );
  process.stdout.write(`BFF p50 ${fmt(viaBff.p50)} vs direct ${fmt(direct.p50)} ms\n`);
  await bff.shutdown('bench');
  agent.destroy();
  json.close();
  xml.close();
  await wechat.close();
  await mock?.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
