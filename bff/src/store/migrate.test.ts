import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from './db';
import { checkSchema, checksumOf, loadMigrations, migrate, MigrationError, resolveMigrationsDir, SchemaVersionError } from './migrate';
import { createTestDb, uniqueSchemaName, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

const backends: Array<{ kind: Db['kind']; databaseUrl?: string }> = [{ kind: 'pglite' }, { kind: 'pg', databaseUrl }];

describe('loadMigrations', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'drmoto-migrations-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('orders files by version and ignores files that are not SQL', () => {
    writeFileSync(path.join(dir, '0002_b.sql'), 'SELECT 2;');
    writeFileSync(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(path.join(dir, 'README.md'), 'notes');
    expect(loadMigrations(dir).map((m) => [m.version, m.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('refuses a file name that does not match NNNN_name.sql', () => {
    writeFileSync(path.join(dir, '1_init.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(MigrationError);
  });

  it('refuses two files with the same version', () => {
    writeFileSync(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(path.join(dir, '0001_b.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/0001_a.sql and 0001_b.sql/);
  });

  it('hashes CRLF and LF line endings alike', () => {
    expect(checksumOf('SELECT 1;\r\nSELECT 2;\r\n')).toBe(checksumOf('SELECT 1;\nSELECT 2;\n'));
  });

  it('reads the contract mark from a file', () => {
    writeFileSync(path.join(dir, '0001_a.sql'), 'CREATE TABLE a (id int);');
    writeFileSync(path.join(dir, '0002_b.sql'), '-- Drops what release 1 used.\n-- migrate: contract\nDROP TABLE a;');
    expect(loadMigrations(dir).map((m) => m.contract)).toEqual([false, true]);
  });

  it('finds the migrations shipped beside the code', () => {
    expect(loadMigrations(resolveMigrationsDir()).map((m) => m.file)).toContain('0001_init.sql');
  });
});

for (const backend of backends) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? 'migrate (pg) — skipped: DATABASE_URL not set' : `migrate (${backend.kind})`, () => {
    let t: TestDb;
    let dir: string;
    // PGlite takes seconds to boot: one instance, a fresh schema per test (it has one connection, so SET holds).
    let pglite: TestDb | undefined;

    beforeAll(async () => {
      if (backend.kind === 'pglite') {
        pglite = await createTestDb();
      }
    });

    afterAll(async () => {
      await pglite?.cleanup();
    });

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'drmoto-migrations-'));
      if (!pglite) {
        t = await createTestDb({ databaseUrl: backend.databaseUrl });
        return;
      }
      const { db } = pglite;
      const schema = uniqueSchemaName();
      await db.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
      t = {
        db,
        schema,
        openAnother: pglite.openAnother,
        cleanup: () => db.exec(`SET search_path TO public; DROP SCHEMA ${schema} CASCADE`),
      };
    });

    afterEach(async () => {
      rmSync(dir, { recursive: true, force: true });
      await t.cleanup();
    });

    const write = (file: string, sql: string) => writeFileSync(path.join(dir, file), sql);

    it('applies the shipped migrations once and records them', async () => {
      const shipped = loadMigrations(resolveMigrationsDir());
      const { applied } = await migrate(t.db);
      expect(applied[0]).toBe('0001_init');
      expect(applied).toEqual(shipped.map((m) => `${m.file.replace(/\.sql$/, '')}`));
      const { rows } = await t.db.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
        'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
      );
      expect(rows).toEqual(
        shipped.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum, applied_at: expect.any(Date) })),
      );
      expect((await t.db.query('SELECT 1 FROM bff_audit_log')).rowCount).toBe(0);

      expect(await migrate(t.db)).toEqual({ applied: [] });
    });

    it('applies only what is new, in version order', async () => {
      write('0001_a.sql', 'CREATE TABLE a (id int);');
      expect(await migrate(t.db, { dir })).toEqual({ applied: ['0001_a'] });
      write('0003_c.sql', 'ALTER TABLE b ADD COLUMN note text;');
      write('0002_b.sql', 'CREATE TABLE b (id int); INSERT INTO b (id) VALUES (1);');
      expect(await migrate(t.db, { dir })).toEqual({ applied: ['0002_b', '0003_c'] });
      const { rows } = await t.db.query('SELECT id, note FROM b');
      expect(rows).toEqual([{ id: 1, note: null }]);
    });

    it('refuses to start when a released migration was edited', async () => {
      write('0001_a.sql', 'CREATE TABLE a (id int);');
      await migrate(t.db, { dir });
      write('0001_a.sql', 'CREATE TABLE a (id bigint);');
      write('0002_b.sql', 'CREATE TABLE b (id int);');
      await expect(migrate(t.db, { dir })).rejects.toThrow(/0001_a.sql was changed after it was applied/);
      expect((await t.db.query(`SELECT 1 FROM schema_migrations WHERE version = 2`)).rowCount).toBe(0);
    });

    it('rolls back a failing migration and records nothing for it', async () => {
      write('0001_a.sql', 'CREATE TABLE a (id int);');
      write('0002_bad.sql', 'CREATE TABLE half (id int); SELECT * FROM missing_table;');
      await expect(migrate(t.db, { dir })).rejects.toThrow(/0002_bad.sql failed/);
      const { rows } = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations');
      expect(rows).toEqual([{ version: 1 }]);
      const half = await t.db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half'`);
      expect(half.rowCount).toBe(0);
    });

    it('leaves versions it does not know (a newer release) alone', async () => {
      write('0001_a.sql', 'CREATE TABLE a (id int);');
      write('0002_b.sql', 'CREATE TABLE b (id int);');
      await migrate(t.db, { dir });
      rmSync(path.join(dir, '0002_b.sql'));
      expect(await migrate(t.db, { dir })).toEqual({ applied: [] });
    });

    describe('checkSchema (what a production replica checks at boot instead of migrating)', () => {
      it('accepts the schema of this release and reports what it requires', async () => {
        await migrate(t.db);
        const shipped = loadMigrations(resolveMigrationsDir());
        expect(await checkSchema(t.db)).toEqual({ required: shipped.at(-1)!.version, ahead: [] });
      });

      it('refuses a database never migrated, pointing at npm run migrate', async () => {
        write('0001_a.sql', 'CREATE TABLE a (id int);');
        await expect(checkSchema(t.db, { dir })).rejects.toThrow(SchemaVersionError);
        await expect(checkSchema(t.db, { dir })).rejects.toThrow(/npm run migrate/);
      });

      it('refuses a schema behind the code, naming the missing migrations', async () => {
        write('0001_a.sql', 'CREATE TABLE a (id int);');
        await migrate(t.db, { dir });
        write('0002_b.sql', 'CREATE TABLE b (id int);');
        write('0003_c.sql', 'CREATE TABLE c (id int);');
        await expect(checkSchema(t.db, { dir })).rejects.toThrow(/behind this release: 0002_b, 0003_c not applied.*npm run migrate/);
        expect((await t.db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'b'`)).rowCount).toBe(0);
      });

      it('runs on a schema ahead of it when the newer migrations are additive (expand)', async () => {
        write('0001_a.sql', 'CREATE TABLE a (id int);');
        write('0002_b.sql', 'ALTER TABLE a ADD COLUMN note text;');
        await migrate(t.db, { dir });
        rmSync(path.join(dir, '0002_b.sql'));
        expect(await checkSchema(t.db, { dir })).toEqual({ required: 1, ahead: ['0002_b'] });
      });

      it('refuses a schema that a newer release contracted', async () => {
        write('0001_a.sql', 'CREATE TABLE a (id int, old text);');
        write('0002_b.sql', '-- migrate: contract\nALTER TABLE a DROP COLUMN old;');
        await migrate(t.db, { dir });
        const { rows } = await t.db.query<{ version: number; contract: boolean }>('SELECT version, contract FROM schema_migrations ORDER BY version');
        expect(rows).toEqual([{ version: 1, contract: false }, { version: 2, contract: true }]);
        expect(await checkSchema(t.db, { dir })).toEqual({ required: 2, ahead: [] });
        rmSync(path.join(dir, '0002_b.sql'));
        await expect(checkSchema(t.db, { dir })).rejects.toThrow(/ahead of this release and not compatible with it: 0002_b/);
      });

      it('refuses a released migration edited since it was applied', async () => {
        write('0001_a.sql', 'CREATE TABLE a (id int);');
        await migrate(t.db, { dir });
        write('0001_a.sql', 'CREATE TABLE a (id bigint);');
        await expect(checkSchema(t.db, { dir })).rejects.toThrow(/0001_a.sql was changed after it was applied/);
      });

      it('reads a schema_migrations table from before the contract column', async () => {
        write('0001_a.sql', 'CREATE TABLE a (id int);');
        await t.db.exec(
          `CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
           INSERT INTO schema_migrations (version, name, checksum) VALUES (1, 'a', '${loadMigrations(dir)[0]!.checksum}');
           CREATE TABLE a (id int);`,
        );
        await expect(checkSchema(t.db, { dir })).rejects.toThrow(/npm run migrate/);
        expect(await migrate(t.db, { dir })).toEqual({ applied: [] });
        expect(await checkSchema(t.db, { dir })).toEqual({ required: 1, ahead: [] });
      });
    });

    if (backend.kind === 'pg') {
      it('migrates once when several processes start together', async () => {
        write('0001_a.sql', 'CREATE TABLE a (id int);');
        write('0002_b.sql', 'CREATE TABLE b (id int);');
        const others = await Promise.all([t.openAnother(), t.openAnother(), t.openAnother()]);
        const results = await Promise.all([t.db, ...others].map((db) => migrate(db, { dir })));
        expect(results.flatMap((r) => r.applied).sort()).toEqual(['0001_a', '0002_b']);
      });
    }
  });
}
