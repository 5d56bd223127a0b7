/**
 * `npm run demo`: the whole system on embedded defaults — the BFF, the Odoo mock (seeded shop),
 * the WeChat API and WeChat Pay mocks, PGlite in .data/demo and the in-process queue. No external service.
 * Env: PORT (default 3000), ODOO_MOCK_PORT (8069), DEMO_DATA_DIR (.data/demo), LOG_LEVEL (warn).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../bff/src/config';
import { createLogger } from '../bff/src/logger';
import { startServer } from '../bff/src/server';
import { startOdooMock } from '../mocks/odoo/server';
import { startWechatMock } from '../mocks/wechat/server';
import { startWechatPayMock } from '../mocks/wechatpay/server';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The wanted port when it is free, else any free one (WeChat Pay's notify URL needs it before the BFF starts). */
function pickPort(wanted: number): Promise<number> {
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

async function main(): Promise<void> {
  const dataDir = process.env.DEMO_DATA_DIR ?? path.join('.data', 'demo');
  mkdirSync(dataDir, { recursive: true });
  const odoo = await listenWithFallback((port) => startOdooMock({ port, host: '127.0.0.1' }), Number(process.env.ODOO_MOCK_PORT ?? 8069));
  const wechat = await startWechatMock();
  const port = await pickPort(Number(process.env.PORT ?? 3000));
  const wechatPay = await startWechatPayMock({ appid: wechat.appId });
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    ...wechatPay.env(`http://127.0.0.1:${port}/api/v1/webhooks/wechatpay`),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ODOO_URL: odoo.url,
    ODOO_DB: odoo.db,
    ODOO_USER: 'bff',
    ODOO_PASSWORD: 'bff',
    DATABASE_URL: '',
    REDIS_URL: '',
    PGLITE_DIR: path.join(dataDir, 'pglite'),
    JWT_SECRET: process.env.JWT_SECRET ?? randomBytes(32).toString('hex'),
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
  });
  const logger = createLogger({ level: config.log.level });
  const bff = await startServer(config, logger);
  const u = bff.url;
  process.stdout.write(
    [
      '',
      'DrMoto BFF demo is running (Odoo mock, PGlite, in-process queue, WeChat mock):',
      `  BFF          ${u}   (health ${u}/healthz, ready ${u}/readyz, API ${u}/openapi.json)`,
      `  Odoo mock    ${odoo.url}   (db ${odoo.db}; XML-RPC /xmlrpc/2/*, JSON-RPC /jsonrpc)`,
      `  WeChat mock  ${wechat.url}   (mini-program login and phone number)`,
      `  WeChat Pay   ${wechatPay.url}   (pay an order: POST ${wechatPay.url}/__mock/pay {"out_trade_no":"…"})`,
      '',
      'Staff logins (password "demo"): advisor, technician, keeper, cashier, manager',
      'Customer login: any code "user-<name>", then bind a phone with code "phone-<number>"',
      '',
      'Try:',
      `  TOKEN=$(curl -s -X POST ${u}/api/v1/auth/staff/login -H 'content-type: application/json' \\`,
      `    -d '{"login":"advisor","password":"demo"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
      `  curl -s -X POST ${u}/api/v1/customers -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `    -d '{"name":"Li Si","phone":"+86 139-0013-9000"}'`,
      `  curl -s -X POST ${u}/api/v1/vehicles -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `    -d '{"customer_id":<id from above>,"plate_no":"粤B·88888","brand":"Honda"}'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    await bff.shutdown(sig);
    await odoo.close();
    await wechat.close();
    await wechatPay.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
