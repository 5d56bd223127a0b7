/**
 * `npm run migrate`: applies the BFF store's pending migrations once, as the schema owner, and exits — 0 when the
 * schema is current, 1 when it could not be made so. Production runs it before rolling out a release (the server
 * itself never migrates there, so it needs no owner credentials).
 * Env: DATABASE_MIGRATION_URL (the owner), else DATABASE_URL.
 */
import { createDb, type Db } from '../bff/src/store/db';
import { migrate } from '../bff/src/store/migrate';

/** The CLI, minus process handling: returns the exit code. */
export async function runMigrate(env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<number> {
  const url = env.DATABASE_MIGRATION_URL || env.DATABASE_URL;
  if (!url) {
    out('migrate: set DATABASE_MIGRATION_URL (the schema owner) or DATABASE_URL');
    return 1;
  }
  let db: Db | undefined;
  try {
    db = await createDb({ databaseUrl: url, poolMax: 1 });
    const { applied } = await migrate(db);
    out(applied.length ? `migrate: applied ${applied.join(', ')}` : 'migrate: schema is current, nothing to apply');
    return 0;
  } catch (err) {
    out(`migrate failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

if (require.main === module) {
  runMigrate(process.env, (text) => process.stdout.write(`${text}\n`)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`migrate failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
