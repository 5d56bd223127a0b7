import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from './db';
import { checksumOf, loadMigrations, migrate, MigrationError, resolveMigrationsDir } from './migrate';
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
