import {
  createDb,
  DbError,
  isRetryableTransactionError,
  isSerializationFailure,
  isUniqueViolation,
  sqlState,
  TransactionFinishedError,
  type Db,
} from './db';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

const backends: Array<{ kind: Db['kind']; databaseUrl?: string }> = [
  { kind: 'pglite' },
  { kind: 'pg', databaseUrl },
];

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

for (const backend of backends) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;
  const title = skip ? `createDb (pg) — skipped: DATABASE_URL not set` : `createDb (${backend.kind})`;

  describeBackend(title, () => {
    let t: TestDb;
    let db: Db;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: backend.databaseUrl });
      db = t.db;
      await db.exec(`
        CREATE TABLE item (id bigserial PRIMARY KEY, name text NOT NULL CONSTRAINT item_name_key UNIQUE, price numeric(12,2));
        CREATE TABLE counter (n int NOT NULL);
      `);
    });

    afterAll(async () => {
      await t?.cleanup();
    });

    beforeEach(async () => {
      await db.exec('TRUNCATE item, counter');
    });

    describe('query', () => {
      it('reports its kind', () => {
        expect(db.kind).toBe(backend.kind);
      });

      it('parses int8 as a number, numeric as a string, date as a string and timestamptz as a Date', async () => {
        const { rows, rowCount } = await db.query<{ big: number; amount: string; day: string; at: Date; doc: unknown }>(
          `SELECT 9007199254740991::int8 AS big, 12.50::numeric AS amount, DATE '2024-02-29' AS day,
                  TIMESTAMPTZ '2024-01-02 03:04:05.123456+00' AS at, '{"a":[1]}'::jsonb AS doc`,
        );
        expect(rowCount).toBe(1);
        expect(rows[0]).toEqual({ big: 9007199254740991, amount: '12.50', day: '2024-02-29', at: expect.any(Date), doc: { a: [1] } });
        expect(rows[0]?.at.toISOString()).toBe('2024-01-02T03:04:05.123Z');
      });

      it('refuses an int8 beyond the safe integer range instead of rounding it', async () => {
        await expect(db.query('SELECT 9007199254740993::int8 AS big')).rejects.toThrow(/safe integer/);
        await db.ping();
      });

      it('takes the same parameter types on both drivers', async () => {
        const at = new Date('2024-05-06T07:08:09.123Z');
        const { rows } = await db.query<{ at: Date; hit: boolean; flag: boolean; nothing: null; doc: unknown; hex: string }>(
          `SELECT $1::timestamptz AS at, 3 = ANY($2::int[]) AS hit, $3::boolean AS flag, $4::text AS nothing,
                  $5::jsonb AS doc, encode($6::bytea, 'hex') AS hex`,
          [at, [1, 2, 3], true, null, JSON.stringify({ k: ['v'] }), Buffer.from([0xde, 0xad])],
        );
        expect(rows[0]?.at.toISOString()).toBe(at.toISOString());
        expect(rows[0]).toMatchObject({ hit: true, flag: true, nothing: null, doc: { k: ['v'] }, hex: 'dead' });
        const bytes = await db.query<{ b: Buffer }>(`SELECT '\\xbeef'::bytea AS b`);
        expect(Buffer.isBuffer(bytes.rows[0]?.b) && bytes.rows[0]?.b.toString('hex')).toBe('beef');
      });

      it('counts affected rows of DML and returned rows of SELECT', async () => {
        const insert = await db.query('INSERT INTO counter (n) VALUES ($1), ($2)', [1, 2]);
        expect(insert.rowCount).toBe(2);
        const select = await db.query<{ n: number }>('SELECT n FROM counter ORDER BY n');
        expect(select).toEqual({ rows: [{ n: 1 }, { n: 2 }], rowCount: 2 });
      });

      it('runs a named (prepared) statement with fresh parameters each time, on any connection and inside transactions', async () => {
        const sql = 'SELECT $1::int * 2 AS doubled';
        const direct = await Promise.all(Array.from({ length: 12 }, (_, i) => db.query<{ doubled: number }>(sql, [i], { prepare: 'db_test_double' })));
        expect(direct.map((r) => r.rows[0]?.doubled)).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
        const inTx = await db.transaction(async (tx) => [
          (await tx.query<{ doubled: number }>(sql, [21], { prepare: 'db_test_double' })).rows[0]?.doubled,
          (await tx.query<{ doubled: number }>(sql, [50], { prepare: 'db_test_double' })).rows[0]?.doubled,
        ]);
        expect(inTx).toEqual([42, 100]);
        if (db.kind === 'pg') {
          // prepared once on the connection, not re-parsed per call
          const { rows } = await db.transaction(async (tx) => {
            await tx.query(sql, [1], { prepare: 'db_test_double' });
            return tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'db_test_double'`);
          });
          expect(rows[0]?.n).toBe(1);
        }
      });
    });

    describe('transaction', () => {
      it('commits when the callback resolves', async () => {
        const result = await db.transaction(async (tx) => {
          await tx.query('INSERT INTO counter (n) VALUES (1)');
          return 'done';
        });
        expect(result).toBe('done');
        expect((await db.query('SELECT n FROM counter')).rowCount).toBe(1);
      });

      it('rolls back and rethrows when the callback throws', async () => {
        const boom = new Error('boom');
        await expect(
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO counter (n) VALUES (1)');
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect((await db.query('SELECT n FROM counter')).rowCount).toBe(0);
      });

      it('runs at the requested isolation level', async () => {
        const level = await db.transaction(async (tx) => (await tx.query<{ l: string }>("SELECT current_setting('transaction_isolation') AS l")).rows[0]?.l, {
          isolation: 'serializable',
        });
        expect(level).toBe('serializable');
      });

      it('turns a nested transaction into a savepoint that rolls back alone', async () => {
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO counter (n) VALUES (1)');
          await expect(
            tx.transaction(async (inner) => {
              await inner.query('INSERT INTO counter (n) VALUES (2)');
              throw new Error('inner fails');
            }),
          ).rejects.toThrow('inner fails');
          await tx.transaction(async (inner) => {
            await inner.query('INSERT INTO counter (n) VALUES (3)');
          });
        });
        const { rows } = await db.query<{ n: number }>('SELECT n FROM counter ORDER BY n');
        expect(rows.map((r) => r.n)).toEqual([1, 3]);
      });

      it('recovers the outer transaction after a failed statement inside a savepoint', async () => {
        await db.query(`INSERT INTO item (name) VALUES ('a')`);
        const caught = await db.transaction(async (tx) => {
          const err = await tx
            .transaction((inner) => inner.query(`INSERT INTO item (name) VALUES ('a')`))
            .then(() => undefined, (e: unknown) => e);
          await tx.query(`INSERT INTO item (name) VALUES ('b')`);
          return err;
        });
        expect(isUniqueViolation(caught, 'item_name_key')).toBe(true);
        expect((await db.query('SELECT 1 FROM item')).rowCount).toBe(2);
      });

      it('refuses an isolation level on a savepoint', async () => {
        await expect(
          db.transaction((tx) => tx.transaction(async () => undefined, { isolation: 'serializable' })),
        ).rejects.toThrow(/isolation/);
      });

      it('refuses a transaction handle used after its transaction ended', async () => {
        let leaked: Db | undefined;
        await db.transaction(async (tx) => {
          leaked = tx;
        });
        await expect(leaked!.query('SELECT 1')).rejects.toBeInstanceOf(TransactionFinishedError);
      });

      it('keeps concurrent transactions apart', async () => {
        const run = (n: number) =>
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO counter (n) VALUES ($1)', [n]);
            await new Promise((resolve) => setImmediate(resolve));
            await tx.query('INSERT INTO counter (n) VALUES ($1)', [n]);
            const { rows } = await tx.query<{ c: number }>('SELECT count(*)::int AS c FROM counter WHERE n = $1', [n]);
            if (n % 2 === 0) {
              throw new Error('even ones roll back');
            }
            return rows[0]?.c;
          });
        const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(run));
        expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rolled back'))).toEqual([
          2,
          'rolled back',
          2,
          'rolled back',
          2,
          'rolled back',
        ]);
        const { rows } = await db.query<{ n: number }>('SELECT n FROM counter ORDER BY n');
        expect(rows.map((r) => r.n)).toEqual([1, 1, 3, 3, 5, 5]);
      });

      it('refuses a COMMIT that the server turned into a ROLLBACK', async () => {
        await db.query(`INSERT INTO item (name) VALUES ('dup')`);
        await expect(
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO counter (n) VALUES (1)');
            await tx.query(`INSERT INTO item (name) VALUES ('dup')`).catch(() => undefined);
          }),
        ).rejects.toThrow(/rolled back/);
        expect((await db.query('SELECT 1 FROM counter')).rowCount).toBe(0);
      });
    });

    describe('error helpers', () => {
      it('detect a unique violation by SQLSTATE and constraint', async () => {
        await db.query(`INSERT INTO item (name) VALUES ('x')`);
        const err = await db.query(`INSERT INTO item (name) VALUES ('x')`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(sqlState(err)).toBe('23505');
        expect(isUniqueViolation(err)).toBe(true);
        expect(isUniqueViolation(err, 'item_name_key')).toBe(true);
        expect(isUniqueViolation(err, 'other_key')).toBe(false);
        expect(isSerializationFailure(err)).toBe(false);
        expect(err).toBeInstanceOf(DbError);
        expect(err).toMatchObject({ code: '23505', constraint: 'item_name_key', table: 'item' });
        expect(isUniqueViolation(new Error('wrapped', { cause: err }), 'item_name_key')).toBe(true);
      });

      it('ignore errors that are not from the database', () => {
        expect(isUniqueViolation(new Error('23505'))).toBe(false);
        expect(isUniqueViolation(Object.assign(new Error('net'), { code: 'ECONNRESET' }))).toBe(false);
        expect(isSerializationFailure(undefined)).toBe(false);
      });
    });

    if (backend.kind === 'pglite') {
      describe('PGlite', () => {
        it('queues a plain query behind a running transaction instead of running it inside', async () => {
          const inside = deferred();
          const release = deferred();
          const tx = db.transaction(async (t) => {
            await t.query('INSERT INTO counter (n) VALUES (1)');
            inside.resolve();
            await release.promise;
            throw new Error('roll back');
          });
          await inside.promise;
          // Were this query run on the connection now, it would see (and be rolled back with) the open transaction.
          const outside = db.query('INSERT INTO counter (n) VALUES (2)');
          release.resolve();
          await expect(tx).rejects.toThrow('roll back');
          await outside;
          const { rows } = await db.query<{ n: number }>('SELECT n FROM counter');
          expect(rows).toEqual([{ n: 2 }]);
        });

        it('uses the requested schema', async () => {
          const other = await createDb({ schema: 'bff_x' });
          try {
            await other.query('CREATE TABLE t (id int)');
            const { rows } = await other.query<{ s: string }>(
              `SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 't'`,
            );
            expect(rows).toEqual([{ s: 'bff_x' }]);
          } finally {
            await other.close();
          }
        });
      });
    }

    if (backend.kind === 'pg') {
      describe('PostgreSQL', () => {
        it('sets application_name and the statement timeout on its connections', async () => {
          const { rows } = await db.query<{ app: string; timeout: string }>(
            `SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout`,
          );
          expect(rows[0]).toEqual({ app: 'drmoto-bff', timeout: '30s' });
        });

        it('detects a serialization failure between two serializable transactions', async () => {
          const bothRead = { a: deferred(), b: deferred() };
          const writeSkew = (n: number, mine: { resolve: () => void }, theirs: { promise: Promise<void> }) =>
            db.transaction(
              async (tx) => {
                await tx.query('SELECT count(*) FROM counter');
                mine.resolve();
                await theirs.promise;
                await tx.query('INSERT INTO counter (n) VALUES ($1)', [n]);
              },
              { isolation: 'serializable' },
            );
          const results = await Promise.allSettled([writeSkew(1, bothRead.a, bothRead.b), writeSkew(2, bothRead.b, bothRead.a)]);
          const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(failures).toHaveLength(1);
          expect(isSerializationFailure(failures[0]?.reason)).toBe(true);
          expect(isRetryableTransactionError(failures[0]?.reason)).toBe(true);
        });
      });
    }
  });
}
