/**
 * `npm run reconcile`: checks that Odoo's invoices, credit notes and payments add up to the BFF ledger's balance for
 * every work order the ledger holds money for (bff/src/services/reconcile.service.ts). Reads only.
 * Exit codes: 0 everything matches · 1 a mismatch · 3 only work orders whose settlement is still pending · 2 could
 * not run. Env: DATABASE_URL (PostgreSQL) else PGLITE_DIR; ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD
 * (ODOO_TRANSPORT); RECONCILE_JSON=1 prints JSON.
 */
import { existsSync } from 'node:fs';
import { OdooClient } from '../bff/src/integrations/odoo/client';
import { PaymentsGateway } from '../bff/src/integrations/odoo/payments';
import { ShopGateway } from '../bff/src/integrations/odoo/shops';
import { createLogger } from '../bff/src/logger';
import { formatReconcileResult, ReconcileService } from '../bff/src/services/reconcile.service';
import { createDb, type Db } from '../bff/src/store/db';

async function openFromEnv(env: NodeJS.ProcessEnv): Promise<Db> {
  if (env.DATABASE_URL) return createDb({ databaseUrl: env.DATABASE_URL, poolMax: 2 });
  const dir = env.PGLITE_DIR ?? '.data/pglite';
  if (dir !== 'memory://' && !existsSync(dir)) throw new Error(`PGLITE_DIR ${dir} does not exist (and DATABASE_URL is not set)`);
  return createDb({ pgliteDir: dir });
}

function odooFromEnv(env: NodeJS.ProcessEnv): OdooClient {
  const missing = ['ODOO_URL', 'ODOO_DB', 'ODOO_USER', 'ODOO_PASSWORD'].filter((k) => !env[k]);
  if (missing.length) throw new Error(`set ${missing.join(', ')}`);
  return new OdooClient(
    {
      url: env.ODOO_URL!.replace(/\/+$/, ''),
      db: env.ODOO_DB!,
      user: env.ODOO_USER!,
      password: env.ODOO_PASSWORD!,
      transport: env.ODOO_TRANSPORT === 'xmlrpc' ? 'xmlrpc' : 'jsonrpc',
      timeoutMs: 30_000,
      maxSockets: 4,
      readRetries: 2,
    },
    createLogger({ level: 'error' }),
  );
}

/** The CLI, minus process handling: returns the exit code. */
export async function runReconcile(
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
  deps: { open?: (env: NodeJS.ProcessEnv) => Promise<Db>; odoo?: OdooClient } = {},
): Promise<number> {
  let db: Db | undefined;
  const odoo = deps.odoo;
  let own: OdooClient | undefined;
  try {
    db = await (deps.open ?? openFromEnv)(env);
    own = odoo ? undefined : odooFromEnv(env);
    const client = odoo ?? own!;
    const result = await new ReconcileService(db, new PaymentsGateway(client), new ShopGateway(client)).run();
    out(env.RECONCILE_JSON === '1' ? JSON.stringify(result, null, 2) : formatReconcileResult(result));
    return result.ok ? 0 : result.mismatches ? 1 : 3;
  } catch (err) {
    out(`reconcile could not run: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  } finally {
    await db?.close();
    own?.close();
  }
}

if (require.main === module) {
  runReconcile(process.env, (text) => process.stdout.write(`${text}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`reconcile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
