import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createDb, type Db } from '../src/store/db';
import { migrate } from '../src/store/migrate';
import { BullmqJobQueue } from '../src/jobs/bullmq';
import { createLogger } from '../src/logger';
import { OdooClient } from '../src/integrations/odoo/client';
import { startWechatMock, type WechatMock } from '../../mocks/wechat/server';
import { startWechatPayMock, type WechatPayMock } from '../../mocks/wechatpay/server';
import { spawnBff, spawnOdooMock, stop } from '../../scripts/bench/env';
import { loginsOver, type Harness } from './harness';

/**
 * Production-shaped BFF processes for the storm and outage tests (issues 24, 15): each BFF is a process of its own
 * (`NODE_ENV=production`, started with tsx as scripts/bench does), all on one scratch PostgreSQL schema migrated
 * here beforehand with the store's migrator, and one Redis under a BullMQ prefix of their own. The Odoo mock runs
 * in its own process behind an HTTP proxy that can refuse connections (an Odoo outage that keeps the mock's data)
 * and counts calls in flight; Redis is reached through a TCP proxy that can be cut. The WeChat and WeChat Pay mocks
 * run in the test's process (they only sign, answer prepay and log customers in).
 */

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;

/** Whether the servers are configured; under CI=true a missing one is a failure, not a skip. */
export function describeWithServers(title: string, body: () => void): void {
  if (databaseUrl && redisUrl) {
    describe(title, body);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('needs DATABASE_URL and REDIS_URL (CI must provide them)', () => {
        throw new Error('DATABASE_URL and REDIS_URL must be set under CI=true');
      });
    });
  } else {
    console.warn(`[skipped] ${title}: DATABASE_URL and REDIS_URL not set`);
    describe.skip(`${title} — skipped: DATABASE_URL and REDIS_URL not set`, () => {
      it('needs PostgreSQL and Redis', () => undefined);
    });
  }
}

/** A listening server's port, for listening again on the same one after a cut. */
const portOf = (s: net.Server): number => (s.address() as AddressInfo).port;

function listen(server: net.Server, port = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A cuttable link: while cut, connections are refused and the open ones are dropped. */
export interface Cuttable {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy to `target` (host:port) on a free local port. */
export async function tcpProxy(target: { host: string; port: number }, scheme: string): Promise<Cuttable> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await listen(server);
  const port = portOf(server);
  return cuttable(server, port, `${scheme}://127.0.0.1:${port}`, () => sockets.forEach((s) => s.destroy()));
}

function cuttable(server: net.Server, port: number, url: string, dropAll: () => void): Cuttable {
  let cutNow = false;
  return {
    url,
    async cut() {
      if (cutNow) return;
      cutNow = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropAll();
      await closed;
    },
    async restore() {
      if (!cutNow) return;
      await listen(server, port);
      cutNow = false;
    },
    async close() {
      dropAll();
      if (!cutNow) await new Promise<void>((resolve) => server.close(() => resolve()));
      cutNow = true;
    },
  };
}

/** The Odoo proxy: forwards every request, counts those in flight (the highest count too), and can refuse. */
export interface OdooProxy extends Cuttable {
  /** Settlement's calls (`drmoto.work.order.action_*`) in flight now, and the most at once since `resetCounts`. */
  inFlight: number;
  maxInFlight: number;
  /** Calls answered since the last `resetCounts`, by Odoo method (`execute_kw` calls by their model method). */
  calls: Map<string, number>;
  resetCounts(): void;
}

export async function odooProxy(targetUrl: string): Promise<OdooProxy> {
  const target = new URL(targetUrl);
  // A fresh connection per call: reusing an idle keep-alive socket the mock is closing would fail the call here
  // and look like an outage to the BFF.
  const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });
  const sockets = new Set<net.Socket>();
  const state = { inFlight: 0, maxInFlight: 0, calls: new Map<string, number>() };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = methodOf(body.toString('utf8'));
      const counted = method.startsWith('drmoto.work.order.action_');
      if (counted) state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        if (counted) state.inFlight--;
        state.calls.set(method, (state.calls.get(method) ?? 0) + 1);
      };
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        upRes.on('end', finish);
      });
      up.on('error', () => {
        finish();
        res.destroy();
      });
      res.on('close', finish);
      up.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await listen(server);
  const port = portOf(server);
  const link = cuttable(server, port, `http://127.0.0.1:${port}`, () => sockets.forEach((s) => s.destroy()));
  return Object.assign(state, link, {
    resetCounts() {
      state.calls.clear();
      state.maxInFlight = state.inFlight;
    },
    async close() {
      await link.close();
      agent.destroy();
    },
  });
}

/** `drmoto.work.order.action_close` for an execute_kw call, else the service method (`common.version`…). */
function methodOf(body: string): string {
  try {
    const { params } = JSON.parse(body) as { params?: { service?: string; method?: string; args?: unknown[] } };
    if (params?.method === 'execute_kw' && Array.isArray(params.args)) return `${String(params.args[3])}.${String(params.args[4])}`;
    return `${params?.service}.${params?.method}`;
  } catch {
    return 'other';
  }
}

/** A fresh PostgreSQL schema, migrated as the owner would before any BFF starts; `drop` removes it. */
export interface ScratchStore {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export async function scratchStore(): Promise<ScratchStore> {
  const schema = `mp_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(databaseUrl!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const url = u.toString();
  const db = await createDb({ databaseUrl: url, poolMax: 4 });
  await migrate(db);
  return {
    url,
    db,
    async drop() {
      await db.close();
      const c = new Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Minimal JSON over HTTP against one BFF process. */
async function request(base: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** What `payableWorkOrder` needs of a harness, served by one BFF process. */
export function apiOf(base: () => string): Pick<Harness, 'req' | 'customerLogin' | 'staffToken'> {
  const req = (method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => request(base(), method, path, opts) as ReturnType<Harness['req']>;
  return {
    req,
    ...loginsOver(req),
  };
}

export interface BffProcess {
  url: string;
  child: ChildProcess;
}

/** The whole world of one multi-process test. */
export interface World {
  store: ScratchStore;
  odoo: OdooProxy;
  /** The Odoo mock, straight (not through the proxy): what the test reads back, as the integration user. */
  odooDirect: OdooClient;
  odooDirectUrl: string;
  redis: Cuttable;
  wechat: WechatMock;
  wxpay: WechatPayMock;
  prefix: string;
  bffs: BffProcess[];
  /** Starts BFF number `i` (again), with the world's environment plus `extra`. */
  startBff(i: number, extra?: Record<string, string>): Promise<BffProcess>;
  /** SIGKILL: no drain, no shutdown hooks. */
  kill(i: number): Promise<void>;
  close(): Promise<void>;
}

export async function openWorld(opts: { processes: number; env?: Record<string, string> }): Promise<World> {
  const store = await scratchStore();
  const mock = await spawnOdooMock();
  const odoo = await odooProxy(mock.url);
  const redisTarget = new URL(redisUrl!);
  const redis = await tcpProxy({ host: redisTarget.hostname, port: Number(redisTarget.port || 6379) }, redisTarget.protocol.replace(':', ''));
  const redisPath = redisTarget.pathname.length > 1 ? redisTarget.pathname : '';
  const wechat = await startWechatMock();
  const wxpay = await startWechatPayMock({ appid: wechat.appId });
  const prefix = `mp-${randomBytes(6).toString('hex')}`;
  const odooDirect = new OdooClient({ url: mock.url, db: 'drmoto', user: 'bff', password: 'bff', transport: 'jsonrpc', timeoutMs: 30_000, maxSockets: 4, readRetries: 3 }, createLogger({ silent: true }));
  const env = {
    ODOO_URL: odoo.url,
    ODOO_DB: 'drmoto',
    ODOO_USER: 'bff',
    ODOO_PASSWORD: 'bff',
    // fail fast while the proxy refuses
    ODOO_TIMEOUT_MS: '5000',
    DATABASE_URL: store.url,
    REDIS_URL: `${redis.url}${redisPath}`,
    QUEUE_PREFIX: prefix,
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
    // production wants an https notify URL; the tests deliver the notifications themselves
    ...wxpay.env('https://storm.invalid/api/v1/webhooks/wechatpay'),
    RATE_LIMIT_AUTH_PER_MIN: '100000',
    ...opts.env,
  };
  const bffs: BffProcess[] = [];
  const world: World = {
    store,
    odoo,
    odooDirect,
    odooDirectUrl: mock.url,
    redis,
    wechat,
    wxpay,
    prefix,
    bffs,
    async startBff(i, extra = {}) {
      const p = await spawnBff({ ...env, ...extra });
      // keep draining its output: a full pipe would block the child
      p.child.stdout?.resume();
      p.child.stderr?.resume();
      bffs[i] = p;
      return p;
    },
    async kill(i) {
      const child = bffs[i]!.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    async close() {
      await Promise.all([...bffs.map((b) => b && stopWithin(b.child)), stopWithin(mock.child)]);
      await odoo.close();
      odooDirect.close();
      await redis.close();
      await wechat.close();
      await wxpay.close();
      await BullmqJobQueue.obliterate({ redisUrl: redisUrl!, prefix });
      await store.drop();
    },
  };
  try {
    await Promise.all(Array.from({ length: opts.processes }, (_, i) => world.startBff(i)));
  } catch (e) {
    await world.close();
    throw e;
  }
  return world;
}

/** Prints how long each phase took (for the CI time budget; never asserted). */
export function phases(title: string): (name: string) => void {
  const start = Date.now();
  let last = start;
  return (name) => {
    const now = Date.now();
    process.stderr.write(`[${title}] ${name}: ${((now - last) / 1000).toFixed(1)} s (total ${((now - start) / 1000).toFixed(1)} s)\n`);
    last = now;
  };
}

/** SIGTERM, and SIGKILL when it has not exited 15 s later (a drain stuck on a cut dependency must not outlive the test). */
async function stopWithin(child: ChildProcess): Promise<void> {
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    await stop(child);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** A work order ready to be paid by WeChat: its open payment order's out_trade_no and amount. */
export interface PayableOrder {
  workOrderId: number;
  outTradeNo: string;
  amount: number;
}

/**
 * `count` real work orders in the Odoo mock, each opened, quoted, confirmed by its customer and in repair — driven
 * through the mock's own action methods as the seeded staff (as the BFF would call them, minus its HTTP hop, which
 * would make the setup the slowest part of a storm) — each with its WeChat payment order made over the BFF API by
 * the customer; with `deliver`, then marked ready and delivered by a manager with money owing, so the settlement's
 * `action_close` is what closes them.
 */
export async function payableOrders(world: World, count: number, opts: { series: number; deliver: boolean; concurrency?: number }): Promise<PayableOrder[]> {
  const api = apiOf(() => world.bffs[0]!.url);
  const as = (login: string, password = 'demo') =>
    new OdooClient({ url: world.odooDirectUrl, db: 'drmoto', user: login, password, transport: 'jsonrpc', timeoutMs: 30_000, maxSockets: 8, readRetries: 3 }, createLogger({ silent: true }));
  const [advisor, technician, manager, integration] = [as('advisor'), as('technician'), as('manager'), as('bff', 'bff')];
  const me = await api.customerLogin(`mp${opts.series}-customer`, `phone-139${opts.series}0000000`);
  const partnerId = me.user.customer_id as number;
  let step = 0;
  const key = (id: number | string) => `mp${opts.series}-${id}-${++step}`;
  try {
    return await pool(
      Array.from({ length: count }, (_, n) => n),
      opts.concurrency ?? 8,
      async (n) => {
        // a create is not replayed by the client: a new plate per try (a stray vehicle from a lost answer is harmless)
        let vehicleId = 0;
        for (let attempt = 0; !vehicleId; attempt++) {
          try {
            const created = await advisor.execute<number | number[]>('drmoto.vehicle', 'create', [{ plate_no: `粤S${opts.series}${String(n).padStart(4, '0')}${'ABCDEFGH'[attempt]}`, partner_id: partnerId }]);
            vehicleId = Array.isArray(created) ? created[0]! : created;
          } catch (e) {
            if (attempt >= 5) throw e;
          }
        }
        // the actions are replayed by their request key, so the client may retry them (a keep-alive socket the
        // mock closed under load answers "socket hang up")
        const openKey = key('open');
        const opened = await advisor.execute<{ id: number }>('drmoto.work.order', 'action_open', [{ partner_id: partnerId, vehicle_id: vehicleId, state: 'checkin' }, openKey], {}, { idempotent: true, requestKey: openKey });
        const id = opened.id;
        // `false` revision: no optimistic check (nothing else touches these work orders)
        const act = (who: OdooClient, method: string, extra: unknown[] = [], context?: Record<string, unknown>) => {
          const k = key(id);
          return who.execute('drmoto.work.order', method, [[id], false, k, ...extra], {}, { context, idempotent: true, requestKey: k });
        };
        await act(technician, 'action_start_diagnosis');
        await act(advisor, 'action_create_quote', [[{ kind: 'labor', description: 'Service', qty: 1, price_unit: (10_000 + n) / 100, discount: 0 }], false]);
        await act(advisor, 'action_send_quote', [1]);
        await act(integration, 'action_confirm_quote', [1], { drmoto_actor: { kind: 'customer', partner_id: partnerId } });
        await act(technician, 'action_start_repair');
        const bff = world.bffs[n % world.bffs.length]!.url;
        const pay = await request(bff, 'POST', `/api/v1/work-orders/${id}/payments/wechat`, { token: me.access_token, headers: { 'idempotency-key': `mp${opts.series}-pay-${id}` } });
        if (pay.status !== 201) throw new Error(`payment order of ${id}: ${pay.status} ${pay.text}`);
        if (opts.deliver) {
          await act(technician, 'action_mark_ready');
          await act(manager, 'action_deliver', [true, 'multi-process test: paid by WeChat on the way out']);
        }
        return { workOrderId: id, outTradeNo: pay.body.payment_order.out_trade_no as string, amount: pay.body.payment_order.amount as number };
      },
    );
  } finally {
    for (const c of [advisor, technician, manager, integration]) c.close();
  }
}

/** The customer pays at WeChat (no notification yet): the notification the test then delivers itself, signed afresh each time. */
export async function paidNotification(wxpay: WechatPayMock, order: PayableOrder): Promise<() => { headers: Record<string, string>; body: string }> {
  await wxpay.pay(order.outTradeNo, { lose: true });
  const id = `storm-${order.outTradeNo}`;
  return () => {
    const n = wxpay.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: wxpay.transactionOf(order.outTradeNo), id, summary: '支付成功' });
    return { headers: n.headers, body: n.body };
  };
}

/** POSTs one notification to a BFF; the HTTP status, or 0 when the connection failed (the process died). */
export async function deliver(bffUrl: string, n: { headers: Record<string, string>; body: string }): Promise<number> {
  try {
    const res = await fetch(`${bffUrl}/api/v1/webhooks/wechatpay`, { method: 'POST', headers: n.headers, body: n.body });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Polls until `fn` returns something truthy; throws with the last value seen after `ms`. */
export async function settle<T>(what: string, fn: () => Promise<{ done: boolean; state: T }>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    const r = await fn();
    last = r.state;
    if (r.done) return r.state;
    if (Date.now() > until) throw new Error(`${what} not reached; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The store and the Odoo mock after a run: what each test's outcome is made of. */
export async function outcome(world: World, workOrderIds: number[]): Promise<{
  charges: number;
  suspense: number;
  chargedWorkOrders: number;
  outbox: Record<string, number>;
  closed: number;
  paymentsPerWorkOrder: Record<string, number>;
}> {
  const kinds = (await world.store.db.query<{ kind: string; n: string; wos: string }>('SELECT kind, count(*)::text AS n, count(DISTINCT work_order_id)::text AS wos FROM ledger_entries GROUP BY kind')).rows;
  const outbox = (await world.store.db.query<{ state: string; n: string }>('SELECT state, count(*)::text AS n FROM settlement_outbox GROUP BY state')).rows;
  const wos = await world.odooDirect.searchRead<{ id: number; state: string }>('drmoto.work.order', [['id', 'in', workOrderIds]], ['state']);
  const payments = await world.odooDirect.searchRead<{ drmoto_work_order_id: [number, string] | false }>('account.payment', [['drmoto_work_order_id', 'in', workOrderIds], ['state', '=', 'posted']], ['drmoto_work_order_id']);
  const perWo = new Map<number, number>();
  for (const p of payments) if (p.drmoto_work_order_id) perWo.set(p.drmoto_work_order_id[0], (perWo.get(p.drmoto_work_order_id[0]) ?? 0) + 1);
  const histogram: Record<string, number> = {};
  for (const id of workOrderIds) {
    const k = String(perWo.get(id) ?? 0);
    histogram[k] = (histogram[k] ?? 0) + 1;
  }
  const charge = kinds.find((k) => k.kind === 'charge');
  return {
    charges: Number(charge?.n ?? 0),
    suspense: Number(kinds.find((k) => k.kind === 'suspense')?.n ?? 0),
    chargedWorkOrders: Number(charge?.wos ?? 0),
    outbox: Object.fromEntries(outbox.map((o) => [o.state, Number(o.n)])),
    closed: wos.filter((w) => w.state === 'closed').length,
    paymentsPerWorkOrder: histogram,
  };
}
