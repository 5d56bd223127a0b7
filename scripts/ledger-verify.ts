/**
 * `npm run ledger:verify`: walks the payment ledger's hash chain and balances and exits 0 when intact, 1 on any
 * break, 2 when it could not run. Reads only.
 * Env: DATABASE_URL (PostgreSQL), else PGLITE_DIR (default .data/pglite); LEDGER_VERIFY_JSON=1 prints JSON.
 */
import { existsSync } from 'node:fs';
import { createDb, type Db } from '../bff/src/store/db';
import { formatVerifyResult, verifyLedger, type LedgerVerifyResult } from '../bff/src/store/ledger-verify';

export { formatVerifyResult, verifyLedger, type LedgerVerifyResult };

const jsonReplacer = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

async function openFromEnv(env: NodeJS.ProcessEnv): Promise<Db> {
  if (env.DATABASE_URL) return createDb({ databaseUrl: env.DATABASE_URL, poolMax: 1 });
  const dir = env.PGLITE_DIR ?? '.data/pglite';
  // createDb would create an empty database there; a typo should not pass as "no ledger".
  if (dir !== 'memory://' && !existsSync(dir)) throw new Error(`PGLITE_DIR ${dir} does not exist (and DATABASE_URL is not set)`);
  return createDb({ pgliteDir: dir });
}

/** The CLI, minus process handling: returns the exit code. */
export async function runLedgerVerify(
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
  open: (env: NodeJS.ProcessEnv) => Promise<Db> = openFromEnv,
): Promise<number> {
  let db: Db | undefined;
  try {
    db = await open(env);
    const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('ledger_entries') IS NOT NULL AS present`);
    if (!rows[0]?.present) {
      out('ledger_entries not found: is this the BFF database, migrated?');
      return 2;
    }
    const result = await verifyLedger(db);
    out(env.LEDGER_VERIFY_JSON === '1' ? JSON.stringify(result, jsonReplacer, 2) : formatVerifyResult(result));
    return result.ok ? 0 : 1;
  } catch (err) {
    out(`ledger verify could not run: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  } finally {
    await db?.close();
  }
}

if (require.main === module) {
  runLedgerVerify(process.env, (text) => process.stdout.write(`${text}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`ledger verify failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
