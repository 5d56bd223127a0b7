/**
 * `npm run demo`: the whole system on embedded defaults — the BFF, the Odoo mock (seeded shop),
 * the WeChat API and WeChat Pay mocks, PGlite in .data/demo and the in-process queue. No external service.
 * Env: PORT (default 3000), ODOO_MOCK_PORT (8069), S3_MOCK_PORT (4568), DEMO_DATA_DIR (.data/demo), LOG_LEVEL (warn),
 * PAYMENT_TIMING (pickup | after_confirm), DEMO_PUBLIC_HOST (the address phones use; default this machine's LAN IPv4).
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemo } from './demo-stack';
import { startLocalS3 } from '../bff/test/s3';

async function main(): Promise<void> {
  const dataDir = process.env.DEMO_DATA_DIR ?? path.join('.data', 'demo');
  // The Odoo mock starts from its seed every time: a BFF store kept from an earlier run would hold ledger rows and
  // payment orders for work-order ids that now name other work orders. Start both fresh.
  rmSync(path.join(dataDir, 'pglite'), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // Media uploads go to a local S3 (s3rver, bucket created on start) unless S3_BUCKET names a real one.
  rmSync(path.join(dataDir, 's3'), { recursive: true, force: true });
  const s3 = process.env.S3_BUCKET
    ? undefined
    : await startLocalS3({ host: '0.0.0.0', port: Number(process.env.S3_MOCK_PORT ?? 4568), directory: path.join(dataDir, 's3'), anyPortIfBusy: true });
  // A phone on the LAN uploads and loads photos straight from storage, by presigned URLs. SigV4 signs the Host, so
  // they are signed for an address the phone can reach (S3_PUBLIC_ENDPOINT): this machine's LAN address, which this
  // machine reaches too. (Proxying S3 under the BFF's origin would break the signature: the Host and path change.)
  const publicHost = process.env.DEMO_PUBLIC_HOST || lanAddress();
  if (s3) Object.assign(process.env, s3.env(), process.env.S3_PUBLIC_ENDPOINT?.trim() ? {} : { S3_PUBLIC_ENDPOINT: `http://${publicHost}:${new URL(s3.url).port}` });
  const stack = await startDemo({
    port: Number(process.env.PORT ?? 3000),
    odooPort: Number(process.env.ODOO_MOCK_PORT ?? 8069),
    pgliteDir: path.join(dataDir, 'pglite'),
    logLevel: process.env.LOG_LEVEL ?? 'warn',
    jwtSecret: process.env.JWT_SECRET,
  });
  const { odoo, wechat, wechatPay } = stack;
  const u = stack.url;
  process.stdout.write(
    [
      '',
      'DrMoto BFF demo is running (Odoo mock, PGlite, in-process queue, WeChat mock):',
      `  BFF          ${u}   (health ${u}/healthz, ready ${u}/readyz, API ${u}/openapi.json)`,
      `  Demo app     ${stack.demoUrl}   (customer H5 + staff console; open it on a phone or at 375 px)`,
      `  Odoo mock    ${odoo.url}   (db ${odoo.db}; XML-RPC /xmlrpc/2/*, JSON-RPC /jsonrpc)`,
      `  WeChat mock  ${wechat.url}   (mini-program login and phone number)`,
      `  WeChat Pay   ${wechatPay.url}   (pay an order: POST ${wechatPay.url}/__mock/pay {"out_trade_no":"…"})`,
      `  On a phone   http://${publicHost}:${new URL(u).port}/demo/   (same Wi-Fi; photos are presigned for ${process.env.S3_PUBLIC_ENDPOINT ?? 'S3_PUBLIC_ENDPOINT'})`,
      ...(s3 ? [`  Local S3     ${s3.url}   (bucket ${s3.bucket}; media: POST ${u}/api/v1/work-orders/<id>/media/uploads, then upload, then POST ${u}/api/v1/media/<upload id>/complete)`] : []),
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
    await stack.close(sig);
    await s3?.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/** This machine's first non-internal IPv4 address (what a phone on the same Wi-Fi reaches), else loopback. */
function lanAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    const a = addrs?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  return '127.0.0.1';
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
