import { randomBytes } from 'node:crypto';
import { createDb, type Db } from '../../src/store/db';

/**
 * Test support for anything that needs the BFF store: a fresh database per test file, on PGlite by default or in
 * a schema of its own on the PostgreSQL named by `databaseUrl` (several jest workers share that server).
 */
export interface TestDb {
  db: Db;
  /** The schema on PostgreSQL; undefined on PGlite (a whole in-memory database of its own). */
  schema?: string;
  /** Another pool on the same schema (PostgreSQL), to race two processes. */
  openAnother(): Promise<Db>;
  cleanup(): Promise<void>;
}

export const uniqueSchemaName = (): string => `t_${randomBytes(6).toString('hex')}`;

export async function createTestDb(opts: { databaseUrl?: string } = {}): Promise<TestDb> {
  const { databaseUrl } = opts;
  if (!databaseUrl) {
    const db = await createDb({});
    return {
      db,
      openAnother: () => Promise.reject(new Error('PGlite is a single in-process database; there is no second one')),
      cleanup: () => db.close(),
    };
  }
  const schema = uniqueSchemaName();
  const db = await createDb({ databaseUrl, schema, createSchema: true, poolMax: 4 });
  const others: Db[] = [];
  return {
    db,
    schema,
    async openAnother() {
      const other = await createDb({ databaseUrl, schema, poolMax: 4 });
      others.push(other);
      return other;
    },
    async cleanup() {
      await Promise.all(others.map((other) => other.close()));
      try {
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await db.close();
      }
    },
  };
}

const warned = new Set<string>();

/** One console.warn per reason and process, so a skipped real-server suite is visible in the output. */
export function warnSkippedOnce(reason: string): void {
  if (!warned.has(reason)) {
    warned.add(reason);
    console.warn(`[skipped] ${reason}`);
  }
}
