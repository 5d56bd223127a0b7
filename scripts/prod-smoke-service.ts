/**
 * One outside system for the production smoke test (scripts/prod-smoke.ts), in a process of its own:
 * `tsx scripts/prod-smoke-service.ts odoo|wechat|wechatpay|s3`. Prints `READY <json>` (its URL and the BFF
 * environment that points at it), then runs until SIGTERM. Env: WECHATPAY_NOTIFY_URL, WECHAT_APPID (wechatpay).
 */
import { startLocalS3 } from '../bff/test/s3';
import { startOdooMock } from '../mocks/odoo/server';
import { startWechatMock } from '../mocks/wechat/server';
import { startWechatPayMock } from '../mocks/wechatpay/server';

async function start(kind: string): Promise<{ ready: Record<string, unknown>; close(): Promise<void> }> {
  switch (kind) {
    case 'odoo': {
      const m = await startOdooMock({ port: 0 });
      return { ready: { url: m.url, env: { ODOO_URL: m.url, ODOO_DB: m.db, ODOO_USER: 'bff', ODOO_PASSWORD: 'bff' } }, close: () => m.close() };
    }
    case 'wechat': {
      const m = await startWechatMock({ port: 0 });
      return { ready: { url: m.url, env: { WECHAT_APPID: m.appId, WECHAT_SECRET: m.secret, WECHAT_API_BASE: m.url } }, close: () => m.close() };
    }
    case 'wechatpay': {
      const m = await startWechatPayMock({ port: 0, appid: process.env.WECHAT_APPID });
      return { ready: { url: m.url, env: m.env(process.env.WECHATPAY_NOTIFY_URL) }, close: () => m.close() };
    }
    case 's3': {
      const m = await startLocalS3();
      return { ready: { url: m.url, env: m.env() }, close: () => m.close() };
    }
    default:
      throw new Error(`unknown service ${kind}: odoo, wechat, wechatpay or s3`);
  }
}

start(process.argv[2] ?? '').then(
  (s) => {
    process.stdout.write(`READY ${JSON.stringify(s.ready)}\n`);
    process.once('SIGTERM', () => void s.close().finally(() => process.exit(0)));
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
