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
    migrations.push({ version, name: match[2] ?? '', file, sql, checksum: checksumOf(sql) });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
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
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const { rows } = await tx.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  return rows;
}

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
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        pending.version,
        pending.name,
        pending.checksum,
      ]);
      return pending;
    });
    if (!next) {
      return { applied };
    }
    applied.push(label(next));
  }
}
