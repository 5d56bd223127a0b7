import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './db';

/**
 * Versioned SQL migrations: `migrations/NNNN_name.sql`, applied in version order, each in its own transaction,
 * recorded in `schema_migrations`. A released file must never change: a checksum mismatch refuses to start.
 * A file runs inside a transaction, so it can't use `CREATE INDEX CONCURRENTLY` and the like.
 */
export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
  /** Marked `-- migrate: contract`: it removes or changes what older releases use (see checkSchema). */
  contract: boolean;
}

export interface MigrateOptions {
  dir?: string;
}

export interface MigrateResult {
  /** `NNNN_name` of each migration applied by this call, in order. */
  applied: string[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const CONTRACT_MARK = /^-- migrate: contract\b/m;

// Classid for pg_advisory_xact_lock(int, int); the second key is the schema, so schemas migrate independently.
const ADVISORY_LOCK_CLASS = 0x64726d6f; // 'drmo'

/** The migrations directory next to this file (tsx, ts-jest), else the source tree (compiled dist/ has no .sql). */
export function resolveMigrationsDir(): string {
  const candidates = [
    path.join(__dirname, 'migrations'),
    path.resolve(process.cwd(), 'bff', 'src', 'store', 'migrations'),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) {
    throw new MigrationError(`migrations directory not found; looked in ${candidates.join(', ')}`);
  }
  return found;
}

/** CRLF is normalized, so a checkout with autocrlf does not look like an edited migration. */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

export function loadMigrations(dir: string): MigrationFile[] {
  const migrations: MigrationFile[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) {
      continue;
    }
    const match = FILE_NAME.exec(file);
    if (!match) {
      throw new MigrationError(`migration file ${file} does not match NNNN_name.sql (lowercase, digits, _)`);
    }
    const version = Number(match[1]);
    const previous = migrations.find((m) => m.version === version);
    if (previous) {
      throw new MigrationError(`migration version ${version} is used by both ${previous.file} and ${file}`);
    }
    const sql = readFileSync(path.join(dir, file), 'utf8');
    migrations.push({ version, name: match[2] ?? '', file, sql, checksum: checksumOf(sql), contract: CONTRACT_MARK.test(sql) });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  contract: boolean;
}

const label = (m: { version: number; name: string }): string => `${String(m.version).padStart(4, '0')}_${m.name}`;

function verifyChecksums(applied: AppliedRow[], files: MigrationFile[]): void {
  for (const row of applied) {
    const file = files.find((f) => f.version === row.version);
    // A version with no file is a newer release's migration (rolling deploy): not ours to judge.
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${file.file} was changed after it was applied (checksum ${row.checksum} recorded, ` +
          `${file.checksum} on disk); never edit a released migration, add a new one`,
      );
    }
  }
}

async function lockAndReadApplied(tx: Db): Promise<AppliedRow[]> {
  // Several BFF processes may start together: the first migrates, the others wait here and then find it done.
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [ADVISORY_LOCK_CLASS]);
  await tx.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version int PRIMARY KEY,
       name text NOT NULL,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       contract boolean NOT NULL DEFAULT false
     )`,
  );
  // A table from before `contract` existed; checked first, since ALTER TABLE needs the owner even when it would do nothing.
  const { rowCount } = await tx.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'contract'`,
  );
  if (rowCount === 0) await tx.query('ALTER TABLE schema_migrations ADD COLUMN contract boolean NOT NULL DEFAULT false');
  const { rows } = await tx.query<AppliedRow>('SELECT version, name, checksum, contract FROM schema_migrations ORDER BY version');
  return rows;
}

// The application role reads the applied versions at boot (checkSchema) and owns nothing, so it is granted SELECT.
const GRANT_READ_TO_APP = `DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app')
     AND NOT has_table_privilege('drmoto_app', 'schema_migrations', 'SELECT') THEN
    GRANT SELECT ON schema_migrations TO drmoto_app;
  END IF;
END
$$`;

export async function migrate(db: Db, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const files = loadMigrations(opts.dir ?? resolveMigrationsDir());
  const applied: string[] = [];
  // One transaction per migration; each re-reads what is applied under the lock, since another process may
  // have moved on in between.
  for (;;) {
    const next = await db.transaction(async (tx) => {
      const done = await lockAndReadApplied(tx);
      verifyChecksums(done, files);
      const pending = files.find((f) => !done.some((row) => row.version === f.version));
      if (!pending) {
        return undefined;
      }
      try {
        await tx.exec(pending.sql);
      } catch (err) {
        throw new MigrationError(`migration ${pending.file} failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum, contract) VALUES ($1, $2, $3, $4)', [
        pending.version,
        pending.name,
        pending.checksum,
        pending.contract,
      ]);
      return pending;
    });
    if (!next) {
      await db.exec(GRANT_READ_TO_APP);
      return { applied };
    }
    applied.push(label(next));
  }
}

export interface SchemaStatus {
  /** The newest migration this release ships: the schema it needs (all its migrations applied). */
  required: number;
  /** Applied migrations this release does not know (a newer release migrated first): additive ones only. */
  ahead: string[];
}

/** Raised by checkSchema: the database's schema does not fit this release. */
export class SchemaVersionError extends MigrationError {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaVersionError';
  }
}

/**
 * Whether this release may run on the database's schema, without changing it (production servers never migrate; the
 * one-shot `npm run migrate` does, as the owner). Rolling deploys use expand/contract migrations:
 * - the code needs every migration it ships applied — a schema behind it is refused (run `npm run migrate` first);
 * - a schema ahead of it is fine when the newer migrations only add (tables, columns with defaults, indexes, grants):
 *   the old replicas keep running while the new ones roll out;
 * - a migration that drops, renames or tightens what older code uses is marked `-- migrate: contract` and shipped only
 *   once no release that uses the old shape runs; a release that predates an applied contract migration refuses to
 *   start rather than fail on its first request.
 */
export async function checkSchema(db: Db, opts: MigrateOptions = {}): Promise<SchemaStatus> {
  const files = loadMigrations(opts.dir ?? resolveMigrationsDir());
  const required = files.at(-1)?.version ?? 0;
  let applied: AppliedRow[];
  try {
    ({ rows: applied } = await db.query<AppliedRow>('SELECT version, name, checksum, contract FROM schema_migrations ORDER BY version'));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/schema_migrations" does not exist|column "contract" does not exist/.test(message)) {
      throw new SchemaVersionError(`the BFF store has not been migrated by this release's tooling (${message}): run \`npm run migrate\` as the schema owner before starting the server`);
    }
    if (/permission denied/.test(message)) {
      throw new SchemaVersionError(`cannot read schema_migrations (${message}): the application role needs SELECT on it (\`npm run migrate\` grants it to drmoto_app)`);
    }
    throw err;
  }
  verifyChecksums(applied, files);
  const missing = files.filter((f) => !applied.some((row) => row.version === f.version));
  if (missing.length) {
    throw new SchemaVersionError(
      `the database schema is behind this release: ${missing.map(label).join(', ')} not applied (this release needs ` +
        `${label(files.at(-1)!)}); run \`npm run migrate\` as the schema owner, then start the server`,
    );
  }
  const newer = applied.filter((row) => !files.some((f) => f.version === row.version));
  const contract = newer.filter((row) => row.contract);
  if (contract.length) {
    throw new SchemaVersionError(
      `the database schema is ahead of this release and not compatible with it: ${contract.map(label).join(', ')} ` +
        `removed or changed what this release uses (contract migration); deploy the release that shipped it or a newer one`,
    );
  }
  return { required, ahead: newer.map(label) };
}
