/**
 * The offline demo stack, started by `npm run demo` (scripts/demo.ts) and by the browser tests (e2e/): the BFF on
 * the Odoo mock (seeded shop), the WeChat API and WeChat Pay mocks, PGlite and the in-process queue, plus the H5
 * page (mocks/h5) at `<bff>/demo` — same origin as the API, so no CORS. No external service.
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../bff/src/config';
import type { Container } from '../bff/src/container';
import { createLogger } from '../bff/src/logger';
import { startServer } from '../bff/src/server';
import { requestPaymentMessage, verifyBase64 } from '../bff/src/integrations/wechatpay/signing';
import { startOdooMock, type OdooMock } from '../mocks/odoo/server';
import { startWechatMock, type WechatMock } from '../mocks/wechat/server';
import { startWechatPayMock, type WechatPayMock } from '../mocks/wechatpay/server';

export const H5_DIR = path.resolve(__dirname, '..', 'mocks', 'h5');

export interface DemoOptions {
  /** BFF port; busy → any free one; 0 = any free one (default 3000). */
  port?: number;
  /** Odoo mock port; busy → any free one (default 8069). */
  odooPort?: number;
  /** PGlite directory of the BFF store, or `memory://`. */
  pgliteDir: string;
  logLevel?: string;
  jwtSecret?: string;
  /** Log destination (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** Where the H5 files are (default mocks/h5). */
  h5Dir?: string;
  /** More BFF environment (tests: e.g. a higher RATE_LIMIT_AUTH_PER_MIN for many logins from one address). */
  env?: Record<string, string>;
  /**
   * When the customer's page offers WeChat Pay (default `PAYMENT_TIMING` from the environment, else `pickup`):
   * `pickup` — a walk-in shop: once the repair is done (ready, delivered); `after_confirm` — as soon as a quote is
   * confirmed (prepayment, e.g. for bookings).
   */
  payAt?: PayAt;
}

export type PayAt = 'pickup' | 'after_confirm';
const PAY_AT: readonly PayAt[] = ['pickup', 'after_confirm'];

/** `PAYMENT_TIMING` → the shop's rule; anything else is a mistake worth stopping for, not a silent default. */
export function payAtFrom(value: string | undefined): PayAt {
  if (value === undefined || value === '') return 'pickup';
  if ((PAY_AT as readonly string[]).includes(value)) return value as PayAt;
  throw new Error(`PAYMENT_TIMING must be one of ${PAY_AT.join(', ')} (got ${JSON.stringify(value)})`);
}

export interface DemoStack {
  /** The BFF's origin; the H5 page is `${url}/demo/`. */
  url: string;
  demoUrl: string;
  config: Config;
  container: Container;
  server: http.Server;
  odoo: OdooMock;
  wechat: WechatMock;
  wechatPay: WechatPayMock;
  /** Stops the BFF (drains in-flight requests), then the mocks. */
  close(reason?: string): Promise<void>;
}

/** The wanted port when it is free, else any free one (WeChat Pay's notify URL needs it before the BFF starts). */
export function pickPort(wanted: number): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.once('error', () => {
      const t = http.createServer();
      t.listen(0, '127.0.0.1', () => {
        const p = (t.address() as AddressInfo).port;
        t.close(() => resolve(p));
      });
    });
    s.listen(wanted, () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function listenWithFallback<T>(start: (port: number) => Promise<T>, port: number): Promise<T> {
  try {
    return await start(port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    process.stderr.write(`port ${port} is busy; using a free one\n`);
    return start(0);
  }
}

export async function startDemo(opts: DemoOptions): Promise<DemoStack> {
  // Odoo's login cooldown as scripts/odoo-setup-users.py sets it on a real Odoo (10 failures per address; README, Login limits)
  const odoo = await listenWithFallback((port) => startOdooMock({ port, host: '127.0.0.1', loginCooldown: { after: 10, seconds: 60 } }), opts.odooPort ?? 8069);
  const wechat = await startWechatMock();
  const port = await pickPort(opts.port ?? 3000);
  // WeChat confirms a refund a moment later by its notification, as it does for real: the page shows pending → succeeded.
  const wechatPay = await startWechatPayMock({ appid: wechat.appId, autoCompleteRefundsMs: 1500 });
  const config = loadConfig({
    ...process.env,
    ...opts.env,
    NODE_ENV: 'development',
    PORT: String(port),
    ...wechatPay.env(`http://127.0.0.1:${port}/api/v1/webhooks/wechatpay`),
    LOG_LEVEL: opts.logLevel ?? 'warn',
    // A demo has no load balancer to wait for.
    SHUTDOWN_TIMEOUT_MS: '2000',
    ODOO_URL: odoo.url,
    ODOO_DB: odoo.db,
    ODOO_USER: 'bff',
    ODOO_PASSWORD: 'bff',
    DATABASE_URL: '',
    REDIS_URL: '',
    PGLITE_DIR: opts.pgliteDir,
    JWT_SECRET: opts.jwtSecret ?? randomBytes(32).toString('hex'),
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
  });
  const logger = createLogger({ level: config.log.level, ...(opts.logStream ? { stream: opts.logStream } : {}) });
  // The page uploads photos straight to storage and shows them from there: let its CSP reach that origin.
  const storage = config.media?.publicEndpoint ?? config.media?.endpoint;
  const origins = storage ? [new URL(storage).origin] : [];
  const payAt = opts.payAt ?? payAtFrom(opts.env?.PAYMENT_TIMING ?? process.env.PAYMENT_TIMING);
  const bff = await startServer(config, logger, { demo: { dir: opts.h5Dir ?? H5_DIR, router: demoRouter(odoo, wechatPay, { payAt }), origins } });
  const close = async (reason = 'demo stop') => {
    await bff.shutdown(reason);
    await odoo.close();
    await wechat.close();
    await wechatPay.close();
  };
  return { url: bff.url, demoUrl: `${bff.url}/demo/`, config, container: bff.container, server: bff.server, odoo, wechat, wechatPay, close };
}

interface RequestPaymentBody {
  timeStamp?: unknown;
  nonceStr?: unknown;
  package?: unknown;
  signType?: unknown;
  paySign?: unknown;
  cancel?: unknown;
}

/**
 * Demo-only endpoints under /demo:
 *  - `POST /demo/mock/request-payment` plays WeChat's side of `wx.requestPayment(params)`: it checks the merchant's
 *    paySign over the prepay id the BFF signed, then the WeChat Pay mock "pays" the order and sends its signed
 *    notification to the BFF's webhook — what the WeChat app does when the customer enters their PIN. The page
 *    can't call the mock itself: the CSP keeps it on its own origin.
 *  - `GET /demo/mock/catalog` the seeded products with price and stock for the quote builder (the BFF has no
 *    product catalogue endpoint yet).
 *  - `GET /demo/shop` the shop's rules the page follows: `{ pay_at }` (when the pay button is offered). The BFF has
 *    no shop-settings endpoint yet; it accepts a payment whenever something is due, so this is the page's rule.
 */
export function demoRouter(odoo: OdooMock, pay: WechatPayMock, shop: { payAt: PayAt } = { payAt: 'pickup' }): express.Router {
  const r = express.Router();
  const problem = (res: express.Response, status: number, title: string, detail: string) =>
    res.status(status).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title, status, detail }));

  r.post('/mock/request-payment', express.json({ limit: '8kb' }), async (req, res) => {
    const b = (req.body ?? {}) as RequestPaymentBody;
    const pkg = typeof b.package === 'string' ? b.package : '';
    const prepayId = pkg.startsWith('prepay_id=') ? pkg.slice('prepay_id='.length) : '';
    const order = [...pay.orders.values()].find((o) => o.prepay_id === prepayId);
    if (!order) return problem(res, 404, 'requestPayment:fail', `No WeChat Pay order with package ${pkg || '(none)'}.`);
    const signed = typeof b.timeStamp === 'string' && typeof b.nonceStr === 'string' && typeof b.paySign === 'string' && b.signType === 'RSA';
    const message = signed ? requestPaymentMessage(order.appid, b.timeStamp as string, b.nonceStr as string, pkg) : '';
    if (!signed || !verifyBase64(message, b.paySign as string, pay.merchant.publicKeyPem)) {
      return problem(res, 400, 'requestPayment:fail', 'The paySign does not verify with the merchant key.');
    }
    if (b.cancel === true) return problem(res, 409, 'requestPayment:fail cancel', 'The customer closed the payment sheet.');
    if (order.trade_state !== 'NOTPAY') return problem(res, 409, 'requestPayment:fail', `Order ${order.out_trade_no} is ${order.trade_state}.`);
    try {
      const out = await pay.pay(order.out_trade_no);
      res.json({ errMsg: 'requestPayment:ok', out_trade_no: order.out_trade_no, transaction_id: out.transaction?.transaction_id ?? null, notified: out.deliveries.map((d) => d.status) });
    } catch (e) {
      problem(res, 409, 'requestPayment:fail', e instanceof Error ? e.message : String(e));
    }
  });

  r.get('/shop', (_req, res) => {
    res.json({ pay_at: shop.payAt });
  });

  r.get('/mock/catalog', (_req, res) => {
    const env = odoo.orm.sudo();
    const rows = env.model('product.product').searchRead([['sale_ok', '=', true]], ['id', 'default_code', 'name', 'type', 'list_price', 'uom_id', 'free_qty'], { order: 'id' });
    res.json({
      items: rows.map((p) => ({
        id: p.id,
        code: p.default_code || null,
        name: p.name,
        kind: p.type === 'service' ? 'labor' : 'part',
        unit_price: Math.round(Number(p.list_price) * 100),
        uom: Array.isArray(p.uom_id) ? p.uom_id[1] : null,
        free_qty: p.type === 'service' ? null : p.free_qty,
      })),
    });
  });
  return r;
}
