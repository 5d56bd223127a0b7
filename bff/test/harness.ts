import { Writable } from 'node:stream';
import { Client } from 'pg';
import { loadConfig, type Config } from '../src/config';
import { createLogger } from '../src/logger';
import { startServer, type RunningServer } from '../src/server';
import { startOdooMock, type OdooMock, type OdooMockOptions } from '../../mocks/odoo/server';
import { startWechatMock, type WechatMock } from '../../mocks/wechat/server';
import { startWechatPayMock, type WechatPayMock } from '../../mocks/wechatpay/server';
import { startLocalS3, type LocalS3 } from './s3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port free right now on 127.0.0.1 (for what must be known before listening: a notify URL, a metrics port). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Harness {
  bff: RunningServer;
  odoo: OdooMock;
  /** Set with `{ wechatPay: true }`. */
  wechatPay?: WechatPayMock;
  wechat: WechatMock;
  /** Set with `{ s3: true }`: the local S3 server the BFF's media endpoints use. */
  s3?: LocalS3;
  config: Config;
  /** Every log line written, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
  staffToken(login: string, password?: string): Promise<string>;
  customerLogin(userCode: string, phoneCode?: string): Promise<{ access_token: string; refresh_token: string; user: Record<string, unknown> }>;
  req(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<{ status: number; headers: Headers; body: any; text: string }>;
}

export interface HarnessOptions {
  /** Extra environment for the BFF. */
  env?: Record<string, string>;
  /** A real Odoo instead of the mock (then `odoo` is not available). */
  realOdoo?: { url: string; db: string; user: string; password: string };
  /** PostgreSQL instead of PGlite: the BFF store goes into a fresh schema that `close()` drops. */
  databaseUrl?: string;
  /** Start the WeChat Pay platform mock and configure the BFF for it (notifications reach the BFF). */
  wechatPay?: boolean;
  /** Start a local S3 server (s3rver, bucket created) and configure the BFF's media uploads for it. */
  s3?: boolean;
  /** Options of the Odoo mock; its login cooldown is off unless given (suites fail logins far more than people do). */
  odooMock?: Pick<OdooMockOptions, 'loginCooldown' | 'proxyMode'>;
}

/**
 * The real BFF on port 0 against the Odoo and WeChat mocks (also on port 0), PGlite in memory and the
 * in-process queue — or, with options, a real Odoo and/or PostgreSQL.
 */
export async function startHarness(envOrOpts: Record<string, string> | HarnessOptions = {}): Promise<Harness> {
  const opts: HarnessOptions =
    'env' in envOrOpts || 'realOdoo' in envOrOpts || 'databaseUrl' in envOrOpts || 'wechatPay' in envOrOpts || 's3' in envOrOpts || 'odooMock' in envOrOpts ? (envOrOpts as HarnessOptions) : { env: envOrOpts as Record<string, string> };
  const env = opts.env ?? {};
  const odoo = opts.realOdoo ? (undefined as unknown as OdooMock) : await startOdooMock({ port: 0, loginCooldown: { after: 0, seconds: 60 }, ...opts.odooMock });
  const odooConn = opts.realOdoo ?? { url: odoo.url, db: odoo.db, user: 'bff', password: 'bff' };
  const wechat = await startWechatMock();
  // WeChat Pay needs the notify URL before the BFF listens: reserve a port first.
  const port = opts.wechatPay ? await freePort() : 0;
  const wechatPay = opts.wechatPay ? await startWechatPayMock({ appid: wechat.appId }) : undefined;
  const payEnv = wechatPay ? wechatPay.env(`http://127.0.0.1:${port}/api/v1/webhooks/wechatpay`) : {};
  const s3 = opts.s3 ? await startLocalS3() : undefined;
  let dropSchema: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (opts.databaseUrl) {
    const schema = `h_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new Client({ connectionString: opts.databaseUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const u = new URL(opts.databaseUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = u.toString();
    dropSchema = async () => {
      const c = new Client({ connectionString: opts.databaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    };
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    ODOO_URL: odooConn.url,
    ODOO_DB: odooConn.db,
    ODOO_USER: odooConn.user,
    ODOO_PASSWORD: odooConn.password,
    PGLITE_DIR: 'memory://',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...payEnv,
    ...(s3 ? s3.env() : {}),
    JWT_SECRET: 'test-secret-test-secret-test-secret!',
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
    SHUTDOWN_TIMEOUT_MS: '2000',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    // Suites log in (and fail to) far more than a person would: the limits have their own tests (rate-limits.test.ts).
    RATE_LIMIT_LOGIN_FAILURES: '1000',
    RATE_LIMIT_WEBHOOK_FAILURES_PER_MIN: '100000',
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', stream });
  const bff = await startServer(config, logger);

  const req: Harness['req'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(bff.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  return {
    bff,
    odoo,
    wechat,
    wechatPay,
    s3,
    config,
    logs,
    req,
    ...loginsOver(req),
    async close() {
      await bff.shutdown('test');
      await odoo?.close();
      await wechat.close();
      await wechatPay?.close();
      await s3?.close();
      await dropSchema?.();
    },
  };
}

/** RFC 9457 body check shared by the error-path tests. */
export function expectProblem(r: { status: number; headers: Headers; body: any }, status: number, code?: string): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body).toEqual(expect.objectContaining({ type: expect.stringMatching(/^urn:drmoto:problem:/), title: expect.any(String), status, trace_id: expect.any(String) }));
  if (code) expect(r.body.code).toBe(code);
  expect(JSON.stringify(r.body)).not.toMatch(/Traceback|\.py"|at .*\.ts:\d+/);
}

/** Polls `fn` every 50 ms until it returns something truthy (then returns it) or `ms` pass (then throws). */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** mulberry32: a small seeded PRNG in [0, 1), so a failing random order or fuzz value can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tokens of the seed's staff by login, logged in together. */
export async function staffTokens<L extends string>(h: Harness, logins: readonly L[]): Promise<Record<L, string>> {
  const tokens = await Promise.all(logins.map((l) => h.staffToken(l)));
  return Object.fromEntries(logins.map((l, i) => [l, tokens[i]!])) as Record<L, string>;
}

/**
 * A suite's payable work orders, numbered: the n-th is a new customer `<tag>-<n>` with phone `<phone><1000 + n>` and
 * plate `<plate><n>` (give the plate's digits as a base, e.g. `粤V8`), each made by `payableWorkOrder`.
 */
export function payableWorkOrders(
  h: Harness,
  staff: { advisor: string; technician: string },
  series: { tag: string; phone: string; plate: string },
): (unitPrice?: number) => Promise<{ id: number; token: string }> {
  let n = 0;
  return (unitPrice = 15000) => {
    n++;
    return payableWorkOrder(h, staff, { login: `${series.tag}-${n}`, phone: `${series.phone}${String(1000 + n)}`, plate: `${series.plate}${String(n).padStart(4, '0')}` }, unitPrice);
  };
}

/**
 * A new customer's work order in repair with a confirmed one-line labor quote of `unitPrice` minor units (tax
 * included): what the payment tests pay, refund and settle. `who` keeps customers, phones and plates apart per suite.
 */
export async function payableWorkOrder(
  h: Pick<Harness, 'req' | 'customerLogin'>,
  staff: { advisor: string; technician: string },
  who: { login: string; phone: string; plate: string },
  unitPrice = 15000,
): Promise<{ id: number; token: string }> {
  const ok = <R extends { status: number; text: string }>(step: string, r: R): R => {
    if (r.status >= 300) throw new Error(`payableWorkOrder: ${step} → ${r.status} ${r.text}`);
    return r;
  };
  const me = await h.customerLogin(who.login, `phone-${who.phone}`);
  const v = ok('vehicle', await h.req('POST', '/api/v1/vehicles', { token: me.access_token, body: { plate_no: who.plate } }));
  const wo = ok('open', await h.req('POST', '/api/v1/work-orders', { token: staff.advisor, body: { customer_id: me.user.customer_id, vehicle_id: v.body.id, checkin: true } }));
  const id = wo.body.id as number;
  const base = `/api/v1/work-orders/${id}`;
  ok('diagnose', await h.req('POST', `${base}/transitions`, { token: staff.technician, body: { action: 'start_diagnosis' } }));
  ok('quote', await h.req('POST', `${base}/quotes`, { token: staff.advisor, body: { lines: [{ kind: 'labor', description: 'Service', qty: 1, unit_price: unitPrice }] } }));
  ok('send', await h.req('POST', `${base}/quotes/1/send`, { token: staff.advisor }));
  ok('confirm', await h.req('POST', `${base}/quotes/1/confirm`, { token: me.access_token }));
  ok('repair', await h.req('POST', `${base}/transitions`, { token: staff.technician, body: { action: 'start_repair' } }));
  return { id, token: me.access_token };
}

/** Staff and customer logins over any BFF's `req` (the in-process harness, or a BFF process of bff/test/multiprocess.ts). */
export function loginsOver(req: Harness['req']): Pick<Harness, 'staffToken' | 'customerLogin'> {
  return {
    async staffToken(login, password = 'demo') {
      const r = await req('POST', '/api/v1/auth/staff/login', { body: { login, password } });
      if (r.status !== 200) throw new Error(`staff login ${login}: ${r.status} ${r.text}`);
      return r.body.access_token as string;
    },
    async customerLogin(userCode, phoneCode) {
      let r = await req('POST', '/api/v1/auth/wechat/login', { body: { code: `user-${userCode}` } });
      if (r.status !== 200) throw new Error(`wechat login: ${r.status} ${r.text}`);
      if (phoneCode) {
        r = await req('POST', '/api/v1/auth/wechat/phone', { token: r.body.access_token, body: { code: phoneCode } });
        if (r.status !== 200) throw new Error(`bind phone: ${r.status} ${r.text}`);
      }
      return r.body;
    },
  };
}
