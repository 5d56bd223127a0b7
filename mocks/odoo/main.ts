/** `npm run mock:odoo`: the Odoo mock on ODOO_MOCK_PORT (default 8069). */
import { SEED_LOGINS } from './seed';
import { startOdooMock } from './server';

async function main(): Promise<void> {
  const port = Number(process.env.ODOO_MOCK_PORT ?? 8069);
  const mock = await startOdooMock({ port, host: process.env.ODOO_MOCK_HOST ?? '127.0.0.1' });
  // ODOO_MOCK_REPLY_DELAY_MS: answer every call that much later, as a real Odoo's ~12 ms (benchmarks).
  const delay = Number(process.env.ODOO_MOCK_REPLY_DELAY_MS ?? 0);
  if (Number.isFinite(delay) && delay > 0) mock.delayReplies(delay);
  const logins = ['admin/admin', ...SEED_LOGINS.map((u) => `${u.login}/${u.password}`)].join(', ');
  process.stdout.write(`Odoo 17 mock on ${mock.url} (db ${mock.db}; /xmlrpc/2/*, /jsonrpc) logins: ${logins}\n`);
  const stop = (): void => {
    void mock.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
