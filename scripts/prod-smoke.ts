/**
 * `npm run test:prod-smoke`: the production path, end to end, as the Dockerfile builds and runs it.
 *  1. A scratch tree laid out as the Dockerfile's build stage (same files), `npm ci` (from the npm cache), `npm run
 *     build`, `npm prune --omit=dev`; then the runtime tree (node_modules, dist, package.json only), whose build
 *     contents are checked (scripts/build-contents.ts).
 *  2. A scratch owner role, application role (member of drmoto_app) and database on the local PostgreSQL, set up as
 *     docker/postgres-init does; `npm run migrate` as the owner; the built server (the Dockerfile's CMD, what `npm
 *     start` runs; `npm start` itself for the refusals), NODE_ENV=production,
 *     as the application role only, BFF_ROLE=all, on Redis (a unique queue prefix), with the Odoo mock, the WeChat API
 *     mock, the WeChat Pay mock and s3rver as separate processes (tsx from this tree), and a TLS hop in front of the
 *     webhook (production wants an https notify URL).
 *  3. Refusals first: the built server without DATABASE_URL/REDIS_URL, and before `npm run migrate`.
 *  4. One journey over HTTP, the ledger holding exactly one charge; then SIGTERM with a request in flight: it finishes
 *     with `Connection: close` and the process exits 0.
 * Everything scratch is dropped afterwards. Env: DATABASE_URL (a superuser on the cluster to use), REDIS_URL;
 * PROD_SMOKE_KEEP=1 keeps the laid-out tree and PROD_SMOKE_APP=<dir>/app reuses it (skips step 1).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { inspectBuild } from './build-contents';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const started = Date.now();
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

function step(text: string): void {
  process.stdout.write(`[prod-smoke ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${text}\n`);
}

function check(ok: unknown, what: string): void {
  if (!ok) throw new Error(`FAILED: ${what}`);
}

/** The files the Dockerfile's build stage copies, read from the Dockerfile itself so the two can't drift apart. */
function dockerfileCopies(): string[] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const build = text.split(/^FROM /m)[1] ?? '';
  return [...build.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => {
    const parts = (m[1] ?? '').trim().split(/\s+/);
    return parts.slice(0, -1);
  });
}

async function layOutImage(): Promise<string> {
  // PROD_SMOKE_APP: a runtime tree laid out by an earlier run kept with PROD_SMOKE_KEEP=1 (iterating on the journey).
  if (process.env.PROD_SMOKE_APP) return process.env.PROD_SMOKE_APP;
  const dir = mkdtempSync(path.join(tmpdir(), 'drmoto-prod-'));
  if (process.env.PROD_SMOKE_KEEP === '1') step(`keeping ${dir}/app (PROD_SMOKE_APP=${dir}/app reuses it)`);
  else cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const build = path.join(dir, 'build');
  const app = path.join(dir, 'app');
  const copies = dockerfileCopies();
  check(copies.includes('package-lock.json') && copies.includes('bff/src'), `Dockerfile copies ${copies.join(' ')}`);
  for (const rel of copies) cpSync(path.join(ROOT, rel), path.join(build, rel), { recursive: true });
  step(`build stage: copied ${copies.join(' ')}; npm ci`);
  await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: build, maxBuffer: 1 << 26 });
  step('build stage: npm run build');
  await run('npm', ['run', 'build'], { cwd: build, maxBuffer: 1 << 26 });
  step('build stage: npm prune --omit=dev');
  await run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], { cwd: build, maxBuffer: 1 << 26 });
  // The runtime stage's three COPY --from=build lines (moved: the build stage is not used again).
  mkdirSync(app);
  for (const rel of ['node_modules', 'dist', 'package.json']) renameSync(path.join(build, rel), path.join(app, rel));
  const pkg = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const problems = inspectBuild(path.join(app, 'dist'), pkg.dependencies);
  check(problems.length === 0, `build contents:\n${problems.join('\n')}`);
  // What the lockfile marks dev-only (a devDependency that a runtime package also needs, e.g. @types/node for stripe, isn't).
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devLeft = Object.entries(lock.packages).filter(([p, e]) => e.dev && p && existsSync(path.join(app, p))).map(([p]) => p);
  check(devLeft.length === 0, `dev-only packages left in the image tree: ${devLeft.slice(0, 10).join(', ')}`);
  check(!existsSync(path.join(app, 'node_modules', 'tsx')) && !existsSync(path.join(app, 'node_modules', 'jest')), 'no tsx or jest in the image tree');
  return app;
}

/** Spawns `cmd`, resolving with the first stdout line matching `ready` (its first group). */
function spawnReady(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; name: string }): Promise<{ child: ChildProcess; match: string; output: () => string }> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} did not start:\n${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = opts.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m[1] ?? '', output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited with ${code} before it was ready:\n${out}`));
    });
  });
}

async function service(kind: string, env: Record<string, string> = {}): Promise<{ url: string; env: Record<string, string> }> {
  const s = await spawnReady(TSX, [path.join(ROOT, 'scripts', 'prod-smoke-service.ts'), kind], { cwd: ROOT, env: { ...process.env, ...env }, ready: /^READY (.+)$/m, name: kind });
  return JSON.parse(s.match) as { url: string; env: Record<string, string> };
}

/** Runs a command of the image tree to its end: its exit code and output. */
function runToEnd(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** A forwarder whose delay can be raised: an Odoo call (and so a BFF request) in flight on demand. */
async function slowForwarder(target: string): Promise<{ url: string; delayMs: number; received: number }> {
  const state = { url: '', delayMs: 0, received: 0 };
  const server = http.createServer((req, res) => {
    state.received++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      setTimeout(() => {
        const up = http.request(target + req.url, { method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(Buffer.concat(chunks));
      }, state.delayMs),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** The TLS hop production has in front of the webhook: https://127.0.0.1:<port> → the BFF, with a scratch certificate. */
async function tlsHop(dir: string, target: () => string): Promise<{ url: string; caFile: string }> {
  const key = path.join(dir, 'tls.key');
  const cert = path.join(dir, 'tls.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const up = http.request(target() + req.url, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caFile: cert };
}

async function scratchDatabase(adminUrl: string): Promise<{ ownerUrl: string; appUrl: string; query: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]> }> {
  const id = randomBytes(4).toString('hex');
  const [db, owner, app] = [`smoke_${id}`, `smoke_owner_${id}`, `smoke_app_${id}`];
  const [ownerPw, appPw] = [randomBytes(12).toString('hex'), randomBytes(12).toString('hex')];
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  cleanups.push(async () => {
    const c = new Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${app}`);
      await c.query(`DROP ROLE IF EXISTS ${owner}`);
    } finally {
      await c.end();
    }
  });
  try {
    // As docker/postgres-init: an owner that runs migrations, an application login role that owns nothing and is a
    // member of drmoto_app (cluster-wide, so shared with anything else on this server: created if missing, kept).
    await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN CREATE ROLE drmoto_app NOLOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    await admin.query(`CREATE ROLE ${owner} LOGIN PASSWORD '${ownerPw}'`);
    await admin.query(`CREATE ROLE ${app} LOGIN PASSWORD '${appPw}' IN ROLE drmoto_app`);
    await admin.query(`CREATE DATABASE ${db} OWNER ${owner}`);
    await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT ON DATABASE ${db} TO ${app}`);
  } finally {
    await admin.end();
  }
  const inDb = new URL(adminUrl);
  inDb.pathname = `/${db}`;
  const c = new Client({ connectionString: inDb.toString() });
  await c.connect();
  try {
    await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await c.query(`ALTER SCHEMA public OWNER TO ${owner}`);
  } finally {
    await c.end();
  }
  const as = (user: string, pw: string) => {
    const u = new URL(inDb.toString());
    u.username = user;
    u.password = pw;
    return u.toString();
  };
  return {
    ownerUrl: as(owner, ownerPw),
    appUrl: as(app, appPw),
    async query(sql, params) {
      const q = new Client({ connectionString: as(owner, ownerPw) });
      await q.connect();
      try {
        return (await q.query(sql, params)).rows as Record<string, unknown>[];
      } finally {
        await q.end();
      }
    },
  };
}

interface Res {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
}

function call(base: string, method: string, url: string, opts: { token?: string; body?: unknown; key?: string; agent?: http.Agent } = {}): Promise<Res> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = {};
  if (body) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.key) headers['idempotency-key'] = opts.key;
  return new Promise((resolve, reject) => {
    const req = http.request(base + url, { method, headers, agent: opts.agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function odooProductId(odoo: { url: string; env: Record<string, string> }): Promise<number> {
  const rpc = async (service: string, method: string, args: unknown[]) => {
    const r = await fetch(`${odoo.url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service, method, args } }) });
    const j = (await r.json()) as { result?: unknown; error?: unknown };
    if (j.error) throw new Error(`odoo ${method}: ${JSON.stringify(j.error)}`);
    return j.result;
  };
  const { ODOO_DB: db, ODOO_USER: user, ODOO_PASSWORD: pw } = odoo.env as Record<string, string>;
  const uid = await rpc('common', 'login', [db, user, pw]);
  const ids = (await rpc('object', 'execute_kw', [db, uid, pw, 'product.product', 'search', [[['detailed_type', '=', 'product']]], { limit: 1 }])) as number[];
  check(ids.length === 1, 'a stockable product in the Odoo mock');
  return ids[0]!;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`FAILED: timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!adminUrl || !redisUrl) throw new Error('set DATABASE_URL (a superuser on the PostgreSQL to use) and REDIS_URL');

  const app = await layOutImage();
  step('image tree laid out and checked');
  const scratch = mkdtempSync(path.join(tmpdir(), 'drmoto-prod-tls-'));
  cleanups.push(async () => rmSync(scratch, { recursive: true, force: true }));

  const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', npm_config_update_notifier: 'false' };
  const refused = await runToEnd(app, ['start'], { ...baseEnv, ODOO_URL: 'http://127.0.0.1:9', ODOO_DB: 'x', ODOO_USER: 'x', ODOO_PASSWORD: 'x', JWT_SECRET: 'x'.repeat(32), WECHAT_SECRET: 'x' });
  check(refused.code !== 0 && /DATABASE_URL: is required in production/.test(refused.out) && /REDIS_URL: is required in production/.test(refused.out), `a half-configured production start is refused, naming both:\n${refused.out}`);
  step(`half-configured start refused (exit ${refused.code}, names DATABASE_URL and REDIS_URL)`);

  const pg = await scratchDatabase(adminUrl);
  const prefix = `smoke-${randomBytes(4).toString('hex')}`;
  cleanups.push(async () => {
    const r = new Redis(redisUrl);
    try {
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length) await r.del(...keys);
    } finally {
      r.disconnect();
    }
  });

  const [odoo, wechat, s3] = await Promise.all([service('odoo'), service('wechat'), service('s3')]);
  const bffPort = await new Promise<number>((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const bffUrl = `http://127.0.0.1:${bffPort}`;
  const tls = await tlsHop(scratch, () => bffUrl);
  const wxpay = await service('wechatpay', { WECHATPAY_NOTIFY_URL: `${tls.url}/api/v1/webhooks/wechatpay`, WECHAT_APPID: wechat.env.WECHAT_APPID!, NODE_EXTRA_CA_CERTS: tls.caFile });
  const slowOdoo = await slowForwarder(odoo.url);
  step('PostgreSQL roles and database, Redis prefix, Odoo/WeChat/WeChat Pay/S3 processes ready');

  const serverEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    BFF_ROLE: 'all',
    HOST: '127.0.0.1',
    PORT: String(bffPort),
    LOG_LEVEL: 'info',
    JWT_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: pg.appUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    QUEUE_BACKOFF_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...odoo.env,
    ODOO_URL: slowOdoo.url,
    ...wechat.env,
    ...wxpay.env,
    ...s3.env,
  };
  const early = await runToEnd(app, ['start'], serverEnv);
  check(early.code === 1 && /npm run migrate/.test(early.out), `the server refuses an unmigrated database:\n${early.out}`);
  step('before migrating: the built server refuses to start (exit 1, says to run npm run migrate)');

  const migrated = await runToEnd(app, ['run', 'migrate'], { ...baseEnv, DATABASE_MIGRATION_URL: pg.ownerUrl });
  check(migrated.code === 0 && /migrate: applied 0001_init/.test(migrated.out), `npm run migrate as the owner:\n${migrated.out}`);
  step('npm run migrate (owner): applied');

  // The image's CMD, not `npm start` (the same command under npm, which does not pass SIGTERM on to it: a container
  // whose PID 1 is npm would never drain).
  const cmd = JSON.parse(/^CMD (\[.+\])$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1] ?? '[]') as string[];
  check(cmd[0] === 'node' && cmd.length > 1, `the Dockerfile's CMD runs node: ${JSON.stringify(cmd)}`);
  const bff = await spawnReady(process.execPath, cmd.slice(1), { cwd: app, env: serverEnv, ready: /"message":"listening"/, name: 'bff' });
  const exited = new Promise<number | null>((r) => bff.child.once('exit', (code) => r(code)));
  step(`built server listening (the image's CMD ${cmd.join(' ')}; NODE_ENV=production, application role, BFF_ROLE=all)`);

  const api = (method: string, url: string, opts: Parameters<typeof call>[3] = {}) => call(bffUrl, method, url, opts);
  const ok = (what: string, r: Res, status = [200, 201]): Res => {
    check(status.includes(r.status), `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  const login = async (l: string) => ok(`staff login ${l}`, await api('POST', '/api/v1/auth/staff/login', { body: { login: l, password: 'demo' } })).body.access_token as string;
  const [advisor, technician, keeper] = [await login('advisor'), await login('technician'), await login('keeper')];
  const phone = `1390000${String(Math.floor(1000 + Math.random() * 8999))}`;
  const customer = ok('customer', await api('POST', '/api/v1/customers', { token: advisor, body: { name: 'Smoke Test', phone } })).body;
  const vehicle = ok('vehicle', await api('POST', '/api/v1/vehicles', { token: advisor, body: { customer_id: customer.id, plate_no: `粤S${phone.slice(-5)}` } })).body;
  const wo = ok('work order', await api('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: customer.id, vehicle_id: vehicle.id, checkin: true } })).body;
  const base = `/api/v1/work-orders/${wo.id}`;
  ok('diagnosis', await api('POST', `${base}/transitions`, { token: technician, body: { action: 'start_diagnosis' } }));
  const product = await odooProductId(odoo);
  ok('quote', await api('POST', `${base}/quotes`, { token: advisor, body: { lines: [{ kind: 'part', product_id: product, description: 'pads', qty: 1, unit_price: 8000 }, { kind: 'labor', description: 'Service', qty: 1, unit_price: 12000 }] } }));
  ok('send quote', await api('POST', `${base}/quotes/1/send`, { token: advisor }));
  const wx = ok('customer WeChat login', await api('POST', '/api/v1/auth/wechat/login', { body: { code: 'user-smoke' } })).body;
  const me = ok('bind phone', await api('POST', '/api/v1/auth/wechat/phone', { token: wx.access_token, body: { code: `phone-${phone}` } })).body;
  check(me.user.customer_id === customer.id, `the customer's login is the customer the advisor created (${JSON.stringify(me.user)})`);
  ok('customer confirms', await api('POST', `${base}/quotes/1/confirm`, { token: me.access_token }));
  ok('repair', await api('POST', `${base}/transitions`, { token: technician, body: { action: 'start_repair' } }));
  ok('parts issue', await api('POST', `${base}/parts/issue`, { token: keeper, key: `smoke-issue-${wo.id}`, body: { lines: [{ product_id: product, qty: 1 }] } }));
  const pay = ok('WeChat payment', await api('POST', `${base}/payments/wechat`, { token: me.access_token, key: `smoke-pay-${wo.id}` })).body;
  const no = pay.payment_order.out_trade_no as string;
  const paid = await fetch(`${wxpay.url}/__mock/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ out_trade_no: no }) });
  const paidBody = (await paid.json()) as { deliveries?: Array<{ status: number }> };
  check(paid.status === 200 && paidBody.deliveries?.every((d) => d.status === 204 || d.status === 200), `the signed notification was accepted: ${JSON.stringify(paidBody)}`);
  step(`journey: work order ${wo.id} quoted, confirmed, parts issued, paid (notification over TLS accepted)`);
  await waitFor('settlement (Odoo paid)', async () => {
    const h = await api('GET', `${base}/payments`, { token: me.access_token });
    return h.status === 200 && h.body.paid === 20000 && h.body.orders?.[0]?.status === 'paid';
  });
  ok('ready', await api('POST', `${base}/transitions`, { token: technician, body: { action: 'mark_ready' } }));
  const delivered = ok('deliver', await api('POST', `${base}/transitions`, { token: advisor, body: { action: 'deliver' } })).body;
  check(delivered.status === 'closed' && delivered.closed === true, `delivery closes the paid work order: ${JSON.stringify(delivered)}`);
  const charges = await pg.query(`SELECT kind, amount, work_order_id FROM ledger_entries ORDER BY seq`);
  check(charges.length === 1 && charges[0]!.kind === 'charge' && Number(charges[0]!.amount) === 20000 && Number(charges[0]!.work_order_id) === wo.id, `exactly one ledger charge: ${JSON.stringify(charges)}`);
  step('delivered and closed; the ledger holds exactly one charge of 200.00');

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  ok('keep-alive', await api('GET', '/healthz', { agent }));
  slowOdoo.delayMs = 1500;
  const before = slowOdoo.received;
  const inflight = api('GET', base, { token: advisor, agent });
  await waitFor('the request to reach Odoo', async () => slowOdoo.received > before);
  bff.child.kill('SIGTERM');
  const last = await inflight;
  check(last.status === 200 && last.body.id === wo.id, `the in-flight request finished: ${last.status}`);
  check(last.headers.connection === 'close', `the in-flight response says Connection: close (${last.headers.connection})\n${bff.output().slice(-3000)}`);
  const code = await exited;
  check(code === 0, `exit code after SIGTERM: ${code}\n${bff.output().slice(-2000)}`);
  agent.destroy();
  step('SIGTERM: in-flight request finished with Connection: close; exit 0');
}

async function cleanup(): Promise<void> {
  // Every process is gone before its Redis keys and database are: a draining worker still writes job state.
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill('SIGTERM');
  await Promise.all(running.map((c) => new Promise<void>((r) => {
    const t = setTimeout(() => (c.kill('SIGKILL'), r()), 20_000);
    c.once('exit', () => (clearTimeout(t), r()));
  })));
  for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => process.stderr.write(`cleanup: ${String(e)}\n`));
}

main().then(
  async () => {
    await cleanup();
    step('passed');
  },
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    await cleanup();
    process.exitCode = 1;
  },
);
